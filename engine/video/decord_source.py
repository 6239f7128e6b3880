"""decord backend: sequential `next()` reads, zero-copy into numpy through DLPack.

Found by experiment with decord 0.6.0 (see `benchmarks/bench_decode.py` and the tests):
- it applies the display-matrix rotation itself (90, 180 and 270 all come out upright), but does
  not report it: the rotation comes from the PyAV probe;
- `get_frame_timestamp` is right for variable frame rates and B-frames, but counts from the
  first frame (it drops the stream's start offset) and is float32, so times are re-based on the
  probe's first-frame time and snapped to the stream's time base;
- it cannot open an mp4 whose data was cut short (`av_read_frame failed`), so such files go to
  PyAV; on a cut AVI it raises mid-stream, after fewer frames than PyAV (and a varying number);
- `len()` and the timestamps come from a demux pass over the whole file when it opens;
- its read-ahead has no bound: `next()` feeds its decode thread one packet and, while no frame
  is ready, another and another (a non-blocking pop in a loop), and every packet fed becomes a
  decoded RGB frame held in its queue. A caller that pauses (a slow model, a busy CPU) lets the
  queue grow and it never shrinks, so memory grows with the video's length where PyAV stays
  flat (README, Memory). So "auto" reads with PyAV.
Upstream reports hangs in `get_batch` / seeking and aborts on some corrupt files; only the
sequential path is used here, on regular files the PyAV probe found sound, under the reader's
stall deadline.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from engine.video.buffers import BufferPool
from engine.video.pyav_source import ContainerProbe
from engine.video.source import Heartbeat, TimestampFixer, make_batch, quarter_turns
from engine.video.types import DecodeBreak, Frame, FrameBatch, VideoDecodeError

logger = logging.getLogger("s2d.engine.video")

_DECORD_PREFIX = re.compile(r"\[\d\d:\d\d:\d\d\] \S+:\d+: ")
_AVERROR_INVALIDDATA = -1094995529  # FFmpeg's code in decord's "Check failed" messages


@functools.lru_cache(maxsize=1)
def decord_module() -> ModuleType | None:
    """The `decord` module, or None when it cannot be imported (e.g. on ARM)."""
    try:
        import decord
    except ImportError as exc:  # pragma: no cover - depends on the platform
        logger.info("decord is not available (%s); videos are decoded with PyAV", exc)
        return None
    return decord


class _DLPack:
    """Hands a decord NDArray to `np.from_dlpack` without a copy."""

    def __init__(self, array: Any) -> None:
        self._array = array

    def __dlpack__(self, *, stream: None = None, **_: object) -> Any:
        # decord's DLPack capsule (decord is untyped; numpy wants a PyCapsule here)
        return self._array.to_dlpack()

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)  # kDLCPU


class DecordSource:
    """A video opened with decord; see `FrameSource` for the contract.

    Args:
        path: The video, a regular file.
        probe: Stream facts from the PyAV probe (rotation, codec, first time, time base).
        threads: Decoder threads, 0 for decord's choice.
        keep_buffers: Batch buffers kept for reuse (see `BufferPool`).

    Raises:
        VideoDecodeError: decord cannot open the file or finds no frames.
    """

    def __init__(
        self,
        path: Path,
        probe: ContainerProbe,
        threads: int = 0,
        keep_buffers: int = 4,
    ) -> None:
        decord = decord_module()
        if decord is None:
            raise VideoDecodeError(path, "decord is not installed; use backend='pyav'")
        self._path = path
        self._decord = decord
        try:
            reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=threads)
            count = len(reader)
            times = reader.get_frame_timestamp(range(count))[:, 0].astype(np.float64)
        except (decord.DECORDError, RuntimeError, AssertionError) as exc:
            raise VideoDecodeError(path, f"decord cannot open it: {_first_line(exc)}") from exc
        self._reader: Any = reader
        # decord counts time from the first frame; put the stream's start offset back.
        times += probe.first_pts_s - times[0]
        tick = float(probe.time_base)
        times = np.round(times / tick) * tick
        if not np.all(np.diff(times) > 0):  # broken timestamps: same repair as for PyAV
            fix = TimestampFixer(path, probe.info.fps)
            times = np.array([fix(float(t), i) for i, t in enumerate(times)], np.float64)
        self._pts_s = times
        self._next_index = 0
        self._count = count
        self._check_shape = True
        self._turns = 0
        self._error: VideoDecodeError | None = None
        self._pool = BufferPool(keep_buffers)
        self.info = replace(probe.info, backend="decord", num_frames=count)
        self.breaks: list[DecodeBreak] = []  # decord cannot resume after damage

    def read(self, max_frames: int, heartbeat: Heartbeat) -> FrameBatch | None:
        if self._error is not None:
            raise self._error
        start, count = self._next_index, 0
        buffer = self._pool.take((max_frames, self.info.height, self.info.width, 3))
        while count < max_frames:
            image = self._next_image()
            if image is None:
                break
            buffer[count] = image  # the one copy: decord's frame -> batch
            count += 1
            self._next_index += 1
            heartbeat()
        if not count:
            self._end()
            return None
        return make_batch(buffer, start, self._pts_s[start : start + count].copy(), count)

    def read_frames(self, max_frames: int, heartbeat: Heartbeat) -> list[Frame] | None:
        if self._error is not None:
            raise self._error
        frames: list[Frame] = []
        while len(frames) < max_frames:
            image = self._next_image()
            if image is None:
                break
            index = self._next_index
            frames.append(Frame(index, float(self._pts_s[index]), image))
            self._next_index += 1
            heartbeat()
        if not frames:
            self._end()
            return None
        return frames

    def close(self) -> None:
        self._pool.clear()
        self._reader = None  # decord frees its decoder when the reader is collected

    def _end(self) -> None:
        self.close()
        if self._error is not None:
            raise self._error

    def _next_image(self) -> np.ndarray | None:
        """The next frame as a read-only upright view (no copy); None at the end or a break."""
        if self._reader is None or self._next_index >= self._count:
            return None
        try:
            frame = self._reader.next()
        except StopIteration:
            logger.warning(
                "%s: decord indexed %d frames but decoded %d",
                self._path,
                self._count,
                self._next_index,
            )
            self._count = self._next_index
            return None
        except self._decord.DECORDError as exc:
            # Frames before the break were handed out; the error comes with the next read.
            n, detail = self._next_index, _first_line(exc)
            cause = "corrupt data" if str(_AVERROR_INVALIDDATA) in detail else "the decoder stopped"
            logger.debug("%s: decord stopped after %d frames: %s", self._path, n, detail)
            self._error = VideoDecodeError(
                self._path,
                f"decoding failed after {n} frames: {cause} (decord cannot resume; "
                "the pyav backend can)",
                frame=n,
                cause=cause,
                detail=detail,
            )
            self.close()
            return None
        image = np.from_dlpack(_DLPack(frame))
        if self._check_shape:
            self._check_shape = False
            self._turns = self._rotation_fix(image.shape)
        if self._turns:
            image = np.rot90(image, self._turns)
        return image

    def _rotation_fix(self, shape: tuple[int, ...]) -> int:
        """Quarter turns still to apply if this decord build did not rotate (shape check)."""
        info = self.info
        if shape[:2] == (info.height, info.width):
            return 0
        if shape[:2] == (info.width, info.height):
            logger.warning(
                "%s: decord did not apply the %d degree rotation; applying it",
                self._path,
                info.rotation,
            )
            return quarter_turns(info.rotation)
        raise VideoDecodeError(
            self._path,
            f"decord frames are {shape[1]}x{shape[0]}, expected {info.width}x{info.height}; "
            "use backend='pyav'",
        )


def _first_line(exc: BaseException) -> str:
    """decord messages carry timestamps, source locations and a stack trace: keep the message."""
    lines = str(exc).strip().splitlines()
    text = _DECORD_PREFIX.sub("", lines[0]) if lines else ""
    return text.strip() or type(exc).__name__
