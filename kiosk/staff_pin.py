"""Staff PINs for the console: one Argon2id hash per staff id, lock-out after failures.

The PIN file ``<data dir>/staff_pins.json`` holds PHC-format Argon2id hashes (never a
PIN) and the failure counter. Lock-out is per installation, not per staff id, so
guessing across ids buys nothing: after ``free_attempts`` failures in a row every
further attempt waits ``base_delay_s``, doubling per failure up to ``max_delay_s``.
The counter survives a restart. A correct PIN resets it. These PINs guard the console
only; the store keeps its own passphrase (:mod:`kiosk.store`).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.errors import ConfigError, KioskError

log = logging.getLogger("kiosk.staff")

PIN_FILE_NAME = "staff_pins.json"
PIN_RE = re.compile(r"^[0-9]{6,12}$")
STAFF_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$")  # the store's actor rule
FILE_VERSION = 1


class StaffAuthError(KioskError):
    code = "staff_auth_failed"
    default_message = "The staff sign-in failed."


class WrongPin(StaffAuthError):
    """Unknown staff id or wrong PIN (deliberately not told apart)."""

    code = "staff_wrong_pin"
    default_message = "Wrong staff id or PIN."

    def __init__(self, message: str | None = None, *, attempts_left: int, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.attempts_left = attempts_left


class StaffLockedOut(StaffAuthError):
    """Too many failures: no attempt is checked until ``retry_after_s`` has passed."""

    code = "staff_locked_out"
    default_message = "Too many wrong PINs; the console is locked for a while."

    def __init__(self, message: str | None = None, *, retry_after_s: float, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.retry_after_s = retry_after_s


class NoStaffEnrolled(StaffAuthError):
    code = "staff_none_enrolled"
    default_message = "No staff PIN is set on this kiosk."

    def __init__(self, message: str | None = None, *, hint: str = "") -> None:
        super().__init__(message, hint=hint or "run: kiosk staff add <staff-id>")


class InvalidPin(StaffAuthError):
    code = "staff_invalid_pin"
    default_message = "A staff PIN must be 6 to 12 digits."


@dataclass(frozen=True, slots=True)
class PinHashing:
    """Argon2id cost of one PIN check (RFC 9106 second recommendation, smaller memory).

    Attributes:
        time_cost: passes; memory_kib: memory per hash; parallelism: lanes.
    """

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 1


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """How failures slow down guessing.

    Attributes:
        free_attempts: failures in a row before any delay.
        base_delay_s: the first delay; doubles with each further failure.
        max_delay_s: the longest delay.
    """

    free_attempts: int = 3
    base_delay_s: float = 30.0
    max_delay_s: float = 3600.0

    def delay_s(self, failures: int) -> float:
        """The wait after ``failures`` failures in a row."""
        if failures < self.free_attempts:
            return 0.0
        return min(self.max_delay_s, self.base_delay_s * 2.0 ** (failures - self.free_attempts))


@dataclass(frozen=True, slots=True)
class StaffSignIn:
    """A successful sign-in: who, and when (wall-clock seconds)."""

    staff_id: str
    at: float


@dataclass(frozen=True, slots=True)
class LockoutState:
    """The failure counter: failures in a row and when the next attempt is allowed."""

    failures: int
    retry_after_s: float


class StaffPins:
    """The PIN file of one installation. Thread-safe; every check runs Argon2id (slow on
    purpose: call it off the GUI thread).

    Args:
        path: the PIN file (default ``<data dir>/staff_pins.json``).
        hashing: Argon2id cost for new hashes (existing hashes keep theirs).
        lockout: the failure delays.
        clock: wall-clock seconds (injectable for tests).
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        hashing: PinHashing | None = None,
        lockout: LockoutPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if path is None:
            from kiosk.config import kiosk_paths

            path = kiosk_paths().data_dir / PIN_FILE_NAME
        self.path = path
        self.hashing = hashing or PinHashing()
        self.lockout = lockout or LockoutPolicy()
        self._clock = clock
        self._lock = threading.Lock()

    def staff_ids(self) -> tuple[str, ...]:
        """Enrolled staff ids, sorted."""
        with self._lock:
            return tuple(sorted(self._read()["staff"]))

    def enroll(self, staff_id: str, pin: str) -> None:
        """Set (or replace) the PIN of ``staff_id``.

        Raises:
            InvalidPin: not 6-12 digits, or one digit repeated, or a straight run.
            ConfigError: a bad staff id, or the file cannot be written.
        """
        check_staff_id(staff_id)
        check_new_pin(pin)
        encoded = self._hasher().hash(pin)
        with self._lock:
            data = self._read()
            data["staff"][staff_id] = encoded
            self._write(data)
        log.info("staff PIN set for %s", staff_id)

    def remove(self, staff_id: str) -> bool:
        """Remove a staff id; False when it was not enrolled."""
        with self._lock:
            data = self._read()
            if data["staff"].pop(staff_id, None) is None:
                return False
            self._write(data)
        log.info("staff PIN removed for %s", staff_id)
        return True

    def state(self) -> LockoutState:
        """The current failure count and remaining wait."""
        with self._lock:
            data = self._read()
        return LockoutState(data["failures"], self._wait(data))

    def reset_lockout(self) -> None:
        """Clear the failure counter (for an operator who proved authority otherwise)."""
        with self._lock:
            data = self._read()
            data["failures"], data["locked_until"] = 0, 0.0
            self._write(data)

    def verify(self, staff_id: str, pin: str) -> StaffSignIn:
        """Check a PIN.

        Raises:
            NoStaffEnrolled: the file has no staff.
            StaffLockedOut: still waiting after earlier failures (nothing is checked).
            WrongPin: unknown id or wrong PIN; the failure is counted.
        """
        from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

        with self._lock:
            data = self._read()
            if not data["staff"]:
                raise NoStaffEnrolled()
            wait = self._wait(data)
            if wait > 0:
                raise StaffLockedOut(retry_after_s=wait)
            encoded = data["staff"].get(staff_id)
            hasher = self._hasher()
            try:
                # an unknown id costs the same hash as a known one
                target = encoded or hasher.hash("000000-unknown")
                hasher.verify(target, pin)
                ok = encoded is not None
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
            if ok:
                data["failures"], data["locked_until"] = 0, 0.0
                if hasher.check_needs_rehash(encoded):
                    data["staff"][staff_id] = hasher.hash(pin)
                self._write(data)
                log.info("staff sign-in: %s", staff_id)
                return StaffSignIn(staff_id, self._clock())
            data["failures"] += 1
            delay = self.lockout.delay_s(data["failures"])
            data["locked_until"] = self._clock() + delay
            self._write(data)
        log.warning("staff sign-in failed (%d in a row)", data["failures"])
        left = max(0, self.lockout.free_attempts - data["failures"])
        if delay > 0:
            raise StaffLockedOut(retry_after_s=delay)
        raise WrongPin(attempts_left=left)

    # ---- internals ----

    def _hasher(self) -> Any:
        from argon2 import PasswordHasher, Type

        h = self.hashing
        return PasswordHasher(
            time_cost=h.time_cost,
            memory_cost=h.memory_kib,
            parallelism=h.parallelism,
            type=Type.ID,
        )

    def _wait(self, data: dict[str, Any]) -> float:
        return max(0.0, float(data["locked_until"]) - self._clock())

    def _read(self) -> dict[str, Any]:
        empty: dict[str, Any] = {
            "version": FILE_VERSION,
            "staff": {},
            "failures": 0,
            "locked_until": 0.0,
        }
        if not self.path.is_file():
            return empty
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(
                f"The staff PIN file cannot be read ({exc}).", hint=f"restore or remove {self.path}"
            ) from None
        ok = (
            isinstance(data, dict)
            and data.get("version") == FILE_VERSION
            and isinstance(data.get("staff"), dict)
            and all(
                isinstance(v, str) and v.startswith("$argon2id$") for v in data["staff"].values()
            )
            and isinstance(data.get("failures"), int)
            and isinstance(data.get("locked_until"), int | float)
        )
        if not ok:
            raise ConfigError(
                "The staff PIN file is damaged.", hint=f"restore or remove {self.path}"
            )
        return data

    def _write(self, data: dict[str, Any]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".staff-", dir=self.path.parent)
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh, indent=1, sort_keys=True)
                    fh.flush()
                    os.fsync(fh.fileno())
                Path(tmp).replace(self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise ConfigError(f"The staff PIN file cannot be written: {exc.strerror}.") from None


def check_staff_id(staff_id: str) -> str:
    """``staff_id`` if it is an identifier the audit log accepts (not a name).

    Raises:
        ConfigError: anything else.
    """
    if not isinstance(staff_id, str) or not STAFF_ID_RE.match(staff_id):
        raise ConfigError(
            "A staff id is 1-64 letters, digits or _.:@- (an identifier, not a name)."
        )
    return staff_id


def check_new_pin(pin: str) -> str:
    """``pin`` if it is acceptable as a new PIN.

    Raises:
        InvalidPin: not 6-12 digits, all one digit, or a straight run such as 123456.
    """
    if not isinstance(pin, str) or not PIN_RE.match(pin):
        raise InvalidPin()
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in itertools.pairwise(digits)}
    if len(set(digits)) == 1 or steps in ({1}, {-1}):
        raise InvalidPin("A staff PIN must not be one digit repeated or a straight run.")
    return pin
