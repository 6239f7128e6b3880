"""An MP4 for spot checks: the video with each face's box, id and predicted label drawn on it.

    from s2dcli.report.overlay import write_overlay

    write_overlay(Path("talk.mp4"), Path("talk.overlay.mp4"), tracks, clips_of_this_video)

Every frame of the source is decoded once (`engine.video.open_video`), downscaled when its
longer side exceeds `max_side`, drawn on with OpenCV and encoded with PyAV. For each face track
covering a frame: the box, and `face <id> <label> <confidence>`, where the label comes from the
clip of that face whose centre is nearest to the frame's time (only `face <id>` when the face
has no clip). The file is written next to `out_path` under a temporary name and renamed at the
end, so a failure never leaves half a file; it gets the user's umask like any other output.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pandas as pd
from av.video.stream import VideoStream

from engine.video import open_video
from s2dcli.atomic import create_temp_beside
from s2dcli.clips import TrackFrames

logger = logging.getLogger("s2d.report.overlay")

# Encoders tried in order. PyAV's wheels (18.x here) bundle FFmpeg with libx264, so `libx264`
# is what runs: H.264 at CRF 23 plays everywhere and is ~10x smaller than MPEG-4 part 2 at the
# same quality. `h264` is FFmpeg's default H.264 encoder in builds without x264 (e.g.
# openh264); `mpeg4` is native to FFmpeg and always there, the last resort.
ENCODERS = ("libx264", "h264", "mpeg4")
LABEL_COLUMNS = ("face_id", "start_s", "end_s", "label", "confidence")
# RGB box colours, by face id (cycled). Saturated so they stand out and survive yuv420p.
FACE_COLOURS: tuple[tuple[int, int, int], ...] = (
    (0, 255, 0),
    (255, 0, 255),
    (0, 200, 255),
    (255, 160, 0),
    (255, 255, 0),
    (255, 60, 60),
)
_FALLBACK_FPS = 25.0


def face_colour(face_id: int) -> tuple[int, int, int]:
    """The RGB colour a face's box is drawn in."""
    return FACE_COLOURS[face_id % len(FACE_COLOURS)]


@dataclass(frozen=True)
class FaceLabels:
    """One face's clips, by centre time: the label to show at any time.

    centres_s: `(K,)` float64 clip centres, increasing. labels, confidences: `(K,)`, same order.
    """

    centres_s: np.ndarray
    labels: tuple[str, ...]
    confidences: np.ndarray

    def at(self, t: float) -> tuple[str, float]:
        """The label and confidence of the clip whose centre is nearest to `t` seconds."""
        i = int(np.searchsorted(self.centres_s, t))
        if i == len(self.centres_s) or (
            i > 0 and t - self.centres_s[i - 1] <= self.centres_s[i] - t
        ):
            i -= 1
        return self.labels[i], float(self.confidences[i])


def face_labels(clips: pd.DataFrame) -> dict[int, FaceLabels]:
    """Index a clip table (`face_id, start_s, end_s, label, confidence`) by face."""
    if clips.empty:
        return {}
    missing = [c for c in LABEL_COLUMNS if c not in clips.columns]
    if missing:
        raise ValueError(f"The clip table lacks the column(s) {missing}; it needs {LABEL_COLUMNS}.")
    table = clips.assign(_centre=(clips["start_s"] + clips["end_s"]) / 2.0)
    out: dict[int, FaceLabels] = {}
    for face_id, rows in table.groupby("face_id", sort=True):
        rows = rows.sort_values("_centre", kind="stable")
        out[int(face_id)] = FaceLabels(
            centres_s=rows["_centre"].to_numpy(np.float64),
            labels=tuple(str(v) for v in rows["label"]),
            confidences=rows["confidence"].to_numpy(np.float64),
        )
    return out


def caption(face_id: int, labels: FaceLabels | None, t: float) -> str:
    """The text drawn beside a box, e.g. `face 0 happy 0.83`, or `face 0` without clips."""
    text = f"face {face_id}"
    if labels is None:
        return text
    label, confidence = labels.at(t)
    text = f"{text} {label}"
    return text if math.isnan(confidence) else f"{text} {confidence:.2f}"


