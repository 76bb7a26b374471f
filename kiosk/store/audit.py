"""The tamper-evident audit log: hash chain, MACs, verification and signed export bundles.

Each entry is canonical JSON (sorted keys, no spaces, ASCII) holding only
``seq, at, actor, action, case_id, decision, policy_hash, model_hashes,
details``: identifiers, hashes and codes, never personal data. Then::

    entry_hash[n] = SHA-256(entry_hash[n-1] || canonical_json(entry[n]))
    entry_hash[0] = SHA-256("kiosk/audit-genesis/v1" || install id)
    mac[n]        = HMAC-SHA256(audit key, entry_hash[n])

The head (last seq and hash) is kept, with its own MAC, in the ``meta`` table
and updated in the same transaction as each append. Verification walks the
chain from the genesis and names the first bad entry: an edited entry breaks
its hash (or, if rehashed, its MAC, since the audit key is wrapped by the
master key and not derivable from the database key); a removed one leaves a
gap in ``seq``; a reordered one sits at a position its ``seq`` does not name;
a removed tail disagrees with the head.

The head in ``meta`` alone cannot catch a removed tail: older heads with
valid MACs linger in WAL frames and backups, and someone holding the database
key can put one back. So the head is also anchored outside the database, in
the keyfile (``audit_anchor``: seq, hash, and an HMAC under the audit key over
install id, seq and hash). The keyfile is already the store's atomically
replaced anchor on disk, and the MAC key is not in it or derivable from the
database key, so the anchor can be neither forged nor moved by the database
alone. It is rewritten after each commit that appended entries: a crash in
between leaves it one write behind, never ahead, and verification accepts an
anchor at or below the chain's head whose entry matches. A chain that ends
before the anchor, or differs at its position, is reported as rolled back.

Verification also cross-checks the other tables against the chain: every case
row needs its ``case.saved`` entry (same automated decision), every review row
the ``case.reviewed`` entry its ``audit_seq`` names (same case and decision),
and a case's final decision must be its last review's. Deleting an entry
therefore leaves a row without its record unless the row goes too.

Limits, stated plainly: whoever has the passphrase has the audit key and the
device signing key and can rewrite the whole chain, its heads, the keyfile
anchor and sign a bundle of the result; a copy of the whole store directory
(keyfile included) put back is self-consistent too. Against both only heads
exported off the device help: ``kiosk audit export`` bundles kept elsewhere,
checked with ``kiosk audit verify --anchor BUNDLE`` (the bundle's signature
must be the store's own device key) or ``kiosk audit verify-bundle
--public-key KEY`` with the key recorded at installation.

Export bundles carry the entries, the head and the device's Ed25519 public
key, signed by the device key; they can be checked on any machine, but a
bundle proves who made it only against a device key pinned beforehand.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kiosk.store.errors import BundleInvalid, BundleUntrusted

BUNDLE_FORMAT = "kiosk-audit-bundle"
BUNDLE_VERSION = 1
ENTRY_VERSION = 1


class AuditAction(enum.StrEnum):
    """What an audit entry records."""

    STORE_INITIALIZED = "store.initialized"
    SCHEMA_MIGRATED = "store.schema_migrated"
    CASE_SAVED = "case.saved"
    CASE_REVIEWED = "case.reviewed"
    CASE_VIEWED = "case.viewed"  # personal data was read (case data or evidence) by ``actor``
    EVIDENCE_PURGED = "case.evidence_purged"
    CASE_DATA_PURGED = "case.data_purged"
    CASE_PURGED = "case.purged"
    OUTBOX_DROPPED = "outbox.dropped"  # an undelivered message removed by retention
    MASTER_KEY_ROTATED = "key.master_rotated"
    PASSPHRASE_CHANGED = "key.passphrase_changed"
    AUDIT_EXPORTED = "audit.exported"
    AUDIT_ANCHORED = "audit.anchored"  # keyfile anchoring started on an older store


class AuditProblem(enum.StrEnum):
    """Why verification failed, at ``first_bad_seq``."""

    MALFORMED = "malformed"  # not canonical JSON of the expected shape
    EDITED = "edited"  # the stored hash does not match the entry and its predecessor
    MAC_MISMATCH = "mac_mismatch"  # hash chain consistent but not made with the audit key
    REMOVED = "removed"  # a gap in seq
    OUT_OF_ORDER = "out_of_order"  # the entry names a different position than it holds
    TRUNCATED = "truncated"  # entries after the last one are missing (head says more)
    HEAD_MISMATCH = "head_mismatch"  # the stored head is not the chain's head or not MACed
    ANCHOR_MISMATCH = "anchor_mismatch"  # the chain does not contain an exported head
    ROLLED_BACK = "rolled_back"  # the chain ends before, or differs from, the keyfile's anchor
    ANCHOR_INVALID = "anchor_invalid"  # the keyfile's anchor is missing or fails its MAC
    UNAUDITED_CHANGE = "unaudited_change"  # a case or review row without its audit entry
    BAD_SIGNATURE = "bad_signature"  # bundle signature invalid
    UNEXPECTED_SIGNER = "unexpected_signer"  # bundle signed by another device key
    UNPINNED_SIGNER = "unpinned_signer"  # bundle consistent, but no expected key to check against


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last entry's sequence number and hash (hex); seq 0 is the empty chain."""

    seq: int
    entry_hash: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit entry as stored (no personal data by construction).

    Attributes:
        at: ISO 8601 UTC time of the event.
        details: small non-personal facts (key ids, versions, counts).
        entry_hash: hex SHA-256 chaining this entry to the previous one.
    """

    seq: int
    at: str
    actor: str
    action: str
    case_id: str | None
    decision: str | None
    policy_hash: str | None
    model_hashes: tuple[tuple[str, str], ...]
    details: tuple[tuple[str, str | int], ...]
    entry_hash: str


@dataclass(frozen=True, slots=True)
class AuditVerifyReport:
    """Outcome of walking the chain.

    Attributes:
        ok: every entry, MAC, the head (and the anchor, if given) check out.
        entries: entries examined.
        head: the chain's last good head.
        first_bad_seq: the first entry (position) that fails, else None.
        problem: what failed there.
        detail: one sentence for the operator (no personal data).
    """

    ok: bool
    entries: int
    head: ChainHead
    first_bad_seq: int | None
    problem: AuditProblem | None
    detail: str


@dataclass(frozen=True, slots=True)
class BundleReport:
    """Outcome of checking an exported bundle.

    Attributes:
        ok: signature, chain and head check out and the signer is the expected key.
        self_consistent: signature, chain and head check out, whoever signed; without
            an expected key this is all that can be said (``ok`` is then False).
        device_key_fingerprint: first 16 bytes of SHA-256 of the signing public key, hex.
        signer_matches_expected: None when no expected key was given.
    """

    ok: bool
    self_consistent: bool
    install_id: str
    exported_at: str
    entries: int
    head: ChainHead
    device_key_fingerprint: str
    signer_matches_expected: bool | None
    first_bad_seq: int | None
    problem: AuditProblem | None
    detail: str


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, no whitespace, ASCII escapes, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def genesis_hash(install_id: str) -> bytes:
    return hashlib.sha256(b"kiosk/audit-genesis/v1" + install_id.encode("ascii")).digest()


def chain_hash(prev_hash: bytes, body: bytes) -> bytes:
    return hashlib.sha256(prev_hash + body).digest()


def entry_mac(audit_key: bytes, entry_hash: bytes) -> bytes:
    return hmac.new(audit_key, b"kiosk/audit-entry/v1" + entry_hash, hashlib.sha256).digest()


def head_mac(audit_key: bytes, head: ChainHead) -> bytes:
    message = b"kiosk/audit-head/v1" + canonical_json([head.seq, head.entry_hash])
    return hmac.new(audit_key, message, hashlib.sha256).digest()


def anchor_mac(audit_key: bytes, install_id: str, head: ChainHead) -> bytes:
    """The MAC of the keyfile's anchor (its own label: a ``meta`` head MAC is no anchor MAC)."""
    message = b"kiosk/audit-anchor/v1" + canonical_json([install_id, head.seq, head.entry_hash])
    return hmac.new(audit_key, message, hashlib.sha256).digest()


