"""Peak memory of `s2d annotate` on a long video against the same run on a short one.

For each frame size and face detector, two generated H.264 videos (a camera pan with a real face
sliding across it, `s2dcli.benchmark.make_video`) that differ only in length are annotated by
the real CLI in two subprocesses started side by side, with the tiny golden weights on the CPU;
each one's peak resident memory comes from `os.wait4`. Flat memory means the ratio long / short
stays near 1 (target: at most 1.2 for 10 minutes against 10 seconds). A thread also reads each
child's high-water mark (`VmHWM`) twice a second: "long, by half-time" is the long run's peak
when half its time had passed, so a peak already reached then did not grow in the second half.

    python benchmarks/bench_memory.py              # 10 s vs 600 s; 1280x720 with MTCNN is slow
    python benchmarks/bench_memory.py --long 120 --sizes 320x240 --faces none   # about a minute

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
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from s2dcli.benchmark.media import make_video  # noqa: E402

GOLDEN = ROOT / "tests" / "data" / "golden"
TARGET = 1.2
SAMPLE_S = 0.5  # how often the children's high-water mark is read


@dataclass(frozen=True)
class Run:
    """One `s2d annotate` subprocess: its video and what it cost."""

    size: str
    faces: str
    seconds: float
    peak_rss_mib: float
    half_time_rss_mib: float | None  # the peak RSS when half of the run's time had passed
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


class Child:
    """One running `s2d annotate`, with a thread that samples its memory high-water mark."""

    def __init__(self, video: Path, faces: str, out: Path) -> None:
        command = [sys.executable, "-m", "s2dcli", "annotate", str(video)]
        command += ["-o", str(out / "clips.csv"), "--faces", faces, "--device", "cpu", "--quiet"]
        command += tiny_weights()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.stderr_path = out / "stderr.txt"
        with open(self.stderr_path, "wb") as stderr:  # a file, so a chatty child never blocks
            self.process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=stderr, env=env
            )
        self.started = time.perf_counter()
        self.samples: list[tuple[float, float]] = []  # (seconds since start, VmHWM MiB)
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        status = Path(f"/proc/{self.process.pid}/status")
        while self.process.returncode is None:
            try:
                lines = status.read_text().splitlines()
            except OSError:  # exited (or not Linux)
                return
            for line in lines:
                if line.startswith("VmHWM:"):  # peak RSS so far, in kB
                    when = time.perf_counter() - self.started
                    self.samples.append((when, int(line.split()[1]) / 1024))
            time.sleep(SAMPLE_S)

    def finish(self) -> tuple[float, float, float | None]:
        """Wait for the child: its peak RSS in MiB, its wall seconds, and its peak RSS by
        half of that time (None if never sampled)."""
        _, status, usage = os.wait4(self.process.pid, 0)
        wall = time.perf_counter() - self.started
        self.process.returncode = os.waitstatus_to_exitcode(status)
        self._sampler.join()
        if self.process.returncode != 0:
            stderr = self.stderr_path.read_text(errors="replace")
            raise RuntimeError(f"s2d annotate exited {self.process.returncode}:\n{stderr[-2000:]}")
        early = [mib for when, mib in self.samples if when <= wall / 2]
        return usage.ru_maxrss / 1024, wall, (max(early) if early else None)  # ru_maxrss: KiB


def count_clips(out: Path) -> int:
    with open(out / "clips.csv", encoding="utf-8") as f:
        return max(0, sum(1 for _ in f) - 1)


def measure_pair(
    folder: Path, size: str, faces: str, short_s: float, long_s: float
) -> tuple[Run, Run]:
    """The short and the long run of one size and detector, started together."""
    videos = [video_for(folder, size, s) for s in (short_s, long_s)]
    outs = [Path(tempfile.mkdtemp(prefix="s2d-mem-", dir=folder)) for _ in videos]
    children = [Child(v, faces, o) for v, o in zip(videos, outs, strict=True)]
    results = [child.finish() for child in children]
    short, long = (
        Run(
            size,
            faces,
            s,
            round(rss, 1),
            None if half is None else round(half, 1),
            round(wall, 1),
            count_clips(o),
        )
        for s, (rss, wall, half), o in zip((short_s, long_s), results, outs, strict=True)
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
    print(
        f"{'size':>9} {'faces':>5} {'short MiB':>9} {'long MiB':>9} {'ratio':>6} "
        f"{'long, by half-time':>18} {'long s':>7}"
    )
    for size in args.sizes.split(","):
        for faces in args.faces.split(","):
            short, long = measure_pair(folder, size, faces, args.short, args.long)
            ratio = long.peak_rss_mib / short.peak_rss_mib
            ratios.append(ratio)
            rows.append({"short": asdict(short), "long": asdict(long), "ratio": round(ratio, 3)})
            half = "-" if long.half_time_rss_mib is None else f"{long.half_time_rss_mib:.0f}"
            print(
                f"{size:>9} {faces:>5} {short.peak_rss_mib:9.0f} {long.peak_rss_mib:9.0f} "
                f"{ratio:6.2f} {half:>18} {long.wall_s:7.0f}",
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
