from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from kiosk.logging import REDACTED, configure_logging, redact


@pytest.mark.parametrize(
    "secret",
    [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        "born 1974-08-12",
        "born 12.08.1974",
        "born 12 AUG 1974",
        "document D23145890",
        "S1234567D",
        "anna@example.org",
    ],
)
def test_redact_scrubs_personal_data(secret: str) -> None:
    cleaned = redact(f"case 17 step: {secret} end")
    assert REDACTED in cleaned
    for token in ("ERIKSSON", "L898902", "1974", "D23145890", "1234567", "anna@"):
        assert token not in cleaned
    assert cleaned.startswith("case 17 step:")


def test_log_lines_are_json_and_redacted(tmp_path: Path) -> None:
    path = configure_logging(tmp_path)
    assert path is not None
    logging.getLogger("kiosk.test").warning("mrz %s", "P<UTOERIKSSON<<ANNA")
    for handler in logging.getLogger().handlers:
        handler.flush()
    entry = json.loads(path.read_text().strip().splitlines()[-1])
    assert entry["level"] == "WARNING" and entry["logger"] == "kiosk.test"
    assert "ERIKSSON" not in entry["msg"]
