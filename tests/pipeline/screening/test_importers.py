"""Importers on small files in the publishers' formats, and on damaged or wrong files."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from pipeline.screening import (
    BirthDate,
    DatePrecision,
    EntityType,
    ImportLimits,
    ListFormat,
    SanctionsFileCorrupt,
    SanctionsFileMissing,
    SanctionsFileTooLarge,
    SanctionsFormatError,
    SanctionsList,
    detect_format,
    load_list,
)
from pipeline.screening.importers import parse_ofac_dob

# Names in the test files; no error message may quote any of them.
LISTED_NAMES = (
    "José",
    "Müller",
    "BORISLAV",
    "KREMENCHUK",
    "KARIMOVA",
    "Nadia",
    "ERIKSSON",
    "Lucía",
    "Wiśniewski",
    "محمد",
)


def by_id(lst: SanctionsList, entry_id: str):  # type: ignore[no-untyped-def]
    return next(e for e in lst.entries if e.entry_id == entry_id)


def assert_no_list_content(message: str) -> None:
    for name in LISTED_NAMES:
        assert name.casefold() not in message.casefold(), f"the error quotes list content: {name}"


# --- UN consolidated XML ------------------------------------------------------------------


def test_un_xml_entries_dates_aliases_and_metadata(un_list: SanctionsList, data_dir: Path) -> None:
    assert un_list.source == "un-consolidated"
    assert un_list.format is ListFormat.UN_XML
    assert un_list.version == "2025-03-14T10:00:03.093-04:00"
    assert un_list.published == dt.date(2025, 3, 14)
    assert [e.entry_id for e in un_list.entries] == [
        "QDi.901",
        "KPi.902",
        "QDi.903",
        "LYi.904",
        "KPe.905",
    ]
    raw = (data_dir / "un_consolidated.xml").read_bytes()
    assert un_list.files[0].sha256 == hashlib.sha256(raw).hexdigest()
    assert un_list.files[0].size == len(raw)

    jose = by_id(un_list, "QDi.901")
    assert jose.primary_name == "José Müller"  # spelling as published
    assert jose.entity_type is EntityType.PERSON
    assert jose.dates_of_birth == (BirthDate.exact(dt.date(1971, 3, 14)),)
    assert jose.nationalities == ("DEU", "ESP")
    assert jose.weak_aliases == ("Pepe el Alemán",) and jose.aliases == ()
    assert jose.programmes == ("Al-Qaida",) and jose.listed_on == dt.date(2019, 6, 3)
    assert jose.sanctioned and not jose.pep

    boris = by_id(un_list, "KPi.902")
    assert boris.aliases == ("Борислав Петрович Кременчук", "Borislav Kremenchouk")
    assert [b.text for b in boris.dates_of_birth] == ["1965"]
    assert boris.nationalities == ("RUS",)  # "Russian Federation"

    muhammad = by_id(un_list, "QDi.903")
    # BETWEEN 1960 and 1963; APPROXIMATELY 1966 is read as 1965..1967.
    assert [b.text for b in muhammad.dates_of_birth] == ["1960/1963", "1965/1967"]
    assert all(b.precision is DatePrecision.RANGE for b in muhammad.dates_of_birth)

    assert by_id(un_list, "LYi.904").dates_of_birth == ()
    entity = by_id(un_list, "KPe.905")
    assert entity.entity_type is EntityType.ORGANISATION
    assert entity.aliases == ("Voss Stiftung",)


def test_truncated_xml_names_the_line_and_says_truncated(data_dir: Path, tmp_path: Path) -> None:
    raw = (data_dir / "un_consolidated.xml").read_bytes()
    cut = tmp_path / "consolidated.xml"
    cut.write_bytes(raw[: len(raw) // 2])
    lines_kept = raw[: len(raw) // 2].count(b"\n") + 1
    with pytest.raises(SanctionsFileCorrupt) as err:
        load_list(cut)
    assert err.value.code == "sanctions_corrupt"
    assert err.value.line is not None and abs(err.value.line - lines_kept) <= 1
    assert f"line {err.value.line}" in err.value.message and "truncated" in err.value.message
    assert_no_list_content(err.value.message)


def test_mismatched_xml_tags_are_reported_with_their_line(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "un_consolidated.xml").read_text(encoding="utf-8")
    lines = text.splitlines()
    broken_at = next(i for i, line in enumerate(lines) if "<LISTED_ON>2017" in line)
    lines[broken_at] = lines[broken_at].replace("</LISTED_ON>", "</LISTED>")
    path = tmp_path / "broken.xml"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(SanctionsFileCorrupt) as err:
        load_list(path)
    assert err.value.line == broken_at + 1
    assert "mismatched tag" in err.value.message


def test_xml_entities_and_doctype_are_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>"
        "<FIRST_NAME>&b;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>\n"
    )
    with pytest.raises(SanctionsFormatError, match="DOCTYPE"):
        load_list(bomb)
    # Forcing the format skips detection; the parser itself refuses the declaration.
    with pytest.raises(SanctionsFileCorrupt, match="DOCTYPE or entity declaration"):
        load_list(bomb, format=ListFormat.UN_XML)


def test_other_xml_is_named_by_its_root(tmp_path: Path) -> None:
    ofac_xml = tmp_path / "sdn.xml"
    ofac_xml.write_text('<?xml version="1.0"?>\n<sdnList><publshInformation/></sdnList>\n')
    with pytest.raises(SanctionsFormatError, match="<sdnList>"):
        load_list(ofac_xml)


def test_an_individual_without_an_id_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "noid.xml"
    path.write_text(
        '<CONSOLIDATED_LIST dateGenerated="2025-01-01T00:00:00">\n<INDIVIDUALS>\n<INDIVIDUAL>\n'
        "<FIRST_NAME>SOMEONE</FIRST_NAME>\n</INDIVIDUAL>\n</INDIVIDUALS>\n</CONSOLIDATED_LIST>\n"
    )
    with pytest.raises(SanctionsFileCorrupt) as err:
        load_list(path)
    assert err.value.line == 3 and "DATAID" in err.value.message
    assert "SOMEONE" not in err.value.message


# --- OFAC SDN CSV -----------------------------------------------------------------------


def test_ofac_sdn_with_alt_reads_remarks_and_aliases(ofac_list: SanctionsList) -> None:
    assert ofac_list.source == "ofac-sdn" and ofac_list.format is ListFormat.OFAC_CSV
    assert [f.name for f in ofac_list.files] == ["sdn.csv", "alt.csv"]
    assert len(ofac_list.entries) == 8  # the DOS end-of-file line is not a row
    assert ofac_list.published is None and ofac_list.version == ofac_list.sha256[:12]
    assert not ofac_list.version_declared

    nadia = by_id(ofac_list, "9001")
    assert nadia.primary_name == "KARIMOVA, Nadia"
    assert nadia.aliases == ("KARIMOVA, Nadiya",)
    assert [b.text for b in nadia.dates_of_birth] == ["1974-08-12", "1975"]
    assert nadia.nationalities == ("IRN",)
    assert nadia.programmes == ("SDGT", "IRGC")

    anna = by_id(ofac_list, "9002")
    assert anna.nationalities == ("SWE", "FIN")  # nationality and citizen
    assert [b.text for b in by_id(ofac_list, "9005").dates_of_birth] == ["1961/1963"]  # circa
    assert [b.text for b in by_id(ofac_list, "9006").dates_of_birth] == ["1958/1960"]
    assert [b.text for b in by_id(ofac_list, "9007").dates_of_birth] == ["1970-10"]
    assert by_id(ofac_list, "9007").nationalities == ()  # "Narnia" is no country
    assert any("not mapped to a country code" in n for n in ofac_list.notes)
    assert by_id(ofac_list, "9003").entity_type is EntityType.ORGANISATION
    assert by_id(ofac_list, "9003").aliases == ("NORTHERN STAR SHIPPING",)
    assert by_id(ofac_list, "9004").entity_type is EntityType.VESSEL


def test_ofac_sdn_alone_has_no_aliases(data_dir: Path, ofac_list: SanctionsList) -> None:
    alone = load_list(data_dir / "sdn.csv")
    assert [e.entry_id for e in alone.entries] == [e.entry_id for e in ofac_list.entries]
    assert all(e.aliases == () for e in alone.entries)
    assert alone.sha256 != ofac_list.sha256


def test_ofac_publication_date_and_version_from_the_operator(data_dir: Path) -> None:
    lst = load_list(data_dir / "sdn.csv", version="2025-03-01 SDN", published=dt.date(2025, 3, 1))
    assert lst.version == "2025-03-01 SDN" and lst.published == dt.date(2025, 3, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 Aug 1974", "1974-08-12"),
        ("01 January 1950", "1950-01-01"),
        ("Aug 1974", "1974-08"),
        ("1974", "1974"),
        ("circa 1962", "1961/1963"),
        ("1958 to 1960", "1958/1960"),
        ("01 Jan 1958 to 31 Dec 1960", "1958/1960"),
        ("31 Feb 1970", None),
        ("sometime in 1970", None),
    ],
)
def test_ofac_dates_of_birth(text: str, expected: str | None) -> None:
    parsed = parse_ofac_dob(text)
    assert (parsed.text if parsed else None) == expected


def test_csv_with_the_wrong_column_count_names_the_line(data_dir: Path, tmp_path: Path) -> None:
    lines = (data_dir / "sdn.csv").read_bytes().split(b"\r\n")
    lines[2] = lines[2].rsplit(b',"', 1)[0]  # drop the Remarks column of row 3
    path = tmp_path / "sdn.csv"
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(SanctionsFileCorrupt) as err:
        load_list(path)
    assert err.value.line == 3
    assert "sdn.csv line 3: 11 columns, expected 12" in err.value.message
    assert_no_list_content(err.value.message)


def test_a_bad_alt_file_names_its_own_line(data_dir: Path, tmp_path: Path) -> None:
    alt = tmp_path / "alt.csv"
    alt.write_text('9001,101,"aka","KARIMOVA, Nadiya","-0- "\n9002,102,"aka"\n')
    with pytest.raises(SanctionsFileCorrupt) as err:
        load_list(data_dir / "sdn.csv", alt_path=alt)
    assert "alt.csv line 2: 3 columns, expected 5" in err.value.message


def test_alt_csv_imported_as_the_main_file_is_recognised(data_dir: Path) -> None:
    with pytest.raises(SanctionsFormatError, match=r"alt\.csv"):
        load_list(data_dir / "alt.csv")
    with pytest.raises(SanctionsFormatError, match=r"alt\.csv"):
        load_list(data_dir / "alt.csv", format=ListFormat.OFAC_CSV)


def test_a_non_numeric_ent_num_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "sdn.csv"
    path.write_text('X1,"NAME, Some","individual"' + ',"-0- "' * 9 + "\n")
    with pytest.raises(SanctionsFileCorrupt, match="line 1: ent_num is not a number"):
        load_list(path, format=ListFormat.OFAC_CSV)


# --- FollowTheMoney JSON lines ------------------------------------------------------------


def test_ftm_entities_topics_and_metadata(ftm_list: SanctionsList) -> None:
    assert ftm_list.source == "opensanctions" and ftm_list.format is ListFormat.FTM_JSONL
    assert ftm_list.version == "2025-01-15T08:00:00" and ftm_list.published == dt.date(2025, 1, 15)
    ids = [e.entry_id for e in ftm_list.entries]
    assert "fx-addr-006" not in ids and len(ids) == 6
    assert any("other schemas" in n for n in ftm_list.notes)

    arabic = by_id(ftm_list, "fx-arabic-001")
    assert arabic.primary_name == "محمد عبد الله" and arabic.nationalities == ("YEM",)
    pep = by_id(ftm_list, "fx-pep-003")
    assert pep.pep and not pep.sanctioned and pep.nationalities == ("ESP", "ARG")
    assert by_id(ftm_list, "fx-org-004").entity_type is EntityType.ORGANISATION
    legal = by_id(ftm_list, "fx-legal-005")
    assert legal.entity_type is EntityType.UNKNOWN
    assert legal.aliases == ("Tomas Wisniewsky",) and legal.weak_aliases == ("Tomek",)
    ayse = by_id(ftm_list, "fx-person-007")
    assert [b.text for b in ayse.dates_of_birth] == ["1981-07", "1982-07-19"]
    assert ayse.nationalities == ("TUR",)  # "suhh" (the USSR) maps to no alpha-3 code
    assert ayse.topics == ("sanction", "crime") and ayse.sanctioned


def test_a_broken_json_line_is_named(data_dir: Path, tmp_path: Path) -> None:
    lines = (data_dir / "entities.ftm.jsonl").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3][: len(lines[3]) // 2]
    path = tmp_path / "entities.ftm.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SanctionsFileCorrupt) as err:
        load_list(path)
    assert err.value.line == 4 and "line 4: not valid JSON" in err.value.message
    assert_no_list_content(err.value.message)


def test_a_json_line_that_is_not_an_entity_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    good = {"id": "a", "schema": "Person", "properties": {"name": ["Someone Invented"]}}
    path.write_text(json.dumps(good) + "\n" + json.dumps({"id": "b", "schema": "Person"}) + "\n")
    with pytest.raises(SanctionsFileCorrupt, match="line 2: not a FollowTheMoney entity"):
        load_list(path)
    bad_prop = {"id": "c", "schema": "Person", "properties": {"name": "not a list"}}
    path.write_text(json.dumps(bad_prop) + "\n")
    with pytest.raises(SanctionsFileCorrupt, match="line 1: property name is not a list"):
        load_list(path)


# --- detection and guards -------------------------------------------------------------------


def test_formats_are_detected_by_content_not_by_name(data_dir: Path, tmp_path: Path) -> None:
    for source, fmt in (
        ("un_consolidated.xml", ListFormat.UN_XML),
        ("sdn.csv", ListFormat.OFAC_CSV),
        ("entities.ftm.jsonl", ListFormat.FTM_JSONL),
    ):
        renamed = tmp_path / "list.dat"
        renamed.write_bytes((data_dir / source).read_bytes())
        assert detect_format(renamed) is fmt


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"PK\x03\x04rest-of-a-zip", "ZIP archive"),
        (b"%PDF-1.7 ...", "PDF"),
        (b"\x00\x01\x02binary", "binary"),
        (b'[{"id": "x"}]', "JSON array"),
        (b'{"hello": "world"}\n', "not a FollowTheMoney entity"),
        (b"name,dob\nSomeone,1970\n", "not a supported list format"),
        (b"1,2,3\n", "OFAC sdn.csv has 12"),
        (b"", "empty"),
    ],
)
def test_wrong_files_get_a_clear_format_error(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    with pytest.raises(SanctionsFormatError, match=needle) as err:
        load_list(path)
    assert err.value.code == "sanctions_format"


def test_missing_files_and_size_limits(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(SanctionsFileMissing):
        load_list(tmp_path / "nope.xml")
    with pytest.raises(SanctionsFileMissing):
        load_list(tmp_path)  # a directory
    with pytest.raises(SanctionsFileTooLarge):
        load_list(data_dir / "sdn.csv", limits=ImportLimits(max_bytes=100))
    with pytest.raises(SanctionsFileTooLarge, match="more than 2 entries"):
        load_list(data_dir / "un_consolidated.xml", limits=ImportLimits(max_entries=2))
    with pytest.raises(SanctionsFileTooLarge, match="line 1: longer than"):
        load_list(data_dir / "entities.ftm.jsonl", limits=ImportLimits(max_line_bytes=64))


def test_an_alt_file_with_another_format_is_refused(data_dir: Path) -> None:
    with pytest.raises(SanctionsFormatError, match="alt file goes only with OFAC"):
        load_list(data_dir / "un_consolidated.xml", alt_path=data_dir / "alt.csv")


def test_ofac_csv_in_windows_1252_with_a_byte_order_mark(tmp_path: Path) -> None:
    row = '9101,"PEÑA ÁLVAREZ, Inés","individual","SDNTK"' + ',"-0- "' * 7 + ',"DOB 1970."\r\n'
    path = tmp_path / "sdn.csv"
    path.write_bytes(b"\xef\xbb\xbf" + row.encode("utf-8"))
    assert load_list(path).entries[0].primary_name == "PEÑA ÁLVAREZ, Inés"
    path.write_bytes(row.encode("cp1252"))
    assert load_list(path).entries[0].primary_name == "PEÑA ÁLVAREZ, Inés"
