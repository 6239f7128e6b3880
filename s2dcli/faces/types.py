"""What a face detector returns, and the contract every detector keeps.

Boxes are `(x1, y1, x2, y2)` in pixels of the image that was passed in (float32, x2 > x1),
scores are in [0, 1] for the ONNX detectors, and landmarks, where the detector has them, are
the five points InsightFace uses: left eye, right eye, nose tip, left and right mouth corner
(left/right as seen in the image).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True, eq=False)  # arrays have no single truth value: compare fields instead
class Detections:
    """The faces found in one image.

    Attributes:
        boxes: (N, 4) float32, xyxy in pixels.
        scores: (N,) float32, higher is more certain.
        landmarks: (N, 5, 2) float32 (x, y) points, or None when the detector has none.
    """

    boxes: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = self.boxes.shape[0] if self.boxes.ndim == 2 else -1
        if self.boxes.ndim != 2 or self.boxes.shape[1] != 4:
            raise ValueError(f"boxes must have shape (N, 4), got {self.boxes.shape}")
        if self.scores.shape != (n,):
            raise ValueError(f"scores must have shape ({n},), got {self.scores.shape}")
        if self.landmarks is not None and self.landmarks.shape != (n, 5, 2):
            raise ValueError(f"landmarks must have shape ({n}, 5, 2), got {self.landmarks.shape}")
        for name in ("boxes", "scores", "landmarks"):
            value = getattr(self, name)
            if value is not None and value.dtype != np.float32:
                raise ValueError(f"{name} must be float32, got {value.dtype}")

    @classmethod
    def empty(cls, with_landmarks: bool = False) -> Detections:
        """No faces."""
        landmarks = np.zeros((0, 5, 2), np.float32) if with_landmarks else None
        return cls(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), landmarks)

    def __len__(self) -> int:
        return int(self.boxes.shape[0])

    def take(self, index: np.ndarray) -> Detections:
        """The detections at `index` (integer indices or a boolean mask), in that order."""
        landmarks = None if self.landmarks is None else self.landmarks[index]
        return Detections(self.boxes[index], self.scores[index], landmarks)

    @property
    def sizes(self) -> np.ndarray:
        """(N,) float32: the shorter side of each box, the size `min_face` is compared with."""
        wh = self.boxes[:, 2:] - self.boxes[:, :2]
        return np.minimum(wh[:, 0], wh[:, 1])


@runtime_checkable
class FaceDetector(Protocol):
    """A face detector: RGB uint8 images in, `Detections` out.

    Implementations are not thread-safe unless they say so; use one per thread.
    """

    name: str

    def detect(self, image: np.ndarray) -> Detections:
        """Faces in one image: (H, W, 3) uint8 RGB."""
        ...

    def detect_batch(self, images: Sequence[np.ndarray]) -> list[Detections]:
        """Faces in each image, in order; batched through the network where the backend can."""
        ...

    def close(self) -> None:
        """Release the sessions; the detector cannot be used afterwards."""
        ...
