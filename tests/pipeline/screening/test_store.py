"""The list store: the installed copy cites the same digest as the publisher's file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.screening import (
    ListStore,
    ListStoreError,
    SanctionsList,
    Screener,
    ScreeningSubject,
    load_list,
    read_list,
    write_list,
)


def test_install_then_load_gives_the_same_list_and_digest(
    tmp_path: Path, un_list: SanctionsList, ofac_list: SanctionsList, ftm_list: SanctionsList
) -> None:
    store = ListStore(tmp_path / "sanctions")
    assert store.installed() == () and store.load_all() == ()
    for lst in (un_list, ofac_list, ftm_list):
        installed = store.install(lst)
        assert installed.info == lst.info
        assert installed.files == lst.files and installed.notes == lst.notes
    loaded = {lst.source: lst for lst in store.load_all()}
    for original in (un_list, ofac_list, ftm_list):
        again = loaded[original.source]
        assert again.sha256 == original.sha256 and again.entries == original.entries
        assert again.version == original.version and again.published == original.published
        assert again.version_declared == original.version_declared
    assert sorted(i.info.source for i in store.installed()) == [
        "ofac-sdn",
        "opensanctions",
        "un-consolidated",
    ]


def test_a_stored_list_loads_through_load_list_too(tmp_path: Path, un_list: SanctionsList) -> None:
    path = tmp_path / "copy.jsonl"
    write_list(un_list, path)
    assert load_list(path).sha256 == un_list.sha256


def test_a_new_version_of_a_source_archives_the_old_one(tmp_path: Path, data_dir: Path) -> None:
    store = ListStore(tmp_path)
    first = store.install(load_list(data_dir / "sdn.csv", published=dt.date(2025, 1, 1)))
    second = store.install(
        load_list(
            data_dir / "sdn.csv", alt_path=data_dir / "alt.csv", published=dt.date(2025, 2, 1)
        )
    )
    assert [i.info.sha256 for i in store.installed()] == [second.info.sha256]
    archived = store.archive_dir / first.path.name
    assert archived.is_file() and read_list(archived).sha256 == first.info.sha256


def test_an_edited_stored_list_is_refused(tmp_path: Path, ofac_list: SanctionsList) -> None:
    store = ListStore(tmp_path)
    installed = store.install(ofac_list)
    text = installed.path.read_text(encoding="utf-8")
    # Delete a listed date of birth: the kind of edit that would hide a person.
    installed.path.write_text(
        text.replace('"dob":["1974-08-12","1975"]', '"dob":[]'), encoding="utf-8"
    )
    with pytest.raises(ListStoreError, match="does not match its recorded sha256") as err:
        store.load_all()
    assert err.value.code == "sanctions_store"


def test_a_damaged_stored_line_is_named(tmp_path: Path, un_list: SanctionsList) -> None:
    path = tmp_path / "un.jsonl"
    write_list(un_list, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2][:20]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ListStoreError, match="line 3: not a list entry record"):
        read_list(path)


def test_the_screener_cites_the_stored_digest(tmp_path: Path, ofac_list: SanctionsList) -> None:
    store = ListStore(tmp_path)
    store.install(ofac_list)
    screener = Screener.from_lists(store.load_all())
    result = screener.screen(ScreeningSubject("KARIMOVA", "NADIA", dt.date(1974, 8, 12)))
    assert result.lists[0].sha256 == ofac_list.sha256
    assert result.matches[0].list_sha256 == ofac_list.sha256
