"""The stages `s2d benchmark` times alone: decode, detect, and landmarks / model / vit_reference
(the end-to-end stage is in `end_to_end`).

Each function returns result rows: plain dicts with a `stage` key and the stage's figures.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.device import inference_context, is_out_of_memory
from engine.stats import peak_rss_bytes
from engine.video import open_video
from engine.video.types import BackendChoice
from s2dcli.benchmark.timing import count_flops, paired_ratio, timed_rounds
from s2dcli.models import S2D, LandmarkNet
from s2dcli.pipeline.classify import FrameNormalizer

log = logging.getLogger("s2d.benchmark")

Row = dict[str, Any]
Progress = Callable[[str], None]


def _raw_decord(path: Path) -> int:
    import decord

    reader = decord.VideoReader(str(path), ctx=decord.cpu(0))
    for _ in range(len(reader)):
        reader.next().asnumpy()
    return len(reader)


def _raw_pyav(path: Path) -> int:
    import av
    from av.video.reformatter import VideoReformatter

    reformatter = VideoReformatter()
    count = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            reformatter.reformat(frame, format="rgb24").to_ndarray()
            count += 1
    return count


def _engine_read(path: Path, backend: BackendChoice) -> Callable[[], int]:
    def read() -> int:
        with open_video(path, backend=backend) as video:
            return sum(1 for _ in video)

    return read


def bench_decode(path: Path, seconds: float, min_rounds: int = 2) -> list[Row]:
    """Front-to-back decode of `path`: raw loops against the engine's reader, per backend."""
    steps: dict[str, Callable[[], int]] = {}
    try:
        import decord  # noqa: F401

        steps.update(
            decord_raw=lambda: _raw_decord(path), decord_engine=_engine_read(path, "decord")
        )
    except ImportError:
        log.warning("decord is not installed: decoding is measured with PyAV only.")
    steps.update(pyav_raw=lambda: _raw_pyav(path), pyav_engine=_engine_read(path, "pyav"))
    timings = timed_rounds(steps, seconds, torch.device("cpu"), min_rounds)
    return [
        {
            "stage": "decode",
            "variant": name,
            "frames": t.value,
            "seconds": t.median,
            "frames_per_s": t.value / t.median,
            "best_frames_per_s": t.value / min(t.seconds),
            "rounds": len(t.seconds),
            "peak_rss_bytes": peak_rss_bytes(),
        }
        for name, t in timings.items()
    ]


