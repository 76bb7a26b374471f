"""A fault-injecting HTTP proxy between the sender and the receiver (loopback only).

Each request draws one fault from a seeded generator:

* ``error_before``: answer 500 without forwarding (the receiver never saw it);
* ``error_after``: forward, then answer 500 (the receiver stored it; the sender
  must retry and the receiver must deduplicate);
* ``drop_before`` / ``drop_after``: close the connection without an answer,
  before or after forwarding;
* ``timeout_after``: forward, then hold the connection longer than the sender's
  time-out;
* ``none``: relay the receiver's answer.

When the receiver is not listening the proxy answers 502.
"""

from __future__ import annotations

import collections
import enum
import http.client
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RELAYED_HEADERS = ("Content-Type", "Idempotent-Replayed", "Retry-After")


class Fault(enum.Enum):
    NONE = "none"
    ERROR_BEFORE = "error_before"
    ERROR_AFTER = "error_after"
    DROP_BEFORE = "drop_before"
    DROP_AFTER = "drop_after"
    TIMEOUT_AFTER = "timeout_after"
    UPSTREAM_DOWN = "upstream_down"


class ChaosProxy:
    """Listens on ``port`` (0: any) and forwards to ``127.0.0.1:upstream_port``.

    Args:
        upstream_port: the receiver's port.
        rates: probability of each fault per request (the rest pass through).
        seed: seed of the fault draw.
        hang_s: how long ``timeout_after`` holds the connection.
    """

    def __init__(
        self,
        upstream_port: int,
        *,
        rates: dict[Fault, float] | None = None,
        seed: int = 0,
        hang_s: float = 0.6,
        port: int = 0,
    ) -> None:
        self.upstream_port = upstream_port
        self.rates = dict(rates or {})
        self.hang_s = hang_s
        self.counts: collections.Counter[Fault] = collections.Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                fault = proxy._draw()
                if fault is Fault.ERROR_BEFORE:
                    return self._answer(500, b'{"error":{"code":"injected"}}', ())
                if fault is Fault.DROP_BEFORE:
                    self.close_connection = True
                    return None
                forwarded = proxy._forward(self.path, body, self.headers)
                if forwarded is None:
                    proxy._count(Fault.UPSTREAM_DOWN)
                    return self._answer(502, b'{"error":{"code":"bad_gateway"}}', ())
                if fault is Fault.ERROR_AFTER:
                    return self._answer(500, b'{"error":{"code":"injected"}}', ())
                if fault is Fault.DROP_AFTER:
                    self.close_connection = True
                    return None
                if fault is Fault.TIMEOUT_AFTER:
                    time.sleep(proxy.hang_s)
                    self.close_connection = True
                    return None
                status, headers, data = forwarded
                return self._answer(status, data, headers)

            def _answer(
                self, status: int, data: bytes, headers: tuple[tuple[str, str], ...]
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                if not any(k == "Content-Type" for k, _ in headers):
                    self.send_header("Content-Type", "application/json")
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ChaosProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _draw(self) -> Fault:
        with self._lock:
            roll = self._rng.random()
            for fault, rate in self.rates.items():
                if roll < rate:
                    self.counts[fault] += 1
                    return fault
                roll -= rate
            self.counts[Fault.NONE] += 1
            return Fault.NONE

    def _count(self, fault: Fault) -> None:
        with self._lock:
            self.counts[fault] += 1

    def _forward(
        self, path: str, body: bytes, headers: Any
    ) -> tuple[int, tuple[tuple[str, str], ...], bytes] | None:
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=10)
        try:
            conn.request(
                "POST",
                path,
                body=body,
                headers={k: v for k, v in headers.items() if k.lower() != "host"},
            )
            response = conn.getresponse()
            data = response.read()
            kept = tuple(
                (name, value)
                for name in RELAYED_HEADERS
                if (value := response.getheader(name)) is not None
            )
            return response.status, kept, data
        except OSError:
            return None
        finally:
            conn.close()
