"""`--executor ray`: videos sharded over Ray workers that each hold a loaded model.

    driver (this process)                       Ray cluster
      Schedule: next video, retries, order  ->  VideoWorker (1 GPU, or N CPUs) x workers
      results in input order -> the writer  <-  one VideoOutcome per task

Each worker builds the runtime from the run's `AnnotateConfig` (so the weights must be
reachable from every node: a shared `S2D_HOME`, or paths on a shared file system) and runs
one video per task; a worker is given its next video as soon as it returns one. The first
worker loads alone, so a download into a shared cache happens once and a bad option fails
once; the rest start after it. The driver writes nothing itself: it yields `VideoResult`s in
input order to `run_annotation`, which journals and writes them as for a local run.

A worker that dies (process killed, out of memory, node lost) is replaced and its video goes
to the next free worker; results come only from tasks that returned, each video's once. A
video that took down `max_attempts` workers is recorded as failed instead of being retried
forever. Video paths are sent as absolute paths: every node must see them at the same place.
Joining the cluster and sizing the workers are in `ray_cluster`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s2dcli import __version__
from s2dcli.errors import RayClusterError, S2DError
from s2dcli.executors.ray_cluster import (
    WorkerPlan,
    absolute_files,
    connect,
    import_ray,
    plan_workers,
)
from s2dcli.executors.ray_worker import ADDITIVE_STATS, VideoOutcome, VideoWorker, WorkerInfo
from s2dcli.executors.schedule import Schedule
from s2dcli.pipeline.run import PipelineStats, VideoResult

if TYPE_CHECKING:
    from s2dcli.config import AnnotateConfig

log = logging.getLogger("s2d.ray")

POLL_S = 0.5  # longest wait for Ray before looking at Ctrl-C and timeouts again


@dataclass
class _Worker:
    handle: Any
    serial: int
    setup: Any = None  # the setup() ref while it loads
    info: WorkerInfo | None = None
    task: Any = None  # the process() ref while it works
    index: int | None = None

    @property
    def idle(self) -> bool:
        return self.info is not None and self.task is None

    def where(self) -> str:
        if self.info is None:
            return f"worker {self.serial} (starting)"
        return f"worker {self.serial} (pid {self.info.pid} on {self.info.node})"


@dataclass
class RayCounters:
    """What happened to the workers during the run (for the run record)."""

    started: int = 0
    died: int = 0
    retried: int = 0  # videos resubmitted after their worker died
    gave_up: int = 0  # videos recorded as failed after `max_attempts` deaths
    cpu_s: float = 0.0  # CPU seconds the workers spent on the videos they returned
    nodes: set[str] = field(default_factory=set)


class RayExecutor:
    """The `Executor` that runs on a Ray cluster (see the module docstring).

    Args:
        config: the run's options (`config.executor` says where and how many workers).
        keep_tracks: results carry their face tracks (for overlays).
        max_attempts: workers a video may take down before it is recorded as failed.
        start_timeout_s: longest time with no worker ready (starting, or replacing dead ones)
            before the run fails.
    """

    def __init__(
        self,
        config: AnnotateConfig,
        keep_tracks: bool = False,
        max_attempts: int = 3,
        start_timeout_s: float = 600.0,
    ) -> None:
        self._ray = import_ray()
        self._config = config
        self._keep_tracks = keep_tracks
        self.max_attempts = max_attempts
        self.start_timeout_s = start_timeout_s
        self._address = config.executor.ray_address
        self._started_ray = connect(self._ray, self._address)
        self._workers: list[_Worker] = []
        self._serial = 0
        self._info: WorkerInfo | None = None
        self._deaths_without_progress = 0
        self.counters = RayCounters()
        self._stats = PipelineStats()
        try:
            self.plan = plan_workers(self._ray.cluster_resources(), config)
            self._worker_config = config.replace(device=self.plan.device, **absolute_files(config))
            self._actor = self._ray.remote(VideoWorker).options(
                num_cpus=self.plan.num_cpus,
                num_gpus=self.plan.num_gpus,
                max_restarts=0,
                max_task_retries=0,
            )
            self._workers = [self._spawn(setup=i == 0) for i in range(self.plan.count)]
            log.info(
                "Ray: starting %d workers (%d CPU, %g GPU each)",
                self.plan.count,
                self.plan.num_cpus,
                self.plan.num_gpus,
            )
            stalled = time.monotonic()
            while self._info is None:
                for event in self._poll():
                    raise AssertionError(f"a task finished before any worker was ready: {event}")
                self._check_stalled(stalled)
        except BaseException:
            self.close()
            raise
        self.classes = self._info.classes
        self.model_name = self._info.model_name
        self.fingerprint = self._info.fingerprint

    def run(self, paths: Sequence[Path]) -> Iterator[VideoResult]:
        paths = list(paths)
        targets = [str(Path(p).absolute()) for p in paths]
        schedule: Schedule[VideoResult] = Schedule(
            len(paths), window=max(32, 8 * self.plan.count), max_attempts=self.max_attempts
        )
        stalled: float | None = None
        while not schedule.done:
            for worker in self._workers:
                if not worker.idle:
                    continue
                index = schedule.take()
                if index is None:
                    break
                worker.index = index
                worker.task = worker.handle.process.remote(index, targets[index])
            for index, outcome in self._poll():
                if isinstance(outcome, VideoOutcome):
                    self._add_stats(outcome.stats)
                    schedule.finish(index, replace(outcome.result, index=index, path=paths[index]))
                elif schedule.lost(index):
                    self.counters.retried += 1
                else:
                    self.counters.gave_up += 1
                    reason = (
                        f"the Ray worker processing it died {self.max_attempts} times "
                        f"(last: {outcome})"
                    )
                    log.warning("%s: %s", paths[index], reason)
                    schedule.finish(index, VideoResult(index, paths[index], None, [], reason))
            yield from (result for _, result in schedule.release())
            if any(w.info is not None for w in self._workers):
                stalled = None
            elif not schedule.done:
                stalled = stalled or time.monotonic()
                self._check_stalled(stalled)

    def wait_ready(self) -> None:
        """Block until every worker has loaded (a run does not wait: the first one starts
        at once); for timing the workers' throughput alone."""
        stalled = time.monotonic()
        while any(w.info is None for w in self._workers):
            for event in self._poll():
                raise AssertionError(f"a task finished outside run(): {event}")
            self._check_stalled(stalled)

    def stage_timings(self) -> dict[str, float | int]:
        return self._stats.as_dict()

    def describe(self) -> dict[str, object]:
        info = self._info
        details = dict(info.details) if info is not None else {}
        c = self.counters
        details["executor"] = "ray"
        details["ray"] = {
            "address": self._address,
            "workers": self.plan.count,
            "cpus_per_worker": self.plan.num_cpus,
            "gpus_per_worker": self.plan.num_gpus,
            "nodes": sorted(c.nodes),
            "workers_started": c.started,
            "workers_died": c.died,
            "videos_retried": c.retried,
            "videos_given_up": c.gave_up,
            "worker_cpu_s": round(c.cpu_s, 3),
        }
        return details

    def close(self) -> None:
        workers, self._workers = self._workers, []
        for worker in workers:
            self._kill(worker)
        if self._started_ray and self._ray.is_initialized():
            self._ray.shutdown()
            self._started_ray = False

    # -- workers ---------------------------------------------------------------------------

    def _spawn(self, setup: bool) -> _Worker:
        self._serial += 1
        handle = self._actor.remote(
            self._worker_config,
            self.plan.num_cpus,
            self._keep_tracks,
            logging.getLogger("s2d").getEffectiveLevel(),
        )
        worker = _Worker(handle, self._serial)
        if setup:
            worker.setup = handle.setup.remote()
        self.counters.started += 1
        return worker

    def _kill(self, worker: _Worker) -> None:
        try:
            self._ray.kill(worker.handle, no_restart=True)
        except Exception as exc:  # already gone: nothing to release
            log.debug("%s: kill: %s", worker.where(), exc)

    def _poll(self) -> list[tuple[int, VideoOutcome | str]]:
        """Wait up to `POLL_S` for setups and tasks; handle setups and deaths; return the
        finished (index, outcome) and the lost (index, why) tasks."""
        pending = {w.setup: (w, True) for w in self._workers if w.setup is not None}
        pending.update({w.task: (w, False) for w in self._workers if w.task is not None})
        if not pending:
            time.sleep(POLL_S)
            return []
        refs = list(pending)
        ready, rest = self._ray.wait(refs, num_returns=1, timeout=POLL_S)
        if ready and rest:
            more, _ = self._ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        events: list[tuple[int, VideoOutcome | str]] = []
        for ref in ready:
            worker, is_setup = pending[ref]
            try:
                value = self._get(ref)
            except _Lost as lost:
                index = self._died(worker, lost.reason)
                if index is not None:
                    events.append((index, lost.reason))
                continue
            if is_setup:
                worker.setup = None
                self._ready(worker, value)
            else:
                index = worker.index
                assert index is not None
                worker.task, worker.index = None, None
                self._deaths_without_progress = 0
                events.append((index, value))
        return events

    def _get(self, ref: Any) -> Any:
        exc = self._ray.exceptions
        lost = (
            exc.RayActorError,
            exc.WorkerCrashedError,
            exc.OutOfMemoryError,
            exc.NodeDiedError,
            exc.ObjectLostError,
            exc.LocalRayletDiedError,
        )
        try:
            return self._ray.get(ref)
        except exc.RayTaskError as error:  # raised inside setup/process: a user error or a bug
            cause = getattr(error, "cause", None)
            if isinstance(cause, S2DError):
                raise cause from None
            raise
        except exc.ActorUnschedulableError as error:
            raise RayClusterError(
                f"Ray cannot place a worker ({self.plan.num_cpus} CPU, "
                f"{self.plan.num_gpus:g} GPU): {error}"
            ) from error
        except lost as error:
            raise _Lost(type(error).__name__) from error

    def _ready(self, worker: _Worker, info: WorkerInfo) -> None:
        if info.version != __version__:
            raise RayClusterError(
                f"{worker.where()} runs s2dcli {info.version}, this process {__version__}; "
                "install the same version on every node."
            )
        if self._info is None:
            self._info = info
            for other in self._workers:  # the first one cached the weights: now the rest
                if other is not worker and other.info is None and other.setup is None:
                    other.setup = other.handle.setup.remote()
        elif info.fingerprint != self._info.fingerprint:
            changed = sorted(
                k
                for k in set(info.fingerprint) | set(self._info.fingerprint)
                if info.fingerprint.get(k) != self._info.fingerprint.get(k)
            )
            raise RayClusterError(
                f"Ray workers would give different results: {info.node} differs from "
                f"{self._info.node} in {', '.join(changed)}. Give the nodes the same "
                "hardware type, or choose --device / --faces explicitly."
            )
        worker.info = info
        self.counters.nodes.add(info.node)
        log.info("Ray: %s ready on %s", worker.where(), info.details.get("device"))

    def _died(self, worker: _Worker, reason: str) -> int | None:
        """Replace a dead worker; the index of the video it was processing, if any."""
        self.counters.died += 1
        self._deaths_without_progress += 1
        index = worker.index
        log.warning(
            "Ray: %s died (%s)%s; starting another.",
            worker.where(),
            reason,
            "" if index is None else f" during video {index + 1}; it will be retried",
        )
        self._workers.remove(worker)
        self._kill(worker)
        limit = max(3, 2 * self.plan.count)
        if self._deaths_without_progress > limit:
            raise RayClusterError(
                f"Ray workers keep dying ({self._deaths_without_progress} in a row without a "
                f"video finished; last: {reason}). Check the worker logs (ray logs) for out "
                "of memory or crashes, or lower --batch-size."
            )
        loading = any(w.setup is not None for w in self._workers)
        self._workers.append(self._spawn(setup=self._info is not None or not loading))
        return index

    def _check_stalled(self, since: float) -> None:
        if time.monotonic() - since > self.start_timeout_s:
            resources = self._ray.cluster_resources()
            raise RayClusterError(
                f"No Ray worker became ready within {self.start_timeout_s:g} s (each needs "
                f"{self.plan.num_cpus} CPU and {self.plan.num_gpus:g} GPU; the cluster has "
                f"{resources.get('CPU', 0):g} CPU and {resources.get('GPU', 0):g} GPU)."
            )

    def _add_stats(self, stats: dict[str, float | int]) -> None:
        for name in ADDITIVE_STATS:
            setattr(self._stats, name, getattr(self._stats, name) + stats.get(name, 0))
        self._stats.peak_rss_bytes = max(
            self._stats.peak_rss_bytes, int(stats.get("peak_rss_bytes", 0))
        )
        self.counters.cpu_s += float(stats.get("cpu_s", 0.0))


class _Lost(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


__all__ = [
    "RayCounters",
    "RayExecutor",
    "WorkerPlan",
    "absolute_files",
    "connect",
    "import_ray",
    "plan_workers",
]
