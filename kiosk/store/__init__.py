"""The encrypted local store: SQLCipher database, AES-GCM evidence, retention, audit chain.

Importing this package loads neither SQLCipher nor the crypto libraries;
they are imported when a store is created or opened.

Typical use by the orchestrator::

    from kiosk.store import CaseRecord, EvidenceItem, EvidenceKind, Passphrase, Store

    with Store.open(data_dir, Passphrase(secret)) as store:
        store.save_case(record, outbox_payload=payload, actor="kiosk")

See :mod:`kiosk.store.keys` for the key hierarchy and the crash-safety of
key rotation, :mod:`kiosk.store.audit` for the audit chain.
"""

from __future__ import annotations

from kiosk.store.audit import (
    AuditAction,
    AuditEntry,
    AuditProblem,
    AuditVerifyReport,
    BundleReport,
    ChainHead,
    read_bundle_head,
    verify_bundle,
)
from kiosk.store.keys import BackoffPolicy, Credential, KdfParams, Passphrase, RememberedKey
from kiosk.store.outbox import Outbox
from kiosk.store.retention import PurgeSchedule
from kiosk.store.store import (
    ROTATION_STEPS,
    AuditExport,
    Store,
    StorePaths,
    is_initialized,
    read_backoff,
    read_store_keyfile,
)
from kiosk.store.types import (
    CaseDecision,
    CaseRecord,
    CaseSummary,
    EvidenceItem,
    EvidenceKind,
    EvidenceRef,
    KeyRotation,
    OutboxItem,
    OutboxStats,
    PassphraseChange,
    PurgeReport,
    RetentionPolicy,
    ReviewRecord,
    SavedCase,
    StoredCase,
    StoreStatus,
    new_case_id,
    utc_now,
)

__all__ = [
    "ROTATION_STEPS",
    "AuditAction",
    "AuditEntry",
    "AuditExport",
    "AuditProblem",
    "AuditVerifyReport",
    "BackoffPolicy",
    "BundleReport",
    "CaseDecision",
    "CaseRecord",
    "CaseSummary",
    "ChainHead",
    "Credential",
    "EvidenceItem",
    "EvidenceKind",
    "EvidenceRef",
    "KdfParams",
    "KeyRotation",
    "Outbox",
    "OutboxItem",
    "OutboxStats",
    "Passphrase",
    "PassphraseChange",
    "PurgeReport",
    "PurgeSchedule",
    "RememberedKey",
    "RetentionPolicy",
    "ReviewRecord",
    "SavedCase",
    "Store",
    "StorePaths",
    "StoreStatus",
    "StoredCase",
    "is_initialized",
    "new_case_id",
    "read_backoff",
    "read_bundle_head",
    "read_store_keyfile",
    "utc_now",
    "verify_bundle",
]
