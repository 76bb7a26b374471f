"""The document's main portrait, found by the face package's detector.

This is the single integration point with ``pipeline.face``: the document
reader never detects faces itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.document.types import PortraitResult


def find_portrait(pixels: np.ndarray[Any, Any]) -> PortraitResult:
    """The largest face on the page (the main portrait; a ghost image is smaller).

    Args:
        pixels: the analysed page, HxWx3 uint8 BGR.

    Returns:
        The portrait box in pixels of ``pixels``, or ``box=None`` when no face was found.

    Raises:
        ModelMissing, ModelCorrupt: the face detector's model is not usable.
    """
    from pipeline.face import detect_faces
    from pipeline.face.types import DetectPurpose

    faces = detect_faces(pixels, purpose=DetectPurpose.DOCUMENT)
    if not faces:
        return PortraitResult(None, 0.0, 0, 0, note="no face found")
    main = faces[0]
    return PortraitResult(main.box, float(main.score), int(main.rotation), len(faces))
