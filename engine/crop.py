"""Square face crops: a margin around the box, black padding past the frame, one resize.

The default margin (the square's side is 1.25 times the longer side of the detector's box)
keeps forehead, chin and cheeks in view with little background, close to the tight face
crops DFEW and FERV39K distribute (their 224x224 clips). Crops stay uint8 until batched.
"""

from __future__ import annotations

import cv2
import numpy as np

DEFAULT_MARGIN = 1.25


def square_around(box_xyxy: np.ndarray, margin: float = DEFAULT_MARGIN) -> tuple[int, int, int]:
    """Integer square `(x0, y0, side)` centred on the box, `margin` times its longer side."""
    x0, y0, x1, y1 = (float(v) for v in box_xyxy)
    side = max(1, round(max(x1 - x0, y1 - y0) * margin))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return round(cx - side / 2), round(cy - side / 2), side


def crop_face(
    image: np.ndarray, box_xyxy: np.ndarray, size: int, margin: float = DEFAULT_MARGIN
) -> np.ndarray:
    """Cut a square face crop and resize it.

    Args:
        image: `(H, W, 3)` uint8 RGB frame.
        box_xyxy: `(4,)` face box in pixels.
        size: output side in pixels (the model's input size).
        margin: the square's side relative to the box's longer side.

    Returns:
        `(size, size, 3)` uint8; parts of the square outside the frame are black.
    """
    height, width = image.shape[:2]
    x0, y0, side = square_around(box_xyxy, margin)
    x1, y1 = x0 + side, y0 + side
    ix0, iy0 = min(max(x0, 0), width), min(max(y0, 0), height)
    ix1, iy1 = max(min(x1, width), ix0), max(min(y1, height), iy0)
    region = image[iy0:iy1, ix0:ix1]
    if region.size == 0:  # the square lies entirely outside the frame
        return np.zeros((size, size, 3), dtype=np.uint8)
    if (ix0, iy0, ix1, iy1) != (x0, y0, x1, y1):
        region = cv2.copyMakeBorder(
            region, iy0 - y0, y1 - iy1, ix0 - x0, x1 - ix1, cv2.BORDER_CONSTANT, value=0
        )
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(region, (size, size), interpolation=interpolation)


def crop_faces(
    image: np.ndarray, boxes_xyxy: np.ndarray, size: int, margin: float = DEFAULT_MARGIN
) -> np.ndarray:
    """`crop_face` for each of `(N, 4)` boxes -> `(N, size, size, 3)` uint8."""
    out = np.empty((len(boxes_xyxy), size, size, 3), dtype=np.uint8)
    for i, box in enumerate(boxes_xyxy):
        out[i] = crop_face(image, box, size, margin)
    return out
