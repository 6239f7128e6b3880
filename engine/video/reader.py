"""Open a video and read it front to back: `open_video`, `VideoReader`, `probe`.

Backends: "pyav" and "decord"; "auto" is PyAV (see `AUTO_PREFERS_DECORD` for why, and for
"decord first, PyAV as the fallback"). Every open starts with a PyAV probe, which rejects files
no decoder can read with a clear reason, flags truncated files and gives the rotation (read
from the MP4/MOV `tkhd` box, or else from a first decoded frame). decord is used only for
regular, untruncated files; where it is preferred but missing or cannot open the file, PyAV
decodes it (when PyAV already decoded the first frame to probe, it carries on from there).
Each frame is decoded once, but for the first frame of a non-MP4 file read with decord.

Two ways to read, both front to back, once:
- `for frame in video`: `Frame`s whose images are read-only views of the decoder's output (no
  copy); the fastest path.
- `video.iter_batches(max_frames)`: contiguous uint8 (N, H, W, 3) batches; each frame is copied
  once into the batch.

Bad input raises `VideoDecodeError(path, reason)`, at open when nothing decodes, else after the
frames before the break were yielded (a file cut short: its good frames, then the error). A
decoder that makes no progress for `timeout_s` (see `worker.py`) raises it too.

Example:
    >>> with open_video("talk.mp4") as video:
    ...     for frame in video:
    ...         track(frame.image, frame.pts_s)
"""

from __future__ import annotations

import logging
import os
import stat
import weakref
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from engine.video.decord_source import DecordSource, decord_module
from engine.video.pyav_source import PyAVSource, probe_container
from engine.video.source import FrameSource, batch_capacity, check_path
from engine.video.types import (
    BACKEND_CHOICES,
    BackendChoice,
    DecodeBreak,
    Frame,
    FrameBatch,
    VideoDecodeError,
    VideoInfo,
)
from engine.video.worker import DecodeWorker

logger = logging.getLogger("s2d.engine.video")

DEFAULT_TIMEOUT_S = 30.0
# False: "auto" means PyAV. decord's sequential reader decodes ahead without bound whenever its
# caller waits on other work (see decord_source.py), so a long video read by a pipeline whose
# model is slower than decoding would be held in memory; PyAV decodes only what is asked for,
# is faster here (benchmarks/bench_decode.py) and resynchronises after damaged data. True
# restores "decord first, PyAV as the fallback".
AUTO_PREFERS_DECORD = False
DEFAULT_MAX_BYTES = 64 << 20


