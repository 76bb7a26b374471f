"""Fixtures: the hand-written test lists (synthetic people) and a screener over all three."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.screening import SanctionsList, Screener, load_list

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def un_list() -> SanctionsList:
    return load_list(DATA / "un_consolidated.xml")


@pytest.fixture(scope="session")
def ofac_list() -> SanctionsList:
    return load_list(DATA / "sdn.csv", alt_path=DATA / "alt.csv")


@pytest.fixture(scope="session")
def ftm_list() -> SanctionsList:
    return load_list(DATA / "entities.ftm.jsonl")


@pytest.fixture(scope="session")
def screener(un_list: SanctionsList, ofac_list: SanctionsList, ftm_list: SanctionsList) -> Screener:
    return Screener.from_lists([un_list, ofac_list, ftm_list])
