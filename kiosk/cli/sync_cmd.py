"""``kiosk sync push|status|serve``: upstream sync of decisions.

``push`` and ``status`` open the store (like ``kiosk store``) and read the
sync settings from ``[sync]`` in ``kiosk.toml`` or ``KIOSK_SYNC_*``
(:mod:`kiosk.sync.config`). ``serve`` runs the reference receiver; it needs no
store.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli._base import EXIT_CHECK_FAILED, EXIT_OK, Output, Parser
from kiosk.errors import UsageError

if TYPE_CHECKING:
    from kiosk.store import Store


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    from kiosk.cli import command

    sync = sub.add_parser("sync", help="send decisions upstream; run the reference receiver")
    ssub = sync.add_subparsers(dest="sync_command", parser_class=Parser, metavar="ACTION")
    sync.set_defaults(handler=_need_action)

    push = command(ssub, "push", _push, "send queued decisions now (back-off is skipped)")
    push.add_argument("--limit", type=int, help="send at most N messages")
    command(ssub, "status", _status, "queue length, rejected messages, last success and error")

    serve = command(ssub, "serve", _serve, "run the reference receiver (POST /v1/decisions)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, required=True, help="TCP port (0: any free port)")
    where = serve.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", type=Path, help="SQLite database file (created if missing)")
    where.add_argument(
        "--dsn",
        help="PostgreSQL DSN (needs psycopg; keep the password in ~/.pgpass or PGPASSWORD)",
    )
    serve.add_argument(
        "--secret-file",
        type=Path,
        required=True,
        help="device secrets: '<secret>' or '<device> <secret>' per line (mode 0600)",
    )
    serve.add_argument(
        "--ed25519-public-key",
        type=Path,
        help="require Ed25519 signatures: a PEM key, or '[<device>] <key>' lines",
    )
    serve.add_argument("--window-s", type=int, default=300, help="replay window (default 300 s)")
    serve.add_argument(
        "--max-body", type=int, default=64 * 1024, help="largest body in bytes (default 65536)"
    )
    serve.add_argument("--tls-cert", type=Path, help="serve HTTPS with this PEM certificate")
    serve.add_argument("--tls-key", type=Path, help="the certificate's PEM private key")
    serve.add_argument(
        "--max-connections", type=int, default=64, help="open connections at once (default 64)"
    )
    serve.add_argument(
        "--max-connections-per-client",
        type=int,
        default=32,
        help="open connections from one address (default 32; 0: no limit, behind a proxy)",
    )
    serve.add_argument(
        "--request-deadline-s",
        type=float,
        default=30.0,
        help="most seconds one request may take to arrive, headers and body (default 30)",
    )


def _need_action(args: argparse.Namespace, out: Output) -> int:
    raise UsageError("kiosk sync: choose an action: push, status, serve.")


def _push(args: argparse.Namespace, out: Output) -> int:
    from kiosk.sync.config import load_sync_settings
    from kiosk.sync.errors import SyncNotConfigured
    from kiosk.sync.sender import Sender, sync_status

    if args.limit is not None and args.limit < 1:
        raise UsageError("kiosk sync push: --limit must be at least 1.")
    settings = load_sync_settings()
    if settings is None:
        raise SyncNotConfigured()
    fields, policy_error = _policy_fields()
    with open_store() as store, Sender(store, settings) as sender:
        report = sender.drain(limit=args.limit, ignore_backoff=True)
        status = sync_status(store, settings, fields=fields, policy_error=policy_error)
    clean = report.halted is None and report.retried == 0 and report.rejected == 0

    def human(console: Any) -> None:
        console.print(
            f"sent {report.attempted}: {report.delivered} delivered, "
            f"{report.duplicates} already there, {report.retried} to retry, "
            f"{report.rejected} rejected"
            + (f", {report.stripped} without fields the policy dropped" if report.stripped else "")
            + (f"; stopped early ({report.halted})" if report.halted else "")
        )
        _print_status(console, status)

    out.emit({"push": report, "status": status}, human)
    return EXIT_OK if clean else EXIT_CHECK_FAILED


def _status(args: argparse.Namespace, out: Output) -> int:
    from kiosk.sync.config import load_sync_settings
    from kiosk.sync.sender import sync_status

    settings = load_sync_settings()
    fields, policy_error = _policy_fields()
    with open_store() as store:
        status = sync_status(store, settings, fields=fields, policy_error=policy_error)
    out.emit(status, lambda console: _print_status(console, status))
    return EXIT_OK


def _policy_fields() -> tuple[tuple[str, ...] | None, str | None]:
    """The site policy's ``[sync] fields``, or None and why it cannot be read."""
    from kiosk.errors import KioskError
    from kiosk.sync.sender import policy_fields_reader

    try:
        return policy_fields_reader()(), None
    except KioskError as exc:
        return None, f"{exc.code}: {exc.message}"


