"""Named groups of MediaPipe face-mesh landmark indices (478-point topology)."""

from __future__ import annotations

FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
BROWS = (70, 63, 105, 66, 107, 336, 296, 334, 293, 300)
NOSE = (1, 2, 4, 5, 6, 19, 94, 168, 197, 195, 98, 327, 129, 358, 48, 278)
EYE_CORNERS = (33, 133, 362, 263)  # outer and inner corners, image-left eye first
# Eyelids, image-left eye then the other: upper lid, then lower lid (matching order).
UPPER_LIDS = ((246, 161, 160, 159, 158, 157, 173), (466, 388, 387, 386, 385, 384, 398))
LOWER_LIDS = ((7, 163, 144, 145, 153, 154, 155), (249, 390, 373, 374, 380, 381, 382))
LIPS = (61, 291, 0, 17, 13, 14, 37, 267, 84, 314, 78, 308, 40, 270, 91, 321)
CHEEKS = (205, 425, 50, 280, 207, 427, 117, 346)
MOUTH_CORNERS = (61, 291)

# What stays rigid while the head turns: no lips, no eyelids.
RIGID = FACE_OVAL + NOSE + EYE_CORNERS + BROWS
