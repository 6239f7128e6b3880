"""`s2d annotate`: a thin skin over `s2dcli.annotator.run_annotation`.

Option values are checked before anything loads; bad values and missing paths are usage
errors (exit 2) that name the fix. A run ends with exit 0 when every video was processed
(videos without a face included) and 1 when some failed or `--max-failures` stopped it.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click

from s2dcli.commands.config_file import config_defaults
from s2dcli.errors import InputError

log = logging.getLogger("s2d.annotate")

CHOICES_DEVICE = "auto, cpu, cuda or cuda:N"


@click.command(context_settings={"max_content_width": 100})
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Per-clip results: .csv, .parquet or .jsonl (by extension).",
)
@click.option(
    "--config",
    callback=config_defaults,
    is_eager=True,
    expose_value=False,
    type=click.Path(dir_okay=False),
    help="A TOML file with any of these options "
    "(under [annotate] or at the top); flags on the command line win.",
)
@click.option(
    "--model",
    default="dfew-fold1",
    show_default=True,
    help="Published weights by name (see `s2d models list`).",
)
@click.option(
    "--weights", help="S2D weights instead: a .pth path, https:// URL or hf://owner/repo/file."
)
@click.option(
    "--model-config",
    type=click.Path(exists=True, dir_okay=False),
    help="S2DConfig JSON for weights of a non-standard shape.",
)
@click.option(
    "--landmark-weights", help="MobileFaceNet landmark weights (default: the published ones)."
)
@click.option(
    "--labels",
    help="Class names when the weights do not say: dfew, ferv39k, mafw or name1,name2,...",
)
@click.option("--device", default="auto", show_default=True, help=f"{CHOICES_DEVICE}.")
@click.option(
    "--precision",
    type=click.Choice(["auto", "fp32", "bf16", "fp16"]),
    default="auto",
    show_default=True,
    help="auto: bf16 on CUDA, fp32 on CPU.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    help="Clips per model call [default: 32 on CUDA, 8 on CPU].",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Videos decoded and searched for faces at once (a Ray worker reads one at a time).",
)
@click.option(
    "--faces",
    default="auto",
    show_default=True,
    help="Face detector: auto, scrfd, an InsightFace pack, a .onnx file, mtcnn, or "
    "none (the videos are face crops already).",
)
@click.option(
    "--detect-every",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Detect faces on every k-th frame; the tracker fills the frames between.",
)
@click.option(
    "--clip-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=2.0,
    show_default=True,
    help="Length of each clip.",
)
@click.option(
    "--stride-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Time between clip starts.",
)
@click.option(
    "--min-face",
    type=click.FloatRange(min=0),
    default=20.0,
    show_default=True,
    help="Ignore faces smaller than this (pixels, shorter side).",
)
@click.option(
    "--ext",
    help="Video extensions to look for in folders, e.g. mp4,mov [default: common video types].",
)
@click.option("--no-recursive", is_flag=True, help="Do not descend into sub-folders.")
@click.option(
    "--summary",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Per-video summary CSV [default: <stem>.videos.csv beside the output].",
)
@click.option(
    "--plots",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for timelines, a label chart and index.html.",
)
@click.option(
    "--overlay",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for one MP4 per video with boxes, face ids and labels drawn.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue an interrupted run: skip finished videos (retry failed ones).",
)
@click.option("--overwrite", is_flag=True, help="Replace existing results.")
@click.option("--max-failures", help="Stop after N failed videos, or P% of them (e.g. 5%).")
@click.option(
    "--compile",
    "compile_",
    is_flag=True,
    help="torch.compile the model (slow start, faster long runs on GPUs).",
)
@click.option("--offline", is_flag=True, help="Never download; use cached weights only.")
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="local: this process; ray: spread the videos over the "
    'workers of a Ray cluster (pip install "s2dcli[ray]").',
)
@click.option(
    "--ray-address",
    help="With --executor ray: the cluster, auto or HOST:PORT "
    "[default: RAY_ADDRESS, else a new Ray instance on this machine].",
)
@click.option(
    "--ray-workers",
    type=click.IntRange(min=1),
    help="With --executor ray: workers, "
    "each holding a model [default: as many as the cluster fits].",
)
@click.option(
    "--gpus-per-worker",
    type=click.FloatRange(min=0),
    help="With --executor ray: "
    "GPUs per worker, 0 for CPU workers, 0.5 to share a GPU [default: 1 if the "
    "cluster has GPUs, else 0].",
)
@click.option(
    "--cpus-per-worker",
    type=click.IntRange(min=1),
    help="With --executor ray: CPU "
    "cores per worker [default: 1; with GPUs the cluster's CPUs per GPU, at most 8].",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@click.option("-v", "--verbose", count=True, help="More log output.")
def annotate(
    paths: tuple[str, ...],
    output: Path,
    compile_: bool,
    no_recursive: bool,
    summary: Path | None,
    plots: Path | None,
    overlay: Path | None,
    resume: bool,
    overwrite: bool,
    quiet: bool,
    verbose: int,
    **options: object,
) -> None:
    """Annotate every face in videos with emotions, clip by clip.

    PATHS are video files, folders (searched recursively, in sorted order), glob patterns or
    @list.txt files with one path per line. Each video is decoded once; faces are detected
    every few frames, tracked, cut into overlapping clips and classified by S2D.

    \b
    Writes, beside OUTPUT:
      OUTPUT                  one row per clip (video, face_id, times, label, p_<class>, box)
      <stem>.videos.csv       one row per video (status ok / no_face / failed, and why)
      <stem>.segments.csv     consecutive clips with the same label merged, per face
      OUTPUT.run.json         options, versions, device, weights sha256, stage timings
      OUTPUT.journal          finished videos, for --resume (safe to delete when done)

    \b
    Examples:
      s2d annotate videos/ -o results.csv
      s2d annotate videos/ -o results.csv --resume          # after a crash or Ctrl-C
      s2d annotate crops/ -o dfew.csv --faces none --model dfew-fold1
      s2d annotate @todo.txt -o out.parquet --device cuda --batch-size 64 --plots plots/
      s2d annotate a.mp4 -o a.csv --weights best.pth --model-config cfg.json --labels a,b,c
      s2d annotate /shared/videos -o /shared/out.csv --executor ray --ray-address auto
    """
    from s2dcli.annotator import (
        AnnotateOptions,
        OutputOptions,
        check_outputs,
        parse_max_failures,
        run_annotation,
    )
    from s2dcli.discover import parse_extensions

    if verbose:
        logging.getLogger("s2d").setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
    opts = AnnotateOptions(
        model=str(options["model"]),
        weights=options["weights"],  # type: ignore[arg-type]
        model_config=options["model_config"],
        landmark_weights=options["landmark_weights"],  # type: ignore[arg-type]
        labels=options["labels"],
        device=str(options["device"]),  # type: ignore[arg-type]
        precision=str(options["precision"]),
        batch_size=options["batch_size"],  # type: ignore[arg-type]
        workers=int(options["workers"]),
        faces=str(options["faces"]),  # type: ignore[arg-type]
        detect_every=int(options["detect_every"]),  # type: ignore[arg-type]
        clip_seconds=float(options["clip_seconds"]),  # type: ignore[arg-type]
        stride_seconds=float(options["stride_seconds"]),  # type: ignore[arg-type]
        min_face=float(options["min_face"]),
        compile=compile_,  # type: ignore[arg-type]
        offline=bool(options["offline"]),
        ext=options["ext"],  # type: ignore[arg-type]
        recursive=not no_recursive,
        max_failures=options["max_failures"],  # type: ignore[arg-type]
        executor=str(options["executor"]),
        ray_address=options["ray_address"],  # type: ignore[arg-type]
        ray_workers=options["ray_workers"],  # type: ignore[arg-type]
        gpus_per_worker=options["gpus_per_worker"],  # type: ignore[arg-type]
        cpus_per_worker=options["cpus_per_worker"],  # type: ignore[arg-type]
    )
    outputs = OutputOptions(output, summary, plots, overlay, resume, overwrite)
    # Usage problems (exit 2) before anything heavy loads.
    try:
        check_outputs(outputs)
        parse_extensions(opts.ext)
        parse_max_failures(opts.max_failures, 100)
        _check_device(opts.device)
        from s2dcli.executors import check_executor

        check_executor(opts)
        from s2dcli.discover import find_videos

        if not find_videos(list(paths), parse_extensions(opts.ext), opts.recursive):
            raise InputError(
                f"No videos found in {', '.join(paths)} (extensions "
                f"{','.join(e.lstrip('.') for e in parse_extensions(opts.ext))}); "
                "use --ext to look for others."
            )
    except InputError as exc:
        raise click.UsageError(str(exc)) from exc

    reporter = _Reporter(quiet)
    try:
        with reporter:
            result = run_annotation(list(paths), opts, outputs, reporter.update)
    except KeyboardInterrupt:
        click.echo(
            f"Interrupted. Finished videos are kept in {outputs.journal_path}; run the "
            "same command with --resume to continue.",
            err=True,
        )
        raise click.exceptions.Exit(130) from None
    progress = result.progress
    if not quiet:
        click.echo(
            f"{progress.done} videos ({progress.skipped} from an earlier run), "
            f"{progress.clips} clips, {result.failed} failed -> {output}",
            err=True,
        )
        for row in result.summary.itertuples():
            if row.status == "failed":
                click.echo(f"  failed: {row.video}: {row.error}", err=True)
    if result.stopped_early:
        raise click.exceptions.Exit(1)
    if result.failed:
        raise click.exceptions.Exit(1)


def _check_device(spec: str) -> None:
    import re

    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", spec.strip().lower()):
        raise InputError(f"Invalid --device {spec!r}: use {CHOICES_DEVICE}.")


class _Reporter:
    """Rich progress bars on a terminal; a log line every 30 s otherwise; nothing with -q."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.live = not quiet and sys.stderr.isatty()
        self._bar = None
        self._task = None
        self._last_line = 0.0

    def __enter__(self) -> _Reporter:
        if self.live:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]videos"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(
                    "{task.fields[clips]} clips, {task.fields[rate]} clips/s, "
                    "[red]{task.fields[failed]} failed"
                ),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("videos", total=None, clips=0, rate="-", failed=0)
        return self

    def update(self, progress: object) -> None:
        p = progress
        elapsed = max(time.perf_counter() - p.started, 1e-9)  # type: ignore[attr-defined]
        new_clips = p.clips  # type: ignore[attr-defined]
        rate = f"{(new_clips - p.skipped_clips) / elapsed:.1f}"  # type: ignore[attr-defined]
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task,
                total=p.total,
                completed=p.done,  # type: ignore[attr-defined]
                clips=new_clips,
                rate=rate,
                failed=p.failed,
            )  # type: ignore[attr-defined]
        elif not self.quiet:
            now = time.monotonic()
            finished = p.done == p.total  # type: ignore[attr-defined]
            if now - self._last_line >= 30 or finished:
                self._last_line = now
                click.echo(
                    f"{p.done}/{p.total} videos, {new_clips} clips "  # type: ignore[attr-defined]
                    f"({rate} clips/s), {p.failed} failed",
                    err=True,
                )  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
