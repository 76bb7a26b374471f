"""The app's handle on the encrypted store and on upstream sync (Qt-free).

Every method blocks; the UI calls them through ``Op(..., lane=Lane.STORE)`` (sync
checks on ``Lane.NETWORK``). Evidence is decrypted in memory for the review screen
and never written anywhere.
"""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk.errors import KioskError, StoreError

log = logging.getLogger("ui.store")

ACTOR = "kiosk"


@dataclass(frozen=True, slots=True)
class EvidenceImage:
    """One decrypted evidence image: kind (document_image, portrait_crop, selfie_frame)."""

    kind: str
    data: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class CaseDetail:
    """A case for review: the stored record, its parsed case JSON and its evidence."""

    stored: Any  # kiosk.store.StoredCase
    case_data: Any
    evidence: tuple[EvidenceImage, ...]
    evidence_note: str  # why there is no evidence ("" when there is)


@dataclass(frozen=True, slots=True)
class SyncView:
    """Upstream sync as the console shows it.

    Attributes:
        configured: a receiver URL is set.
        online: the receiver's host answered a TCP connect just now (None: not checked).
        queue_length: decisions waiting to be sent.
        rejected: decisions the receiver refused for good.
        last_success_at, last_error_at, last_error: from the outbox.
        endpoint: where decisions go.
        problem: a configuration problem, if any.
    """

    configured: bool
    online: bool | None
    queue_length: int
    rejected: int
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    endpoint: str | None
    problem: str = ""


class KioskStore:
    """Opens the store once and keeps it open while the app runs."""

    def __init__(self, *, policy_path: Path | None = None) -> None:
        self._store: Any = None
        self._lock = threading.Lock()
        self.policy_path = policy_path
        self._sender: Any = None

    @property
    def available(self) -> bool:
        with self._lock:
            return self._store is not None

    def open(self) -> Any:
        """Open with the installation's credential (passphrase file, keyring).

        Raises:
            StoreLocked, StoreNotInitialized, StoreBusy, ...: see ``kiosk.persist.open_store``.
        """
        from kiosk.persist import open_store

        store = open_store(passphrase_only=False)
        return self._adopt(store)

    def open_with_passphrase(self, passphrase: str) -> Any:
        """Open with a passphrase typed in the staff console.

        Raises:
            WrongPassphrase, UnlockThrottled: the passphrase did not unlock it.
        """
        from kiosk.config import kiosk_paths
        from kiosk.store import Passphrase, Store

        store = Store.open(kiosk_paths().data_dir, Passphrase(passphrase))
        return self._adopt(store)

    def _adopt(self, store: Any) -> Any:
        with self._lock:
            old, self._store = self._store, store
        if old is not None:
            old.close()
        self._start_sender(store)
        return store.status()

    def _require(self) -> Any:
        with self._lock:
            if self._store is None:
                raise StoreError("The local store is not open.", hint="unlock it in the console")
            return self._store

    def save_case(self, result: Any) -> Any:
        """Store the case, its evidence, the decision and (when sync is set up) the outbox
        message, in one transaction. A broken sync configuration never stops the save: the
        message is queued as a draft (see ``kiosk.sync.queueing``)."""
        from kiosk.cli.verify_cmd import case_payload
        from kiosk.jsonout import dumps
        from kiosk.persist import case_record
        from kiosk.sync.queueing import plan_outbox

        store = self._require()
        case_json = dumps(case_payload(result), indent=None).encode("utf-8")
        outbox = plan_outbox(result, self.policy_path).outbox_bytes
        saved = store.save_case(case_record(result, case_json), outbox_payload=outbox, actor=ACTOR)
        if outbox is not None and self._sender is not None:
            self._sender.poke()
        return saved

    def review_queue(self, limit: int = 200) -> tuple[Any, ...]:
        """Cases decided ``manual_review`` that no one has reviewed yet, newest first."""
        from kiosk.store import CaseDecision

        store = self._require()
        cases = store.list_cases(limit=limit, decision=CaseDecision.MANUAL_REVIEW)
        return tuple(c for c in cases if c.final_decision is CaseDecision.MANUAL_REVIEW)

    def case_detail(self, case_id: str, actor: str) -> CaseDetail:
        """The case with its evidence decrypted in memory; ``actor``'s read is audited."""
        from kiosk.store.errors import EvidencePurged

        store = self._require()
        stored = store.get_case(case_id, actor=actor, purpose="review")
        note = ""
        evidence: tuple[EvidenceImage, ...] = ()
        try:
            items = (
                store.load_evidence(case_id, actor=actor, purpose="review")
                if stored.evidence
                else ()
            )
            evidence = tuple(EvidenceImage(i.kind.value, i.data, i.media_type) for i in items)
            if not items:
                note = "no_evidence"
        except EvidencePurged:
            note = "evidence_purged"
        return CaseDetail(stored, stored.case_data(), evidence, note)

    def set_review(self, case_id: str, decision: str, note: str, actor: str) -> Any:
        """Record a staff decision (audited by the store; the note stays encrypted)."""
        from kiosk.store import CaseDecision

        return self._require().set_review(case_id, CaseDecision(decision), note, actor)

    def status(self) -> Any:
        return self._require().status()

    def sync_view(self, *, probe: bool = True) -> SyncView:
        """Sync configuration, queue and whether the receiver answers (a 3 s TCP probe)."""
        from kiosk.sync.config import load_sync_settings
        from kiosk.sync.sender import sync_status

        try:
            settings = load_sync_settings()
        except KioskError as exc:
            return SyncView(True, None, 0, 0, None, None, None, None, problem=exc.code)
        store = self._store
        if store is None:
            return SyncView(
                settings is not None,
                None,
                0,
                0,
                None,
                None,
                None,
                settings.endpoint if settings else None,
                problem="store_locked",
            )
        status = sync_status(store, settings)
        online = _reachable(settings.endpoint) if (probe and settings is not None) else None
        return SyncView(
            status.configured,
            online,
            status.queue_length,
            status.rejected,
            status.last_success_at,
            status.last_error_at,
            status.last_error,
            status.endpoint,
        )

    def _start_sender(self, store: Any) -> None:
        from kiosk.sync.config import load_sync_settings
        from kiosk.sync.sender import Sender, SenderThread

        if self._sender is not None:
            self._sender.stop(5.0)
            self._sender = None
        try:
            settings = load_sync_settings()
        except KioskError as exc:
            log.warning("sync settings invalid: %s", exc.code)
            return
        if settings is None:
            return
        thread = SenderThread(Sender(store, settings, policy_path=self.policy_path))
        thread.start()
        self._sender = thread

    def close(self) -> None:
        if self._sender is not None:
            self._sender.stop(5.0)
            self._sender = None
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()


def _reachable(endpoint: str, timeout_s: float = 3.0) -> bool:
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout_s):
            return True
    except OSError:
        return False
