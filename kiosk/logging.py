"""Logging set-up: JSON lines, rotated, with personal data redacted at the handler.

Code should never log names, document numbers, birth dates or images; the
redaction filter is the second line of defence and scrubs anything that
looks like an MRZ line, a date, a long number or an e-mail address from
messages and tracebacks before they reach the file.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import time
from pathlib import Path

_PATTERNS = (
    re.compile(r"[A-Z0-9<]*<[A-Z0-9<]+"),  # MRZ fragments: anything holding a '<' filler
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),  # ISO dates
    re.compile(r"\b\d{1,2}[./ -]\d{1,2}[./ -]\d{2,4}\b"),  # day.month.year
    re.compile(
        r"\b\d{1,2} (?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]* \d{2,4}\b", re.I
    ),
    re.compile(r"\b[A-Z0-9]*\d{6,}[A-Z0-9]*\b"),  # ID numbers: six digits in a row
    re.compile(r"\b(?=(?:[A-Z]*\d){3})[A-Z0-9]{8,}\b"),  # document numbers: 8+ chars, 3+ digits
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),  # e-mail
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with anything that looks like personal data replaced."""
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


class JsonRedactingFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (redacted), exception (redacted)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class _KioskFileHandler(logging.handlers.RotatingFileHandler):
    """Marks the handler this module installed, so reconfiguring replaces it."""


def configure_logging_from_config() -> Path | None:
    """Logging as the config file says; its defaults when the file is broken (the
    command that reads the config will then report the problem)."""
    from kiosk.config import KioskConfig, kiosk_paths, load_config
    from kiosk.errors import ConfigError

    try:
        config = load_config()
    except ConfigError:
        config = KioskConfig()
    return configure_logging(
        kiosk_paths().log_dir,
        level=config.log_level,
        max_bytes=config.log_max_bytes,
        backups=config.log_backups,
    )


def configure_logging(
    log_dir: Path,
    *,
    level: int | str = logging.INFO,
    max_bytes: int = 5_000_000,
    backups: int = 5,
) -> Path | None:
    """Send the kiosk's logs to ``log_dir/kiosk.log``, rotated at ``max_bytes``.

    Returns the log file, or None when the directory is not writable; logging
    then goes nowhere rather than to the user's terminal.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _KioskFileHandler)]:
        root.removeHandler(old)
        old.close()
    root.setLevel(level)
    path = log_dir / "kiosk.log"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        handler = _KioskFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    except OSError:
        if not root.handlers:
            root.addHandler(logging.NullHandler())
        return None
    handler.setFormatter(JsonRedactingFormatter())
    root.addHandler(handler)
    return path
