"""A real OpenID Provider for the tests: the npm package oidc-provider (tests/oidc/provider.mjs)
run with Node.js on a free loopback port, signing with keys the test gives it.

    with OidcProvider(tmp_path, [new_key("k1")]) as provider:
        token = provider.token("importer")          # a client-credentials access token (JWT)
        provider.restart([new_key("k2"), key1])     # the same issuer with another key set

Besides the client-credentials clients it has an authorization-code client with PKCE
(`WEB_CLIENT`, redirect URIs given to the constructor) and accounts that sign in with its
development login form (any password); `authorization_code_token` goes through that form.
Without node or tests/oidc/node_modules the test skips (fails when CI=true), saying how to
install them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from jwt_keys import SigningKey
from support import tool_missing

OIDC_DIR = Path(__file__).parent / "oidc"
AUDIENCE = "https://grantledger.test/api"
RESOURCE_SCOPE = "grantledger"
WEB_CLIENT = "grantledger-web"
# Client-credentials clients: id → (secret, the extra claims of their access tokens).
MACHINE_CLIENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "importer": ("importer-secret-0123456789abcdef",
                 {"name": "Expense importer", "grantledger_roles": ["accountant", "janitor"]}),
    "auditor-robot": ("auditor-robot-secret-0123456789",
                      {"grantledger_roles": ["auditor"]}),
    "nobody": ("nobody-secret-0123456789abcdef", {}),
}
# Who signs in with the login form, and the claims of their tokens.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "alice": {"name": "Alice Nováková", "preferred_username": "alice",
              "email": "alice@example.test", "grantledger_roles": ["manager"]},
    "bob": {"preferred_username": "bob", "grantledger_roles": ["viewer", "admin"]},
    "carol": {"email": "carol@example.test"},
}
READY_TIMEOUT = 30.0


class OidcProvider:
    def __init__(self, root: Path, keys: Sequence[SigningKey], *,
                 redirect_uris: Sequence[str] = ("http://127.0.0.1/callback",),
                 audience: str = AUDIENCE, access_token_alg: str = "RS256",
                 access_token_ttl: int = 600) -> None:
        if shutil.which("node") is None or not (OIDC_DIR / "node_modules/oidc-provider").is_dir():
            tool_missing("the OpenID Provider tests need Node.js (20 or newer) and the npm "
                         "package oidc-provider: run: npm ci --prefix tests/oidc")
        self.root = root
        self.keys = list(keys)
        self.redirect_uris = list(redirect_uris)
        self.audience = audience
        self.access_token_alg = access_token_alg
        self.access_token_ttl = access_token_ttl
        self.port = 0
        self.issuer = ""
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> OidcProvider:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        """Starts node and waits for its "ready" line. On a restart the port (and so the
        issuer) stays the same."""
        config = self.root / "oidc-provider.json"
        config.write_text(json.dumps(self._config()))
        log = self.root / "oidc-provider.log"
        with log.open("wb") as output:
            self._process = subprocess.Popen(
                ["node", str(OIDC_DIR / "provider.mjs"), str(config)], stdout=output,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=OIDC_DIR)
        self.issuer = self._wait_ready(log)
        self.port = int(urlsplit(self.issuer).port or 0)

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def restart(self, keys: Sequence[SigningKey] | None = None) -> None:
        """Stops and starts the provider, with `keys` instead of its key set when given."""
        self.stop()
        if keys is not None:
            self.keys = list(keys)
        self.start()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def token(self, client_id: str, secret: str | None = None,
              resource: str | None = None) -> str:
        """A client-credentials access token of `client_id` for `resource` (the audience)."""
        secret = secret if secret is not None else MACHINE_CLIENTS[client_id][0]
        answer = httpx.post(f"{self.issuer}/token", auth=(client_id, secret), timeout=10, data={
            "grant_type": "client_credentials", "scope": RESOURCE_SCOPE,
            "resource": resource or self.audience})
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token

    def authorization_code_token(self, login: str, redirect_uri: str | None = None) -> str:
        """The access token the web client gets for `login` through the authorization-code flow
        with PKCE, signing in and consenting with the provider's development form."""
        redirect_uri = redirect_uri or self.redirect_uris[0]
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        with httpx.Client(timeout=10) as browser:
            url = self._follow(browser, browser.get(f"{self.issuer}/auth", params={
                "client_id": WEB_CLIENT, "response_type": "code", "redirect_uri": redirect_uri,
                "scope": f"openid profile {RESOURCE_SCOPE}", "resource": self.audience,
                "code_challenge": challenge, "code_challenge_method": "S256",
                "state": secrets.token_urlsafe(8)}), login, redirect_uri)
            code = parse_qs(urlsplit(url).query)["code"][0]
            answer = browser.post(f"{self.issuer}/token", data={
                "grant_type": "authorization_code", "code": code, "client_id": WEB_CLIENT,
                "redirect_uri": redirect_uri, "code_verifier": verifier})
            answer.raise_for_status()
            token: str = answer.json()["access_token"]
        return token

    def jwks_fetches(self) -> int:
        """How often the key set was fetched since the provider (re)started."""
        count: int = httpx.get(f"{self.issuer}/test/jwks-fetches", timeout=10).json()["count"]
        return count

    def _follow(self, browser: httpx.Client, answer: httpx.Response, login: str,
                redirect_uri: str) -> str:
        """Follows redirects and fills the login (then consent) form until the provider sends
        the browser to `redirect_uri`."""
        for _ in range(10):
            if answer.is_redirect:
                location = urljoin(str(answer.url), answer.headers["location"])
                if location.startswith(redirect_uri):
                    return location
                answer = browser.get(location)
            elif 'name="prompt" value="login"' in answer.text:
                answer = browser.post(str(answer.url), data={
                    "prompt": "login", "login": login, "password": "any"})
            elif 'name="prompt" value="consent"' in answer.text:
                answer = browser.post(str(answer.url), data={"prompt": "consent"})
            else:
                raise AssertionError(f"the provider answered {answer.status_code}: "
                                     f"{_text_of(answer.text)}")
        raise AssertionError("the sign-in did not come back to the redirect URI")

    def _config(self) -> dict[str, Any]:
        machines = [{"client_id": client_id, "client_secret": secret,
                     "grant_types": ["client_credentials"], "redirect_uris": [],
                     "response_types": [], "token_claims": claims}
                    for client_id, (secret, claims) in MACHINE_CLIENTS.items()]
        web = {"client_id": WEB_CLIENT, "token_endpoint_auth_method": "none",
               "grant_types": ["authorization_code"], "response_types": ["code"],
               "redirect_uris": self.redirect_uris}
        return {"port": self.port, "jwks": {"keys": [key.private_jwk() for key in self.keys]},
                "audience": self.audience, "resource_scope": RESOURCE_SCOPE,
                "access_token_alg": self.access_token_alg,
                "access_token_ttl": self.access_token_ttl,
                "clients": [*machines, web], "accounts": ACCOUNTS}

    def _wait_ready(self, log: Path) -> str:
        assert self._process is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            found = re.search(r"^ready (\S+)$", log.read_text(errors="replace"), re.MULTILINE)
            if found:
                return found.group(1)
            if self._process.poll() is not None:
                raise RuntimeError(f"the OpenID Provider stopped: {log.read_text()}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the OpenID Provider was not ready in {READY_TIMEOUT} s: "
                           f"{log.read_text()}")


def _text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))[:500]
