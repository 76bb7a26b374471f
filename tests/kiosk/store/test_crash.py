"""SIGKILL at random points while cases are written: nothing committed is lost, nothing
half-written is visible, the audit chain verifies (short CI version of the evaluation)."""

from __future__ import annotations

from pathlib import Path

from kiosk.store import Store
from tests.kiosk.store.crashkit import run_write_campaign
from tests.kiosk.store.helpers import FAST_KDF, PASSPHRASE


def test_random_sigkills_during_case_writes(data_dir: Path) -> None:
    Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    report = run_write_campaign(
        data_dir,
        writes=150,
        seed=20261124,
        evidence_sizes=(24_000, 12_000, 6_000),
        mean_batch=10,
    )
    # The checks run inside the campaign after every restart; here: it really crashed often.
    assert report.kills >= 8
    assert report.restarts_checked == report.kills
    assert report.cases_verified >= 150
