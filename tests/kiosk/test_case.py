"""The case orchestrator downgrades, never crashes: a failing branch becomes an unknown
signal with an error code, and a second face in any kept selfie frame is not swallowed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk.case import VerificationCase
from kiosk.policy import load_policy
from pipeline.decision import Outcome
from pipeline.image import SELFIE_MAX_SIDE, load_image

pytestmark = pytest.mark.models


@dataclass(frozen=True)
class _Kept:
    pixels: np.ndarray[Any, Any]


@dataclass(frozen=True)
class _Liveness:
    best_frames: tuple[_Kept, ...]


class _BrokenScreener:
    def screen(self, subject: Any) -> Any:
        raise RuntimeError("a bug in the screener")


def _selfie(shared: Path, name: str) -> np.ndarray[Any, Any]:
    path = shared / "faces" / "face_recognition" / name
    return load_image(path, max_side=SELFIE_MAX_SIDE).pixels


def test_a_second_face_in_a_later_kept_frame_is_the_face_error(
    shared_data: Path, model_registry: Any
) -> None:
    frames = (
        _Kept(_selfie(shared_data, "obama.jpg")),
        _Kept(_selfie(shared_data, "two_people.jpg")),
        _Kept(_selfie(shared_data, "obama2.jpg")),
    )
    with VerificationCase(load_policy(), registry=model_registry) as case:
        emb, signals, used, _ = case._selfie_embedding(_Liveness(frames))  # type: ignore[arg-type]
    assert emb is None and used == 0
    assert signals.error_code == "multiple_faces"


def test_a_bug_in_the_screener_downgrades_the_case(shared_data: Path, model_registry: Any) -> None:
    from pipeline.synthetic.documents import render_document

    face = _selfie(shared_data, "obama.jpg")
    page = render_document("TD3", 7, portrait=face).image
    from pipeline.image import DOCUMENT_MAX_SIDE, from_array

    with VerificationCase(
        load_policy(), screener=_BrokenScreener(), registry=model_registry
    ) as case:
        case.start_document(from_array(page, max_side=DOCUMENT_MAX_SIDE))
        case.set_selfie_image(load_image(shared_data / "faces/face_recognition/obama2.jpg"))
        result = case.finish()
    assert result.signals.screening.error_code == "internal_error"
    assert result.decision.outcome is not Outcome.APPROVED
    assert "screening_unknown" in result.decision.reason_codes
