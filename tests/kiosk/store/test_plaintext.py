"""Nothing personal reaches the disk in the clear: every file under the data dir is searched."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kiosk.store import Passphrase, Store
from kiosk.store.report import render_case_html
from tests.kiosk.store.helpers import (
    JPEG_JFIF,
    JPEG_SOI,
    KNOWN_DOCNUM,
    KNOWN_GIVEN,
    KNOWN_SURNAME,
    PASSPHRASE,
    files_under,
    make_record,
)


def _needles() -> dict[str, bytes]:
    needles: dict[str, bytes] = {}
    for label, text in (
        ("surname", KNOWN_SURNAME),
        ("given names", KNOWN_GIVEN),
        ("document number", KNOWN_DOCNUM),
    ):
        for variant in {text, text.lower(), text.title()}:
            needles[f"{label} utf-8 {variant}"] = variant.encode("utf-8")
            needles[f"{label} utf-16 {variant}"] = variant.encode("utf-16-le")
    needles["jpeg start of image"] = JPEG_SOI
    needles["jfif header"] = JPEG_JFIF
    return needles


def _hits(root: Path) -> list[str]:
    found: list[str] = []
    for path in files_under(root):
        content = path.read_bytes()
        found.extend(
            f"{path.relative_to(root)}: {label}"
            for label, needle in _needles().items()
            if needle in content
        )
    return found


def _write_case(store: Store) -> None:
    record = make_record(random.Random(7), evidence_sizes=(300_000, 40_000, 20_000))
    store.save_case(record, outbox_payload=KNOWN_SURNAME.encode(), actor="kiosk")
    note = f"{KNOWN_SURNAME} {KNOWN_DOCNUM} checked at the desk"
    store.set_review(record.case_id, record.decision, note, "staff-3")
    # The case really holds the needles, so a clean search means encryption, not absence.
    assert KNOWN_SURNAME.encode() in (store.get_case(record.case_id).case_json or b"")
    assert store.load_evidence(record.case_id)[0].data.startswith(JPEG_SOI + JPEG_JFIF)


def test_the_search_finds_plaintext_when_it_is_there(data_dir: Path, store: Store) -> None:
    """Control: the same search flags a file that does hold the data."""
    _write_case(store)
    leak = data_dir / "leak.bin"
    leak.write_bytes(b"..." + KNOWN_DOCNUM.encode() + JPEG_SOI)
    assert sorted(_hits(data_dir)) == [
        "leak.bin: document number utf-8 X7Q4P2K9L",
        "leak.bin: jpeg start of image",
    ]


@pytest.mark.parametrize("closed", [False, True], ids=["open-with-wal", "after-close"])
def test_no_plaintext_in_any_file_under_the_data_dir(
    data_dir: Path, store: Store, closed: bool
) -> None:
    _write_case(store)
    if closed:
        store.close()
        with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
            reopened.purge(dry_run=True)
    names = {p.name for p in files_under(data_dir)}
    # The search covers the database and its WAL and SHM while open, the blobs and the keyfile.
    assert {"kiosk.db", "keyfile.json"} <= names
    if not closed:
        assert {"kiosk.db-wal", "kiosk.db-shm"} <= names
    assert sum(1 for p in files_under(data_dir) if p.suffix == ".kev") == 3
    assert _hits(data_dir) == []


def test_the_html_report_is_the_one_deliberate_plaintext(store: Store) -> None:
    """The report renders the data (so the needles are in it) but is never written by the store."""
    _write_case(store)
    case_id = store.list_cases()[0].case_id
    page = render_case_html(
        store.get_case(case_id), store.load_evidence(case_id), generated_at="now"
    )
    assert KNOWN_SURNAME in page and "data:image/jpeg;base64," in page
    assert _hits(store.paths.root) == []
