"""Staff PINs: Argon2id hashes, lock-out that grows and survives a restart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.errors import ConfigError
from kiosk.staff_pin import (
    InvalidPin,
    LockoutPolicy,
    NoStaffEnrolled,
    PinHashing,
    StaffLockedOut,
    StaffPins,
    WrongPin,
    check_new_pin,
)

FAST = PinHashing(time_cost=1, memory_kib=8 * 1024)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def pins(path: Path, clock: Clock) -> StaffPins:
    return StaffPins(path, hashing=FAST, lockout=LockoutPolicy(3, 30.0, 600.0), clock=clock)


def test_a_pin_is_stored_as_an_argon2id_hash_only(tmp_path: Path) -> None:
    path = tmp_path / "staff_pins.json"
    p = pins(path, Clock())
    p.enroll("clerk01", "582947")
    text = path.read_text()
    assert "582947" not in text
    assert json.loads(text)["staff"]["clerk01"].startswith("$argon2id$")
    assert p.verify("clerk01", "582947").staff_id == "clerk01"
    assert path.stat().st_mode & 0o077 == 0


def test_no_one_enrolled_is_its_own_error(tmp_path: Path) -> None:
    with pytest.raises(NoStaffEnrolled):
        pins(tmp_path / "p.json", Clock()).verify("clerk01", "582947")


def test_failures_lock_out_with_growing_delays_that_survive_a_restart(tmp_path: Path) -> None:
    path, clock = tmp_path / "p.json", Clock()
    p = pins(path, clock)
    p.enroll("clerk01", "582947")
    for left in (2, 1):
        with pytest.raises(WrongPin) as err:
            p.verify("clerk01", "000111")
        assert err.value.attempts_left == left
    with pytest.raises(StaffLockedOut) as locked:
        p.verify("clerk01", "000111")  # third failure: 30 s
    assert locked.value.retry_after_s == pytest.approx(30.0)
    # even the right PIN is not checked while locked, and a new process sees the lock
    restarted = pins(path, clock)
    with pytest.raises(StaffLockedOut):
        restarted.verify("clerk01", "582947")
    clock.now += 31
    with pytest.raises(StaffLockedOut) as longer:
        restarted.verify("clerk01", "999999")  # fourth failure: 60 s
    assert longer.value.retry_after_s == pytest.approx(60.0)
    clock.now += 61
    assert restarted.verify("clerk01", "582947").staff_id == "clerk01"
    assert restarted.state().failures == 0


def test_an_unknown_staff_id_fails_like_a_wrong_pin(tmp_path: Path) -> None:
    p = pins(tmp_path / "p.json", Clock())
    p.enroll("clerk01", "582947")
    with pytest.raises(WrongPin):
        p.verify("nobody", "582947")
    assert p.state().failures == 1


def test_reset_and_remove(tmp_path: Path) -> None:
    clock = Clock()
    p = pins(tmp_path / "p.json", clock)
    p.enroll("clerk01", "582947")
    p.enroll("clerk02", "730914")
    for _ in range(3):
        with pytest.raises((WrongPin, StaffLockedOut)):
            p.verify("clerk01", "111222")
    p.reset_lockout()
    assert p.verify("clerk02", "730914").staff_id == "clerk02"
    assert p.remove("clerk01") and not p.remove("clerk01")
    assert p.staff_ids() == ("clerk02",)


@pytest.mark.parametrize("pin", ["12345", "1234567890123", "12a456", "111111", "123456", "987654"])
def test_weak_or_malformed_pins_are_refused(pin: str) -> None:
    with pytest.raises(InvalidPin):
        check_new_pin(pin)


def test_a_damaged_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"version": 1, "staff": {"x": "plain"}, "failures": 0, "locked_until": 0}')
    with pytest.raises(ConfigError):
        pins(path, Clock()).staff_ids()
    with pytest.raises(ConfigError):
        pins(path, Clock()).enroll("bad id with spaces", "582947")
