"""Importers for the publishers' list formats, and format detection.

* UN Security Council consolidated list, XML (``CONSOLIDATED_LIST`` with
  ``INDIVIDUALS/INDIVIDUAL`` and ``ENTITIES/ENTITY``; the list's date is the
  root's ``dateGenerated``). Parsed with pyexpat directly, streaming, with
  DOCTYPE and entity declarations refused (no external entities, no entity
  expansion bombs).
* OFAC SDN, the classic headerless ``sdn.csv`` (12 columns: ent_num, SDN_Name,
  SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag,
  Vess_owner, Remarks; ``-0-`` is empty) with dates of birth and nationalities
  read from Remarks, optionally with ``alt.csv`` (5 columns: ent_num, alt_num,
  alt_type, alt_name, alt_remarks) for the aliases.
* FollowTheMoney JSON lines (OpenSanctions exports): one entity per line;
  Person, Organization/Company/PublicBody, LegalEntity, Vessel, Airplane are
  kept, other schemas (Address, Sanction...) are skipped and counted.

Errors name the file, the line (and the element or column) and the problem,
never a cell's content. Values that cannot be used (an unreadable date, a
country name not in the table) do not fail the import: they are counted in the
list's ``notes``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, TreeBuilder

from pipeline.screening.countries import country_from_ftm, country_from_name
from pipeline.screening.errors import (
    SanctionsFileCorrupt,
    SanctionsFileMissing,
    SanctionsFileTooLarge,
    SanctionsFormatError,
)
from pipeline.screening.lists import (
    BirthDate,
    EntityType,
    ListFormat,
    SanctionsEntry,
    SanctionsList,
    SourceFile,
)
from pipeline.screening.store import STORED_FORMAT, read_list

UN_SOURCE = "un-consolidated"
OFAC_SOURCE = "ofac-sdn"
FTM_SOURCE = "opensanctions"

SDN_COLUMNS = (
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
)
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
_ADD_COLUMNS = 6  # OFAC add.csv (addresses), a common mix-up

_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """Guards applied before and while parsing an untrusted file.

    Attributes:
        max_bytes: largest file accepted (checked before reading).
        max_entries: most entries kept.
        max_line_bytes: longest line in a CSV or JSON-lines file.
    """

    max_bytes: int = 1 << 30
    max_entries: int = 2_000_000
    max_line_bytes: int = 1 << 22


# --- shared helpers ---------------------------------------------------------------------


class _Notes:
    """Counts of values an import could not use; rendered without any content."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def add(self, what: str, count: int = 1) -> None:
        self._counts[what] += count

    def render(self) -> tuple[str, ...]:
        return tuple(f"{n} {what}" for what, n in sorted(self._counts.items()))


def _open_checked(path: Path, limits: ImportLimits) -> tuple[IO[bytes], int]:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise SanctionsFileMissing(f"{path.name}: not a regular file.")
        handle = path.open("rb")
    except FileNotFoundError:
        raise SanctionsFileMissing(f"{path.name}: no such file.") from None
    except OSError as exc:
        raise SanctionsFileMissing(f"{path.name}: cannot be opened ({exc.strerror}).") from None
    if size > limits.max_bytes:
        handle.close()
        raise SanctionsFileTooLarge(
            f"{path.name}: {size} bytes, more than the import limit of {limits.max_bytes}."
        )
    if size == 0:
        handle.close()
        raise SanctionsFormatError(f"{path.name}: the file is empty.")
    return handle, size


class _HashingLines:
    """Binary lines of a file, hashed as they are read, with a per-line size limit."""

    def __init__(self, handle: IO[bytes], name: str, limits: ImportLimits) -> None:
        self._handle = handle
        self.name = name
        self._limit = limits.max_line_bytes
        self.sha = hashlib.sha256()
        self.size = 0
        self.line_no = 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            line = self._handle.readline(self._limit + 1)
            if not line:
                return
            self.line_no += 1
            if len(line) > self._limit and not line.endswith(b"\n"):
                raise SanctionsFileTooLarge(
                    f"{self.name} line {self.line_no}: longer than {self._limit} bytes."
                )
            self.sha.update(line)
            self.size += len(line)
            yield line

    def source_file(self) -> SourceFile:
        return SourceFile(self.name, self.sha.hexdigest(), self.size)


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        # Older OFAC files are Windows-1252; every byte decodes.
        return line.decode("cp1252", errors="replace")


