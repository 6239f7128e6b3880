"""The Ray worker: one process holding a loaded model and detector (a `Pipeline`), one video a task.

`VideoWorker` is a plain class; `s2dcli.executors.ray_executor` makes it a Ray actor, so this
module imports no Ray at the top and every Ray node finds it in the installed s2dcli.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from s2dcli import __version__
from s2dcli.config import ExecutorOptions
from s2dcli.pipeline.run import PipelineStats, VideoResult

if TYPE_CHECKING:
    from s2dcli.config import AnnotateConfig
    from s2dcli.runtime import Runtime

# PipelineStats fields that add up over videos (the others are a maximum or a start time).
ADDITIVE_STATS = tuple(
    f.name for f in dataclasses.fields(PipelineStats) if f.name not in ("peak_rss_bytes", "started")
)


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker loaded, and where it runs.

    Attributes:
        classes, model_name, fingerprint: as `Runtime` has them.
        details: `Runtime.describe()` (device, weights, batch size, ...).
        version: the s2dcli version on the worker's node.
        pid: the worker process.
        node: the node's IP address.
    """

    classes: list[str]
    model_name: str
    fingerprint: dict[str, object]
    details: dict[str, object]
    version: str
    pid: int
    node: str


@dataclass(frozen=True)
class VideoOutcome:
    """One processed video: the pipeline's result and what it cost (`ADDITIVE_STATS` deltas,
    the worker's `peak_rss_bytes`, and `cpu_s`, the CPU seconds the video took)."""

    result: VideoResult
    stats: dict[str, float | int]


class VideoWorker:
    """Builds the runtime from the run's config and processes videos one at a time.

    Args:
        config: the run's options, with the device this worker should use.
        threads: CPU cores Ray gives this worker (torch and the detector use that many).
        keep_tracks: send face tracks back (for overlays); otherwise they are left out.
        log_level: the level of the `s2d` loggers (Ray shows the worker's log on the driver).
    """

    def __init__(
        self,
        config: AnnotateConfig,
        threads: int,
        keep_tracks: bool,
        log_level: int = logging.WARNING,
    ) -> None:
        import torch  # import while Ray starts the process, before `setup` is asked for

        logging.getLogger("s2d").setLevel(log_level)  # the driver's -q / -v
        torch.set_num_threads(max(1, threads))
        self._config = config
        self._threads = max(1, threads)
        self._keep_tracks = keep_tracks
        self._runtime: Runtime | None = None

    def setup(self) -> WorkerInfo:
        """Load the model, detector and pipeline (user errors come back as `S2DError`s)."""
        import ray

        from s2dcli.runtime import load_runtime

        # load_runtime gives each of `workers` concurrent scans cpu_count // workers detector
        # threads; this process scans one video at a time on `threads` cores.
        share = max(1, (os.cpu_count() or self._threads) // self._threads)
        local = ExecutorOptions(executor="local", workers=share)
        runtime = load_runtime(dataclasses.replace(self._config, executor=local))
        self._runtime = runtime
        details = runtime.describe()
        details.pop("workers", None)
        details["threads"] = self._threads
        return WorkerInfo(
            runtime.classes,
            runtime.model_name,
            runtime.fingerprint,
            details,
            __version__,
            os.getpid(),
            ray.util.get_node_ip_address(),
        )

    def process(self, index: int, path: str) -> VideoOutcome:
        """Annotate one video; its failures (unreadable, no face) are in the result."""
        assert self._runtime is not None, "setup() first"
        pipeline = self._runtime.pipeline
        before = {name: getattr(pipeline.stats, name) for name in ADDITIVE_STATS}
        cpu = time.process_time()
        results = list(pipeline.run([Path(path)]))
        assert len(results) == 1, "one result per video"
        result = replace(results[0], index=index)
        if not self._keep_tracks and result.scan is not None:
            result = replace(result, scan=replace(result.scan, tracks=[]))
        stats: dict[str, float | int] = {
            name: getattr(pipeline.stats, name) - before[name] for name in ADDITIVE_STATS
        }
        stats["peak_rss_bytes"] = pipeline.stats.peak_rss_bytes
        stats["cpu_s"] = time.process_time() - cpu  # all of this process's threads
        return VideoOutcome(result, stats)

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None