def open_store() -> Store:
    """The installation's store, unlocked like ``kiosk store`` does it."""
    from kiosk.config import kiosk_paths
    from kiosk.store import Store, read_store_keyfile
    from kiosk.store.unlock import resolve_credential

    data_dir = kiosk_paths().data_dir
    keyfile = read_store_keyfile(data_dir)
    return Store.open(data_dir, resolve_credential(keyfile.install_id))


def _print_status(console: Any, status: Any) -> None:
    from rich.markup import escape

    if not status.configured:
        console.print("sync is not configured (set KIOSK_SYNC_URL or [sync] url)")
    else:
        console.print(
            f"upstream {escape(status.endpoint)} as {status.device_id} (site {status.site_id})"
        )
    console.print(
        f"  queue {status.queue_length} ({status.due_now} due now), "
        f"rejected {status.rejected}, delivered {status.delivered}"
    )
    if status.blocked:
        console.print(
            f"  [yellow]{status.blocked} queued while the sync configuration was broken[/] "
            f"(sent once it loads, without customer reference or personal fields): "
            f"{escape(status.blocked_reason or '')}"
        )
    if status.policy_error:
        console.print(f"  [red]site policy unreadable[/]: {escape(status.policy_error)}")
    elif status.policy_fields is not None:
        console.print(f"  extra fields sent: {', '.join(status.policy_fields) or 'none'}")
    if status.personal_fields:
        console.print(
            f"  [yellow]personal fields sent upstream[/]: {', '.join(status.personal_fields)}"
        )
    console.print(f"  last success {status.last_success_at or 'never'}")
    if status.last_error:
        console.print(f"  last error {status.last_error_at}: {escape(status.last_error)}")
    for item in status.rejected_items:
        console.print(
            f"  rejected #{item.outbox_id} case {item.case_id}: {escape(item.error or '')}"
        )


def _serve(args: argparse.Namespace, out: Output) -> int:
    from kiosk.sync.receiver import ReceiverOptions, build_receiver
    from kiosk.sync.server import ReceiverServer, ServerOptions

    if not 0 <= args.port <= 65535:
        raise UsageError("kiosk sync serve: --port must be 0-65535.")
    if not 1 <= args.window_s <= 3600:
        raise UsageError("kiosk sync serve: --window-s must be 1-3600.")
    if not 1024 <= args.max_body <= 16 * 1024 * 1024:
        raise UsageError("kiosk sync serve: --max-body must be 1024 bytes to 16 MiB.")
    if not 1 <= args.max_connections <= 10_000:
        raise UsageError("kiosk sync serve: --max-connections must be 1-10000.")
    if not 0 <= args.max_connections_per_client <= args.max_connections:
        raise UsageError(
            "kiosk sync serve: --max-connections-per-client must be 0 to --max-connections."
        )
    if not 1 <= args.request_deadline_s <= 600:
        raise UsageError("kiosk sync serve: --request-deadline-s must be 1-600.")
    receiver = build_receiver(
        secret_file=args.secret_file,
        db=args.db,
        dsn=args.dsn,
        ed25519_public_key_file=args.ed25519_public_key,
        options=ReceiverOptions(window_s=args.window_s, max_body_bytes=args.max_body),
    )
    try:
        server = ReceiverServer(
            receiver,
            ServerOptions(
                host=args.host,
                port=args.port,
                tls_cert=args.tls_cert,
                tls_key=args.tls_key,
                max_connections=args.max_connections,
                max_connections_per_client=args.max_connections_per_client,
                request_deadline_s=args.request_deadline_s,
            ),
        )
    except OSError as exc:
        receiver.close()
        raise UsageError(
            f"kiosk sync serve: cannot listen on {args.host}:{args.port} ({exc.strerror})."
        ) from None
    except BaseException:
        receiver.close()
        raise
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        server.start()
        _emit_line(
            out,
            {"listening": server.url, "endpoint": server.url + "/v1/decisions"},
            lambda c: c.print(f"receiver listening on {server.url}/v1/decisions"),
        )
        with contextlib.suppress(KeyboardInterrupt):
            while not stop.wait(0.5):
                pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        counts = receiver.counts()
        server.close()
    _emit_line(
        out,
        {"stopped": True, "decisions": counts.decisions, "deliveries": counts.deliveries},
        lambda c: c.print(f"stopped: {counts.decisions} decisions held"),
    )
    return EXIT_OK


def _emit_line(out: Output, payload: dict[str, Any], human: Any) -> None:
    """One JSON object per line (a long-running command's events), or text."""
    from kiosk.jsonout import dumps

    if out.json_mode:
        out.stdout.write(dumps(payload, indent=None) + "\n")
        out.stdout.flush()
    else:
        out.emit(payload, human)
