"""The reduced outage run for CI: 600 decisions through a simulated 24-hour outage,
injected 500s, dropped connections, time-outs, two receiver crashes (SIGKILL) and
a sender restart. 0 lost, 0 duplicated. The 10 000-decision run is
``tests/eval/eval_sync.py``."""

from __future__ import annotations

from pathlib import Path

from tests.kiosk.sync.outage import run_outage

COUNT = 600


def test_every_decision_arrives_exactly_once_after_a_day_long_outage(
    tmp_path: Path, data_dir: Path
) -> None:
    report = run_outage(tmp_path / "outage", COUNT, seed=8)
    print(report)
    # the outage was real: nothing got through, the sender kept backing off, and
    # the circuit breaker kept it from hammering a dead upstream
    assert report.outage_passes == 2 * 144
    # a pass stops after 3 failures in a row, with at most 3 more already in flight
    assert report.outage_attempts <= (3 + 4 - 1) * report.outage_passes
    assert report.outage_max_attempts_per_message >= 5
    assert report.outage_latest_retry_h <= 24 + 24  # back-off capped at a day
    # once the upstream answers, backed-off messages do not wait out their back-off
    assert report.recovery_simulated_s < 3600
    # the faults happened, and some stored-but-unacknowledged messages came back
    for fault in ("error_before", "error_after", "drop_before", "drop_after", "timeout_after"):
        assert report.faults.get(fault, 0) > 0, fault
    assert report.receiver_kills == 2 and report.sender_restarts == 1
    assert report.duplicate_acknowledgements > 0
    # and the effect is exactly once
    assert (report.lost, report.duplicated, report.extra, report.altered) == (0, 0, 0, 0)
    assert report.delivered == COUNT
    assert (report.undelivered_in_outbox, report.rejected_in_outbox) == (0, 0)
