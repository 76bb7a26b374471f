"""The kiosk's installed lists: one JSON-lines file per list, verified by its digest.

File layout (UTF-8, one JSON object per line): a header line

    {"format": "kiosk-sanctions-list", "meta": {...}, "sha256": "...", "entries": N,
     "files": [...], "notes": [...], "imported_at": "..."}

then one canonical entry record per line (:meth:`SanctionsEntry.to_record`).
``sha256`` is the list's content digest (``lists.content_digest``) over ``meta``
and the entry lines, so it is the same digest a screening of the publisher's
file would cite; reading a stored list recomputes it and refuses a mismatch.

A directory holds the active lists, one per source; installing a list of a
source moves the previous one to ``archive/`` (kept, so a past decision can
be replayed against exactly the list it cited).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.screening.errors import ListStoreError, SanctionsFileMissing
from pipeline.screening.lists import (
    ListFormat,
    ListInfo,
    SanctionsEntry,
    SanctionsList,
    SourceFile,
    canonical_line,
    metadata_record,
)

STORED_FORMAT = "kiosk-sanctions-list"
_SAFE = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class InstalledList:
    """An installed list as ``kiosk sanctions list`` shows it (read from the header only).

    Attributes:
        info: source, version, date, entry count, digest, format.
        path: the stored file.
        imported_at: when it was installed (UTC).
        files: the publisher's files it was imported from (name, sha256, size).
        notes: what the import could not use, as counts.
    """

    info: ListInfo
    path: Path
    imported_at: dt.datetime | None
    files: tuple[SourceFile, ...]
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON for ``kiosk sanctions list`` and ``import``."""
        return {
            **self.info.to_json(),
            "path": str(self.path),
            "imported_at": self.imported_at.isoformat() if self.imported_at else None,
            "files": [{"name": f.name, "sha256": f.sha256, "bytes": f.size} for f in self.files],
            "notes": list(self.notes),
        }


def _header(lst: SanctionsList, imported_at: dt.datetime) -> dict[str, Any]:
    return {
        "format": STORED_FORMAT,
        "meta": metadata_record(lst.source, lst.format,
                                lst.version if lst.version_declared else None, lst.published),
        "sha256": lst.sha256,
        "entries": len(lst.entries),
        "files": [{"name": f.name, "sha256": f.sha256, "bytes": f.size} for f in lst.files],
        "notes": list(lst.notes),
        "imported_at": imported_at.isoformat(),
    }  # fmt: skip


def write_list(lst: SanctionsList, path: Path, *, imported_at: dt.datetime | None = None) -> None:
    """Write ``lst`` to ``path`` atomically (temporary file, fsync, rename).

    Raises:
        ListStoreError: the directory cannot be written.
    """
    when = imported_at or dt.datetime.now(dt.UTC)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".import-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(canonical_line(_header(lst, when)))
                for entry in lst.entries:
                    out.write(canonical_line(entry.to_record()))
                out.flush()
                os.fsync(out.fileno())
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ListStoreError(
            f"The list store at {path.parent} cannot be written ({exc.strerror})."
        ) from None


def _parse_header(raw: bytes, name: str) -> dict[str, Any]:
    try:
        header = json.loads(raw)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != STORED_FORMAT:
        raise ListStoreError(f"{name} line 1: not a kiosk list header.")
    meta = header.get("meta")
    if not isinstance(meta, dict) or not isinstance(header.get("sha256"), str):
        raise ListStoreError(f"{name} line 1: the header lacks meta or sha256.")
    return header


def _meta_fields(
    meta: dict[str, Any], name: str
) -> tuple[str, ListFormat, str | None, dt.date | None]:
    try:
        published = meta["published"]
        return (
            str(meta["source"]),
            ListFormat(meta["format"]),
            None if meta["version"] is None else str(meta["version"]),
            dt.date.fromisoformat(published) if published else None,
        )
    except (KeyError, ValueError, TypeError):
        raise ListStoreError(f"{name} line 1: unreadable list metadata.") from None


