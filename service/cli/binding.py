"""Where `grantledger serve` listens: GRANTLEDGER_BIND, which `--host` and `--port` override
only when given; and whether that address is free, found before anything is printed."""

from __future__ import annotations

import errno
import socket
from collections.abc import Mapping

from service.config import ConfigurationError

DEFAULT_BIND = "127.0.0.1:8000"


def bind_address(env: Mapping[str, str], host: str | None, port: int | None) -> str:
    """`host:port` (an IPv6 host in brackets) or gunicorn's `unix:PATH`: GRANTLEDGER_BIND
    (default 127.0.0.1:8000), with the host or the port replaced by the options given."""
    bind = env.get("GRANTLEDGER_BIND") or DEFAULT_BIND
    if host is None and port is None:
        return bind
    if bind.startswith("unix:"):
        bind = DEFAULT_BIND  # a socket path has no host or port to keep
    bound_host, bound_port = split_bind(bind)
    host = host if host is not None else bound_host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port if port is not None else bound_port}"


def split_bind(bind: str) -> tuple[str, int]:
    """`127.0.0.1:8000` → ("127.0.0.1", 8000); `[::1]:8000` → ("[::1]", 8000); a bare host
    listens on 8000, as gunicorn does."""
    host, colon, port = bind.rpartition(":")
    if not colon or host.endswith(":") or (host.startswith("[") and not host.endswith("]")):
        return bind, 8000  # a bare host (or a bare IPv6 address)
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigurationError(f"GRANTLEDGER_BIND={bind!r} is not host:port (a port is "
                                 "0 to 65535), e.g. 127.0.0.1:8000 or [::1]:8000")
    return host, int(port)


def check_free(bind: str) -> None:
    """Fails in one line when something already listens on the address, before `serve` makes
    a token or starts gunicorn (which would retry for a while, then exit 1)."""
    if bind.startswith(("unix:", "fd://")):
        return
    host, port = split_bind(bind)
    bare = host.strip("[]")
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind((bare, port))
        except OSError as error:
            why = ("another process listens there" if error.errno == errno.EADDRINUSE
                   else error.strerror or str(error))
            raise ConfigurationError(
                f"cannot listen on {bind}: {why}; choose another address with "
                "GRANTLEDGER_BIND or --host/--port") from None
