"""The root of the project's error hierarchy and the model errors.

The root lives in the lowest layer so every layer above can extend it
without importing upward. Each error has a stable ``code`` (for JSON,
logs and UI routing), a user-facing ``message`` and an optional ``hint``
that says what to do.
"""

from __future__ import annotations

from typing import ClassVar


class KioskError(Exception):
    """Base of every error the kiosk raises on purpose.

    Attributes:
        code: stable machine-readable identifier, never reworded.
        message: one sentence for the user or operator; never contains
            personal data.
        hint: what to do about it, or an empty string.
    """

    code: ClassVar[str] = "kiosk_error"
    default_message: ClassVar[str] = "The kiosk could not complete the operation."

    def __init__(self, message: str | None = None, *, hint: str = "") -> None:
        self.message = message or self.default_message
        self.hint = hint
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ModelError(KioskError):
    """A model could not be found, verified or loaded."""

    code = "model_error"
    default_message = "A model file is unusable."


class UnknownModel(ModelError):
    """A model name that neither the manifest nor the operator registry knows."""

    code = "model_unknown"
    default_message = "Unknown model name."


class ModelMissing(ModelError):
    """A known model whose file is not in the models directory."""

    code = "model_missing"
    default_message = "A model file is missing."


class ModelCorrupt(ModelError):
    """A model file whose sha256 differs from the pinned one, or that fails to load."""

    code = "model_corrupt"
    default_message = "A model file does not match its pinned hash."


class ModelFetchError(ModelError):
    """Downloading or extracting a model's source package failed."""

    code = "model_fetch_failed"
    default_message = "A model could not be fetched."


class ManifestError(ModelError):
    """The model manifest or the operator registry is malformed."""

    code = "manifest_invalid"
    default_message = "The model manifest is invalid."
