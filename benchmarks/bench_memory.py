"""Peak memory of `s2d annotate` on a long video against the same run on a short one.

For each frame size and face detector, two generated H.264 videos (a camera pan with a real face
sliding across it, `s2dcli.benchmark.make_video`) that differ only in length are annotated by
the real CLI in two subprocesses started side by side, with the tiny golden weights on the CPU;
each one's peak resident memory comes from `os.wait4`. Flat memory means the ratio long / short
stays near 1 (target: at most 1.2 for 10 minutes against 10 seconds).

    python benchmarks/bench_memory.py                                # 10 s vs 600 s, ~20 min
    python benchmarks/bench_memory.py --long 120 --sizes 320x240 --faces none   # ~1 min

`--faces auto` is the CLI's default: SCRFD when InsightFace's pack is installed, else the
offline MTCNN (what it is on a machine without the pack).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from s2dcli.benchmark.media import make_video  # noqa: E402

GOLDEN = ROOT / "tests" / "data" / "golden"
TARGET = 1.2


@dataclass(frozen=True)
class Run:
    """One `s2d annotate` subprocess: its video and what it cost."""

    size: str
    faces: str
    seconds: float
    peak_rss_mib: float
    wall_s: float
    clips: int


def tiny_weights() -> list[str]:
    """The CLI options that load the tiny golden model (no download)."""
    return [
        "--weights",
        str(GOLDEN / "tinyA_s2d.pth"),
        "--model-config",
        str(GOLDEN / "tinyA_config.json"),
        "--landmark-weights",
        str(GOLDEN / "tinyA_landmark.pth.tar"),
        "--classes",
        "dfew",
    ]


def video_for(folder: Path, size: str, seconds: float) -> Path:
    """The generated video of this size and length (made once per folder)."""
    width, height = (int(v) for v in size.split("x"))
    path = folder / f"pan_{size}_{seconds:g}s.mp4"
    if not path.exists():
        make_video(path, seconds, width, height)
    return path


def start(video: Path, faces: str, out: Path) -> subprocess.Popen[bytes]:
    """Start `s2d annotate` on one video; its output goes to `out`."""
    command = [sys.executable, "-m", "s2dcli", "annotate", str(video)]
    command += ["-o", str(out / "clips.csv"), "--faces", faces, "--device", "cpu", "--quiet"]
    command += tiny_weights()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def finish(process: subprocess.Popen[bytes], started: float) -> tuple[float, float]:
    """Wait for `process`; its peak RSS in MiB and its wall seconds."""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise RuntimeError(f"s2d annotate exited {process.returncode}:\n{stderr[-2000:]}")
    return usage.ru_maxrss / 1024, wall  # ru_maxrss is in KiB on Linux


def count_clips(out: Path) -> int:
    with open(out / "clips.csv", encoding="utf-8") as f:
        return max(0, sum(1 for _ in f) - 1)


def measure_pair(
    folder: Path, size: str, faces: str, short_s: float, long_s: float
) -> tuple[Run, Run]:
    """The short and the long run of one size and detector, started together."""
    videos = [video_for(folder, size, s) for s in (short_s, long_s)]
    outs = [Path(tempfile.mkdtemp(prefix="s2d-mem-", dir=folder)) for _ in videos]
    clock = time.perf_counter()
    processes = [start(v, faces, o) for v, o in zip(videos, outs, strict=True)]
    results = [finish(p, clock) for p in processes]
    short, long = (
        Run(size, faces, s, round(rss, 1), round(wall, 1), count_clips(o))
        for s, (rss, wall), o in zip((short_s, long_s), results, outs, strict=True)
    )
    return short, long


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", type=float, default=10.0, help="seconds of the short video")
    parser.add_argument("--long", type=float, default=600.0, help="seconds of the long video")
    parser.add_argument("--sizes", default="320x240,1280x720", help="comma-separated WxH")
    parser.add_argument("--faces", default="none,auto", help="comma-separated --faces specs")
    parser.add_argument("--folder", type=Path, help="keep the videos here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args(argv)

    folder = args.folder or Path(tempfile.mkdtemp(prefix="s2d-bench-memory-"))
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    ratios: list[float] = []
    print(f"{'size':>9} {'faces':>5} {'short MiB':>9} {'long MiB':>9} {'ratio':>6} {'long s':>7}")
    for size in args.sizes.split(","):
        for faces in args.faces.split(","):
            short, long = measure_pair(folder, size, faces, args.short, args.long)
            ratio = long.peak_rss_mib / short.peak_rss_mib
            ratios.append(ratio)
            rows.append({"short": asdict(short), "long": asdict(long), "ratio": round(ratio, 3)})
            print(
                f"{size:>9} {faces:>5} {short.peak_rss_mib:9.0f} {long.peak_rss_mib:9.0f} "
                f"{ratio:6.2f} {long.wall_s:7.0f}",
                flush=True,
            )
    worst = max(ratios)
    print(
        f"peak RSS, {args.long:g} s video / {args.short:g} s video: worst {worst:.2f} "
        f"(target <= {TARGET})"
    )
    if args.json:
        args.json.write_text(json.dumps({"runs": rows, "worst_ratio": worst}, indent=2) + "\n")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
