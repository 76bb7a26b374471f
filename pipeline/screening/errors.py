"""Errors of sanctions-list import and screening.

Every class derives from :class:`pipeline.errors.ScreeningError`; the codes
are stable. Messages name the file's problem and where it is (line, column,
element), never a name, a date of birth or any other cell of the list, and
never anything about the person being screened.
"""

from __future__ import annotations

from pipeline.errors import ScreeningError


class SanctionsFileMissing(ScreeningError):
    """The list file does not exist or cannot be opened."""

    code = "sanctions_file_missing"
    default_message = "The sanctions list file does not exist."


class SanctionsFormatError(ScreeningError):
    """The file is not one of the supported list formats, or not the one asked for."""

    code = "sanctions_format"
    default_message = "The file is not a supported sanctions list format."


class SanctionsFileCorrupt(ScreeningError):
    """The file is of a supported format but damaged: truncated, malformed, wrong columns.

    Attributes:
        line: 1-based line of the problem, or None when it has no line.
    """

    code = "sanctions_corrupt"
    default_message = "The sanctions list file is damaged."

    def __init__(
        self, message: str | None = None, *, line: int | None = None, hint: str = ""
    ) -> None:
        super().__init__(message, hint=hint)
        self.line = line


class SanctionsFileTooLarge(ScreeningError):
    """Refused before parsing: more bytes, lines or entries than the import limits allow."""

    code = "sanctions_too_large"
    default_message = "The sanctions list file is larger than the import limit."


class ListStoreError(ScreeningError):
    """The kiosk's list store cannot be read or written, or a stored list fails its hash."""

    code = "sanctions_store"
    default_message = "The installed sanctions lists cannot be used."


class NoSanctionsList(ScreeningError):
    """Screening was asked for with no list to screen against."""

    code = "sanctions_no_list"
    default_message = "No sanctions list is installed or given."


class ScreeningSubjectInvalid(ScreeningError):
    """The subject cannot be screened (e.g. a name with no letters left after normalisation)."""

    code = "screening_subject_invalid"
    default_message = "The name to screen is empty or unusable."


class ScreeningOptionsInvalid(ScreeningError):
    """Thresholds or limits out of range."""

    code = "screening_options_invalid"
    default_message = "The screening options are invalid."


__all__ = [
    "ListStoreError",
    "NoSanctionsList",
    "SanctionsFileCorrupt",
    "SanctionsFileMissing",
    "SanctionsFileTooLarge",
    "SanctionsFormatError",
    "ScreeningError",
    "ScreeningOptionsInvalid",
    "ScreeningSubjectInvalid",
]
