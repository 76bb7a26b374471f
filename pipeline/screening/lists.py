"""Typed sanctions and PEP lists: entries, dates of birth, list metadata, content digest.

Each importer (``importers.py``) turns a publisher's file into a
:class:`SanctionsList`; the store (``store.py``) writes the same list as JSON
lines. The list's ``sha256`` is a digest of its canonical content (metadata
and entries, not the file's bytes), so a list screened from the publisher's
file and the same list screened from the kiosk's store cite the same digest.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Bump when the canonical record layout changes (it changes every digest).
RECORD_SCHEMA = 1


class EntityType(enum.Enum):
    """What a list entry designates. ``UNKNOWN``: the list does not say (FtM LegalEntity)."""

    PERSON = "person"
    ORGANISATION = "organisation"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"
    UNKNOWN = "unknown"


class ListFormat(enum.Enum):
    """The publisher's file format a list was imported from."""

    UN_XML = "un-xml"
    OFAC_CSV = "ofac-csv"
    FTM_JSONL = "ftm-jsonl"


class DatePrecision(enum.Enum):
    """How much of a listed date of birth is known."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    RANGE = "range"  # a span of years, e.g. "1958 to 1960" or "circa 1960"


_BIRTH_TEXT = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:/(\d{4}))?$")


@dataclass(frozen=True, slots=True)
class BirthDate:
    """One listed date of birth, as the interval of calendar days it allows.

    Attributes:
        earliest: first day the listing allows (e.g. 1 January for a year-only date).
        latest: last day it allows (equal to ``earliest`` for a full date).
        precision: what the list gave: a day, a month, a year, or a span of years.
    """

    earliest: dt.date
    latest: dt.date
    precision: DatePrecision

    @classmethod
    def exact(cls, day: dt.date) -> BirthDate:
        """A full date of birth."""
        return cls(day, day, DatePrecision.DAY)

    @classmethod
    def month(cls, year: int, month: int) -> BirthDate:
        """A year and month without the day.

        Raises:
            ValueError: an impossible month.
        """
        first = dt.date(year, month, 1)
        following = dt.date(year + (month == 12), month % 12 + 1, 1)
        return cls(first, following - dt.timedelta(days=1), DatePrecision.MONTH)

    @classmethod
    def year(cls, year: int) -> BirthDate:
        """A year of birth only.

        Raises:
            ValueError: a year outside 1..9999.
        """
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), DatePrecision.YEAR)

    @classmethod
    def years(cls, first: int, last: int) -> BirthDate:
        """A span of years, both included (``first`` may equal ``last``).

        Raises:
            ValueError: ``last`` before ``first`` or a year outside 1..9999.
        """
        if last < first:
            raise ValueError("year span ends before it starts")
        if first == last:
            return cls.year(first)
        return cls(dt.date(first, 1, 1), dt.date(last, 12, 31), DatePrecision.RANGE)

    @property
    def text(self) -> str:
        """Canonical text: ``1974-08-12``, ``1974-08``, ``1974`` or ``1958/1960``."""
        if self.precision is DatePrecision.DAY:
            return self.earliest.isoformat()
        if self.precision is DatePrecision.MONTH:
            return self.earliest.isoformat()[:7]
        if self.precision is DatePrecision.YEAR:
            return f"{self.earliest.year:04d}"
        return f"{self.earliest.year:04d}/{self.latest.year:04d}"

    @classmethod
    def parse(cls, text: str) -> BirthDate:
        """The inverse of :attr:`text`; also reads FtM's ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``.

        Raises:
            ValueError: anything else, or an impossible date.
        """
        m = _BIRTH_TEXT.match(text.strip())
        if not m:
            raise ValueError("not a date of birth")
        year, month, day, last = m.groups()
        if last is not None:
            if month is not None:
                raise ValueError("a span of years takes no month")
            return cls.years(int(year), int(last))
        if day is not None:
            return cls.exact(dt.date(int(year), int(month), int(day)))
        if month is not None:
            return cls.month(int(year), int(month))
        return cls.year(int(year))

    def contains(self, day: dt.date) -> bool:
        """Whether ``day`` falls within the listed interval."""
        return self.earliest <= day <= self.latest


@dataclass(frozen=True, slots=True)
class SanctionsEntry:
    """One designated person, organisation, vessel or aircraft.

    Attributes:
        source: the list's source id (``un-consolidated``, ``ofac-sdn``, ``opensanctions``...).
        entry_id: the publisher's identifier (UN DATAID, OFAC ent_num, FtM id).
        entity_type: person, organisation, vessel, aircraft or unknown.
        primary_name: the main name as published (original spelling and order).
        aliases: other names the list gives (a.k.a., f.k.a., original script).
        weak_aliases: aliases the list itself marks as low quality (UN ``Low``,
            FtM ``weakAlias``); a match on one alone is never more than ``review``.
        dates_of_birth: every listed date of birth (full, month, year or span).
        nationalities: ISO 3166-1 alpha-3 codes of listed nationalities and
            citizenships, where the list's text could be mapped (unmapped ones are
            counted in the list's import notes).
        programmes: the publisher's programme or regime codes (``SDGT``, ``DPRK``...).
        topics: FtM-style topics: ``sanction`` for UN and OFAC entries; FtM entries
            keep theirs (``role.pep``, ``role.rca``, ``crime``...).
        listed_on: the date of listing, when the list gives it.
    """

    source: str
    entry_id: str
    entity_type: EntityType
    primary_name: str
    aliases: tuple[str, ...] = ()
    weak_aliases: tuple[str, ...] = ()
    dates_of_birth: tuple[BirthDate, ...] = ()
    nationalities: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    topics: tuple[str, ...] = ("sanction",)
    listed_on: dt.date | None = None

    @property
    def sanctioned(self) -> bool:
        """Designated under a sanctions programme (or linked to one): a match can be a hit."""
        return "sanction" in self.topics or "sanction.linked" in self.topics

    @property
    def pep(self) -> bool:
        """A politically exposed person, or a relative or close associate of one."""
        return "role.pep" in self.topics or "role.rca" in self.topics

    def to_record(self) -> dict[str, Any]:
        """The canonical JSON-ready record (the store's line and the digest's input)."""
        return {
            "id": self.entry_id,
            "type": self.entity_type.value,
            "name": self.primary_name,
            "aliases": list(self.aliases),
            "weak_aliases": list(self.weak_aliases),
            "dob": [b.text for b in self.dates_of_birth],
            "nationalities": list(self.nationalities),
            "programmes": list(self.programmes),
            "topics": list(self.topics),
            "listed_on": self.listed_on.isoformat() if self.listed_on else None,
        }

    @classmethod
    def from_record(cls, source: str, record: Mapping[str, Any]) -> SanctionsEntry:
        """Rebuild an entry from :meth:`to_record` output.

        Raises:
            KeyError, TypeError, ValueError: a record that is not of that shape.
        """

        def strings(key: str) -> tuple[str, ...]:
            values = record[key]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise TypeError(key)
            return tuple(values)

        listed = record["listed_on"]
        if not isinstance(record["id"], str) or not isinstance(record["name"], str):
            raise TypeError("id/name")
        return cls(
            source=source,
            entry_id=record["id"],
            entity_type=EntityType(record["type"]),
            primary_name=record["name"],
            aliases=strings("aliases"),
            weak_aliases=strings("weak_aliases"),
            dates_of_birth=tuple(BirthDate.parse(t) for t in strings("dob")),
            nationalities=strings("nationalities"),
            programmes=strings("programmes"),
            topics=strings("topics"),
            listed_on=dt.date.fromisoformat(listed) if listed is not None else None,
        )

    def to_json(self) -> dict[str, Any]:
        """JSON for the CLI and the case record."""
        return {
            "source": self.source,
            **self.to_record(),
            "pep": self.pep,
            "sanctioned": self.sanctioned,
        }


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file an import read: its name (no directory), sha256 and size in bytes."""

    name: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class ListInfo:
    """What a screening decision cites about a list.

    Attributes:
        source: the list's source id.
        version: the publisher's version (UN ``dateGenerated``, FtM's latest change),
            or the operator's label, or the first 12 hex digits of ``sha256``.
        date: the publication date, when known.
        entries: number of entries.
        sha256: digest of the list's canonical content (see the module docstring).
        format: the format it was imported from.
    """

    source: str
    version: str
    date: dt.date | None
    entries: int
    sha256: str
    format: ListFormat

    def to_json(self) -> dict[str, Any]:
        """JSON for the CLI and the case record."""
        return {
            "source": self.source,
            "version": self.version,
            "date": self.date.isoformat() if self.date else None,
            "entries": self.entries,
            "sha256": self.sha256,
            "format": self.format.value,
        }


