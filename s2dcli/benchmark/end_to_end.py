"""The end-to-end stage: the real pipeline, side by side with its two halves.

Each round runs three things, in an order that flips every round (so machine noise hits all
alike):

- pipeline: the `Pipeline` on `workers` copies of the video, read at once: decode, detect, track,
  crop, batch, and the model;
- scan: the same pipeline with a classifier that costs nothing: decode, detect, track, crop, batch;
- model: the classifier alone on the very batches the pipeline made (zeros of the same shapes).

`end_to_end_vs_slowest_stage` is the median over rounds of pipeline / max(scan, model): 1.0 means
the halves overlap perfectly. On a CPU the halves share its cores, so it comes near 1 only where
one half dominates; `end_to_end_vs_stage_sum` (pipeline / (scan + model)) shows what overlap gains.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.stats import peak_rss_bytes
from s2dcli.benchmark.media import read_frames
from s2dcli.benchmark.stages import Row, detector_threads
from s2dcli.benchmark.timing import synchronize
from s2dcli.config import ExecutorOptions, FaceOptions, default
from s2dcli.errors import InputError
from s2dcli.models import S2D, LandmarkNet
from s2dcli.pipeline.classify import Classifier, ClipScores

log = logging.getLogger("s2d.benchmark")


class RecordingClassifier:
    """A classifier that notes the shape of every batch it is given (rows, clips)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.device, self.num_frames, self.size = inner.device, inner.num_frames, inner.size
        self.calls: list[tuple[int, int]] = []

    @property
    def halvings(self) -> int:
        return int(self.inner.halvings)

    def __call__(self, clips: torch.Tensor, count: int | None = None) -> ClipScores:
        rows = int(clips.shape[0])
        self.calls.append((rows, rows if count is None else count))
        return self.inner(clips, count)


class NullClassifier:
    """Uniform scores at no cost: what is left of the pipeline's time is the scan's."""

    halvings = 0

    def __init__(self, like: Any, classes: int) -> None:
        self.device, self.num_frames, self.size = like.device, like.num_frames, like.size
        self.classes = classes

    def __call__(self, clips: torch.Tensor, count: int | None = None) -> ClipScores:
        n = int(clips.shape[0]) if count is None else count
        probs = np.full((n, self.classes), 1.0 / self.classes, np.float32)
        return ClipScores(probs, np.log(probs))


def detected_frames(frames: int, scan: Any) -> int:
    """Frames the scan ran the detector on: every k-th one and the last."""
    if scan.whole_frame or frames == 0:
        return 0
    k = scan.detect_every
    return -(-frames // k) + (1 if (frames - 1) % k else 0)


def pipeline_run(
    classifier: Any, pool: Any, scan: Any, paths: Sequence[Path], batch_size: int, workers: int
) -> dict[str, Any]:
    """One pipeline pass over `paths`: wall seconds, video seconds, frames, clips, stats."""
    from s2dcli.pipeline import Pipeline, PipelineOptions

    pipeline = Pipeline(
        classifier, pool, scan, PipelineOptions(batch_size=batch_size, workers=workers)
    )
    clock = time.perf_counter()
    results = list(pipeline.run(paths))
    synchronize(classifier.device)
    wall = time.perf_counter() - clock
    failed = [r for r in results if r.error is not None]
    if failed:
        raise InputError(f"The pipeline could not read {failed[0].path}: {failed[0].error}")
    scans = [r.scan for r in results if r.scan is not None]
    return {
        "seconds": wall,
        "video_seconds": sum(s.info.duration_s or s.frames / s.info.fps for s in scans),
        "frames": sum(s.frames for s in scans),
        "detected_frames": sum(detected_frames(s.frames, scan) for s in scans),
        "clips": sum(len(r.clips) for r in results),
        "backend": scans[0].info.backend if scans else "",
        "pipeline_stats": pipeline.stats.as_dict(),
    }


def replay_batches(classifier: Classifier, calls: Sequence[tuple[int, int]]) -> float:
    """The classifier alone on batches of these (rows, clips) shapes; wall seconds."""
    clock = time.perf_counter()
    for rows, count in calls:
        classifier(torch.zeros((rows, *classifier.clip_shape), dtype=torch.uint8), count)
    synchronize(classifier.device)
    return time.perf_counter() - clock


def bench_end_to_end(
    model: S2D,
    landmarks: LandmarkNet,
    device: torch.device,
    video: Path,
    *,
    batch_size: int,
    faces: str,
    detect_every: int = default(FaceOptions, "detect_every"),
    min_face: float = default(FaceOptions, "min_face"),
    workers: int = default(ExecutorOptions, "workers"),
    precision: str = "auto",
    compile: bool = False,
    seconds: float = 4.0,
) -> Row:
    """Rounds of pipeline, scan and model (see the module docstring) until `seconds` have passed,
    at least one, after a warm-up of the classifier and of one detector per worker."""
    from s2dcli.clips import ClipConfig
    from s2dcli.faces import TrackerConfig, create_detector, is_whole_frame
    from s2dcli.pipeline import DetectorPool, FaceClipOptions

    classifier = Classifier(model, landmarks, device, precision, compile)
    threads = detector_threads(workers)
    detector_device = "auto" if device.type == "cuda" else "cpu"
    whole_frame = is_whole_frame(faces)
    pool = (
        None
        if whole_frame
        else DetectorPool(
            lambda: create_detector(
                faces, min_face=min_face, device=detector_device, threads=threads, download=False
            )
        )
    )
    scan = FaceClipOptions(
        clips=ClipConfig(num_frames=model.config.num_frames),
        tracker=TrackerConfig(min_face=min_face),
        detect_every=detect_every,
        crop_size=model.config.img_size,
        whole_frame=whole_frame,
    )
    paths = [video] * workers
    recorder = RecordingClassifier(classifier)
    null = NullClassifier(classifier, model.num_classes)
    runs: list[dict[str, Any]] = []
    scan_s: list[float] = []
    model_s: list[float] = []
    try:
        _warm_up(classifier, pool, video, batch_size, workers)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)

        def whole() -> None:
            recorder.calls.clear()  # the batches are the same every run (input order only)
            runs.append(pipeline_run(recorder, pool, scan, paths, batch_size, workers))

        def scan_only() -> None:
            scan_s.append(pipeline_run(null, pool, scan, paths, batch_size, workers)["seconds"])

        def model_only() -> None:
            model_s.append(replay_batches(classifier, recorder.calls))

        steps: list[Callable[[], None]] = [whole, scan_only, model_only]  # whole first
        start = time.perf_counter()
        while not runs or time.perf_counter() - start < seconds:
            order = steps if len(runs) % 2 == 0 else [scan_only, model_only, whole]
            for step in order:
                step()
        detector = pool.describe() if pool is not None else "whole frame"
    finally:
        if pool is not None:
            pool.close()
    return _row(
        runs, scan_s, model_s, batch_size, workers, scan.detect_every, detector, device, video
    )