def _text(node: Element | None) -> str:
    return " ".join((node.text or "").split()) if node is not None else ""


def _iso_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


# --- UN consolidated XML -----------------------------------------------------------------

_UN_ROOT = "CONSOLIDATED_LIST"
_UN_RECORDS = {"INDIVIDUAL": EntityType.PERSON, "ENTITY": EntityType.ORGANISATION}
_XML_NAME = re.compile(r"^[A-Za-z_][\w.:-]{0,63}$")


class _Forbidden(Exception):
    """Raised inside an expat handler to stop on a DOCTYPE or entity declaration."""


def _safe_tag(tag: str) -> str:
    return tag if _XML_NAME.match(tag) else "(unnamed)"


def _un_birth_dates(record: Element, notes: _Notes) -> list[BirthDate]:
    out: list[BirthDate] = []
    for node in record.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        kind = _text(node.find("TYPE_OF_DATE")).upper()
        date_text, year = _text(node.find("DATE")), _text(node.find("YEAR"))
        first, last = _text(node.find("FROM_YEAR")), _text(node.find("TO_YEAR"))
        try:
            if date_text:
                day = dt.date.fromisoformat(date_text[:10])
                out.append(
                    BirthDate.years(day.year - 1, day.year + 1)
                    if kind == "APPROXIMATELY"
                    else BirthDate.exact(day)
                )
            elif year:
                y = int(year)
                out.append(
                    BirthDate.years(y - 1, y + 1) if kind == "APPROXIMATELY" else BirthDate.year(y)
                )
            elif first and last:
                out.append(BirthDate.years(int(first), int(last)))
            elif first or last or kind:
                notes.add("UN dates of birth without a usable date")
        except ValueError:
            notes.add("UN dates of birth not understood")
    return out


def _un_entry(record: Element, line: int, name: str, notes: _Notes) -> SanctionsEntry | None:
    kind = _UN_RECORDS[record.tag]
    data_id = _text(record.find("DATAID"))
    reference = _text(record.find("REFERENCE_NUMBER"))
    if not data_id and not reference:
        raise SanctionsFileCorrupt(
            f"{name} line {line}: {record.tag} has neither DATAID nor REFERENCE_NUMBER.", line=line
        )
    parts = [
        _text(record.find(tag))
        for tag in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
    ]
    primary = " ".join(p for p in parts if p)
    if not primary:
        notes.add(f"UN {record.tag} records without a name, skipped")
        return None
    aliases: list[str] = []
    weak: list[str] = []
    original = _text(record.find("NAME_ORIGINAL_SCRIPT"))
    if original:
        aliases.append(original)
    for alias in record.findall(f"{record.tag}_ALIAS"):
        alias_name = _text(alias.find("ALIAS_NAME"))
        if alias_name:
            (weak if _text(alias.find("QUALITY")).casefold() == "low" else aliases).append(
                alias_name
            )
    nationalities: list[str] = []
    for value in record.findall("NATIONALITY/VALUE"):
        text = _text(value)
        if not text:
            continue
        code = country_from_name(text)
        if code is None:
            notes.add("UN nationality values not mapped to a country code")
        elif code not in nationalities:
            nationalities.append(code)
    listed = _text(record.find("LISTED_ON"))
    programme = _text(record.find("UN_LIST_TYPE"))
    return SanctionsEntry(
        source=UN_SOURCE,
        entry_id=reference or data_id,
        entity_type=kind,
        primary_name=primary,
        aliases=tuple(dict.fromkeys(aliases)),
        weak_aliases=tuple(dict.fromkeys(weak)),
        dates_of_birth=tuple(_un_birth_dates(record, notes)) if kind is EntityType.PERSON else (),
        nationalities=tuple(nationalities),
        programmes=(programme,) if programme else (),
        listed_on=_iso_date(listed) if listed else None,
    )


