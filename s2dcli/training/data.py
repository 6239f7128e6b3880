"""Labelled samples -> uint8 face clips, extracted once and cached on disk.

A sample is a video, or a time range of it, and optionally which face. Extraction reads the
video twice (once to find and track the faces, once to crop the T chosen frames), which costs
nothing in the long run: the clip is cached under a key made of the file's content hash, the
range, the face and every option that shapes the crop, so later epochs and later runs never
decode again.

Which face: `face_id` when the sample names one (ids as `s2d annotate` numbers them), else the
face tracked over most of the range (ties: the larger face). With `faces="none"` the frame's
centre square is the face. The T frames are spread uniformly over the range (the whole video
when it has none), as the release samples its training clips.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine.crop import DEFAULT_MARGIN, crop_face
from engine.video import open_video
from engine.video.types import BackendChoice
from s2dcli.clips import TrackFrames
from s2dcli.config import FaceOptions, default
from s2dcli.errors import InputError
from s2dcli.faces.tracker import TrackerConfig, track_faces
from s2dcli.faces.types import FaceDetector
from s2dcli.faces.whole_frame import crop_whole_frame, is_whole_frame
from s2dcli.labels import LabelledClip


@dataclass(frozen=True)
class ExtractOptions:
    """What shapes an extracted clip (all of it is part of the cache key)."""

    num_frames: int = 16
    size: int = 224
    faces: str = "auto"
    detect_every: int = default(FaceOptions, "detect_every")
    margin: float = DEFAULT_MARGIN
    tracker: TrackerConfig = field(default_factory=lambda: TrackerConfig(min_track_seconds=0.0))
    backend: BackendChoice = "auto"
    timeout_s: float | None = 30.0

    @property
    def whole_frame(self) -> bool:
        return is_whole_frame(self.faces)


class SampleError(InputError):
    """A labelled sample that cannot be turned into a clip (no face in its range, say)."""


def extract_clip(
    sample: LabelledClip, detector: FaceDetector | None, options: ExtractOptions
) -> np.ndarray:
    """The `(T, S, S, 3)` uint8 clip of one sample (see the module docstring).

    Raises:
        SampleError: no face in the range, an unknown face id, a range outside the video.
        engine.video.VideoDecodeError: the video cannot be read.
    """
    times, tracks = _survey(sample.video, detector, options)
    start, end = _range(sample, times)
    track = None if options.whole_frame else _choose_track(sample, tracks, start, end)
    positions = _positions(times, track, start, end, options.num_frames)
    return _crop(sample.video, positions, track, options)


def _survey(
    path: Path, detector: FaceDetector | None, options: ExtractOptions
) -> tuple[np.ndarray, list[TrackFrames]]:
    """Frame times, and the face tracks when faces are detected."""
    times: list[float] = []
    observations = []
    with open_video(path, options.backend, options.timeout_s) as video:
        last = None
        for frame in video:
            times.append(frame.pts_s)
            if not options.whole_frame and frame.index % options.detect_every == 0:
                assert detector is not None, "a detector is needed unless faces='none'"
                observations.append((frame.index, frame.pts_s, detector.detect(frame.image)))
            last = frame
        if last is not None and not options.whole_frame and last.index % options.detect_every != 0:
            assert detector is not None
            observations.append((last.index, last.pts_s, detector.detect(last.image)))
    frame_times = np.asarray(times, np.float64)
    if options.whole_frame:
        return frame_times, []
    return frame_times, track_faces(observations, options.tracker, frame_times)


def _range(sample: LabelledClip, times: np.ndarray) -> tuple[float, float]:
    step = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    video_end = float(times[-1]) + step
    if sample.start_s is None or sample.end_s is None:
        return float(times[0]), video_end
    if sample.start_s >= video_end:
        raise SampleError(
            f"{sample.video} (line {sample.line}): starts at {sample.start_s:g} s "
            f"but the video ends at {video_end:.2f} s."
        )
    return float(sample.start_s), min(float(sample.end_s), video_end)


def _choose_track(
    sample: LabelledClip, tracks: list[TrackFrames], start: float, end: float
) -> TrackFrames:
    where = f"{sample.video} (line {sample.line})"
    if sample.face_id is not None:
        for track in tracks:
            if track.face_id == sample.face_id:
                return track
        raise SampleError(f"{where}: no face {sample.face_id} (found {len(tracks)} face(s)).")
    best, best_key = None, (0.0, 0.0)
    for track in tracks:
        inside = (track.times_s >= start) & (track.times_s < end)
        if not inside.any():
            continue
        area = float(np.mean(track.boxes[inside, 2] * track.boxes[inside, 3]))
        key = (float(inside.sum()), area)
        if key > best_key:
            best, best_key = track, key
    if best is None:
        raise SampleError(f"{where}: no face found between {start:g} and {end:g} s.")
    return best


def _positions(
    times: np.ndarray, track: TrackFrames | None, start: float, end: float, t: int
) -> np.ndarray:
    """Frame indices of the T frames on screen at the centres of T equal slices of the range,
    kept within the track's frames."""
    samples = start + (np.arange(t) + 0.5) * ((end - start) / t)
    frames = np.clip(np.searchsorted(times, samples + 1e-9, side="right") - 1, 0, len(times) - 1)
    if track is not None:
        frames = np.clip(frames, track.frame_indices[0], track.frame_indices[-1])
    return frames.astype(np.int64)


def _crop(
    path: Path, positions: np.ndarray, track: TrackFrames | None, options: ExtractOptions
) -> np.ndarray:
    wanted = {int(p) for p in positions}
    crops: dict[int, np.ndarray] = {}
    with open_video(path, options.backend, options.timeout_s) as video:
        for frame in video:
            if frame.index not in wanted:
                if frame.index > max(wanted):
                    break
                continue
            if track is None:
                crops[frame.index] = crop_whole_frame(frame.image, options.size)[0]
                continue
            x, y, w, h = track.boxes[frame.index - int(track.frame_indices[0])]
            box = np.array([x, y, x + w, y + h], np.float64)
            crops[frame.index] = crop_face(frame.image, box, options.size, options.margin)
    missing = wanted - set(crops)
    if missing:
        raise SampleError(f"{path}: frames {sorted(missing)[:5]} could not be read again.")
    return np.stack([crops[int(p)] for p in positions])


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file's content."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


class ClipCache:
    """Extracted clips on disk (`<root>/<key[:2]>/<key>.npy`), keyed by content and options."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._digests: dict[tuple[str, int, int], str] = {}
        self.hits = self.misses = 0

    def key(self, sample: LabelledClip, options: ExtractOptions) -> str:
        stat = sample.video.stat()
        ident = (str(sample.video.resolve()), stat.st_size, stat.st_mtime_ns)
        if ident not in self._digests:
            self._digests[ident] = file_digest(sample.video)
        payload = {
            "video": self._digests[ident],
            "start_s": sample.start_s,
            "end_s": sample.end_s,
            "face_id": sample.face_id,
            "options": asdict(options),
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def get(
        self, sample: LabelledClip, detector: FaceDetector | None, options: ExtractOptions
    ) -> np.ndarray:
        """The sample's clip, from the cache or extracted (and then stored atomically)."""
        key = self.key(sample, options)
        path = self.root / key[:2] / f"{key}.npy"
        if path.exists():
            self.hits += 1
            return np.load(path)
        self.misses += 1
        clip = extract_clip(sample, detector, options)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npy")
        np.save(tmp, clip)
        os.replace(tmp, path)
        return clip
