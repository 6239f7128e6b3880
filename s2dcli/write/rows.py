"""The clip table's schema: its columns, one clip as a row, one finished video as a record."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from s2dcli.clips import ClipSpec


_INT_COLUMNS = frozenset({"face_id", "clip_index", "start_frame", "end_frame"})
_TEXT_COLUMNS = frozenset({"video", "label", "model"})


def clip_columns(classes: Sequence[str]) -> list[str]:
    """The clip table's columns, in order."""
    return [
        "video",
        "face_id",
        "clip_index",
        "start_frame",
        "end_frame",
        "start_s",
        "end_s",
        "label",
        "confidence",
        *[f"p_{c}" for c in classes],
        "box_x",
        "box_y",
        "box_w",
        "box_h",
        "det_score",
        "model",
    ]


def clip_row(
    video: str, spec: ClipSpec, probs: np.ndarray, classes: Sequence[str], model: str
) -> list[object]:
    """One clip as a row of `clip_columns(classes)`, rounded to what the files keep
    (times to the millisecond, probabilities to 6 decimals, boxes to 0.1 px)."""
    probs = np.asarray(probs, np.float64)
    rounded = [round(float(p), 6) for p in probs]
    best = int(np.argmax(probs))
    score = float(spec.det_score)
    x, y, w, h = spec.box
    return [
        video,
        int(spec.face_id),
        int(spec.clip_index),
        int(spec.start_frame),
        int(spec.end_frame),
        round(float(spec.start_s), 3),
        round(float(spec.end_s), 3),
        classes[best],
        rounded[best],
        *rounded,
        round(float(x), 1),
        round(float(y), 1),
        round(float(w), 1),
        round(float(h), 1),
        None if math.isnan(score) else round(score, 4),
        model,
    ]


@dataclass(frozen=True)
class VideoRecord:
    """One finished video as the journal keeps it.

    Attributes:
        video: its name (path relative to its input root).
        status: ok, partial, no_face or failed.
        error: why it failed or is partial ("" otherwise).
        duration_s, fps, frames: stream facts (None when unknown or failed).
        rows: its clip rows, in `clip_columns` order.
    """

    video: str
    status: str
    error: str
    duration_s: float | None
    fps: float | None
    frames: int | None
    rows: list[list[object]]

    def to_json(self) -> dict[str, object]:
        return {
            "video": self.video,
            "status": self.status,
            "error": self.error,
            "duration_s": self.duration_s,
            "fps": self.fps,
            "frames": self.frames,
            "rows": self.rows,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VideoRecord:
        return cls(
            str(data["video"]),
            str(data["status"]),
            str(data["error"]),
            data["duration_s"],
            data["fps"],
            data["frames"],
            data["rows"],
        )


def clips_frame(records: Iterable[VideoRecord], classes: Sequence[str]) -> pd.DataFrame:
    """The clip table of `records`, in their order, with stable dtypes."""
    columns = clip_columns(classes)
    rows = [row for record in records for row in record.rows]
    frame = pd.DataFrame(rows, columns=columns)
    for name in columns:  # every column not an int or a text is a float
        if name in _INT_COLUMNS:
            frame[name] = frame[name].astype("int64")
        elif name in _TEXT_COLUMNS:
            frame[name] = frame[name].astype("object")
        else:
            frame[name] = frame[name].astype("float64")
    return frame
