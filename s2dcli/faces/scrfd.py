"""SCRFD (Guo et al., 2021), InsightFace's face detector, run directly on ONNX Runtime.

Pre- and post-processing are written here rather than taken from `insightface.model_zoo.SCRFD`,
for three reasons: that class runs one image per call (its "batched" path reads only item 0),
it keeps per-call state such as `prepare(ctx_id)` and CoreML session pools, and it detects at
two input sizes by default in InsightFace 2.x. What is kept identical is the numerics: the
letterbox (aspect-preserving resize into the top-left of a zero canvas), (x - 127.5) / 128 on
RGB, anchor centres at `(col, row) * stride`, distance-to-box and distance-to-keypoint decoding,
and NMS at IoU 0.4. Graphs with a free batch axis (rank-3 outputs) run whole batches in one call;
InsightFace's packaged graphs (rank-2 outputs, batch 1) run image by image.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from s2dcli.errors import InputError
from s2dcli.faces.base import BaseDetector
from s2dcli.faces.boxes import nms
from s2dcli.faces.onnx_providers import open_session
from s2dcli.faces.types import Detections

logger = logging.getLogger("s2d.faces")

# outputs -> (feature strides, anchors per location, has keypoints)
_LAYOUTS = {
    6: ((8, 16, 32), 2, False),
    9: ((8, 16, 32), 2, True),
    10: ((8, 16, 32, 64, 128), 1, False),
    15: ((8, 16, 32, 64, 128), 1, True),
}
_BATCH_CHUNK = 16


class ScrfdDetector(BaseDetector):
    """An SCRFD ONNX graph (e.g. `det_10g.onnx` from InsightFace's `buffalo_l` pack).

    Args:
        model_path: the .onnx file.
        min_face: smallest face in pixels (shorter box side) that is kept.
        threshold: score a face needs (InsightFace's `det_thresh`, 0.5).
        nms_iou: overlap above which the weaker of two boxes is dropped.
        input_size: (width, height) the image is letterboxed into when the graph's own size is
            free; graphs with a fixed size use that.
        device: cpu, auto, cuda or cuda:N (CUDA needs onnxruntime-gpu).
        threads: CPU threads; None lets ONNX Runtime use all cores.
        mean, std: input scaling, (x - mean) / std; InsightFace's detectors use 127.5 and 128.

    Raises:
        InputError: The file is missing, unreadable, or not an SCRFD graph.
    """

    name = "scrfd"

    def __init__(
        self,
        model_path: Path,
        *,
        min_face: float = 20.0,
        threshold: float = 0.5,
        nms_iou: float = 0.4,
        input_size: tuple[int, int] = (640, 640),
        device: str = "cpu",
        threads: int | None = None,
        mean: float = 127.5,
        std: float = 128.0,
    ) -> None:
        super().__init__(min_face=min_face)
        self.model_path = Path(model_path)
        self.threshold = float(threshold)
        self.nms_iou = float(nms_iou)
        self.mean, self.std = float(mean), float(std)
        self._session = open_session(self.model_path, device, threads)
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if len(outputs) not in _LAYOUTS or len(inputs) != 1 or len(inputs[0].shape) != 4:
            raise InputError(
                f"{str(self.model_path)!r} is not an SCRFD face detector: it has {len(inputs)} "
                f"input(s) and {len(outputs)} outputs, where SCRFD has one NCHW image input and "
                "6, 9, 10 or 15 outputs. Pass a detector such as det_10g.onnx or "
                "scrfd_10g_bnkps.onnx, not a recognition or landmark model."
            )
        self.strides, self.anchors, self.has_landmarks = _LAYOUTS[len(outputs)]
        self._input_name = inputs[0].name
        self._input_dtype = np.uint8 if inputs[0].type == "tensor(uint8)" else np.float32
        batch, _, height, width = inputs[0].shape
        fixed = isinstance(height, int) and isinstance(width, int) and height > 0 and width > 0
        self.input_size = (int(width), int(height)) if fixed else tuple(int(v) for v in input_size)
        if any(v % 32 for v in self.input_size):
            raise InputError(
                f"SCRFD input_size {self.input_size} must be multiples of 32, e.g. (640, 640)."
            )
        self.batched = len(outputs[0].shape) == 3 and not (isinstance(batch, int) and batch == 1)
        self._centres: dict[tuple[int, int, int], np.ndarray] = {}
        logger.debug(
            "SCRFD %s: input %s, %d outputs, batched=%s",
            self.model_path.name,
            self.input_size,
            len(outputs),
            self.batched,
        )

    def _release(self) -> None:
        del self._session

    def _letterbox(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """(1, 3, H, W) network input and the factor from image to input pixels."""
        in_w, in_h = self.input_size
        height, width = image.shape[:2]
        if height / width > in_h / in_w:
            new_h, new_w = in_h, max(1, int(in_h * width / height))
        else:
            new_w, new_h = in_w, max(1, int(in_w * height / width))
        canvas = np.zeros((in_h, in_w, 3), np.uint8)
        canvas[:new_h, :new_w] = cv2.resize(image, (new_w, new_h))
        blob: np.ndarray  # uint8 pixels or float32 normalised, whichever the graph takes
        if self._input_dtype == np.uint8:
            blob = canvas
        else:
            blob = (canvas.astype(np.float32) - self.mean) / self.std
        return blob.transpose(2, 0, 1)[None], new_h / height

    def _anchor_centres(self, stride: int) -> np.ndarray:
        in_w, in_h = self.input_size
        key = (in_h // stride, in_w // stride, stride)
        if key not in self._centres:
            rows, cols = np.mgrid[: key[0], : key[1]]
            centres = np.stack([cols, rows], axis=-1).reshape(-1, 2).astype(np.float32) * stride
            self._centres[key] = np.repeat(centres, self.anchors, axis=0)
        return self._centres[key]

    def _decode(self, outputs: list[np.ndarray], scale: float) -> Detections:
        """One image's raw outputs (no batch axis) -> detections in image pixels."""
        levels = len(self.strides)
        boxes, scores, marks = [], [], []
        for i, stride in enumerate(self.strides):
            score = outputs[i].reshape(-1)
            keep = np.flatnonzero(score >= self.threshold)
            if keep.size == 0:
                continue
            centres = self._anchor_centres(stride)[keep]
            dist = outputs[i + levels].reshape(-1, 4)[keep] * stride
            boxes.append(np.hstack([centres - dist[:, :2], centres + dist[:, 2:]]))
            scores.append(score[keep])
            if self.has_landmarks:
                kps = outputs[i + 2 * levels].reshape(-1, 5, 2)[keep] * stride
                marks.append(centres[:, None, :] + kps)
        if not boxes:
            return Detections.empty(with_landmarks=self.has_landmarks)
        all_boxes = np.vstack(boxes) / scale
        all_scores = np.concatenate(scores)
        pick = nms(all_boxes, all_scores, self.nms_iou)
        landmarks = (np.vstack(marks) / scale)[pick].astype(np.float32) if marks else None
        return Detections(
            all_boxes[pick].astype(np.float32), all_scores[pick].astype(np.float32), landmarks
        )

    def _detect_raw(self, images: list[np.ndarray]) -> list[Detections]:
        prepared = [self._letterbox(image) for image in images]
        results: list[Detections] = []
        step = _BATCH_CHUNK if self.batched else 1
        for start in range(0, len(prepared), step):
            chunk = prepared[start : start + step]
            blob = np.ascontiguousarray(np.concatenate([p[0] for p in chunk]))
            outputs = self._session.run(None, {self._input_name: blob})
            for b, (_, scale) in enumerate(chunk):
                per_image = [out[b] for out in outputs] if self.batched else outputs
                results.append(self._decode(per_image, scale))
        return results
