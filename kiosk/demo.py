"""The bundled demo case, built only from material we may ship.

* The face is NASA's public-domain portrait of astronaut Eileen Collins, as shipped
  with scikit-image (``skimage/data/astronaut.png``: "No known copyright restrictions,
  released into the public domain").
* The ID card is rendered in code (OCR-B MRZ, an invented identity) with that face as
  its portrait.
* The selfie is synthesised from the same photo: the head is re-posed in 3D through
  the challenge drawn for the demo seed, with sensor noise and a faint pulse.
* The sanctions list is a small invented one.

It runs the real case end to end: the same VerificationCase the kiosk uses.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.errors import InputNotFound
from kiosk.policy import load_policy
from pipeline.image import DOCUMENT_MAX_SIDE, from_array, load_image

DEMO_FPS = 15.0

# Invented people for the demo's sanctions list (FollowTheMoney JSON lines).
DEMO_LIST = (
    {
        "id": "demo-1",
        "schema": "Person",
        "properties": {
            "name": ["Boris Kalganov"],
            "birthDate": ["1961-02-03"],
            "nationality": ["ru"],
            "topics": ["sanction"],
        },
    },
    {
        "id": "demo-2",
        "schema": "Person",
        "properties": {
            "name": ["Amina Farouk El-Sayed"],
            "alias": ["Amina Al Sayed"],
            "birthDate": ["1979"],
            "nationality": ["eg"],
            "topics": ["sanction"],
        },
    },
    {
        "id": "demo-3",
        "schema": "Person",
        "properties": {
            "name": ["Henrik Dahlberg"],
            "birthDate": ["1955-11-30"],
            "nationality": ["se"],
            "topics": ["role.pep"],
        },
    },
    {
        "id": "demo-4",
        "schema": "Organization",
        "properties": {"name": ["Northwind Maritime Holdings"], "topics": ["sanction"]},
    },
)


MAX_SELFIE_S = 30.0


@dataclass(frozen=True, slots=True)
class DemoMaterial:
    """What the demo feeds the case: the rendered card and the simulated customer."""

    document: np.ndarray[Any, np.dtype[np.uint8]]
    person: Any  # pipeline.synthetic.selfie.SyntheticPerson
    seed: int
    steps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoRun:
    """The case result plus what the simulation itself cost (not part of a real case)."""

    result: Any
    seed: int
    steps: tuple[str, ...]
    frames: int
    synthesis_ms: float


def astronaut_photo() -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The public-domain demo face (BGR).

    Raises:
        InputNotFound: scikit-image's sample data is not installed.
    """
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise InputNotFound(
            "The demo face (scikit-image's astronaut.png) is not installed.", hint="run make setup"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "astronaut.png"
    return load_image(path).pixels


def demo_seed() -> int:
    """The first seed whose challenge ends in a blink (the demo face smiles throughout,
    so a smile prompt could not be answered)."""
    from pipeline.liveness.challenge import Action, draw_challenge

    return next(s for s in range(1000) if draw_challenge(s)[-1].action is Action.BLINK)


def build_material() -> DemoMaterial:
    """Render the card and synthesise the selfie stream (deterministic)."""
    from pipeline.face import FaceToolkit, ToolkitOptions
    from pipeline.liveness.challenge import draw_challenge
    from pipeline.synthetic.documents import Identity, render_document
    from pipeline.synthetic.portraits import crop_portrait
    from pipeline.synthetic.selfie import HeadRenderer, SyntheticPerson

    photo = astronaut_photo()
    kit = FaceToolkit(ToolkitOptions())
    try:
        face = kit.detector().detect(photo)[0]
        marks = kit.landmarker().detect(photo)[0]
    finally:
        kit.close()
    identity = Identity(
        surname="LINDQVIST",
        given_names="MAJA ELIN",
        document_number="X4R7T2K91",
        nationality="UTO",
        issuing_state="UTO",
        date_of_birth=dt.date(1987, 5, 14),
        sex="F",
        expiry_date=dt.date(2031, 9, 30),
        document_code="ID",
    )
    card = render_document("TD1", 2026, identity=identity, portrait=crop_portrait(photo, face))
    seed = demo_seed()
    steps = tuple(s.action.value for s in draw_challenge(seed))
    person = SyntheticPerson(HeadRenderer(photo, marks), seed=seed)
    return DemoMaterial(card.image, person, seed, steps)


def run_demo() -> DemoRun:
    """Run the demo case: the simulated customer follows the prompts of the live session."""
    import time

    from kiosk.case import VerificationCase, screening_options
    from pipeline.screening import Screener, load_list

    material = build_material()
    policy = load_policy()
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as tmp:
        list_file = Path(tmp) / "demo-list.ftm.jsonl"
        list_file.write_text("\n".join(json.dumps(e) for e in DEMO_LIST) + "\n", "utf-8")
        screener = Screener.from_lists((load_list(list_file),), screening_options(policy))
    synthesis = 0.0
    frames = 0
    with VerificationCase(policy, screener=screener) as case:
        case.start_document(from_array(material.document, max_side=DOCUMENT_MAX_SIDE))
        case.start_selfie(material.seed)
        action: str | None = None
        t_s = 0.0
        while t_s < MAX_SELFIE_S:
            t0 = time.perf_counter()
            pixels = material.person.frame(t_s, action)
            synthesis += (time.perf_counter() - t0) * 1000.0
            feedback = case.feed(pixels, t_s)
            frames += 1
            state = feedback.challenge
            if state.status.value in ("passed", "failed"):
                if state.status.value == "failed":
                    break
                action = None
                t_s += 1.0 / DEMO_FPS
                # a second more of a still face, as the kiosk keeps filming for the pulse
                for _ in range(int(DEMO_FPS)):
                    t0 = time.perf_counter()
                    pixels = material.person.frame(t_s, None)
                    synthesis += (time.perf_counter() - t0) * 1000.0
                    case.feed(pixels, t_s)
                    frames += 1
                    t_s += 1.0 / DEMO_FPS
                break
            action = state.action.value if state.action else None
            t_s += 1.0 / DEMO_FPS
        result = case.finish()
    return DemoRun(result, material.seed, material.steps, frames, synthesis)
