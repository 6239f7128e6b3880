"""Measurements behind `s2d benchmark`: each stage of the pipeline on its own, then end to end.

    report = run_benchmark(BenchmarkOptions(device="cpu", model="s2d_test", seconds=0.5))
    report.as_dict()  # {"results": [{"stage": "decode", ...}, ...], "s2d_vs_vit_time_ratio": ...}

Every timed stage runs a warm-up, then alternates its variants in rounds (so machine noise hits
all alike) until `seconds` have passed and at least `min_rounds` rounds are done; figures are
medians over the rounds, and CUDA work is synchronised before every clock read. Stages:

- decode: raw decord and PyAV loops and the engine's reader on both backends, frames/s;
- detect: the face detector on decoded frames, one at a time as the engine calls it, frames/s;
- landmarks / model / vit_reference, per batch size, on the same `B*T` frames: the landmark
  branch, S2D (landmark branch included) and a plain timm ViT of S2D's geometry (the ceiling S2D
  is held to); clips/s, frames/s, TFLOP/s (FLOPs counted once with `FlopCounterMode`), peak
  device memory; a device out-of-memory error ends the batch-size sweep;
- end_to_end: the real `Pipeline` on the video, side by side with its halves (the scan alone, the
  model alone on the same batches): video-seconds per wall-second, clips/s, and the ratio of
  its wall time to the slower half's.

Weights are random unless given: speed does not depend on them, so nothing is downloaded.
Modules: `timing` (rounds, synchronisation, FLOPs), `media` (the generated video), `stages`
(the stages alone), `end_to_end` (the pipeline and its halves), `run` (options, report, the run).
"""

from s2dcli.benchmark.end_to_end import detected_frames
from s2dcli.benchmark.media import make_video, read_frames
from s2dcli.benchmark.run import (
    CPU_BATCH_SIZES,
    CUDA_BATCH_SIZES,
    STAGES,
    BenchmarkOptions,
    BenchmarkReport,
    bound_by,
    load_models,
    reference_vit,
    run_benchmark,
    stage_estimates,
)
from s2dcli.benchmark.timing import Timing, paired_ratio, parse_batch_sizes, timed_rounds

__all__ = [
    "CPU_BATCH_SIZES",
    "CUDA_BATCH_SIZES",
    "STAGES",
    "BenchmarkOptions",
    "BenchmarkReport",
    "Timing",
    "bound_by",
    "detected_frames",
    "load_models",
    "make_video",
    "paired_ratio",
    "parse_batch_sizes",
    "read_frames",
    "reference_vit",
    "run_benchmark",
    "stage_estimates",
    "timed_rounds",
]
