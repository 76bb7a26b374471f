"""What the app loads once and shares between cases (Qt-free): the site policy, the face
toolkit with its models warmed up, the OCR engines, the sanctions screener, and in demo
mode the demo material. :func:`load_runtime` is slow and runs in the background while
the welcome screen is already up."""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError
from kiosk.policy import SitePolicy, load_policy
from kiosk.settings import AppSettings

log = logging.getLogger("ui.runtime")


@dataclass(frozen=True, slots=True)
class Runtime:
    """Loaded, shared components.

    Attributes:
        policy: the site policy cases are decided with.
        toolkit: the shared FaceToolkit (detector and embedder warmed up).
        screener: the sanctions screener, or None when no list is configured.
        demo: the demo material (card and simulated customer), or None.
        load_ms: how long loading took.
    """

    policy: SitePolicy
    toolkit: Any
    screener: Any
    demo: Any
    load_ms: float

    def close(self) -> None:
        self.toolkit.close()


def load_runtime(settings: AppSettings, *, demo: bool, policy_path: Path | None = None) -> Runtime:
    """Load the policy, warm the models, load the lists (and build the demo material).

    Raises:
        PolicyError: the policy file is invalid.
        ModelMissing: a required model is not installed.
        KioskError: a sanctions list cannot be loaded.
    """
    from pipeline.document.document import default_document_reader
    from pipeline.face import FaceToolkit, ToolkitOptions

    t0 = time.perf_counter()
    policy = load_policy(policy_path or settings.policy_file)
    toolkit = FaceToolkit(ToolkitOptions(profile=policy.profile))
    try:
        toolkit.detector()
        toolkit.embedder(policy.face_model)
        default_document_reader().mrz_reader.warm_up()
        screener = _screener(settings, demo)
        material = _demo_material() if demo else None
    except BaseException:
        toolkit.close()
        raise
    ms = (time.perf_counter() - t0) * 1000.0
    log.info("runtime loaded in %.0f ms", ms)
    return Runtime(policy, toolkit, screener, material, ms)


def _screener(settings: AppSettings, demo: bool) -> Any:
    from pipeline.screening import Screener, load_list

    if demo:
        from kiosk.demo import DEMO_LIST

        with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as tmp:
            path = Path(tmp) / "demo-list.ftm.jsonl"
            path.write_text("\n".join(json.dumps(e) for e in DEMO_LIST) + "\n", "utf-8")
            return Screener.from_lists((load_list(path),))
    if not settings.sanctions_lists:
        return None
    try:
        return Screener.from_lists(tuple(load_list(Path(p)) for p in settings.sanctions_lists))
    except KioskError:
        raise


def _demo_material() -> Any:
    from kiosk.demo import build_material

    return build_material()
