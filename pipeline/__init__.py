"""Qt-free vision and decision logic: pixels in, typed evidence and decisions out.

The facade's verbs are imported on first use (PEP 562), so ``import pipeline`` (and
every ``kiosk`` command) loads no model and not even numpy:

* faces: ``detect_faces``, ``embed``, ``compare``, ``is_match``, ``assess_quality``,
  ``match_faces``
* documents: ``read_mrz``, ``read_document``
* liveness: ``LivenessSession``
* decision: ``decide``
* engine: ``EngineConfig``, ``OnnxEngine``
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "detect_faces": "pipeline.face",
    "embed": "pipeline.face",
    "compare": "pipeline.face",
    "is_match": "pipeline.face",
    "assess_quality": "pipeline.face",
    "match_faces": "pipeline.face",
    "read_mrz": "pipeline.document",
    "read_document": "pipeline.document",
    "LivenessSession": "pipeline.liveness.session",
    "decide": "pipeline.decision",
    "EngineConfig": "pipeline.engine",
    "GraphOptimization": "pipeline.engine",
    "OnnxEngine": "pipeline.engine",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
