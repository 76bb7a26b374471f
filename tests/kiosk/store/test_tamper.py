"""A modified, truncated, moved or missing evidence file is caught, never returned."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.errors import EvidenceTampered
from kiosk.store import Store
from kiosk.store.errors import EvidenceMissing
from tests.kiosk.store.helpers import make_record


def _blob(store: Store, case_id: str, index: int) -> Path:
    ref = store.get_case(case_id).evidence[index]
    return store.paths.blobs / case_id / f"{ref.blob_id}.kev"


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-100])


def _flip_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[5] ^= 0x80  # inside the nonce
    path.write_bytes(bytes(data))


def _append(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\x00")


@pytest.mark.parametrize(
    "damage",
    [_flip_byte, _truncate, _flip_header, _append],
    ids=["flipped-bit", "truncated", "nonce", "appended"],
)
def test_modified_blob_raises_evidence_tampered(
    store: Store, rng: random.Random, damage: Callable[[Path], None]
) -> None:
    record = make_record(rng)
    store.save_case(record, actor="kiosk")
    damage(_blob(store, record.case_id, 1))
    with pytest.raises(EvidenceTampered) as excinfo:
        store.load_evidence(record.case_id)
    assert excinfo.value.code == "evidence_tampered"
    # The untouched blob still reads.
    first = store.get_case(record.case_id).evidence[0]
    assert store.read_evidence(record.case_id, first.blob_id) == record.evidence[0]


def test_swapping_two_blobs_of_one_case_is_caught(store: Store, rng: random.Random) -> None:
    record = make_record(rng)
    store.save_case(record, actor="kiosk")
    a, b = _blob(store, record.case_id, 0), _blob(store, record.case_id, 1)
    content_a, content_b = a.read_bytes(), b.read_bytes()
    a.write_bytes(content_b)
    b.write_bytes(content_a)
    with pytest.raises(EvidenceTampered):
        store.load_evidence(record.case_id)


def test_a_blob_moved_from_another_case_is_caught(store: Store, rng: random.Random) -> None:
    first, second = make_record(rng), make_record(rng)
    store.save_case(first, actor="kiosk")
    store.save_case(second, actor="kiosk")
    shutil.copyfile(_blob(store, first.case_id, 0), _blob(store, second.case_id, 0))
    with pytest.raises(EvidenceTampered):
        store.load_evidence(second.case_id)


def test_a_deleted_blob_is_reported_missing(store: Store, rng: random.Random) -> None:
    record = make_record(rng)
    store.save_case(record, actor="kiosk")
    _blob(store, record.case_id, 2).unlink()
    with pytest.raises(EvidenceMissing) as excinfo:
        store.load_evidence(record.case_id)
    assert isinstance(excinfo.value, EvidenceTampered)
    assert excinfo.value.code == "evidence_missing"
