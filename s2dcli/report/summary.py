"""The per-video summary: status, stream facts, faces, clips and the share of time per label.

Shares are weighted by time: each clip counts for the span it owns once the overlaps between
consecutive clips of a face are split at their midpoints (`segments.owned_spans`), so a face's
shares sum to 1 over the time its clips cover, and the segments table tells the same story.

    rows = [summary_row(VideoMeta("a.mp4", "ok", "", 12.0, 25.0, 300), clips_of_a, classes)]
    table = summary_frame(rows, classes)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from s2dcli.report.segments import owned_spans

STATUSES = ("ok", "partial", "no_face", "failed")
# Shares closer than this count as a tie, which goes to the class listed first.
TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class VideoMeta:
    """What is known about a video besides its clips.

    Attributes:
        video: its name (path relative to its input root).
        status: `ok`; `partial` (part of it could not be decoded; the clips of what decoded
            are kept); `no_face`; or `failed`.
        error: why it failed or is partial ("" otherwise).
        duration_s, fps, frames: stream facts (None when unknown).
    """

    video: str
    status: str
    error: str = ""
    duration_s: float | None = None
    fps: float | None = None
    frames: int | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"Unknown video status {self.status!r}; use one of {STATUSES}.")


def SUMMARY_COLUMNS(classes: Sequence[str]) -> list[str]:  # upper case: a column list, by name
    """The summary's columns, in order, for the model's ordered class list."""
    return [
        "video",
        "status",
        "error",
        "duration_s",
        "fps",
        "frames",
        "faces",
        "clips",
        "dominant_label",
        *[f"share_{c}" for c in classes],
        "face_labels",
    ]


def owned_seconds(clips: pd.DataFrame, classes: Sequence[str]) -> np.ndarray:
    """Seconds owned by each class over all the clips given: `(len(classes),)` float64.

    When the clips own no time at all (every clip has zero length), each clip counts 1 instead,
    so shares stay defined.

    Raises:
        ValueError: a clip's label is not in `classes`.
    """
    spans = owned_spans(clips)
    if spans.empty:
        return np.zeros(len(classes), np.float64)
    labels = spans["label"].astype(str)
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise ValueError(f"Clip label(s) {unknown} are not among the classes {list(classes)}.")
    weight = spans["owned_s"].to_numpy(np.float64)
    if not weight.sum() > 0:
        weight = np.ones(len(spans), np.float64)
    per_label = pd.Series(weight).groupby(labels.to_numpy()).sum()
    return np.array([float(per_label.get(c, 0.0)) for c in classes], np.float64)


def label_shares(clips: pd.DataFrame, classes: Sequence[str]) -> dict[str, float]:
    """The time-weighted share of each class over the clips given (all 0.0 without clips)."""
    seconds = owned_seconds(clips, classes)
    total = seconds.sum()
    shares = seconds / total if total > 0 else seconds
    return {c: float(s) for c, s in zip(classes, shares, strict=True)}


def dominant(shares: dict[str, float], classes: Sequence[str]) -> str:
    """The class with the largest share; a tie goes to the earlier class; "" if all are 0."""
    best = max(shares.values(), default=0.0)
    if not best > 0:
        return ""
    return next(c for c in classes if shares[c] >= best - TIE_TOLERANCE)


def summary_row(meta: VideoMeta, clips: pd.DataFrame, classes: Sequence[str]) -> dict[str, object]:
    """One video's summary, keyed by `SUMMARY_COLUMNS(classes)`.

    Args:
        meta: the video's status and stream facts.
        clips: the video's rows of the clip table (empty for `no_face` and `failed` videos).
        classes: the model's classes, in order.
    """
    if not clips.empty and (clips["video"].astype(str) != meta.video).any():
        others = sorted(set(clips["video"].astype(str)) - {meta.video})
        raise ValueError(f"Clips of {others} were passed to the summary of {meta.video!r}.")
    shares = label_shares(clips, classes)
    face_parts = []
    if not clips.empty:
        for face_id, rows in clips.groupby("face_id", sort=True):
            face_shares = label_shares(rows, classes)
            label = dominant(face_shares, classes)
            face_parts.append(f"{int(face_id)}:{label} {face_shares.get(label, 0.0):.2f}")
    row: dict[str, object] = {
        "video": meta.video,
        "status": meta.status,
        "error": meta.error,
        "duration_s": _float_or_none(meta.duration_s),
        "fps": _float_or_none(meta.fps),
        "frames": None if meta.frames is None else int(meta.frames),
        "faces": int(clips["face_id"].nunique()) if not clips.empty else 0,
        "clips": len(clips),
        "dominant_label": dominant(shares, classes),
    }
    row.update({f"share_{c}": shares[c] for c in classes})
    row["face_labels"] = ";".join(face_parts)
    return row


def summary_frame(rows: Iterable[dict[str, object]], classes: Sequence[str]) -> pd.DataFrame:
    """The summary table from `summary_row` dicts, columns `SUMMARY_COLUMNS(classes)`.

    `frames`, `faces` and `clips` are nullable integers (`Int64`), so a CSV shows `300`, not
    `300.0`, and an unknown frame count stays empty.
    """
    columns = SUMMARY_COLUMNS(classes)
    # object first: pandas' Arrow-backed strings refuse lone surrogates (undecodable file names)
    table = pd.DataFrame(list(rows), columns=columns, dtype=object)
    for name in ("frames", "faces", "clips"):
        table[name] = pd.array(table[name].tolist(), dtype="Int64")
    for name in ("duration_s", "fps", *[f"share_{c}" for c in classes]):
        table[name] = pd.to_numeric(table[name], errors="coerce").astype(np.float64)
    for name in ("video", "status", "error", "dominant_label", "face_labels"):
        table[name] = table[name].astype(object)
    return table


def _float_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


__all__ = [
    "STATUSES",
    "SUMMARY_COLUMNS",
    "VideoMeta",
    "dominant",
    "label_shares",
    "owned_seconds",
    "summary_frame",
    "summary_row",
]
