"""Errors raised by the vision and decision pipeline.

All derive from :class:`models.errors.KioskError`; codes are stable.
"""

from __future__ import annotations

from models.errors import (
    KioskError,
    ManifestError,
    ModelCorrupt,
    ModelError,
    ModelFetchError,
    ModelMissing,
    UnknownModel,
)


class InputError(KioskError):
    """An input file or frame that cannot be used."""

    code = "input_invalid"
    default_message = "The input cannot be used."


class InputNotFound(InputError):
    code = "input_not_found"
    default_message = "The input file does not exist."


class InputEmpty(InputError):
    code = "input_empty"
    default_message = "The input file is empty."


class InputCorrupt(InputError):
    """Truncated, malformed, or not the format its name claims."""

    code = "input_corrupt"
    default_message = "The input file is damaged or not an image."


class InputTooLarge(InputError):
    """Refused before decoding: too many pixels or bytes (decompression-bomb guard)."""

    code = "input_too_large"
    default_message = "The input image is too large."


class UnsupportedFormat(InputError):
    code = "input_unsupported_format"
    default_message = "The input format is not supported."


class NoFaceError(KioskError):
    code = "no_face"
    default_message = "No face was found."


class MultipleFacesError(KioskError):
    code = "multiple_faces"
    default_message = "More than one face was found; only the customer may be in the picture."


class DocumentUnreadable(KioskError):
    code = "document_unreadable"
    default_message = "The document could not be read."


class MrzNotFound(DocumentUnreadable):
    code = "mrz_not_found"
    default_message = "No machine-readable zone was found on the document."


class OcrEngineError(KioskError):
    """An OCR engine (Tesseract, RapidOCR) is missing or failed."""

    code = "ocr_engine_failed"
    default_message = "The text-recognition engine failed."


class LivenessError(KioskError):
    code = "liveness_failed"
    default_message = "The liveness check could not be completed."


class PolicyError(KioskError):
    """A site policy that fails validation."""

    code = "policy_invalid"
    default_message = "The site policy is invalid."


class ScreeningError(KioskError):
    """A sanctions list that cannot be imported or searched."""

    code = "screening_failed"
    default_message = "The sanctions list could not be used."


class EngineError(KioskError):
    """ONNX Runtime refused a model or an input."""

    code = "engine_failed"
    default_message = "The inference engine failed."


__all__ = [
    "DocumentUnreadable",
    "EngineError",
    "InputCorrupt",
    "InputEmpty",
    "InputError",
    "InputNotFound",
    "InputTooLarge",
    "KioskError",
    "LivenessError",
    "ManifestError",
    "ModelCorrupt",
    "ModelError",
    "ModelFetchError",
    "ModelMissing",
    "MrzNotFound",
    "MultipleFacesError",
    "NoFaceError",
    "OcrEngineError",
    "PolicyError",
    "ScreeningError",
    "UnknownModel",
    "UnsupportedFormat",
]
