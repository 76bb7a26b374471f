"""Durable file operations: atomic replace, directory fsync, the single-process lock.

POSIX only (the kiosk runs on Debian): ``fcntl.flock`` and directory fsync.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from kiosk.store.errors import StoreBusy

FILE_MODE = 0o600
DIR_MODE = 0o700


def fsync_dir(path: Path) -> None:
    """Make the entries of directory ``path`` (creations, renames, deletions) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_dir(path: Path) -> None:
    """Create ``path`` (mode 0700) and its missing parents; the new entry is made durable."""
    if path.is_dir():
        return
    ensure_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=DIR_MODE)
    fsync_dir(path.parent)


def write_new_file(path: Path, data: bytes) -> None:
    """Create ``path`` (must not exist), write ``data`` and fsync it. The caller fsyncs the dir."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so a crash leaves either the old or the new file.

    The bytes go to a sibling temporary file that is fsynced, renamed over
    ``path``, and the directory is fsynced. Callers only pass data that may
    be on disk (ciphertext, public metadata); nothing secret goes in the clear.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        write_new_file(tmp, data)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def write_private_file(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 and write ``data``; never replaces an existing file.

    For plaintext meant for a person (a case report): no temporary file is
    made, so a crash leaves at most a partial file where the person asked for
    it, and any failure here removes what was written.

    Raises:
        FileExistsError: ``path`` exists (a symlink included).
        OSError: it cannot be written.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # whatever the umask
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    os.close(fd)
    fsync_dir(path.parent)


def remove_stale_temporaries(directory: Path) -> int:
    """Delete ``.*.tmp`` leftovers of :func:`atomic_write` after a crash; returns the count."""
    removed = 0
    for entry in directory.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            entry.unlink()
            removed += 1
    if removed:
        fsync_dir(directory)
    return removed


class ProcessLock:
    """An exclusive, non-blocking ``flock`` on a lock file; released by the kernel on death.

    One lock per store guarantees one writer: a second process (or a second
    Store in the same process) gets :class:`StoreBusy` instead of racing.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock.

        Raises:
            StoreBusy: somebody else holds it.
        """
        import fcntl

        fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreBusy(
                hint="close the kiosk app (or the other kiosk command) and try again"
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None
