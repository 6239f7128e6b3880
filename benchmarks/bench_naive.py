"""The engine end to end against a naive baseline: same videos, same detector, same model.

The naive baseline is what a first script would do: video after video, decode with
`cv2.VideoCapture`, run the face detector on every frame, crop the best face of each frame,
cut the face's frames into the same clips the engine cuts (`sample_clips`: 2 s windows, 1 s
stride, T frames each), and run the model on one clip at a time (batch 1, no padding row).
The engine reads `--workers` videos at once, detects every `--detect-every`-th frame and tracks
in between, and runs the model on batches of `--batch-size` clips while the next ones are cut.

Rounds alternate (naive, engine, engine, naive, ...) after a warm-up, so machine noise hits
both alike; the figure of merit is the median of the per-round ratios naive / engine.
Target (issue 6): the engine at least 3x faster end to end.

    python benchmarks/bench_naive.py --model s2d_test --videos 4 --seconds 4      # ~1 min
    python benchmarks/bench_naive.py --model s2d_base_patch16_224 --videos 2 --seconds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the CLI (engine.threads), before torch

import cv2
import numpy as np
import torch

from engine.crop import crop_face
from engine.device import inference_context
from s2dcli.benchmark import make_video
from s2dcli.clips import ClipConfig, TrackFrames, sample_clips
from s2dcli.faces import create_detector
from s2dcli.models import S2D, LandmarkNet, create_model
from s2dcli.pipeline import (
    Classifier,
    DetectorPool,
    FaceClipOptions,
    Pipeline,
    PipelineOptions,
)
from s2dcli.pipeline.classify import FrameNormalizer


class Naive:
    """Sequential per video: OpenCV decode, detection on every frame, one clip at a time."""

    def __init__(
        self, model: S2D, landmarks: LandmarkNet, device: torch.device, detector_threads: int | None
    ) -> None:
        self.model, self.landmarks, self.device = model, landmarks, device
        self.detector = create_detector("mtcnn", threads=detector_threads)
        self.normalize = FrameNormalizer(device)
        cfg = model.config
        self.clips = ClipConfig(num_frames=cfg.num_frames)
        self.size = cfg.img_size
        self.timings = dict.fromkeys(("decode", "detect", "crop", "model"), 0.0)

    def run(self, paths: list[Path]) -> int:
        return sum(self.video(path) for path in paths)

    def video(self, path: Path) -> int:
        t = self.timings
        capture = cv2.VideoCapture(str(path))
        fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        indices, boxes, scores, crops = [], [], [], []
        index = 0
        while True:
            clock = time.perf_counter()
            ok, bgr = capture.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            now = time.perf_counter()
            t["decode"] += now - clock
            found = self.detector.detect(rgb)
            clock = time.perf_counter()
            t["detect"] += clock - now
            if len(found):
                box = found.boxes[0]  # best score first
                crops.append(crop_face(rgb, box, self.size))
                indices.append(index)
                boxes.append([box[0], box[1], box[2] - box[0], box[3] - box[1]])
                scores.append(found.scores[0])
            t["crop"] += time.perf_counter() - clock
            index += 1
        capture.release()
        if not indices:
            return 0
        track = TrackFrames(
            0,
            np.array(indices),
            np.array(indices) / fps,
            np.array(boxes, np.float32),
            np.array(scores, np.float32),
        )
        specs = sample_clips(track, self.clips)
        clock = time.perf_counter()
        with inference_context(self.device):  # as the engine: bf16 autocast on CUDA
            for spec in specs:
                clip = torch.from_numpy(np.stack([crops[p] for p in spec.positions]))[None]
                frames = self.normalize(clip.to(self.device))
                logits, _ = self.model.forward_head(
                    self.model.forward_features(frames, self.landmarks(frames))
                )
                logits.softmax(dim=-1).cpu()  # the answer on the host, as the engine's
        t["model"] += time.perf_counter() - clock
        return len(specs)

    def close(self) -> None:
        self.detector.close()


def engine_run(classifier: Classifier, paths: list[Path], args: argparse.Namespace) -> int:
    pool = DetectorPool(lambda: create_detector("mtcnn", threads=args.engine_detector_threads))
    cfg = classifier.model.config
    scan = FaceClipOptions(
        clips=ClipConfig(num_frames=cfg.num_frames),
        crop_size=cfg.img_size,
        detect_every=args.detect_every,
    )
    engine = Pipeline(
        classifier, pool, scan, PipelineOptions(batch_size=args.batch_size, workers=args.workers)
    )
    try:
        clips = sum(len(r.clips) for r in engine.run(paths))
    finally:
        pool.close()
    engine_run.stats = engine.stats.as_dict()  # type: ignore[attr-defined]
    return clips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="s2d_test")
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each video")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds (after a warm-up)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--detect-every", type=int, default=5)
    parser.add_argument("--engine-detector-threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="the model's device (detection: CPU)")
    args = parser.parse_args()

    torch.manual_seed(0)
    model, landmarks = create_model(args.model).eval(), LandmarkNet().eval()
    device = torch.device(args.device)
    classifier = Classifier(model.to(device), landmarks.to(device), device)
    naive = Naive(model, landmarks, device, detector_threads=None)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [
            make_video(Path(tmp) / f"v{i}.mp4", args.seconds, args.width, args.height, seed=i)
            for i in range(args.videos)
        ]
        # warm-up: first model calls, ONNX sessions, file cache
        warm = paths[0]
        naive.video(warm)
        classifier(torch.zeros((args.batch_size, *classifier.clip_shape), dtype=torch.uint8))
        naive.timings = dict.fromkeys(naive.timings, 0.0)
        times: dict[str, list[float]] = {"naive": [], "engine": []}
        clips: dict[str, int] = {}
        runs = {
            "naive": lambda: naive.run(paths),
            "engine": lambda: engine_run(classifier, paths, args),
        }
        for round_ in range(args.rounds):
            order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
            for name in order:
                start = time.perf_counter()
                clips[name] = runs[name]()
                times[name].append(time.perf_counter() - start)
    naive.close()

    video_s = args.videos * args.seconds
    print(
        f"model={args.model} ({model.config.num_frames} frames of {model.config.img_size} px) "
        f"on {device}, torch threads={torch.get_num_threads()} videos={args.videos} x "
        f"{args.seconds:g} s {args.width}x{args.height} rounds={args.rounds}"
    )
    print(
        f"engine: batch {args.batch_size}, {args.workers} workers, detect every "
        f"{args.detect_every}, detector threads {args.engine_detector_threads}; naive: "
        "cv2 decode, detect every frame, batch 1"
    )
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"  {name:7s} median {median:7.2f} s  best {min(values):7.2f} s  "
            f"{video_s / median:6.2f} video-s/s  {clips[name]} clips  "
            f"{clips[name] / median:6.3f} clips/s"
        )
    per_round = {k: v / args.rounds for k, v in naive.timings.items()}
    print("  naive per round: " + ", ".join(f"{k} {v:.2f} s" for k, v in per_round.items()))
    stats = engine_run.stats  # type: ignore[attr-defined]
    print(
        "  engine last run (thread-seconds): "
        + ", ".join(
            f"{k} {stats[k]:.2f} s" for k in ("decode_s", "detect_s", "crop_s", "model_s", "wait_s")
        )
    )
    ratios = [n / e for n, e in zip(times["naive"], times["engine"], strict=True)]
    print(
        f"  naive / engine per round: {' '.join(f'{r:.2f}' for r in ratios)}; median "
        f"{statistics.median(ratios):.2f} (target >= 3)"
    )
    # Batching buys little on a CPU (the GEMMs are large already at batch 1), so an engine that
    # made everything but the model free would still be bounded by the model's time:
    print(
        f"  ceiling with the model's time unchanged (naive / its model time): "
        f"{statistics.median(times['naive']) / per_round['model']:.2f}"
    )


if __name__ == "__main__":
    main()
