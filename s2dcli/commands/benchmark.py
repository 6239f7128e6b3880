"""`s2d benchmark`: a thin skin over `s2dcli.benchmark.run_benchmark`.

Options are checked before anything heavy loads: a bad `--batch-sizes` or an unusable
`--device` is a usage error (exit 2) that names the fix. The table goes to stdout (also with
-q), progress lines to stderr, and `--json OUT` gets every figure (a failed write: exit 3).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from s2dcli.config import ExecutorOptions, default
from s2dcli.errors import InputError, OutputWriteError
from s2dcli.options import device_options, face_options, is_quiet, model_options, verbosity

MIB = 1024 * 1024


def _batch_sizes(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[int, ...] | None:
    if value is None:
        return None
    from s2dcli.benchmark import parse_batch_sizes

    try:
        return parse_batch_sizes(value)
    except InputError as exc:
        raise click.BadParameter(str(exc), ctx, param) from exc


@click.command(context_settings={"max_content_width": 100})
@device_options
@click.option(
    "--batch-sizes",
    callback=_batch_sizes,
    metavar="N,N,...",
    help="Clips per model call, e.g. 1,8,32,128 [default: 1,2 on CPU, 1,8,32,128 on CUDA].",
)
@click.option(
    "--compile",
    "compile_",
    is_flag=True,
    help="torch.compile S2D and the ViT (compiling is not timed).",
)
@click.option(
    "--model",
    help="Architecture with random weights: s2d_base_patch16_224 (the default) or s2d_test.",
)
@click.option(
    "--weights",
    help="S2D weights instead: a .pth path, published name, https:// URL or hf://owner/repo/file.",
)
@model_options(landmark_default="random", offline=False)
@click.option(
    "--video",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Video for decode, detection and end to end [default: a generated 640x360 "
    "H.264 clip with a face].",
)
@click.option(
    "--seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=4.0,
    show_default=True,
    help="Time bound of each stage and batch size (after a warm-up; "
    "at least 3 rounds, end to end at least 1).",
)
@face_options
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=default(ExecutorOptions, "workers"),
    show_default=True,
    help="Videos decoded and searched for faces at once (end to end: copies of the video).",
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every figure to this JSON file.",
)
@verbosity
def benchmark(
    device: str,
    precision: str,
    batch_sizes: tuple[int, ...] | None,
    compile_: bool,
    model: str | None,
    weights: str | None,
    model_config: str | None,
    landmark_weights: str | None,
    video: Path | None,
    seconds: float,
    faces: str,
    detect_every: int,
    min_face: float,
    workers: int,
    json_out: Path | None,
) -> None:
    """Measure each stage's speed, and the whole pipeline's, on this machine.

    Stages: decode (decord and PyAV, raw and through the engine), face detection, the landmark
    branch, S2D at each batch size against timm's plain ViT on the same frames (the ceiling S2D
    is held to), and the pipeline end to end, side by side with its two halves (the scan alone,
    the model alone on the same batches). Random weights unless --weights is given: speed does
    not depend on them, so nothing is downloaded. The defaults take 5-10 minutes on a 2-core
    CPU.

    \b
    Examples:
      s2d benchmark                                  # full-size S2D on the best device
      s2d benchmark --device cuda --precision bf16 --batch-sizes 1,8,32,128 --json gpu.json
      s2d benchmark --device cpu --model s2d_test --seconds 0.5   # a quick smoke run
      s2d benchmark --video talk.mp4 --weights best.pth --model-config cfg.json
    """
    from engine.device import DeviceUnavailableError, resolve_device
    from s2dcli.benchmark import BenchmarkOptions, run_benchmark
    from s2dcli.benchmark.run import DEFAULT_MODEL
    from s2dcli.models import ARCHITECTURES

    try:
        resolve_device(device)
    except DeviceUnavailableError as exc:
        raise click.BadParameter(str(exc), param_hint="--device") from exc
    if model is not None and weights is not None:
        raise click.BadParameter(
            "give either --model (random weights) or --weights, not both.", param_hint="--model"
        )
    if model is not None and model not in ARCHITECTURES:
        raise click.BadParameter(
            f"unknown architecture {model!r}: use {' or '.join(sorted(ARCHITECTURES))}, or "
            "--weights PATH for trained weights.",
            param_hint="--model",
        )
    try:
        options = BenchmarkOptions(
            device=device,
            batch_sizes=batch_sizes,
            precision=precision,
            compile=compile_,
            model=model or DEFAULT_MODEL,
            weights=weights,
            model_config=model_config,
            landmark_weights=landmark_weights,
            video=video,
            seconds=seconds,
            faces=faces,
            detect_every=detect_every,
            min_face=min_face,
            workers=workers,
        )
    except InputError as exc:
        raise click.UsageError(str(exc)) from exc

    quiet = is_quiet()

    def progress(message: str) -> None:
        if not quiet:
            click.echo(f"... {message}", err=True)

    report = run_benchmark(options, progress)
    data = report.as_dict()
    _print_table(data)
    if json_out is not None:
        text = json.dumps(data, indent=2, allow_nan=False) + "\n"
        try:
            json_out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OutputWriteError(json_out, exc) from exc
        if not quiet:
            click.echo(f"Wrote {json_out}", err=True)


def _num(value: Any, digits: int = 1) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def _print_table(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"s2d benchmark on {data['device']} ({data['device_name']})")
    for name in ("Stage", "Variant", "Batch"):
        table.add_column(name)
    for name in ("Frames/s", "Clips/s", "ms/call", "TFLOP/s", "Dev MiB", "RSS MiB"):
        table.add_column(name, justify="right")
    for row in data["results"]:
        if "error" in row:
            table.add_row(row["stage"], row["error"], str(row.get("batch_size", "")))
            continue
        peak = row.get("peak_device_bytes")
        table.add_row(
            row["stage"],
            row.get("variant", ""),
            str(row.get("batch_size", "")),
            _num(row.get("frames_per_s")),
            _num(row.get("clips_per_s"), 2),
            _num(row["seconds"] * 1000),
            _num(row.get("tflop_per_s"), 3),
            _num(None if peak is None else peak / MIB, 0),
            _num(row["peak_rss_bytes"] / MIB, 0),
        )
    console = Console(width=110)
    console.print(table)
    ratio = data["s2d_vs_vit_time_ratio"]
    end = next(r for r in data["results"] if r["stage"] == "end_to_end")
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in end["stage_seconds"].items())
    console.print(
        f"S2D / ViT time ratio (S2D with its landmark branch, largest batch): "
        f"{'n/a' if ratio is None else f'{ratio:.2f}'} (target <= 1.25 at full size)\n"
        f"End to end: {end['video_s_per_s']:.2f} video-seconds per second "
        f"({end['videos']} x {end['video_seconds'] / end['videos']:.1f} s of video, "
        f"{end['clips']} clips, {end['seconds']:.1f} s)\n"
        f"Side by side: scan alone (decode, detect, crop) {end['scan_seconds']:.1f} s, model "
        f"alone on the same batches {end['model_seconds']:.1f} s\n"
        f"End to end / the slower ({end['slowest_stage']}): "
        f"{end['end_to_end_vs_slowest_stage']:.2f} (target <= 1.15); / their sum: "
        f"{end['end_to_end_vs_stage_sum']:.2f}\n"
        f"Each stage on that work, from its row above: {stages}; bound by {data['bound_by']}\n"
        f"Peak host RSS: {data['peak_rss_bytes'] / MIB:,.0f} MiB; precision {data['precision']}; "
        f"{data['settings']['torch_threads']} torch threads, OpenMP wait policy "
        f"{data['settings']['omp_wait_policy']}",
        highlight=False,
        soft_wrap=True,
    )
