"""The annotation pipeline: many videos in, one `VideoResult` per video out, in input order.

    reader threads (one per video being read, `read_face_clips`: decode -> detect -> track ->
      crop -> cut clips)
      -> chain_streams (videos in input order, `workers` of them read at once)
      -> collate thread (large uint8 batches across videos; pinned memory on CUDA)
      -> main thread: `Classifier` on the device -> results routed back to their videos

Everything is bounded: each reader runs at most `queue_clips` clips ahead, the collate thread
two batches ahead. The order of clips into batches depends only on the inputs, never on thread
timing, so the same inputs give the same outputs; on CUDA batches are padded to one shape so
a clip's scores do not depend on which clips share its batch (on CPU they do not anyway: the
tests check it), which lets `--resume` reproduce an uninterrupted run exactly.

Leaving the iteration early (an exception, Ctrl-C) stops every thread within a fraction of a
second; the pipeline starts no processes.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.batching import Batch, chain_streams, collate
from engine.prefetch import Prefetcher
from engine.stats import peak_rss_bytes
from s2dcli.clips import ClipSpec, CutClip
from s2dcli.config import CPU_BATCH_SIZE, ExecutorOptions, default
from s2dcli.errors import InputError
from s2dcli.faces.types import FaceDetector
from s2dcli.pipeline.classify import Classifier
from s2dcli.pipeline.face_clips import (
    FaceClipOptions,
    ScanItem,
    VideoFailure,
    VideoScan,
    read_face_clips,
)

if TYPE_CHECKING:
    from s2dcli.discover import VideoItem

log = logging.getLogger("s2d.pipeline")


@dataclass(frozen=True)
class PipelineOptions:
    """How work is spread and batched.

    Attributes:
        batch_size: clips per model call.
        workers: videos read at once (one decode + detect thread each).
        queue_clips: clips a video's reader may run ahead of the model (default: batch_size).
        pad_batches: give every batch `batch_size` rows; None means on CUDA only.
    """

    batch_size: int = CPU_BATCH_SIZE
    workers: int = default(ExecutorOptions, "workers")
    queue_clips: int | None = None
    pad_batches: bool | None = None

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise InputError(f"--batch-size must be at least 1, got {self.batch_size}.")
        if self.workers < 1:
            raise InputError(f"--workers must be at least 1, got {self.workers}.")
        if self.queue_clips is not None and self.queue_clips < 1:
            raise InputError(f"queue_clips must be at least 1, got {self.queue_clips}.")


@dataclass(frozen=True)
class ClipResult:
    """One classified clip: where it is (`spec`, with the final face id) and its scores."""

    spec: ClipSpec
    probs: np.ndarray


@dataclass(frozen=True)
class VideoResult:
    """Everything the pipeline found in one video.

    Attributes:
        index: the video's position in the input.
        path: the video.
        scan: stream facts, tracks and timings (None when the video failed).
        clips: classified clips, by face id then clip index.
        error: why the video failed (no `scan`), or why only part of it decoded, or None.
    """

    index: int
    path: Path
    scan: VideoScan | None
    clips: list[ClipResult]
    error: str | None = None

    @property
    def status(self) -> str:
        """`failed`, `partial` (some of it decoded: its clips are kept), `no_face` (read fine,
        no clip) or `ok`."""
        if self.error is not None:
            return "failed" if self.scan is None else "partial"
        return "ok" if self.clips else "no_face"


@dataclass
class PipelineStats:
    """Totals of a run so far (seconds are summed over threads)."""

    videos: int = 0
    failed: int = 0
    clips: int = 0
    frames: int = 0
    batches: int = 0
    decode_s: float = 0.0
    detect_s: float = 0.0
    crop_s: float = 0.0
    model_s: float = 0.0
    wait_s: float = 0.0  # the model waiting for clips
    halvings: int = 0
    peak_rss_bytes: int = 0
    started: float = field(default_factory=time.perf_counter)

    def as_dict(self) -> dict[str, float | int]:
        out = {k: v for k, v in vars(self).items() if k != "started"}
        out["wall_s"] = time.perf_counter() - self.started
        return out


class DetectorPool:
    """Detectors for concurrent readers (detectors are not thread-safe): one per reader at a time,
    created on first need by `factory`, closed by `close`."""

    def __init__(self, factory: Callable[[], FaceDetector]) -> None:
        self._factory = factory
        self._idle: queue.SimpleQueue[FaceDetector] = queue.SimpleQueue()
        self._all: list[FaceDetector] = []
        self._lock = threading.Lock()

    def acquire(self) -> FaceDetector:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                detector = self._factory()
                self._all.append(detector)
                return detector

    def release(self, detector: FaceDetector) -> None:
        self._idle.put(detector)

    def describe(self) -> str:
        """The detector's name (e.g. `mtcnn`, `scrfd`), for run records."""
        return getattr(self._all[0], "name", type(self._all[0]).__name__) if self._all else ""

    def close(self) -> None:
        for detector in self._all:
            detector.close()
        self._all.clear()


