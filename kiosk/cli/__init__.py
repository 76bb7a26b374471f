"""The ``kiosk`` command line. Each command group lives in its own module here.

Every command takes ``--json``. Errors never print a traceback: a
:class:`KioskError` becomes ``{"error": {"code", "message"}}`` (with
``--json``) or two lines on stderr, and the exit status is 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from kiosk.cli._base import EXIT_ERROR, Handler, Output, Parser, add_json_flag
from kiosk.errors import InternalError, KioskError

log = logging.getLogger("kiosk.cli")


# One module per command group; each has ``register(subparsers)``.
COMMAND_MODULES = (
    "models_cmd",
    "config_cmd",
    "doctor_cmd",
    "demo_cmd",
    "document_cmd",
    "face_cmd",
    "liveness_replay_cmd",
    "liveness_cmd",
    "verify_cmd",
    "store_cmd",
    "screening_cmd",
    "sync_cmd",
    "app_cmd",
    "staff_cmd",
)


def build_parser() -> Parser:
    parser = Parser(prog="kiosk", description="Offline identity-verification kiosk.")
    add_json_flag(parser)
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"kiosk.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and ``python -m kiosk``."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    out = Output(json_mode="--json" in args_list)
    try:
        from kiosk.logging import configure_logging_from_config

        configure_logging_from_config()
        parser = build_parser()
        args = parser.parse_args(args_list)
        out.json_mode = bool(getattr(args, "json", False)) or out.json_mode
        if args.version:
            from importlib.metadata import version

            out.emit({"version": version("kiosk-kyc")}, lambda c: c.print(version("kiosk-kyc")))
            return 0
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_help(out.stdout)
            return 0
        return handler(args, out)
    except KioskError as exc:
        out.error(exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception:
        log.exception("unexpected error in the command line")
        out.error(InternalError())
        return EXIT_ERROR


def command(
    sub: argparse._SubParsersAction[Parser], name: str, handler: Handler, help_text: str
) -> Parser:
    """Add a sub-command that takes ``--json`` and dispatches to ``handler``."""
    parser: Parser = sub.add_parser(name, help=help_text, description=help_text)
    add_json_flag(parser)
    parser.set_defaults(handler=handler)
    return parser
