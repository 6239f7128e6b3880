"""The engine's two structural targets, measured side by side in one run.

1. Decoding inside the engine against the raw decoder reading the same file front to back:
   `read_face_clips` on a long-GOP H.264 clip without faces (the detector runs on the first and last
   frame only), against the fastest raw decord and PyAV loops. Target: >= 0.9x.
2. Overlap: with the model step held at a fixed cost (a sleep per batch, so it competes for no
   core), end-to-end wall time against the slower of (decode + detect + crop) and (model).
   Target: <= 1.15x. Measured on real faces (camera pans over InsightFace's group photo) with
   the offline MTCNN detector; the model's cost per batch is set so both sides take about as
   long, the case where overlap matters most.

Rounds alternate after a warm-up so machine noise hits all alike; medians and bests are shown.

    python benchmarks/bench_engine.py [--rounds 3] [--videos 4] [--seconds 6] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.faces_media, benchmarks

from benchmarks.bench_decode import make_video, raw_decord_next, raw_pyav_reformatter
from engine.batching import Batch, chain_streams, collate
from engine.video.decord_source import decord_module
from engine.video.reader import AUTO_PREFERS_DECORD
from s2dcli.clips import ClipConfig
from s2dcli.faces import Detections, create_detector
from s2dcli.pipeline import (
    CutClip,
    DetectorPool,
    FaceClipOptions,
    Pipeline,
    PipelineOptions,
    read_face_clips,
)
from s2dcli.pipeline.classify import ClipScores
from tests import faces_media as fm
from tests.engine.videos import write_frames

QUEUE = None


class FixedCostModel:
    """Stands in for the classifier with a fixed wall-clock cost per batch (a sleep)."""

    def __init__(self, seconds_per_batch: float, num_frames: int = 16, size: int = 224) -> None:
        self.seconds = seconds_per_batch
        self.num_frames, self.size = num_frames, size
        self.device = torch.device("cpu")
        self.halvings = 0

    def __call__(self, clips: torch.Tensor, count: int | None = None) -> ClipScores:
        time.sleep(self.seconds)
        n = clips.shape[0] if count is None else count
        probs = np.full((n, 7), 1 / 7, np.float32)
        return ClipScores(probs, probs)


def face_videos(root: Path, count: int, seconds: float) -> list[Path]:
    photo = fm.group_photo(1280)
    frames = round(seconds * 25)
    paths = []
    for i in range(count):
        clip = fm.pan(photo, 640, 360, frames, step=(2.0 + i, 0.5), start=(40.0 * i, 20.0))
        paths.append(write_frames(root / f"faces{i}.mp4", clip.frames, fps=25))
    return paths


def scan_only(paths: list[Path], options: FaceClipOptions, workers: int, batch: int) -> int:
    """Decode + detect + crop + batch everything, with no model: returns the batch count."""
    pool = DetectorPool(lambda: create_detector("mtcnn", threads=1))

    def stream(path: Path):
        detector = pool.acquire()
        try:
            yield from read_face_clips(path, detector, options)
        finally:
            pool.release(detector)

    try:
        items = chain_streams(paths, stream, workers, QUEUE or batch)
        array_of = lambda item: item.frames if isinstance(item, CutClip) else None  # noqa: E731
        steps = collate(items, array_of, batch, ramp=True)
        return sum(isinstance(step, Batch) for step in steps)
    finally:
        pool.close()


def end_to_end(
    paths: list[Path], options: FaceClipOptions, workers: int, batch: int, model: FixedCostModel
) -> int:
    pool = DetectorPool(lambda: create_detector("mtcnn", threads=1))
    engine = Pipeline(
        model,
        pool,
        options,  # type: ignore[arg-type]
        PipelineOptions(batch_size=batch, workers=workers, queue_clips=QUEUE),
    )
    try:
        return sum(len(r.clips) for r in engine.run(paths))
    finally:
        pool.close()


class NoFaces:
    """A detector that finds nothing at no cost: what remains of a scan is its decoding."""

    name = "no-faces"

    def detect(self, image: np.ndarray) -> Detections:
        return Detections.empty()


def decode_in_engine(path: Path) -> int:
    items = list(read_face_clips(path, NoFaces(), FaceClipOptions(detect_every=1)))  # type: ignore[arg-type]
    return items[-1].frames  # type: ignore[union-attr]


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def summary(name: str, values: list[float]) -> str:
    return f"{name:38s} median {statistics.median(values):7.3f}  best {min(values):7.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--queue", type=int, default=None)
    args = parser.parse_args()
    global QUEUE
    QUEUE = args.queue
    torch.set_num_threads(1)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plain = make_video(root / "plain.mp4", 10, 640, 360, 30, 250)
        videos = face_videos(root, args.videos, args.seconds)
        options = FaceClipOptions(clips=ClipConfig(), detect_every=5)

        # 1. decoding inside the engine: a scan (auto backend) whose detector costs nothing
        times: dict[str, list[float]] = {"raw decord": [], "raw pyav": [], "engine": []}
        for round_ in range(args.rounds + 1):
            t_decord, n = timed(lambda: raw_decord_next(plain, 0))
            t_pyav, _ = timed(lambda: raw_pyav_reformatter(plain, 0))
            t_engine, m = timed(lambda: decode_in_engine(plain))
            assert n == m, (n, m)
            if round_:
                times["raw decord"].append(t_decord)
                times["raw pyav"].append(t_pyav)
                times["engine"].append(t_engine)
        print(f"1. decode {plain.name}: 640x360, {n} frames (seconds per pass)")
        for name, values in times.items():
            print("   " + summary(name, values))
        backend = "decord" if AUTO_PREFERS_DECORD and decord_module() else "pyav"
        for label, raw in (
            (f"the same decoder (raw {backend})", times[f"raw {backend}"]),
            (
                "the fastest raw loop",
                [min(d, p) for d, p in zip(times["raw decord"], times["raw pyav"], strict=True)],
            ),
        ):
            ratios = [r / e for r, e in zip(raw, times["engine"], strict=True)]
            print(
                f"   engine throughput / {label}, per round: "
                f"{' '.join(f'{r:.3f}' for r in ratios)}; median "
                f"{statistics.median(ratios):.3f}"
            )

        # 2. overlap with a fixed-cost model
        scan_s, batches = timed(lambda: scan_only(videos, options, args.workers, args.batch_size))
        cost = scan_s / max(batches, 1)  # model time ~= scan time
        model = FixedCostModel(cost)
        rows: dict[str, list[float]] = {"scan only": [], "model only": [], "end to end": []}
        for round_ in range(args.rounds + 1):
            t_scan, batches = timed(
                lambda: scan_only(videos, options, args.workers, args.batch_size)
            )
            t_e2e, clips = timed(
                lambda: end_to_end(videos, options, args.workers, args.batch_size, model)
            )
            if round_:
                rows["scan only"].append(t_scan)
                rows["model only"].append(batches * cost)
                rows["end to end"].append(t_e2e)
        print(
            f"2. overlap: {len(videos)} videos x {args.seconds:g} s, 640x360 real faces, "
            f"{clips} clips in {batches} batches, model {cost * 1000:.0f} ms/batch"
        )
        for name, values in rows.items():
            print("   " + summary(name, values))
        overlap = [
            e / max(s, m)
            for s, m, e in zip(
                rows["scan only"], rows["model only"], rows["end to end"], strict=True
            )
        ]
        print(
            f"   end to end / slower stage, per round: "
            f"{' '.join(f'{r:.3f}' for r in overlap)}; median {statistics.median(overlap):.3f}"
            f"  (target <= 1.15)"
        )


if __name__ == "__main__":
    main()