class VideoReader:
    """An open video, read once, front to back, by a decode thread.

    Use `open_video` to make one, and close it (or use `with`). The frames handed out are
    read-only and stay valid after the reader is closed.

    Attributes:
        info: The stream facts; `info.backend` is the decoder actually in use.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        backend: BackendChoice = "auto",
        timeout_s: float | None = DEFAULT_TIMEOUT_S,
        threads: int = 0,
        prefetch: int = 1,
    ) -> None:
        if backend not in BACKEND_CHOICES:
            raise ValueError(f"Unknown video backend {backend!r}; use one of {BACKEND_CHOICES}.")
        if backend == "decord" and decord_module() is None:
            raise ImportError("backend='decord' needs `pip install decord`; or use 'auto'.")
        if timeout_s is not None and timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive or None, got {timeout_s!r}.")
        if prefetch < 1:
            raise ValueError(f"prefetch must be at least 1 batch, got {prefetch!r}.")
        self.path = resolved = Path(path)
        self._started = False
        # The opener must not refer to `self`, or the finalizer below could never run.
        self._worker = DecodeWorker(
            resolved,
            lambda: _open_source(resolved, backend, threads, prefetch + 3),
            timeout_s,
            prefetch,
        )
        weakref.finalize(self, self._worker.stop)
        self.info: VideoInfo = self._worker.wait_info()

    def iter_batches(
        self, max_frames: int = 32, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> Iterator[FrameBatch]:
        """Yield all frames in display order, in batches.

        Args:
            max_frames: Frames per batch at most; the last batch may be shorter.
            max_bytes: Bytes per batch at most (large frames get smaller batches; at least 1).

        Yields:
            `FrameBatch` with frames uint8 (N, H, W, 3), indices int64 (N,), pts_s float64 (N,).

        Raises:
            VideoDecodeError: The stream breaks (after the frames before the break were
                yielded), or no frame decodes within `timeout_s`.
            RuntimeError: The reader was already read.
        """
        if max_frames < 1:
            raise ValueError(f"max_frames must be at least 1, got {max_frames!r}.")
        info = self.info
        self._start(batch_capacity(max_frames, max_bytes, info.height, info.width), False)
        while (chunk := self._worker.next_chunk()) is not None:
            assert isinstance(chunk, FrameBatch)
            yield chunk

    def __iter__(self) -> Iterator[Frame]:
        """Yield every frame as a `Frame(index, pts_s, image)`.

        Images are read-only views of the decoder's output: unlike `iter_batches`, nothing is
        copied. Frames are handed over from the decode thread 16 at a time.
        """
        self._start(16, True)
        while (chunk := self._worker.next_chunk()) is not None:
            assert isinstance(chunk, list)
            yield from chunk

    def _start(self, max_frames: int, per_frame: bool) -> None:
        if self._started:
            raise RuntimeError(
                f"{self.path}: a VideoReader reads front to back once; open the video again."
            )
        self._started = True
        self._worker.start(max_frames, per_frame)

    @property
    def breaks(self) -> list[DecodeBreak]:
        """Damaged stretches skipped so far, in order (frames lost; decoding resumed after).

        Frame indices after a break count the lost frames, so they stay positions in the video.
        """
        return list(self._worker.breaks)

    def close(self) -> None:
        """Stop decoding and release the decoder (a hung decode thread is abandoned)."""
        self._worker.stop(join=True)

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_video(
    path: str | os.PathLike[str],
    backend: BackendChoice = "auto",
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    threads: int = 0,
    prefetch: int = 1,
) -> VideoReader:
    """Open a video for one front-to-back read.

    Args:
        path: The video file.
        backend: "auto" (decord, falling back to PyAV), "decord" or "pyav".
        timeout_s: Longest wait for the decoder to make progress (open, or the next frame)
            before `VideoDecodeError`; None waits forever.
        threads: Decoder threads per video, 0 for FFmpeg's choice.
        prefetch: Batches (or chunks of 16 frames) decoded ahead of the consumer.

    Returns:
        The open `VideoReader`; `reader.info` describes the stream.

    Raises:
        VideoDecodeError: The file is missing, unreadable, empty, not a video, has an unknown
            codec or no frames, or opening stalls.
        ValueError: Bad arguments. ImportError: backend="decord" without decord installed.
    """
    return VideoReader(path, backend, timeout_s, threads, prefetch)


def probe(path: str | os.PathLike[str], timeout_s: float | None = DEFAULT_TIMEOUT_S) -> VideoInfo:
    """Stream facts from PyAV without reading the video (one frame is decoded).

    `num_frames` may differ slightly from what decord would count; `backend` is "pyav".

    Raises:
        VideoDecodeError: As for `open_video`.
    """
    with open_video(path, backend="pyav", timeout_s=timeout_s) as reader:
        return reader.info


def _open_source(path: Path, backend: BackendChoice, threads: int, keep: int) -> FrameSource:
    """Runs in the worker thread: probe with PyAV, then hand over to decord where it is safe."""
    st = check_path(path)
    if backend == "pyav":
        return PyAVSource.open(path, threads, keep)
    if backend == "auto" and not (AUTO_PREFERS_DECORD and decord_module() is not None):
        return PyAVSource.open(path, threads, keep)
    if backend == "auto" and not stat.S_ISREG(st.st_mode):
        logger.debug("%s: not a regular file; decoding with PyAV", path)
        return PyAVSource.open(path, threads, keep)
    # MP4/MOV: facts from the container alone; other formats: PyAV decodes the first frame.
    pyav: PyAVSource | None = None
    probe = probe_container(path)
    if probe is None:
        pyav = PyAVSource.open(path, threads, keep)
        probe = pyav.probe
    if backend == "auto" and probe.truncated:
        logger.debug("%s: %s; decoding with PyAV", path, probe.truncated)
        return pyav or PyAVSource.open(path, threads, keep)
    try:
        source = DecordSource(path, probe, threads, keep)
    except VideoDecodeError as exc:
        if backend == "decord":
            if pyav is not None:
                pyav.close()
            raise
        logger.warning("%s: %s; decoding with PyAV instead", path, exc.reason)
        return pyav or PyAVSource.open(path, threads, keep)
    except BaseException:
        if pyav is not None:
            pyav.close()
        raise
    if pyav is not None:
        pyav.close()
    return source
