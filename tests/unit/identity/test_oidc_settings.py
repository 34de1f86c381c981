from __future__ import annotations

import pytest

from service.config import ConfigurationError
from service.identity import OidcSettings

ISSUER = "https://login.example.test/realms/opik"


def test_without_an_issuer_no_tokens_are_verified() -> None:
    assert OidcSettings.from_env({"GRANTLEDGER_OIDC_AUDIENCE": "grantledger"}) is None


def test_an_issuer_and_an_audience_are_the_settings_with_the_defaults() -> None:
    settings = OidcSettings.from_env({"GRANTLEDGER_OIDC_ISSUER": ISSUER,
                                      "GRANTLEDGER_OIDC_AUDIENCE": "grantledger"})

    assert settings == OidcSettings(issuer=ISSUER, audience="grantledger",
                                    roles_claim="grantledger_roles", leeway=60.0,
                                    refetch_interval=30.0, http_timeout=5.0)


def test_the_roles_claim_is_configurable() -> None:
    settings = OidcSettings.from_env({"GRANTLEDGER_OIDC_ISSUER": ISSUER,
                                      "GRANTLEDGER_OIDC_AUDIENCE": "grantledger",
                                      "GRANTLEDGER_OIDC_ROLES_CLAIM": "roles"})

    assert settings is not None and settings.roles_claim == "roles"


def test_an_issuer_without_an_audience_is_refused() -> None:
    with pytest.raises(ConfigurationError) as refused:
        OidcSettings.from_env({"GRANTLEDGER_OIDC_ISSUER": ISSUER})

    assert str(refused.value) == (
        "GRANTLEDGER_OIDC_ISSUER is set without GRANTLEDGER_OIDC_AUDIENCE: set it to the "
        "audience (aud) the issuer puts in access tokens for this service")


@pytest.mark.parametrize("issuer", ["http://login.example.test/realms/opik",
                                    "http://10.0.0.5:8080", "http://localhost.example.test"])
def test_an_http_issuer_on_another_host_than_the_loopback_is_refused(issuer: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        OidcSettings.from_env({"GRANTLEDGER_OIDC_ISSUER": issuer,
                               "GRANTLEDGER_OIDC_AUDIENCE": "grantledger"})

    assert str(refused.value) == (f"GRANTLEDGER_OIDC_ISSUER={issuer!r} uses http on a host "
                                  "other than this machine's loopback: use https")


@pytest.mark.parametrize("issuer", ["http://127.0.0.1:8080", "http://localhost:8080/idp",
                                    "http://[::1]:8080", "http://127.0.0.2"])
def test_an_http_issuer_on_the_loopback_is_accepted(issuer: str) -> None:
    settings = OidcSettings.from_env({"GRANTLEDGER_OIDC_ISSUER": issuer,
                                      "GRANTLEDGER_OIDC_AUDIENCE": "grantledger"})

    assert settings is not None and settings.issuer == issuer


@pytest.mark.parametrize("issuer", ["login.example.test", "ftp://login.example.test",
                                    "https://", "https://login.example.test:port"])
def test_an_issuer_that_is_not_a_url_is_refused(issuer: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        OidcSettings.from_env({"GRANTLEDGER_OIDC_ISSUER": issuer,
                               "GRANTLEDGER_OIDC_AUDIENCE": "grantledger"})

    assert str(refused.value) == (f"GRANTLEDGER_OIDC_ISSUER={issuer!r} is not a URL "
                                  "(https://host/…)")


def test_an_issuer_with_a_query_is_refused() -> None:
    with pytest.raises(ConfigurationError) as refused:
        OidcSettings.from_env({"GRANTLEDGER_OIDC_ISSUER": f"{ISSUER}?tenant=1",
                               "GRANTLEDGER_OIDC_AUDIENCE": "grantledger"})

    assert str(refused.value) == (f"GRANTLEDGER_OIDC_ISSUER='{ISSUER}?tenant=1' must have no "
                                  "query or fragment")