class Pipeline:
    """The pipeline: videos through `read_face_clips` and the classifier, batched across videos.

    Args:
        classifier: the model on its device.
        detectors: where readers get their face detector; None with `scan.whole_frame`.
        scan: per-video options (clips, tracker, detection interval, crops).
        options: batching and parallelism.
    """

    def __init__(
        self,
        classifier: Classifier,
        detectors: DetectorPool | None,
        scan: FaceClipOptions,
        options: PipelineOptions | None = None,
    ) -> None:
        if detectors is None and not scan.whole_frame:
            raise ValueError("a DetectorPool is needed unless scan.whole_frame is set")
        if scan.clips.num_frames != classifier.num_frames or scan.crop_size != classifier.size:
            raise InputError(
                f"The model takes {classifier.num_frames} frames of {classifier.size} px; "
                f"the clips have {scan.clips.num_frames} frames of {scan.crop_size} px."
            )
        self.classifier = classifier
        self.detectors = detectors
        self.scan = scan
        self.options = options or PipelineOptions()
        self.stats = PipelineStats()

    def run(self, paths: Sequence[Path]) -> Iterator[VideoResult]:
        """Yield one `VideoResult` per path, in order, as each video completes."""
        options = self.options
        pad = options.pad_batches
        if pad is None:
            pad = self.classifier.device.type == "cuda"
        pin = self.classifier.device.type == "cuda"
        depth = options.queue_clips or options.batch_size
        stream = chain_streams(
            enumerate(paths),
            self._scan_one,
            options.workers,
            depth,
            describe=lambda item: str(item[1]),
        )
        batches = Prefetcher(
            collate(
                stream,
                _clip_array,
                options.batch_size,
                pad=pad,
                pin_memory=pin,
                ring_size=5,
                ramp=not pad,
            ),
            depth=2,
            name="collate",
        )
        # Per video being read: the specs and scores of its clips so far (never their frames).
        results: dict[int, list[tuple[ClipSpec, np.ndarray]]] = {}
        with batches:
            waited = time.perf_counter()
            for step in batches:
                self.stats.wait_s += time.perf_counter() - waited
                if isinstance(step, Batch):
                    self._classify(step, results)
                else:
                    index, end = step
                    yield self._finish(index, paths[index], end, results.pop(index, []))
                waited = time.perf_counter()

    def _scan_one(self, item: tuple[int, Path]) -> Iterator[tuple[int, ScanItem]]:
        index, path = item
        detector = None if self.detectors is None else self.detectors.acquire()
        try:
            for out in read_face_clips(path, detector, self.scan):
                yield index, out
        except Exception as exc:  # a detector or other failure on this video: fail it alone
            log.warning(
                "%s: %s: %s",
                path,
                type(exc).__name__,
                exc,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            yield index, VideoFailure(path, f"{type(exc).__name__}: {exc}")
        finally:
            if detector is not None and self.detectors is not None:
                self.detectors.release(detector)

    def _classify(
        self,
        batch: Batch[tuple[int, ScanItem]],
        results: dict[int, list[tuple[ClipSpec, np.ndarray]]],
    ) -> None:
        start = time.perf_counter()
        halvings = self.classifier.halvings
        scores = self.classifier(batch.data, len(batch))
        self.stats.model_s += time.perf_counter() - start
        self.stats.halvings += self.classifier.halvings - halvings
        self.stats.batches += 1
        for (index, clip), probs in zip(batch.items, scores.probs, strict=True):
            assert isinstance(clip, CutClip)
            # Keep the spec only: the clip's frames go with the batch (a video-long list of
            # them would grow with the video).
            results.setdefault(index, []).append((clip.spec, probs))

    def _finish(
        self, index: int, path: Path, end: ScanItem, clips: list[tuple[ClipSpec, np.ndarray]]
    ) -> VideoResult:
        stats = self.stats
        stats.videos += 1
        stats.peak_rss_bytes = max(stats.peak_rss_bytes, peak_rss_bytes())
        if isinstance(end, VideoFailure):
            stats.failed += 1
            return VideoResult(index, path, None, [], end.reason)
        assert isinstance(end, VideoScan)
        stats.frames += end.frames
        stats.decode_s += end.timings["decode"]
        stats.detect_s += end.timings["detect"]
        stats.crop_s += end.timings["crop"]
        out = []
        for spec, probs in clips:
            face_id = end.face_ids[spec.face_id]
            out.append(ClipResult(_with_face_id(spec, face_id), probs))
        out.sort(key=lambda r: (r.spec.face_id, r.spec.clip_index))
        stats.clips += len(out)
        return VideoResult(index, path, end, out, end.damage)


def _clip_array(item: tuple[int, ScanItem]) -> np.ndarray | None:
    out = item[1]
    return out.frames if isinstance(out, CutClip) else None


def _with_face_id(spec: ClipSpec, face_id: int) -> ClipSpec:
    return replace(spec, face_id=face_id)


def results_in_order(
    items: Sequence[VideoItem], run: Callable[[list[Path]], Iterable[VideoResult]]
) -> Iterator[VideoResult]:
    """One result per item, in order: `run` reads the readable ones (an executor's `run`);
    items discovery already found unreadable (`VideoItem.error`: a pipe, socket or device) fail
    at once with that reason, never opened."""
    readable = iter(run([item.path for item in items if item.error is None]))
    try:
        for index, item in enumerate(items):
            if item.error is not None:
                yield VideoResult(index, item.path, None, [], item.error)
            else:
                yield next(readable)
    finally:
        close = getattr(readable, "close", None)
        if close is not None:
            close()
