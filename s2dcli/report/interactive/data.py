"""What the interactive report is built from: one `annotate` run read back from its files.

Beside the clip table (`results.csv`, `.parquet` or `.jsonl`) `annotate` writes the summary
(`results.videos.csv`: every video with its status and reason, failed ones included), the
segments (`results.segments.csv`) and the run record (`results.csv.run.json`, whose `inputs`
and `cwd` lead back to the original videos, found the way `s2d review` finds them). A missing
summary or segments file is rebuilt from the clips with the same functions `annotate` uses, so
the report and the CSVs never tell different stories.

    run = load_report_run(Path("results.csv"))
    run.summary, run.segments, run.videos["a.mp4"]  # the table, the segments, the file
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from s2dcli.errors import InputError
from s2dcli.report.segments import SEGMENT_COLUMNS, owned_spans, segments
from s2dcli.report.summary import VideoMeta, summary_frame, summary_row
from s2dcli.review.source import (
    REQUIRED,
    _find,
    _read_record,
    _recorded_inputs,
    read_clip_table,
    run_record_path,
)

log = logging.getLogger("s2d.report")


@dataclass(frozen=True)
class ReportRun:
    """An `annotate` run as the report shows it.

    Attributes:
        results: the clip table's path.
        clips: its rows (the `annotate` columns; may be empty when no video had a face).
        classes: the class names, in the order of the `p_<class>` columns.
        summary: one row per video in input order (`video, status, error, duration_s, ...`).
        segments: the label segments (`SEGMENT_COLUMNS`).
        record: the run record (`{}` when there is none).
        videos: video name -> its file, for every video that was found.
    """

    results: Path
    clips: pd.DataFrame
    classes: list[str]
    summary: pd.DataFrame
    segments: pd.DataFrame
    record: dict[str, object] = field(default_factory=dict)
    videos: dict[str, Path] = field(default_factory=dict)


def stem_of(results: Path) -> str:
    """`results` for `results.csv` (the prefix of the summary and segments files)."""
    suffix = results.suffix
    return results.name[: -len(suffix)] if suffix else results.name


def summary_path(results: Path) -> Path:
    return results.with_name(f"{stem_of(results)}.videos.csv")


def segments_path(results: Path) -> Path:
    return results.with_name(f"{stem_of(results)}.segments.csv")


def read_results(path: Path) -> pd.DataFrame:
    """An `annotate` clip table (.csv, .parquet, .jsonl), checked for the report's columns;
    may hold no clips (no video had a face).

    Raises:
        InputError: no such file, unreadable, or not an `annotate` output.
    """
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson") and path.is_file():
        try:
            empty = not path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"Cannot read {str(path)!r} as an annotate output: {exc}") from exc
        if empty:  # annotate's JSON Lines file when no video had a face
            return pd.DataFrame({c: pd.Series(dtype=object) for c in REQUIRED})
    try:
        return read_clip_table(path, allow_empty=True)
    except UnicodeDecodeError as exc:
        raise InputError(f"Cannot read {str(path)!r} as an annotate output: {exc}") from exc


def load_report_run(
    results: Path, videos: list[str] | None = None, summary: Path | None = None
) -> ReportRun:
    """Read a run's clip table, summary, segments and record, and find its videos.

    Args:
        results: the `annotate` output.
        videos: the paths given to annotate, or their root folder; None uses the run
            record's `inputs` (relative to its `cwd`).
        summary: the run's summary when annotate was given `--summary` (default
            `<stem>.videos.csv` beside `results`).

    Raises:
        InputError: the results cannot be read, or a summary that is not annotate's.
    """
    results = Path(results)
    clips = read_results(results)
    classes = [c[2:] for c in _probability_columns(clips)]
    if not classes:
        classes = _recorded_classes(run_record_path(results))
    table = _read_summary(summary or summary_path(results), clips, classes)
    segs = _read_segments(results, clips)
    record = _read_record(run_record_path(results))
    names = [str(v) for v in table["video"]]
    inputs = list(videos) if videos else _recorded_inputs(record)
    found: dict[str, Path] = {}
    if not inputs:
        log.warning(
            "%s: its run record names no inputs, so the videos cannot be shown; pass --videos "
            "with the paths given to annotate",
            results,
        )
    elif names:
        options = record.get("options")
        found = _find(inputs, names, options if isinstance(options, dict) else {})
        shown = [n for n in names if n not in found and _has_clips(table, n)]
        for name in shown[:10]:
            log.warning("video %r not found under %s: its page has no video", name, inputs)
        if len(shown) > 10:
            log.warning("... and %d more videos not found", len(shown) - 10)
    return ReportRun(results, clips, classes, table, segs, record, found)


def _has_clips(summary: pd.DataFrame, name: str) -> bool:
    rows = summary[summary["video"] == name]
    return bool(len(rows)) and str(rows["status"].iloc[0]) in ("ok", "partial")


def _probability_columns(frame: pd.DataFrame) -> list[str]:
    return [str(c) for c in frame.columns if str(c).startswith("p_")]


def _recorded_classes(record_path: Path) -> list[str]:
    record = _read_record(record_path) if record_path.exists() else {}
    resolved = record.get("resolved")
    classes = resolved.get("classes") if isinstance(resolved, dict) else None
    return [str(c) for c in classes] if isinstance(classes, list) else []


def _read_summary(path: Path, clips: pd.DataFrame, classes: list[str]) -> pd.DataFrame:
    if path.exists():
        try:
            table = pd.read_csv(
                path,
                keep_default_na=False,
                na_values=[""],
                dtype={"video": str, "status": str, "error": str, "dominant_label": str},
            )
        except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise InputError(f"Cannot read the summary {str(path)!r}: {exc}") from exc
        if "video" not in table.columns or "status" not in table.columns:
            raise InputError(
                f"{path} is not an `s2d annotate` summary (no video or status column); "
                "move it away to have the report rebuild it from the clips."
            )
        for name in ("video", "status", "error", "dominant_label"):
            if name not in table.columns:
                table[name] = ""
            table[name] = table[name].fillna("").astype(str)
        return table.reset_index(drop=True)
    log.warning("%s not found: the summary is rebuilt from the clips (failed videos unknown)", path)
    rows = []
    for name, rows_of in _by_video(clips):
        meta = VideoMeta(name, "ok", "", None, None, None)
        rows.append(summary_row(meta, rows_of, classes))
    return summary_frame(rows, classes)


def _read_segments(results: Path, clips: pd.DataFrame) -> pd.DataFrame:
    path = segments_path(results)
    if path.exists():
        try:
            table = pd.read_csv(
                path, keep_default_na=False, na_values=[""], dtype={"video": str, "label": str}
            )
        except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise InputError(f"Cannot read the segments {str(path)!r}: {exc}") from exc
        if all(c in table.columns for c in SEGMENT_COLUMNS):
            return table[SEGMENT_COLUMNS].reset_index(drop=True)
        log.warning("%s lacks segment columns: rebuilding the segments from the clips", path)
    return segments(clips)


def _by_video(table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The rows of each video (in their order), videos in order of first appearance: one
    sort of the table, then a slice per video (not one filter per video)."""
    if table.empty:
        return []
    codes, names = pd.factorize(table["video"], sort=False)
    order = np.argsort(codes, kind="stable")
    ordered = table.iloc[order]
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    return [(str(names[i]), ordered.iloc[bounds[i] : bounds[i + 1]]) for i in range(len(names))]


def clips_by_video(clips: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Video name -> its clip rows with their owned spans (`owned_spans`), in face and clip
    order."""
    return dict(_by_video(owned_spans(clips)))


def segments_by_video(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Video name -> its segment rows."""
    return dict(_by_video(table))


__all__ = [
    "ReportRun",
    "clips_by_video",
    "load_report_run",
    "read_results",
    "segments_by_video",
    "segments_path",
    "stem_of",
    "summary_path",
]
