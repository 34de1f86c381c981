"""Signs of life, as systemd's watchdog takes them (the sd_notify protocol).

A process whose supervisor gave it `NOTIFY_SOCKET` sends `READY=1` once it has started and
`WATCHDOG=1` while its loop turns; the supervisor — systemd with `WatchdogSec=`, or
`grantledger serve` for its projector — kills and restarts one that stays silent for longer
than its bound: a projector hung on a lock or a socket is then no different from one that
crashed. The protocol is one datagram per message on a Unix socket (an address starting with
`@` is in the abstract namespace), so it needs no library.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from pathlib import Path

ENV = "NOTIFY_SOCKET"
# A loop turning many times a second sends a sign of life at most this often.
SIGN_EVERY = 0.5


def _address(text: str) -> str:
    return "\0" + text[1:] if text.startswith("@") else text


class Notifier:
    """Sends a process's signs of life to its supervisor, if it has one (NOTIFY_SOCKET)."""

    def __init__(self, address: str | None = None) -> None:
        address = os.environ.get(ENV) if address is None else address
        self._address = _address(address) if address else None
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) if address else None
        self._last = float("-inf")

    def ready(self) -> None:
        self._send("READY=1")

    def alive(self) -> None:
        now = time.monotonic()
        if now - self._last >= SIGN_EVERY:
            self._last = now
            self._send("WATCHDOG=1")

    def stopping(self) -> None:
        """Says the process is stopping, and closes the socket."""
        self._send("STOPPING=1")
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _send(self, message: str) -> None:
        if self._socket is not None and self._address is not None:
            with contextlib.suppress(OSError):  # a supervisor gone is no reason to fail
                self._socket.sendto(message.encode(), self._address)


class SignsOfLife:
    """The supervisor's end: a socket in `folder` its children send their signs to (the path
    goes to them as NOTIFY_SOCKET), and when the last came."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "notify"
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(self.path))
        self._socket.setblocking(False)
        self.last: float | None = None

    def silent_for(self, started_at: float) -> tuple[float, bool]:
        """Seconds since the last sign, or since `started_at` if none came after it; and
        whether one did (a process still starting has not said it is ready)."""
        while True:
            try:
                self._socket.recv(4096)
            except BlockingIOError:
                break
            self.last = time.monotonic()
        heard = self.last is not None and self.last >= started_at
        since = self.last if heard and self.last is not None else started_at
        return time.monotonic() - since, heard

    def close(self) -> None:
        self._socket.close()
        with contextlib.suppress(OSError):
            self.path.unlink()