def detector_threads(workers: int) -> int:
    """ONNX Runtime threads per detector when `workers` detectors run at once (as annotate)."""
    return max(1, (os.cpu_count() or 2) // workers)


def bench_detect(
    detectors: Sequence[Any], frames: Sequence[np.ndarray], seconds: float, min_rounds: int = 2
) -> Row:
    """`detect(frame)` frame by frame, as the engine calls it: one thread per detector (the
    engine's workers), each detector on all of `frames`."""
    with ThreadPoolExecutor(len(detectors), thread_name_prefix="s2d-bench-detect") as pool:

        def faces_found(detector: Any) -> int:
            return sum(len(detector.detect(f)) for f in frames)

        def step() -> int:
            jobs = [pool.submit(faces_found, d) for d in detectors]
            return sum(job.result() for job in jobs)

        timing = timed_rounds({"detect": step}, seconds, torch.device("cpu"), min_rounds)["detect"]
    n = len(frames) * len(detectors)
    height, width = frames[0].shape[:2]
    return {
        "stage": "detect",
        "variant": getattr(detectors[0], "name", "detector"),
        "workers": len(detectors),
        "frames": n,
        "frame_size": f"{width}x{height}",
        "seconds": timing.median,
        "frames_per_s": n / timing.median,
        "faces_per_frame": timing.value / n,
        "rounds": len(timing.seconds),
        "peak_rss_bytes": peak_rss_bytes(),
    }


def bench_models(
    model: S2D,
    landmarks: LandmarkNet,
    vit: torch.nn.Module,
    vit_name: str,
    device: torch.device,
    batch_sizes: Sequence[int],
    *,
    precision: str = "auto",
    compile: bool = False,
    seconds: float = 4.0,
    min_rounds: int = 2,
    progress: Progress | None = None,
) -> tuple[list[Row], float | None]:
    """The landmark branch, S2D (with its landmark branch) and the ViT on the same `B*T` frames,
    batch size by batch size; a device out-of-memory error ends the sweep.

    Returns the rows and the S2D / ViT time ratio (median of per-round ratios) at the largest
    batch size that ran (None if none did).
    """
    cfg = model.config
    t, size = cfg.num_frames, cfg.img_size
    normalize = FrameNormalizer(device)
    rows: list[Row] = []
    ratio = None
    for b in batch_sizes:
        if progress:
            progress(f"model: batch size {b} ({b * t} frames of {size} px)")
        timings: dict[str, Any] | None = None
        flops: dict[str, int] = {}
        try:
            timings, flops = _time_models(
                model, landmarks, vit, normalize, device, b, precision, compile, seconds, min_rounds
            )
        except RuntimeError as exc:
            if not is_out_of_memory(exc):
                raise
        if timings is None:  # out of memory: free it outside the except block, then stop
            gc.collect()
            if device.type == "cuda":
                torch.cuda.empty_cache()
            log.warning("Batch size %d ran out of device memory; larger ones are skipped.", b)
            rows.append({"stage": "model", "batch_size": b, "error": "out of memory"})
            break
        ratio = paired_ratio(timings["model"], timings["vit_reference"])
        for name, timing in timings.items():
            row: Row = {
                "stage": name,
                "batch_size": b,
                "frames": b * t,
                "seconds": timing.median,
                "best_seconds": min(timing.seconds),
                "frames_per_s": b * t / timing.median,
                "clips_per_s": b / timing.median,
                "gflop_per_call": flops[name] / 1e9,
                "tflop_per_s": flops[name] / timing.median / 1e12,
                "rounds": len(timing.seconds),
                "peak_rss_bytes": peak_rss_bytes(),
            }
            if name == "model":
                row["variant"] = "s2d + landmark branch"
                row["s2d_vs_vit_time_ratio"] = ratio
            elif name == "vit_reference":
                row["variant"] = vit_name
            else:
                row["variant"] = "landmark branch"
            if device.type == "cuda":
                row["peak_device_bytes"] = timing.peak_device_bytes
            rows.append(row)
    return rows, ratio


def _time_models(
    model: S2D,
    landmarks: LandmarkNet,
    vit: torch.nn.Module,
    normalize: FrameNormalizer,
    device: torch.device,
    b: int,
    precision: str,
    compile: bool,
    seconds: float,
    min_rounds: int,
) -> tuple[dict[str, Any], dict[str, int]]:
    cfg = model.config
    clips = torch.randint(
        0,
        256,
        (b, cfg.num_frames, cfg.img_size, cfg.img_size, 3),
        dtype=torch.uint8,
        generator=torch.Generator().manual_seed(b),
    )
    frames = normalize(clips.to(device))

    def s2d_step() -> torch.Tensor:
        return model.forward_head(model.forward_features(frames, landmarks(frames)))[0]

    steps: dict[str, Callable[[], Any]] = {
        "landmarks": lambda: landmarks(frames),
        "model": s2d_step,
        "vit_reference": lambda: vit(frames),
    }
    with inference_context(device, precision):
        flops = {name: count_flops(step) for name, step in steps.items()}  # also a warm-up
        if compile:
            steps = {name: torch.compile(step) for name, step in steps.items()}
        # The FLOP count ran every step once; CUDA (kernel choice, cuBLAS handles) and compiled
        # steps get a plain warm-up call too.
        timings = timed_rounds(
            steps, seconds, device, min_rounds, warmup=compile or device.type == "cuda"
        )
    return timings, flops