@dataclass(frozen=True, slots=True)
class SanctionsList:
    """One imported list.

    Build it with :meth:`build`, which computes ``sha256``.

    Attributes:
        source: source id, e.g. ``un-consolidated``, ``ofac-sdn``, ``opensanctions``.
        format: the publisher's format it came from.
        version: see :class:`ListInfo`.
        published: publication date, when the file or the operator gives one.
        entries: the entries, in the file's order.
        sha256: digest of the canonical content.
        files: the files that were imported (name, sha256, size).
        notes: what the import could not use, as counts (no list content).
        version_declared: False when ``version`` is the digest prefix because neither
            the file nor the operator gave one.
    """

    source: str
    format: ListFormat
    version: str
    published: dt.date | None
    entries: tuple[SanctionsEntry, ...]
    sha256: str
    files: tuple[SourceFile, ...] = ()
    notes: tuple[str, ...] = field(default=())
    version_declared: bool = True

    @classmethod
    def build(
        cls,
        *,
        source: str,
        format: ListFormat,
        version: str | None,
        published: dt.date | None,
        entries: Iterable[SanctionsEntry],
        files: tuple[SourceFile, ...] = (),
        notes: tuple[str, ...] = (),
    ) -> SanctionsList:
        """Freeze a list and compute its digest; ``version`` None means "use the digest"."""
        frozen = tuple(entries)
        digest = content_digest(source, format, version, published, frozen)
        return cls(
            source=source,
            format=format,
            version=version or digest[:12],
            published=published,
            entries=frozen,
            sha256=digest,
            files=files,
            notes=notes,
            version_declared=version is not None,
        )

    @property
    def info(self) -> ListInfo:
        """The citation for screening results."""
        return ListInfo(
            self.source, self.version, self.published, len(self.entries), self.sha256, self.format
        )


def metadata_record(
    source: str,
    format: ListFormat,
    version: str | None,
    published: dt.date | None,
) -> dict[str, Any]:
    """The metadata part of the canonical content."""
    return {
        "schema": RECORD_SCHEMA,
        "source": source,
        "format": format.value,
        "version": version,
        "published": published.isoformat() if published else None,
    }


def canonical_line(record: Mapping[str, Any]) -> bytes:
    """One canonical JSON line (sorted keys, no spaces, UTF-8, newline-terminated)."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8") + b"\n"


def content_digest(
    source: str,
    format: ListFormat,
    version: str | None,
    published: dt.date | None,
    entries: Iterable[SanctionsEntry],
) -> str:
    """sha256 over the canonical metadata line and one canonical line per entry."""
    h = hashlib.sha256(canonical_line(metadata_record(source, format, version, published)))
    for entry in entries:
        h.update(canonical_line(entry.to_record()))
    return h.hexdigest()
