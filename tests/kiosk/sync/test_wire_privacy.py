"""The privacy promise, checked on the wire: every request the sender made during this
test session (recorded by the session-wide tap in ``conftest.py``; this module runs
last) is held against the allow-list and scanned for personal and biometric data.

Checked for each request:

* request line and headers: ``POST /v1/decisions`` and only the documented headers;
* body: passes the strict schema reader; every key is in the schema; no extra
  field marked personal (no test here names one in a site policy);
* no name, document number, date of birth (ISO, MRZ ``YYMMDD``, ``DD.MM.YYYY``,
  ``YYYYMMDD``, ``DDMMYYYY``) or MRZ line of any test identity, in the body or
  the headers, in any letter case;
* no JPEG/PNG bytes, raw or base64 (``/9j/``, ``iVBORw0KGgo``), no base64 run of
  80+ characters outside the Ed25519 signature header, no string longer than
  128 characters, and no JSON array holding a number (embeddings and landmarks
  are arrays of floats).

The scanner is tested against leaky requests first, so it can fail.
"""

from __future__ import annotations

import base64
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from kiosk.store import Store
from kiosk.sync.payload import EXTRA_FIELDS, KEYS, parse_payload, payload_for_case
from kiosk.sync.sender import Sender
from tests.kiosk.store import helpers as store_helpers
from tests.kiosk.sync.helpers import (
    IDENTITIES,
    JPEG_MAGIC,
    RunningReceiver,
    case_result,
    make_settings,
    policy,
    queue_cases,
)
from tests.kiosk.sync.wiretap import WireLog, WireRequest, parse_stream

ALLOWED_HEADERS = {
    "host",
    "accept-encoding",
    "content-length",
    "content-type",
    "user-agent",
    "x-kiosk-signature",
    "x-kiosk-device",
    "x-kiosk-ed25519",
    "idempotency-key",
}
PERSONAL_EXTRAS = {spec.name for spec in EXTRA_FIELDS if spec.personal}
NON_PERSONAL_EXTRAS = tuple(spec.name for spec in EXTRA_FIELDS if not spec.personal)
BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{80,}={0,2}")
IMAGE_MARKERS = (b"\xff\xd8\xff", b"\x89PNG", b"JFIF", b"/9j/", b"iVBORw0KGgo", b"Exif")


def forbidden_text() -> list[tuple[str, re.Pattern[bytes]]]:
    """Patterns of every test identity's personal data."""
    patterns: list[tuple[str, re.Pattern[bytes]]] = []

    def literal(label: str, text: str) -> None:
        patterns.append((label, re.compile(re.escape(text.encode()), re.IGNORECASE)))

    def digits(label: str, text: str) -> None:
        # short numbers only where no hex digit is adjacent (hashes are hex)
        patterns.append(
            (label, re.compile(rb"(?<![0-9a-fA-F])" + text.encode() + rb"(?![0-9a-fA-F])"))
        )

    people = [
        (p.surname, p.given_names, p.document_number, p.date_of_birth.isoformat())
        for p in IDENTITIES
    ] + [
        (
            store_helpers.KNOWN_SURNAME,
            store_helpers.KNOWN_GIVEN,
            store_helpers.KNOWN_DOCNUM,
            "1984-03-07",
        )
    ]
    for surname, given, number, dob in people:
        literal("surname", surname)
        for part in re.split(r"[\s<-]+", f"{surname} {given}"):
            if len(part) >= 4:
                literal("name", part)
        literal("document number", number)
        year, month, day = dob.split("-")
        literal("date of birth", dob)
        literal("date of birth", f"{day}.{month}.{year}")
        literal("date of birth", f"{day}/{month}/{year}")
        digits("date of birth", f"{year}{month}{day}")
        digits("date of birth", f"{day}{month}{year}")
        digits("date of birth (MRZ)", f"{year[2:]}{month}{day}")
    for person in IDENTITIES:
        literal("MRZ", f"P<{person.issuing_state}")
    return patterns


def findings(request: WireRequest) -> list[str]:
    """Everything wrong with one request (empty when it is clean)."""
    problems: list[str] = []
    if request.request_line != "POST /v1/decisions HTTP/1.1":
        problems.append(f"request line {request.request_line[:60]!r}")
    for name, _ in request.headers:
        if name.lower() not in ALLOWED_HEADERS:
            problems.append(f"header {name}")
    try:
        parse_payload(request.body)
    except Exception as exc:
        problems.append(f"body outside the schema: {exc}")
    try:
        body = json.loads(request.body)
    except ValueError:
        body = None
    if isinstance(body, dict):
        if set(body) != KEYS:
            problems.append("keys outside the schema")
        extras = body.get("extra") if isinstance(body.get("extra"), dict) else {}
        for name in set(extras) & PERSONAL_EXTRAS:
            problems.append(f"personal extra field {name}")
        problems += _json_findings(body, "$")
    signature = (request.header("X-Kiosk-Ed25519") or "").encode()
    scanned = request.raw.replace(signature, b"") if signature else request.raw
    for label, pattern in forbidden_text():
        if pattern.search(scanned):
            problems.append(label)
    for marker in IMAGE_MARKERS:
        if marker in scanned:
            problems.append(f"image marker {marker!r}")
    if BASE64_RUN.search(scanned):
        problems.append("long base64 run")
    if signature and len(base64.b64decode(signature)) != 64:
        problems.append("Ed25519 header is not a 64-byte signature")
    return problems


