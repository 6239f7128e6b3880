"""`annotate`: videos in, a per-clip emotion table out (and, with an output path, the files).

    from s2dcli import annotate
    clips = annotate(["videos/"], device="cuda")          # a pandas DataFrame
    annotate(["videos/"], output="results.csv")            # + summary, segments, run record

The controller behind `s2d annotate`. The path from options to files is:
`s2dcli.resolve` (check everything, find the videos, plan and lock the outputs) ->
`s2dcli.executors` (load the model and detector; process the videos) -> this module's loop
(one `VideoRecord` per finished video) -> `s2dcli.write` (journal, live table, final files).
It never prints; progress goes to a callback.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from s2dcli.config import AnnotateConfig, OutputOptions
from s2dcli.resolve import ResolvedRun, resolve_annotation
from s2dcli.write.rows import VideoRecord, clip_row, clips_frame
from s2dcli.write.run_record import RunCounts, build_run_record

if TYPE_CHECKING:
    from s2dcli.discover import VideoItem
    from s2dcli.executors.base import Executor
    from s2dcli.pipeline.run import VideoResult

log = logging.getLogger("s2d.annotate")


@dataclass
class Progress:
    """What the run reports as it goes (to `on_progress`)."""

    total: int = 0
    done: int = 0
    skipped: int = 0  # done in an earlier run (--resume)
    skipped_clips: int = 0
    failed: int = 0
    clips: int = 0
    last: VideoRecord | None = None
    started: float = field(default_factory=time.perf_counter)


@dataclass(frozen=True)
class RunResult:
    """The outcome of `run_annotation`."""

    clips: pd.DataFrame
    summary: pd.DataFrame
    progress: Progress
    stopped_early: bool
    record: dict[str, object]

    @property
    def failed(self) -> int:
        return int((self.summary["status"] == "failed").sum()) if len(self.summary) else 0


def annotate(
    paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    config: AnnotateConfig | None = None,
    *,
    summary: str | os.PathLike[str] | None = None,
    plots: str | os.PathLike[str] | None = None,
    overlay: str | os.PathLike[str] | None = None,
    report: str | os.PathLike[str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    **options: Any,
) -> pd.DataFrame:
    """Annotate videos; return the clip table (one row per clip, the CSV's columns).

    Args:
        paths: video files, folders, glob patterns or `@list.txt` files.
        output: also write the outputs there (.csv, .parquet or .jsonl) with the summary,
            segments, journal and run record beside it.
        config: the options as an `AnnotateConfig`.
        summary, plots, overlay, report, resume, overwrite: the output options, as in the
            CLI (`OutputOptions`); they need `output`.
        **options: options by their CLI names (`device="cuda"`, `batch_size=64`, ...),
            applied over `config`.

    Raises:
        TypeError: an unknown option, or output options without `output`.
        S2DError: a bad option or path, missing weights, existing outputs, ...
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if "labels" in options:
        warnings.warn("annotate(labels=...) is now classes=...", DeprecationWarning, stacklevel=2)
        options["classes"] = options.pop("labels")
    try:
        if config is None:
            config = AnnotateConfig.from_kwargs(**options)
        elif options:
            config = config.replace(**options)
    except TypeError as exc:
        raise TypeError(f"annotate() got {exc}") from None
    outputs = None
    if output is not None:
        outputs = OutputOptions(
            Path(output),
            summary=_path(summary),
            plots=_path(plots),
            overlay=_path(overlay),
            report=_path(report),
            resume=resume,
            overwrite=overwrite,
        )
    else:
        given = {"summary": summary, "plots": plots, "overlay": overlay, "report": report}
        named = [k for k, v in {**given, "resume": resume, "overwrite": overwrite}.items() if v]
        if named:
            verb = "needs" if len(named) == 1 else "need"
            raise TypeError(f"annotate(): {', '.join(named)} {verb} an output path (output=...)")
    run = resolve_annotation([str(p) for p in paths], config, outputs)
    try:
        return run_annotation(run).clips
    finally:
        run.release()


def _path(value: str | os.PathLike[str] | None) -> Path | None:
    return None if value is None else Path(value)


def run_annotation(
    run: ResolvedRun, on_progress: Callable[[Progress], None] | None = None
) -> RunResult:
    """Process a resolved run's videos and write its outputs (see the module docstring)."""
    from s2dcli.executors import open_executor
    from s2dcli.pipeline.run import results_in_order
    from s2dcli.write.session import OutputSession

    outputs = run.outputs
    keep_tracks = outputs is not None and outputs.overlay is not None
    executor = open_executor(run.config, keep_tracks=keep_tracks)
    classes = executor.classes
    names = [item.name for item in run.videos]
    session = None
    try:
        if outputs is not None:
            session = OutputSession(outputs, run.files, executor.fingerprint, classes)
            done = session.start(names)
        else:
            done = {}
    except BaseException:
        executor.close()  # e.g. Ray workers: never leave them running
        raise

    progress = Progress(total=len(run.videos))
    records: dict[str, VideoRecord] = dict(done)
    todo = [item for item in run.videos if item.name not in done]
    progress.skipped = progress.done = len(done)
    progress.clips = progress.skipped_clips = sum(len(r.rows) for r in done.values())
    if on_progress:
        on_progress(progress)

    stopped_early = False
    by_path = {item.path: item for item in todo}
    try:
        for result in results_in_order(todo, executor.run):  # pipes, sockets: failed at once
            item = by_path[result.path]
            record = video_record(item, result, classes, executor.model_name)
            if session is not None:
                tracks = result.scan.tracks if result.scan is not None else None
                session.add(record, item.path, tracks)
            records[item.name] = record
            progress.done += 1
            progress.clips += len(record.rows)
            progress.failed += record.status == "failed"
            progress.last = record
            if on_progress:
                on_progress(progress)
            if run.max_failures is not None and progress.failed >= run.max_failures:
                log.error(
                    "Stopping: %d videos failed (--max-failures %s).",
                    progress.failed,
                    run.config.max_failures,
                )
                stopped_early = True
                break
    finally:
        executor.close()

    ordered = [records[name] for name in names if name in records]
    clips = clips_frame(ordered, classes)
    summary = _summary(ordered, clips, classes)
    run_record = _run_record(run, executor, progress, stopped_early)
    if session is not None:
        session.finish(clips, summary, run_record)
    return RunResult(clips, summary, progress, stopped_early, run_record)


def video_record(
    item: VideoItem, result: VideoResult, classes: list[str], model: str
) -> VideoRecord:
    """One processed video as the journal and the outputs keep it."""
    scan = result.scan
    rows = [clip_row(item.name, clip.spec, clip.probs, classes, model) for clip in result.clips]
    info = scan.info if scan is not None else None
    duration = None
    if scan is not None and info is not None:
        if info.duration_s is not None:
            duration = round(float(info.duration_s), 3)
        elif info.fps:
            duration = round(scan.frames / info.fps, 3)
    return VideoRecord(
        video=item.name,
        status=result.status,
        error=result.error or "",
        duration_s=duration,
        fps=round(float(info.fps), 3) if info is not None and info.fps is not None else None,
        frames=scan.frames if scan is not None else None,
        rows=rows,
    )


def _summary(records: list[VideoRecord], clips: pd.DataFrame, classes: list[str]) -> pd.DataFrame:
    from s2dcli.report import VideoMeta, summary_frame, summary_row

    rows = []
    for record in records:
        meta = VideoMeta(
            record.video,
            record.status,
            record.error,
            record.duration_s,
            record.fps,
            record.frames,
        )
        rows.append(summary_row(meta, clips[clips["video"] == record.video], classes))
    return summary_frame(rows, classes)


def _run_record(
    run: ResolvedRun, executor: Executor, progress: Progress, stopped_early: bool
) -> dict[str, object]:
    counts = RunCounts(
        total=len(run.videos),
        processed=progress.done - progress.skipped,
        resumed=progress.skipped,
        failed=progress.failed,
        clips=progress.clips,
        stopped_early=stopped_early,
    )
    return build_run_record(
        run.inputs, run.config.flat(), executor.describe(), counts, executor.stage_timings()
    )


__all__ = ["Progress", "RunResult", "annotate", "run_annotation", "video_record"]
