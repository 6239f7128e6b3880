"""One video to face clips: decode once, detect every k-th frame, track, crop, cut clips.

`read_face_clips` is a generator: it yields each `CutClip` as soon as its frames are known, and a
`VideoScan` (or a `VideoFailure`) last. Frames wait in a short buffer until the tracker has
settled their boxes (a face missed by the detector may be matched again up to
`max_gap_seconds` later, and the frames in between are filled in), so memory stays bounded by
that gap, not by the video's length; each frame is decoded exactly once.

The last frame of a video is always detected, so tracks reach the end of the video.
With `whole_frame=True` (`--faces none`) there is no detection: the video is one track whose box
is `s2dcli.faces.whole_frame_box`, the frame's centre square.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from engine.crop import DEFAULT_MARGIN, crop_face
from engine.video import Frame, VideoDecodeError, VideoInfo, open_video
from engine.video.types import BackendChoice
from s2dcli.clips import ClipConfig, CutClip, StreamingClipCutter, TrackFrames
from s2dcli.config import FaceOptions, default
from s2dcli.errors import InputError
from s2dcli.faces.tracker import FaceTracker, TrackerConfig, TrackState
from s2dcli.faces.types import FaceDetector
from s2dcli.faces.whole_frame import crop_whole_frame
from s2dcli.pipeline.damage import damage_reason

log = logging.getLogger("s2d.pipeline")


@dataclass(frozen=True)
class FaceClipOptions:
    """How a video becomes face clips.

    Attributes:
        clips: window length, stride, frames per clip, minimum length.
        tracker: how detections become tracks (and `min_face`).
        detect_every: run the detector on every k-th frame (and the last one).
        crop_size: side of the square crops, the model's input size.
        margin: crop side relative to the face box's longer side.
        whole_frame: no detector; the frame's centre square is the face (`--faces none`).
        backend: video decoder, auto, decord or pyav.
        timeout_s: longest wait for the decoder before the video fails.
    """

    clips: ClipConfig = field(default_factory=ClipConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    detect_every: int = default(FaceOptions, "detect_every")
    crop_size: int = 224
    margin: float = DEFAULT_MARGIN
    whole_frame: bool = False
    backend: BackendChoice = "auto"
    timeout_s: float | None = 30.0

    def __post_init__(self) -> None:
        if self.detect_every < 1:
            raise InputError(f"--detect-every must be at least 1, got {self.detect_every}.")
        if self.crop_size < 1:
            raise InputError(f"crop size must be positive, got {self.crop_size}.")
        if not self.margin > 0:
            raise InputError(f"crop margin must be positive, got {self.margin}.")


@dataclass(frozen=True)
class VideoScan:
    """What a finished scan knows about a video (yielded last).

    Attributes:
        info: the stream facts.
        frames: frames decoded.
        face_ids: track serial (the `face_id` on the clips yielded) -> final face id.
        tracks: the kept tracks with their final face ids, for overlays.
        timings: seconds spent decoding, detecting and cropping.
        damage: why only part of the video decoded (`damage.damage_reason`), or None.
    """

    info: VideoInfo
    frames: int
    face_ids: dict[int, int]
    tracks: list[TrackFrames]
    timings: dict[str, float]
    damage: str | None = None


@dataclass(frozen=True)
class VideoFailure:
    """A video that could not be read (yielded last, instead of a `VideoScan`)."""

    path: Path
    reason: str


ScanItem = CutClip | VideoScan | VideoFailure


def read_face_clips(
    path: Path, detector: FaceDetector | None, options: FaceClipOptions
) -> Iterator[ScanItem]:
    """Decode `path` once and yield its clips, then a `VideoScan` or a `VideoFailure`.

    A decode error after some frames keeps what decoded: the video is finished with those
    frames and its `VideoScan.damage` says where it broke (as do stretches the decoder skipped).

    Args:
        path: the video.
        detector: the face detector (unused, may be None, with `options.whole_frame`); not
            thread-safe, so one per concurrent scan.
        options: see `FaceClipOptions`.
    """
    try:
        with open_video(path, options.backend, options.timeout_s) as video:
            scan = FaceClipReader(video.info, detector, options)
            clips, stop = 0, None
            clock = time.perf_counter()
            try:
                for frame in video:
                    now = time.perf_counter()
                    scan.timings["decode"] += now - clock
                    for clip in scan.add(frame):
                        clips += 1
                        yield clip
                    clock = time.perf_counter()
            except VideoDecodeError as exc:
                if exc.frame is None or scan.frames == 0:  # nothing decoded, or a stall
                    raise
                stop = exc
            scan.timings["decode"] += time.perf_counter() - clock
            for item in scan.finish():
                if isinstance(item, VideoScan):
                    step = 1.0 / video.info.fps if video.info.fps else 0.0
                    stop_s = None if scan.last_pts is None else scan.last_pts + step
                    damage = damage_reason(video.info, video.breaks, stop, stop_s, clips)
                    yield replace(item, damage=damage)
                else:
                    clips += 1
                    yield item
    except VideoDecodeError as exc:
        yield VideoFailure(Path(path), exc.reason)


class FaceClipReader:
    """The state of one video's pass from frames to face clips (see `read_face_clips`)."""

    def __init__(
        self, info: VideoInfo, detector: FaceDetector | None, options: FaceClipOptions
    ) -> None:
        if detector is None and not options.whole_frame:
            raise ValueError("a detector is needed unless whole_frame=True")
        self.info = info
        self.detector = detector
        self.options = options
        self.tracker = FaceTracker(options.tracker)
        self.pending: deque[Frame] = deque()  # decoded, boxes not settled yet
        self.cutters: dict[int, tuple[TrackState | None, StreamingClipCutter]] = {}  # active
        self.finished: dict[int, tuple[TrackState | None, StreamingClipCutter]] = {}  # kept
        self.frames = 0
        self.last_pts: float | None = None
        self.last_detected = -1
        self.timings = {"decode": 0.0, "detect": 0.0, "crop": 0.0}

    def add(self, frame: Frame) -> Iterator[CutClip]:
        self.frames += 1
        self.last_pts = frame.pts_s
        if self.options.whole_frame:
            yield from self._crop_whole(frame)
            return
        self.pending.append(frame)
        if frame.index % self.options.detect_every == 0:
            self._detect(frame)
            yield from self._settle(self.tracker.frontier())
        elif not self.tracker.live:
            # No track can reach past its last detection: nothing to wait for (and frames of
            # face-less stretches are not held until the next detection).
            yield from self._settle(frame.index)

    def finish(self) -> Iterator[CutClip | VideoScan]:
        if self.frames == 0:
            raise VideoDecodeError(self.info.path, "no frame could be decoded")
        if not self.options.whole_frame:
            if self.pending and self.pending[-1].index != self.last_detected:
                self._detect(self.pending[-1])
            self.tracker.close_all()
            yield from self._settle(None)
            assert not self.cutters, "every track ends with the video"
        else:
            self.finished.update(self.cutters)  # the one whole-frame track
            self.cutters.clear()
        for _, cutter in self.finished.values():
            yield from cutter.finish()
        if self.options.whole_frame:
            order = list(self.finished)
        else:
            kept = [track for track, _ in self.finished.values() if track is not None]
            order = [t.serial for t in FaceTracker.id_order(kept)]
        face_ids = {serial: face_id for face_id, serial in enumerate(order)}
        tracks = []
        for serial, face_id in face_ids.items():
            frames = self.finished[serial][1].track_frames()
            tracks.append(
                TrackFrames(
                    face_id, frames.frame_indices, frames.times_s, frames.boxes, frames.scores
                )
            )
        yield VideoScan(self.info, self.frames, face_ids, tracks, dict(self.timings))

    def _detect(self, frame: Frame) -> None:
        assert self.detector is not None
        start = time.perf_counter()
        detections = self.detector.detect(frame.image)
        self.timings["detect"] += time.perf_counter() - start
        self.tracker.update(frame.index, frame.pts_s, detections)
        self.last_detected = frame.index
        for track in self.tracker.live:
            if track.serial not in self.cutters:
                self.cutters[track.serial] = (
                    track,
                    StreamingClipCutter(track.serial, self.options.clips),
                )

    def _settle(self, frontier: int | None) -> Iterator[CutClip]:
        """Crop the frames up to `frontier` (all when None) for every track covering them."""
        options = self.options
        while self.pending and (frontier is None or self.pending[0].index <= frontier):
            frame = self.pending.popleft()
            start = time.perf_counter()
            for track, cutter in self.cutters.values():
                assert track is not None
                if not track.first_frame <= frame.index <= track.last_frame:
                    continue
                box, score = track.box_at(frame.index)
                crop = crop_face(frame.image, box, options.crop_size, options.margin)
                xywh = (
                    float(box[0]),
                    float(box[1]),
                    float(box[2] - box[0]),
                    float(box[3] - box[1]),
                )
                cutter.add(frame.index, frame.pts_s, xywh, score, crop)
            self.timings["crop"] += time.perf_counter() - start
            for track, cutter in self.cutters.values():
                if track is not None and self.tracker.keeps(track):
                    yield from cutter.ready()
        yield from self._end_settled_tracks()

    def _end_settled_tracks(self) -> Iterator[CutClip]:
        """Closed tracks whose frames are all settled: cut their last clips now (freeing their
        crops), or forget them if they are too short to keep."""
        settled = self.pending[0].index if self.pending else None
        for serial, (track, cutter) in list(self.cutters.items()):
            assert track is not None
            if not (track.closed and (settled is None or track.last_frame < settled)):
                continue
            del self.cutters[serial]
            if self.tracker.keeps(track):
                self.finished[serial] = (track, cutter)
                yield from cutter.finish()

    def _crop_whole(self, frame: Frame) -> Iterator[CutClip]:
        start = time.perf_counter()
        crop, box = crop_whole_frame(frame.image, self.options.crop_size)
        self.timings["crop"] += time.perf_counter() - start
        if not self.cutters:
            self.cutters[0] = (None, StreamingClipCutter(0, self.options.clips))
        cutter = self.cutters[0][1]
        x0, y0, x1, y1 = (float(v) for v in box)
        cutter.add(frame.index, frame.pts_s, (x0, y0, x1 - x0, y1 - y0), 1.0, crop)
        yield from cutter.ready()
