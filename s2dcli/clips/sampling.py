"""The clip rules: fixed-length clips of a whole face track, a pure function, no I/O.

Per track, windows of `clip_seconds` every `stride_seconds`; `num_frames` frames spread
uniformly over each window (the frame on screen at each sample time, found through the
frames' timestamps, never an assumed fps). A last window is aligned to the track's end so the
tail is covered too. Material shorter than a window is padded by repeating its last frame, as
the release does; tracks shorter than `min_seconds` give no clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from s2dcli.config import ClipOptions, default
from s2dcli.errors import InputError


@dataclass(frozen=True)
class ClipConfig:
    """How tracks are cut into clips."""

    clip_seconds: float = default(ClipOptions, "clip_seconds")
    stride_seconds: float = default(ClipOptions, "stride_seconds")
    num_frames: int = 16
    min_seconds: float = 0.5

    def __post_init__(self) -> None:
        if not self.clip_seconds > 0:
            raise InputError(f"clip length must be positive, got {self.clip_seconds} s.")
        if not self.stride_seconds > 0:
            raise InputError(f"clip stride must be positive, got {self.stride_seconds} s.")
        if self.num_frames < 1:
            raise InputError(f"frames per clip must be at least 1, got {self.num_frames}.")
        if self.min_seconds < 0:
            raise InputError(f"minimum length must be >= 0, got {self.min_seconds} s.")


@dataclass(frozen=True)
class TrackFrames:
    """The frames of one face track, in order.

    frame_indices: `(N,)` int64 frame numbers in the video, increasing.
    times_s: `(N,)` float64 presentation times in seconds, increasing.
    boxes: `(N, 4)` float32 boxes `x, y, w, h` in pixels.
    scores: `(N,)` float32 detection scores; NaN where the box was interpolated.
    """

    face_id: int
    frame_indices: np.ndarray
    times_s: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.frame_indices)
        assert n > 0, "a track has at least one frame"
        assert self.times_s.shape == (n,) and self.scores.shape == (n,), "one time/score a frame"
        assert self.boxes.shape == (n, 4), "boxes are (N, 4)"
        assert np.all(np.diff(self.times_s) >= 0), "times increase"


@dataclass(frozen=True)
class ClipSpec:
    """One clip of one face: which track frames to feed the model, and what it covers."""

    face_id: int
    clip_index: int
    positions: tuple[int, ...]  # indices into the track's frames, `num_frames` of them
    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    box: tuple[float, float, float, float]  # mean x, y, w, h over the window's frames
    det_score: float  # mean detection score over the window's detected frames (NaN if none)


def frame_duration(times_s: np.ndarray) -> float:
    """Typical time a frame is on screen: the median gap, or 0 for a single frame."""
    if len(times_s) < 2:
        return 0.0
    return float(np.median(np.diff(times_s)))


def window_starts(duration: float, config: ClipConfig) -> list[float]:
    """Start offsets (seconds from the track's start) of the clip windows."""
    if duration <= config.clip_seconds:
        return [0.0]
    count = int(np.floor((duration - config.clip_seconds) / config.stride_seconds + 1e-9)) + 1
    starts = [k * config.stride_seconds for k in range(count)]
    last_end = starts[-1] + config.clip_seconds
    if duration - last_end > 1e-6:  # cover the tail with a window aligned to the end
        starts.append(duration - config.clip_seconds)
    return starts


def sample_clips(track: TrackFrames, config: ClipConfig) -> list[ClipSpec]:
    """Cut one track into clips (see the module docstring for the rules)."""
    times = np.asarray(track.times_s, dtype=np.float64)
    first = float(times[0])
    duration = float(times[-1]) - first + frame_duration(times)
    if duration < config.min_seconds:
        return []
    window = min(config.clip_seconds, duration)
    return [
        clip_for_window(track, 0, first + offset, window, clip_index, config)
        for clip_index, offset in enumerate(window_starts(duration, config))
    ]


def clip_for_window(
    track: TrackFrames,
    offset: int,
    start: float,
    window: float,
    clip_index: int,
    config: ClipConfig,
) -> ClipSpec:
    """The clip of the window `[start, start + window)`.

    `track` may be a slice of the whole track that starts `offset` frames into it; positions
    in the result count from the whole track's first frame. The slice must hold the last frame
    before `start` (or the track's first frame) and every frame up to the window's end.
    """
    times = np.asarray(track.times_s, dtype=np.float64)
    t = config.num_frames
    # Sample times at the centres of T equal slices of the window; past the track's end
    # (short material) the last frame repeats.
    sample_times = start + (np.arange(t) + 0.5) * (config.clip_seconds / t)
    positions = np.searchsorted(times, sample_times + 1e-9, side="right") - 1
    positions = np.clip(positions, 0, len(times) - 1)
    inside = (times >= start - 1e-9) & (times < start + window - 1e-9)
    covered = np.flatnonzero(inside)
    if covered.size == 0:
        covered = np.unique(positions)
    scores = track.scores[covered]
    det_score = float(np.nanmean(scores)) if np.isfinite(scores).any() else float("nan")
    box = track.boxes[covered].mean(axis=0)
    return ClipSpec(
        face_id=track.face_id,
        clip_index=clip_index,
        positions=tuple(int(p) + offset for p in positions),
        start_frame=int(track.frame_indices[covered[0]]),
        end_frame=int(track.frame_indices[covered[-1]]),
        start_s=start,
        end_s=start + window,
        box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
        det_score=det_score,
    )
