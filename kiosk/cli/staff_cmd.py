"""``kiosk staff add|remove|list|unlock``: the PINs of the staff console.

Adding, removing and unlocking change who may approve cases, so they first unlock the
encrypted store with the installation's credential (passphrase file, keyring or a
prompt): whoever holds the store passphrase may manage staff PINs. The PIN is typed
twice at a terminal, or read from stdin with ``--pin-stdin`` (automation).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from kiosk.cli._base import EXIT_OK, Output, Parser
from kiosk.errors import UsageError


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    from kiosk.cli import command

    staff = sub.add_parser("staff", help="manage the staff console's PINs")
    ssub = staff.add_subparsers(dest="staff_command", parser_class=Parser, metavar="ACTION")
    staff.set_defaults(handler=_need_action)
    add = command(ssub, "add", _add, "set the PIN of a staff id (needs the store credential)")
    add.add_argument("staff_id", metavar="STAFF_ID", help="an identifier such as clerk01")
    add.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    remove = command(ssub, "remove", _remove, "remove a staff id (needs the store credential)")
    remove.add_argument("staff_id", metavar="STAFF_ID")
    command(ssub, "list", _list, "enrolled staff ids and the lock-out state")
    command(ssub, "unlock", _unlock, "clear the lock-out after wrong PINs (needs the credential)")


def _need_action(args: argparse.Namespace, out: Output) -> int:
    raise UsageError(
        "kiosk staff needs an action: add, remove, list or unlock.", hint="see: kiosk staff --help"
    )


def _authorise() -> None:
    """Prove authority by unlocking the store (then close it again)."""
    from kiosk.persist import open_store

    open_store().close()


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("No terminal to ask for the PIN on.", hint="use --pin-stdin")
    first = getpass.getpass("New staff PIN (6-12 digits): ")
    if getpass.getpass("Repeat the PIN: ") != first:
        raise UsageError("The two PINs differ.")
    return first


def _add(args: argparse.Namespace, out: Output) -> int:
    from kiosk.staff_pin import StaffPins, check_new_pin, check_staff_id

    check_staff_id(args.staff_id)
    pin = check_new_pin(_read_pin(args.pin_stdin))
    _authorise()
    StaffPins().enroll(args.staff_id, pin)
    out.emit(
        {"staff_id": args.staff_id, "enrolled": True},
        lambda c: c.print(f"PIN set for {args.staff_id}."),
    )
    return EXIT_OK


def _remove(args: argparse.Namespace, out: Output) -> int:
    from kiosk.staff_pin import StaffPins

    _authorise()
    removed = StaffPins().remove(args.staff_id)
    out.emit(
        {"staff_id": args.staff_id, "removed": removed},
        lambda c: c.print(
            f"{args.staff_id} removed." if removed else f"{args.staff_id} was not enrolled."
        ),
    )
    return EXIT_OK


def _list(args: argparse.Namespace, out: Output) -> int:
    from kiosk.staff_pin import StaffPins

    pins = StaffPins()
    ids, state = pins.staff_ids(), pins.state()
    payload: dict[str, Any] = {
        "staff": list(ids),
        "failures": state.failures,
        "locked_for_s": round(state.retry_after_s, 1),
    }

    def human(console: Any) -> None:
        console.print(", ".join(ids) if ids else "No staff PIN is set.")
        if state.retry_after_s > 0:
            console.print(
                f"Locked for {state.retry_after_s:.0f} s after {state.failures} wrong PINs."
            )

    out.emit(payload, human)
    return EXIT_OK


def _unlock(args: argparse.Namespace, out: Output) -> int:
    from kiosk.staff_pin import StaffPins

    _authorise()
    StaffPins().reset_lockout()
    out.emit({"unlocked": True}, lambda c: c.print("Staff sign-in lock-out cleared."))
    return EXIT_OK
