"""``python -m ui`` (and ``kiosk app``): start the kiosk application.

Nothing happens at import time; :func:`main` creates the QApplication, shows the
welcome screen at once and loads the models in the background.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import traceback
from collections.abc import Sequence
from types import TracebackType
from typing import Any

log = logging.getLogger("ui.app")

EXIT_ERROR = 2
DEFAULT_SIZE = (1280, 800)


def build_parser() -> argparse.ArgumentParser:
    """The app's options; declared Qt-free in :mod:`kiosk.cli.app_cmd` for ``kiosk app``."""
    from kiosk.cli.app_cmd import add_app_arguments

    parser = argparse.ArgumentParser(prog="python -m ui", description="Start the kiosk app.")
    add_app_arguments(parser)
    return parser


def _parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        return DEFAULT_SIZE
    return (w, h) if w >= 640 and h >= 480 else DEFAULT_SIZE


def _display_available() -> bool:
    return bool(
        os.environ.get("QT_QPA_PLATFORM")
        or os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app; returns the exit status (0, or 1 when an autorun did not decide,
    2 when it could not start)."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return _run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback on the console
        from kiosk.errors import InternalError, KioskError

        error = exc if isinstance(exc, KioskError) else InternalError()
        if not isinstance(exc, KioskError):
            log.exception("the app failed to start")
        sys.stderr.write(f"error: {error.message}\n")
        if error.hint:
            sys.stderr.write(f"hint: {error.hint}\n")
        return EXIT_ERROR


def _run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    from kiosk.errors import ConfigError
    from kiosk.logging import configure_logging_from_config

    configure_logging_from_config()
    if not _display_available():
        if not args.autorun:
            raise ConfigError(
                "No display is available.",
                hint="run under X or Wayland, or use --autorun (offscreen)",
            )
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from dataclasses import replace

    from kiosk.settings import load_settings

    settings = load_settings()
    if args.lang:
        settings = replace(settings, display=replace(settings.display, language=args.lang))

    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from ui.controller import AppOptions, KioskWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("kiosk")
    app.setApplicationDisplayName("Identity check")
    options = AppOptions(
        demo=args.demo,
        camera=args.camera,
        document=args.document,
        policy=args.policy,
        store=not args.no_store and not args.demo,
        fullscreen=not args.windowed,
        seed=args.seed,
        report=args.autorun,
    )
    window = KioskWindow(options, settings)
    _install_excepthook(window)

    if args.report_startup:

        class _FirstPaint(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
                if event.type() == QEvent.Type.Paint:
                    ms = (time.monotonic() - started) * 1000.0
                    sys.stderr.write(f"kiosk-ui: welcome painted after {ms:.0f} ms in-process\n")
                    sys.stderr.flush()
                    window.welcome.removeEventFilter(self)
                return False

        first_paint = _FirstPaint(window)
        window.welcome.installEventFilter(first_paint)

        def runtime_ready() -> None:
            ms = (time.monotonic() - started) * 1000.0
            sys.stderr.write(f"kiosk-ui: models loaded after {ms:.0f} ms in-process\n")
            sys.stderr.flush()

        window.runtime_ready.connect(runtime_ready)

    autorun_mode = args.autorun
    if options.fullscreen and not autorun_mode:
        window.showFullScreen()
    else:
        window.resize(*_parse_size(args.size))
        window.show()
    window.start()
    autorun: Any = None
    if autorun_mode:
        from ui.autorun import Autorun

        autorun = Autorun(window, args.screenshots)
        autorun.start()
    code = app.exec()
    window.shutdown()
    return int(autorun.exit_code if autorun is not None else code)


def _install_excepthook(window: Any) -> None:
    """Exceptions escaping a Qt slot go to the log (with traceback) and to the window's
    error handling; nothing is printed for the customer."""
    from kiosk.errors import InternalError, KioskError

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if isinstance(exc, KioskError):
            window.handle_error(exc, "ui")
            return
        log.error(
            "unhandled error in the UI:\n%s", "".join(traceback.format_exception(kind, exc, tb))
        )
        try:
            window.handle_error(InternalError(), "ui")
        except Exception:  # the hook itself must never raise
            log.exception("error handling failed")

    sys.excepthook = hook
