"""The reference receiver over HTTP(S): ``POST /v1/decisions``, ``GET /healthz``.

A :class:`http.server.ThreadingHTTPServer` (HTTP/1.1, keep-alive) in front of
:class:`kiosk.sync.receiver.Receiver`. Hardening for deployment by a bank:

* bodies need exactly one ``Content-Length`` of plain digits and are limited
  in size (refused unread when larger); a ``Transfer-Encoding`` header, a
  repeated or malformed ``Content-Length`` is answered 400 and the connection
  closed, so no request can be smuggled behind another;
* every request (request line, headers and body) must arrive within a total
  deadline, checked before each read, with each read's time-out set to the time
  left: a client that trickles a byte now and then is cut off at the deadline,
  not kept for ever;
* open connections are capped, in total and per client address, and the
  listen backlog is 128, so a burst of connections is queued, not refused;
* TLS (optional) handshakes in the connection's thread, not the accept loop;
* every answer, including the server's own protocol errors, is JSON with a
  stable code; a bug answers 500 ``internal_error`` and goes to the log;
* the access log is one structured line per request: status, code, case id,
  device id, milliseconds. No body, no client address, no personal data.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kiosk.sync.config import ENDPOINT_PATH
from kiosk.sync.receiver import DecisionRequest, Receiver, Reply, error_reply
from kiosk.sync.signing import DEVICE_HEADER, ED25519_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER

log = logging.getLogger("kiosk.sync.server")

LISTEN_BACKLOG = 128
_LENGTH_RE = re.compile(r"^[0-9]{1,12}$")  # applied with fullmatch


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """Where and how the receiver listens.

    Attributes:
        host: address to bind (``127.0.0.1`` by default: expose it deliberately).
        port: TCP port; 0 picks a free one.
        tls_cert, tls_key: PEM files to serve HTTPS (both or neither).
        max_connections: open connections at once; more are closed at once.
        max_connections_per_client: open connections from one client address;
            more from that address are closed at once (0: no per-address limit,
            for a receiver behind a proxy that all connections come from).
        read_timeout_s: socket time-out per read and write (also how long an idle
            keep-alive connection is kept).
        request_deadline_s: the most time one request (request line, headers and
            body) may take to arrive, however the bytes trickle in (None: twice
            ``read_timeout_s``).
    """

    host: str = "127.0.0.1"
    port: int = 0
    tls_cert: Path | None = None
    tls_key: Path | None = None
    max_connections: int = 64
    max_connections_per_client: int = 32
    read_timeout_s: float = 15.0
    request_deadline_s: float | None = None

    def __post_init__(self) -> None:
        from kiosk.errors import ConfigError

        if self.max_connections < 1 or self.max_connections_per_client < 0:
            raise ConfigError("The receiver's connection limits must be positive.")
        if self.read_timeout_s <= 0 or self.deadline_s <= 0:
            raise ConfigError("The receiver's time-outs must be positive.")

    @property
    def deadline_s(self) -> float:
        """The request deadline in effect."""
        if self.request_deadline_s is None:
            return 2.0 * self.read_timeout_s
        return self.request_deadline_s


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG  # the socketserver default of 5 refuses bursts

    def __init__(self, options: ServerOptions, receiver: Receiver, tls: ssl.SSLContext | None):
        self.receiver = receiver
        self.options = options
        self.tls = tls
        self._slots = threading.BoundedSemaphore(options.max_connections)
        self._open: dict[socket.socket, str] = {}
        self._per_client: dict[str, int] = {}
        self._open_lock = threading.Lock()
        handler = type(
            "_BoundHandler",
            (_Handler,),
            {
                "timeout": options.read_timeout_s,
                "read_timeout_s": options.read_timeout_s,
                "deadline_s": options.deadline_s,
            },
        )
        super().__init__((options.host, options.port), handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        client = str(client_address[0]) if client_address else ""
        per_client = self.options.max_connections_per_client
        with self._open_lock:
            crowded = per_client > 0 and self._per_client.get(client, 0) >= per_client
        if crowded:
            # the address is not logged (access-log rule); the count is enough
            log.warning("receiver: connection refused, %d already open from one client", per_client)
            request.close()
            return
        if not self._slots.acquire(blocking=False):
            log.warning("receiver: connection refused, %d already open", len(self._open))
            request.close()
            return
        with self._open_lock:
            self._open[request] = client
            self._per_client[client] = self._per_client.get(client, 0) + 1
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._forget(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._forget(request)

    def _forget(self, request: Any) -> None:
        with self._open_lock:
            client = self._open.pop(request, None)
            if client is not None:
                left = self._per_client.get(client, 1) - 1
                if left > 0:
                    self._per_client[client] = left
                else:
                    self._per_client.pop(client, None)
        if client is not None:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # the default prints a traceback to stderr; broken connections are routine here
        log.debug("receiver: connection ended with an error", exc_info=True)

    def drop_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _DeadlineReader(io.RawIOBase):
    """Socket reads that share one deadline: each read waits at most the time left
    (and at most ``per_read_s``), and none starts after the deadline."""

    def __init__(self, sock: socket.socket, per_read_s: float) -> None:
        super().__init__()
        self._sock = sock
        self._per_read_s = per_read_s
        self.deadline = time.monotonic() + per_read_s

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request deadline passed")
        self._sock.settimeout(min(self._per_read_s, left))
        return self._sock.recv_into(buffer)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: avoid delayed-ACK stalls
    server: _HTTPServer
    read_timeout_s: float = 15.0  # also set as ``timeout``, which the base class applies
    deadline_s: float = 30.0

    def setup(self) -> None:
        if self.server.tls is not None:
            # CPython applies an SSL socket's time-out to the whole handshake
            self.request.settimeout(min(self.read_timeout_s, self.deadline_s))
            self.request.do_handshake()
        super().setup()
        self.rfile.close()
        self._reader = _DeadlineReader(self.connection, self.read_timeout_s)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        # the deadline covers the wait for the request line, the headers and the body
        self._reader.deadline = time.monotonic() + self.deadline_s
        super().handle_one_request()

    def version_string(self) -> str:
        return "kiosk-receiver"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("receiver: protocol: " + format, *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's own errors (bad request line, headers too long, ...) as JSON
        names = {400: "bad_request", 404: "not_found", 414: "uri_too_long", 501: "not_implemented"}
        self.request_version = self.protocol_version  # answer garbage with a status line too
        self._reply(
            error_reply(code, names.get(code, "bad_request"), "The request is malformed."),
            close=True,
        )

    def do_POST(self) -> None:
        started = time.perf_counter()
        reply, close = self._decision()
        self._reply(reply, close=close)
        log.info(
            "receiver: POST %s status=%d code=%s case=%s device=%s ms=%.1f",
            ENDPOINT_PATH if self.path == ENDPOINT_PATH else "<other>",
            reply.status,
            reply.code,
            reply.case_id or "-",
            reply.device_id or "-",
            (time.perf_counter() - started) * 1000.0,
        )

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._reply(Reply(200, b'{"status":"ok"}', "ok"))
        elif self.path == ENDPOINT_PATH:
            self._not_allowed()
        else:
            self._reply(error_reply(404, "not_found", "No such endpoint."))

    def do_PUT(self) -> None:
        self._not_allowed()

    def do_DELETE(self) -> None:
        self._not_allowed()

    def do_PATCH(self) -> None:
        self._not_allowed()

    def _not_allowed(self) -> None:
        reply = error_reply(405, "method_not_allowed", "Only POST is accepted here.")
        self._reply(Reply(reply.status, reply.body, reply.code, (("Allow", "POST"),)), close=True)

    def _decision(self) -> tuple[Reply, bool]:
        receiver = self.server.receiver
        if self.path != ENDPOINT_PATH:
            return error_reply(404, "not_found", "No such endpoint."), True
        # framing: anything but one plain Content-Length could hide a second request
        if self.headers.get_all("Transfer-Encoding"):
            return error_reply(
                400, "bad_framing", "Transfer-Encoding is not accepted; send Content-Length."
            ), True
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return error_reply(411, "length_required", "Content-Length is required."), True
        if len(lengths) > 1:
            return error_reply(400, "bad_framing", "Content-Length is given more than once."), True
        raw_length = lengths[0].strip(" \t")
        if not _LENGTH_RE.fullmatch(raw_length):
            return error_reply(400, "bad_length", "Content-Length is not a number."), True
        length = int(raw_length)
        if length > receiver.options.max_body_bytes:
            return error_reply(413, "too_large", "The body is too large."), True
        try:
            body = self.rfile.read(length)
        except (TimeoutError, OSError):
            return error_reply(400, "bad_request", "The body did not arrive in time."), True
        if len(body) != length:
            return error_reply(400, "bad_request", "The body is shorter than announced."), True
        request = DecisionRequest(
            body=body,
            content_type=self.headers.get("Content-Type"),
            signature=self.headers.get(SIGNATURE_HEADER),
            ed25519=self.headers.get(ED25519_HEADER),
            device_id=self.headers.get(DEVICE_HEADER),
            idempotency_key=self.headers.get(IDEMPOTENCY_HEADER),
        )
        try:
            return receiver.handle(request), False
        except Exception:  # a bug: the log gets the traceback, the client a code
            log.exception("receiver: unexpected error while handling a decision")
            return error_reply(500, "internal_error", "The receiver failed."), True

    def _reply(self, reply: Reply, *, close: bool = False) -> None:
        try:
            self.connection.settimeout(self.read_timeout_s)  # reads may have left it short
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in reply.headers:
                self.send_header(name, value)
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # do_POST writes the structured line


class ReceiverServer:
    """The receiver listening on a socket; run it in a thread or in the foreground.

    Args:
        receiver: the receiver (the server closes it on :meth:`close`).
        options: address, TLS and limits.
    """

    def __init__(self, receiver: Receiver, options: ServerOptions | None = None) -> None:
        opts = options or ServerOptions()
        tls = None
        if (opts.tls_cert is None) != (opts.tls_key is None):
            from kiosk.errors import ConfigError

            raise ConfigError("Give both a TLS certificate and its key, or neither.")
        if opts.tls_cert is not None and opts.tls_key is not None:
            tls = _server_context(opts.tls_cert, opts.tls_key)
        self.receiver = receiver
        self._httpd = _HTTPServer(opts, receiver, tls)
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL (for ``KIOSK_SYNC_URL``)."""
        scheme = "https" if self._httpd.tls is not None else "http"
        host = self._httpd.server_address[0]
        text = host.decode() if isinstance(host, bytes) else str(host)
        return f"{scheme}://{text}:{self.port}"

    def start(self) -> ReceiverServer:
        """Serve in a background thread; returns self."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # how quickly close() is noticed
            name="kiosk-receiver",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self, stop: threading.Event | None = None) -> None:
        """Serve in this thread until ``stop`` is set (or forever)."""
        self.start()
        (stop or threading.Event()).wait()

    def close(self) -> None:
        """Stop accepting, drop open connections, close the database. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()
        self._httpd.drop_connections()
        self.receiver.close()

    def __enter__(self) -> ReceiverServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _server_context(cert: Path, key: Path) -> ssl.SSLContext:
    from kiosk.errors import ConfigError

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError):
        raise ConfigError("The TLS certificate or key cannot be loaded.") from None
    return context
