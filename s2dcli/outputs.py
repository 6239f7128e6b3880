"""Annotation outputs: the clip table's schema, the crash-safe journal, and the file writers.

Every finished video is first appended to a journal beside the output (`results.csv.journal`),
one JSON line per video carrying its sha256, written with a single `write` and `fsync`: a run
killed at any instant leaves either the whole line or a torn last line, which is ignored (and
cut off) when the run is resumed, so a half-done video never counts as done. The output files
themselves are rebuilt from the journal in input order, each through a temporary file and an
atomic rename, so `--resume` ends with exactly the bytes an uninterrupted run writes. While
the run goes on, CSV and JSON Lines outputs also grow video by video.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from s2dcli.atomic import write_atomic
from s2dcli.errors import InputError

log = logging.getLogger("s2d.outputs")

FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
JOURNAL_VERSION = 1


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


def output_format(path: Path) -> str:
    """`csv`, `parquet` or `jsonl`, from the file's extension."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"Cannot tell the format of {str(path)!r} from its extension; "
            "use .csv, .parquet or .jsonl."
        )
    return fmt


def clip_row(
    video: str, spec: object, probs: np.ndarray, classes: Sequence[str], model: str
) -> list[object]:
    """One clip as a row of `clip_columns(classes)`, rounded to what the files keep
    (times to the millisecond, probabilities to 6 decimals, boxes to 0.1 px)."""
    probs = np.asarray(probs, np.float64)
    rounded = [round(float(p), 6) for p in probs]
    best = int(np.argmax(probs))
    score = float(spec.det_score)  # type: ignore[attr-defined]
    x, y, w, h = spec.box  # type: ignore[attr-defined]
    return [
        video,
        int(spec.face_id),
        int(spec.clip_index),  # type: ignore[attr-defined]
        int(spec.start_frame),
        int(spec.end_frame),  # type: ignore[attr-defined]
        round(float(spec.start_s), 3),
        round(float(spec.end_s), 3),  # type: ignore[attr-defined]
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
        status: ok, no_face or failed.
        error: the reason it failed ("" otherwise).
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
    def from_json(cls, data: dict[str, object]) -> VideoRecord:
        return cls(
            str(data["video"]),
            str(data["status"]),
            str(data["error"]),
            data["duration_s"],
            data["fps"],
            data["frames"],  # type: ignore[arg-type]
            data["rows"],
        )  # type: ignore[arg-type]


class Journal:
    """The append-only record of finished videos (see the module docstring).

    Args:
        path: the journal file.
        fingerprint: what makes results comparable (weights, options); a journal written
            under another fingerprint cannot be resumed.
    """

    def __init__(self, path: Path, fingerprint: dict[str, object]) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.records: dict[str, VideoRecord] = {}

    def start(self, resume: bool) -> None:
        """Begin a new journal, or load (and repair) the existing one to resume."""
        if resume and self.path.exists():
            self._load()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        header = {"s2d_journal": JOURNAL_VERSION, "fingerprint": self.fingerprint}
        _atomic_write(self.path, _sealed(header))

    def append(self, record: VideoRecord) -> None:
        """Add one finished video, durably (one write, then fsync)."""
        line = _sealed(record.to_json())
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.records[record.video] = record

    def _load(self) -> None:
        data = self.path.read_bytes()
        good_end = 0
        header = None
        for line in data.splitlines(keepends=True):
            entry = _unseal(line)
            if entry is None:
                break  # a torn or damaged line: it and everything after it is not done
            good_end += len(line)
            if header is None:
                header = entry
                continue
            record = VideoRecord.from_json(entry)
            self.records[record.video] = record
        if header is None or header.get("s2d_journal") != JOURNAL_VERSION:
            raise InputError(
                f"{self.path} is not an s2d journal this version can resume; "
                "use --overwrite to start again."
            )
        changed = _differences(header.get("fingerprint", {}), self.fingerprint)
        if changed:
            raise InputError(
                f"Cannot resume: the results were made with other settings ({'; '.join(changed)})."
                " Resume with the original settings, or use --overwrite to start again."
            )
        if good_end < len(data):
            log.warning(
                "%s: ignoring a damaged last entry (an interrupted write); its video "
                "will be processed again",
                self.path,
            )
            with open(self.path, "r+b") as f:
                f.truncate(good_end)
                f.flush()
                os.fsync(f.fileno())


def _sealed(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]
    return f"{digest} {body}\n".encode()


def _unseal(line: bytes) -> dict[str, object] | None:
    if not line.endswith(b"\n"):
        return None
    try:
        digest, body = line[:-1].decode("utf-8").split(" ", 1)
    except (UnicodeDecodeError, ValueError):
        return None
    if hashlib.sha256(body.encode("utf-8")).hexdigest()[:16] != digest:
        return None
    return json.loads(body)


def _differences(old: dict[str, object], new: dict[str, object]) -> list[str]:
    keys = sorted(set(old) | set(new))
    return [
        f"{k}: {old.get(k)!r} then, {new.get(k)!r} now" for k in keys if old.get(k) != new.get(k)
    ]


def _atomic_write(path: Path, data: bytes) -> None:
    write_atomic(path, data, sync=True)


def clips_frame(records: Iterable[VideoRecord], classes: Sequence[str]) -> pd.DataFrame:
    """The clip table of `records`, in their order, with stable dtypes."""
    columns = clip_columns(classes)
    rows = [row for record in records for row in record.rows]
    frame = pd.DataFrame(rows, columns=columns)
    for name in ("face_id", "clip_index", "start_frame", "end_frame"):
        frame[name] = frame[name].astype("int64")
    floats = [
        "start_s",
        "end_s",
        "confidence",
        *[f"p_{c}" for c in classes],
        "box_x",
        "box_y",
        "box_w",
        "box_h",
        "det_score",
    ]
    for name in floats:
        frame[name] = frame[name].astype("float64")
    for name in ("video", "label", "model"):
        frame[name] = frame[name].astype("object")
    return frame


def write_table(frame: pd.DataFrame, path: Path, fmt: str | None = None) -> None:
    """Write a table atomically as CSV, Parquet or JSON Lines (by `fmt` or the extension)."""
    fmt = fmt or output_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        if fmt == "csv":
            frame.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")
        elif fmt == "jsonl":
            tmp.write_bytes(jsonl_bytes(frame))
        elif fmt == "parquet":
            try:
                frame.to_parquet(tmp, index=False)
            except ImportError as exc:
                raise InputError(
                    "Parquet output needs pyarrow: pip install pyarrow (or write .csv / .jsonl)."
                ) from exc
        else:  # pragma: no cover - output_format guards this
            raise ValueError(fmt)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def csv_rows_bytes(frame: pd.DataFrame) -> bytes:
    """`frame`'s rows as CSV text without the header (as `write_table` would write them)."""
    text = frame.to_csv(index=False, header=False, lineterminator="\n")
    return text.encode("utf-8")


def jsonl_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as JSON Lines: one object per row, NaN as null, non-ASCII kept."""
    lines = []
    for row in frame.itertuples(index=False, name=None):
        record = {c: _plain(v) for c, v in zip(frame.columns, row, strict=True)}
        lines.append(json.dumps(record, ensure_ascii=False, allow_nan=False))
    return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def append_bytes(path: Path, data: bytes) -> None:
    """Append with one `write` call (a killed process leaves whole rows or none)."""
    if not data:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