def _row(
    runs: list[dict[str, Any]],
    scan_s: list[float],
    model_s: list[float],
    batch_size: int,
    workers: int,
    detect_every: int,
    detector: str,
    device: torch.device,
    video: Path,
) -> Row:
    wall = statistics.median(r["seconds"] for r in runs)
    run = runs[0]
    if not run["clips"]:
        log.warning("No face clip in %s: end to end measured decoding and detection only.", video)
    slowest = [max(s, m) for s, m in zip(scan_s, model_s, strict=True)]
    row: Row = {
        "stage": "end_to_end",
        "variant": f"pipeline {detector}/{run['backend']}",
        "batch_size": batch_size,
        "workers": workers,
        "videos": workers,
        "rounds": len(runs),
        "seconds": wall,
        "video_seconds": run["video_seconds"],
        "video_s_per_s": run["video_seconds"] / wall,
        "frames": run["frames"],
        "frames_per_s": run["frames"] / wall,
        "detected_frames": run["detected_frames"],
        "detect_every": detect_every,
        "clips": run["clips"],
        "clips_per_s": run["clips"] / wall,
        "backend": run["backend"],
        "pipeline_stats": run["pipeline_stats"],
        "scan_seconds": statistics.median(scan_s),
        "model_seconds": statistics.median(model_s),
        "slowest_stage": "model"
        if statistics.median(model_s) >= statistics.median(scan_s)
        else "scan",
        "end_to_end_vs_slowest_stage": statistics.median(
            r["seconds"] / s for r, s in zip(runs, slowest, strict=True)
        ),
        "end_to_end_vs_stage_sum": statistics.median(
            r["seconds"] / (s + m) for r, s, m in zip(runs, scan_s, model_s, strict=True)
        ),
        "peak_rss_bytes": peak_rss_bytes(),
    }
    if device.type == "cuda":
        row["peak_device_bytes"] = torch.cuda.max_memory_allocated(device)
    return row


def _warm_up(classifier: Classifier, pool: Any, video: Path, batch_size: int, workers: int) -> None:
    """First calls (allocations, kernel choice, compilation, ONNX sessions) are not timed."""
    classifier(torch.zeros((batch_size, *classifier.clip_shape), dtype=torch.uint8))
    if pool is None:
        return
    frame = read_frames(video, 1)[0]
    detectors = [pool.acquire() for _ in range(workers)]
    for detector in detectors:
        detector.detect(frame)
    for detector in detectors:
        pool.release(detector)