def public_key_of(signing_key_raw: bytes) -> bytes:
    """The raw Ed25519 public key of a raw private key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(signing_key_raw).public_key().public_bytes_raw()


def key_fingerprint(public_key: bytes) -> str:
    return hashlib.sha256(public_key).digest()[:16].hex()


def make_body(
    *,
    seq: int,
    at: str,
    actor: str,
    action: AuditAction,
    case_id: str | None = None,
    decision: str | None = None,
    policy_hash: str | None = None,
    model_hashes: Sequence[tuple[str, str]] = (),
    details: Sequence[tuple[str, str | int]] = (),
) -> bytes:
    """The canonical bytes of one entry."""
    return canonical_json(
        {
            "v": ENTRY_VERSION,
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action.value,
            "case_id": case_id,
            "decision": decision,
            "policy_hash": policy_hash,
            "model_hashes": [[name, digest] for name, digest in model_hashes],
            "details": {key: value for key, value in details},
        }
    )


_BODY_KEYS = frozenset(
    {"v", "seq", "at", "actor", "action", "case_id", "decision", "policy_hash"}
    | {"model_hashes", "details"}
)


def parse_body(body: bytes) -> Mapping[str, Any] | None:
    """The entry's fields, or None when it is not canonical JSON of the entry shape."""
    try:
        fields = json.loads(body.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(fields, dict) or set(fields) != _BODY_KEYS:
        return None
    if not isinstance(fields["seq"], int) or canonical_json(fields) != body:
        return None
    return fields


def entry_from_body(body: bytes, entry_hash: bytes) -> AuditEntry:
    fields = parse_body(body)
    if fields is None:
        raise BundleInvalid("An audit entry is malformed.")
    details = fields["details"] if isinstance(fields["details"], dict) else {}
    return AuditEntry(
        seq=fields["seq"],
        at=str(fields["at"]),
        actor=str(fields["actor"]),
        action=str(fields["action"]),
        case_id=fields["case_id"],
        decision=fields["decision"],
        policy_hash=fields["policy_hash"],
        model_hashes=tuple((str(n), str(h)) for n, h in fields["model_hashes"]),
        details=tuple((str(k), v) for k, v in sorted(details.items())),
        entry_hash=entry_hash.hex(),
    )


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """A raw row of the audit table (``seq`` is the row's position)."""

    seq: int
    body: bytes
    entry_hash: bytes
    mac: bytes | None


def verify_chain(
    rows: Iterable[StoredEntry],
    *,
    genesis: bytes,
    audit_key: bytes | None,
    stored_head: tuple[ChainHead, bytes] | None = None,
    check_head: bool = True,
    anchor: ChainHead | None = None,
    keyfile_anchor: ChainHead | None = None,
    on_entry: Callable[[Mapping[str, Any]], None] | None = None,
) -> AuditVerifyReport:
    """Walk entries in position order and report the first one that fails.

    Args:
        rows: entries ordered by position (``seq``).
        genesis: the chain's starting hash.
        audit_key: MAC key; None skips MACs (bundles carry none).
        stored_head: the head record and its MAC, as kept beside the entries.
        check_head: compare the chain's end with ``stored_head``.
        anchor: a head exported earlier that the chain must contain.
        keyfile_anchor: the (MAC-checked) head anchored in the keyfile, which the
            chain must contain too; it may lag the chain's end, never lead it.
        on_entry: called with the fields of every entry that checked out, in order.
    """
    prev = genesis
    expected = 1
    count = 0
    anchor_seen = anchor is None or anchor.seq == 0
    keyfile_anchor_seen = keyfile_anchor is None

    def bad(seq: int, problem: AuditProblem, detail: str) -> AuditVerifyReport:
        return AuditVerifyReport(
            False, count, ChainHead(expected - 1, prev.hex()), seq, problem, detail
        )

    for row in rows:
        fields = parse_body(row.body)
        if fields is None:
            return bad(row.seq, AuditProblem.MALFORMED, f"Entry {row.seq} is not a valid entry.")
        if row.seq != expected:
            return bad(
                expected,
                AuditProblem.REMOVED,
                f"Entries {expected}..{row.seq - 1} are missing from the chain.",
            )
        if fields["seq"] != row.seq:
            return bad(
                row.seq,
                AuditProblem.OUT_OF_ORDER,
                f"Position {row.seq} holds entry {fields['seq']}: entries were reordered.",
            )
        if chain_hash(prev, row.body) != row.entry_hash:
            return bad(
                row.seq,
                AuditProblem.EDITED,
                f"Entry {row.seq} does not match its hash: it was edited or its predecessor was.",
            )
        if audit_key is not None and (
            row.mac is None
            or not hmac.compare_digest(entry_mac(audit_key, row.entry_hash), row.mac)
        ):
            return bad(
                row.seq,
                AuditProblem.MAC_MISMATCH,
                f"Entry {row.seq} was rewritten without the audit key (MAC mismatch).",
            )
        prev = row.entry_hash
        expected += 1
        count += 1
        if anchor is not None and anchor.seq == row.seq:
            if anchor.entry_hash != row.entry_hash.hex():
                return bad(
                    row.seq,
                    AuditProblem.ANCHOR_MISMATCH,
                    f"Entry {row.seq} differs from the exported anchor.",
                )
            anchor_seen = True
        if keyfile_anchor is not None and keyfile_anchor.seq == row.seq:
            if keyfile_anchor.entry_hash != row.entry_hash.hex():
                return bad(
                    row.seq,
                    AuditProblem.ROLLED_BACK,
                    f"Entry {row.seq} differs from the head anchored in the keyfile.",
                )
            keyfile_anchor_seen = True
        if on_entry is not None:
            on_entry(fields)
    head = ChainHead(expected - 1, prev.hex())
    if check_head:
        if stored_head is None:
            return bad(expected, AuditProblem.HEAD_MISMATCH, "The chain head record is missing.")
        recorded, recorded_mac = stored_head
        if audit_key is not None and not hmac.compare_digest(
            head_mac(audit_key, recorded), recorded_mac
        ):
            return bad(expected, AuditProblem.HEAD_MISMATCH, "The chain head record fails its MAC.")
        if recorded.seq > head.seq:
            return bad(
                head.seq + 1,
                AuditProblem.TRUNCATED,
                f"The head records {recorded.seq} entries but only {head.seq} remain.",
            )
        if recorded != head:
            return bad(head.seq, AuditProblem.HEAD_MISMATCH, "The chain head record disagrees.")
    if not keyfile_anchor_seen:
        assert keyfile_anchor is not None
        return bad(
            head.seq + 1,
            AuditProblem.ROLLED_BACK,
            f"The chain ends at entry {head.seq} but the keyfile anchored entry "
            f"{keyfile_anchor.seq}: newer entries were removed.",
        )
    if not anchor_seen:
        assert anchor is not None
        return bad(
            head.seq + 1,
            AuditProblem.ANCHOR_MISMATCH,
            f"The chain ends before the exported anchor (entry {anchor.seq}).",
        )
    return AuditVerifyReport(True, count, head, None, None, "The audit chain is intact.")


# --- signed export bundles -----------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise BundleInvalid()
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise BundleInvalid() from None


def build_bundle(
    entries: Sequence[StoredEntry],
    *,
    install_id: str,
    exported_at: str,
    head: ChainHead,
    signing_key_raw: bytes,
) -> bytes:
    """A signed, self-contained JSON bundle of ``entries`` (the whole chain)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.from_private_bytes(signing_key_raw)
    public = private.public_key().public_bytes_raw()
    unsigned = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "install_id": install_id,
        "exported_at": exported_at,
        "device_public_key": _b64(public),
        "device_key_fingerprint": key_fingerprint(public),
        "head": {"seq": head.seq, "hash": head.entry_hash},
        "entries": [
            {"entry": json.loads(e.body.decode("ascii")), "hash": e.entry_hash.hex()}
            for e in entries
        ],
    }
    signature = private.sign(b"kiosk/audit-bundle/v1" + canonical_json(unsigned))
    bundle = {**unsigned, "signature": _b64(signature)}
    return (json.dumps(bundle, indent=1, sort_keys=True, ensure_ascii=True) + "\n").encode()


def read_bundle_head(data: bytes, *, expected_public_key: bytes) -> ChainHead:
    """The head of a bundle (for ``verify --anchor``) once the bundle checks out in full
    (:func:`verify_bundle`) against ``expected_public_key``, the store's device key.

    Raises:
        BundleInvalid: not a bundle.
        BundleUntrusted: bad signature, another signer, or a broken chain.
    """
    report = verify_bundle(data, expected_public_key=expected_public_key)
    if not report.ok:
        raise BundleUntrusted(f"The anchor bundle is not usable: {report.detail}")
    return report.head


def _parse_bundle(data: bytes) -> dict[str, Any]:
    try:
        bundle = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BundleInvalid() from None
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise BundleInvalid()
    if bundle.get("version") != BUNDLE_VERSION:
        raise BundleInvalid(f"Audit bundle version {bundle.get('version')!r} is not supported.")
    if not isinstance(bundle.get("entries"), list) or not isinstance(bundle.get("head"), dict):
        raise BundleInvalid()
    return bundle


def _head_of(bundle: Mapping[str, Any]) -> ChainHead:
    head = bundle["head"]
    if not isinstance(head.get("seq"), int) or not isinstance(head.get("hash"), str):
        raise BundleInvalid()
    return ChainHead(head["seq"], head["hash"])


def verify_bundle(data: bytes, *, expected_public_key: bytes | None = None) -> BundleReport:
    """Check a bundle's signature, its chain from the genesis, and its head.

    Args:
        data: the bundle file's bytes.
        expected_public_key: the device key the bundle must be signed with
            (32 raw bytes). Without it anyone's key could have signed: the
            report can then only be ``self_consistent``, never ``ok``.

    Raises:
        BundleInvalid: not parseable as a bundle at all.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    bundle = _parse_bundle(data)
    install_id = bundle.get("install_id")
    if not isinstance(install_id, str) or not install_id.isascii():
        raise BundleInvalid()
    public = _unb64(bundle.get("device_public_key"))
    signature = _unb64(bundle.get("signature"))
    head = _head_of(bundle)
    exported_at = str(bundle.get("exported_at", ""))
    fingerprint = key_fingerprint(public)
    matches = (
        None if expected_public_key is None else hmac.compare_digest(public, expected_public_key)
    )

    def report(
        ok: bool, entries: int, bad_seq: int | None, problem: AuditProblem | None, detail: str
    ) -> BundleReport:
        return BundleReport(
            ok and matches is True,
            ok,
            install_id,
            exported_at,
            entries,
            head,
            fingerprint,
            matches,
            bad_seq,
            problem,
            detail,
        )

    unsigned = {k: v for k, v in bundle.items() if k != "signature"}
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(
            signature, b"kiosk/audit-bundle/v1" + canonical_json(unsigned)
        )
    except (InvalidSignature, ValueError):
        return report(
            False, 0, None, AuditProblem.BAD_SIGNATURE, "The bundle's signature is invalid."
        )
    if matches is False:
        return report(
            False,
            0,
            None,
            AuditProblem.UNEXPECTED_SIGNER,
            "The bundle is signed by a different device key than expected.",
        )
    rows: list[StoredEntry] = []
    for position, item in enumerate(bundle["entries"], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("hash"), str):
            return report(
                False, 0, position, AuditProblem.MALFORMED, "A bundle entry is malformed."
            )
        try:
            body = canonical_json(item["entry"])
            entry_hash = bytes.fromhex(item["hash"])
        except (KeyError, ValueError, TypeError):
            return report(
                False, 0, position, AuditProblem.MALFORMED, "A bundle entry is malformed."
            )
        rows.append(StoredEntry(position, body, entry_hash, None))
    chain = verify_chain(rows, genesis=genesis_hash(install_id), audit_key=None, check_head=False)
    if not chain.ok:
        return report(False, chain.entries, chain.first_bad_seq, chain.problem, chain.detail)
    if chain.head != head:
        return report(
            False,
            chain.entries,
            chain.head.seq,
            AuditProblem.HEAD_MISMATCH,
            "The bundle's head does not match its last entry.",
        )
    if matches is None:
        return report(
            True,
            chain.entries,
            None,
            AuditProblem.UNPINNED_SIGNER,
            "The bundle is self-consistent, but no expected device key was given: "
            "whoever made it could have signed it. Its authenticity is not established.",
        )
    return report(True, chain.entries, None, None, "The bundle is intact and correctly signed.")
