"""`BaseDetector`: input checks, the `min_face` filter and clipping shared by every detector.

A backend implements `_detect_raw(images)`, returning boxes in the pixels of each input image,
and optionally `_release()`; everything else lives here so all detectors behave alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

import numpy as np

from s2dcli.errors import InputError
from s2dcli.faces.boxes import finalize
from s2dcli.faces.types import Detections


def check_image(image: np.ndarray, index: int = 0) -> np.ndarray:
    """Return `image` as a C-contiguous (H, W, 3) uint8 array, or raise InputError."""
    if not isinstance(image, np.ndarray):
        raise InputError(
            f"Image {index} is a {type(image).__name__}; pass a numpy array "
            "(H, W, 3) uint8 RGB, e.g. np.asarray(PIL.Image.open(p).convert('RGB'))."
        )
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InputError(
            f"Image {index} has shape {image.shape} and dtype {image.dtype}; face detectors "
            "take (H, W, 3) uint8 RGB. Convert grey images with np.stack([img] * 3, axis=-1) "
            "and float images with (img * 255).round().astype(np.uint8)."
        )
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise InputError(f"Image {index} is empty (shape {image.shape}).")
    return np.ascontiguousarray(image)


def check_min_face(min_face: float) -> float:
    """`min_face` as a float >= 0, or InputError."""
    try:
        value = float(min_face)
    except (TypeError, ValueError):
        value = float("nan")
    if not value >= 0:
        raise InputError(f"Invalid min_face {min_face!r}: use a size in pixels >= 0, e.g. 20.")
    return value


class BaseDetector:
    """Common behaviour; subclasses set `name` and implement `_detect_raw`."""

    name = "base"
    has_landmarks = False

    def __init__(self, *, min_face: float = 20.0) -> None:
        self.min_face = check_min_face(min_face)
        self._closed = False

    def detect(self, image: np.ndarray) -> Detections:
        """Faces in one (H, W, 3) uint8 RGB image, best score first."""
        return self.detect_batch([image])[0]

    def detect_batch(self, images: Sequence[np.ndarray]) -> list[Detections]:
        """Faces in each image, in input order, each best score first."""
        if self._closed:
            raise RuntimeError(f"The {self.name} detector was closed; create a new one.")
        checked = [check_image(image, i) for i, image in enumerate(images)]
        if not checked:
            return []
        raw = self._detect_raw(checked)
        assert len(raw) == len(checked), (len(raw), len(checked))
        return [
            finalize(dets, image.shape[1], image.shape[0], self.min_face)
            for dets, image in zip(raw, checked, strict=True)
        ]

    def _detect_raw(self, images: list[np.ndarray]) -> list[Detections]:
        raise NotImplementedError

    def _release(self) -> None:
        """Free sessions or native objects; called once by `close()`."""

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._release()

    def __enter__(self) -> BaseDetector:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, min_face={self.min_face:g})"
