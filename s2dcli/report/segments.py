"""Which stretch of time each clip owns, and the per-face label segments built from it.

Clips of one face usually overlap (2 s clips every 1 s by default; the last clip may be aligned
to the end of the track, so its overlap with the one before is irregular). Each overlap between
a clip and the next clip of the same face is split at its midpoint, `(end_i + start_j) / 2`;
where two clips do not overlap, each keeps its own edge and the gap belongs to no clip. The
first clip of a face owns from its `start_s`, the last up to its `end_s`. The owned spans of a
face therefore never overlap, and both the segments and the time shares of the summary are
built from them, so the two always agree.

    spans = owned_spans(clips)       # the clips plus own_start_s, own_end_s, owned_s
    table = segments(clips)          # video, face_id, start_s, end_s, label, confidence
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEGMENT_COLUMNS = ["video", "face_id", "start_s", "end_s", "label", "confidence"]
SPAN_COLUMNS = ["own_start_s", "own_end_s", "owned_s"]
_NEEDED = ("video", "face_id", "clip_index", "start_s", "end_s", "label", "confidence")


def _check_columns(clips: pd.DataFrame) -> None:
    missing = [c for c in _NEEDED if c not in clips.columns]
    if missing:
        raise ValueError(f"The clip table lacks the column(s) {missing}; it needs {list(_NEEDED)}.")


def owned_spans(clips: pd.DataFrame) -> pd.DataFrame:
    """The clips in time order, each with the span of time it owns.

    Args:
        clips: a clip table (at least `video, face_id, clip_index, start_s, end_s, label,
            confidence`), any row order.

    Returns:
        A copy sorted by video (in order of first appearance), `face_id`, `clip_index`, with a
        fresh index and three more columns: `own_start_s`, `own_end_s` (the owned span, see the
        module docstring) and `owned_s` (its length, >= 0). An empty table gives an empty frame.
    """
    if clips.empty:
        columns = [*clips.columns, *(c for c in SPAN_COLUMNS if c not in clips.columns)]
        return pd.DataFrame(columns=columns)
    _check_columns(clips)
    codes, _ = pd.factorize(clips["video"], sort=False)
    faces = clips["face_id"].to_numpy(np.int64)
    order = np.lexsort((clips["clip_index"].to_numpy(np.int64), faces, codes))
    table = clips.iloc[order].reset_index(drop=True)
    codes, faces = codes[order], faces[order]
    start = table["start_s"].to_numpy(np.float64)
    end = table["end_s"].to_numpy(np.float64)

    # same[k]: rows k and k+1 are consecutive clips of one face.
    same = (codes[1:] == codes[:-1]) & (faces[1:] == faces[:-1])
    overlap = same & (start[1:] < end[:-1])
    middle = (end[:-1] + start[1:]) / 2.0
    left = start.copy()
    right = end.copy()
    left[1:] = np.where(overlap, middle, start[1:])
    right[:-1] = np.where(overlap, middle, end[:-1])

    # Clips of irregular lengths could make a boundary fall before the previous one: a running
    # maximum over left_0, right_0, left_1, right_1, ... of each face keeps the spans ordered
    # and disjoint (a no-op for the usual equal-length clips with increasing starts).
    group = np.concatenate([[0], np.cumsum(~same)])
    edges = pd.Series(np.column_stack([left, right]).ravel())
    edges = edges.groupby(np.repeat(group, 2)).cummax().to_numpy(np.float64).reshape(-1, 2)
    table["own_start_s"] = edges[:, 0]
    table["own_end_s"] = edges[:, 1]
    table["owned_s"] = edges[:, 1] - edges[:, 0]
    return table


def segments(clips: pd.DataFrame) -> pd.DataFrame:
    """Merge consecutive clips of a face that share a label into non-overlapping segments.

    Args:
        clips: the clip table (see `owned_spans`), any row order.

    Returns:
        One row per segment, columns `SEGMENT_COLUMNS`: `start_s`/`end_s` are the owned span of
        the segment's first and last clip, `confidence` the mean confidence of its clips. Sorted
        by video (in order of first appearance), `face_id`, `start_s`.
    """
    spans = owned_spans(clips)
    if spans.empty:
        return _empty_segments()
    codes, _ = pd.factorize(spans["video"], sort=False)
    faces = spans["face_id"].to_numpy(np.int64)
    labels = spans["label"].astype(str).to_numpy()
    new = np.ones(len(spans), dtype=bool)
    new[1:] = (codes[1:] != codes[:-1]) | (faces[1:] != faces[:-1]) | (labels[1:] != labels[:-1])
    run = np.cumsum(new)
    grouped = spans.groupby(run, sort=True)
    out = pd.DataFrame(
        {
            "video": grouped["video"].first().astype(str).to_numpy(),
            "face_id": grouped["face_id"].first().to_numpy(np.int64),
            "start_s": grouped["own_start_s"].first().to_numpy(np.float64),
            "end_s": grouped["own_end_s"].last().to_numpy(np.float64),
            "label": grouped["label"].first().astype(str).to_numpy(),
            "confidence": grouped["confidence"].mean().to_numpy(np.float64),
        },
        columns=SEGMENT_COLUMNS,
    )
    return out  # already in (video, face_id, start_s) order: runs follow the sorted spans


def _empty_segments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "video": pd.Series(dtype=object),
            "face_id": pd.Series(dtype=np.int64),
            "start_s": pd.Series(dtype=np.float64),
            "end_s": pd.Series(dtype=np.float64),
            "label": pd.Series(dtype=object),
            "confidence": pd.Series(dtype=np.float64),
        },
        columns=SEGMENT_COLUMNS,
    )


__all__ = ["SEGMENT_COLUMNS", "SPAN_COLUMNS", "owned_spans", "segments"]
