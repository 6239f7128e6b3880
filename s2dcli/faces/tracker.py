"""Linking per-frame face detections into tracks, and filling the frames between detections.

The detector runs on every k-th frame; the caller feeds each detected frame to
`FaceTracker.update` and calls `finish` at the end of the video:

    tracker = FaceTracker(TrackerConfig(max_gap_seconds=1.0))
    for index, time_s, frame in detected_frames:
        tracker.update(index, time_s, detector.detect(frame))
    tracks = tracker.finish(frame_times)   # list[TrackFrames], face ids 0, 1, 2, ...

Matching: each live track predicts its box at the new time with constant velocity (centre and
size, from its last two observations); the cost of a (track, detection) pair is 1 - IoU of the
prediction with the detection, pairs under `iou_threshold` are gated out, and
`scipy.optimize.linear_sum_assignment` picks the cheapest assignment. Unmatched detections start
new tracks; a track without a match for more than `max_gap_seconds` is closed.

IoU uses numpy (`box_iou`), not numba: against the detector's time per frame it is a small
fraction, and a JIT would not pay back its start-up in each process (the README's Install
section has the measurement).

Everything is deterministic: no randomness, stable sorts, and scipy's exact assignment.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from s2dcli.clips import TrackFrames
from s2dcli.config import FaceOptions, default
from s2dcli.faces.boxes import box_iou
from s2dcli.faces.types import Detections

log = logging.getLogger("s2d.faces")

_GATED = 1e6  # cost of a pair under the IoU gate: never chosen over a real pair


@dataclass(frozen=True)
class TrackerConfig:
    """How detections are linked into tracks and which tracks are kept.

    Attributes:
        iou_threshold: a detection may join a track only if its IoU with the track's predicted
            box is at least this.
        max_gap_seconds: a track with no matching detection for longer than this is closed; a
            face seen again later gets a new track (and id).
        min_track_seconds: tracks spanning less time (first to last detection) are dropped.
        min_detections: tracks with fewer detections are dropped.
        min_face: detections whose shorter box side is below this many pixels are ignored.
        max_first_step: a track seen once has no velocity yet, so a fast face may not overlap
            its last box; such a track also accepts a detection whose centre is within this
            many box sides (the larger side) of its box's centre, at a cost above any IoU match.
    """

    iou_threshold: float = 0.3
    max_gap_seconds: float = 1.0
    min_track_seconds: float = 0.5
    min_detections: int = 2
    min_face: float = default(FaceOptions, "min_face")
    max_first_step: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.iou_threshold <= 1.0:
            raise ValueError(f"iou_threshold must be in [0, 1], got {self.iou_threshold}")
        if not self.max_gap_seconds > 0:
            raise ValueError(f"max_gap_seconds must be positive, got {self.max_gap_seconds}")
        if self.min_track_seconds < 0:
            raise ValueError(f"min_track_seconds must be >= 0, got {self.min_track_seconds}")
        if self.min_detections < 1:
            raise ValueError(f"min_detections must be >= 1, got {self.min_detections}")
        if self.min_face < 0:
            raise ValueError(f"min_face must be >= 0, got {self.min_face}")
        if self.max_first_step < 0:
            raise ValueError(f"max_first_step must be >= 0, got {self.max_first_step}")


@dataclass(eq=False)
class TrackState:
    """The detections of one face so far (xyxy boxes), in frame order.

    Attributes:
        serial: creation order within the video (face ids are assigned at the end).
        closed: True once no later detection can join the track.
    """

    serial: int  # creation order, the last tie-breaker for ids
    frames: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    closed: bool = False

    @property
    def first_frame(self) -> int:
        return self.frames[0]

    @property
    def last_frame(self) -> int:
        return self.frames[-1]

    def box_at(self, frame_index: int) -> tuple[np.ndarray, float]:
        """The (4,) xyxy box at a frame between the first and last detection, and its score.

        Between two detections the box is interpolated linearly by frame number (as `finish`
        does) and the score is NaN.
        """
        pos = bisect.bisect_left(self.frames, frame_index)
        if pos < len(self.frames) and self.frames[pos] == frame_index:
            return self.boxes[pos], self.scores[pos]
        if pos == 0 or pos == len(self.frames):
            raise ValueError(
                f"frame {frame_index} is outside the track ({self.frames[0]}..{self.frames[-1]})"
            )
        f0, f1 = self.frames[pos - 1], self.frames[pos]
        w = (frame_index - f0) / (f1 - f0)
        return self.boxes[pos - 1] * (1.0 - w) + self.boxes[pos] * w, float("nan")

    def add(self, frame: int, time_s: float, box: np.ndarray, score: float) -> None:
        self.frames.append(frame)
        self.times.append(time_s)
        self.boxes.append(np.asarray(box, np.float64))
        self.scores.append(score)

    def predict(self, time_s: float) -> np.ndarray:
        """(4,) xyxy box expected at `time_s`: constant velocity of centre and size."""
        last = _to_cxcywh(self.boxes[-1])
        if len(self.boxes) < 2 or self.times[-1] <= self.times[-2]:
            return self.boxes[-1]
        prev = _to_cxcywh(self.boxes[-2])
        velocity = (last - prev) / (self.times[-1] - self.times[-2])
        pred = last + velocity * (time_s - self.times[-1])
        pred[2:] = np.maximum(pred[2:], 0.25 * last[2:])  # a shrinking box stays a box
        return _to_xyxy(pred)


def _first_step_cost(tracks: np.ndarray, boxes: np.ndarray, max_step: float) -> np.ndarray:
    """(T, D) cost by centre distance for tracks (T, 4) seen once against detections (D, 4):
    1 + distance / side within `max_step` sides (so above any IoU cost), `_GATED` beyond."""
    centre_t = (tracks[:, :2] + tracks[:, 2:]) / 2
    centre_d = (boxes[:, :2] + boxes[:, 2:]) / 2
    side = np.maximum(1e-6, (tracks[:, 2:] - tracks[:, :2]).max(axis=1))[:, None]
    step = np.linalg.norm(centre_t[:, None] - centre_d[None], axis=2) / side
    return np.where(step <= max_step, 1.0 + step, _GATED)


def _to_cxcywh(box: np.ndarray) -> np.ndarray:
    return np.array(
        [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, box[2] - box[0], box[3] - box[1]], np.float64
    )


def _to_xyxy(box: np.ndarray) -> np.ndarray:
    half = box[2:] / 2
    return np.concatenate([box[:2] - half, box[:2] + half])


class FaceTracker:
    """Online tracker over the detected frames of one video; `finish` returns the tracks.

    Args:
        config: thresholds; the defaults when None.
    """

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self._live: list[TrackState] = []
        self._closed: list[TrackState] = []
        self._seen_frames: list[int] = []
        self._seen_times: list[float] = []
        self._serial = 0

    def update(self, frame_index: int, time_s: float, detections: Detections) -> None:
        """Link the faces found in one frame to the live tracks.

        Args:
            frame_index: the frame's number in the video; larger than the previous call's.
            time_s: the frame's presentation time in seconds; not smaller than the previous.
            detections: the faces in that frame (boxes (N, 4) xyxy pixels, scores (N,)).

        Raises:
            ValueError: Frames or times going backwards.
        """
        if self._seen_frames and frame_index <= self._seen_frames[-1]:
            raise ValueError(
                f"frame {frame_index} after frame {self._seen_frames[-1]}: "
                "frames must be fed in increasing order"
            )
        if self._seen_times and time_s < self._seen_times[-1]:
            raise ValueError(f"time {time_s} s after {self._seen_times[-1]} s: times go back")
        self._seen_frames.append(int(frame_index))
        self._seen_times.append(float(time_s))
        cfg = self.config

        still = []
        for track in self._live:  # close tracks that have been unmatched too long
            if time_s - track.times[-1] > cfg.max_gap_seconds:
                track.closed = True
                self._closed.append(track)
            else:
                still.append(track)
        self._live = still

        keep = detections.sizes >= cfg.min_face
        boxes = detections.boxes[keep].astype(np.float64)
        scores = detections.scores[keep]
        matched = np.zeros(len(boxes), bool)
        if self._live and len(boxes):
            predicted = np.stack([t.predict(time_s) for t in self._live])
            iou = box_iou(predicted, boxes)  # (tracks, detections)
            cost = np.where(iou >= cfg.iou_threshold, 1.0 - iou, _GATED)
            young = np.array([len(t.frames) == 1 for t in self._live])
            if young.any() and cfg.max_first_step > 0:
                cost[young] = np.minimum(
                    cost[young], _first_step_cost(predicted[young], boxes, cfg.max_first_step)
                )
            rows, cols = linear_sum_assignment(cost)
            for r, c in zip(rows, cols, strict=True):
                if cost[r, c] < _GATED:
                    self._live[r].add(frame_index, time_s, boxes[c], float(scores[c]))
                    matched[c] = True
        for c in np.flatnonzero(~matched):
            track = TrackState(self._serial)
            self._serial += 1
            track.add(frame_index, time_s, boxes[c], float(scores[c]))
            self._live.append(track)

    @property
    def live(self) -> list[TrackState]:
        """The tracks a later detection may still extend, in creation order."""
        return list(self._live)

    def frontier(self) -> int | None:
        """The last frame whose boxes are final: no later detection can change a box at or
        before it (None before the first update). Frames after it may still be filled in by a
        live track matched again later."""
        if not self._seen_frames:
            return None
        return min([t.frames[-1] for t in self._live] + [self._seen_frames[-1]])

    def keeps(self, track: TrackState) -> bool:
        """Whether `track` passes the length rules (once true, it stays true)."""
        span = track.times[-1] - track.times[0]
        return (
            len(track.frames) >= self.config.min_detections
            and span >= self.config.min_track_seconds
        )

    def close_all(self) -> list[TrackState]:
        """Close every track (the video ended); returns all tracks, in creation order."""
        for track in self._live:
            track.closed = True
        tracks = sorted(self._closed + self._live, key=lambda t: t.serial)
        self._closed, self._live = [], []
        return tracks

    @staticmethod
    def id_order(tracks: Iterable[TrackState]) -> list[TrackState]:
        """Tracks in face-id order: first detected frame, then the box further left first."""
        return sorted(tracks, key=lambda t: (t.frames[0], float(t.boxes[0][0]), t.serial))

    def finish(self, frame_times: np.ndarray | None = None) -> list[TrackFrames]:
        """Close all tracks, drop the short ones, fill the frames between detections.

        Args:
            frame_times: (F,) float64 time in seconds of every frame of the video, indexed by
                frame number, so filled frames get their true timestamps; None interpolates
                them linearly between the times of the detected frames.

        Returns:
            The kept tracks, face ids 0, 1, 2, ... in order of first detected frame (ties: the
            box further left first). Boxes are x, y, w, h; scores are NaN on filled frames.
        """
        kept = []
        for track in self.close_all():
            if not self.keeps(track):
                log.debug(
                    "dropped a track of %d detections over %.2f s from frame %d",
                    len(track.frames),
                    track.times[-1] - track.times[0],
                    track.frames[0],
                )
                continue
            kept.append(track)
        kept = self.id_order(kept)
        return [self._fill(face_id, track, frame_times) for face_id, track in enumerate(kept)]

    def _fill(self, face_id: int, track: TrackState, frame_times: np.ndarray | None) -> TrackFrames:
        """One track over every frame from its first to its last detection."""
        observed = np.asarray(track.frames, np.int64)
        frames = np.arange(observed[0], observed[-1] + 1, dtype=np.int64)
        obs_boxes = np.stack(track.boxes)
        xywh = np.concatenate([obs_boxes[:, :2], obs_boxes[:, 2:] - obs_boxes[:, :2]], axis=1)
        boxes = np.stack([np.interp(frames, observed, xywh[:, j]) for j in range(4)], axis=1)
        scores = np.full(len(frames), np.nan, np.float32)
        scores[observed - observed[0]] = track.scores
        if frame_times is not None:
            times = np.asarray(frame_times, np.float64)[frames]
        else:
            times = np.interp(frames, self._seen_frames, self._seen_times)
        return TrackFrames(
            face_id, frames, times.astype(np.float64), boxes.astype(np.float32), scores
        )


def track_faces(
    observations: Iterable[tuple[int, float, Detections]],
    config: TrackerConfig | None = None,
    frame_times: np.ndarray | None = None,
) -> list[TrackFrames]:
    """Track faces over a whole video at once.

    Args:
        observations: (frame_index, time_s, detections) for each detected frame, in order.
        config: tracker thresholds; the defaults when None.
        frame_times: (F,) float64 time of every frame, or None (see `FaceTracker.finish`).

    Returns:
        The kept tracks, numbered by first appearance.
    """
    tracker = FaceTracker(config)
    for frame_index, time_s, detections in observations:
        tracker.update(frame_index, time_s, detections)
    return tracker.finish(frame_times)
