"""A tiny OpenID issuer on a loopback port: its discovery document and the key set a test
sets, counting the key set's fetches; and a clock a test moves. For tests of token
verification that need no real provider (tests/oidc_provider.py is the real one)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from jwt_keys import SigningKey, jwks

AUDIENCE = "https://grantledger.test/api"


class TinyIssuer:
    def __init__(self, keys: list[SigningKey]) -> None:
        self.keys = keys
        self.jwks_fetches = 0
        self.jwks_status = 200
        self.jwks_body: bytes | None = None  # instead of the keys' set
        self.discovered_issuer: str | None = None  # instead of its own URL
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Down: connections are refused from now on."""
        if not self._thread.is_alive():
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _answer(self, path: str) -> tuple[int, bytes]:
        if path == "/.well-known/openid-configuration":
            return 200, json.dumps({"issuer": self.discovered_issuer or self.url,
                                    "jwks_uri": f"{self.url}/jwks"}).encode()
        if path == "/jwks":
            self.jwks_fetches += 1
            body = self.jwks_body or json.dumps(jwks(*self.keys)).encode()
            return self.jwks_status, body
        return 404, b"{}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = issuer._answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


class Clock:
    """Seconds since 1970, moved by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
