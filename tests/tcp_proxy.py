"""A TCP proxy in front of PostgreSQL that can break connections where a real network does:
around a write's commit, or all at once as when the server goes away.

`cut_next_write("after")` lets the next call of `grantledger_write` reach the server and its
answer come back to the proxy up to the server's ready for the next query outside a
transaction, which it sends once the call committed (the call being a transaction of its own,
or with a write in turn, once the COMMIT after it did), then closes the client's connection
without passing the answer on: the commit happened and the client does not know it.
`"before"` drops the call and closes both ends: the server never runs it. `turns` counts round
trips: each time a client sends after the server last spoke to it (or first on a connection).
`refuse()` closes every connection and refuses new ones until `accept()`. `hold()` is a network
path gone silent: every connection stays open, new ones are accepted, but no byte goes either
way until `release()` passes on what waited.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Literal

CHUNK = 65536
WRITE_CALL = b"grantledger_write("
# ReadyForQuery, idle: sent once the statement's implicit commit, or a COMMIT, is done.
READY_IDLE = b"Z\x00\x00\x00\x05I"
Cut = Literal["before", "after"]


class PostgresProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._cut: Cut | None = None
        self._refusing = False
        self._open: set[socket.socket] = set()
        self._flowing = threading.Event()
        self._flowing.set()
        self.cuts = 0
        self.turns = 0
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def cut_next_write(self, when: Cut) -> None:
        with self._lock:
            self._cut = when

    def refuse(self) -> None:
        with self._lock:
            self._refusing = True
            for sock in list(self._open):
                _close(sock)
            self._open.clear()

    def accept(self) -> None:
        with self._lock:
            self._refusing = False

    def hold(self) -> None:
        self._flowing.clear()

    def release(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self.refuse()
        _close(self._listener)

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                refusing = self._refusing
            if refusing:
                _close(client)
                continue
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        """Connects a client to the server (once the path lets bytes through)."""
        self._flowing.wait()
        try:
            server = socket.create_connection(self.upstream)
        except OSError:
            _close(client)
            return
        with self._lock:
            self._open |= {client, server}
        pair = _Pair(self, client, server)
        threading.Thread(target=pair.client_to_server, daemon=True).start()
        threading.Thread(target=pair.server_to_client, daemon=True).start()

    def _take_cut(self) -> Cut | None:
        with self._lock:
            cut, self._cut = self._cut, None
            if cut:
                self.cuts += 1
            return cut


class _Pair:
    def __init__(self, proxy: PostgresProxy, client: socket.socket,
                 server: socket.socket) -> None:
        self.proxy, self.client, self.server = proxy, client, server
        self.cutting_after = threading.Event()
        self.answered = True

    def client_to_server(self) -> None:
        while chunk := _receive(self.client):
            if self.answered:
                with self.proxy._lock:
                    self.proxy.turns += 1
                self.answered = False
            if WRITE_CALL in chunk:
                cut = self.proxy._take_cut()
                if cut == "before":
                    return self._close()
                if cut == "after":
                    self.cutting_after.set()
            self.proxy._flowing.wait()
            if not _send(self.server, chunk):
                break
        self._close()

    def server_to_client(self) -> None:
        while chunk := _receive(self.server):
            if self.cutting_after.is_set() and READY_IDLE in chunk:
                return self._close()  # the server committed; the client never hears of it
            self.proxy._flowing.wait()
            self.answered = True
            if not _send(self.client, chunk):
                break
        self._close()

    def _close(self) -> None:
        for sock in (self.client, self.server):
            _close(sock)


def _receive(sock: socket.socket) -> bytes:
    try:
        return sock.recv(CHUNK)
    except OSError:
        return b""


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
