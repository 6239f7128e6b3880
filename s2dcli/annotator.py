"""`annotate`: videos in, a per-clip emotion table out (and, with an output path, the files).

    from s2dcli import annotate
    clips = annotate(["videos/"], device="cuda")          # a pandas DataFrame
    annotate(["videos/"], output="results.csv")            # + summary, segments, run record

This is the controller behind `s2d annotate`: it resolves the model, the detector and the
videos, runs the engine (`s2dcli.pipeline`), journals each finished video, and writes the
outputs (`s2dcli.outputs`, `s2dcli.report`). It never prints; progress goes to a callback.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from s2dcli import __version__
from s2dcli.discover import VideoItem, find_videos, parse_extensions
from s2dcli.errors import InputError
from s2dcli.outputs import (
    Journal,
    VideoRecord,
    append_bytes,
    clip_row,
    clips_frame,
    csv_rows_bytes,
    jsonl_bytes,
    output_format,
    write_table,
)

log = logging.getLogger("s2d.annotate")


@dataclass(frozen=True)
class AnnotateOptions:
    """Everything `annotate` can be told (the CLI's options, with the same names).

    Model: `model` (a registry name) or `weights` (a path, URL or hf:// address) with an
    optional `model_config` JSON; `landmark_weights`; `labels` (dfew, ferv39k, mafw or
    comma-separated names) when the weights do not say.
    Engine: `device`, `precision`, `batch_size` (None: 32 on CUDA, 8 on CPU), `workers`,
    `faces` (a detector spec or none), `detect_every`, `clip_seconds`, `stride_seconds`,
    `min_face`, `compile`, `offline`.
    Inputs: `ext` (comma-separated extensions), `recursive`.
    Run: `max_failures` ("N" or "P%": stop once that many videos failed).
    Executor (`s2dcli.executors`): `executor` (local, or ray: videos spread over Ray workers
    that each hold a model); with ray, `ray_address` (auto, HOST:PORT; None: a local Ray),
    `ray_workers` (None: as many as fit), `gpus_per_worker` (None: 1 with GPUs, else 0),
    `cpus_per_worker` (None: 1 for CPU workers, the CPUs per GPU, at most 8, for GPU ones).
    """

    model: str = "dfew-fold1"
    weights: str | None = None
    model_config: str | None = None
    landmark_weights: str | None = None
    labels: str | None = None
    device: str = "auto"
    precision: str = "auto"
    batch_size: int | None = None
    workers: int = 2
    faces: str = "auto"
    detect_every: int = 5
    clip_seconds: float = 2.0
    stride_seconds: float = 1.0
    min_face: float = 20.0
    compile: bool = False
    offline: bool = False
    ext: str | None = None
    recursive: bool = True
    max_failures: str | None = None
    executor: str = "local"
    ray_address: str | None = None
    ray_workers: int | None = None
    gpus_per_worker: float | None = None
    cpus_per_worker: int | None = None


@dataclass(frozen=True)
class OutputOptions:
    """Where the files go. `summary` defaults to `<stem>.videos.csv` beside `output`."""

    output: Path
    summary: Path | None = None
    plots: Path | None = None
    overlay: Path | None = None
    resume: bool = False
    overwrite: bool = False

    @property
    def summary_path(self) -> Path:
        return self.summary or self.output.with_name(f"{_stem(self.output)}.videos.csv")

    @property
    def segments_path(self) -> Path:
        return self.output.with_name(f"{_stem(self.output)}.segments.csv")

    @property
    def journal_path(self) -> Path:
        return self.output.with_name(self.output.name + ".journal")

    @property
    def run_path(self) -> Path:
        return self.output.with_name(self.output.name + ".run.json")


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
    **options: object,
) -> pd.DataFrame:
    """Annotate videos; return the clip table (one row per clip, the CSV's columns).

    Args:
        paths: video files, folders, glob patterns or `@list.txt` files.
        output: also write the outputs there (.csv, .parquet or .jsonl) with the summary,
            segments, journal and run record beside it; `overwrite=True` / `resume=True`,
            `summary=`, `plots=`, `overlay=` as in the CLI.
        **options: any `AnnotateOptions` field.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    output_keys = {"summary", "plots", "overlay", "resume", "overwrite"}
    out_kwargs = {k: options.pop(k) for k in list(options) if k in output_keys}
    unknown = set(options) - set(AnnotateOptions.__dataclass_fields__)
    if unknown:
        raise TypeError(f"annotate() got unknown options: {', '.join(sorted(unknown))}")
    opts = AnnotateOptions(**options)  # type: ignore[arg-type]
    outputs = None
    if output is not None:
        outputs = OutputOptions(
            Path(output),
            **{
                k: (Path(v) if k in ("summary", "plots", "overlay") and v is not None else v)
                for k, v in out_kwargs.items()
            },
        )
    elif out_kwargs:
        raise TypeError(f"{', '.join(sorted(out_kwargs))} need an output path")
    return run_annotation([str(p) for p in paths], opts, outputs).clips


def parse_max_failures(text: str | None, total: int) -> int | None:
    """`"10"` -> 10, `"5%"` -> 5 % of `total` (at least 1), None -> no limit."""
    if text is None or str(text).strip() == "":
        return None
    value = str(text).strip()
    try:
        if value.endswith("%"):
            share = float(value[:-1])
            if not 0 < share <= 100:
                raise ValueError
            return max(1, int(total * share / 100))
        count = int(value)
        if count < 1:
            raise ValueError
        return count
    except ValueError:
        raise InputError(
            f"Invalid --max-failures {text!r}: use a count like 10 or a share like 5%."
        ) from None


def check_outputs(outputs: OutputOptions) -> None:
    """Refuse to overwrite or extend existing results unless told to."""
    output_format(outputs.output)
    if outputs.resume and outputs.overwrite:
        raise InputError("--resume and --overwrite contradict each other; choose one.")
    existing = [p for p in (outputs.output, outputs.journal_path) if p.exists()]
    if existing and not (outputs.resume or outputs.overwrite):
        raise InputError(
            f"{existing[0]} already exists. Use --resume to continue that run "
            "(skipping finished videos) or --overwrite to start again."
        )
    if outputs.resume and outputs.output.exists() and not outputs.journal_path.exists():
        raise InputError(
            f"Cannot resume: {outputs.output} has no journal "
            f"({outputs.journal_path.name}). Use --overwrite to start again."
        )


def run_annotation(
    inputs: list[str],
    options: AnnotateOptions,
    outputs: OutputOptions | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> RunResult:
    """Find the videos, load everything, run the engine, write the outputs."""
    from s2dcli.executors import check_executor, open_executor

    check_executor(options)
    if outputs is not None:
        check_outputs(outputs)
    items = find_videos(inputs, parse_extensions(options.ext), options.recursive)
    if not items:
        raise InputError(
            f"No videos found in {', '.join(map(repr, inputs))} (extensions "
            f"{', '.join(parse_extensions(options.ext))}); use --ext to choose "
            "others."
        )
    _check_unique_names(items)
    max_failures = parse_max_failures(options.max_failures, len(items))
    runtime = open_executor(
        options, keep_tracks=outputs is not None and outputs.overlay is not None
    )
    classes = runtime.classes
    try:
        journal = _start_journal(outputs, runtime.fingerprint, items, classes)
    except BaseException:
        runtime.close()  # e.g. Ray workers: never leave them running
        raise
    progress = Progress(total=len(items))
    done = journal.records if journal is not None else {}
    records: dict[str, VideoRecord] = {}
    todo = []
    for item in items:
        previous = done.get(item.name)
        if previous is not None and previous.status != "failed":
            records[item.name] = previous
            progress.skipped += 1
            progress.done += 1
            progress.clips += len(previous.rows)
            progress.skipped_clips += len(previous.rows)
        else:
            todo.append(item)
    if on_progress:
        on_progress(progress)

    stopped_early = False
    by_path = {item.path: item for item in todo}
    try:
        for result in runtime.run([item.path for item in todo]):
            item = by_path[result.path]
            record = _record(item, result, classes, runtime.model_name)
            if journal is not None and outputs is not None:
                journal.append(record)
                _append_live(outputs, record, classes)
                if outputs.overlay is not None and result.scan is not None:
                    _overlay(outputs.overlay, item, result, record, classes)
            records[item.name] = record
            progress.done += 1
            progress.clips += len(record.rows)
            progress.failed += record.status == "failed"
            progress.last = record
            if on_progress:
                on_progress(progress)
            if max_failures is not None and progress.failed >= max_failures:
                log.error(
                    "Stopping: %d videos failed (--max-failures %s).",
                    progress.failed,
                    options.max_failures,
                )
                stopped_early = True
                break
    finally:
        runtime.close()

    ordered = [records[item.name] for item in items if item.name in records]
    clips = clips_frame(ordered, classes)
    summary = _summary(ordered, clips, classes)
    record = _run_record(inputs, options, runtime, progress, len(items), stopped_early)
    if outputs is not None:
        _write_outputs(outputs, clips, summary, classes, record)
    return RunResult(clips, summary, progress, stopped_early, record)


def _check_unique_names(items: list[VideoItem]) -> None:
    seen: dict[str, Path] = {}
    for item in items:
        if item.name in seen:
            raise InputError(
                f"Two inputs give the same video name {item.name!r} ({seen[item.name]} and "
                f"{item.path}); pass their common parent folder instead so names differ."
            )
        seen[item.name] = item.path


def _record(item: VideoItem, result: object, classes: list[str], model: str) -> VideoRecord:
    scan = result.scan  # type: ignore[attr-defined]
    rows = [clip_row(item.name, clip.spec, clip.probs, classes, model) for clip in result.clips]  # type: ignore[attr-defined]
    info = scan.info if scan is not None else None
    return VideoRecord(
        video=item.name,
        status=result.status,  # type: ignore[attr-defined]
        error=result.error or "",  # type: ignore[attr-defined]
        duration_s=_round(_duration(scan), 3) if scan is not None else None,
        fps=_round(info.fps, 3) if info is not None else None,
        frames=scan.frames if scan is not None else None,
        rows=rows,
    )


def _duration(scan: object) -> float | None:
    info = scan.info  # type: ignore[attr-defined]
    if info.duration_s is not None:
        return float(info.duration_s)
    return scan.frames / info.fps if info.fps else None  # type: ignore[attr-defined]


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def _summary(records: list[VideoRecord], clips: pd.DataFrame, classes: list[str]) -> pd.DataFrame:
    from s2dcli.report import VideoMeta, summary_frame, summary_row

    rows = []
    for record in records:
        meta = VideoMeta(
            record.video, record.status, record.error, record.duration_s, record.fps, record.frames
        )
        rows.append(summary_row(meta, clips[clips["video"] == record.video], classes))
    return summary_frame(rows, classes)


def _start_journal(
    outputs: OutputOptions | None,
    fingerprint: dict[str, object],
    items: list[VideoItem],
    classes: list[str],
) -> Journal | None:
    if outputs is None:
        return None
    journal = Journal(outputs.journal_path, fingerprint)
    journal.start(resume=outputs.resume)
    _rebuild_live_output(outputs, journal, items, classes)
    return journal


def _rebuild_live_output(
    outputs: OutputOptions, journal: Journal, items: list[VideoItem], classes: list[str]
) -> None:
    """Start the live output from what the journal holds (nothing for a new run)."""
    fmt = output_format(outputs.output)
    if fmt == "parquet":
        return
    names = {item.name for item in items}
    records = [r for r in journal.records.values() if r.video in names and r.status != "failed"]
    frame = clips_frame(records, classes)
    if fmt == "csv":
        write_table(frame, outputs.output, "csv")
    else:
        write_table(frame, outputs.output, "jsonl")


def _append_live(outputs: OutputOptions, record: VideoRecord, classes: list[str]) -> None:
    fmt = output_format(outputs.output)
    if fmt == "parquet" or not record.rows:
        return
    frame = clips_frame([record], classes)
    append_bytes(outputs.output, csv_rows_bytes(frame) if fmt == "csv" else jsonl_bytes(frame))


def _overlay(
    folder: Path, item: VideoItem, result: object, record: VideoRecord, classes: list[str]
) -> None:
    from s2dcli.report.overlay import write_overlay

    target = folder / (item.name + ".overlay.mp4")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_overlay(
            item.path,
            target,
            result.scan.tracks,  # type: ignore[attr-defined]
            clips_frame([record], classes),
        )
    except Exception as exc:  # an overlay is a convenience: never fail the video for it
        log.warning("%s: no overlay written (%s: %s)", item.name, type(exc).__name__, exc)


def _write_outputs(
    outputs: OutputOptions,
    clips: pd.DataFrame,
    summary: pd.DataFrame,
    classes: list[str],
    record: dict[str, object],
) -> None:
    from s2dcli.report import (
        plot_label_distribution,
        plot_timeline,
        segments,
        timeline_filename,
        write_index,
    )

    write_table(clips, outputs.output)
    shares = [c for c in summary.columns if c.startswith("share_")]
    write_table(summary.round({c: 6 for c in shares}), outputs.summary_path, "csv")
    write_table(segments(clips).round({"confidence": 6}), outputs.segments_path, "csv")
    if outputs.plots is not None:
        outputs.plots.mkdir(parents=True, exist_ok=True)
        timelines = {}
        for video in summary["video"]:
            name = timeline_filename(video)
            plot_timeline(clips[clips["video"] == video], classes, outputs.plots / name, video)
            timelines[video] = name
        distribution = "label_distribution.png"
        plot_label_distribution(clips, classes, outputs.plots / distribution)
        write_index(outputs.plots / "index.html", summary, timelines, distribution)
    data = json.dumps(record, indent=2, sort_keys=True, default=str) + "\n"
    tmp = outputs.run_path.with_name(f".{outputs.run_path.name}.tmp")
    tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, outputs.run_path)


def _run_record(
    inputs: list[str],
    options: AnnotateOptions,
    runtime: object,
    progress: Progress,
    total: int,
    stopped_early: bool,
) -> dict[str, object]:
    import numpy
    import torch

    return {
        "s2dcli": __version__,
        "inputs": [str(path) for path in inputs],  # as given, relative to `cwd` (s2d review)
        "cwd": os.getcwd(),
        "options": asdict(options),
        "resolved": runtime.describe(),  # type: ignore[attr-defined]
        "videos": {
            "total": total,
            "processed": progress.done - progress.skipped,
            "resumed": progress.skipped,
            "failed": progress.failed,
            "stopped_early": stopped_early,
        },
        "clips": progress.clips,
        "stage_timings": runtime.stage_timings(),  # type: ignore[attr-defined]
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": numpy.__version__,
            "pandas": pd.__version__,
            **_versions("timm", "av", "decord", "onnxruntime", "insightface"),
        },
    }


def _versions(*packages: str) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in packages:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _stem(path: Path) -> str:
    return path.name[: -len(path.suffix)] if path.suffix else path.name


__all__ = [
    "AnnotateOptions",
    "OutputOptions",
    "Progress",
    "RunResult",
    "annotate",
    "parse_max_failures",
    "run_annotation",
]
