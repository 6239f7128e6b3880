"""Cutting a growing face track into clips while the video is still being decoded.

`sample_clips` needs a whole track; waiting for it would hold every face crop of an hour-long
track in memory. `StreamingClipCutter` receives the track frame by frame (with its crop), hands
out each regular window's clip as soon as a frame past the window's end has arrived, keeps only
the crops a later clip can still use, and on `finish` adds what `sample_clips` has beyond the
regular windows (the window aligned to the track's end, or the single padded window of short
material). The clips are exactly those of `sample_clips` on the finished track; `finish` checks
that and raises on a mismatch (a bug).

What it keeps for the whole track is each frame's number, time, box and score (the track itself,
for the end-aligned window, that check and the overlays), packed in typed arrays: 36 bytes a
frame, not a Python object per value.
"""

from __future__ import annotations

import bisect
from array import array
from dataclasses import dataclass

import numpy as np

from s2dcli.clips.sampling import (
    ClipConfig,
    ClipSpec,
    TrackFrames,
    clip_for_window,
    sample_clips,
)

_EPS = 1e-9


@dataclass(frozen=True)
class CutClip:
    """A clip of one track and its frames, ready for the model.

    Attributes:
        spec: where the clip lies; `spec.face_id` is the cutter's `track_id`.
        frames: `(T, S, S, 3)` uint8 face crops, in time order.
    """

    spec: ClipSpec
    frames: np.ndarray


class StreamingClipCutter:
    """The clips of one track, frame by frame.

    Args:
        track_id: written to each clip's `face_id` (the caller renumbers at the end).
        config: the clip rules.
    """

    def __init__(self, track_id: int, config: ClipConfig) -> None:
        self.track_id = track_id
        self.config = config
        # One entry a frame (four for `_boxes`: x, y, w, h), packed: these last the whole track.
        self._frames = array("q")
        self._times = array("d")
        self._boxes = array("f")
        self._scores = array("f")
        self._crops: dict[int, np.ndarray] = {}
        self._emitted: list[ClipSpec] = []
        self._finished = False

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def crops_held(self) -> int:
        """Crops in memory now (bounded by about clip + stride seconds of frames)."""
        return len(self._crops)

    def add(
        self,
        frame_index: int,
        time_s: float,
        box_xywh: tuple[float, float, float, float],
        score: float,
        crop: np.ndarray,
    ) -> None:
        """Append the track's next frame: its number, time, box `x, y, w, h`, score, crop."""
        if self._frames and frame_index <= self._frames[-1]:
            raise ValueError(f"frame {frame_index} after {self._frames[-1]}: frames go back")
        self._crops[len(self._frames)] = crop
        self._frames.append(int(frame_index))
        self._times.append(float(time_s))
        self._boxes.extend(box_xywh)
        self._scores.append(float(score))

    def ready(self) -> list[CutClip]:
        """The regular windows whose frames have all arrived since the last call."""
        if not self._times or self._finished:
            return []
        config = self.config
        first, last = self._times[0], self._times[-1]
        if last - first < config.min_seconds:
            return []
        out = []
        while True:
            offset = len(self._emitted) * config.stride_seconds  # as `window_starts` has it
            start = first + offset
            if last < start + config.clip_seconds:
                break
            lo = max(0, bisect.bisect_left(self._times, start - _EPS) - 1)
            hi = bisect.bisect_left(self._times, start + config.clip_seconds - _EPS) + 1
            spec = clip_for_window(
                self._slice(lo, hi), lo, start, config.clip_seconds, len(self._emitted), config
            )
            out.append(self._cut(spec))
            self._emitted.append(spec)
            self._forget_before(lo)
        return out

    def finish(self) -> list[CutClip]:
        """The clips still missing once the track has ended; later calls return nothing."""
        if not self._frames or self._finished:
            return []
        self._finished = True
        self.ready()  # windows completed by the last frames (normally none)
        whole = sample_clips(self.track_frames(), self.config)
        done = len(self._emitted)
        if len(whole) < done or not all(map(_same_clip, whole[:done], self._emitted)):
            raise RuntimeError(
                f"streamed clips of track {self.track_id} differ from sample_clips; "
                "this is a bug in s2dcli"
            )
        clips = [self._cut(spec) for spec in whole[done:]]
        self._emitted = whole
        self._crops.clear()
        return clips

    def track_frames(self) -> TrackFrames:
        """Everything received so far, as a `TrackFrames`."""
        return self._slice(0, len(self._frames))

    def _slice(self, lo: int, hi: int) -> TrackFrames:
        hi = min(hi, len(self._frames))
        return TrackFrames(
            self.track_id,
            np.array(self._frames[lo:hi], np.int64),
            np.array(self._times[lo:hi], np.float64),
            np.array(self._boxes[4 * lo : 4 * hi], np.float32).reshape(-1, 4),
            np.array(self._scores[lo:hi], np.float32),
        )

    def _cut(self, spec: ClipSpec) -> CutClip:
        return CutClip(spec, np.stack([self._crops[p] for p in spec.positions]))

    def _forget_before(self, position: int) -> None:
        """Later windows (a regular one, or the one aligned to the end) start no earlier than
        the last emitted one, so crops before its first position are never needed again."""
        for p in [p for p in self._crops if p < position]:
            del self._crops[p]


def _same_clip(a: ClipSpec, b: ClipSpec) -> bool:
    """Field-by-field equality in which NaN scores are equal."""
    return (a.positions, a.clip_index, a.start_frame, a.end_frame, a.start_s, a.end_s, a.box) == (
        b.positions,
        b.clip_index,
        b.start_frame,
        b.end_frame,
        b.start_s,
        b.end_s,
        b.box,
    ) and (a.det_score == b.det_score or (np.isnan(a.det_score) and np.isnan(b.det_score)))
