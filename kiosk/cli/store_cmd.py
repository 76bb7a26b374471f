"""``kiosk store …``, ``kiosk audit …`` and ``kiosk case …``: the encrypted local store.

Unlocking: ``KIOSK_PASSPHRASE_FILE`` (refused if other users can read it),
else a master key remembered in the OS keyring, else a prompt when stdin is a
terminal, else a ``store_no_credential`` error. ``rekey`` and ``passwd``
always need the passphrase itself.

``case show`` and ``case report`` read personal data: each read is audited
(``case.viewed``, with the OS account as actor). Bundles are trusted only
against a device key: ``--public-key`` or, failing that, the local store's.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli._base import EXIT_CHECK_FAILED, EXIT_OK, Output, Parser
from kiosk.config import kiosk_paths
from kiosk.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from kiosk.store import Store

_DECISIONS = ("approved", "manual_review", "rejected")


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    from kiosk.cli import command

    store = sub.add_parser("store", help="create, unlock, rotate and purge the encrypted store")
    ssub = store.add_subparsers(dest="store_command", parser_class=Parser, metavar="ACTION")
    store.set_defaults(handler=lambda a, o: _need_action("store", "init, status, rekey, ..."))

    init = command(ssub, "init", _init, "create the encrypted store in the data directory")
    _kdf_flags(init)
    init.add_argument(
        "--remember", action="store_true", help="keep the master key in the OS keyring"
    )
    command(ssub, "status", _status, "key facts and counts (no secrets)")
    command(ssub, "rekey", _rekey, "rotate the master key (needs the passphrase)")
    passwd = command(ssub, "passwd", _passwd, "change the store passphrase")
    passwd.add_argument(
        "--new-passphrase-file", type=Path, help="read the new passphrase from FILE"
    )
    _kdf_flags(passwd)
    purge = command(ssub, "purge", _purge, "apply the retention policy now")
    purge.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    command(ssub, "remember", _remember, "keep the master key in the OS keyring")
    command(ssub, "forget", _forget, "remove the master key from the OS keyring")

    audit = sub.add_parser("audit", help="verify and export the tamper-evident audit log")
    asub = audit.add_subparsers(dest="audit_command", parser_class=Parser, metavar="ACTION")
    audit.set_defaults(handler=lambda a, o: _need_action("audit", "verify, export, verify-bundle"))
    verify = command(asub, "verify", _audit_verify, "check the audit chain of the store")
    verify.add_argument(
        "--anchor",
        type=Path,
        help="an exported bundle (signed by this store's device key) whose head the chain "
        "must contain",
    )
    export = command(asub, "export", _audit_export, "write a signed bundle of the audit log")
    export.add_argument("--out", type=Path, required=True, help="bundle file to write")
    vbundle = command(
        asub, "verify-bundle", _audit_verify_bundle, "check a bundle's signature and chain"
    )
    vbundle.add_argument("bundle", type=Path)
    vbundle.add_argument(
        "--public-key",
        help="the device key (base64 or hex) the bundle must be signed with "
        "(default: the local store's, if there is one)",
    )

    case = sub.add_parser("case", help="list, show and report stored cases")
    csub = case.add_subparsers(dest="case_command", parser_class=Parser, metavar="ACTION")
    case.set_defaults(handler=lambda a, o: _need_action("case", "list, show, report"))
    lst = command(csub, "list", _case_list, "stored cases, newest first")
    lst.add_argument("--limit", type=int, default=50)
    lst.add_argument("--offset", type=int, default=0)
    lst.add_argument("--decision", choices=_DECISIONS, help="only this final decision")
    show = command(csub, "show", _case_show, "one case with its data (personal data!)")
    show.add_argument("case_id", metavar="CASE")
    report = command(csub, "report", _case_report, "check a case's evidence; --html renders it")
    report.add_argument("case_id", metavar="CASE")
    report.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="write a staff-review HTML report: personal data in the clear, mode 0600, "
        "never over an existing file",
    )


def _kdf_flags(parser: Parser) -> None:
    parser.add_argument("--kdf-time", type=int, help="Argon2id passes (default 3)")
    parser.add_argument("--kdf-memory-mib", type=int, help="Argon2id memory in MiB (default 64)")
    parser.add_argument("--kdf-parallelism", type=int, help="Argon2id lanes (default 2)")


def _need_action(group: str, actions: str) -> int:
    raise UsageError(f"kiosk {group}: choose an action: {actions}.")


def _data_dir() -> Path:
    return kiosk_paths().data_dir


def _kdf(args: argparse.Namespace, base: Any = None) -> Any:
    from kiosk.store import KdfParams

    start = base or KdfParams()
    return KdfParams(
        time_cost=args.kdf_time or start.time_cost,
        memory_kib=(args.kdf_memory_mib * 1024) if args.kdf_memory_mib else start.memory_kib,
        parallelism=args.kdf_parallelism or start.parallelism,
    )


def _open(*, passphrase_only: bool = False) -> Store:
    from kiosk.persist import open_store

    return open_store(passphrase_only=passphrase_only)


def _actor() -> str:
    """Who runs the command, for the audit log: the OS account (an identifier, not a name)."""
    import getpass
    import re

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    user = re.sub(r"[^A-Za-z0-9_.:@-]", "_", user)[:56] or "unknown"
    return f"cli:{user}"


def _esc(text: Any) -> str:
    from rich.markup import escape

    return escape(str(text))


# --- store ---------------------------------------------------------------------------


def _init(args: argparse.Namespace, out: Output) -> int:
    from kiosk.store import Store
    from kiosk.store.errors import KeyringUnavailable
    from kiosk.store.unlock import keyring_available, passphrase_from_env, resolve_new_passphrase

    if args.remember and not keyring_available():  # refuse before creating anything
        raise KeyringUnavailable(hint="run init without --remember")
    from kiosk.store.keys import check_kdf_strength

    kdf = _kdf(args)
    check_kdf_strength(kdf)  # before asking for a passphrase
    from_env = passphrase_from_env()
    secret = from_env.secret if from_env else resolve_new_passphrase(None)
    with Store.create(_data_dir(), secret, kdf=kdf, actor=_actor()) as store:
        remembered = False
        if args.remember:
            store.remember_in_keyring()
            remembered = True
        status = store.status()
    payload = {"initialized": True, "remembered": remembered, "status": status}
    out.emit(
        payload,
        lambda c: c.print(
            f"store created in {_esc(status.store_dir)}\n"
            f"install id {status.install_id}, master key {status.master_key_id}\n"
            f"device key fingerprint {status.device_key_fingerprint}"
            + ("\nmaster key kept in the OS keyring" if remembered else "")
        ),
    )
    return EXIT_OK


def _status(args: argparse.Namespace, out: Output) -> int:
    from kiosk.errors import StoreLocked
    from kiosk.store import is_initialized, read_backoff, read_store_keyfile
    from kiosk.store.errors import StoreBusy
    from kiosk.store.unlock import keyring_available

    data_dir = _data_dir()
    if not is_initialized(data_dir):
        payload: dict[str, Any] = {"initialized": False, "data_dir": str(data_dir)}
        out.emit(payload, lambda c: c.print("no store here: run kiosk store init"))
        return EXIT_OK
    keyfile = read_store_keyfile(data_dir)
    backoff = read_backoff(data_dir)
    status = None
    locked_reason = None
    try:
        with _open() as store:
            status = store.status()
    except (StoreLocked, StoreBusy) as exc:  # report what can be known without the key
        locked_reason = exc.code
    payload = {
        "initialized": True,
        "locked": status is None,
        "locked_reason": locked_reason,
        "install_id": keyfile.install_id,
        "rotation_pending": keyfile.pending is not None,
        "failed_unlocks": backoff.failures,
        "keyring_available": keyring_available(),
        "status": status,
    }

    def human(console: Any) -> None:
        if status is None:
            console.print(f"store {keyfile.install_id}: locked ({locked_reason})")
            return
        console.print(
            f"store {status.install_id} in {_esc(status.store_dir)}\n"
            f"  schema v{status.schema_version}, master key {status.master_key_id}, "
            f"passphrase generation {status.kek_generation}\n"
            f"  argon2id t={status.kdf_time_cost} m={status.kdf_memory_kib // 1024} MiB "
            f"p={status.kdf_parallelism}\n"
            f"  device key {status.device_key_fingerprint}\n"
            f"  {status.cases} cases, {status.evidence_blobs} evidence blobs, "
            f"{status.audit_entries} audit entries\n"
            f"  outbox: {status.outbox.pending} pending, {status.outbox.delivered} delivered\n"
            f"  keyring: {'remembered' if status.keyring_remembered else 'not used'}"
        )

    out.emit(payload, human)
    return EXIT_OK


def _rekey(args: argparse.Namespace, out: Output) -> int:
    with _open(passphrase_only=True) as store:
        rotation = store.rotate_master_key(actor=_actor())
    out.emit(
        rotation,
        lambda c: c.print(
            f"master key rotated {rotation.old_key_id} -> {rotation.new_key_id}; "
            f"{rotation.wrapped_keys} keys re-wrapped in {rotation.duration_ms:.0f} ms"
        ),
    )
    return EXIT_OK


def _passwd(args: argparse.Namespace, out: Output) -> int:
    from kiosk.store.unlock import resolve_new_passphrase

    with _open(passphrase_only=True) as store:
        new_secret = resolve_new_passphrase(args.new_passphrase_file)
        change = store.change_passphrase(new_secret, actor=_actor(), kdf=_kdf(args, store.kdf))
    out.emit(change, lambda c: c.print(f"passphrase changed (generation {change.kek_generation})"))
    return EXIT_OK


def _purge(args: argparse.Namespace, out: Output) -> int:
    with _open() as store:
        report = store.purge(dry_run=args.dry_run, actor=_actor())
    verb = "would purge" if report.dry_run else "purged"
    out.emit(
        report,
        lambda c: c.print(
            f"{verb}: evidence of {len(report.evidence_purged)} cases "
            f"({report.blob_files} blobs, {report.blob_bytes:,} bytes), "
            f"{len(report.review_hold_expired)} of them past the review hold unreviewed; "
            f"case data of {len(report.case_data_purged)}, "
            f"{len(report.cases_deleted)} cases deleted, "
            f"{report.outbox_deleted} delivered outbox rows, "
            f"{report.outbox_dropped} undelivered messages dropped"
            + (
                "\n[yellow]WARNING[/]: the WAL could not be truncated (another process reads "
                "the database); purged pages stay in it until the next checkpoint"
                if report.wal_truncated is False
                else ""
            )
        ),
    )
    return EXIT_OK


def _remember(args: argparse.Namespace, out: Output) -> int:
    with _open() as store:
        store.remember_in_keyring()
    out.emit({"remembered": True}, lambda c: c.print("master key kept in the OS keyring"))
    return EXIT_OK


def _forget(args: argparse.Namespace, out: Output) -> int:
    from kiosk.store import read_store_keyfile
    from kiosk.store.unlock import forget_master_key

    removed = forget_master_key(read_store_keyfile(_data_dir()).install_id)
    out.emit(
        {"forgotten": removed},
        lambda c: c.print("keyring entry removed" if removed else "no keyring entry to remove"),
    )
    return EXIT_OK


# --- audit ---------------------------------------------------------------------------


def _read_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"The {what} cannot be read ({exc.strerror}).") from None


def _audit_verify(args: argparse.Namespace, out: Output) -> int:
    from kiosk.store import AuditVerifyReport, ChainHead, read_store_keyfile, verify_bundle

    anchor = None
    if args.anchor:
        # An anchor is only as good as its signature: it must be this store's device key.
        keyfile = read_store_keyfile(_data_dir())
        bundle = verify_bundle(
            _read_file(args.anchor, "anchor bundle"),
            expected_public_key=keyfile.device_public_key,
        )
        if not bundle.ok or bundle.install_id != keyfile.install_id:
            report = AuditVerifyReport(
                False,
                0,
                ChainHead(0, ""),
                bundle.first_bad_seq,
                bundle.problem,
                f"The anchor bundle is not usable: {bundle.detail}",
            )
            out.emit(report, lambda c: _print_verify(c, report))
            return EXIT_CHECK_FAILED
        anchor = bundle.head
    with _open() as store:
        report = store.verify_audit(anchor=anchor)
    out.emit(report, lambda c: _print_verify(c, report))
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def _print_verify(console: Any, report: Any) -> None:
    if report.ok:
        console.print(f"[green]ok[/]: {report.entries} entries, head {report.head.seq}")
        return
    problem = report.problem.value if report.problem else "?"
    where = f" at entry {report.first_bad_seq}" if report.first_bad_seq is not None else ""
    console.print(f"[red]FAILED[/]{where} ({problem}): {_esc(report.detail)}")


def _audit_export(args: argparse.Namespace, out: Output) -> int:
    with _open() as store:
        export = store.export_audit(args.out, actor=_actor())
    out.emit(
        export,
        lambda c: c.print(
            f"wrote {export.entries} entries to {_esc(export.path)}; "
            f"device key {export.device_key_fingerprint}"
        ),
    )
    return EXIT_OK


def _parse_key(text: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != 32:
        raise UsageError("--public-key must be a 32-byte Ed25519 key in hex or base64.")
    return key


def _audit_verify_bundle(args: argparse.Namespace, out: Output) -> int:
    from kiosk.store import is_initialized, read_store_keyfile, verify_bundle

    expected, key_source = None, None
    if args.public_key:
        expected, key_source = _parse_key(args.public_key), "--public-key"
    elif is_initialized(_data_dir()):
        expected, key_source = read_store_keyfile(_data_dir()).device_public_key, "local store"
    report = verify_bundle(_read_file(args.bundle, "bundle"), expected_public_key=expected)

    def human(console: Any) -> None:
        if report.ok:
            console.print(
                f"[green]ok[/]: {report.entries} entries, head {report.head.seq}, signed by "
                f"the expected key ({key_source}, {report.device_key_fingerprint})"
            )
        elif report.self_consistent:
            console.print(
                f"[yellow]NOT AUTHENTICATED[/]: {report.entries} entries, head "
                f"{report.head.seq}, self-consistent and signed by key "
                f"{report.device_key_fingerprint}, but no device key was pinned, so anyone "
                "could have made it; pass --public-key with the device's key"
            )
        else:
            problem = report.problem.value if report.problem else "?"
            console.print(f"[red]FAILED[/] ({problem}): {_esc(report.detail)}")

    out.emit({**_fields(report), "key_source": key_source}, human)
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def _fields(report: Any) -> dict[str, Any]:
    import dataclasses

    return {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}


# --- case ----------------------------------------------------------------------------


def _case_list(args: argparse.Namespace, out: Output) -> int:
    from kiosk.store import CaseDecision

    decision = CaseDecision(args.decision) if args.decision else None
    with _open() as store:
        cases = store.list_cases(limit=args.limit, offset=args.offset, decision=decision)

    def human(console: Any) -> None:
        from rich.table import Table

        table = Table(title=f"{len(cases)} cases")
        for col in ("case", "created (UTC)", "decision", "final", "evidence", "reasons"):
            table.add_column(col, overflow="fold")
        for c in cases:
            evidence = "purged" if c.evidence_purged else str(c.evidence_count)
            table.add_row(
                c.case_id,
                c.created_at.strftime("%Y-%m-%d %H:%M"),
                c.decision.value,
                c.final_decision.value,
                evidence,
                _esc(", ".join(c.reasons)),
            )
        console.print(table)

    out.emit({"cases": cases}, human)
    return EXIT_OK


def _case_show(args: argparse.Namespace, out: Output) -> int:
    import json

    with _open() as store:
        case = store.get_case(args.case_id, actor=_actor(), purpose="view")

    def human(console: Any) -> None:
        console.print(
            f"case {case.case_id}  created {case.created_at.isoformat()}  "
            f"decision {case.decision.value}  final {case.final_decision.value}"
        )
        console.print(f"reasons: {_esc(', '.join(case.reasons) or '-')}")
        console.print(f"policy sha256: {case.policy_hash}")
        for ref in case.evidence:
            console.print(f"evidence {ref.seq}: {ref.kind.value} {ref.media_type} {ref.size} B")
        for review in case.reviews:
            console.print(
                f"review {review.decided_at.isoformat()} {_esc(review.actor)} "
                f"{review.decision.value}: {_esc(review.note)}"
            )
        data = case.case_data()
        console.print(
            _esc(json.dumps(data, indent=2, ensure_ascii=False))
            if data is not None
            else "case data erased by retention"
        )

    out.emit(case, human)
    return EXIT_OK


def _case_report(args: argparse.Namespace, out: Output) -> int:
    from kiosk.errors import EvidenceTampered
    from kiosk.store.errors import EvidencePurged, OutputExists
    from kiosk.store.fsutil import write_private_file
    from kiosk.store.report import render_case_html
    from kiosk.store.types import iso, utc_now

    html_path = None if args.html is None else args.html.expanduser().absolute()
    exists_hint = "choose another file name, or delete the old report first"
    if html_path is not None and (html_path.exists() or html_path.is_symlink()):
        raise OutputExists(f"{html_path} already exists; it is not overwritten.", hint=exists_hint)
    purpose = "report" if html_path is None else "html_report"
    evidence_error: str | None = None
    unavailable: str | None = None
    with _open() as store:
        case = store.get_case(args.case_id, actor=_actor(), purpose=purpose)
        try:
            evidence = store.load_evidence(case.case_id, actor=_actor(), purpose=purpose)
        except EvidencePurged as exc:
            evidence, unavailable = None, exc.message
        except EvidenceTampered as exc:
            evidence, unavailable, evidence_error = None, exc.message, exc.code
    warning = None
    if html_path is not None:
        page = render_case_html(
            case,
            evidence,
            generated_at=iso(utc_now()) or "",
            evidence_unavailable=(f"WARNING: {unavailable}" if evidence_error else unavailable),
        )
        try:
            write_private_file(html_path, page.encode("utf-8"))
        except FileExistsError:
            raise OutputExists(
                f"{html_path} already exists; it is not overwritten.", hint=exists_hint
            ) from None
        except OSError as exc:
            raise ConfigError(f"The report cannot be written ({exc.strerror}).") from None
        warning = (
            f"{html_path} holds personal data in the clear (document fields and images), "
            "readable only by you (mode 0600); do not copy it elsewhere, delete it after use"
        )
    payload = {
        "case_id": case.case_id,
        "decision": case.decision,
        "final_decision": case.final_decision,
        "reasons": case.reasons,
        "timings": case.timings,
        "evidence": [
            {"kind": item.kind, "media_type": item.media_type, "bytes": len(item.data)}
            for item in (evidence or ())
        ],
        "evidence_available": evidence is not None,
        "evidence_error": evidence_error,
        "evidence_unavailable": unavailable,
        "html": str(html_path) if html_path else None,
        "html_warning": warning,
    }

    def human(console: Any) -> None:
        console.print(f"case {case.case_id}: {case.final_decision.value}")
        if evidence is not None:
            console.print(f"{len(evidence)} evidence blobs decrypted and verified")
        elif evidence_error:
            console.print(f"[red]{_esc(unavailable)}[/]")
        else:
            console.print(_esc(unavailable))
        if warning:
            console.print(f"[yellow]WARNING[/]: {_esc(warning)}")

    out.emit(payload, human)
    return EXIT_CHECK_FAILED if evidence_error else EXIT_OK
