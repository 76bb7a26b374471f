"""Evidence blob files: AES-256-GCM under the case's data key, one file per blob.

Layout: ``<store>/blobs/<case id>/<blob id>.kev``. A file is
``b"KEV1" | nonce (12 B) | ciphertext | tag (16 B)``; the associated data binds
the file to its case id, evidence kind, blob id and media type, so a file
moved to another case or slot, truncated or edited fails authentication.

Only ciphertext is ever written: the plaintext exists in memory only.
Files are created with ``O_EXCL`` and fsynced (and their directories
fsynced) before the database transaction that references them commits; a
case directory with no evidence rows is an orphan from a crash (or a purge
interrupted after its commit) and is removed when the store opens.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from kiosk.store.errors import EvidenceMissing, EvidenceTampered
from kiosk.store.fsutil import ensure_dir, fsync_dir, write_new_file
from kiosk.store.keys import aad, open_sealed, seal

MAGIC = b"KEV1"
BLOB_SUFFIX = ".kev"
_BLOB_NAME_RE = re.compile(r"^[0-9a-f]{32}\.kev$")


def new_blob_id() -> str:
    """128 random bits, hex; independent of the content (no content hash on disk)."""
    return os.urandom(16).hex()


def evidence_aad(case_id: str, kind: str, blob_id: str, media_type: str) -> bytes:
    return aad("kiosk/evidence/v1", case_id, kind, blob_id, media_type)


def encrypt_blob(
    dek: bytes, data: bytes, *, case_id: str, kind: str, blob_id: str, media_type: str
) -> bytes:
    """The file content for one evidence blob."""
    return MAGIC + seal(dek, data, evidence_aad(case_id, kind, blob_id, media_type))


def decrypt_blob(
    dek: bytes, content: bytes, *, case_id: str, kind: str, blob_id: str, media_type: str
) -> bytes:
    """The plaintext of a blob file.

    Raises:
        EvidenceTampered: wrong magic, truncated, or any byte or binding changed.
    """
    if not content.startswith(MAGIC):
        raise EvidenceTampered(f"Evidence blob {blob_id} of case {case_id} is not a blob file.")
    plain = open_sealed(
        dek, content[len(MAGIC) :], evidence_aad(case_id, kind, blob_id, media_type)
    )
    if plain is None:
        raise EvidenceTampered(
            f"Evidence blob {blob_id} of case {case_id} failed its integrity check."
        )
    return plain


class BlobDirectory:
    """The ``blobs/`` tree of one store."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def case_dir(self, case_id: str) -> Path:
        return self.root / case_id

    def path(self, case_id: str, blob_id: str) -> Path:
        return self.case_dir(case_id) / f"{blob_id}{BLOB_SUFFIX}"

    def write_case(self, case_id: str, files: Sequence[tuple[str, bytes]]) -> None:
        """Write a case's blob files durably: each file, its directory and the root are fsynced.

        Leftovers of an earlier failed attempt for the same case id are removed first.
        """
        if not files:
            return
        ensure_dir(self.root)
        case_dir = self.case_dir(case_id)
        if case_dir.exists():
            self.delete_case(case_id)
        case_dir.mkdir(mode=0o700)
        for blob_id, content in files:
            write_new_file(self.path(case_id, blob_id), content)
        fsync_dir(case_dir)
        fsync_dir(self.root)

    def read(self, case_id: str, blob_id: str) -> bytes:
        """The raw (encrypted) file.

        Raises:
            EvidenceMissing: the file is gone.
        """
        try:
            return self.path(case_id, blob_id).read_bytes()
        except FileNotFoundError:
            raise EvidenceMissing(
                f"Evidence blob {blob_id} of case {case_id} is missing from the store."
            ) from None

    def case_usage(self, case_id: str) -> tuple[int, int]:
        """(files, bytes on disk) under the case's directory."""
        count = size = 0
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.case_dir(case_id)):
                if entry.is_file(follow_symlinks=False):
                    count += 1
                    size += entry.stat(follow_symlinks=False).st_size
        return count, size

    def delete_case(self, case_id: str) -> int:
        """Delete a case's directory; returns the number of files removed. Durable."""
        case_dir = self.case_dir(case_id)
        if not case_dir.exists():
            return 0
        removed = sum(1 for _ in case_dir.iterdir())
        shutil.rmtree(case_dir, ignore_errors=True)
        fsync_dir(self.root)
        return removed

    def case_ids_on_disk(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return [entry.name for entry in os.scandir(self.root) if entry.is_dir()]

    def collect_orphans(self, referenced: Iterable[str]) -> int:
        """Remove case directories no evidence row references; returns directories removed.

        Only directories are considered, so unrelated files an operator put
        here are left alone.
        """
        keep = set(referenced)
        removed = 0
        for case_id in self.case_ids_on_disk():
            if case_id not in keep:
                self.delete_case(case_id)
                removed += 1
        return removed

    def unexpected_files(self, case_id: str, blob_ids: Iterable[str]) -> list[str]:
        """Names in a case directory that are not one of ``blob_ids`` (diagnostics)."""
        expected = {f"{b}{BLOB_SUFFIX}" for b in blob_ids}
        with contextlib.suppress(FileNotFoundError):
            return sorted(
                entry.name
                for entry in os.scandir(self.case_dir(case_id))
                if entry.name not in expected or not _BLOB_NAME_RE.match(entry.name)
            )
        return []
