"""The data the report carries: plain dicts, and the one way they are written into its files.

The overview's data are compact JSON in `index.html`'s `<script type="application/json">`,
which the browser never runs (the page's script reads it with `JSON.parse`); each video's data
are the same JSON as the argument of `S2D.receive(...)` in `videos/<n>.js`. The scripts put
every string they show into the page with `textContent`, never as markup. `script_json` escapes
`<`, `>` and `&` (so no `</script>` or `<!--` can end or change the element) and U+2028/U+2029,
and turns lone surrogates (undecodable file names) into U+FFFD: a video called
`<script>alert(1)<!--.mp4` is text on the page, never code.

Per-clip data are column lists (`start`, `end`, `probs`, `box`, ...) rounded to what the eye can
tell (times to the millisecond, probabilities to 4 decimals, boxes to 0.1 px), so even an
hour-long video's data stay a few hundred kilobytes.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd

from s2dcli.report.plots import class_colours

_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
UNKNOWN_COLOUR = "#9e9e9e"


def clean_text(value: object) -> str:
    """`value` as text that encodes to UTF-8: each undecodable byte of a file name (Python's
    surrogate escapes) and any other lone surrogate becomes U+FFFD."""
    text = str(value)
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


def script_json(value: object) -> str:
    """`value` as compact JSON that is safe inside an HTML `<script>` element.

    Raises:
        ValueError: `value` holds NaN or infinity (pass them as None).
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return clean_text(text).translate(_SCRIPT_ESCAPES)


def number(value: object, digits: int = 3) -> float | None:
    """A finite float rounded to `digits`, or None for missing, NaN and infinite values."""
    if value is None or value is pd.NA or isinstance(value, bool):
        return None
    if not isinstance(value, numbers.Real):
        try:
            value = float(str(value))
        except ValueError:
            return None
    result = float(value)
    return round(result, digits) if math.isfinite(result) else None


def integer(value: object) -> int | None:
    result = number(value, 0)
    return None if result is None else int(result)


class ClassIndex:
    """The model's classes in order, plus any label met in the data that is not one of them
    (drawn grey), each with its colour."""

    def __init__(self, classes: Sequence[str]) -> None:
        self.names = [str(c) for c in classes]
        self._index = {name: i for i, name in enumerate(self.names)}

    def __call__(self, label: object) -> int:
        name = str(label)
        if name not in self._index:
            self._index[name] = len(self.names)
            self.names.append(name)
        return self._index[name]

    def payload(self, known: int) -> dict[str, object]:
        colours = class_colours(self.names[:known])
        return {
            "classes": [clean_text(c) for c in self.names],
            "colours": [colours.get(c, UNKNOWN_COLOUR) for c in self.names],
            "known": known,
        }


def overview_payload(
    summary: pd.DataFrame,
    clips: pd.DataFrame,
    classes: Sequence[str],
    found: Sequence[bool],
    facts: dict[str, object],
) -> dict[str, object]:
    """The overview's data: one entry per summary row, in order (entry `n` has its view's
    data in `videos/<n>.js`).

    Args:
        summary: the run's summary (`<stem>.videos.csv` columns).
        clips: the run's clip table.
        classes: the model's classes.
        found: whether each video's file was found.
        facts: what the page's header says about the run (`title`, `line`).
    """
    index = ClassIndex(classes)
    means: dict[tuple[str, str], float] = {}
    counts: dict[str, int] = {}
    if len(clips):
        keys = [clips["video"].astype(str), clips["label"].astype(str)]
        means = clips.groupby(keys, sort=False)["confidence"].mean().to_dict()
        counts = clips["video"].astype(str).value_counts().to_dict()
    videos = []
    for i, row in enumerate(summary.to_dict("records")):
        name = str(row.get("video", ""))
        dominant = str(row.get("dominant_label") or "")
        videos.append(
            {
                "n": i,
                "video": clean_text(name),
                "status": clean_text(row.get("status", "")),
                "error": clean_text(row.get("error") or ""),
                "duration": number(row.get("duration_s")),
                "faces": integer(row.get("faces")) or 0,
                "clips": integer(row.get("clips")) or counts.get(name, 0),
                "dominant": clean_text(dominant),
                "share": number(row.get(f"share_{dominant}"), 3) if dominant else None,
                "confidence": number(means.get((name, dominant)), 3),
                "shares": [number(row.get(f"share_{c}"), 3) or 0.0 for c in classes],
                "face_labels": clean_text(row.get("face_labels") or ""),
                "found": bool(found[i]),
            }
        )
    return {**index.payload(len(classes)), "facts": facts, "videos": videos}


