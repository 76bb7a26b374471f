"""Save a finished case in the encrypted store: case JSON, evidence, decision, audit entry
and (when sync is configured) the outbox row, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.config import kiosk_paths

if TYPE_CHECKING:
    from kiosk.case import CaseResult
    from kiosk.store import Store

ACTOR = "kiosk"


@dataclass(frozen=True, slots=True)
class StoredSummary:
    """What ``kiosk verify --store`` reports: the stored case id and evidence count."""

    case_id: str
    evidence: int
    outbox: bool


def open_store(*, passphrase_only: bool = False) -> Store:
    """Open the installation's store with the first available credential.

    Raises:
        StoreLocked, NoCredential, ConfigError: see :mod:`kiosk.store.unlock`.
    """
    from kiosk.store import Store, read_store_keyfile
    from kiosk.store.unlock import resolve_credential

    data_dir = kiosk_paths().data_dir
    keyfile = read_store_keyfile(data_dir)
    credential = resolve_credential(keyfile.install_id, allow_keyring=not passphrase_only)
    return Store.open(data_dir, credential, retention=retention_policy())


def retention_policy() -> Any:
    """The store's retention periods from the config file."""
    from datetime import timedelta

    from kiosk.config import load_config
    from kiosk.store import RetentionPolicy

    c = load_config()
    return RetentionPolicy(
        evidence=timedelta(days=c.evidence_days),
        case_data=timedelta(days=c.case_data_days),
        decision=timedelta(days=c.decision_days),
        delivered_outbox=timedelta(days=c.delivered_outbox_days),
        review_hold=timedelta(days=c.review_hold_days),
    )


def case_record(result: CaseResult, case_json: bytes) -> Any:
    """The store's record of a case."""
    from kiosk.store import CaseDecision, CaseRecord, EvidenceItem, EvidenceKind

    return CaseRecord(
        case_id=result.case_id,
        created_at=result.created_at,
        decision=CaseDecision(result.decision.outcome.value),
        reasons=result.decision.reason_codes,
        policy_hash=result.decision.policy_hash,
        model_hashes=tuple((n, h) for n, h in result.models if h),
        case_json=case_json,
        timings=result.timings,
        evidence=tuple(
            EvidenceItem(EvidenceKind(e.kind), e.data, e.media_type) for e in result.evidence
        ),
    )


def store_case(
    result: CaseResult, case_json: bytes, outbox_payload: bytes | None = None
) -> StoredSummary:
    """Save the case; the evidence is encrypted before it touches the disk."""
    record = case_record(result, case_json)
    with open_store() as store:
        saved = store.save_case(record, outbox_payload=outbox_payload, actor=ACTOR)
    return StoredSummary(saved.case_id, len(record.evidence), outbox_payload is not None)
