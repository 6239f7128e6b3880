"""sample_clips: windows, uniform frames by timestamp, short material, clip metadata."""

from __future__ import annotations

import numpy as np
import pytest

from s2dcli.clips import ClipConfig, TrackFrames, sample_clips, window_starts
from s2dcli.errors import InputError


def _track(times, face_id=0, first_frame=0, scores=None):
    times = np.asarray(times, dtype=np.float64)
    n = len(times)
    boxes = np.stack([np.arange(n), np.zeros(n), np.full(n, 10.0), np.full(n, 20.0)], 1)
    return TrackFrames(
        face_id=face_id,
        frame_indices=np.arange(first_frame, first_frame + n),
        times_s=times,
        boxes=boxes.astype(np.float32),
        scores=np.full(n, 0.9, np.float32) if scores is None else np.asarray(scores, np.float32),
    )


def test_windows_and_stride_at_constant_fps():
    track = _track(np.arange(125) / 25.0)  # 5 s at 25 fps
    clips = sample_clips(track, ClipConfig(clip_seconds=2, stride_seconds=1, num_frames=16))
    assert [c.start_s for c in clips] == pytest.approx([0, 1, 2, 3])
    assert [c.end_s for c in clips] == pytest.approx([2, 3, 4, 5])
    assert [c.clip_index for c in clips] == [0, 1, 2, 3]
    first = clips[0]
    assert len(first.positions) == 16
    assert list(first.positions) == sorted(first.positions)
    assert first.positions[0] == 1 and first.positions[-1] == 48  # centres of 16 slices of 2 s
    assert (first.start_frame, first.end_frame) == (0, 49)
    assert first.box == pytest.approx((24.5, 0, 10, 20))
    assert first.det_score == pytest.approx(0.9)


def test_tail_is_covered_by_a_window_aligned_to_the_end():
    assert window_starts(3.5, ClipConfig()) == pytest.approx([0.0, 1.0, 1.5])
    assert window_starts(2.0, ClipConfig()) == [0.0]


def test_variable_frame_rate_uses_timestamps():
    # 10 fps for the first second, then 50 fps: frame positions follow time, not index.
    times = np.concatenate([np.arange(10) / 10.0, 1.0 + np.arange(50) / 50.0])
    clip = sample_clips(_track(times), ClipConfig(clip_seconds=2, num_frames=4))[0]
    sample_times = (np.arange(4) + 0.5) * 0.5  # 0.25, 0.75, 1.25, 1.75
    chosen = times[list(clip.positions)]
    assert np.all(chosen <= sample_times + 1e-9)
    assert np.all(sample_times - chosen < 0.1 + 1e-9)  # the frame on screen at that time
    assert clip.positions == (2, 7, 22, 47)


def test_short_material_repeats_the_last_frame():
    track = _track(np.arange(10) / 10.0)  # 1 s, shorter than a 2 s window
    (clip,) = sample_clips(track, ClipConfig(clip_seconds=2, num_frames=8, min_seconds=0.5))
    assert clip.positions[-4:] == (9, 9, 9, 9)
    assert clip.positions[:4] == (1, 3, 6, 8)
    assert clip.end_s == pytest.approx(1.0)


def test_tracks_below_the_minimum_give_no_clip():
    assert sample_clips(_track(np.arange(5) / 25.0), ClipConfig(min_seconds=0.5)) == []
    assert len(sample_clips(_track(np.arange(5) / 25.0), ClipConfig(min_seconds=0.1))) == 1


def test_single_frame_with_no_minimum():
    (clip,) = sample_clips(_track([0.0]), ClipConfig(num_frames=4, min_seconds=0))
    assert clip.positions == (0, 0, 0, 0)


def test_interpolated_frames_do_not_count_in_the_score():
    scores = [0.8, np.nan, np.nan, 0.6] * 10
    clip = sample_clips(_track(np.arange(40) / 20.0, scores=scores), ClipConfig(num_frames=4))[0]
    assert clip.det_score == pytest.approx(0.7)


def test_offsets_follow_the_track_start():
    track = _track(10.0 + np.arange(75) / 25.0, face_id=3, first_frame=250)
    clips = sample_clips(track, ClipConfig())
    assert clips[0].start_s == pytest.approx(10.0) and clips[0].start_frame == 250
    assert all(c.face_id == 3 for c in clips)


def test_pure_and_deterministic():
    track = _track(np.arange(100) / 30.0)
    assert sample_clips(track, ClipConfig()) == sample_clips(track, ClipConfig())


@pytest.mark.parametrize("kwargs", [{"clip_seconds": 0}, {"stride_seconds": -1}, {"num_frames": 0}])
def test_bad_config(kwargs):
    with pytest.raises(InputError):
        ClipConfig(**kwargs)
