"""Front-to-back decode throughput: raw decord and raw PyAV loops against the engine's readers.

The engine reads each video once, in order, through a decode thread; it should keep at least
0.9x the frames/s of the raw decoder loop on the same file. Measured per backend:
- raw loops: decord `next()` and `get_batch`; PyAV `to_ndarray(format="rgb24")` (the common
  idiom, which builds a new swscale context per frame), PyAV with one reused `VideoReformatter`,
  and that loop copying each frame into a batch (the like-for-like reference for batches);
- the engine: `for frame in reader` (zero-copy views) and `reader.iter_batches(max_frames)`.
Runs alternate after a warm-up round so that machine noise hits all alike; medians and bests
per method, and their ratios, are printed. Every run includes opening the file (for the engine:
the PyAV probe, plus decord's indexing pass), as every raw run includes its own open.

    python benchmarks/bench_decode.py [--video FILE] [--rounds 5] [--seconds 10]
        [--width 640 --height 360 --fps 30 --gop 250] [--max-frames 32] [--threads 0]

Without --video, a panning, textured H.264 clip is written to a temporary directory.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from engine.video import open_video


def make_video(path: Path, seconds: float, width: int, height: int, fps: int, gop: int) -> Path:
    """A camera pan over a blurred random texture plus a moving noisy patch (long-GOP H.264)."""
    rng = np.random.default_rng(0)
    frames = round(seconds * fps)
    small = rng.integers(0, 256, (height // 8 + 1, (width + 2 * frames) // 8 + 1, 3), np.uint8)
    texture = np.repeat(np.repeat(small, 8, 0), 8, 1).astype(np.uint16)
    texture = ((texture + np.roll(texture, 3, 0) + np.roll(texture, 5, 1)) // 3).astype(np.uint8)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = gop
        stream.codec_context.options = {"preset": "veryfast", "crf": "20"}
        for i in range(frames):
            image = np.ascontiguousarray(texture[:height, 2 * i : 2 * i + width])
            y, x = (i * 3) % (height - 64), (i * 5) % (width - 64)
            image[y : y + 64, x : x + 64] = rng.integers(0, 256, (64, 64, 3), np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return path


def raw_pyav(path: Path, threads: int) -> int:
    """The plain PyAV loop: decode, convert each frame to an RGB array."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        count = 0
        for frame in container.decode(stream):
            frame.to_ndarray(format="rgb24")
            count += 1
    return count


def raw_pyav_reformatter(path: Path, threads: int) -> int:
    """PyAV with one `VideoReformatter` for all frames (`to_ndarray(format=...)` makes a new
    swscale context, with its own thread pool, for every frame)."""
    from av.video.reformatter import VideoReformatter

    reformatter = VideoReformatter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        count = 0
        for frame in container.decode(stream):
            reformatter.reformat(frame, format="rgb24").to_ndarray()
            count += 1
    return count


def raw_pyav_batches(path: Path, threads: int, size: int = 32) -> int:
    """PyAV with one `VideoReformatter`, each frame copied into a (size, H, W, 3) batch."""
    from av.video.reformatter import VideoReformatter

    reformatter = VideoReformatter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        count = 0
        batch = np.empty((size, stream.height, stream.width, 3), np.uint8)
        for frame in container.decode(stream):
            batch[count % size] = reformatter.reformat(frame, format="rgb24").to_ndarray()
            count += 1
    return count


def raw_decord_next(path: Path, threads: int) -> int:
    """The plain decord loop: `next()` and `asnumpy()` per frame."""
    import decord

    reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=threads)
    count = 0
    for _ in range(len(reader)):
        reader.next().asnumpy()
        count += 1
    return count


def raw_decord_batch(path: Path, threads: int, size: int = 32) -> int:
    """decord `get_batch` over consecutive ranges, `asnumpy()` per batch."""
    import decord

    reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=threads)
    total = len(reader)
    count = 0
    for start in range(0, total, size):
        count += len(reader.get_batch(list(range(start, min(total, start + size)))).asnumpy())
    return count