def _json_findings(value: Any, path: str) -> list[str]:
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _json_findings(item, f"{path}.{key}")
    elif isinstance(value, list):
        if any(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            out.append(f"numeric array at {path}")
        for item in value:
            out += _json_findings(item, f"{path}[]")
    elif isinstance(value, str) and len(value) > 128:
        out.append(f"long string at {path}")
    return out


# ---- the scanner can fail -----------------------------------------------------------


def _request(body: bytes, extra_headers: str = "") -> WireRequest:
    raw = (
        f"POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{extra_headers}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    return parse_stream(raw)[0]


def _clean_body() -> bytes:
    result = case_result(IDENTITIES[0], random.Random(1))
    settings = make_settings("http://127.0.0.1:1")
    return payload_for_case(result, policy(), settings).to_json_bytes()


def test_the_scanner_passes_a_clean_request() -> None:
    assert findings(_request(_clean_body())) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda raw: {**raw, "extra": {"surname": "QUIRINDOLFSKA"}}, "personal extra field"),
        (lambda raw: {**raw, "site_id": "L8X4Q2T7W"}, "document number"),
        (lambda raw: {**raw, "device_id": "x791123x"}, "date of birth (MRZ)"),
        (lambda raw: {**raw, "reason_codes": ["dob_1979-11-23"]}, "date of birth"),
        (lambda raw: {**raw, "embedding": [0.12, -0.3, 0.5]}, "numeric array"),
        (
            lambda raw: {**raw, "photo": base64.b64encode(JPEG_MAGIC + b"x" * 90).decode()},
            "image marker",
        ),
        (lambda raw: {**raw, "blob": "QUJD" * 30}, "long base64 run"),
        (lambda raw: {**raw, "note": "elowen"}, "name"),
    ],
)
def test_the_scanner_flags_leaks(edit: Any, expected: str) -> None:
    raw = json.loads(_clean_body())
    leaky = json.dumps(edit(raw)).encode()
    problems = findings(_request(leaky))
    assert any(p.startswith(expected) for p in problems), problems


def test_the_scanner_flags_leaky_headers() -> None:
    problems = findings(_request(_clean_body(), "X-Customer: Quirindolfska\r\n"))
    assert "header X-Customer" in problems and "surname" in problems


# ---- logs --------------------------------------------------------------------------------


def test_sync_logs_hold_no_personal_data_and_no_secrets(
    store: Store,
    tmp_path: Path,
    secret_file: Path,
    rng: random.Random,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from kiosk.sync.signing import Secret
    from tests.kiosk.sync.helpers import DEVICE_SECRET, REFERENCE_SECRET

    caplog.set_level(logging.DEBUG, logger="kiosk")
    with RunningReceiver(tmp_path / "logs.db", secret_file) as running:
        settings = make_settings(running.url, concurrency=2)
        queue_cases(store, 8, settings, rng)
        broken = make_settings(running.url, secret=Secret(b"w" * 40))
        with Sender(store, broken) as sender:  # rejected signatures get logged too
            sender.drain()
        with Sender(store, settings) as sender:
            assert sender.drain(ignore_backoff=True).delivered == 8
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "receiver: POST /v1/decisions status=200" in text  # the access log was captured
    assert "status=401 code=bad_signature" in text
    leaks = [label for label, pattern in forbidden_text() if pattern.search(text.encode())]
    assert leaks == []
    assert DEVICE_SECRET not in text and REFERENCE_SECRET not in text and "w" * 40 not in text


# ---- the session's wire traffic --------------------------------------------------------


def test_every_request_the_sender_made_in_this_session_is_clean(
    store: Store, tmp_path: Path, secret_file: Path, wire_log: WireLog, rng: random.Random
) -> None:
    # this module's own traffic: every identity, with the non-personal extras allowed
    with RunningReceiver(tmp_path / "privacy.db", secret_file) as running:
        settings = make_settings(running.url)
        queue_cases(store, 12, settings, rng)
        queue_cases(store, 12, settings, rng, site_policy=policy(NON_PERSONAL_EXTRAS))
        with Sender(store, settings) as sender:
            assert sender.drain().delivered == 24
    requests = wire_log.requests()
    assert len(requests) >= 24
    problems = {i: p for i, r in enumerate(requests) if (p := findings(r))}
    assert problems == {}, f"{len(problems)} of {len(requests)} requests leak: {problems}"
    print(f"checked {len(requests)} requests, {wire_log.byte_count()} bytes on the wire")
