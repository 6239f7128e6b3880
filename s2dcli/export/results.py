"""A finished `s2d annotate` run read back for export: its clips, segments, statuses and videos.

`annotate -o results.csv` leaves beside the clip table `results.videos.csv` (one row per video
with its status), `results.segments.csv` (the label segments of `s2dcli.report.segments`) and
`results.csv.run.json` (the classes, the inputs and the working folder). Only the clip table is
required:

- without the summary, every video with clips counts as `ok` (failed and face-less videos are
  then unknown, so they get no export and no line saying why);
- without the segments file, the segments are rebuilt from the clips exactly as annotate built
  them (`s2dcli.report.segments.segments`);
- without the run record (or when the videos moved), the videos cannot be found: formats that
  link the media (ELAN) then link each video by its name, and the user points ELAN at it.

The videos are found as `s2d review` finds them (`s2dcli.review.source`): by discovering the
recorded inputs again from the recorded working folder, or under the paths the caller gives.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from s2dcli.errors import InputError
from s2dcli.report.segments import SEGMENT_COLUMNS, owned_spans, segments
from s2dcli.review.selection import probability_columns

# The review package owns how an annotate run is read back and its videos found; export reuses
# its helpers rather than keeping a second copy.
from s2dcli.review.source import (
    _find,
    _read_record,
    _recorded_inputs,
    read_clip_table,
    run_record_path,
)

log = logging.getLogger("s2d.export")

EXPORTED_STATUSES = ("ok", "partial", "no_face")


@dataclass(frozen=True)
class VideoData:
    """One video of the run, as an export writer needs it.

    Attributes:
        name: the video's name in the results (its path relative to its input root).
        status: ok, partial or no_face (failed videos are never exported).
        error: why it is partial ("" otherwise).
        spans: its clips sorted by face and clip, with `own_start_s`, `own_end_s` and
            `owned_s` (`s2dcli.report.segments.owned_spans`); empty for no_face.
        segments: its label segments (`SEGMENT_COLUMNS`), sorted by face and start.
        media: the video file, or None when it was not found.
    """

    name: str
    status: str
    error: str
    spans: pd.DataFrame
    segments: pd.DataFrame
    media: Path | None

    @property
    def faces(self) -> list[int]:
        """The face ids that have clips, in order."""
        return sorted({int(f) for f in self.spans["face_id"]}) if len(self.spans) else []


@dataclass(frozen=True)
class Skipped:
    """A video of the run that gets no export, and why."""

    name: str
    status: str
    error: str


@dataclass
class RunResults:
    """An annotate run read back (see the module docstring and `read_results`).

    Attributes:
        results: the clip table's path.
        classes: the model's classes, in the order of the `p_<class>` columns.
        clips: the clip table.
        segments: the segments table (read, or rebuilt from the clips).
        statuses: video name -> (status, error), in the run's order.
        record: the run record (`{}` when there is none).
        inputs: the paths to look for the videos under (the recorded inputs, or the caller's).
    """

    results: Path
    classes: list[str]
    clips: pd.DataFrame
    segments: pd.DataFrame
    statuses: dict[str, tuple[str, str]]
    record: dict[str, object] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    _media: dict[str, Path] | None = field(default=None, repr=False)

    @property
    def skipped(self) -> list[Skipped]:
        """The videos that get no export (failed ones), in the run's order."""
        return [
            Skipped(name, status, error)
            for name, (status, error) in self.statuses.items()
            if status not in EXPORTED_STATUSES
        ]

    @property
    def exported_names(self) -> list[str]:
        """The videos that get an export, in the run's order."""
        return [n for n, (status, _) in self.statuses.items() if status in EXPORTED_STATUSES]

    def media_paths(self) -> dict[str, Path]:
        """Video name -> file, for the videos found (looked for once, on first use)."""
        if self._media is None:
            names = self.exported_names
            found = _find(self.inputs, names, self._options()) if self.inputs and names else {}
            missing = [n for n in names if n not in found]
            if missing:
                where = ", ".join(map(repr, self.inputs)) or "(the run record names no inputs)"
                log.warning(
                    "%d of %d videos not found under %s (e.g. %r): they are linked by name "
                    "only; pass --videos with the paths given to annotate",
                    len(missing),
                    len(names),
                    where,
                    missing[0],
                )
            self._media = found
        return self._media

    def videos(self, with_media: bool = False) -> Iterator[VideoData]:
        """The exported videos in the run's order (with their files when `with_media`)."""
        spans = owned_spans(self.clips)
        spans_of = _groups(spans)
        segments_of = _groups(self.segments)
        media = self.media_paths() if with_media else {}
        empty_spans = spans.iloc[0:0]
        empty_segments = self.segments.iloc[0:0]
        for name in self.exported_names:
            status, error = self.statuses[name]
            yield VideoData(
                name,
                status,
                error,
                spans_of.get(name, empty_spans),
                segments_of.get(name, empty_segments),
                media.get(name),
            )

    def _options(self) -> dict[str, object]:
        options = self.record.get("options")
        return options if isinstance(options, dict) else {}


def read_results(
    results: str | os.PathLike[str],
    videos: list[str] | None = None,
    *,
    summary: str | os.PathLike[str] | None = None,
) -> RunResults:
    """Read an annotate run for export.

    Args:
        results: the clip table `annotate -o` wrote (.csv, .parquet or .jsonl).
        videos: where the videos are (the paths given to annotate, or their root folder);
            None uses the run record's inputs.
        summary: the per-video summary (None: `<stem>.videos.csv` beside `results`).

    Raises:
        InputError: no such file, or a file that is not annotate's clip table.
    """
    path = Path(results)
    if not path.is_file():
        raise InputError(
            f"No such results file: {str(path)!r}; pass the -o file of `s2d annotate`."
        )
    record_path = run_record_path(path)
    record: dict[str, object] = {}
    if record_path.exists():
        record = _read_record(record_path)
    else:
        # Said once more, as a warning, by the formats that link the videos (media_paths).
        log.info("%s not found: the videos are found only with --videos", record_path)
    clips = _read_clips(path, record)
    classes = [c[2:] for c in probability_columns(clips)] or _recorded_classes(record)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    summary_path = Path(summary) if summary is not None else path.with_name(f"{stem}.videos.csv")
    statuses = _read_statuses(summary_path, clips)
    table = _read_segments(path.with_name(f"{stem}.segments.csv"), clips)
    inputs = list(videos) if videos else _recorded_inputs(record)
    return RunResults(path, classes, clips, table, statuses, record, inputs)


def _read_clips(path: Path, record: dict[str, object]) -> pd.DataFrame:
    if path.suffix.lower() in (".jsonl", ".ndjson") and path.stat().st_size == 0:
        # A JSON Lines table of a run without a single clip is an empty file: no columns.
        classes = _recorded_classes(record)
        columns = ["video", "face_id", "clip_index", "start_s", "end_s", "label", "confidence"]
        return pd.DataFrame(columns=[*columns, *[f"p_{c}" for c in classes]])
    return read_clip_table(path, allow_empty=True)


def _recorded_classes(record: dict[str, object]) -> list[str]:
    resolved = record.get("resolved")
    classes = resolved.get("classes") if isinstance(resolved, dict) else None
    return [str(c) for c in classes] if isinstance(classes, list) else []


def _read_statuses(path: Path, clips: pd.DataFrame) -> dict[str, tuple[str, str]]:
    names = list(dict.fromkeys(clips["video"].astype(str)))
    if not path.exists():
        log.warning(
            "%s not found: every video with clips is exported; failed and face-less videos "
            "are not known",
            path,
        )
        return {name: ("ok", "") for name in names}
    try:
        table = pd.read_csv(
            path, keep_default_na=False, dtype={"video": str, "status": str, "error": str}
        )
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"Cannot read the summary {str(path)!r}: {exc}") from exc
    if not {"video", "status"} <= set(table.columns):
        raise InputError(f"{path} is not an annotate summary (no video / status column).")
    errors = table["error"] if "error" in table.columns else pd.Series([""] * len(table))
    statuses = {
        str(v): (str(s), str(e))
        for v, s, e in zip(table["video"], table["status"], errors, strict=True)
    }
    for name in names:  # clips of a video the summary does not list (it was cut short)
        statuses.setdefault(name, ("ok", ""))
    return statuses


def _read_segments(path: Path, clips: pd.DataFrame) -> pd.DataFrame:
    if path.exists():
        try:
            table = pd.read_csv(
                path, keep_default_na=False, na_values=[""], dtype={"video": str, "label": str}
            )
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise InputError(f"Cannot read the segments {str(path)!r}: {exc}") from exc
        if list(table.columns) == SEGMENT_COLUMNS:
            table["face_id"] = table["face_id"].astype(np.int64)
            return table
        log.warning("%s is not a segments table: the segments are rebuilt from the clips", path)
    else:
        log.info("%s not found: the segments are rebuilt from the clips", path)
    return segments(clips)


def _groups(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if table.empty:
        return {}
    return {
        str(name): rows.reset_index(drop=True)
        for name, rows in table.groupby(table["video"].astype(str), sort=False)
    }


__all__ = ["EXPORTED_STATUSES", "RunResults", "Skipped", "VideoData", "read_results"]
