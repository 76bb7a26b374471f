"""Shared material for the sync tests, the outage evaluation and the benchmark.

Every case queued here is built from one of :data:`IDENTITIES`, real
:class:`kiosk.case.CaseResult` objects whose document reading holds the
identity's names, document number and date of birth, and whose evidence holds
JPEG bytes, so the privacy test has personal data to look for on the wire.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kiosk.case import CaseResult, EvidenceImage, MatchSummary
from kiosk.policy import SitePolicy, load_policy
from kiosk.store import CaseDecision, CaseRecord, EvidenceItem, EvidenceKind, Store
from kiosk.sync.config import SyncSettings
from kiosk.sync.payload import payload_for_case
from kiosk.sync.receiver import ReceiverOptions, build_receiver
from kiosk.sync.server import ReceiverServer, ServerOptions
from kiosk.sync.signing import Secret
from pipeline.decision import (
    CaseSignals,
    Decision,
    DocumentSignals,
    FaceSignals,
    LivenessSignals,
    Outcome,
    Reason,
    ScreeningSignals,
    Severity,
)
from pipeline.document.mrz_format import MrzFormat
from pipeline.document.types import MrzField, MrzRecord, MrzResult
from pipeline.types import Timings

DEVICE_SECRET = "dev-secret-7f3a9c0e5b1d4e2f8a6c3b9d0e1f2a3b"
OTHER_SECRET = "other-secret-0000111122223333444455556666"
REFERENCE_SECRET = "site-ref-secret-a1b2c3d4e5f60718293a4b5c6d7e8f90"
SITE_ID = "branch-042"
DEVICE_ID = "kiosk-07"
MODEL_SHA = {"sface": "a" * 64, "yunet": "b" * 64, "face_landmarker": "c" * 64}
CASE_EPOCH = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
JPEG_MAGIC = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@dataclass(frozen=True, slots=True)
class Identity:
    """A made-up customer whose data must never reach the wire."""

    surname: str
    given_names: str
    document_number: str
    date_of_birth: dt.date
    issuing_state: str
    nationality: str


IDENTITIES: tuple[Identity, ...] = (
    Identity(
        "QUIRINDOLFSKA", "MARGARETHA ELOWEN", "L8X4Q2T7W", dt.date(1979, 11, 23), "NLD", "NLD"
    ),
    Identity("BRAXTONWHYTE", "OSWIN TEODOR", "C01X00T47", dt.date(1991, 2, 5), "D", "D"),
    Identity("ZELLWEGGAARD", "ANNIKEN", "P92K7M3Z5", dt.date(1964, 7, 30), "NOR", "NOR"),
    Identity("OYELARAN-PIKE", "TEMITOPE JUNE", "AB1234567", dt.date(2001, 12, 31), "GBR", "NGA"),
)


def write_secret(path: Path, value: str = DEVICE_SECRET) -> Path:
    """A secret file with mode 0600."""
    path.write_text(value + "\n")
    path.chmod(0o600)
    return path


def make_settings(url: str, **changes: Any) -> SyncSettings:
    base = SyncSettings(
        url=url,
        secret=Secret(DEVICE_SECRET.encode(), "test"),
        site_id=SITE_ID,
        device_id=DEVICE_ID,
        reference_secret=Secret(REFERENCE_SECRET.encode(), "test"),
        timeout_s=5.0,
        concurrency=4,
    )
    return replace(base, **changes)


def policy(sync_fields: tuple[str, ...] = ()) -> SitePolicy:
    return replace(load_policy(None), sync_fields=sync_fields)


def write_policy(path: Path, sync_fields: tuple[str, ...]) -> Path:
    """The bundled site policy with ``[sync] fields`` set to ``sync_fields``."""
    from kiosk.policy import default_policy_bytes

    text = default_policy_bytes().decode("utf-8")
    line = next(x for x in text.splitlines() if x.startswith("fields = "))
    path.write_text(text.replace(line, "fields = " + json.dumps(list(sync_fields))))
    return path


def mrz_record(person: Identity) -> MrzRecord:
    names = f"{person.surname.replace('-', '<')}<<{person.given_names.replace(' ', '<')}"
    line1 = f"P<{person.issuing_state:<<3}{names}".ljust(44, "<")[:44]
    dob = person.date_of_birth.strftime("%y%m%d")
    line2 = f"{person.document_number}0{person.nationality:<<3}{dob}0F3001012<<<<<<<<<<<<<<06"
    values = {
        "document_code": "P",
        "issuing_state": person.issuing_state,
        "surname": person.surname,
        "given_names": person.given_names,
        "document_number": person.document_number,
        "nationality": person.nationality,
        "date_of_birth": person.date_of_birth.isoformat(),
        "sex": "F",
        "expiry_date": "2030-01-01",
    }
    fields = tuple(MrzField(n, v, v, 0.97, True) for n, v in values.items())
    return MrzRecord(
        format=MrzFormat.TD3,
        lines=(line1, line2[:44]),
        fields=fields,
        checks=(),
        valid=True,
        confidence=0.97,
        date_of_birth=person.date_of_birth,
        expiry_date=dt.date(2030, 1, 1),
        age_years=30,
        expired=False,
        engines=(),
    )


@dataclass(frozen=True, slots=True)
class Reading:
    """The part of a document reading the sync code looks at (``.mrz``)."""

    mrz: MrzResult


def case_result(
    person: Identity | None,
    rng: random.Random,
    *,
    site_policy: SitePolicy | None = None,
    outcome: Outcome = Outcome.APPROVED,
) -> CaseResult:
    """A finished case for ``person`` (None: the document could not be read)."""
    pol = site_policy or policy()
    reasons = (
        ()
        if outcome is Outcome.APPROVED
        else (Reason("face_mismatch", "The face does not match.", Severity.REVIEW, 1.0),)
    )
    decision = Decision(outcome, reasons, 1.0 if reasons else 0.0, "test", "1", pol.content_hash)
    reading = (
        Reading(MrzResult(True, mrz_record(person), 0, None, Timings()))
        if person is not None
        else None
    )
    doc = (
        DocumentSignals(True, True, True, "TD3", "P", False, 30, names_trusted=True)
        if person
        else DocumentSignals(False, error_code="document_unreadable")
    )
    similarity = round(rng.uniform(0.2, 0.9), 4)
    return CaseResult(
        case_id=uuid.UUID(int=rng.getrandbits(128), version=4).hex,
        created_at=CASE_EPOCH + dt.timedelta(seconds=rng.uniform(0, 86_400)),
        decision=decision,
        signals=CaseSignals(
            doc,
            FaceSignals(True, similarity, 0.36, "sface"),
            LivenessSignals(True, "pass", 0.8),
            ScreeningSignals(False, error_code="no_list"),
        ),
        document=reading,
        match=MatchSummary(similarity, 0.36, similarity >= 0.36, "sface", 5),
        liveness=None,
        screening=None,
        models=tuple(sorted(MODEL_SHA.items())),
        timings=Timings(
            (("document_read", rng.uniform(300, 900)), ("selfie_embed", rng.uniform(20, 60)))
        ),
        wall_ms=2500.0,
        evidence=(EvidenceImage("selfie_frame", JPEG_MAGIC + rng.randbytes(2000), "image/jpeg"),),
    )


def store_record(result: CaseResult) -> CaseRecord:
    """The store's record of a case: its JSON holds the personal data (encrypted at rest)."""
    record = result.document.mrz.record if result.document is not None else None
    case_json = json.dumps(
        {
            "case_id": result.case_id,
            "mrz_lines": list(record.lines) if record else [],
            "fields": {f.name: f.value for f in record.fields} if record else {},
        }
    ).encode()
    return CaseRecord(
        case_id=result.case_id,
        created_at=result.created_at,
        decision=CaseDecision(result.decision.outcome.value),
        reasons=result.decision.reason_codes,
        policy_hash=result.decision.policy_hash,
        model_hashes=result.models,
        case_json=case_json,
        timings=result.timings,
        evidence=tuple(
            EvidenceItem(EvidenceKind(e.kind), e.data, e.media_type) for e in result.evidence
        ),
    )