def engine(path: Path, backend: str, threads: int, max_frames: int) -> int:
    """`iter_batches`: frames copied once into contiguous uint8 (N, H, W, 3) batches."""
    with open_video(path, backend=backend, threads=threads) as video:  # type: ignore[arg-type]
        return sum(len(batch) for batch in video.iter_batches(max_frames=max_frames))


def engine_frames(path: Path, backend: str, threads: int) -> int:
    """Per-frame iteration: read-only views of the decoder's output, no copy."""
    with open_video(path, backend=backend, threads=threads) as video:  # type: ignore[arg-type]
        return sum(1 for _ in video)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, help="video to read (default: generate one)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per method")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--gop", type=int, default=250)
    parser.add_argument("--max-frames", type=int, default=32, help="engine batch size")
    parser.add_argument("--threads", type=int, default=0, help="decoder threads (0: auto)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = args.video
        if path is None:
            path = make_video(
                Path(tmp) / "bench.mp4", args.seconds, args.width, args.height, args.fps, args.gop
            )
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            print(
                f"{path.name}: {stream.codec_context.name} {stream.width}x{stream.height} "
                f"{float(stream.average_rate or 0):.2f} fps, {stream.frames} frames, "
                f"{path.stat().st_size / 1e6:.1f} MB"
            )
        t = args.threads
        methods: dict[str, Callable[[], int]] = {
            "raw decord next()": lambda: raw_decord_next(path, t),
            "raw decord get_batch": lambda: raw_decord_batch(path, t),
            "engine decord batches": lambda: engine(path, "decord", t, args.max_frames),
            "engine decord frames": lambda: engine_frames(path, "decord", t),
            "raw pyav to_ndarray": lambda: raw_pyav(path, t),
            "raw pyav reformatter": lambda: raw_pyav_reformatter(path, t),
            "raw pyav into batches": lambda: raw_pyav_batches(path, t),
            "engine pyav batches": lambda: engine(path, "pyav", t, args.max_frames),
            "engine pyav frames": lambda: engine_frames(path, "pyav", t),
        }
        rates: dict[str, list[float]] = {name: [] for name in methods}
        frames: dict[str, int] = {}
        for round_ in range(args.rounds + 1):  # round 0 warms up
            for name, fn in methods.items():
                start = time.perf_counter()
                frames[name] = fn()
                elapsed = time.perf_counter() - start
                if round_:
                    rates[name].append(frames[name] / elapsed)

    medians = {name: statistics.median(r) for name, r in rates.items()}
    bests = {name: max(r) for name, r in rates.items()}
    print(f"{'method':24s} {'frames':>6s} {'median fps':>10s} {'best fps':>9s}   per round")
    for name, r in rates.items():
        rounds = " ".join(f"{x:.0f}" for x in r)
        print(f"{name:24s} {frames[name]:6d} {medians[name]:10.1f} {bests[name]:9.1f}   {rounds}")

    # Ratios of medians, and of bests (the best round is the least disturbed on a shared host).
    # "raw decord" / "raw pyav" is the faster raw loop, which hands frames out without a copy;
    # the batch-making raw loops (get_batch, "into batches") are the like-for-like reference
    # for iter_batches.
    decord_raws = ("raw decord next()", "raw decord get_batch")
    pyav_raws = ("raw pyav to_ndarray", "raw pyav reformatter")
    comparisons = [
        ("engine decord frames", decord_raws, "best raw decord loop"),
        ("engine decord batches", decord_raws, "best raw decord loop"),
        ("engine decord batches", ("raw decord get_batch",), "raw decord get_batch"),
        ("engine pyav frames", pyav_raws, "best raw pyav loop"),
        ("engine pyav batches", pyav_raws, "best raw pyav loop"),
        ("engine pyav batches", ("raw pyav into batches",), "raw pyav into batches"),
        ("raw pyav reformatter", ("raw decord next()",), "raw decord next()"),
    ]
    print(f"{'ratio':48s} {'medians':>7s} {'bests':>6s}")
    for numerator, raw_names, label in comparisons:
        by_median = medians[numerator] / max(medians[n] for n in raw_names)
        by_best = bests[numerator] / max(bests[n] for n in raw_names)
        print(f"{numerator + ' / ' + label:48s} {by_median:7.3f} {by_best:6.3f}")


if __name__ == "__main__":
    main()
