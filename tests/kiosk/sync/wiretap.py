"""A record of every byte the sender's HTTP connections put on the wire.

:func:`install` wraps ``send`` of the sender's connection classes
(:class:`kiosk.sync.transport.KioskHTTPConnection` and
:class:`~kiosk.sync.transport.KioskHTTPSConnection`), so requests made by
tests themselves with plain :mod:`http.client` (tampered or malformed ones)
are not recorded, and nothing the sender sends escapes the record.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class WireRequest:
    """One HTTP request as it left the process."""

    request_line: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = field(repr=False)
    raw: bytes = field(repr=False)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class WireLog:
    """Byte streams per connection; parsed into requests on demand."""

    def __init__(self) -> None:
        self._streams: dict[int, bytearray] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._undo: list[Callable[[], None]] = []

    def install(self) -> None:
        from kiosk.sync.transport import KioskHTTPConnection, KioskHTTPSConnection

        for cls in (KioskHTTPConnection, KioskHTTPSConnection):
            self._wrap(cls)

    def uninstall(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()

    def requests(self) -> list[WireRequest]:
        with self._lock:
            streams = [bytes(s) for s in self._streams.values()]
        return [r for s in streams for r in parse_stream(s)]

    def byte_count(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._streams.values())

    def _wrap(self, cls: Any) -> None:
        had_own = "send" in cls.__dict__
        original = cls.send
        log = self

        def send(conn: Any, data: Any) -> Any:
            if conn.sock is None and conn.auto_open:
                conn.connect()  # as the original would; a refused or pinned-out one sends nothing
            key = conn.__dict__.get("_wiretap_id")
            if key is None:
                key = next(log._ids)
                conn.__dict__["_wiretap_id"] = key
            with log._lock:
                log._streams.setdefault(key, bytearray()).extend(bytes(data))
            return original(conn, data)

        cls.send = send

        def undo() -> None:
            if had_own:
                cls.send = original
            else:
                del cls.send

        self._undo.append(undo)


def parse_stream(stream: bytes) -> list[WireRequest]:
    """Split a connection's bytes into requests (Content-Length framing, as the sender uses)."""
    out = []
    pos = 0
    while pos < len(stream):
        end = stream.find(b"\r\n\r\n", pos)
        if end < 0:
            raise AssertionError("a request on the wire has an unterminated header block")
        head = stream[pos:end].decode("latin-1").split("\r\n")
        headers = tuple(
            (k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in head[1:])
        )
        length = int(next((v for k, v in headers if k.lower() == "content-length"), "0"))
        body = stream[end + 4 : end + 4 + length]
        out.append(WireRequest(head[0], headers, body, stream[pos : end + 4 + length]))
        pos = end + 4 + length
    return out


WIRE = WireLog()
