"""Box arithmetic shared by the detectors: IoU, non-maximum suppression, final clean-up."""

from __future__ import annotations

import numpy as np

from s2dcli.faces.types import Detections


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in `a` (N, 4) with every box in `b` (M, 4): (N, M)."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float, *, mode: str = "union") -> np.ndarray:
    """Greedy non-maximum suppression; returns the kept indices, best score first.

    Args:
        boxes: (N, 4) xyxy.
        scores: (N,).
        iou: boxes overlapping a kept box by more than this are dropped.
        mode: "union" divides the intersection by the union (IoU), "min" by the smaller box.
    """
    assert mode in ("union", "min"), mode
    boxes = np.asarray(boxes, np.float64)
    order = np.argsort(-np.asarray(scores), kind="stable")
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    area = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    keep: list[int] = []
    while order.size:
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        w = np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest])
        h = np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest])
        inter = np.maximum(w, 0) * np.maximum(h, 0)
        denom = area[i] + area[rest] - inter if mode == "union" else np.minimum(area[i], area[rest])
        order = rest[inter <= iou * np.maximum(denom, 1e-12)]
    return np.asarray(keep, dtype=np.int64)


def finalize(dets: Detections, width: int, height: int, min_face: float) -> Detections:
    """Drop faces smaller than `min_face`, clip boxes to the image, sort by score.

    The size is the shorter side of the box as the detector returned it, before clipping, so
    a large face half outside the frame is kept. Boxes with no area left inside the image are
    dropped; landmarks are left unclipped (a point may lie outside the frame).
    """
    if len(dets) == 0:
        return dets
    keep = dets.sizes >= min_face
    boxes = dets.boxes.copy()
    boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, width)
    boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, height)
    keep &= (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    clipped = Detections(boxes, dets.scores, dets.landmarks).take(np.flatnonzero(keep))
    order = np.argsort(-clipped.scores, kind="stable")
    return clipped.take(order)
