"""What verifying a bearer JWT can fail with."""

from __future__ import annotations


class IdentityError(Exception):
    """The root of the identity errors."""


class InvalidTokenError(IdentityError):
    """The token is refused (401): `reason` says why in words a client understands and never
    contains the token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IdentityProviderUnavailableError(IdentityError):
    """A key the token needs could not be fetched from the issuer (503). The message is for the
    log; `retry_after` is how many seconds until the next fetch may be tried."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
