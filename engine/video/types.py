"""What the video readers hand out: stream facts, frames, batches of frames, and the one error."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

Backend = Literal["decord", "pyav"]
BackendChoice = Literal["auto", "decord", "pyav"]
BACKEND_CHOICES: tuple[str, ...] = ("auto", "decord", "pyav")


class VideoDecodeError(Exception):
    """A video could not be opened or decoded; the only error the video readers raise for bad input.

    Attributes:
        path: The video.
        reason: What went wrong and, where there is one, how to fix it (plain words).
        frame: Mid-stream: the index of the first frame that did not decode (the frames
            before it were handed out); None when the video could not be opened.
        cause: Mid-stream: the cause in a few plain words (e.g. "corrupt data").
        detail: The decoder's own message, for a debug log; never shown to users as is.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        reason: str,
        *,
        frame: int | None = None,
        cause: str | None = None,
        detail: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.reason = reason
        self.frame = frame
        self.cause = cause
        self.detail = detail
        super().__init__(f"Cannot decode {str(self.path)!r}: {reason}")

    def __reduce__(
        self,
    ) -> tuple[type[VideoDecodeError], tuple[Path, str], dict[str, object]]:
        # Keep the constructor picklable (process pools re-raise it): keywords go as state.
        state: dict[str, object] = {"frame": self.frame, "cause": self.cause, "detail": self.detail}
        return type(self), (self.path, self.reason), state


@dataclass(frozen=True)
class DecodeBreak:
    """A damaged stretch the decoder skipped, resuming at the next keyframe.

    Attributes:
        frame: Index of the first frame lost.
        time_s: About when that frame was due, seconds.
        resumed_frame: Index of the first frame decoded again (indices count the lost ones).
        resumed_s: Its presentation time, seconds.
        cause: Why, in a few plain words (e.g. "corrupt data").
        detail: The decoder's own message, for a debug log.
    """

    frame: int
    time_s: float
    resumed_frame: int
    resumed_s: float
    cause: str
    detail: str


@dataclass(frozen=True)
class VideoInfo:
    """Facts about a video stream, as the reader sees it.

    Attributes:
        path: The video file.
        width: Frame width after rotation, i.e. of the frames the reader yields.
        height: Frame height after rotation.
        fps: Nominal frame rate (the container's average rate). For a variable frame rate it is
            only an average: use each frame's `pts_s` for time.
        num_frames: Frames in the stream: exact when the container or decoder counts them, an
            estimate (duration x fps) otherwise, None when neither is known.
        duration_s: Stream duration in seconds, None when unknown.
        rotation: Clockwise degrees (0, 90, 180 or 270) the stored frames are turned to show
            them upright; the reader has already applied it.
        backend: The decoder in use, "decord" or "pyav".
        codec: The codec's FFmpeg name, e.g. "h264".
    """

    path: Path
    width: int
    height: int
    fps: float
    num_frames: int | None
    duration_s: float | None
    rotation: int
    backend: Backend
    codec: str


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes:
        index: Position in display order, counted from 0.
        pts_s: Presentation time in seconds, from the container's timestamps.
        image: uint8 (H, W, 3) RGB, upright; read-only (copy it to edit it). Rows may be
            padded (a strided view of the decoder's output); strides are never negative.
    """

    index: int
    pts_s: float
    image: np.ndarray


@dataclass(frozen=True)
class FrameBatch:
    """Consecutive frames of one video, in display order.

    Attributes:
        frames: uint8 (N, H, W, 3) RGB, upright, read-only.
        indices: int64 (N,) frame indices, consecutive.
        pts_s: float64 (N,) presentation times in seconds, increasing.
    """

    frames: np.ndarray
    indices: np.ndarray
    pts_s: np.ndarray

    def __post_init__(self) -> None:
        frames, indices, pts_s = self.frames, self.indices, self.pts_s
        if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != 3:
            raise ValueError(
                f"FrameBatch.frames must be uint8 (N, H, W, 3), got {frames.dtype} {frames.shape}"
            )
        n = frames.shape[0]
        if indices.dtype != np.int64 or indices.shape != (n,):
            raise ValueError(
                f"FrameBatch.indices must be int64 ({n},), got {indices.dtype} {indices.shape}"
            )
        if pts_s.dtype != np.float64 or pts_s.shape != (n,):
            raise ValueError(
                f"FrameBatch.pts_s must be float64 ({n},), got {pts_s.dtype} {pts_s.shape}"
            )

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def frame(self, i: int) -> Frame:
        """The `i`-th frame of the batch as a `Frame` (a view, no copy)."""
        return Frame(int(self.indices[i]), float(self.pts_s[i]), self.frames[i])
