"""The contract each decoder backend implements, and the checks they share.

A `FrameSource` is opened, read front to back in batches, and closed, all on one thread (the
reader's worker thread, see `worker.py`); it is never shared between threads.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from engine.video.types import DecodeBreak, Frame, FrameBatch, VideoDecodeError, VideoInfo

logger = logging.getLogger("s2d.engine.video")

Heartbeat = Callable[[], None]
"""Called by a source after each frame it decodes: proof of progress for the stall deadline."""


class FrameSource(Protocol):
    """One opened video, read front to back exactly once.

    `breaks` lists the damaged stretches skipped so far (frames lost, decoding resumed), in
    order; a source that cannot resume ends with a `VideoDecodeError` instead.
    """

    info: VideoInfo
    breaks: list[DecodeBreak]

    def read(self, max_frames: int, heartbeat: Heartbeat) -> FrameBatch | None:
        """Decode up to `max_frames` further frames; None once the stream has ended.

        Raises:
            VideoDecodeError: The stream is broken here. Frames decoded before the break were
                returned by earlier calls.
        """
        ...

    def read_frames(self, max_frames: int, heartbeat: Heartbeat) -> list[Frame] | None:
        """Like `read`, but frames one by one, each image a read-only view (no copy)."""
        ...

    def close(self) -> None:
        """Release the decoder; idempotent."""
        ...


def check_path(path: Path) -> os.stat_result:
    """Fail early, with a clear reason, on inputs no decoder could read.

    FIFOs and devices are allowed (they stream); directories, missing, unreadable and empty
    regular files are not.

    Returns:
        The file's `os.stat` result.

    Raises:
        VideoDecodeError: The path is missing, a directory, unreadable or an empty file.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise VideoDecodeError(path, "file not found; check the path") from None
    except PermissionError:
        raise VideoDecodeError(
            path, "permission denied on the path; make it readable (chmod +r)"
        ) from None
    except OSError as exc:
        raise VideoDecodeError(path, f"cannot stat the file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise VideoDecodeError(path, "is a directory; pass a video file")
    if not os.access(path, os.R_OK):
        raise VideoDecodeError(path, "permission denied; make the file readable (chmod +r)")
    if stat.S_ISREG(st.st_mode) and st.st_size == 0:
        raise VideoDecodeError(path, "the file is empty (0 bytes); copy or export it again")
    return st


def batch_capacity(max_frames: int, max_bytes: int, height: int, width: int) -> int:
    """Frames per batch: `max_frames`, fewer if the batch would exceed `max_bytes` (at least 1)."""
    return max(1, min(max_frames, max_bytes // max(1, height * width * 3)))


def quarter_turns(rotation_cw: int) -> int:
    """The `k` for `np.rot90(image, k)` that turns an image `rotation_cw` degrees clockwise."""
    return (-rotation_cw // 90) % 4


def make_batch(frames: np.ndarray, start: int, pts_s: np.ndarray, count: int) -> FrameBatch:
    """Wrap the first `count` rows of filled buffers into a read-only `FrameBatch`.

    Args:
        frames: uint8 (C, H, W, 3) buffer, C >= count.
        start: Index of the first frame.
        pts_s: float64 (C,) buffer of presentation times.
        count: Rows filled.
    """
    images = frames[:count]
    images.flags.writeable = False
    times = pts_s[:count]
    times.flags.writeable = False
    indices = np.arange(start, start + count, dtype=np.int64)
    return FrameBatch(images, indices, times)


class TimestampFixer:
    """Makes presentation times strictly increasing, extrapolating at the nominal rate.

    Broken files may carry no timestamps or repeat them; consumers (trackers, clip samplers)
    need time to move forward, so such frames get `previous + 1 / fps`, with one warning per
    video.
    """

    def __init__(self, path: Path, fps: float) -> None:
        self._path = path
        self._step = 1.0 / fps if fps > 0 else 1.0 / 25.0
        self._previous: float | None = None
        self._warned = False

    def __call__(self, pts_s: float | None, index: int) -> float:
        previous = self._previous
        if previous is not None and (pts_s is None or pts_s <= previous):
            if not self._warned:
                self._warned = True
                logger.warning(
                    "%s: timestamps missing or not increasing from frame %d; "
                    "extrapolating at %.3f fps",
                    self._path,
                    index,
                    1.0 / self._step,
                )
            pts_s = previous + self._step
        elif pts_s is None:
            pts_s = 0.0
        self._previous = pts_s
        return pts_s
