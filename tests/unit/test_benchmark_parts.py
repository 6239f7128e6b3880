"""The parts of `s2d benchmark`: batch-size parsing, alternating timed rounds, the overlap
figures, and the batch-size sweep ending at an out-of-memory error."""

from __future__ import annotations

import pytest
import torch

from s2dcli.benchmark import (
    Timing,
    bound_by,
    detected_frames,
    paired_ratio,
    parse_batch_sizes,
    stage_estimates,
    timed_rounds,
)
from s2dcli.errors import InputError
from s2dcli.pipeline import FaceClipOptions

CPU = torch.device("cpu")


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("1,8,32,128", (1, 8, 32, 128)),
        (" 4 , 2 ", (4, 2)),
        ("8,8,1,8", (8, 1)),
        ("16,", (16,)),
    ],
)
def test_parse_batch_sizes(text, sizes):
    assert parse_batch_sizes(text) == sizes


@pytest.mark.parametrize("text", ["", ",", "0", "1,-2", "1.5", "eight", "1;2"])
def test_parse_batch_sizes_refuses(text):
    with pytest.raises(InputError, match="positive whole numbers"):
        parse_batch_sizes(text)


class FakeClock:
    """Each read advances time by `tick` seconds."""

    def __init__(self, tick: float = 1.0) -> None:
        self.now, self.tick = 0.0, tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def test_timed_rounds_warms_up_then_alternates_until_time_and_rounds():
    calls: list[str] = []
    steps = {name: (lambda name=name: calls.append(name) or name) for name in "abc"}
    # each call is timed by two clock reads, 1 s apart; the time limit is read only once
    # `min_rounds` are done: after 2 rounds, 13 s have passed
    out = timed_rounds(steps, seconds=10.0, device=CPU, min_rounds=2, clock=FakeClock())
    assert calls[:3] == ["a", "b", "c"]  # warm-up, untimed
    timed = calls[3:]
    rounds = [timed[i : i + 3] for i in range(0, len(timed), 3)]
    assert rounds[0] == ["a", "b", "c"] and rounds[1] == ["c", "b", "a"]  # order flips
    assert all(r in (["a", "b", "c"], ["c", "b", "a"]) for r in rounds)
    assert len(rounds) == 2
    for name, timing in out.items():
        assert timing.seconds == [1.0, 1.0] and timing.value == name


def test_timed_rounds_min_rounds_and_no_warmup():
    calls = []
    out = timed_rounds(
        {"x": lambda: calls.append(1)},
        seconds=0.0,
        device=CPU,
        min_rounds=5,
        warmup=False,
        clock=FakeClock(),
    )
    assert len(calls) == 5 and len(out["x"].seconds) == 5
    with pytest.raises(ValueError):
        timed_rounds({"x": lambda: None}, 1.0, CPU, min_rounds=0)


def test_timed_rounds_runs_on_while_time_remains():
    out = timed_rounds(
        {"x": lambda: None}, seconds=20.0, device=CPU, min_rounds=1, clock=FakeClock(1.0)
    )
    assert len(out["x"].seconds) > 3  # 3 clock reads per round: about 7 rounds in 20 s


def test_paired_ratio_is_the_median_of_per_round_ratios():
    s2d = Timing(seconds=[1.1, 2.4, 1.2])  # a burst of load in round 2 hits both
    vit = Timing(seconds=[1.0, 2.0, 1.0])
    assert paired_ratio(s2d, vit) == pytest.approx(1.2)
    assert s2d.median == 1.2


@pytest.mark.parametrize(
    ("frames", "every", "expected"),
    [
        (100, 5, 21),  # 0, 5, ..., 95 and the last (99)
        (101, 5, 21),  # 0, ..., 100: the last is detected already
        (1, 5, 1),
        (0, 5, 0),
        (10, 1, 10),
    ],
)
def test_detected_frames(frames, every, expected):
    assert detected_frames(frames, FaceClipOptions(detect_every=every)) == expected
    brute = len({i for i in range(frames) if i % every == 0} | ({frames - 1} if frames else set()))
    assert expected == brute


def test_detected_frames_whole_frame():
    assert detected_frames(50, FaceClipOptions(whole_frame=True)) == 0


def test_stage_estimates_from_the_stage_rows():
    rows = [
        {"stage": "decode", "variant": "pyav_engine", "frames_per_s": 500.0},
        {"stage": "decode", "variant": "decord_engine", "frames_per_s": 250.0},
        {"stage": "detect", "frames_per_s": 10.0},
        {"stage": "model", "batch_size": 2, "error": "out of memory"},
        {"stage": "model", "batch_size": 2, "clips_per_s": 0.5},
        {"stage": "model", "batch_size": 4, "clips_per_s": 0.25},
    ]
    e2e = {
        "backend": "decord",
        "frames": 500,
        "detected_frames": 20,
        "clips": 6,
        "batch_size": 2,
        "pipeline_stats": {"crop_s": 0.5},
    }
    assert stage_estimates(rows, e2e) == {"decode": 2.0, "detect": 2.0, "crop": 0.5, "model": 12.0}
    e2e["clips"] = 0  # no clip: no model estimate
    assert "model" not in stage_estimates(rows, e2e)


def test_bound_by_names_the_scans_slowest_part():
    stages = {"decode": 2.0, "detect": 5.0, "crop": 0.5, "model": 1.0}
    assert bound_by({"slowest_stage": "model", "stage_seconds": stages}) == "model"
    assert bound_by({"slowest_stage": "scan", "stage_seconds": stages}) == "scan (detect)"


class OutOfMemoryAbove(torch.nn.Module):
    """A stand-in ViT that runs out of device memory above `frames` frames."""

    def __init__(self, frames: int) -> None:
        super().__init__()
        self.frames = frames
        self.linear = torch.nn.Linear(3, 7)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] > self.frames:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return self.linear(x.mean(dim=(2, 3)))


class ZeroLandmarks(torch.nn.Module):
    """Landmark features of the right shape at no cost (the real branch is slow here)."""

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return torch.zeros(frames.shape[0], 128, 14, 14)


def test_out_of_memory_ends_the_batch_size_sweep():
    from s2dcli.benchmark.stages import bench_models
    from s2dcli.models import create_model

    model, landmarks = create_model("s2d_test").eval(), ZeroLandmarks()
    seen = []
    rows, ratio = bench_models(
        model,
        landmarks,
        OutOfMemoryAbove(4),
        "fake",
        CPU,
        (1, 2, 4),
        seconds=0.0,
        min_rounds=1,
        progress=seen.append,
    )
    assert [r["stage"] for r in rows] == ["landmarks", "model", "vit_reference", "model"]
    assert rows[-1] == {"stage": "model", "batch_size": 2, "error": "out of memory"}
    assert len(seen) == 2  # batch size 4 was never tried
    assert ratio == rows[1]["s2d_vs_vit_time_ratio"] > 0


def test_other_runtime_errors_are_bugs():
    from s2dcli.benchmark.stages import bench_models
    from s2dcli.models import create_model

    class Broken(torch.nn.Module):
        def forward(self, x):
            raise RuntimeError("shape mismatch")

    with pytest.raises(RuntimeError, match="shape mismatch"):
        bench_models(
            create_model("s2d_test").eval(),
            ZeroLandmarks(),
            Broken(),
            "b",
            CPU,
            (1,),
            seconds=0.0,
            min_rounds=1,
        )
