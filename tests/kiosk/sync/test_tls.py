"""HTTPS to the receiver with a self-signed certificate made at test time: pinning by
certificate or SPKI sha256, a CA file, and refusal before any byte of a payload is sent."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import ipaddress
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.store import Store
from kiosk.sync.sender import Sender, sync_status
from kiosk.sync.server import ServerOptions
from tests.kiosk.sync.helpers import RunningReceiver, make_settings, queue_cases, receiver_rows
from tests.kiosk.sync.wiretap import WireLog


@dataclasses.dataclass(frozen=True)
class Cert:
    cert: Path
    key: Path
    cert_sha256: str
    spki_sha256: str


def make_cert(directory: Path, name: str = "receiver") -> Cert:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiosk test receiver")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Cert(
        cert_path,
        key_path,
        hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest(),
        hashlib.sha256(spki).hexdigest(),
    )


@pytest.fixture
def tls_receiver(tmp_path: Path, secret_file: Path) -> Iterator[tuple[RunningReceiver, Cert]]:
    cert = make_cert(tmp_path)
    options = ServerOptions(tls_cert=cert.cert, tls_key=cert.key)
    with RunningReceiver(tmp_path / "tls.db", secret_file, server_options=options) as running:
        assert running.url.startswith("https://127.0.0.1:")
        yield running, cert


@pytest.mark.parametrize("pin", ["cert", "spki"])
def test_a_pinned_certificate_is_accepted(
    tls_receiver: tuple[RunningReceiver, Cert], store: Store, rng: random.Random, pin: str
) -> None:
    running, cert = tls_receiver
    pins = (cert.cert_sha256 if pin == "cert" else cert.spki_sha256,)
    settings = make_settings(running.url, pins=pins)
    ids = queue_cases(store, 5, settings, rng)
    with Sender(store, settings) as sender:
        assert sender.drain().delivered == 5
    assert sorted(k for k, _, _ in receiver_rows(running.db)) == sorted(ids)


def test_a_wrong_pin_sends_nothing(
    tls_receiver: tuple[RunningReceiver, Cert],
    store: Store,
    rng: random.Random,
    wire_log: WireLog,
    tmp_path: Path,
) -> None:
    running, _ = tls_receiver
    other = make_cert(tmp_path, "impostor")
    settings = make_settings(running.url, pins=(other.cert_sha256, other.spki_sha256))
    queue_cases(store, 3, settings, rng)
    before = wire_log.byte_count()
    with Sender(store, settings) as sender:
        report = sender.drain()
    assert (report.delivered, report.halted) == (0, "tls_pin")
    assert wire_log.byte_count() == before  # refused after the handshake, before the request
    assert receiver_rows(running.db) == []
    status = sync_status(store, settings)
    assert status.queue_length == 3 and (status.last_error or "").startswith("tls_pin:")


def test_a_ca_file_with_host_name_check(
    tls_receiver: tuple[RunningReceiver, Cert], store: Store, rng: random.Random
) -> None:
    running, cert = tls_receiver
    settings = make_settings(running.url, ca_file=cert.cert)
    queue_cases(store, 2, settings, rng)
    with Sender(store, settings) as sender:
        assert sender.drain().delivered == 2
    # the same CA, but the certificate is for 127.0.0.1, not "localhost"
    by_name = make_settings(running.url.replace("127.0.0.1", "localhost"), ca_file=cert.cert)
    queue_cases(store, 1, by_name, rng)
    with Sender(store, by_name) as sender:
        assert sender.drain().halted == "tls"


def test_an_untrusted_certificate_is_refused(
    tls_receiver: tuple[RunningReceiver, Cert], store: Store, rng: random.Random
) -> None:
    running, _ = tls_receiver
    settings = make_settings(running.url)  # system CAs only
    queue_cases(store, 2, settings, rng)
    with Sender(store, settings) as sender:
        report = sender.drain()
    assert (report.delivered, report.halted) == (0, "tls")
    assert receiver_rows(running.db) == []