def import_un_xml(
    path: Path, *, source: str | None = None, limits: ImportLimits | None = None
) -> SanctionsList:
    """Import the UN Security Council consolidated list (XML).

    Args:
        path: the list file.
        source: source id to record (default ``un-consolidated``).
        limits: import guards.

    Raises:
        SanctionsFileMissing, SanctionsFileTooLarge: see :func:`load_list`.
        SanctionsFormatError: not XML, or another XML document than the UN list.
        SanctionsFileCorrupt: malformed or truncated XML, a record without an id.
    """
    import pyexpat

    lim = limits or ImportLimits()
    name = path.name
    notes = _Notes()
    entries: list[SanctionsEntry] = []
    state: dict[str, Any] = {
        "depth": 0,
        "root": None,
        "generated": None,
        "builder": None,
        "record_line": 0,
        "sections": set(),
    }
    parser = pyexpat.ParserCreate()
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)

    def forbid(*_: Any) -> int:
        raise _Forbidden()

    def start(tag: str, attrs: dict[str, str]) -> None:
        state["depth"] += 1
        depth = state["depth"]
        builder: TreeBuilder | None = state["builder"]
        if depth == 1:
            if tag != _UN_ROOT:
                raise SanctionsFormatError(
                    f"{name}: the XML root element is <{_safe_tag(tag)}>, not the UN "
                    f"consolidated list's <{_UN_ROOT}>."
                )
            state["root"] = tag
            state["generated"] = attrs.get("dateGenerated")
        elif depth == 2:
            state["sections"].add(tag)
        elif depth == 3 and tag in _UN_RECORDS and builder is None:
            state["builder"] = builder = TreeBuilder()
            state["record_line"] = parser.CurrentLineNumber
        if builder is not None:
            builder.start(tag, {})

    def end(tag: str) -> None:
        builder: TreeBuilder | None = state["builder"]
        if builder is not None:
            builder.end(tag)
            if state["depth"] == 3:
                record = builder.close()
                state["builder"] = None
                entry = _un_entry(record, state["record_line"], name, notes)
                if entry is not None:
                    if len(entries) >= lim.max_entries:
                        raise SanctionsFileTooLarge(f"{name}: more than {lim.max_entries} entries.")
                    entries.append(entry)
        state["depth"] -= 1

    def data(text: str) -> None:
        builder: TreeBuilder | None = state["builder"]
        if builder is not None:
            builder.data(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid
    parser.buffer_text = True

    handle, _ = _open_checked(path, lim)
    sha = hashlib.sha256()
    size = 0
    with handle:
        first = True
        try:
            while chunk := handle.read(_CHUNK):
                if first:
                    if not chunk.lstrip(codecs.BOM_UTF8 + b" \t\r\n").startswith(b"<"):
                        raise SanctionsFormatError(
                            f"{name}: not XML; the UN consolidated list is an XML file."
                        )
                    first = False
                sha.update(chunk)
                size += len(chunk)
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except _Forbidden:
            raise SanctionsFileCorrupt(
                f"{name} line {parser.CurrentLineNumber}: a DOCTYPE or entity declaration; "
                "the UN list has none and they are refused for safety.",
                line=parser.CurrentLineNumber,
            ) from None
        except pyexpat.ExpatError as exc:
            reason = pyexpat.errors.messages[exc.code]
            truncated = reason in ("no element found", "unclosed token")
            raise SanctionsFileCorrupt(
                f"{name} line {exc.lineno}, column {exc.offset}: malformed XML ({reason})"
                + ("; the file looks truncated." if truncated else "."),
                line=exc.lineno,
            ) from None
    if not state["sections"] & {"INDIVIDUALS", "ENTITIES"}:
        raise SanctionsFormatError(f"{name}: <{_UN_ROOT}> has neither INDIVIDUALS nor ENTITIES.")
    generated = state["generated"]
    published = _iso_date(generated) if generated else None
    if published is None:
        notes.add("UN list without a readable dateGenerated")
    return SanctionsList.build(
        source=source or UN_SOURCE,
        format=ListFormat.UN_XML,
        version=generated if published else None,
        published=published,
        entries=entries,
        files=(SourceFile(name, sha.hexdigest(), size),),
        notes=notes.render(),
    )


# --- OFAC SDN CSV --------------------------------------------------------------------------

_OFAC_NULL = "-0-"
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_OFAC_DAY = re.compile(r"^(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})$")
_OFAC_MONTH = re.compile(r"^([A-Za-z]{3})[a-z]* (\d{4})$")
_OFAC_YEAR = re.compile(r"^(\d{4})$")
_OFAC_REMARK = re.compile(r"^(?:alt\.\s*)?(dob|nationality|citizen)\b\.?:?\s*(.+)$", re.IGNORECASE)
_OFAC_TYPES = {
    "individual": EntityType.PERSON,
    "vessel": EntityType.VESSEL,
    "aircraft": EntityType.AIRCRAFT,
    "": EntityType.ORGANISATION,
}


def _ofac_cell(value: str) -> str:
    value = value.strip()
    return "" if value == _OFAC_NULL else value


def _ofac_point(text: str) -> BirthDate | None:
    text = " ".join(text.split())
    if m := _OFAC_DAY.match(text):
        month = _MONTHS.get(m.group(2).casefold())
        return BirthDate.exact(dt.date(int(m.group(3)), month, int(m.group(1)))) if month else None
    if m := _OFAC_MONTH.match(text):
        month = _MONTHS.get(m.group(1).casefold())
        return BirthDate.month(int(m.group(2)), month) if month else None
    if m := _OFAC_YEAR.match(text):
        return BirthDate.year(int(m.group(1)))
    return None


def parse_ofac_dob(text: str) -> BirthDate | None:
    """One OFAC Remarks date of birth: ``12 Aug 1974``, ``Aug 1974``, ``1974``,
    ``circa 1974`` (1973..1975), ``1958 to 1960``; None for anything else."""
    text = text.strip().rstrip(".")
    circa = text.casefold().startswith("circa ")
    if circa:
        text = text[6:]
    try:
        if " to " in text:
            first, last = (_ofac_point(p) for p in text.split(" to ", 1))
            if first is None or last is None:
                return None
            return BirthDate.years(first.earliest.year, last.latest.year)
        point = _ofac_point(text)
        if point is not None and circa:
            return BirthDate.years(point.earliest.year - 1, point.latest.year + 1)
        return point
    except ValueError:
        return None


def _csv_rows(lines: _HashingLines) -> Iterator[tuple[int, list[str]]]:
    """(line number where the row starts, cells) for each non-blank row."""
    # A UTF-8 byte-order mark (spreadsheet exports) is not part of the first cell.
    reader = csv.reader(_decode(line).lstrip("\ufeff") for line in lines)
    start = 1
    try:
        for row in reader:
            line = start
            start = reader.line_num + 1
            if not row or (len(row) == 1 and row[0].strip() in ("", "\x1a")):
                continue  # blank line, or the DOS end-of-file mark old OFAC files end with
            yield line, row
    except csv.Error as exc:
        raise SanctionsFileCorrupt(
            f"{lines.name} line {reader.line_num}: malformed CSV ({exc}).", line=reader.line_num
        ) from None


def _read_alt(path: Path, limits: ImportLimits) -> tuple[dict[str, list[str]], SourceFile]:
    handle, _ = _open_checked(path, limits)
    aliases: dict[str, list[str]] = {}
    with handle:
        lines = _HashingLines(handle, path.name, limits)
        for line, row in _csv_rows(lines):
            if line == 1 and row[0].strip().casefold() == "ent_num":
                continue
            if len(row) != len(ALT_COLUMNS):
                raise SanctionsFileCorrupt(
                    f"{path.name} line {line}: {len(row)} columns, expected "
                    f"{len(ALT_COLUMNS)} ({', '.join(ALT_COLUMNS)}) as in OFAC alt.csv.",
                    line=line,
                )
            ent_num = row[0].strip()
            if not ent_num.isdigit():
                raise SanctionsFileCorrupt(
                    f"{path.name} line {line}: ent_num is not a number.", line=line
                )
            alias = _ofac_cell(row[3])
            if alias:
                aliases.setdefault(ent_num, []).append(alias)
        return aliases, lines.source_file()


def import_ofac_csv(
    path: Path,
    alt_path: Path | None = None,
    *,
    source: str | None = None,
    version: str | None = None,
    published: dt.date | None = None,
    limits: ImportLimits | None = None,
) -> SanctionsList:
    """Import OFAC's ``sdn.csv``, with the aliases of ``alt.csv`` when given.

    The CSV files carry no publication date or version: pass them from OFAC's
    publication notice, or the version is the digest's first 12 hex digits.

    Args:
        path: ``sdn.csv``.
        alt_path: ``alt.csv`` or None.
        source: source id to record (default ``ofac-sdn``).
        version: the publication's version label, if known.
        published: the publication date, if known.
        limits: import guards.

    Raises:
        SanctionsFileMissing, SanctionsFileTooLarge: see :func:`load_list`.
        SanctionsFormatError: the file is OFAC's alt.csv or add.csv instead.
        SanctionsFileCorrupt: a row with the wrong column count, a non-numeric ent_num,
            malformed CSV; or an alt.csv with those faults.
    """
    lim = limits or ImportLimits()
    notes = _Notes()
    aliases, alt_file = _read_alt(alt_path, lim) if alt_path is not None else ({}, None)
    handle, _ = _open_checked(path, lim)
    entries: list[SanctionsEntry] = []
    seen: set[str] = set()
    with handle:
        lines = _HashingLines(handle, path.name, lim)
        for line, row in _csv_rows(lines):
            if line == 1 and row[0].strip().casefold() == "ent_num":
                continue
            if len(row) != len(SDN_COLUMNS):
                if line == 1 and len(row) == len(ALT_COLUMNS):
                    raise SanctionsFormatError(
                        f"{path.name}: 5 columns per row, as in OFAC alt.csv (aliases); "
                        "import sdn.csv and give this file as its alt file."
                    )
                if line == 1 and len(row) == _ADD_COLUMNS:
                    raise SanctionsFormatError(
                        f"{path.name}: 6 columns per row, as in OFAC add.csv (addresses), "
                        "which holds no names; import sdn.csv."
                    )
                raise SanctionsFileCorrupt(
                    f"{path.name} line {line}: {len(row)} columns, expected "
                    f"{len(SDN_COLUMNS)} as in OFAC sdn.csv ({', '.join(SDN_COLUMNS)}).",
                    line=line,
                )
            ent_num = row[0].strip()
            if not ent_num.isdigit():
                raise SanctionsFileCorrupt(
                    f"{path.name} line {line}: ent_num is not a number.", line=line
                )
            name = _ofac_cell(row[1])
            if not name:
                notes.add("OFAC rows without a name, skipped")
                continue
            if ent_num in seen:
                notes.add("OFAC rows repeating an ent_num, skipped")
                continue
            seen.add(ent_num)
            sdn_type = _ofac_cell(row[2]).casefold()
            kind = _OFAC_TYPES.get(sdn_type)
            if kind is None:
                notes.add("OFAC rows of an unknown SDN_Type, kept as unknown")
                kind = EntityType.UNKNOWN
            program = _ofac_cell(row[3])
            programmes = tuple(p.strip(" []") for p in program.split("] [") if p.strip(" []"))
            dobs: list[BirthDate] = []
            nationalities: list[str] = []
            for remark in _ofac_cell(row[11]).split(";"):
                m = _OFAC_REMARK.match(remark.strip())
                if not m:
                    continue
                field, value = m.group(1).casefold(), m.group(2).strip().rstrip(".")
                if field == "dob":
                    birth = parse_ofac_dob(value)
                    if birth is None:
                        notes.add("OFAC dates of birth not understood")
                    elif birth not in dobs:
                        dobs.append(birth)
                else:
                    code = country_from_name(value)
                    if code is None:
                        notes.add("OFAC nationality/citizen values not mapped to a country code")
                    elif code not in nationalities:
                        nationalities.append(code)
            if len(entries) >= lim.max_entries:
                raise SanctionsFileTooLarge(f"{path.name}: more than {lim.max_entries} entries.")
            entries.append(
                SanctionsEntry(
                    source=source or OFAC_SOURCE,
                    entry_id=ent_num,
                    entity_type=kind,
                    primary_name=name,
                    aliases=tuple(dict.fromkeys(a for a in aliases.pop(ent_num, ()) if a != name)),
                    dates_of_birth=tuple(dobs),
                    nationalities=tuple(nationalities),
                    programmes=programmes,
                )
            )
        sdn_file = lines.source_file()
    orphans = sum(len(v) for v in aliases.values())
    if orphans:
        notes.add("OFAC aliases whose ent_num is not in sdn.csv", orphans)
    return SanctionsList.build(
        source=source or OFAC_SOURCE,
        format=ListFormat.OFAC_CSV,
        version=version,
        published=published,
        entries=entries,
        files=(sdn_file,) + ((alt_file,) if alt_file else ()),
        notes=notes.render(),
    )


# --- FollowTheMoney JSON lines ------------------------------------------------------------

_FTM_TYPES = {
    "Person": EntityType.PERSON,
    "Organization": EntityType.ORGANISATION,
    "Company": EntityType.ORGANISATION,
    "PublicBody": EntityType.ORGANISATION,
    "LegalEntity": EntityType.UNKNOWN,
    "Vessel": EntityType.VESSEL,
    "Airplane": EntityType.AIRCRAFT,
}
_FTM_READ = (
    "name",
    "alias",
    "weakAlias",
    "previousName",
    "birthDate",
    "nationality",
    "citizenship",
    "topics",
)


def _ftm_entity(
    raw: Any,
    line: int,
    name: str,
    source: str,
    notes: _Notes,
) -> tuple[SanctionsEntry | None, str | None]:
    if not isinstance(raw, dict) or not all(
        isinstance(raw.get(k), t) for k, t in (("id", str), ("schema", str), ("properties", dict))
    ):
        raise SanctionsFileCorrupt(
            f"{name} line {line}: not a FollowTheMoney entity (an object with id, schema and "
            "properties).",
            line=line,
        )
    kind = _FTM_TYPES.get(raw["schema"])
    if kind is None:
        notes.add("FtM entities of other schemas (addresses, sanctions...), skipped")
        return None, None
    props: dict[str, Any] = raw["properties"]
    values: dict[str, list[str]] = {}
    for key in _FTM_READ:
        items = props.get(key, [])
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            raise SanctionsFileCorrupt(
                f"{name} line {line}: property {key} is not a list of strings.", line=line
            )
        values[key] = [" ".join(v.split()) for v in items if v.strip()]
    names = values["name"]
    caption = raw.get("caption")
    primary = caption if isinstance(caption, str) and caption.strip() in names else None
    primary = primary or (names[0] if names else None)
    if primary is None:
        notes.add("FtM entities without a name, skipped")
        return None, None
    aliases = [n for n in names + values["alias"] + values["previousName"] if n != primary]
    dobs: list[BirthDate] = []
    for text in values["birthDate"]:
        try:
            birth = BirthDate.parse(text[:10])
        except ValueError:
            notes.add("FtM birth dates not understood")
            continue
        if birth not in dobs:
            dobs.append(birth)
    nationalities: list[str] = []
    for code_text in values["nationality"] + values["citizenship"]:
        code = country_from_ftm(code_text)
        if code is None:
            notes.add("FtM country codes without an ISO alpha-3 equivalent")
        elif code not in nationalities:
            nationalities.append(code)
    datasets = raw.get("datasets")
    programmes = (
        tuple(d for d in datasets if isinstance(d, str)) if isinstance(datasets, list) else ()
    )
    changed = raw.get("last_change") or raw.get("last_seen")
    return SanctionsEntry(
        source=source,
        entry_id=raw["id"],
        entity_type=kind,
        primary_name=primary,
        aliases=tuple(dict.fromkeys(aliases)),
        weak_aliases=tuple(dict.fromkeys(values["weakAlias"])),
        dates_of_birth=tuple(dobs),
        nationalities=tuple(nationalities),
        programmes=programmes,
        topics=tuple(dict.fromkeys(values["topics"])),
    ), (changed if isinstance(changed, str) else None)


def import_ftm_jsonl(
    path: Path,
    *,
    source: str | None = None,
    version: str | None = None,
    published: dt.date | None = None,
    limits: ImportLimits | None = None,
) -> SanctionsList:
    """Import FollowTheMoney entities, one JSON object per line (OpenSanctions exports).

    Topics are kept: ``sanction`` makes an entry a sanctions designation,
    ``role.pep``/``role.rca`` a politically exposed person (never more than
    ``review``). Unless given, the version is the latest ``last_change`` of
    any entity and the publication date is its day.

    Args:
        path: the ``.ftm.json`` / ``.jsonl`` file.
        source: source id to record (default ``opensanctions``).
        version: version label overriding the derived one.
        published: publication date overriding the derived one.
        limits: import guards.

    Raises:
        SanctionsFileMissing, SanctionsFileTooLarge: see :func:`load_list`.
        SanctionsFileCorrupt: a line that is not JSON or not an entity, naming the line.
    """
    lim = limits or ImportLimits()
    notes = _Notes()
    src = source or FTM_SOURCE
    entries: list[SanctionsEntry] = []
    latest: str | None = None
    handle, _ = _open_checked(path, lim)
    with handle:
        lines = _HashingLines(handle, path.name, lim)
        for raw_line in lines:
            text = _decode(raw_line).strip().lstrip("\ufeff")
            if not text:
                continue
            try:
                raw = json.loads(text)
            except json.JSONDecodeError as exc:
                raise SanctionsFileCorrupt(
                    f"{path.name} line {lines.line_no}: not valid JSON ({exc.msg} at column "
                    f"{exc.colno}).",
                    line=lines.line_no,
                ) from None
            entry, changed = _ftm_entity(raw, lines.line_no, path.name, src, notes)
            if entry is None:
                continue
            if len(entries) >= lim.max_entries:
                raise SanctionsFileTooLarge(f"{path.name}: more than {lim.max_entries} entries.")
            entries.append(entry)
            if changed and (latest is None or changed > latest):
                latest = changed
        source_file = lines.source_file()
    if not entries and lines.line_no == 0:
        raise SanctionsFormatError(f"{path.name}: no JSON lines.")
    return SanctionsList.build(
        source=src,
        format=ListFormat.FTM_JSONL,
        version=version or latest,
        published=published or (_iso_date(latest) if latest else None),
        entries=entries,
        files=(source_file,),
        notes=notes.render(),
    )


# --- detection and the one entry point -----------------------------------------------------

_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")


def detect_format(path: Path, limits: ImportLimits | None = None) -> ListFormat | None:
    """The list format of ``path`` from its content; None for the kiosk's own stored format.

    Raises:
        SanctionsFileMissing, SanctionsFileTooLarge: see :func:`load_list`.
        SanctionsFormatError: none of the supported formats, with what it looks like.
    """
    handle, _ = _open_checked(path, limits or ImportLimits())
    with handle:
        head = handle.read(_CHUNK)
    body = head.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")
    name = path.name
    if body.startswith(b"PK\x03\x04"):
        raise SanctionsFormatError(f"{name}: a ZIP archive; extract the list file from it first.")
    if body.startswith(b"%PDF"):
        raise SanctionsFormatError(f"{name}: a PDF document, not a machine-readable list.")
    if b"\x00" in head:
        raise SanctionsFormatError(f"{name}: a binary file, not a sanctions list.")
    if body.startswith(b"<"):
        text = re.sub(rb"<\?.*?\?>|<!--.*?-->", b"", body, flags=re.DOTALL).lstrip()
        m = _ROOT_TAG.match(text)
        if text.startswith(b"<!DOCTYPE"):
            raise SanctionsFormatError(f"{name}: XML with a DOCTYPE, which the UN list has not.")
        root = m.group(1).decode("ascii", "replace") if m else ""
        if root == _UN_ROOT:
            return ListFormat.UN_XML
        raise SanctionsFormatError(
            f"{name}: XML whose root element is <{_safe_tag(root)}>; the supported XML format "
            f"is the UN consolidated list (<{_UN_ROOT}>)."
        )
    if body.startswith(b"["):
        raise SanctionsFormatError(
            f"{name}: a JSON array; FollowTheMoney entities are read as JSON lines, one per line."
        )
    if body.startswith(b"{"):
        first_line = body.split(b"\n", 1)[0]
        try:
            first = json.loads(first_line)
        except ValueError:
            return ListFormat.FTM_JSONL  # the importer names the broken line
        if isinstance(first, dict) and first.get("format") == STORED_FORMAT:
            return None
        if isinstance(first, dict) and "schema" in first:
            return ListFormat.FTM_JSONL
        raise SanctionsFormatError(
            f"{name}: JSON lines, but line 1 is not a FollowTheMoney entity (no schema)."
        )
    first_row = next(csv.reader([_decode(body.split(b"\n", 1)[0])]), [])
    lead = first_row[0].strip().casefold() if first_row else ""
    if lead.isdigit() or lead == "ent_num":
        if len(first_row) == len(SDN_COLUMNS):
            return ListFormat.OFAC_CSV
        if len(first_row) == len(ALT_COLUMNS):
            raise SanctionsFormatError(
                f"{name}: 5 columns, as in OFAC alt.csv (aliases); import sdn.csv and give "
                "this file as its alt file."
            )
        if len(first_row) == _ADD_COLUMNS:
            raise SanctionsFormatError(
                f"{name}: 6 columns, as in OFAC add.csv (addresses), which holds no names."
            )
        raise SanctionsFormatError(
            f"{name} line 1: {len(first_row)} columns; OFAC sdn.csv has {len(SDN_COLUMNS)}."
        )
    raise SanctionsFormatError(
        f"{name}: not a supported list format (UN consolidated XML, OFAC sdn.csv, "
        "FollowTheMoney JSON lines, or a list exported by the kiosk)."
    )


def load_list(
    path: Path,
    *,
    format: ListFormat | None = None,
    alt_path: Path | None = None,
    source: str | None = None,
    version: str | None = None,
    published: dt.date | None = None,
    limits: ImportLimits | None = None,
) -> SanctionsList:
    """Load a sanctions list from any supported file, detecting the format by content.

    Args:
        path: a UN XML, OFAC sdn.csv or FtM JSON-lines file, or a list file from
            the kiosk's store (its digest is verified).
        format: skip detection and parse as this format.
        alt_path: OFAC ``alt.csv`` to read with ``sdn.csv`` (OFAC only).
        source: source id to record instead of the format's default.
        version: version label where the file has none (OFAC, FtM override).
        published: publication date where the file has none (OFAC, FtM override).
        limits: import guards.

    Raises:
        SanctionsFileMissing: the file does not exist or cannot be opened.
        SanctionsFileTooLarge: over ``limits``.
        SanctionsFormatError: not a supported format, or not the one asked for.
        SanctionsFileCorrupt: damaged; the message names the line.
        ListStoreError: a stored list whose digest does not match.
    """
    lim = limits or ImportLimits()
    path = Path(path)
    fmt = format if format is not None else detect_format(path, lim)
    if alt_path is not None and fmt is not ListFormat.OFAC_CSV:
        raise SanctionsFormatError(
            f"{path.name}: an alt file goes only with OFAC sdn.csv, and this is not one."
        )
    if fmt is None:
        return read_list(path)
    if fmt is ListFormat.UN_XML:
        return import_un_xml(path, source=source, limits=lim)
    if fmt is ListFormat.OFAC_CSV:
        return import_ofac_csv(
            path, alt_path, source=source, version=version, published=published, limits=lim
        )
    return import_ftm_jsonl(path, source=source, version=version, published=published, limits=lim)
