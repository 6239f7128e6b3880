"""A learnable task made of real faces, for the training tests: a face photo upright (class 0)
or upside down (class 1), every clip with its own framing jitter and drift.

`face_clips` gives the clips as arrays (for the trainer itself); `write_face_videos` writes
them as small H.264 files with a label CSV (for `s2d train` / `s2d evaluate` end to end).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tests import faces_media as fm
from tests.engine.videos import write_frames

CLASSES = ["upright", "upside_down"]


def _sources() -> list[fm.FaceImage]:
    return [fm.astronaut(256), fm.face_crop()]


def face_clip(
    rng: np.random.Generator, source: fm.FaceImage, label: int, size: int, frames: int
) -> np.ndarray:
    """`(frames, size, size, 3)` uint8: the face, jittered and drifting, flipped if label 1."""
    x0, y0, x1, y1 = source.boxes[0]
    cx, cy = (x0 + x1) / 2 + rng.uniform(-6, 6), (y0 + y1) / 2 + rng.uniform(-6, 6)
    side = max(x1 - x0, y1 - y0) * rng.uniform(1.1, 1.5)
    drift = rng.uniform(-2, 2)
    clip = []
    for t in range(frames):
        matrix = np.array(
            [
                [size / side, 0, size / 2 - (cx + t * drift) * size / side],
                [0, size / side, size / 2 - cy * size / side],
            ]
        )
        image = cv2.warpAffine(source.image, matrix, (size, size), borderMode=cv2.BORDER_REFLECT)
        clip.append(image[::-1] if label else image)
    return np.ascontiguousarray(np.stack(clip), np.uint8)


def face_clips(
    count: int, seed: int, size: int = 56, frames: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """`count` clips `(count, frames, size, size, 3)` and their labels, balanced."""
    rng = np.random.default_rng(seed)
    sources = _sources()
    labels = np.array([i % 2 for i in rng.permutation(count)], np.int64)
    clips = [
        face_clip(rng, sources[i % len(sources)], int(labels[i]), size, frames)
        for i in range(count)
    ]
    return np.stack(clips), labels


def write_face_videos(
    root: Path, count: int, seed: int, prefix: str, size: int = 64, frames: int = 8, fps: int = 8
) -> Path:
    """Write `count` labelled face videos under `root` and `root/<prefix>.csv` (video,label)."""
    root.mkdir(parents=True, exist_ok=True)
    clips, labels = face_clips(count, seed, size, frames)
    lines = ["video,label"]
    for i, (clip, label) in enumerate(zip(clips, labels, strict=True)):
        name = f"{prefix}_{i:03d}.mp4"
        write_frames(root / name, list(clip), fps=fps)
        lines.append(f"{name},{CLASSES[label]}")
    csv = root / f"{prefix}.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return csv