def output_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The encoded size: longer side at most `max_side`, both sides even (yuv420p), >= 2."""
    scale = min(1.0, max_side / max(width, height))

    def even(v: float) -> int:
        return max(2, int(v * scale) // 2 * 2)

    return even(width), even(height)


def write_overlay(
    video_path: Path,
    out_path: Path,
    tracks: list[TrackFrames],
    clips: pd.DataFrame,
    *,
    max_side: int = 1280,
    timeout_s: float | None = 30.0,
) -> Path:
    """Write `out_path`, an MP4 of `video_path` with the face tracks and their labels drawn.

    Args:
        video_path: The source video.
        out_path: The MP4 to write (replaced if it exists).
        tracks: The face tracks of this video (boxes `x, y, w, h` in source pixels).
        clips: This video's clip table: `face_id, start_s, end_s, label, confidence`, one row
            per clip (may be empty).
        max_side: Frames whose longer side exceeds this are downscaled to it.
        timeout_s: Longest wait for the decoder to make progress; None waits forever.

    Returns:
        `out_path`.

    Raises:
        VideoDecodeError: The source cannot be decoded (no file is left behind).
        ValueError: `max_side` < 2, or the clip table lacks a column.
    """
    if max_side < 2:
        raise ValueError(f"max_side must be at least 2 pixels, got {max_side!r}.")
    labels = face_labels(clips)
    out_path = Path(out_path)
    tmp = create_temp_beside(out_path, ".part.mp4")  # the user's umask, unlike mkstemp
    try:
        with open_video(video_path, timeout_s=timeout_s) as video:
            info = video.info
            size = output_size(info.width, info.height, max_side)
            scale = (size[0] / info.width, size[1] / info.height)
            fps = info.fps if math.isfinite(info.fps) and info.fps > 0 else _FALLBACK_FPS
            with _Encoder(tmp, size, fps) as encoder:
                active = _ActiveTracks(tracks)
                for frame in video:
                    if size == (info.width, info.height):
                        image = frame.image.copy()
                    else:
                        image = cv2.resize(frame.image, size, interpolation=cv2.INTER_AREA)
                    for track, pos in active.at(frame.index):
                        text = caption(
                            track.face_id, labels.get(track.face_id), float(track.times_s[pos])
                        )
                        _draw_face(image, track.boxes[pos], scale, face_colour(track.face_id), text)
                    encoder.write(image, frame.pts_s)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return out_path


class _ActiveTracks:
    """The tracks covering each frame, for frame indices asked in increasing order."""

    def __init__(self, tracks: list[TrackFrames]) -> None:
        self._pending = sorted(tracks, key=lambda t: int(t.frame_indices[0]), reverse=True)
        self._active: list[TrackFrames] = []

    def at(self, index: int) -> list[tuple[TrackFrames, int]]:
        while self._pending and int(self._pending[-1].frame_indices[0]) <= index:
            self._active.append(self._pending.pop())
        self._active = [t for t in self._active if int(t.frame_indices[-1]) >= index]
        found = []
        for track in self._active:
            pos = int(np.searchsorted(track.frame_indices, index))
            if pos < len(track.frame_indices) and int(track.frame_indices[pos]) == index:
                found.append((track, pos))
        return found


def _draw_face(
    image: np.ndarray,
    box: np.ndarray,
    scale: tuple[float, float],
    colour: tuple[int, int, int],
    text: str,
) -> None:
    """Draw one box (`x, y, w, h` in source pixels) and its caption on `image`, in place."""
    height, width = image.shape[:2]
    x, y, w, h = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        return
    x1, y1 = round(x * scale[0]), round(y * scale[1])
    x2, y2 = round((x + w) * scale[0]), round((y + h) * scale[1])
    thickness = max(2, round(max(width, height) / 400))
    cv2.rectangle(image, (x1, y1), (x2, y2), colour, thickness)
    font_scale = max(0.35, max(width, height) / 1600)
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), base = cv2.getTextSize(text, font, font_scale, 1)
    # Above the box when it fits, else just inside its top edge; kept inside the frame.
    top = y1 - th - base - thickness
    if top < 0:
        top = y1 + thickness
    top = min(max(0, top), max(0, height - th - base))
    left = min(max(0, x1), max(0, width - tw - 2))
    cv2.rectangle(image, (left, top), (left + tw + 2, top + th + base), colour, cv2.FILLED)
    cv2.putText(image, text, (left + 1, top + th), font, font_scale, (0, 0, 0), 1, cv2.LINE_AA)


def pick_encoder() -> str:
    """The first encoder of `ENCODERS` this PyAV build has."""
    for name in ENCODERS:
        if name not in av.codecs_available:
            continue
        try:
            av.Codec(name, "w")
        except Exception:  # no encoder by that name in this build
            continue
        return name
    raise RuntimeError(f"This PyAV build has none of the encoders {ENCODERS}; reinstall `av`.")


class _Encoder:
    """An MP4 video stream: RGB frames in, timestamps from the source kept increasing."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float) -> None:
        self._rate = Fraction(fps).limit_denominator(1001)
        codec = pick_encoder()
        logger.debug("overlay %s: %s, %dx%d at %s fps", path, codec, *size, self._rate)
        self._container = av.open(str(path), "w", format="mp4")
        try:
            stream = self._container.add_stream(codec, rate=self._rate)
            if not isinstance(stream, VideoStream):  # pragma: no cover - ENCODERS are video
                raise RuntimeError(f"PyAV's {codec!r} encoder made a non-video stream.")
            stream.width, stream.height = size
            stream.pix_fmt = "yuv420p"
            stream.codec_context.time_base = 1 / self._rate
            if codec == "libx264":
                stream.codec_context.options = {"crf": "23", "preset": "veryfast"}
            else:  # no CRF: a bit rate that keeps spot-check quality (~0.15 bit per pixel)
                stream.codec_context.bit_rate = max(200_000, int(size[0] * size[1] * fps * 0.15))
        except BaseException:
            self._container.close()
            raise
        self._stream = stream
        self._first_pts_s: float | None = None
        self._last_pts = -1

    def write(self, image: np.ndarray, pts_s: float) -> None:
        """Encode one RGB uint8 `(H, W, 3)` frame shown at `pts_s` in the source."""
        if self._first_pts_s is None:
            self._first_pts_s = pts_s
        pts = round((pts_s - self._first_pts_s) * self._rate)
        self._last_pts = pts = max(pts, self._last_pts + 1)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.time_base = self._stream.codec_context.time_base
        frame.pts = pts
        self._container.mux(self._stream.encode(frame))

    def __enter__(self) -> _Encoder:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is None:
                self._container.mux(self._stream.encode())
        finally:
            self._container.close()
