"""``kiosk app``: start the kiosk application (``python -m ui``).

``kiosk`` is the application core and never imports ``ui`` (the import-linter layers
contract, and "Qt stays in ui"), not even lazily. So this command does what a shell
would: it replaces the process with ``python -m ui`` (``os.execv``; a child process on
Windows), handing over the arguments. The options are declared here, Qt-free, and
``ui.app`` reuses :func:`add_app_arguments` so both spell them the same.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from kiosk.cli._base import Output, Parser

UI_MODULE = "ui"


def add_app_arguments(p: argparse.ArgumentParser) -> None:
    """The app's options (shared with ``python -m ui``)."""
    p.add_argument(
        "--demo",
        action="store_true",
        help="simulated customer and demo ID card instead of camera and scanner",
    )
    p.add_argument(
        "--autorun",
        action="store_true",
        help="drive the customer flow by itself, print the decision JSON, exit",
    )
    p.add_argument(
        "--screenshots",
        type=Path,
        metavar="DIR",
        help="with --autorun: save a PNG of each screen here",
    )
    p.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    p.add_argument(
        "--size",
        default="1280x800",
        metavar="WxH",
        help="window size when windowed or offscreen (default 1280x800)",
    )
    p.add_argument(
        "--camera",
        metavar="SPEC",
        help="selfie source instead of the bound camera: camera:N, video, folder",
    )
    p.add_argument(
        "--document",
        metavar="SPEC",
        help="document source: scanner:DEVICE, folder:PATH, image:PATH, camera:SPEC",
    )
    p.add_argument("--policy", type=Path, help="site policy file (default: from the settings)")
    p.add_argument("--no-store", action="store_true", help="do not save cases (tests only)")
    p.add_argument("--seed", type=int, help="fixed challenge seed (tests only)")
    p.add_argument("--lang", choices=("en", "de"), help="start language")
    p.add_argument(
        "--report-startup",
        action="store_true",
        help="print a line to stderr when the welcome screen is first painted",
    )


def ui_argv(args: argparse.Namespace) -> list[str]:
    """The parsed options back as ``python -m ui`` arguments."""
    out: list[str] = []
    for flag in ("demo", "autorun", "windowed", "no_store", "report_startup"):
        if getattr(args, flag, False):
            out.append("--" + flag.replace("_", "-"))
    for name in ("screenshots", "size", "camera", "document", "policy", "seed", "lang"):
        value = getattr(args, name, None)
        if value is not None:
            out += ["--" + name, str(value)]
    return out


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    from kiosk.cli import command

    app = command(sub, "app", _app, "start the kiosk application (the default with no command)")
    add_app_arguments(app)


def _app(args: argparse.Namespace, out: Output) -> int:
    argv = [sys.executable, "-m", UI_MODULE, *ui_argv(args)]
    out.stdout.flush()
    out.stderr.flush()
    if os.name == "posix":
        os.execv(sys.executable, argv)  # no return: the app is this process from now on
    return subprocess.call(argv)  # pragma: no cover - Windows