def _source_files(header: dict[str, Any]) -> tuple[SourceFile, ...]:
    files = header.get("files") or []
    out = []
    for f in files if isinstance(files, list) else []:
        if isinstance(f, dict):
            out.append(
                SourceFile(
                    str(f.get("name", "")), str(f.get("sha256", "")), int(f.get("bytes", 0) or 0)
                )
            )
    return tuple(out)


def read_list(path: Path) -> SanctionsList:
    """Read a stored list and verify its digest.

    Raises:
        SanctionsFileMissing: no such file.
        ListStoreError: not a stored list, a damaged line, or a digest mismatch.
    """
    name = path.name
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise SanctionsFileMissing(f"{name}: no such file.") from None
    except OSError as exc:
        raise ListStoreError(f"{name}: cannot be opened ({exc.strerror}).") from None
    entries: list[SanctionsEntry] = []
    with handle:
        header = _parse_header(handle.readline(), name)
        source, fmt, version, published = _meta_fields(header["meta"], name)
        for line_no, raw in enumerate(handle, start=2):
            try:
                entries.append(SanctionsEntry.from_record(source, json.loads(raw)))
            except (ValueError, KeyError, TypeError):
                raise ListStoreError(f"{name} line {line_no}: not a list entry record.") from None
    notes = header.get("notes")
    lst = SanctionsList.build(
        source=source,
        format=fmt,
        version=version,
        published=published,
        entries=entries,
        files=_source_files(header),
        notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (),
    )
    if lst.sha256 != header["sha256"]:
        raise ListStoreError(
            f"{name}: the content does not match its recorded sha256; the file was changed or "
            "damaged.",
            hint="import the list again from the publisher's file",
        )
    return lst


def read_installed(path: Path) -> InstalledList:
    """The header of a stored list, without reading or verifying its entries.

    Raises:
        ListStoreError: not a stored list.
    """
    try:
        with path.open("rb") as handle:
            header = _parse_header(handle.readline(), path.name)
    except OSError as exc:
        raise ListStoreError(f"{path.name}: cannot be read ({exc.strerror}).") from None
    source, fmt, version, published = _meta_fields(header["meta"], path.name)
    sha = header["sha256"]
    try:
        imported = dt.datetime.fromisoformat(str(header.get("imported_at")))
    except ValueError:
        imported = None
    entries = header.get("entries")
    info = ListInfo(
        source, version or sha[:12], published, entries if isinstance(entries, int) else 0, sha, fmt
    )
    notes = header.get("notes")
    return InstalledList(
        info,
        path,
        imported,
        _source_files(header),
        tuple(str(n) for n in notes) if isinstance(notes, list) else (),
    )


class ListStore:
    """The directory of installed lists (the CLI uses ``<data dir>/sanctions``).

    One active list per source; installing another of the same source archives
    the previous one. Writes are atomic, so a reader sees the old list or the new one.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @property
    def archive_dir(self) -> Path:
        """Where superseded lists are kept."""
        return self.directory / "archive"

    def _active_paths(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob("*.jsonl") if p.is_file())

    def install(self, lst: SanctionsList) -> InstalledList:
        """Store ``lst`` as the active list of its source.

        Returns:
            The installed list's header.

        Raises:
            ListStoreError: the store cannot be written.
        """
        stem = _SAFE.sub("-", lst.source.casefold()).strip("-") or "list"
        path = self.directory / f"{stem}-{lst.sha256[:16]}.jsonl"
        previous = [
            p
            for p in self._active_paths()
            if p != path and read_installed(p).info.source == lst.source
        ]
        write_list(lst, path)
        try:
            for old in previous:
                self.archive_dir.mkdir(parents=True, exist_ok=True)
                old.replace(self.archive_dir / old.name)
        except OSError as exc:
            raise ListStoreError(
                f"The previous list could not be archived ({exc.strerror})."
            ) from None
        return read_installed(path)

    def installed(self) -> tuple[InstalledList, ...]:
        """Every active list, by file name (headers only, not verified).

        Raises:
            ListStoreError: a file in the directory that is not a stored list.
        """
        return tuple(read_installed(p) for p in self._active_paths())

    def load_all(self) -> tuple[SanctionsList, ...]:
        """Every active list, each verified against its digest.

        Raises:
            ListStoreError: a damaged or altered list.
        """
        return tuple(read_list(p) for p in self._active_paths())
