"""Shared CLI plumbing: the parser that raises instead of exiting, output, error rendering."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, NoReturn

from kiosk.errors import KioskError, UsageError
from kiosk.jsonout import dumps

EXIT_OK = 0
EXIT_CHECK_FAILED = 1  # the command ran; what it checked is not in order
EXIT_ERROR = 2  # the command could not run: bad input, missing part

log = logging.getLogger("kiosk.cli")


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are :class:`UsageError`, so ``--json`` can render them."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}", hint=f"see: {self.prog} --help")


@dataclass
class Output:
    """Where a command's result goes: JSON on stdout, or human text through rich."""

    json_mode: bool
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)

    def console(self, *, stderr: bool = False) -> Any:
        from rich.console import Console

        stream = self.stderr if stderr else self.stdout
        width = None if stream.isatty() else 160
        return Console(file=stream, highlight=False, width=width)

    def emit(self, payload: Any, human: Callable[[Any], None] | None = None) -> None:
        """Print ``payload`` as JSON, or call ``human(console)`` for people."""
        if self.json_mode or human is None:
            self.stdout.write(dumps(payload) + "\n")
        else:
            human(self.console())
        self.stdout.flush()

    def error(self, exc: KioskError) -> None:
        if self.json_mode:
            body: dict[str, Any] = {"code": exc.code, "message": exc.message}
            if exc.hint:
                body["hint"] = exc.hint
            self.stdout.write(dumps({"error": body}) + "\n")
            self.stdout.flush()
        else:
            self.stderr.write(f"error: {exc.message}\n")
            if exc.hint:
                self.stderr.write(f"hint: {exc.hint}\n")
            self.stderr.flush()


Handler = Callable[[argparse.Namespace, Output], int]


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
