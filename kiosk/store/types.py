"""Typed records the store accepts and the results it returns.

Times are timezone-aware ``datetime`` values in UTC. Bytes that may hold
personal data (case JSON, evidence, review notes) are excluded from
``repr`` so they cannot leak into a log line by accident.
"""

from __future__ import annotations

import enum
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.store.errors import InvalidRecord
from pipeline.types import Timings

CASE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$")
REASON_RE = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")
SHA256_HEX_RE = re.compile(r"^[0-9a-f]{64}$")
MODEL_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MEDIA_TYPE_RE = re.compile(r"^[a-z]+/[a-z0-9][a-z0-9.+-]{0,63}$")
ACTOR_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$")
PURPOSE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_EVIDENCE_BYTES = 32 * 1024 * 1024
MAX_CASE_JSON_BYTES = 4 * 1024 * 1024
MAX_NOTE_CHARS = 4000


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(at: datetime) -> int:
    """Microseconds since the UNIX epoch of an aware datetime (the database's time unit)."""
    delta = at.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def at_us(value: int) -> datetime:
    """The aware UTC datetime of :func:`to_us` microseconds."""
    return _EPOCH + timedelta(microseconds=value)


def from_us(value: int | None) -> datetime | None:
    return None if value is None else at_us(value)


def new_case_id() -> str:
    """A fresh random case id (UUID4, 122 random bits); carries no personal data."""
    return str(uuid.uuid4())


def iso(at: datetime | None) -> str | None:
    """``at`` as ISO 8601 UTC with microseconds and a ``Z``, or None."""
    if at is None:
        return None
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_fields(obj: Any) -> dict[str, Any]:
    """A dataclass's fields for JSON, with datetimes as ISO strings."""
    return {
        f.name: iso(v) if isinstance(v := getattr(obj, f.name), datetime) else v
        for f in fields(obj)
        if f.repr
    }


def check_actor(actor: str) -> str:
    """``actor`` if it is a staff or system identifier (no spaces, <= 64 characters).

    Raises:
        InvalidRecord: anything else (a free-text name would put personal data in the audit).
    """
    if not isinstance(actor, str) or not ACTOR_RE.match(actor):
        raise InvalidRecord(
            "The actor must be an identifier of 1-64 letters, digits or _.:@- "
            "(a staff id, not a name)."
        )
    return actor


def check_aware(at: datetime, what: str) -> datetime:
    """``at`` converted to UTC.

    Raises:
        InvalidRecord: a naive datetime.
    """
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidRecord(f"{what} must be a timezone-aware datetime.")
    return at.astimezone(UTC)


class CaseDecision(enum.StrEnum):
    """The outcome of a verification case (and of a staff review)."""

    APPROVED = "approved"
    MANUAL_REVIEW = "manual_review"
    REJECTED = "rejected"