def video_payload(
    n: int,
    meta: dict[str, object],
    spans: pd.DataFrame | None,
    segments: pd.DataFrame | None,
    classes: Sequence[str],
    src: str | None,
) -> dict[str, object]:
    """One video's data (`videos/<n>.js`).

    Args:
        n: the video's position in the summary.
        meta: the video's summary row.
        spans: its clip rows with their owned spans, in face and clip order (`owned_spans`);
            None or empty without faces.
        segments: its segment rows, in face and time order.
        classes: the model's classes.
        src: the video's URL relative to `index.html`, or None when its file was not found.

    Each face holds its clips as columns (`start`, `end`, the owned span `own_start` /
    `own_end`, `label` as an index into `classes`, `confidence`, `probs` and `box` as
    `[x, y, w, h]` in the video's pixels) and its label segments as
    `[start, end, label, confidence]`, all times in seconds.
    """
    index = ClassIndex(classes)
    faces = []
    ends = [0.0]
    if spans is not None and len(spans):
        columns = _columns(spans, classes, index)
        segs = _segment_rows(segments, index)
        for face_id, rows in _runs(columns["face"]):
            own = {key: value[rows] for key, value in columns.items()}
            faces.append(_face(face_id, own, segs.get(face_id, []), index))
            ends.append(float(own["end"].max()))
    duration = number(meta.get("duration_s"))
    return {
        **index.payload(len(classes)),
        "video": clean_text(meta.get("video", "")),
        "status": clean_text(meta.get("status", "")),
        "error": clean_text(meta.get("error") or ""),
        "duration": duration,
        "span": round(max([duration or 0.0, *ends]), 3),
        "fps": number(meta.get("fps")),
        "frames": integer(meta.get("frames")),
        "n": n,
        "src": src,
        "faces": faces,
    }


def _runs(keys: np.ndarray) -> list[tuple[int, slice]]:
    """(key, slice) of each run of equal consecutive keys."""
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    stops = [*starts[1:], len(keys)]
    return [(int(keys[a]), slice(int(a), int(b))) for a, b in zip(starts, stops, strict=True)]


def _finite(values: np.ndarray, digits: int) -> np.ndarray:
    return np.where(np.isfinite(values), values, 0.0).round(digits)


def _columns(spans: pd.DataFrame, classes: Sequence[str], index: ClassIndex) -> dict:
    def floats(name: str, digits: int = 3) -> np.ndarray:
        return _finite(spans[name].to_numpy(np.float64), digits)

    return {
        "face": spans["face_id"].to_numpy(np.int64),
        "start": floats("start_s"),
        "end": floats("end_s"),
        "own_start": floats("own_start_s"),
        "own_end": floats("own_end_s"),
        "owned": spans["owned_s"].to_numpy(np.float64),
        "label": np.array([index(label) for label in spans["label"]], np.int64),
        "confidence": floats("confidence", 4),
        "probs": _finite(spans[[f"p_{c}" for c in classes]].to_numpy(np.float64), 4),
        "box": _finite(spans[["box_x", "box_y", "box_w", "box_h"]].to_numpy(np.float64), 1),
    }


def _segment_rows(segments: pd.DataFrame | None, index: ClassIndex) -> dict[int, list]:
    """Face id -> its segments as `[start, end, label, confidence]`, in time order."""
    if segments is None or not len(segments):
        return {}
    table = segments.sort_values(["face_id", "start_s"], kind="stable")
    faces = table["face_id"].to_numpy(np.int64)
    rows = [
        [_seconds(start), _seconds(end), index(label), number(confidence, 4) or 0.0]
        for start, end, label, confidence in zip(
            table["start_s"], table["end_s"], table["label"], table["confidence"], strict=True
        )
    ]
    return {face: rows[part] for face, part in _runs(faces)}


def _face(face_id: int, own: dict, segments: list, index: ClassIndex) -> dict[str, object]:
    labels = own["label"]
    owned = np.bincount(labels, weights=own["owned"], minlength=len(index.names))
    total = float(owned.sum())
    dominant = int(np.argmax(owned)) if total > 0 else int(labels[0])
    return {
        "id": face_id,
        "start": own["start"].tolist(),
        "end": own["end"].tolist(),
        "own_start": own["own_start"].tolist(),
        "own_end": own["own_end"].tolist(),
        "label": labels.tolist(),
        "confidence": own["confidence"].tolist(),
        "probs": own["probs"].tolist(),
        "box": own["box"].tolist(),
        "segments": segments,
        "dominant": dominant,
        "share": round(float(owned[dominant]) / total, 3) if total > 0 else None,
    }


def _seconds(value: object) -> float:
    result = number(value, 3)
    return 0.0 if result is None else result


__all__ = [
    "ClassIndex",
    "clean_text",
    "integer",
    "number",
    "overview_payload",
    "script_json",
    "video_payload",
]
