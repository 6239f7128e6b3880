"""`WholeFrameDetector` (`--faces none`): every image is one face, for collections of crops."""

from __future__ import annotations

import numpy as np

from s2dcli.faces.base import BaseDetector
from s2dcli.faces.types import Detections


class WholeFrameDetector(BaseDetector):
    """Returns the full frame as a single face with score 1 and no landmarks.

    `min_face` still applies: an image whose shorter side is below it yields no face.
    """

    name = "none"

    def _detect_raw(self, images: list[np.ndarray]) -> list[Detections]:
        return [
            Detections(
                np.array([[0, 0, image.shape[1], image.shape[0]]], np.float32),
                np.ones(1, np.float32),
            )
            for image in images
        ]
