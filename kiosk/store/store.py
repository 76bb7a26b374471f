"""The encrypted local store: one SQLCipher database, encrypted blob files, one writer thread.

Files under ``<data dir>/store/``::

    keyfile.json        salt, Argon2id parameters, wrapped master key (see kiosk.store.keys)
    kiosk.db(-wal,-shm) SQLCipher 4 (AES-256-CBC + HMAC-SHA512 per page), WAL mode
    blobs/<case>/<blob>.kev   AES-256-GCM evidence (see kiosk.store.blobs)
    unlock_state.json   failed-unlock counter (not secret)
    store.lock          flock: one process at a time

Every database call runs on the store's single worker thread, which owns the
connection; public methods block until their call has run there (or use
:meth:`Store.submit_save_case` for a future). ``synchronous=FULL`` makes each
commit durable before it returns; ``secure_delete`` overwrites deleted rows
so destroyed case keys do not linger in free pages, and purges end with a
truncating WAL checkpoint; ``temp_store=MEMORY`` keeps SQLite's temporary
tables off the disk; ``cipher_memory_security`` makes SQLCipher wipe and lock
its buffers.

After every commit that appended audit entries the chain head is anchored in
the keyfile (see :mod:`kiosk.store.audit`); the anchor is written after the
commit, so it may lag the database by the last write but is never ahead.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from kiosk.store import audit as audit_mod
from kiosk.store.audit import (
    AuditAction,
    AuditEntry,
    AuditProblem,
    AuditVerifyReport,
    ChainHead,
    StoredEntry,
)
from kiosk.store.blobs import BlobDirectory, decrypt_blob, encrypt_blob, new_blob_id
from kiosk.store.errors import (
    CaseExists,
    CaseNotFound,
    EvidencePurged,
    EvidenceTampered,
    InvalidRecord,
    KeyfileCorrupt,
    KeyMismatch,
    StoreClosed,
    StoreError,
    StoreExists,
    StoreLocked,
    StoreNotInitialized,
    UnlockThrottled,
    WrongPassphrase,
)
from kiosk.store.fsutil import (
    FILE_MODE,
    ProcessLock,
    atomic_write,
    ensure_dir,
    remove_stale_temporaries,
)
from kiosk.store.keys import (
    KEY_BYTES,
    AuditAnchor,
    BackoffPolicy,
    Credential,
    KdfParams,
    Keyfile,
    MasterKey,
    Passphrase,
    RememberedKey,
    UnlockState,
    aad,
    check_kdf_strength,
    check_new_passphrase,
    derive_kek,
    open_sealed,
    read_keyfile,
    read_unlock_state,
    seal,
    unwrap_master,
    wall_clock,
    wrap_master,
    write_keyfile,
    write_unlock_state,
)
from kiosk.store.outbox import Outbox
from kiosk.store.schema import migrate, schema_version
from kiosk.store.types import (
    MAX_NOTE_CHARS,
    PURPOSE_RE,
    CaseDecision,
    CaseRecord,
    CaseSummary,
    EvidenceItem,
    EvidenceKind,
    EvidenceRef,
    KeyRotation,
    PassphraseChange,
    PurgeReport,
    RetentionPolicy,
    ReviewRecord,
    SavedCase,
    StoredCase,
    StoreStatus,
    at_us,
    check_actor,
    check_aware,
    from_us,
    iso,
    to_us,
    utc_now,
)
from pipeline.types import Timings

log = logging.getLogger("kiosk.store")

P = ParamSpec("P")
T = TypeVar("T")

STORE_DIRNAME = "store"
ROTATION_STEPS = (
    "pending_written",
    "keys_rewrapped",
    "db_rekeyed",
    "checkpointed",
    "keyfile_final",
)
_AUDIT_KEY = "audit_mac"
_DEVICE_KEY = "device_signing"
# A truncating checkpoint waits for readers of older snapshots; bounded so a purge
# stuck behind a foreign reader reports it instead of hanging for long.
_CHECKPOINT_ATTEMPTS = 4
_CHECKPOINT_BUSY_MS = 500
_BUSY_TIMEOUT_MS = 10_000

Clock = Callable[[], datetime]
StepHook = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class StorePaths:
    """Where one store keeps its files (all under ``root``)."""

    root: Path

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> StorePaths:
        return cls(Path(data_dir).expanduser().absolute() / STORE_DIRNAME)

    @property
    def keyfile(self) -> Path:
        return self.root / "keyfile.json"

    @property
    def database(self) -> Path:
        return self.root / "kiosk.db"

    @property
    def blobs(self) -> Path:
        return self.root / "blobs"

    @property
    def unlock_state(self) -> Path:
        return self.root / "unlock_state.json"

    @property
    def lock(self) -> Path:
        return self.root / "store.lock"


@dataclass(frozen=True, slots=True)
class AuditExport:
    """A written audit bundle: where, how many entries, its head and signing key fingerprint."""

    path: Path
    entries: int
    head: ChainHead
    device_key_fingerprint: str


def is_initialized(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds a store's keyfile (without opening anything)."""
    return StorePaths.for_data_dir(data_dir).keyfile.is_file()


def read_store_keyfile(data_dir: Path) -> Keyfile:
    """The keyfile of the store in ``data_dir`` (public facts only; no unlock).

    Raises:
        StoreNotInitialized: no keyfile.
        KeyfileCorrupt: unreadable.
    """
    try:
        return read_keyfile(StorePaths.for_data_dir(data_dir).keyfile)
    except FileNotFoundError:
        raise StoreNotInitialized(hint="run: kiosk store init") from None


def read_backoff(data_dir: Path) -> UnlockState:
    """The persisted failed-unlock counter of the store in ``data_dir``."""
    return read_unlock_state(StorePaths.for_data_dir(data_dir).unlock_state)


def _connect(path: Path, key: MasterKey) -> Any | None:
    """A keyed, configured connection, or None when ``key`` does not decrypt ``path``."""
    import sqlcipher3

    conn = sqlcipher3.connect(str(path), isolation_level=None, timeout=10.0)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is expected during recovery
        conn.execute("PRAGMA cipher_memory_security = ON")
        conn.execute(f"PRAGMA key = {key.sqlcipher_pragma_value()}")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError:
            conn.close()
            return None
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError("The store database could not switch to WAL mode.")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn
    except BaseException:
        conn.close()
        raise