def queue_cases(
    store: Store,
    count: int,
    settings: SyncSettings,
    rng: random.Random,
    *,
    site_policy: SitePolicy | None = None,
    with_evidence: bool = True,
) -> list[str]:
    """Save ``count`` cases with their outbox payloads, as ``kiosk verify --store`` does.

    ``with_evidence=False`` stores the cases without their images (faster; the
    payload is the same, it never holds them).
    """
    pol = site_policy or policy()
    ids = []
    for i in range(count):
        person = IDENTITIES[i % len(IDENTITIES)] if i % 7 else None
        result = case_result(person, rng, site_policy=pol)
        payload = payload_for_case(result, pol, settings).to_json_bytes()
        record = store_record(result)
        if not with_evidence:
            record = replace(record, evidence=())
        store.save_case(record, outbox_payload=payload, actor="kiosk")
        ids.append(result.case_id)
    return ids


class SimClock:
    """An injected scheduling clock: ``now()`` moves only when told."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime.now(dt.UTC)
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)


class RunningReceiver:
    """The reference receiver in this process, restartable on the same port."""

    def __init__(
        self,
        db: Path | None,
        secret_file: Path,
        *,
        dsn: str | None = None,
        port: int = 0,
        options: ReceiverOptions | None = None,
        server_options: ServerOptions | None = None,
        ed25519_public_key_file: Path | None = None,
        clock: Any = None,
    ) -> None:
        self.db = db
        self.dsn = dsn
        self.secret_file = secret_file
        self._options = options
        self._server_options = server_options or ServerOptions()
        self._ed25519 = ed25519_public_key_file
        self._clock = clock
        self.server: ReceiverServer | None = None
        self.port = port
        self.start()

    def start(self) -> None:
        kwargs: dict[str, Any] = {"clock": self._clock} if self._clock is not None else {}
        receiver = build_receiver(
            secret_file=self.secret_file,
            db=self.db,
            dsn=self.dsn,
            ed25519_public_key_file=self._ed25519,
            options=self._options,
            **kwargs,
        )
        self.server = ReceiverServer(
            receiver, replace(self._server_options, port=self.port)
        ).start()
        self.port = self.server.port

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def __enter__(self) -> RunningReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def receiver_rows(db: Path | None) -> list[tuple[str, bytes, int]]:
    """``(idempotency key, body, deliveries)`` of every stored decision, read with plain sqlite3."""
    import sqlite3

    assert db is not None
    conn = sqlite3.connect(str(db))
    try:
        return [
            (k, bytes(b), int(n))
            for k, b, n in conn.execute(
                "SELECT idempotency_key, body, deliveries FROM decisions ORDER BY rowid"
            )
        ]
    finally:
        conn.close()


def outbox_payloads(store: Store) -> Iterator[tuple[str | None, bytes]]:
    """Every undelivered outbox payload (case id, bytes)."""
    from kiosk.sync.sender import PARKED_AT

    pending = store.outbox.stats().pending
    for item in store.outbox.due(now=PARKED_AT, limit=max(pending, 1)):
        yield item.case_id, item.payload
