"""`--faces none`: the frame's centre square is the one face (for collections of face crops).

This module is the only place that says what `none` means, so the annotator, the benchmarks,
training and review cannot drift apart: `is_whole_frame(spec)` recognises the spec,
`whole_frame_box` is the face's box (the centre square, the release's "resize, centre crop"
for face-cropped datasets), `crop_whole_frame` cuts it, and `WholeFrameDetector` reports the
same box through the detector contract.
"""

from __future__ import annotations

import numpy as np

from engine.crop import crop_face
from s2dcli.faces.base import BaseDetector
from s2dcli.faces.types import Detections

WHOLE_FRAME = "none"
WHOLE_FRAME_MARGIN = 1.0  # the crop is the square itself, nothing around it


def is_whole_frame(spec: object) -> bool:
    """Whether a `--faces` spec means "no detector, the whole frame is the face"."""
    return str(spec).strip().lower() == WHOLE_FRAME


def whole_frame_box(height: int, width: int) -> np.ndarray:
    """The face box `x0, y0, x1, y1` (float64) of a whole-frame face: the centre square."""
    side = min(height, width)
    x0, y0 = (width - side) / 2, (height - side) / 2
    return np.array([x0, y0, x0 + side, y0 + side], np.float64)


def crop_whole_frame(image: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The `(size, size, 3)` uint8 crop of a whole-frame face, and its box (`whole_frame_box`)."""
    box = whole_frame_box(image.shape[0], image.shape[1])
    return crop_face(image, box, size, WHOLE_FRAME_MARGIN), box


class WholeFrameDetector(BaseDetector):
    """Returns the frame's centre square as a single face with score 1 and no landmarks.

    `min_face` still applies: an image whose shorter side is below it yields no face.
    """

    name = WHOLE_FRAME

    def _detect_raw(self, images: list[np.ndarray]) -> list[Detections]:
        return [
            Detections(
                whole_frame_box(image.shape[0], image.shape[1])[None].astype(np.float32),
                np.ones(1, np.float32),
            )
            for image in images
        ]
