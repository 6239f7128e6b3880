"""PyAV (FFmpeg) backend: demux and decode front to back, convert to RGB, apply the rotation.

Also the probe for every backend: `PyAVSource.open` decodes the first frame, so it learns the
rotation (PyAV exposes the display matrix on frames only) and fails early on files with no
decodable frame. When PyAV then is the backend, that frame is the first one yielded: nothing is
decoded twice. A packet that fails to decode costs the frames up to the next keyframe, not the
rest of the video (`pyav_decode.py`); `breaks` lists the stretches lost.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np
from av.video.reformatter import VideoReformatter

from engine.video.buffers import BufferPool
from engine.video.mp4_rotation import mp4_rotation
from engine.video.pyav_decode import (
    BreakLog,
    PacketDecoder,
    decode_reason,
    ffmpeg_reason,
    plain_cause,
)
from engine.video.source import (
    Heartbeat,
    TimestampFixer,
    make_batch,
    quarter_turns,
)
from engine.video.types import DecodeBreak, Frame, FrameBatch, VideoDecodeError, VideoInfo

logger = logging.getLogger("s2d.engine.video")

_INDEX_TAIL = 64  # index entries inspected for the largest byte offset the file must reach


class PyAVSource:
    """A video opened with PyAV; see `FrameSource` for the contract.

    Attributes:
        info: The stream facts (backend "pyav").
        first_pts_s: Presentation time of the first frame, seconds.
        time_base: The stream's time base, for snapping other backends' float timestamps.
        truncated: A reason string if the container's index points past the end of the file.
    """

    def __init__(
        self,
        path: Path,
        container: av.container.InputContainer,
        stream: av.video.stream.VideoStream,
        frames: PacketDecoder,
        first: av.VideoFrame,
        truncated: str | None,
        keep_buffers: int = 4,
        threads: int = 0,
    ) -> None:
        self._path = path
        self._threads = threads
        self._container: av.container.InputContainer | None = container
        self._frames = frames
        self._pending: av.VideoFrame | None = first
        self._held: tuple[np.ndarray, float] | None = None  # converted, not yet handed out
        self._reformatter = VideoReformatter()  # one swscale context for all frames
        self._pool = BufferPool(keep_buffers)
        self._next_index = 0
        self._error: VideoDecodeError | None = None
        self.truncated = truncated
        self.time_base = stream.time_base or Fraction(1, 1000)
        self.first_pts_s = float(first.time) if first.time is not None else 0.0

        rotation = _rotation_cw(path, first)
        self._turns = quarter_turns(rotation)
        self.info = _stream_info(path, container, stream, first.width, first.height, rotation)
        self._fix_pts = TimestampFixer(path, self.info.fps)
        self._breaks = BreakLog(self.info.fps, plain_cause)
        self.breaks: list[DecodeBreak] = self._breaks.breaks

    @property
    def probe(self) -> ContainerProbe:
        """What another backend needs to know from this probe."""
        return ContainerProbe(self.info, self.first_pts_s, self.time_base, self.truncated)

    @classmethod
    def open(cls, path: Path, threads: int = 0, keep_buffers: int = 4) -> PyAVSource:
        """Open `path`, check it has a decodable video stream and decode its first frame.

        Args:
            path: The video.
            threads: Decoder threads, 0 for FFmpeg's choice.
            keep_buffers: Batch buffers kept for reuse (see `BufferPool`).

        Raises:
            VideoDecodeError: No container, no video stream, no decoder, or no frame.
        """
        container, stream = _open_container(path)
        try:
            stream.thread_type = "AUTO"
            stream.codec_context.thread_count = threads
            truncated = _truncation(path, stream)
            frames = PacketDecoder(container, stream)
            try:
                first = next(frames, None)
                frames.take_failure()  # damage before the first frame: it starts the video
            except (av.error.FFmpegError, OSError) as exc:
                raise VideoDecodeError(path, ffmpeg_reason(exc)) from exc
            if first is None:
                reason = "the video stream has no decodable frames"
                raise VideoDecodeError(path, f"{reason} ({truncated})" if truncated else reason)
            return cls(path, container, stream, frames, first, truncated, keep_buffers, threads)
        except BaseException:
            container.close()
            raise

    def read(self, max_frames: int, heartbeat: Heartbeat) -> FrameBatch | None:
        if self._error is not None:
            raise self._error
        buffer: np.ndarray | None = None
        times = np.empty(max_frames, np.float64)
        start, count = self._next_index, 0
        while count < max_frames:
            item = self._next_image()
            if item is None:
                break
            image, pts_s = item
            if count and self._next_index != start + count:  # frames lost: a new batch
                self._held = item
                break
            if buffer is None:
                buffer = self._pool.take((max_frames, *image.shape))
            elif image.shape != buffer.shape[1:]:  # the stream changed size: new batch
                logger.warning(
                    "%s: frame size changes at frame %d, from %s to %s",
                    self._path,
                    self._next_index,
                    buffer.shape[1:3],
                    image.shape[:2],
                )
                self._held = item
                break
            buffer[count] = image  # the one copy: swscale output -> batch
            times[count] = pts_s
            count += 1
            self._next_index += 1
            heartbeat()
        if buffer is None or not count:
            self._end()
            return None
        return make_batch(buffer, start, times, count)

    def read_frames(self, max_frames: int, heartbeat: Heartbeat) -> list[Frame] | None:
        if self._error is not None:
            raise self._error
        frames: list[Frame] = []
        while len(frames) < max_frames:
            item = self._next_image()
            if item is None:
                break
            image, pts_s = item
            if self._turns:  # rot90 views have negative strides, which torch cannot take
                image = np.ascontiguousarray(image)
            image.flags.writeable = False  # else a view of the swscale output, no copy
            frames.append(Frame(self._next_index, pts_s, image))
            self._next_index += 1
            heartbeat()
        if not frames:
            self._end()
            return None
        return frames

    def close(self) -> None:
        self._pool.clear()
        if self._container is not None:
            self._container.close()
            self._container = None

    def _end(self) -> None:
        self.close()
        if self._error is not None:
            raise self._error

    def _next_image(self) -> tuple[np.ndarray, float] | None:
        """The next frame as an upright RGB view (H, W, 3) and its time, or None at the end."""
        if self._held is not None:
            item, self._held = self._held, None
            return item
        while True:
            frame = self._next_frame()
            if frame is None:
                return None
            failure = self._frames.take_failure()
            index = self._breaks.place(failure, frame.time, self._next_index)
            if index is not None:
                break
            logger.debug("%s: dropped a frame from before a damaged stretch", self._path)
        if index != self._next_index:
            logger.debug(
                "%s: frames %d-%d lost: %s", self._path, self._next_index, index - 1, failure
            )
        self._next_index = index
        rgb = self._reformatter.reformat(frame, format="rgb24", threads=self._threads)
        image = rgb.to_ndarray()
        if self._turns:
            image = np.rot90(image, self._turns)
        pts_s = self._fix_pts(frame.time, self._next_index)
        self._breaks.delivered(pts_s)
        return image, pts_s

    def _next_frame(self) -> av.VideoFrame | None:
        """The next decoded frame; None at the end or at a break (then `_error` is set)."""
        if self._pending is not None:
            first, self._pending = self._pending, None
            return first
        if self._error is not None or self._container is None:
            return None
        n = self._next_index
        frame: av.VideoFrame | None
        broken: BaseException | None
        try:
            frame = next(self._frames, None)
            broken = self._frames.unrecovered if frame is None else None
        except (av.error.FFmpegError, OSError) as exc:
            frame, broken = None, exc
        if broken is not None:
            reason = self.truncated or decode_reason(broken)
            self._error = VideoDecodeError(
                self._path,
                f"decoding failed after {n} frames: {reason}",
                frame=n,
                cause="the file is cut short" if self.truncated else plain_cause(broken),
                detail=str(broken),
            )
        elif frame is None and self.truncated:
            self._error = VideoDecodeError(
                self._path,
                f"{self.truncated}; decoded {n} frames before the cut",
                frame=n,
                cause="the file is cut short",
                detail=self.truncated,
            )
        return frame


@dataclass(frozen=True)
class ContainerProbe:
    """Stream facts for a backend that decodes by itself (decord).

    Attributes:
        info: The stream facts, rotation applied to width and height.
        first_pts_s: Presentation time of the first frame, seconds.
        time_base: The stream's time base.
        truncated: A reason string if the file is cut short, else None.
    """

    info: VideoInfo
    first_pts_s: float
    time_base: Fraction
    truncated: str | None


def probe_container(path: Path) -> ContainerProbe | None:
    """Stream facts without decoding a frame, for MP4/MOV files (rotation from `tkhd`).

    Returns:
        The facts, or None when the rotation cannot be read from the container (not MP4/MOV):
        then `PyAVSource.open(...).probe` decodes the first frame to learn it.

    Raises:
        VideoDecodeError: No container, no video stream, or no decoder.
    """
    rotation = mp4_rotation(path)
    if rotation is None:
        return None
    container, stream = _open_container(path)
    with container:
        width, height = stream.codec_context.width, stream.codec_context.height
        if not width or not height:
            return None
        info = _stream_info(path, container, stream, width, height, rotation)
        time_base = stream.time_base or Fraction(1, 1000)
        start = stream.start_time
        first_pts_s = float(start * time_base) if start is not None else 0.0
        return ContainerProbe(info, first_pts_s, time_base, _truncation(path, stream))


def _open_container(
    path: Path,
) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
    """Open the container and pick its video stream, checking there is a decoder for it."""
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError) as exc:
        raise VideoDecodeError(path, ffmpeg_reason(exc)) from exc
    try:
        if not container.streams.video:
            raise VideoDecodeError(path, "no video stream (audio-only or data file)")
        best = container.streams.best("video")  # typed Stream; for "video" a VideoStream
        stream = (
            best if isinstance(best, av.video.stream.VideoStream) else container.streams.video[0]
        )
        if stream.codec_context is None:
            raise VideoDecodeError(
                path, "unknown codec: FFmpeg has no decoder for it; re-encode it to H.264"
            )
    except BaseException:
        container.close()
        raise
    return container, stream


def _stream_info(
    path: Path,
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    width: int,
    height: int,
    rotation: int,
) -> VideoInfo:
    """`VideoInfo` from the stream, for stored frames `width` x `height` turned by `rotation`."""
    if rotation in (90, 270):
        width, height = height, width
    fps = _fps(stream)
    duration_s = _duration_s(container, stream)
    num_frames: int | None = stream.frames or None
    if num_frames is None and duration_s and fps:
        num_frames = round(duration_s * fps)
    return VideoInfo(
        path=path,
        width=width,
        height=height,
        fps=fps,
        num_frames=num_frames,
        duration_s=duration_s,
        rotation=rotation,
        backend="pyav",
        codec=stream.codec_context.name,
    )


def _rotation_cw(path: Path, frame: av.VideoFrame) -> int:
    """Clockwise display rotation from the frame's display matrix, snapped to 0/90/180/270."""
    counter_clockwise = frame.rotation or 0
    clockwise = (-counter_clockwise) % 360
    snapped = round(clockwise / 90.0) % 4 * 90
    off = abs(clockwise - snapped) % 360
    if min(off, 360 - off) > 1:
        logger.warning(
            "%s: rotation %s degrees is not a quarter turn; using %d", path, clockwise, snapped
        )
    return snapped


def _fps(stream: av.video.stream.VideoStream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else 0.0


def _duration_s(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _truncation(path: Path, stream: av.video.stream.VideoStream) -> str | None:
    """A reason if the container's index says the file should be longer than it is.

    Formats with a full index up front (mp4/mov, and avi/mkv once indexed) list every packet's
    byte offset; if the last ones lie past the end of the file, it was cut short (an interrupted
    copy or recording).
    """
    try:
        size = os.path.getsize(path)
        entries = stream.index_entries
        n = len(entries)
        tail = entries[max(0, n - _INDEX_TAIL) : n] if n else []
    except (OSError, av.error.FFmpegError):
        return None
    expected = max((e.pos + e.size for e in tail if e.pos >= 0), default=0)
    if expected > size:
        return f"file is truncated ({size} bytes; its index needs {expected}): re-copy it"
    return None