class EvidenceKind(enum.StrEnum):
    """What an evidence blob shows. Stored by value; the value is authenticated with the blob."""

    DOCUMENT_IMAGE = "document_image"
    DOCUMENT_BACK_IMAGE = "document_back_image"
    SELFIE_FRAME = "selfie_frame"
    PORTRAIT_CROP = "portrait_crop"
    FACE_CROP = "face_crop"


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One evidence blob handed to (or returned by) the store.

    Attributes:
        kind: what the image shows.
        data: the encoded bytes (e.g. JPEG); encrypted before they touch the disk.
        media_type: IANA media type of ``data``, e.g. ``image/jpeg``.
    """

    kind: EvidenceKind
    data: bytes = field(repr=False)
    media_type: str

    def __post_init__(self) -> None:
        if not isinstance(self.kind, EvidenceKind):
            raise InvalidRecord("Evidence kind must be an EvidenceKind.")
        if not isinstance(self.data, bytes) or not self.data:
            raise InvalidRecord("Evidence data must be non-empty bytes.")
        if len(self.data) > MAX_EVIDENCE_BYTES:
            raise InvalidRecord(f"An evidence blob is limited to {MAX_EVIDENCE_BYTES} bytes.")
        if not MEDIA_TYPE_RE.match(self.media_type):
            raise InvalidRecord("Evidence media type must look like 'image/jpeg'.")


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A finished verification case, as the orchestrator hands it to the store.

    Attributes:
        case_id: random identifier (see :func:`new_case_id`); 8-64 of ``[A-Za-z0-9_-]``.
        created_at: when the case started, timezone-aware.
        decision: the automated decision.
        reasons: reason codes in the order the policy produced them (``[a-z0-9_.:-]``).
        policy_hash: sha256 (64 lowercase hex) of the site policy that decided.
        model_hashes: ``(model name, sha256 hex)`` pairs of the models that ran.
        case_json: the full case as UTF-8 JSON; holds personal data, so it is
            stored only inside the encrypted database.
        timings: wall-clock milliseconds per stage.
        evidence: images in capture order; encrypted into blob files.
    """

    case_id: str
    created_at: datetime
    decision: CaseDecision
    reasons: tuple[str, ...]
    policy_hash: str
    model_hashes: tuple[tuple[str, str], ...]
    case_json: bytes = field(repr=False)
    timings: Timings = field(default_factory=Timings)
    evidence: tuple[EvidenceItem, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.case_id, str) or not CASE_ID_RE.match(self.case_id):
            raise InvalidRecord("A case id must be 8-64 characters of A-Z, a-z, 0-9, _ or -.")
        check_aware(self.created_at, "created_at")
        if not isinstance(self.decision, CaseDecision):
            raise InvalidRecord("decision must be a CaseDecision.")
        for reason in self.reasons:
            if not isinstance(reason, str) or not REASON_RE.match(reason):
                raise InvalidRecord("Reason codes must match [a-z0-9][a-z0-9_.:-]{0,63}.")
        if not SHA256_HEX_RE.match(self.policy_hash):
            raise InvalidRecord("policy_hash must be 64 lowercase hex digits (sha256).")
        for pair in self.model_hashes:
            if (
                len(pair) != 2
                or not MODEL_NAME_RE.match(pair[0])
                or not SHA256_HEX_RE.match(pair[1])
            ):
                raise InvalidRecord("model_hashes must be (name, sha256 hex) pairs.")
        if not isinstance(self.case_json, bytes) or len(self.case_json) > MAX_CASE_JSON_BYTES:
            raise InvalidRecord(f"case_json must be bytes of at most {MAX_CASE_JSON_BYTES}.")
        try:
            json.loads(self.case_json.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise InvalidRecord("case_json must be UTF-8 JSON.") from None
        if not isinstance(self.timings, Timings):
            raise InvalidRecord("timings must be a pipeline.types.Timings.")
        for item in self.evidence:
            if not isinstance(item, EvidenceItem):
                raise InvalidRecord("evidence must hold EvidenceItem values.")

    @property
    def created_at_utc(self) -> datetime:
        return self.created_at.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class SavedCase:
    """What :meth:`Store.save_case` committed.

    Attributes:
        case_id: the case.
        blob_ids: one per evidence item, in the record's order.
        audit_seq: sequence number of the ``case.saved`` audit entry.
        outbox_id: the outbox row written in the same transaction, if any.
        evidence_bytes: plaintext bytes of evidence stored.
    """

    case_id: str
    blob_ids: tuple[str, ...]
    audit_seq: int
    outbox_id: int | None
    evidence_bytes: int


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """An evidence blob's metadata (no content). ``size`` is the plaintext size in bytes."""

    blob_id: str
    seq: int
    kind: EvidenceKind
    media_type: str
    size: int


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """A staff decision on a case. ``note`` may hold personal data: keep it out of logs."""

    review_id: int
    case_id: str
    decided_at: datetime
    actor: str
    decision: CaseDecision
    note: str = field(repr=False)
    audit_seq: int

    def to_json(self) -> Mapping[str, Any]:
        return {**_json_fields(self), "note": self.note}


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One line of ``kiosk case list``: no personal data.

    Attributes:
        final_decision: the latest staff review's decision, else the automated one.
        evidence_count: evidence blobs still held (0 after purge).
    """

    case_id: str
    created_at: datetime
    decision: CaseDecision
    final_decision: CaseDecision
    reasons: tuple[str, ...]
    evidence_count: int
    evidence_purged: bool
    case_data_purged: bool

    def to_json(self) -> Mapping[str, Any]:
        return _json_fields(self)


@dataclass(frozen=True, slots=True)
class StoredCase:
    """A case as read back from the store.

    Attributes:
        case_json: None once retention purged the case data.
        evidence: metadata of the blobs still held (empty once purged); read
            the content with :meth:`Store.load_evidence`.
        reviews: staff reviews, oldest first.
    """

    case_id: str
    created_at: datetime
    decision: CaseDecision
    final_decision: CaseDecision
    reasons: tuple[str, ...]
    policy_hash: str
    model_hashes: tuple[tuple[str, str], ...]
    timings: Timings
    case_json: bytes | None = field(repr=False)
    evidence: tuple[EvidenceRef, ...]
    reviews: tuple[ReviewRecord, ...]
    evidence_purged_at: datetime | None
    case_data_purged_at: datetime | None

    def case_data(self) -> Any:
        """The parsed case JSON, or None when purged."""
        return None if self.case_json is None else json.loads(self.case_json.decode("utf-8"))

    def to_json(self) -> Mapping[str, Any]:
        return {**_json_fields(self), "case_data": self.case_data()}


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A message waiting for upstream delivery. ``payload`` is opaque to the store."""

    outbox_id: int
    case_id: str | None
    created_at: datetime
    payload: bytes = field(repr=False)
    attempts: int
    next_attempt_at: datetime
    last_error: str | None

    def to_json(self) -> Mapping[str, Any]:
        return {**_json_fields(self), "payload_bytes": len(self.payload)}


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """Queue health for the status screen.

    Attributes:
        pending: undelivered rows.
        delivered: delivered rows not yet removed by retention.
        oldest_pending_at: creation time of the oldest undelivered row.
        last_success_at: the last ``mark_delivered``.
        last_error: the message of the last ``mark_failed`` (truncated).
    """

    pending: int
    delivered: int
    oldest_pending_at: datetime | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None

    def to_json(self) -> Mapping[str, Any]:
        return _json_fields(self)


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long each kind of data stays, counted from the case's ``created_at``.

    Defaults, and why:

    * ``evidence`` 30 days: images and biometric crops are the most sensitive
      data (GDPR art. 9); they serve staff review and disputes only.
      Purging destroys the per-case key (crypto-shredding) and deletes the files.
    * ``case_data`` 5 years (1826 days): the case JSON holds the document
      fields, the customer-due-diligence record that AML rules (e.g. EU
      2015/849 art. 40) require for five years. Shorten it where the site's
      rules allow; it erases the personal data but keeps the decision row.
    * ``decision`` 5 years (1826 days): the decision, reasons and hashes; after
      it the whole case row goes. Its audit entries stay (they hold no personal data).
    * ``delivered_outbox`` 30 days: delivered sync messages kept for diagnosis.
      Undelivered ones go at the ``case_data`` cutoff (they may carry personal
      fields), each counted and audited as lost; so no case is deleted with a
      message still queued.
    * ``review_hold`` 90 days: evidence of a case still waiting for staff review
      outlives ``evidence`` until then (a reviewer must see what the automated
      decision saw), but no longer, and never past ``case_data``: a queue nobody
      works does not keep biometric images for years.

    Raises:
        InvalidRecord: negative durations, or ``evidence <= case_data <= decision`` broken.
    """

    evidence: timedelta = timedelta(days=30)
    case_data: timedelta = timedelta(days=1826)
    decision: timedelta = timedelta(days=1826)
    delivered_outbox: timedelta = timedelta(days=30)
    review_hold: timedelta = timedelta(days=90)

    def __post_init__(self) -> None:
        spans = (
            self.evidence,
            self.case_data,
            self.decision,
            self.delivered_outbox,
            self.review_hold,
        )
        if any(span < timedelta(0) for span in spans):
            raise InvalidRecord("Retention periods must not be negative.")
        if not self.evidence <= self.case_data <= self.decision:
            raise InvalidRecord("Retention must satisfy evidence <= case_data <= decision.")

    def to_json(self) -> Mapping[str, Any]:
        return {f.name: getattr(self, f.name).total_seconds() / 86400 for f in fields(self)}


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What a purge removed (or, with ``dry_run``, would remove).

    Attributes:
        evidence_purged: cases whose per-case key was destroyed and blobs deleted.
        review_hold_expired: those of them still waiting for staff review (the
            review hold ended before anyone decided).
        case_data_purged: cases whose case JSON and review notes were erased.
        cases_deleted: cases removed entirely (an audit entry remains).
        blob_files: evidence files deleted.
        blob_bytes: plaintext bytes of that evidence.
        outbox_deleted: delivered outbox rows removed (past their period or with their case).
        outbox_dropped: undelivered messages removed at the case-data cutoff: never
            delivered, each audited as ``outbox.dropped``.
        wal_truncated: whether the closing WAL checkpoint emptied the WAL (purged
            pages linger in it otherwise); None when nothing was purged.
        duration_ms: wall-clock time of the purge.
    """

    now: datetime
    dry_run: bool
    evidence_purged: tuple[str, ...]
    review_hold_expired: tuple[str, ...]
    case_data_purged: tuple[str, ...]
    cases_deleted: tuple[str, ...]
    blob_files: int
    blob_bytes: int
    outbox_deleted: int
    outbox_dropped: int
    wal_truncated: bool | None
    duration_ms: float

    def to_json(self) -> Mapping[str, Any]:
        return _json_fields(self)


@dataclass(frozen=True, slots=True)
class KeyRotation:
    """Result of :meth:`Store.rotate_master_key` (or of finishing an interrupted one).

    Key ids are public fingerprints (HKDF of the key), never key material.
    """

    old_key_id: str
    new_key_id: str
    wrapped_keys: int
    resumed: bool
    keyring_updated: bool
    duration_ms: float


@dataclass(frozen=True, slots=True)
class PassphraseChange:
    """Result of :meth:`Store.change_passphrase`."""

    kek_generation: int
    kdf_time_cost: int
    kdf_memory_kib: int
    kdf_parallelism: int


@dataclass(frozen=True, slots=True)
class StoreStatus:
    """Counts and key facts of an open store (no secrets, no personal data)."""

    store_dir: str
    install_id: str
    schema_version: int
    master_key_id: str
    device_key_fingerprint: str
    kek_generation: int
    kdf_time_cost: int
    kdf_memory_kib: int
    kdf_parallelism: int
    cases: int
    evidence_blobs: int
    audit_entries: int
    outbox: OutboxStats
    retention: RetentionPolicy
    keyring_remembered: bool
