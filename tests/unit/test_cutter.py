"""The streaming clip cutter gives exactly `sample_clips`'s clips, with bounded crop memory."""

from __future__ import annotations

import numpy as np
import pytest

from s2dcli.clips import ClipConfig, TrackFrames, sample_clips
from s2dcli.clips.cutter import StreamingClipCutter, _same_clip


def random_track(rng: np.random.Generator, n: int, fps: float, vfr: bool) -> TrackFrames:
    gaps = rng.uniform(0.3, 1.7, n - 1) / fps if vfr else np.full(n - 1, 1 / fps)
    times = rng.uniform(0, 50) + np.concatenate([[0.0], np.cumsum(gaps)])
    frames = rng.integers(0, 1000) + np.arange(n, dtype=np.int64)
    boxes = rng.uniform(0, 300, (n, 4)).astype(np.float32)
    scores = rng.uniform(0.5, 1, n).astype(np.float32)
    scores[rng.random(n) < 0.6] = np.nan  # interpolated frames
    return TrackFrames(3, frames, times, boxes, scores)


def stream(track: TrackFrames, config: ClipConfig) -> tuple[list, int]:
    cutter = StreamingClipCutter(3, config)
    clips, peak = [], 0
    for i in range(len(track.frame_indices)):
        crop = np.full((2, 2, 3), i % 256, np.uint8)
        box = tuple(float(v) for v in track.boxes[i])
        cutter.add(
            int(track.frame_indices[i]), float(track.times_s[i]), box, float(track.scores[i]), crop
        )
        clips += cutter.ready()
        peak = max(peak, cutter.crops_held)
    clips += cutter.finish()
    return clips, peak


@pytest.mark.parametrize("seed", range(40))
def test_streamed_clips_equal_sample_clips(seed: int) -> None:
    rng = np.random.default_rng(seed)
    config = ClipConfig(
        clip_seconds=float(rng.choice([0.5, 1.0, 2.0, 2.5])),
        stride_seconds=float(rng.choice([0.25, 0.5, 1.0, 3.0])),
        num_frames=int(rng.choice([1, 4, 16])),
        min_seconds=float(rng.choice([0.0, 0.5, 3.0])),
    )
    fps = float(rng.choice([10, 24, 29.97, 30, 60]))
    track = random_track(rng, int(rng.integers(1, 400)), fps, vfr=bool(seed % 2))
    streamed, _ = stream(track, config)
    expected = sample_clips(track, config)
    assert len(streamed) == len(expected)
    for got, want in zip(streamed, expected, strict=True):
        assert _same_clip(got.spec, want)
        # each clip carries the crops of its positions, in order
        assert [int(f[0, 0, 0]) for f in got.frames] == [p % 256 for p in want.positions]


def test_crops_held_stay_bounded_on_a_long_track() -> None:
    rng = np.random.default_rng(0)
    track = random_track(rng, 30 * 60, 30.0, vfr=False)  # one minute at 30 fps
    clips, peak = stream(track, ClipConfig())
    assert len(clips) == 59
    assert peak <= 30 * 3 + 2  # about clip + stride seconds of frames, never the whole track


def test_short_track_gives_one_padded_clip_at_finish() -> None:
    rng = np.random.default_rng(1)
    track = random_track(rng, 20, 25.0, vfr=False)  # 0.8 s
    cutter = StreamingClipCutter(0, ClipConfig())
    for i in range(20):
        cutter.add(
            int(track.frame_indices[i]),
            float(track.times_s[i]),
            tuple(track.boxes[i].tolist()),
            1.0,
            np.zeros((2, 2, 3), np.uint8),
        )
        assert cutter.ready() == []
    (clip,) = cutter.finish()
    assert clip.frames.shape == (16, 2, 2, 3)
    assert clip.spec.positions[-1] == 19  # the last frame repeats


def test_frames_must_go_forward() -> None:
    cutter = StreamingClipCutter(0, ClipConfig())
    cutter.add(5, 0.0, (0, 0, 1, 1), 1.0, np.zeros((1, 1, 3), np.uint8))
    with pytest.raises(ValueError, match="frames go back"):
        cutter.add(5, 0.1, (0, 0, 1, 1), 1.0, np.zeros((1, 1, 3), np.uint8))
