"""Sanctions and PEP screening against local lists (Qt-free, no network).

Typical use::

    lst = load_list(Path("consolidated.xml"))          # UN XML, OFAC CSV, FtM JSONL
    screener = Screener.from_lists([lst])              # build once (index)
    result = screener.screen(ScreeningSubject("ERIKSSON", "ANNA MARIA",
                                              dt.date(1974, 8, 12), "SWE"))
    result.outcome                                     # Outcome.CLEAR / REVIEW / HIT

Importing this package loads nothing heavy; rapidfuzz is imported on the first query.
"""

from pipeline.screening.errors import (
    ListStoreError,
    NoSanctionsList,
    SanctionsFileCorrupt,
    SanctionsFileMissing,
    SanctionsFileTooLarge,
    SanctionsFormatError,
    ScreeningOptionsInvalid,
    ScreeningSubjectInvalid,
)
from pipeline.screening.importers import (
    ImportLimits,
    detect_format,
    import_ftm_jsonl,
    import_ofac_csv,
    import_un_xml,
    load_list,
)
from pipeline.screening.lists import (
    BirthDate,
    DatePrecision,
    EntityType,
    ListFormat,
    ListInfo,
    SanctionsEntry,
    SanctionsList,
    SourceFile,
)
from pipeline.screening.match import (
    DobAgreement,
    NameKind,
    NameScore,
    NationalityAgreement,
    Outcome,
    Screener,
    ScreeningMatch,
    ScreeningOptions,
    ScreeningResult,
    ScreeningSubject,
    decide_match,
    dob_agreement,
    name_similarity,
    nationality_agreement,
)
from pipeline.screening.normalize import NormalisedName, normalise_name, split_mrz_name
from pipeline.screening.store import InstalledList, ListStore, read_list, write_list

__all__ = [
    "BirthDate",
    "DatePrecision",
    "DobAgreement",
    "EntityType",
    "ImportLimits",
    "InstalledList",
    "ListFormat",
    "ListInfo",
    "ListStore",
    "ListStoreError",
    "NameKind",
    "NameScore",
    "NationalityAgreement",
    "NoSanctionsList",
    "NormalisedName",
    "Outcome",
    "SanctionsEntry",
    "SanctionsFileCorrupt",
    "SanctionsFileMissing",
    "SanctionsFileTooLarge",
    "SanctionsFormatError",
    "SanctionsList",
    "Screener",
    "ScreeningMatch",
    "ScreeningOptions",
    "ScreeningOptionsInvalid",
    "ScreeningResult",
    "ScreeningSubject",
    "ScreeningSubjectInvalid",
    "SourceFile",
    "decide_match",
    "detect_format",
    "dob_agreement",
    "import_ftm_jsonl",
    "import_ofac_csv",
    "import_un_xml",
    "load_list",
    "name_similarity",
    "nationality_agreement",
    "normalise_name",
    "read_list",
    "split_mrz_name",
    "write_list",
]
