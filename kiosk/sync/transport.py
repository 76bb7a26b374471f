"""HTTP(S) to the receiver: keep-alive connections, time-outs, certificate pinning.

Standard library only (:mod:`http.client`, :mod:`ssl`). One connection per
worker thread is kept open between requests. A pinned connection checks the
server certificate's sha256 (of the DER certificate or of its
SubjectPublicKeyInfo) right after the TLS handshake, before a byte of the
request is written, so a wrong server never sees a payload.
"""

from __future__ import annotations

import hashlib
import http.client
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk.errors import SyncError

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "kiosk-sync/1"


class TransportError(SyncError):
    """The request did not get an HTTP answer.

    ``kind`` is ``network`` (refused, reset, dropped), ``timeout``, ``tls``
    (handshake or certificate verification) or ``tls_pin`` (pin mismatch).
    """

    code = "sync_transport"
    default_message = "The upstream could not be reached."


@dataclass(frozen=True, slots=True)
class WireResponse:
    """An HTTP answer from the receiver.

    Attributes:
        status: HTTP status code.
        body: the body (at most 64 KiB are read).
        idempotent_replayed: the ``Idempotent-Replayed: true`` header was present.
        retry_after_s: ``Retry-After`` in seconds, when given as a number.
    """

    status: int
    body: bytes = field(repr=False)
    idempotent_replayed: bool = False
    retry_after_s: float | None = None


def spki_sha256(der_certificate: bytes) -> str:
    """Hex sha256 of the certificate's SubjectPublicKeyInfo (DER)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    cert = x509.load_der_x509_certificate(der_certificate)
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def certificate_sha256(der_certificate: bytes) -> str:
    """Hex sha256 of the DER certificate."""
    return hashlib.sha256(der_certificate).hexdigest()


def pin_matches(der_certificate: bytes, pins: Sequence[str]) -> bool:
    """Whether the certificate or its SPKI hashes to one of ``pins``."""
    return certificate_sha256(der_certificate) in pins or spki_sha256(der_certificate) in pins


def client_context(ca_file: Path | None, pins: Sequence[str]) -> ssl.SSLContext:
    """TLS 1.2+ client context.

    With ``ca_file`` the chain and host name are verified against it; without it
    but with pins the pin is the only trust anchor (a self-signed receiver);
    otherwise the system CAs are used.
    """
    if ca_file is not None:
        context = ssl.create_default_context(cafile=str(ca_file))
    elif pins:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the pin, checked in connect(), is the anchor
    else:
        context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class KioskHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP connection of the sender (its own class, so tests can tap the wire)."""


class KioskHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS connection that checks the certificate pin before sending anything."""

    def __init__(
        self,
        host: str,
        port: int | None,
        *,
        timeout: float,
        context: ssl.SSLContext,
        pins: Sequence[str],
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._pins = tuple(pins)

    def connect(self) -> None:
        super().connect()
        if not self._pins:
            return
        der = self.sock.getpeercert(binary_form=True)
        if der is None or not pin_matches(der, self._pins):
            self.sock.close()
            self.sock = None
            raise TransportError(
                "The upstream's certificate does not match the pinned sha256.", kind="tls_pin"
            )


class HttpTransport:
    """POSTs bodies to one endpoint; safe to use from several threads.

    Args:
        endpoint: full URL (``https://host:port/v1/decisions``).
        timeout_s: connect and read time-out per request.
        pins: accepted certificate/SPKI sha256 hex (https only).
        ca_file: CA bundle for https.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        timeout_s: float = 10.0,
        pins: Sequence[str] = (),
        ca_file: Path | None = None,
    ) -> None:
        parts = urlsplit(endpoint)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._path = parts.path or "/"
        self._timeout = timeout_s
        self._pins = tuple(pins)
        self._context = client_context(ca_file, self._pins) if self._https else None
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def post(self, body: bytes, headers: Sequence[tuple[str, str]]) -> WireResponse:
        """Send one request and read the answer.

        A failure on a kept-alive connection that the server may have closed in
        the meantime is retried once on a fresh connection (the request is
        idempotent: the receiver deduplicates by case id).

        Raises:
            TransportError: no HTTP answer (``kind`` says why).
        """
        header_map = {"User-Agent": USER_AGENT, **dict(headers)}
        reused = getattr(self._local, "conn", None) is not None
        try:
            return self._exchange(body, header_map)
        except TransportError as exc:
            if not (reused and exc.kind == "network"):
                raise
        return self._exchange(body, header_map)

    def close(self) -> None:
        """Close every connection this transport opened."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._https:
                assert self._context is not None
                conn = KioskHTTPSConnection(
                    self._host,
                    self._port,
                    timeout=self._timeout,
                    context=self._context,
                    pins=self._pins,
                )
            else:
                conn = KioskHTTPConnection(self._host, self._port, timeout=self._timeout)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _drop(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        self._local.conn = None
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)

    def _exchange(self, body: bytes, headers: dict[str, str]) -> WireResponse:
        conn = self._connection()
        try:
            conn.request("POST", self._path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read(MAX_RESPONSE_BYTES + 1)
            if len(data) > MAX_RESPONSE_BYTES or not response.isclosed() or response.will_close:
                self._drop(conn)  # unread rest or server closing: do not reuse
            return WireResponse(
                status=response.status,
                body=data[:MAX_RESPONSE_BYTES],
                idempotent_replayed=(response.getheader("Idempotent-Replayed") or "").lower()
                == "true",
                retry_after_s=_retry_after(response.getheader("Retry-After")),
            )
        except TransportError:
            self._drop(conn)
            raise
        except TimeoutError:
            self._drop(conn)
            raise TransportError("The upstream did not answer in time.", kind="timeout") from None
        except ssl.SSLCertVerificationError:
            self._drop(conn)
            raise TransportError(
                "The upstream's certificate failed verification.", kind="tls"
            ) from None
        except ssl.SSLError:
            self._drop(conn)
            raise TransportError("The TLS connection to the upstream failed.", kind="tls") from None
        except (OSError, http.client.HTTPException) as exc:
            self._drop(conn)
            raise TransportError(
                f"The connection to the upstream failed ({_describe(exc)}).", kind="network"
            ) from None


def _retry_after(value: str | None) -> float | None:
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


def _describe(exc: Any) -> str:
    """A short, fixed description of a connection error (no addresses, no payload)."""
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "closed without an answer"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "reset"
    if isinstance(exc, http.client.HTTPException):
        return "malformed answer"
    return type(exc).__name__
