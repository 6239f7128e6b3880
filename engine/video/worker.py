"""One daemon thread per open video: it opens the source and decodes ahead into a small queue.

Why a thread: a native open or read that never returns (a stalled network mount, a FIFO with no
writer, a decoder deadlock) cannot be interrupted from Python. The consumer therefore waits on
the queue under a deadline: if the worker makes no progress (no frame decoded) for `timeout_s`,
the consumer raises `VideoDecodeError` and abandons the thread, which exits by itself if the
native call ever returns (until then it keeps its file open). The deadline runs from the later
of the last decoded frame and the start of the wait, so a slow consumer never counts as a stall.
The consumer waits in an interruptible queue get, so Ctrl-C is not delayed. Decoding ahead also
overlaps decode with the consumer's work; PyAV and decord release the GIL while they decode.

Nothing is shared between workers, so one stalled or broken video cannot affect another.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from engine.video.source import FrameSource
from engine.video.types import DecodeBreak, Frame, FrameBatch, VideoDecodeError, VideoInfo

logger = logging.getLogger("s2d.engine.video")

_PUT_POLL_S = 0.1  # how often a worker blocked on a full queue checks for a stop
_JOIN_S = 1.0  # how long close() waits for the worker before abandoning it


class _Stopped(Exception):
    """Raised in the worker, from a source's heartbeat, once the consumer has stopped it."""


class DecodeWorker:
    """Runs `opener()` and then `source.read(...)` in a daemon thread.

    Args:
        path: The video, for error messages and the thread name.
        opener: Opens the source; runs in the worker thread.
        timeout_s: Longest time without progress before a wait fails; None waits forever.
        prefetch: Batches decoded ahead of the consumer (at least 1).
    """

    def __init__(
        self,
        path: Path,
        opener: Callable[[], FrameSource],
        timeout_s: float | None,
        prefetch: int,
    ) -> None:
        self._path = path
        self._timeout_s = timeout_s
        self._items: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=max(1, prefetch))
        self._requests: queue.Queue[tuple[int, bool] | None] = queue.Queue()
        self._stop = threading.Event()
        self._progress = time.monotonic()
        self._started = False
        self._delivered = 0  # frames handed to the consumer
        self._failure: BaseException | None = None
        self._hung = False  # a stall was detected: joining the thread would only wait
        self.breaks: list[DecodeBreak] = []  # the source's, once it is open
        self._thread = threading.Thread(
            target=self._run, args=(opener,), name=f"s2d-video:{path.name}", daemon=True
        )
        self._thread.start()

    # -- consumer side -------------------------------------------------------------------------

    def wait_info(self) -> VideoInfo:
        """Wait for the source to open.

        Raises:
            VideoDecodeError: It could not be opened, or opening stalled.
        """
        kind, value = self._get()
        assert kind == "info", kind
        assert isinstance(value, VideoInfo)
        return value

    def start(self, max_frames: int, per_frame: bool = False) -> None:
        """Let the worker decode chunks of at most `max_frames` frames.

        Args:
            max_frames: Frames per chunk.
            per_frame: Chunks are lists of `Frame` views (no copy) instead of `FrameBatch`.
        """
        self._started = True
        self._requests.put((max_frames, per_frame))

    def next_chunk(self) -> FrameBatch | list[Frame] | None:
        """The next chunk, or None at the end of the stream.

        Raises:
            VideoDecodeError: The stream broke or stalled; earlier chunks were good.
        """
        kind, value = self._get()
        if kind == "end":
            self.stop()
            return None
        assert kind == "chunk", kind
        assert isinstance(value, (FrameBatch, list))
        self._delivered += len(value)
        return value

    def stop(self, join: bool = False) -> None:
        """Ask the worker to finish and release the source; optionally wait a little for it."""
        self._stop.set()
        self._requests.put(None)
        while True:  # unblock a worker waiting on a full queue
            try:
                self._items.get_nowait()
            except queue.Empty:
                break
        if self._hung or self._thread is threading.current_thread():
            return
        if join and self._thread.is_alive():
            self._thread.join(_JOIN_S)
            if self._thread.is_alive():
                logger.warning(
                    "%s: decode thread still blocked in a native call; abandoning it",
                    self._path,
                )

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def _get(self) -> tuple[str, object]:
        if self._failure is not None:
            raise self._failure
        waited_from = time.monotonic()
        while True:
            try:
                kind, value = self._items.get(timeout=self._wait_s(waited_from))
            except queue.Empty:
                if self._wait_s(waited_from) > 0.001:
                    continue  # the worker made progress meanwhile
                self._hung = True
                raise self._failed(self._stalled()) from None
            if kind != "error":
                return kind, value
            assert isinstance(value, BaseException)
            if isinstance(value, VideoDecodeError):
                raise self._failed(value)
            bug = RuntimeError(f"video decode thread for {str(self._path)!r} failed: {value!r}")
            raise self._failed(bug) from value

    def _wait_s(self, waited_from: float) -> float:
        """Seconds left before the wait counts as a stall (1 s slices when there is no limit)."""
        if self._timeout_s is None:
            return 1.0
        deadline = max(self._progress, waited_from) + self._timeout_s
        return max(0.001, deadline - time.monotonic())

    def _stalled(self) -> VideoDecodeError:
        stage = f"after {self._delivered} frames" if self._started else "opening the file"
        return VideoDecodeError(
            self._path,
            f"decoding stalled {stage}: no progress for {self._timeout_s:g} s (a hung read or "
            "decoder; its thread was abandoned). Raise timeout_s if the storage is this slow.",
        )

    def _failed(self, error: BaseException) -> BaseException:
        """Remember `error` for later calls, stop the worker, and return `error` to raise."""
        self._failure = error
        self.stop()
        return error

    # -- worker side ---------------------------------------------------------------------------

    def _beat(self) -> None:
        if self._stop.is_set():
            raise _Stopped  # the consumer closed the reader: drop the rest of this chunk
        self._progress = time.monotonic()

    def _put(self, kind: str, value: object) -> bool:
        while not self._stop.is_set():
            try:
                self._items.put((kind, value), timeout=_PUT_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, opener: Callable[[], FrameSource]) -> None:
        source: FrameSource | None = None
        try:
            source = opener()
            self.breaks = source.breaks  # appended to by this thread, read by the consumer
            self._progress = time.monotonic()
            if not self._put("info", source.info):
                return
            request = self._requests.get()
            if request is None:
                return
            max_frames, per_frame = request
            read = source.read_frames if per_frame else source.read
            while not self._stop.is_set():
                chunk = read(max_frames, self._beat)
                if chunk is None:
                    self._put("end", None)
                    return
                if not self._put("chunk", chunk):
                    return
                chunk = None  # let the consumer be the last holder (buffers are recycled)
                self._progress = time.monotonic()  # time spent waiting for the consumer
        except _Stopped:
            pass
        except BaseException as exc:
            self._put("error", exc)
        finally:
            if source is not None:
                source.close()