class Store:
    """The kiosk's encrypted store. Create with :meth:`create`, open with :meth:`open`.

    Thread-safe: every call is executed on the store's own worker thread.
    Use as a context manager or call :meth:`close`.
    """

    def __init__(
        self,
        paths: StorePaths,
        keyfile: Keyfile,
        lock: ProcessLock,
        *,
        clock: Clock,
        retention: RetentionPolicy,
    ) -> None:
        self.paths = paths
        self.retention = retention
        self._keyfile = keyfile
        self._lock = lock
        self._clock = clock
        self._blobs = BlobDirectory(paths.blobs)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-store")
        self._writer_ident: int | None = None
        # Guards _closed and submissions to the executor: close() flips _closed under it,
        # so every call either runs before the connection closes or gets StoreClosed.
        self._state_lock = threading.Lock()
        self._closed = False
        self._conn: Any = None
        self._master: MasterKey | None = None
        self._db_key: MasterKey | None = None
        self._kek: bytes | None = None
        self._wrap_keys: dict[str, bytes] = {}
        self._audit_key = b""
        self._device_key = b""
        self._genesis = audit_mod.genesis_hash(keyfile.install_id)
        self._anchoring = False  # whether commits move the keyfile's audit anchor
        self._anchor_due: ChainHead | None = None  # head appended by the open transaction
        self._keyfile_on_disk = True  # False while create() has not written the keyfile yet
        self.outbox = Outbox(self)

    # --- lifecycle -------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        data_dir: Path,
        passphrase: str,
        *,
        kdf: KdfParams | None = None,
        actor: str = "operator",
        clock: Clock = utc_now,
        retention: RetentionPolicy | None = None,
    ) -> Store:
        """Initialise a new store in ``data_dir`` and return it open.

        Generates the install id, the master key, the audit MAC key and the
        Ed25519 device key; the keyfile is written last, so a crash before it
        leaves no half-made store that could be opened.

        Args:
            data_dir: the kiosk data directory (the store lives in ``store/`` inside).
            passphrase: the operator passphrase (at least 10 characters).
            kdf: Argon2id parameters; the defaults of :class:`KdfParams` otherwise.
                Parameters below OWASP's minimum are refused unless they come from
                :meth:`KdfParams.insecure_for_tests`.
            actor: who initialises (audit).

        Raises:
            StoreExists: a store, or the remains of an unfinished init, is there.
            KdfTooWeak: ``kdf`` below the minimum.
            InvalidRecord: passphrase too short or bad actor.
        """
        check_new_passphrase(passphrase)
        check_actor(actor)
        check_kdf_strength(kdf or KdfParams())
        paths = StorePaths.for_data_dir(data_dir)
        if paths.keyfile.exists():
            raise StoreExists(hint=f"the store in {paths.root} is already initialised")
        ensure_dir(paths.root)
        lock = ProcessLock(paths.lock)
        lock.acquire()
        try:
            if paths.keyfile.exists():
                raise StoreExists(hint=f"the store in {paths.root} is already initialised")
            if paths.database.exists() or any(paths.blobs.glob("*")):
                raise StoreExists(
                    "An earlier 'kiosk store init' did not finish; its files cannot be decrypted.",
                    hint=f"remove {paths.root} and run init again",
                )
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            install_id = os.urandom(16).hex()
            params = (kdf or KdfParams()).fresh_salt()
            kek = derive_kek(passphrase, params)
            master = MasterKey.generate(install_id)
            device = Ed25519PrivateKey.generate()
            device_raw = device.private_bytes_raw()
            public = device.public_key().public_bytes_raw()
            now = iso(clock()) or ""
            keyfile = Keyfile(
                install_id=install_id,
                kdf=params,
                kek_generation=1,
                master=wrap_master(master, kek, install_id, 1),
                pending=None,
                device_public_key=public,
                created_at=now,
                updated_at=now,
            )
            store = cls(paths, keyfile, lock, clock=clock, retention=retention or RetentionPolicy())
            store._keyfile_on_disk = False
        except BaseException:
            lock.release()
            raise
        try:
            store._call(store._initialize, master, kek, device_raw, public, actor)
            write_keyfile(paths.keyfile, store._keyfile)  # with the first audit anchor
            store._keyfile_on_disk = True
        except BaseException:
            store.close()
            raise
        log.info("store initialised (install %s, key %s)", install_id, master.key_id)
        return store

    @classmethod
    def open(
        cls,
        data_dir: Path,
        credential: Credential,
        *,
        clock: Clock = utc_now,
        retention: RetentionPolicy | None = None,
        backoff: BackoffPolicy | None = None,
        wall: Callable[[], float] = wall_clock,
    ) -> Store:
        """Unlock and open the store in ``data_dir``.

        A passphrase is checked against the keyfile before anything else is
        touched: a wrong one raises :class:`WrongPassphrase` and changes no
        store file except the failed-attempt counter; after repeated failures
        attempts are refused early with :class:`UnlockThrottled`. A successful
        unlock resets the counter, applies pending schema migrations, finishes
        an interrupted key rotation and removes orphaned blob files.

        Raises:
            StoreNotInitialized: no keyfile.
            StoreBusy: another process has the store open.
            WrongPassphrase, UnlockThrottled, StoreLocked: not unlocked.
            KeyMismatch: the key opens no database here.
            SchemaTooNew: written by a newer kiosk.
        """
        paths = StorePaths.for_data_dir(data_dir)
        if not paths.keyfile.exists():
            raise StoreNotInitialized(hint="run: kiosk store init")
        lock = ProcessLock(paths.lock)
        lock.acquire()
        try:
            keyfile = read_store_keyfile(data_dir)
            master, pending, kek = _unlock(paths, keyfile, credential, backoff, wall)
            if not paths.database.exists():
                raise StoreError(
                    "The store database is missing.", hint=f"restore {paths.database} from backup"
                )
            store = cls(paths, keyfile, lock, clock=clock, retention=retention or RetentionPolicy())
        except BaseException:
            lock.release()
            raise
        try:
            store._kek = kek
            store._call(store._start, master, pending)
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        """Checkpoint and close the database, stop the worker, release the lock. Idempotent.

        Calls already submitted finish first; calls made from now on, from any
        thread, raise :class:`StoreClosed`.
        """
        with self._state_lock:
            if self._closed:
                return
            self._closed = True
            closing = self._executor.submit(self._close_connection)
        with contextlib.suppress(Exception):
            closing.result()
        self._executor.shutdown(wait=True)
        self._lock.release()
        self._master = self._db_key = None
        self._kek = None
        self._wrap_keys = {}
        self._audit_key = self._device_key = b""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def install_id(self) -> str:
        return self._keyfile.install_id

    @property
    def master_key_id(self) -> str:
        assert self._master is not None
        return self._master.key_id

    @property
    def kdf(self) -> KdfParams:
        """The Argon2id parameters of the current passphrase (salt included)."""
        return self._keyfile.kdf

    @property
    def device_public_key(self) -> bytes:
        return self._keyfile.device_public_key

    # --- cases -----------------------------------------------------------------------

    def save_case(
        self, record: CaseRecord, *, outbox_payload: bytes | None = None, actor: str
    ) -> SavedCase:
        """Store a case: blobs first (fsynced), then one transaction with the case,
        its wrapped data key, evidence rows, the audit entry and the outbox row.

        Args:
            record: the case.
            outbox_payload: opaque bytes for upstream sync, queued atomically with the case.
            actor: who or what decided (``kiosk``, a staff id): no names.

        Raises:
            CaseExists: the id is taken. InvalidRecord: a bad argument.
        """
        _check_save(record, outbox_payload, actor)
        return self._call(self._save_case, record, outbox_payload, actor)

    def submit_save_case(
        self, record: CaseRecord, *, outbox_payload: bytes | None = None, actor: str
    ) -> Future[SavedCase]:
        """:meth:`save_case` without waiting: the future resolves on the writer thread."""
        _check_save(record, outbox_payload, actor)
        with self._state_lock:
            self._check_open()
            return self._executor.submit(self._save_case, record, outbox_payload, actor)

    def get_case(
        self, case_id: str, *, actor: str | None = None, purpose: str = "view"
    ) -> StoredCase:
        """A case's metadata, case JSON (unless purged), evidence list and reviews.

        Args:
            case_id: the case.
            actor: the staff member reading it: a ``case.viewed`` audit entry (actor,
                case id, purpose; no personal data) is committed before the case is
                returned. None only for the kiosk's own machinery, never for people.
            purpose: why it is read, a short code (``view``, ``report``, ``html_report``).

        Raises:
            CaseNotFound: no such case (or it was purged entirely).
        """
        _check_viewer(actor, purpose)
        return self._call(self._viewed, self._get_case, case_id, actor, "case", purpose)

    def list_cases(
        self, *, limit: int = 100, offset: int = 0, decision: CaseDecision | None = None
    ) -> tuple[CaseSummary, ...]:
        """Cases, newest first (no personal data in the summaries)."""
        return self._call(self._list_cases, limit, offset, decision)

    def load_evidence(
        self, case_id: str, *, actor: str | None = None, purpose: str = "view"
    ) -> tuple[EvidenceItem, ...]:
        """Decrypt a case's evidence in memory, in capture order.

        Args:
            case_id: the case.
            actor, purpose: as for :meth:`get_case`: with an actor the read is audited.

        Raises:
            CaseNotFound: no such case. EvidencePurged: retention removed it.
            EvidenceTampered: a blob file was modified (EvidenceMissing: removed).
        """
        _check_viewer(actor, purpose)
        return self._call(
            self._viewed, self._load_evidence_all, case_id, actor, "evidence", purpose
        )

    def read_evidence(
        self, case_id: str, blob_id: str, *, actor: str | None = None, purpose: str = "view"
    ) -> EvidenceItem:
        """Decrypt one evidence blob in memory (arguments and errors as :meth:`load_evidence`)."""
        _check_viewer(actor, purpose)

        def one(case: str) -> tuple[EvidenceItem, ...]:
            return self._load_evidence(case, blob_id)

        items = self._call(self._viewed, one, case_id, actor, "evidence", purpose)
        return items[0]

    def set_review(
        self, case_id: str, decision: CaseDecision, note: str, actor: str
    ) -> ReviewRecord:
        """Record a staff decision on a case; the note is mandatory.

        The note is kept in the encrypted database, never in the audit log (it
        may name the customer); the audit entry records who, when, and the decision.

        Raises:
            CaseNotFound: no such case. InvalidRecord: empty note, bad decision or actor.
        """
        check_actor(actor)
        if not isinstance(decision, CaseDecision):
            raise InvalidRecord("decision must be a CaseDecision.")
        if not isinstance(note, str) or not note.strip():
            raise InvalidRecord("A review needs a note saying why.")
        if len(note) > MAX_NOTE_CHARS:
            raise InvalidRecord(f"A review note is limited to {MAX_NOTE_CHARS} characters.")
        return self._call(self._set_review, case_id, decision, note.strip(), actor)

    # --- retention -------------------------------------------------------------------

    def purge(
        self, now: datetime | None = None, *, dry_run: bool = False, actor: str = "system"
    ) -> PurgeReport:
        """Apply the retention policy as of ``now`` (default: the store's clock).

        Evidence past its period: the case's data key is destroyed (crypto-
        shredding) and its blob files deleted; a case still waiting for staff
        review keeps it for ``review_hold`` (bounded by the case-data period).
        Case data past its period: the case JSON and review notes are erased,
        and the case's undelivered outbox messages (which may carry personal
        fields) are dropped, each counted and audited as ``outbox.dropped``.
        Decisions past theirs: the case row goes, with its delivered outbox
        rows (counted). Each step is audited; the WAL is checkpointed and
        truncated (``wal_truncated`` says whether that succeeded).

        Args:
            now: the reference time (aware).
            dry_run: report what would go, change nothing.
            actor: recorded in the audit entries.
        """
        check_actor(actor)
        at = check_aware(now, "now") if now is not None else self._clock()
        return self._call(self._purge, at, dry_run, actor)

    # --- audit -----------------------------------------------------------------------

    def verify_audit(self, *, anchor: ChainHead | None = None) -> AuditVerifyReport:
        """Walk the whole audit chain and cross-check the tables against it.

        Checks every entry's hash and MAC, the head in ``meta``, the head
        anchored in the keyfile (the chain may be ahead of it by a write lost
        to a crash, never behind), that every case and review row has its
        audit entry, and that ``anchor`` (the head of an exported bundle whose
        signature the caller checked) is part of the chain.
        """
        return self._call(self._verify_audit, anchor)

    def audit_entries(self, *, after_seq: int = 0, limit: int = 1000) -> tuple[AuditEntry, ...]:
        """Audit entries with ``seq > after_seq``, oldest first."""
        return self._call(self._audit_entries, after_seq, limit)

    def export_audit(self, path: Path, *, actor: str) -> AuditExport:
        """Append an ``audit.exported`` entry, then write the whole chain as a signed bundle.

        The file is written atomically; it holds no personal data.
        """
        check_actor(actor)
        return self._call(self._export_audit, Path(path), actor)

    # --- keys ------------------------------------------------------------------------

    def rotate_master_key(self, *, actor: str, on_step: StepHook | None = None) -> KeyRotation:
        """Replace the master key: re-wrap every key, re-encrypt the database, write the keyfile.

        Crash-safe at every step (see :mod:`kiosk.store.keys`). Needs the store
        to have been opened with the passphrase.

        Args:
            actor: recorded in the audit entry.
            on_step: called with each name of ``ROTATION_STEPS`` once that step is durable
                (diagnostics and crash tests).
        """
        check_actor(actor)
        if self._kek is None:
            raise StoreLocked(
                "Rotating the master key needs the passphrase.",
                hint="open the store with the passphrase, not the keyring",
            )
        return self._call(self._rotate, actor, on_step)

    def change_passphrase(
        self,
        new_passphrase: str,
        *,
        actor: str,
        kdf: KdfParams | None = None,
        on_step: StepHook | None = None,
    ) -> PassphraseChange:
        """Re-wrap the master key under a new passphrase (new salt; optionally new
        Argon2id parameters) in one atomic keyfile replacement. Data is untouched.

        Args:
            new_passphrase: at least 10 characters.
            actor: recorded in the audit entry.
            kdf: new Argon2id parameters (a fresh salt is always drawn); refused
                below OWASP's minimum (see :meth:`create`). None keeps the current ones.
            on_step: called with ``"keyfile_written"`` once the new keyfile is durable,
                before the audit entry (crash tests).

        Raises:
            StoreLocked: the store was not opened with the current passphrase.
            KdfTooWeak: ``kdf`` below the minimum.
            InvalidRecord: the new passphrase is too short.
        """
        check_actor(actor)
        check_new_passphrase(new_passphrase)
        if kdf is not None:
            check_kdf_strength(kdf)
        if self._kek is None:
            raise StoreLocked(
                "Changing the passphrase needs the current passphrase.",
                hint="open the store with the passphrase, not the keyring",
            )
        params = (kdf or self._keyfile.kdf).fresh_salt()
        new_kek = derive_kek(new_passphrase, params)
        return self._call(self._change_passphrase, params, new_kek, actor, on_step)

    def remember_in_keyring(self) -> None:
        """Keep the master key in the OS keyring so the kiosk unlocks without a passphrase.

        Raises:
            KeyringUnavailable: no OS keyring backend.
        """
        from kiosk.store.unlock import remember_master_key

        def remember() -> None:
            assert self._master is not None
            remember_master_key(self.install_id, self._master.key_id, self._master.raw)

        self._call(remember)

    def status(self) -> StoreStatus:
        """Counts and key facts (no secrets, no personal data)."""
        return self._call(self._status)

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` on the decrypted database ("ok" when sound)."""
        return self._call(self._integrity_check)

    # --- worker-thread plumbing -----------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed()

    def _call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if threading.get_ident() == self._writer_ident:
            if self._conn is None:  # only after close() has run on this thread
                raise StoreClosed()
            return fn(*args, **kwargs)
        with self._state_lock:
            self._check_open()
            future = self._executor.submit(fn, *args, **kwargs)
        return future.result()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            self._anchor_due = None
            with contextlib.suppress(Exception):
                self._conn.execute("ROLLBACK")
            raise
        self._write_anchor()

    def _write_anchor(self) -> None:
        """Move the keyfile's audit anchor to the head just committed (never backwards).

        Runs after COMMIT: a crash before it leaves the anchor behind the chain,
        which verification accepts. A failed write is logged, not raised: the
        commit stands, and the next commit (or open) moves the anchor on.
        """
        head, self._anchor_due = self._anchor_due, None
        current = self._keyfile.audit_anchor
        if head is None or not self._anchoring or (current is not None and current.seq >= head.seq):
            return
        anchored = replace(
            self._keyfile,
            audit_anchor=AuditAnchor(
                head.seq,
                head.entry_hash,
                audit_mod.anchor_mac(self._audit_key, self.install_id, head),
            ),
        )
        if self._keyfile_on_disk:
            try:
                write_keyfile(self.paths.keyfile, anchored)
            except OSError as exc:
                log.warning("audit anchor not written (%s); it lags the chain", exc.strerror)
                return
        self._keyfile = anchored

    def _checkpoint(self) -> bool:
        """``PRAGMA wal_checkpoint(TRUNCATE)``, retried briefly; True once the WAL is empty.

        It stays busy while another connection reads an older snapshot (only a
        foreign process can: the store holds the only connection of its own).
        """
        self._conn.execute(f"PRAGMA busy_timeout = {_CHECKPOINT_BUSY_MS}")
        try:
            for attempt in range(_CHECKPOINT_ATTEMPTS):
                busy = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                if not busy:
                    return True
                if attempt + 1 < _CHECKPOINT_ATTEMPTS:
                    time.sleep(0.05 * (attempt + 1))
        finally:
            self._conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        return False

    def _meta_get(self, key: str) -> bytes | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def _meta_set(self, key: str, value: bytes) -> None:
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _close_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()
            self._conn = None

    def _open_connection(self, *candidates: MasterKey | None) -> MasterKey:
        self._writer_ident = threading.get_ident()
        for key in candidates:
            if key is None:
                continue
            conn = _connect(self.paths.database, key)
            if conn is not None:
                self._conn = conn
                self._db_key = key
                with contextlib.suppress(OSError):
                    self.paths.database.chmod(FILE_MODE)
                return key
        raise KeyMismatch(hint="the database was not written with this keyfile's key")

    # --- worker-thread implementations ----------------------------------------------

    def _initialize(
        self, master: MasterKey, kek: bytes, device_raw: bytes, public: bytes, actor: str
    ) -> None:
        self._open_connection(master)
        self._master = master
        self._kek = kek
        self._wrap_keys = {master.key_id: master.wrap_key}
        schema = migrate(self._conn)
        self._audit_key = os.urandom(KEY_BYTES)
        self._device_key = device_raw
        self._anchoring = True
        kdf = self._keyfile.kdf
        with self._transaction():
            self._meta_set("install_id", self.install_id.encode())
            self._meta_set("device_public_key", public)
            self._meta_set("kek_generation", b"1")
            for purpose, secret in ((_AUDIT_KEY, self._audit_key), (_DEVICE_KEY, device_raw)):
                self._conn.execute(
                    "INSERT INTO wrapped_keys (purpose, key_id, sealed) VALUES (?, ?, ?)",
                    (purpose, master.key_id, self._seal_key(master, purpose, secret)),
                )
            self._append_audit(
                AuditAction.STORE_INITIALIZED,
                actor,
                details=(
                    ("install_id", self.install_id),
                    ("master_key_id", master.key_id),
                    ("device_key", audit_mod.key_fingerprint(public)),
                    ("kdf", f"argon2id t={kdf.time_cost} m={kdf.memory_kib} p={kdf.parallelism}"),
                    ("schema_version", schema.to_version),
                    ("audit_anchor", "keyfile"),
                ),
            )

    def _start(self, master: MasterKey, pending: MasterKey | None) -> None:
        self._open_connection(master, pending)
        self._master = master
        self._wrap_keys = {m.key_id: m.wrap_key for m in (master, pending) if m is not None}
        migration = migrate(self._conn)
        if self._meta_get("install_id") != self.install_id.encode():
            raise KeyMismatch("The database belongs to another installation.")
        self._audit_key = self._unwrap_stored_key(_AUDIT_KEY)
        self._device_key = self._unwrap_stored_key(_DEVICE_KEY)
        if audit_mod.public_key_of(self._device_key) != self.device_public_key:
            raise KeyMismatch("The device key in the database does not match the keyfile.")
        self._start_anchoring()
        if pending is not None:
            self._finish_rotation(master, pending, "system", None, resumed=True)
        if migration.migrated:
            with self._transaction():
                self._append_audit(
                    AuditAction.SCHEMA_MIGRATED,
                    "system",
                    details=(("from", migration.from_version), ("to", migration.to_version)),
                )
        self._catch_up_passphrase_audit()
        orphans = self._blobs.collect_orphans(
            row[0] for row in self._conn.execute("SELECT DISTINCT case_id FROM evidence")
        )
        stale = remove_stale_temporaries(self.paths.root)
        if orphans or stale:
            log.warning("removed %d orphaned evidence directories, %d temp files", orphans, stale)

    def _start_anchoring(self) -> None:
        """Resume moving the keyfile's audit anchor, or start it on an older store."""
        current = self._keyfile.audit_anchor
        if current is not None:
            if not self._anchor_mac_ok(current):
                # Moving a forged anchor on would launder it; verify_audit reports it.
                log.warning("the keyfile's audit anchor fails its MAC; audit verify reports it")
                return
            self._anchoring = True
            stored = self._stored_head()
            # catch up after a crash between a commit and its anchor write; only to a
            # head with a valid MAC, and only forwards
            if stored is not None and hmac.compare_digest(
                audit_mod.head_mac(self._audit_key, stored[0]), stored[1]
            ):
                self._anchor_due = stored[0]
                self._write_anchor()
            return
        if self._anchoring_declared():
            # Keyfiles are always written with their anchor once anchoring began: it
            # was removed. Healing it here would hide that; verify_audit reports it.
            log.warning("the keyfile's audit anchor is missing; kiosk audit verify reports it")
            return
        self._anchoring = True
        with self._transaction():
            self._append_audit(
                AuditAction.AUDIT_ANCHORED, "system", details=(("audit_anchor", "keyfile"),)
            )

    def _anchor_mac_ok(self, anchor: AuditAnchor) -> bool:
        head = ChainHead(anchor.seq, anchor.entry_hash)
        expected = audit_mod.anchor_mac(self._audit_key, self.install_id, head)
        return hmac.compare_digest(expected, anchor.mac)

    def _anchoring_declared(self) -> bool:
        """Whether the chain records that its head is anchored in the keyfile."""
        # store.initialized (new stores) and audit.anchored (older ones) carry this detail
        row = self._conn.execute(
            "SELECT 1 FROM audit_log WHERE instr(body, ?) > 0 LIMIT 1",
            (b'"audit_anchor":"keyfile"',),
        ).fetchone()
        return row is not None

    def _seal_key(self, master: MasterKey, purpose: str, secret: bytes) -> bytes:
        return seal(master.wrap_key, secret, aad("kiosk/wrapped/v1", purpose))

    def _unwrap_stored_key(self, purpose: str) -> bytes:
        row = self._conn.execute(
            "SELECT key_id, sealed FROM wrapped_keys WHERE purpose = ?", (purpose,)
        ).fetchone()
        if row is None:
            raise StoreError(f"The store's {purpose} key is missing.")
        wrap_key = self._wrap_keys.get(row[0])
        secret = (
            None
            if wrap_key is None
            else open_sealed(wrap_key, bytes(row[1]), aad("kiosk/wrapped/v1", purpose))
        )
        if secret is None:
            raise KeyMismatch(f"The store's {purpose} key does not unwrap.")
        return secret

    def _case_dek(self, case_id: str) -> bytes:
        row = self._conn.execute(
            "SELECT key_id, sealed FROM case_keys WHERE case_id = ?", (case_id,)
        ).fetchone()
        if row is None:
            raise EvidencePurged(
                f"The evidence of case {case_id} was purged; its key is destroyed."
            )
        wrap_key = self._wrap_keys.get(row[0])
        dek = (
            None
            if wrap_key is None
            else open_sealed(wrap_key, bytes(row[1]), aad("kiosk/dek/v1", case_id))
        )
        if dek is None:
            raise EvidenceTampered(f"The data key of case {case_id} failed its integrity check.")
        return dek

    def _append_audit(
        self,
        action: AuditAction,
        actor: str,
        *,
        case_id: str | None = None,
        decision: str | None = None,
        policy_hash: str | None = None,
        model_hashes: Sequence[tuple[str, str]] = (),
        details: Sequence[tuple[str, str | int]] = (),
    ) -> int:
        """Append one chained, MACed entry and move the head; call inside a transaction."""
        last = self._conn.execute(
            "SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        seq, prev = (1, self._genesis) if last is None else (last[0] + 1, bytes(last[1]))
        body = audit_mod.make_body(
            seq=seq,
            at=iso(self._clock()) or "",
            actor=actor,
            action=action,
            case_id=case_id,
            decision=decision,
            policy_hash=policy_hash,
            model_hashes=model_hashes,
            details=details,
        )
        entry_hash = audit_mod.chain_hash(prev, body)
        self._conn.execute(
            "INSERT INTO audit_log (seq, body, entry_hash, mac) VALUES (?, ?, ?, ?)",
            (seq, body, entry_hash, audit_mod.entry_mac(self._audit_key, entry_hash)),
        )
        head = ChainHead(seq, entry_hash.hex())
        self._meta_set("audit_head", audit_mod.canonical_json([head.seq, head.entry_hash]))
        self._meta_set("audit_head_mac", audit_mod.head_mac(self._audit_key, head))
        self._anchor_due = head  # anchored in the keyfile once the transaction commits
        return seq

    def _save_case(self, record: CaseRecord, payload: bytes | None, actor: str) -> SavedCase:
        assert self._master is not None
        master = self._master
        case_id = record.case_id
        if self._conn.execute("SELECT 1 FROM cases WHERE case_id = ?", (case_id,)).fetchone():
            raise CaseExists(f"Case {case_id} is already stored.")
        now = self._clock()
        dek = os.urandom(KEY_BYTES)
        blob_ids = tuple(new_blob_id() for _ in record.evidence)
        files = [
            (
                blob_id,
                encrypt_blob(
                    dek,
                    item.data,
                    case_id=case_id,
                    kind=item.kind.value,
                    blob_id=blob_id,
                    media_type=item.media_type,
                ),
            )
            for blob_id, item in zip(blob_ids, record.evidence, strict=True)
        ]
        self._blobs.write_case(case_id, files)
        try:
            with self._transaction():
                self._conn.execute(
                    "INSERT INTO cases (case_id, created_at_us, saved_at_us, decision, "
                    "final_decision, reasons, policy_hash, model_hashes, timings, case_json) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        case_id,
                        to_us(record.created_at),
                        to_us(now),
                        record.decision.value,
                        record.decision.value,
                        json.dumps(list(record.reasons)),
                        record.policy_hash,
                        json.dumps([list(p) for p in record.model_hashes]),
                        json.dumps([[name, ms] for name, ms in record.timings.stages]),
                        record.case_json,
                    ),
                )
                self._conn.execute(
                    "INSERT INTO case_keys (case_id, key_id, sealed) VALUES (?, ?, ?)",
                    (
                        case_id,
                        master.key_id,
                        seal(master.wrap_key, dek, aad("kiosk/dek/v1", case_id)),
                    ),
                )
                self._conn.executemany(
                    "INSERT INTO evidence (blob_id, case_id, seq, kind, media_type, size) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (blob_id, case_id, seq, item.kind.value, item.media_type, len(item.data))
                        for seq, (blob_id, item) in enumerate(
                            zip(blob_ids, record.evidence, strict=True)
                        )
                    ],
                )
                outbox_id = None
                if payload is not None:
                    cursor = self._conn.execute(
                        "INSERT INTO outbox (case_id, created_at_us, payload, next_attempt_at_us) "
                        "VALUES (?, ?, ?, ?)",
                        (case_id, to_us(now), payload, to_us(now)),
                    )
                    outbox_id = int(cursor.lastrowid)
                audit_seq = self._append_audit(
                    AuditAction.CASE_SAVED,
                    actor,
                    case_id=case_id,
                    decision=record.decision.value,
                    policy_hash=record.policy_hash,
                    model_hashes=record.model_hashes,
                    details=(("evidence", len(record.evidence)),),
                )
        except BaseException:
            with contextlib.suppress(OSError):
                self._blobs.delete_case(case_id)
            raise
        return SavedCase(
            case_id, blob_ids, audit_seq, outbox_id, sum(len(i.data) for i in record.evidence)
        )

    def _get_case(self, case_id: str) -> StoredCase:
        row = self._conn.execute(
            "SELECT case_id, created_at_us, decision, final_decision, reasons, policy_hash, "
            "model_hashes, timings, case_json, evidence_purged_at_us, case_data_purged_at_us "
            "FROM cases WHERE case_id = ?",
            (case_id,),
        ).fetchone()
        if row is None:
            raise CaseNotFound(f"No case {case_id!r} in the store.")
        evidence = tuple(
            EvidenceRef(r[0], r[1], EvidenceKind(r[2]), r[3], r[4])
            for r in self._conn.execute(
                "SELECT blob_id, seq, kind, media_type, size FROM evidence "
                "WHERE case_id = ? ORDER BY seq",
                (case_id,),
            )
        )
        reviews = tuple(
            ReviewRecord(r[0], case_id, at_us(r[1]), r[2], CaseDecision(r[3]), r[4] or "", r[5])
            for r in self._conn.execute(
                "SELECT review_id, decided_at_us, actor, decision, note, audit_seq FROM reviews "
                "WHERE case_id = ? ORDER BY review_id",
                (case_id,),
            )
        )
        return StoredCase(
            case_id=row[0],
            created_at=at_us(row[1]),
            decision=CaseDecision(row[2]),
            final_decision=CaseDecision(row[3]),
            reasons=tuple(json.loads(row[4])),
            policy_hash=row[5],
            model_hashes=tuple((str(n), str(h)) for n, h in json.loads(row[6])),
            timings=Timings(tuple((str(n), float(ms)) for n, ms in json.loads(row[7]))),
            case_json=None if row[8] is None else bytes(row[8]),
            evidence=evidence,
            reviews=reviews,
            evidence_purged_at=from_us(row[9]),
            case_data_purged_at=from_us(row[10]),
        )

    def _list_cases(
        self, limit: int, offset: int, decision: CaseDecision | None
    ) -> tuple[CaseSummary, ...]:
        where, params = (
            ("", ()) if decision is None else ("WHERE c.final_decision = ?", (decision.value,))
        )
        rows = self._conn.execute(
            "SELECT c.case_id, c.created_at_us, c.decision, c.final_decision, c.reasons, "
            "(SELECT count(*) FROM evidence e WHERE e.case_id = c.case_id), "
            "c.evidence_purged_at_us, c.case_data_purged_at_us "
            f"FROM cases c {where} ORDER BY c.created_at_us DESC, c.case_id LIMIT ? OFFSET ?",
            (*params, max(0, int(limit)), max(0, int(offset))),
        ).fetchall()
        return tuple(
            CaseSummary(
                case_id=r[0],
                created_at=at_us(r[1]),
                decision=CaseDecision(r[2]),
                final_decision=CaseDecision(r[3]),
                reasons=tuple(json.loads(r[4])),
                evidence_count=r[5],
                evidence_purged=r[6] is not None,
                case_data_purged=r[7] is not None,
            )
            for r in rows
        )

    def _viewed(
        self,
        read: Callable[[str], T],
        case_id: str,
        actor: str | None,
        what: str,
        purpose: str,
    ) -> T:
        """``read(case_id)``, then (for a person) the ``case.viewed`` entry, committed
        before anything is returned: no audit entry, no personal data."""
        result = read(case_id)
        if actor is not None:
            with self._transaction():
                self._append_audit(
                    AuditAction.CASE_VIEWED,
                    actor,
                    case_id=case_id,
                    details=(("data", what), ("purpose", purpose)),
                )
        return result

    def _load_evidence_all(self, case_id: str) -> tuple[EvidenceItem, ...]:
        return self._load_evidence(case_id, None)

    def _load_evidence(self, case_id: str, only_blob: str | None) -> tuple[EvidenceItem, ...]:
        row = self._conn.execute(
            "SELECT evidence_purged_at_us FROM cases WHERE case_id = ?", (case_id,)
        ).fetchone()
        if row is None:
            raise CaseNotFound(f"No case {case_id!r} in the store.")
        if row[0] is not None:
            raise EvidencePurged(
                f"The evidence of case {case_id} was purged; its key is destroyed."
            )
        refs = self._conn.execute(
            "SELECT blob_id, kind, media_type, size FROM evidence WHERE case_id = ? ORDER BY seq",
            (case_id,),
        ).fetchall()
        if only_blob is not None:
            refs = [r for r in refs if r[0] == only_blob]
            if not refs:
                raise CaseNotFound(f"Case {case_id} has no evidence blob {only_blob!r}.")
        if not refs:
            return ()
        dek = self._case_dek(case_id)
        items = []
        for blob_id, kind, media_type, size in refs:
            plain = decrypt_blob(
                dek,
                self._blobs.read(case_id, blob_id),
                case_id=case_id,
                kind=kind,
                blob_id=blob_id,
                media_type=media_type,
            )
            if len(plain) != size:
                raise EvidenceTampered(f"Evidence blob {blob_id} of case {case_id} changed size.")
            items.append(EvidenceItem(EvidenceKind(kind), plain, media_type))
        return tuple(items)

    def _set_review(
        self, case_id: str, decision: CaseDecision, note: str, actor: str
    ) -> ReviewRecord:
        now = self._clock()
        with self._transaction():
            row = self._conn.execute(
                "SELECT final_decision FROM cases WHERE case_id = ?", (case_id,)
            ).fetchone()
            if row is None:
                raise CaseNotFound(f"No case {case_id!r} in the store.")
            audit_seq = self._append_audit(
                AuditAction.CASE_REVIEWED,
                actor,
                case_id=case_id,
                decision=decision.value,
                details=(("previous_decision", row[0]),),
            )
            cursor = self._conn.execute(
                "INSERT INTO reviews (case_id, decided_at_us, actor, decision, note, audit_seq) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (case_id, to_us(now), actor, decision.value, note, audit_seq),
            )
            self._conn.execute(
                "UPDATE cases SET final_decision = ? WHERE case_id = ?", (decision.value, case_id)
            )
        return ReviewRecord(int(cursor.lastrowid), case_id, now, actor, decision, note, audit_seq)

    def _purge(self, now: datetime, dry_run: bool, actor: str) -> PurgeReport:
        started = time.perf_counter()
        policy = self.retention
        now_us = to_us(now)
        decision_cut = to_us(now - policy.decision)
        data_cut = to_us(now - policy.case_data)
        outbox_cut = to_us(now - policy.delivered_outbox)

        deleted = tuple(
            r[0]
            for r in self._conn.execute(
                "SELECT case_id FROM cases WHERE created_at_us <= ? ORDER BY created_at_us",
                (decision_cut,),
            )
        )
        # Evidence of a case still waiting for staff review is kept for the review hold
        # (a reviewer must see what the automated decision saw), at most the case-data
        # period; after that it goes like any other.
        hold_cut = to_us(now - min(policy.review_hold, policy.case_data))
        candidates = self._conn.execute(
            "SELECT case_id, final_decision = 'manual_review' FROM cases "
            "WHERE created_at_us <= ? AND evidence_purged_at_us IS NULL "
            "AND (final_decision <> 'manual_review' OR created_at_us <= ?) "
            "ORDER BY created_at_us",
            (to_us(now - policy.evidence), hold_cut),
        ).fetchall()
        evidence = tuple(r[0] for r in candidates)
        hold_expired = tuple(r[0] for r in candidates if r[1])
        data = tuple(
            r[0]
            for r in self._conn.execute(
                "SELECT case_id FROM cases WHERE created_at_us <= ? "
                "AND case_data_purged_at_us IS NULL ORDER BY created_at_us",
                (data_cut,),
            )
        )
        # Undelivered messages may carry personal fields the site policy allowed: they
        # cannot outlive the case data. Since case_data <= decision, a case being deleted
        # has none left afterwards, so its delete cascades to no undelivered message.
        dropped = self._conn.execute(
            "SELECT o.outbox_id, o.case_id, o.attempts FROM outbox o "
            "LEFT JOIN cases c ON c.case_id = o.case_id "
            "WHERE o.delivered_at_us IS NULL "
            "AND coalesce(c.created_at_us, o.created_at_us) <= ? ORDER BY o.outbox_id",
            (data_cut,),
        ).fetchall()
        # delivered rows past their period, and those of cases deleted now (counted
        # here rather than vanishing through ON DELETE CASCADE)
        delivered_where = (
            "delivered_at_us IS NOT NULL AND (delivered_at_us <= ? OR case_id IN "
            "(SELECT case_id FROM cases WHERE created_at_us <= ?))"
        )
        outbox_deleted = self._conn.execute(
            f"SELECT count(*) FROM outbox WHERE {delivered_where}", (outbox_cut, decision_cut)
        ).fetchone()[0]
        gone = set(deleted)
        evidence_only = tuple(c for c in evidence if c not in gone)
        data_only = tuple(c for c in data if c not in gone)
        blob_files = blob_bytes = 0
        for case_id in evidence:
            count, size = self._conn.execute(
                "SELECT count(*), coalesce(sum(size), 0) FROM evidence WHERE case_id = ?",
                (case_id,),
            ).fetchone()
            blob_files += count
            blob_bytes += size
        wal_truncated: bool | None = None
        if not dry_run and (evidence or data or deleted or outbox_deleted or dropped):
            held = set(hold_expired)
            with self._transaction():
                for case_id in evidence_only:
                    self._shred_evidence(case_id, now_us)
                    self._append_audit(
                        AuditAction.EVIDENCE_PURGED,
                        actor,
                        case_id=case_id,
                        details=(("reason", "review_hold_expired"),) if case_id in held else (),
                    )
                for outbox_id, case_id, attempts in dropped:
                    self._conn.execute("DELETE FROM outbox WHERE outbox_id = ?", (outbox_id,))
                    self._append_audit(
                        AuditAction.OUTBOX_DROPPED,
                        actor,
                        case_id=case_id,
                        details=(
                            ("outbox_id", outbox_id),
                            ("attempts", attempts),
                            ("reason", "case_data_retention"),
                        ),
                    )
                for case_id in data_only:
                    self._conn.execute(
                        "UPDATE cases SET case_json = NULL, case_data_purged_at_us = ? "
                        "WHERE case_id = ?",
                        (now_us, case_id),
                    )
                    self._conn.execute(
                        "UPDATE reviews SET note = NULL WHERE case_id = ?", (case_id,)
                    )
                    self._append_audit(AuditAction.CASE_DATA_PURGED, actor, case_id=case_id)
                self._conn.execute(
                    f"DELETE FROM outbox WHERE {delivered_where}", (outbox_cut, decision_cut)
                )
                for case_id in deleted:
                    decision = self._conn.execute(
                        "SELECT final_decision FROM cases WHERE case_id = ?", (case_id,)
                    ).fetchone()[0]
                    self._shred_evidence(case_id, now_us)
                    self._conn.execute("DELETE FROM cases WHERE case_id = ?", (case_id,))
                    self._append_audit(
                        AuditAction.CASE_PURGED, actor, case_id=case_id, decision=decision
                    )
            # Destroyed keys and payloads leave the WAL too, then the files go: a crash in
            # between leaves orphan directories, which the next open removes.
            wal_truncated = self._checkpoint()
            if not wal_truncated:
                log.warning(
                    "retention purge: the WAL could not be truncated (another reader); "
                    "purged pages stay in it until the next checkpoint"
                )
            for case_id in evidence:
                self._blobs.delete_case(case_id)
        report = PurgeReport(
            now=now,
            dry_run=dry_run,
            evidence_purged=evidence,
            review_hold_expired=hold_expired,
            case_data_purged=data,
            cases_deleted=deleted,
            blob_files=int(blob_files),
            blob_bytes=int(blob_bytes),
            outbox_deleted=int(outbox_deleted),
            outbox_dropped=len(dropped),
            wal_truncated=wal_truncated,
            duration_ms=(time.perf_counter() - started) * 1000.0,
        )
        if not dry_run:
            log.info(
                "retention purge: evidence of %d cases (%d past the review hold), data of %d, "
                "%d cases deleted, %d blobs, %d undelivered outbox messages dropped",
                len(evidence),
                len(hold_expired),
                len(data),
                len(deleted),
                blob_files,
                len(dropped),
            )
        return report

    def _shred_evidence(self, case_id: str, now_us: int) -> None:
        self._conn.execute("DELETE FROM case_keys WHERE case_id = ?", (case_id,))
        self._conn.execute("DELETE FROM evidence WHERE case_id = ?", (case_id,))
        self._conn.execute(
            "UPDATE cases SET evidence_purged_at_us = coalesce(evidence_purged_at_us, ?) "
            "WHERE case_id = ?",
            (now_us, case_id),
        )

    def _stored_rows(self) -> Iterator[StoredEntry]:
        for seq, body, entry_hash, mac in self._conn.execute(
            "SELECT seq, body, entry_hash, mac FROM audit_log ORDER BY seq"
        ):
            yield StoredEntry(seq, bytes(body), bytes(entry_hash), bytes(mac))

    def _stored_head(self) -> tuple[ChainHead, bytes] | None:
        head, mac = self._meta_get("audit_head"), self._meta_get("audit_head_mac")
        if head is None or mac is None:
            return None
        try:
            seq, entry_hash = json.loads(head.decode("ascii"))
            return ChainHead(int(seq), str(entry_hash)), mac
        except (ValueError, TypeError, UnicodeDecodeError):
            return None

    def _verify_audit(self, anchor: ChainHead | None) -> AuditVerifyReport:
        index = _ChainIndex()
        local = self._keyfile.audit_anchor
        local_head = None if local is None else ChainHead(local.seq, local.entry_hash)
        local_ok = local is not None and self._anchor_mac_ok(local)
        report = audit_mod.verify_chain(
            self._stored_rows(),
            genesis=self._genesis,
            audit_key=self._audit_key,
            stored_head=self._stored_head(),
            anchor=anchor,
            keyfile_anchor=local_head if local_ok else None,
            on_entry=index.add,
        )
        if not report.ok:
            return report

        def failed(seq: int | None, problem: AuditProblem, detail: str) -> AuditVerifyReport:
            return AuditVerifyReport(False, report.entries, report.head, seq, problem, detail)

        if local is not None and not local_ok:
            return failed(
                None, AuditProblem.ANCHOR_INVALID, "The keyfile's audit anchor fails its MAC."
            )
        if local is None and index.anchoring_declared:
            return failed(
                None,
                AuditProblem.ANCHOR_INVALID,
                "The keyfile holds no audit anchor, though the chain records that it had one.",
            )
        mismatch = self._cross_check(index)
        if mismatch is not None:
            return failed(mismatch[0], AuditProblem.UNAUDITED_CHANGE, mismatch[1])
        return report

    def _cross_check(self, index: _ChainIndex) -> tuple[int | None, str] | None:
        """The first case or review row the chain does not account for, else None."""
        for (
            case_id,
            decision,
            final,
            evidence_purged,
            data_purged,
            last_review,
        ) in self._conn.execute(
            "SELECT c.case_id, c.decision, c.final_decision, c.evidence_purged_at_us, "
            "c.case_data_purged_at_us, (SELECT r.decision FROM reviews r "
            "WHERE r.case_id = c.case_id ORDER BY r.review_id DESC LIMIT 1) "
            "FROM cases c ORDER BY c.created_at_us, c.case_id"
        ):
            saved = index.saved.get(case_id)
            if saved is None:
                return None, f"Case {case_id} has no case.saved entry in the audit chain."
            if saved != decision:
                return _saved_mismatch(index, case_id)
            if final != (last_review or decision):
                return None, f"Case {case_id}'s final decision is not its last review's."
            if evidence_purged is not None and case_id not in index.evidence_purged:
                return None, f"Case {case_id}'s evidence purge has no audit entry."
            if data_purged is not None and case_id not in index.data_purged:
                return None, f"Case {case_id}'s case-data purge has no audit entry."
        for review_id, case_id, decision, audit_seq in self._conn.execute(
            "SELECT review_id, case_id, decision, audit_seq FROM reviews ORDER BY review_id"
        ):
            if index.reviews.get(audit_seq) != (case_id, decision):
                return audit_seq, (
                    f"Review {review_id} of case {case_id} does not match the case.reviewed "
                    f"entry {audit_seq} it names (missing or different)."
                )
        return None

    def _audit_entries(self, after_seq: int, limit: int) -> tuple[AuditEntry, ...]:
        rows = self._conn.execute(
            "SELECT body, entry_hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        return tuple(audit_mod.entry_from_body(bytes(b), bytes(h)) for b, h in rows)

    def _export_audit(self, path: Path, actor: str) -> AuditExport:
        with self._transaction():
            self._append_audit(AuditAction.AUDIT_EXPORTED, actor)
        rows = list(self._stored_rows())
        head = ChainHead(rows[-1].seq, rows[-1].entry_hash.hex()) if rows else ChainHead(0, "")
        bundle = audit_mod.build_bundle(
            rows,
            install_id=self.install_id,
            exported_at=iso(self._clock()) or "",
            head=head,
            signing_key_raw=self._device_key,
        )
        atomic_write(path, bundle)
        return AuditExport(path, len(rows), head, audit_mod.key_fingerprint(self.device_public_key))

    def _rotate(self, actor: str, on_step: StepHook | None) -> KeyRotation:
        assert self._master is not None and self._kek is not None
        new = MasterKey.generate(self.install_id)
        self._keyfile = replace(
            self._keyfile,
            pending=wrap_master(new, self._kek, self.install_id, self._keyfile.kek_generation),
            updated_at=iso(self._clock()) or "",
        )
        write_keyfile(self.paths.keyfile, self._keyfile)
        if on_step is not None:
            on_step("pending_written")
        return self._finish_rotation(self._master, new, actor, on_step, resumed=False)

    def _finish_rotation(
        self,
        old: MasterKey,
        new: MasterKey,
        actor: str,
        on_step: StepHook | None,
        *,
        resumed: bool,
    ) -> KeyRotation:
        """Steps 2-5 of a rotation; each is idempotent, so a resumed run repeats safely."""
        started = time.perf_counter()
        assert self._kek is not None
        self._wrap_keys = {old.key_id: old.wrap_key, new.key_id: new.wrap_key}

        def step(name: str) -> None:
            if on_step is not None:
                on_step(name)

        rewrapped = 0
        with self._transaction():
            for case_id, key_id, sealed in self._conn.execute(
                "SELECT case_id, key_id, sealed FROM case_keys WHERE key_id != ?", (new.key_id,)
            ).fetchall():
                dek = self._open_with(key_id, bytes(sealed), aad("kiosk/dek/v1", case_id))
                self._conn.execute(
                    "UPDATE case_keys SET key_id = ?, sealed = ? WHERE case_id = ?",
                    (new.key_id, seal(new.wrap_key, dek, aad("kiosk/dek/v1", case_id)), case_id),
                )
                rewrapped += 1
            for purpose, key_id, sealed in self._conn.execute(
                "SELECT purpose, key_id, sealed FROM wrapped_keys WHERE key_id != ?",
                (new.key_id,),
            ).fetchall():
                secret = self._open_with(key_id, bytes(sealed), aad("kiosk/wrapped/v1", purpose))
                self._conn.execute(
                    "UPDATE wrapped_keys SET key_id = ?, sealed = ? WHERE purpose = ?",
                    (new.key_id, self._seal_key(new, purpose, secret), purpose),
                )
                rewrapped += 1
            if rewrapped:
                self._append_audit(
                    AuditAction.MASTER_KEY_ROTATED,
                    actor,
                    details=(
                        ("old_key_id", old.key_id),
                        ("new_key_id", new.key_id),
                        ("rewrapped_keys", rewrapped),
                    ),
                )
        step("keys_rewrapped")
        assert self._db_key is not None
        if self._db_key.key_id != new.key_id:
            self._conn.execute(f"PRAGMA rekey = {new.sqlcipher_pragma_value()}")
            self._db_key = new
        step("db_rekeyed")
        if not self._checkpoint():
            log.warning("key rotation: the WAL could not be truncated (another reader)")
        step("checkpointed")
        self._keyfile = replace(
            self._keyfile,
            master=wrap_master(new, self._kek, self.install_id, self._keyfile.kek_generation),
            pending=None,
            updated_at=iso(self._clock()) or "",
        )
        write_keyfile(self.paths.keyfile, self._keyfile)
        step("keyfile_final")
        self._master = new
        self._wrap_keys = {new.key_id: new.wrap_key}
        from kiosk.store.unlock import replace_remembered_key

        keyring_updated = replace_remembered_key(self.install_id, old.key_id, new.key_id, new.raw)
        log.info("master key rotated %s -> %s (resumed=%s)", old.key_id, new.key_id, resumed)
        return KeyRotation(
            old_key_id=old.key_id,
            new_key_id=new.key_id,
            wrapped_keys=rewrapped,
            resumed=resumed,
            keyring_updated=keyring_updated,
            duration_ms=(time.perf_counter() - started) * 1000.0,
        )

    def _open_with(self, key_id: str, sealed: bytes, associated: bytes) -> bytes:
        wrap_key = self._wrap_keys.get(key_id)
        secret = None if wrap_key is None else open_sealed(wrap_key, sealed, associated)
        if secret is None:
            raise KeyMismatch("A wrapped key in the store does not unwrap with a known master key.")
        return secret

    def _change_passphrase(
        self, params: KdfParams, new_kek: bytes, actor: str, on_step: StepHook | None
    ) -> PassphraseChange:
        assert self._master is not None
        generation = self._keyfile.kek_generation + 1
        self._keyfile = replace(
            self._keyfile,
            kdf=params,
            kek_generation=generation,
            master=wrap_master(self._master, new_kek, self.install_id, generation),
            pending=None,
            updated_at=iso(self._clock()) or "",
        )
        write_keyfile(self.paths.keyfile, self._keyfile)
        self._kek = new_kek
        if on_step is not None:
            on_step("keyfile_written")
        self._catch_up_passphrase_audit(actor)
        return PassphraseChange(generation, params.time_cost, params.memory_kib, params.parallelism)

    def _catch_up_passphrase_audit(self, actor: str = "system") -> None:
        """Audit a passphrase change the keyfile shows but the log lacks (crash in between)."""
        recorded = int((self._meta_get("kek_generation") or b"1").decode())
        generation = self._keyfile.kek_generation
        if recorded >= generation:
            return
        kdf = self._keyfile.kdf
        with self._transaction():
            self._append_audit(
                AuditAction.PASSPHRASE_CHANGED,
                actor,
                details=(
                    ("kek_generation", generation),
                    ("kdf", f"argon2id t={kdf.time_cost} m={kdf.memory_kib} p={kdf.parallelism}"),
                ),
            )
            self._meta_set("kek_generation", str(generation).encode())

    def _status(self) -> StoreStatus:
        assert self._master is not None
        count = self._conn.execute
        kdf = self._keyfile.kdf
        from kiosk.store.unlock import has_remembered_key

        return StoreStatus(
            store_dir=str(self.paths.root),
            install_id=self.install_id,
            schema_version=schema_version(self._conn),
            master_key_id=self._master.key_id,
            device_key_fingerprint=audit_mod.key_fingerprint(self.device_public_key),
            kek_generation=self._keyfile.kek_generation,
            kdf_time_cost=kdf.time_cost,
            kdf_memory_kib=kdf.memory_kib,
            kdf_parallelism=kdf.parallelism,
            cases=count("SELECT count(*) FROM cases").fetchone()[0],
            evidence_blobs=count("SELECT count(*) FROM evidence").fetchone()[0],
            audit_entries=count("SELECT count(*) FROM audit_log").fetchone()[0],
            outbox=self.outbox._stats(),
            retention=self.retention,
            keyring_remembered=has_remembered_key(self.install_id, self._master.key_id),
        )

    def _integrity_check(self) -> str:
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])


class _ChainIndex:
    """What verification needs to know of the chain to cross-check the tables."""

    def __init__(self) -> None:
        self.saved: dict[str, str | None] = {}  # case id -> automated decision
        self.saved_seq: dict[str, int] = {}
        self.reviews: dict[int, tuple[str | None, str | None]] = {}  # seq -> (case, decision)
        self.evidence_purged: set[str] = set()
        self.data_purged: set[str] = set()
        self.anchoring_declared = False

    def add(self, fields: Mapping[str, Any]) -> None:
        action, case_id = fields["action"], fields["case_id"]
        if action == AuditAction.CASE_SAVED and isinstance(case_id, str):
            self.saved[case_id] = fields["decision"]
            self.saved_seq[case_id] = int(fields["seq"])
        elif action == AuditAction.CASE_REVIEWED:
            self.reviews[int(fields["seq"])] = (case_id, fields["decision"])
        elif action == AuditAction.EVIDENCE_PURGED and isinstance(case_id, str):
            self.evidence_purged.add(case_id)
        elif action == AuditAction.CASE_DATA_PURGED and isinstance(case_id, str):
            self.data_purged.add(case_id)
        details = fields["details"]
        if isinstance(details, dict) and details.get("audit_anchor") == "keyfile":
            self.anchoring_declared = True


def _saved_mismatch(index: _ChainIndex, case_id: str) -> tuple[int | None, str]:
    seq = index.saved_seq.get(case_id)
    return seq, f"Case {case_id}'s automated decision differs from its case.saved entry {seq}."


def _check_viewer(actor: str | None, purpose: str) -> None:
    if actor is not None:
        check_actor(actor)
    if not isinstance(purpose, str) or not PURPOSE_RE.match(purpose):
        raise InvalidRecord("A view purpose is a short code like 'view' or 'html_report'.")


def _check_save(record: CaseRecord, outbox_payload: bytes | None, actor: str) -> None:
    check_actor(actor)
    if not isinstance(record, CaseRecord):
        raise InvalidRecord("save_case expects a CaseRecord.")
    if outbox_payload is not None and not isinstance(outbox_payload, bytes):
        raise InvalidRecord("outbox_payload must be bytes.")


def _unlock(
    paths: StorePaths,
    keyfile: Keyfile,
    credential: Credential,
    backoff: BackoffPolicy | None,
    wall: Callable[[], float],
) -> tuple[MasterKey, MasterKey | None, bytes | None]:
    """(master, pending master, KEK) from a credential, with back-off on wrong passphrases."""
    install_id = keyfile.install_id
    if isinstance(credential, RememberedKey):
        if keyfile.pending is not None:
            raise StoreLocked(
                "An interrupted key rotation must be finished with the passphrase.",
                hint="unlock with the passphrase once",
            )
        remembered = MasterKey(credential.raw, install_id)
        if remembered.key_id != keyfile.master.key_id or credential.key_id != remembered.key_id:
            raise StoreLocked(
                "The key remembered in the OS keyring does not match this store.",
                hint="unlock with the passphrase; 'kiosk store forget' clears the keyring entry",
            )
        return remembered, None, None
    if not isinstance(credential, Passphrase):
        raise InvalidRecord("Unlock needs a Passphrase or a RememberedKey.")
    policy = backoff or BackoffPolicy()
    state = read_unlock_state(paths.unlock_state)
    now = wall()
    wait = state.wait_s(now, policy)
    if wait > 0:
        raise UnlockThrottled(
            f"Too many failed unlock attempts; try again in {math.ceil(wait)} s.",
            retry_after_s=wait,
        )
    kek = derive_kek(credential.secret, keyfile.kdf)
    master = unwrap_master(keyfile.master, kek, install_id, keyfile.kek_generation)
    if master is None:
        failures = state.failures + 1
        delay = policy.delay_after(failures)
        write_unlock_state(paths.unlock_state, UnlockState(failures, now + delay))
        log.warning("store unlock failed (%d consecutive failures)", failures)
        hint = f"next attempt allowed in {math.ceil(delay)} s" if delay else "check the passphrase"
        raise WrongPassphrase(hint=hint)
    pending = None
    if keyfile.pending is not None:
        pending = unwrap_master(keyfile.pending, kek, install_id, keyfile.kek_generation)
        if pending is None:
            raise KeyfileCorrupt("The keyfile's pending key does not unwrap.")
    if state.failures or state.next_allowed_at:
        write_unlock_state(paths.unlock_state, UnlockState())
    return master, pending, kek
