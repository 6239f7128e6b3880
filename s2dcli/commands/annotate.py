"""`s2d annotate`: a thin skin over `s2dcli.annotator`.

The parameters become an `AnnotateConfig` and `OutputOptions` as they are; `s2dcli.resolve`
checks them (and finds the videos, plans and locks the outputs) before anything loads.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from s2dcli.commands.annotate_progress import Reporter
from s2dcli.commands.config_file import config_defaults
from s2dcli.config import (
    AnnotateConfig,
    ClipOptions,
    DeviceOptions,
    ExecutorOptions,
    FaceOptions,
    InputOptions,
    ModelOptions,
    OutputOptions,
    default,
)
from s2dcli.errors import EXIT_INTERRUPTED, EXIT_SOME_FAILED
from s2dcli.options import (
    classes_option,
    device_options,
    face_options,
    is_quiet,
    model_options,
    verbosity,
)

log = logging.getLogger("s2d.annotate")


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
    help="A TOML file with any of these options (under [annotate] or at the top); flags on "
    "the command line win.",
)
@click.option(
    "--model",
    default=default(ModelOptions, "model"),
    show_default=True,
    help="Published weights by name (see `s2d models list`).",
)
@click.option(
    "--weights", help="S2D weights instead: a .pth path, https:// URL or hf://owner/repo/file."
)
@model_options
@classes_option
@click.option("--labels", "deprecated_labels", hidden=True, help="Deprecated: --classes.")
@device_options
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    help="Clips per model call [default: 32 on CUDA, 8 on CPU].",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=default(ExecutorOptions, "workers"),
    show_default=True,
    help="Videos decoded and searched for faces at once (a Ray worker reads one at a time).",
)
@face_options
@click.option(
    "--clip-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=default(ClipOptions, "clip_seconds"),
    show_default=True,
    help="Length of each clip.",
)
@click.option(
    "--stride-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=default(ClipOptions, "stride_seconds"),
    show_default=True,
    help="Time between clip starts.",
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
    help="Folder for PNG timelines, a label chart and index.html (figures for papers).",
)
@click.option(
    "--overlay",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for one MP4 per video with boxes, face ids and labels drawn.",
)
@click.option(
    "--report",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the interactive report (as `s2d report` writes it).",
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
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default=default(ExecutorOptions, "executor"),
    show_default=True,
    help="local: this process; ray: spread the videos over the workers of a Ray cluster "
    '(pip install "s2dcli[ray]").',
)
@click.option(
    "--ray-address",
    help="With --executor ray: the cluster, auto or HOST:PORT [default: RAY_ADDRESS, else a "
    "new Ray instance on this machine].",
)
@click.option(
    "--ray-workers",
    type=click.IntRange(min=1),
    help="With --executor ray: workers, each holding a model [default: as many as the "
    "cluster fits].",
)
@click.option(
    "--gpus-per-worker",
    type=click.FloatRange(min=0),
    help="With --executor ray: GPUs per worker, 0 for CPU workers, 0.5 to share a GPU "
    "[default: 1 if the cluster has GPUs, else 0].",
)
@click.option(
    "--cpus-per-worker",
    type=click.IntRange(min=1),
    help="With --executor ray: CPU cores per worker [default: 1; with GPUs the cluster's "
    "CPUs per GPU, at most 8].",
)
@verbosity
def annotate(
    paths: tuple[str, ...],
    output: Path,
    model: str,
    weights: str | None,
    model_config: str | None,
    landmark_weights: str | None,
    offline: bool,
    classes: str | None,
    deprecated_labels: str | None,
    device: str,
    precision: str,
    batch_size: int | None,
    workers: int,
    faces: str,
    detect_every: int,
    min_face: float,
    clip_seconds: float,
    stride_seconds: float,
    ext: str | None,
    no_recursive: bool,
    summary: Path | None,
    plots: Path | None,
    overlay: Path | None,
    report: Path | None,
    resume: bool,
    overwrite: bool,
    max_failures: str | None,
    compile_: bool,
    executor: str,
    ray_address: str | None,
    ray_workers: int | None,
    gpus_per_worker: float | None,
    cpus_per_worker: int | None,
) -> None:
    """Annotate every face in videos with emotions, clip by clip.

    PATHS are video files, folders (searched recursively, in sorted order), glob patterns or
    @list.txt files with one path per line. Each video is decoded once; faces are detected
    every few frames, tracked, cut into overlapping clips and classified by S2D.

    \b
    Writes, beside OUTPUT:
      OUTPUT                  one row per clip (video, face_id, times, label, p_<class>, box)
      <stem>.videos.csv       one row per video (status ok / partial / no_face / failed, why)
      <stem>.segments.csv     consecutive clips with the same label merged, per face
      OUTPUT.run.json         options, versions, device, weights sha256, stage timings
      OUTPUT.journal          finished videos, for --resume (safe to delete when done)
    No existing file is replaced without --overwrite; one run at a time writes an OUTPUT.

    \b
    Examples:
      s2d annotate videos/ -o results.csv
      s2d annotate videos/ -o results.csv --resume          # after a crash or Ctrl-C
      s2d annotate crops/ -o dfew.csv --faces none --model dfew-fold1
      s2d annotate @todo.txt -o out.parquet --device cuda --batch-size 64 --report report/
      s2d annotate a.mp4 -o a.csv --weights best.pth --model-config cfg.json --classes a,b,c
      s2d annotate /shared/videos -o /shared/out.csv --executor ray --ray-address auto
    """
    from s2dcli.annotator import run_annotation
    from s2dcli.resolve import resolve_annotation

    if deprecated_labels is not None:
        log.warning("--labels is now --classes (--labels will be removed in the next release).")
        classes = classes or deprecated_labels
    config = AnnotateConfig(
        model=ModelOptions(
            model=model,
            weights=weights,
            model_config=model_config,
            landmark_weights=landmark_weights,
            classes=classes,
            offline=offline,
        ),
        device=DeviceOptions(
            device=device, precision=precision, batch_size=batch_size, compile=compile_
        ),
        faces=FaceOptions(faces=faces, detect_every=detect_every, min_face=min_face),
        clips=ClipOptions(clip_seconds=clip_seconds, stride_seconds=stride_seconds),
        inputs=InputOptions(ext=ext, recursive=not no_recursive),
        executor=ExecutorOptions(
            executor=executor,
            workers=workers,
            ray_address=ray_address,
            ray_workers=ray_workers,
            gpus_per_worker=gpus_per_worker,
            cpus_per_worker=cpus_per_worker,
        ),
        max_failures=max_failures,
    )
    outputs = OutputOptions(
        output,
        summary=summary,
        plots=plots,
        overlay=overlay,
        report=report,
        resume=resume,
        overwrite=overwrite,
    )
    run = resolve_annotation(list(paths), config, outputs)
    reporter = Reporter(quiet=is_quiet())
    try:
        with reporter:
            result = run_annotation(run, reporter.update)
    except KeyboardInterrupt:
        click.echo(
            f"Interrupted. Finished videos are kept in {outputs.journal_path}; run the "
            "same command with --resume to continue.",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    finally:
        run.release()
    reporter.finished(result, output)
    if result.stopped_early or result.failed:
        raise click.exceptions.Exit(EXIT_SOME_FAILED)
