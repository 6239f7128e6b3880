"""Throughput of `--executor ray` with 1 and 2 workers on a local Ray instance, next to the
local executor, on the same generated videos (and a check that all give the same scores).

Each run is timed in two parts: start-up (connecting, every worker loading the model) and
processing (the videos, from all workers ready to the last result). The scaling figure is the
processing rate of N workers over that of one; on a machine shared with other work it is
bounded by the cores left free, so the CPU seconds spent per clip are shown too (as many per
clip with N workers as with one: the workers scale with the cores they get). The
probabilities of every run are compared with the first run's, rounded as the output files
keep them: they must all be equal (the workers run one thread each, the local run all cores).

Model: `tiny` is the golden test checkpoint (decode and face detection dominate); `full` is a
full-size S2D (ViT-B/16, 16 frames, 224 px) with random weights, written to a temporary file:
the model dominates, as with real weights on CPU. Scores from random weights mean nothing;
the cost is the real one.

    python benchmarks/bench_ray_scaling.py [--model tiny|full] [--faces mtcnn|none]
        [--videos 12] [--seconds 4] [--workers 1,2] [--cpus 2] [--rounds 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.faces_media

from s2dcli.config import AnnotateConfig
from s2dcli.executors import open_executor
from s2dcli.executors.ray_executor import RayExecutor
from s2dcli.faces.whole_frame import WHOLE_FRAME, is_whole_frame
from tests import faces_media as fm
from tests.engine.videos import write_frames, write_video

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "data" / "golden"


def make_videos(folder: Path, count: int, seconds: float, faces: str) -> None:
    frames = int(seconds * 25)
    folder.mkdir(parents=True, exist_ok=True)
    if is_whole_frame(faces):
        for i in range(count):
            write_video(folder / f"v{i:02d}.mp4", frames, height=112, width=128, fps=25)
        return
    photo = fm.group_photo(960)
    for i in range(count):
        pan = fm.pan(photo, 320, 240, frames, step=(1.0 + 0.1 * i, 0.3), start=(250 + 10 * i, 40))
        write_frames(folder / f"v{i:02d}.mp4", pan.frames)


def model_files(kind: str, folder: Path) -> dict[str, str]:
    if kind == "tiny":
        return {
            "weights": str(GOLDEN / "tinyA_s2d.pth"),
            "model_config": str(GOLDEN / "tinyA_config.json"),
            "landmark_weights": str(GOLDEN / "tinyA_landmark.pth.tar"),
        }
    import torch

    from s2dcli.models import S2D, S2DConfig
    from s2dcli.models.landmarks import LandmarkNet

    torch.manual_seed(0)
    weights, landmarks = folder / "full_random_s2d.pth", folder / "full_random_landmark.pth"
    torch.save(S2D(S2DConfig()).state_dict(), weights)
    torch.save(LandmarkNet().state_dict(), landmarks)
    return {"weights": str(weights), "landmark_weights": str(landmarks)}


def timed_run(paths: list[Path], options: AnnotateConfig) -> tuple[dict[str, float], list]:
    """Start the executor (timed), wait until all its workers loaded, then time the videos."""
    started = time.perf_counter()
    executor = open_executor(options)
    try:
        if isinstance(executor, RayExecutor):
            executor.wait_ready()
        ready, cpu = time.perf_counter(), time.process_time()
        results = list(executor.run(paths))
        end = time.perf_counter()
        cpu_s = (
            executor.counters.cpu_s
            if isinstance(executor, RayExecutor)
            else time.process_time() - cpu
        )
    finally:
        executor.close()
    clips = sum(len(r.clips) for r in results)
    answers = [
        (
            r.index,
            c.spec.face_id,
            c.spec.clip_index,
            c.spec.start_frame,
            *np.round(c.probs.astype(np.float64), 6),
        )
        for r in results
        for c in r.clips
    ]
    return {
        "startup_s": ready - started,
        "processing_s": end - ready,
        "videos": len(results),
        "clips": clips,
        "clips_per_s": clips / (end - ready),
        "cpu_s": cpu_s,
        "clips_per_cpu_s": clips / cpu_s,
    }, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=["tiny", "full"], default="tiny")
    parser.add_argument("--faces", choices=["mtcnn", WHOLE_FRAME], default="mtcnn")
    parser.add_argument("--videos", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--workers", default="1,2", help="Ray worker counts to measure")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray instance")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-local", action="store_true", help="skip the local executor")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import ray

    tmp = Path(tempfile.mkdtemp(prefix="s2d-bench-ray-"))
    videos = tmp / "videos"
    make_videos(videos, args.videos, args.seconds, args.faces)
    base = AnnotateConfig.from_kwargs(
        **model_files(args.model, tmp), classes="dfew", faces=args.faces, device="cpu"
    )
    runs = [] if args.no_local else [("local", base)]
    for count in (int(c) for c in args.workers.split(",")):
        runs.append(
            (
                f"ray x{count}",
                base.replace(executor="ray", ray_workers=count, cpus_per_worker=1),
            )
        )
    ray.init(num_cpus=args.cpus, include_dashboard=False, logging_level=logging.WARNING)
    paths = sorted(videos.glob("*.mp4"))
    rows: list[dict[str, object]] = []
    reference = None
    try:
        for round_ in range(args.rounds):
            for name, options in runs:
                timing, answers = timed_run(paths, options)
                reference = reference or answers
                assert [a[:4] for a in answers] == [r[:4] for r in reference], "other clips"
                differ = sum(
                    x != y
                    for a, r in zip(answers, reference, strict=True)
                    for x, y in zip(a[4:], r[4:], strict=True)
                )
                row = {
                    "run": name,
                    "round": round_,
                    **timing,
                    "probs_differing": differ,
                    "probs": len(answers) * (len(answers[0]) - 4) if answers else 0,
                }
                rows.append(row)
                print(
                    f"{name:9s} round {round_}: start-up {row['startup_s']:6.1f} s, "
                    f"{row['videos']} videos / {row['clips']} clips in "
                    f"{row['processing_s']:6.1f} s = {row['clips_per_s']:6.2f} clips/s "
                    f"({row['cpu_s']:.1f} CPU s), "
                    f"probabilities (6 decimals) unlike the first run's: "
                    f"{row['probs_differing']} of {row['probs']}",
                    flush=True,
                )
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    best: dict[str, float] = {}
    cost: dict[str, float] = {}
    for row in rows:
        name = str(row["run"])
        best[name] = max(best.get(name, 0.0), float(row["clips_per_s"]))  # type: ignore[arg-type]
        cost[name] = max(cost.get(name, 0.0), float(row["clips_per_cpu_s"]))  # type: ignore[arg-type]
    one, one_cost = best.get("ray x1"), cost.get("ray x1")
    print(
        f"\nmodel {args.model}, faces {args.faces}, {args.videos} videos x {args.seconds:g} s, "
        f"{args.cpus} CPUs for Ray (best of {args.rounds}):"
    )
    for name, rate in best.items():
        ratio = f"{rate / one:.2f}x ray x1" if one else ""
        per_cpu = f"{cost[name] / one_cost:.2f}x ray x1" if one_cost else ""
        print(
            f"  {name:9s} {rate:7.3f} clips/s  {ratio:14s} {cost[name]:7.3f} clips per CPU s "
            f"{per_cpu}"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"args": vars(args), "rows": rows, "best_clips_per_s": best}, indent=2, default=str
            )
        )


if __name__ == "__main__":
    main()
