"""The executors' pure parts, without Ray: the schedule (order, window, retries), the worker
plan from cluster resources, the option checks."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from s2dcli.config import AnnotateConfig
from s2dcli.errors import InputError, RayClusterError
from s2dcli.executors import check_executor
from s2dcli.executors.ray_executor import absolute_files, plan_workers
from s2dcli.executors.schedule import Schedule


def test_results_come_out_in_input_order_each_once():
    schedule: Schedule[str] = Schedule(4, window=10)
    taken = [schedule.take() for _ in range(4)]
    assert taken == [0, 1, 2, 3] and schedule.take() is None
    schedule.finish(2, "c")
    schedule.finish(1, "b")
    assert list(schedule.release()) == []  # 0 is still running
    schedule.finish(0, "a")
    assert list(schedule.release()) == [(0, "a"), (1, "b"), (2, "c")]
    assert list(schedule.release()) == [] and not schedule.done
    schedule.finish(3, "d")
    assert list(schedule.release()) == [(3, "d")] and schedule.done


def test_the_window_bounds_how_far_work_runs_ahead():
    schedule: Schedule[int] = Schedule(10, window=3)
    assert [schedule.take() for _ in range(4)] == [0, 1, 2, None]
    schedule.finish(1, 1)
    schedule.finish(2, 2)
    assert schedule.take() is None  # 0 holds the window
    schedule.finish(0, 0)
    assert [i for i, _ in schedule.release()] == [0, 1, 2]
    assert [schedule.take() for _ in range(4)] == [3, 4, 5, None]


def test_a_lost_video_goes_first_and_gives_up_after_max_attempts():
    schedule: Schedule[str] = Schedule(3, window=10, max_attempts=2)
    assert [schedule.take(), schedule.take()] == [0, 1]
    assert schedule.lost(1) is True
    assert schedule.running == 1
    assert schedule.take() == 1  # before 2
    assert schedule.attempts[1] == 2
    assert schedule.lost(1) is False  # used up: the caller records a failure
    schedule.finish(1, "failed")
    assert schedule.take() == 2


def test_a_result_for_a_video_not_running_is_a_bug():
    schedule: Schedule[str] = Schedule(2, window=2)
    with pytest.raises(AssertionError):
        schedule.finish(0, "x")


@pytest.mark.parametrize(
    "resources, overrides, expected",
    [
        ({"CPU": 2.0}, {}, (2, 1, 0.0, "cpu")),
        ({"CPU": 16.0}, {"cpus_per_worker": 4}, (4, 4, 0.0, "cpu")),
        ({"CPU": 64.0, "GPU": 8.0}, {}, (8, 8, 1.0, "cuda")),
        ({"CPU": 8.0, "GPU": 4.0}, {"gpus_per_worker": 0.5}, (8, 1, 0.5, "cuda")),
        ({"CPU": 64.0, "GPU": 8.0}, {"device": "cpu"}, (64, 1, 0.0, "cpu")),
        ({"CPU": 4.0, "GPU": 1.0}, {"ray_workers": 3}, (3, 4, 1.0, "cuda")),
    ],
)
def test_worker_plan(resources, overrides, expected):
    plan = plan_workers(resources, AnnotateConfig.from_kwargs(executor="ray", **overrides))
    assert (plan.count, plan.num_cpus, plan.num_gpus, plan.device) == expected


def test_a_plan_that_fits_nothing_says_what_to_change():
    with pytest.raises(RayClusterError, match="--gpus-per-worker 0"):
        plan_workers({"CPU": 4.0}, AnnotateConfig.from_kwargs(executor="ray", gpus_per_worker=1))
    with pytest.raises(InputError, match="--gpus-per-worker 0"):
        plan_workers(
            {"CPU": 4.0, "GPU": 1.0},
            AnnotateConfig.from_kwargs(executor="ray", device="cpu", gpus_per_worker=1),
        )


def test_local_files_are_sent_to_workers_as_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.pth").write_bytes(b"")
    options = AnnotateConfig.from_kwargs(weights="w.pth", landmark_weights="hf://a/b/c.pth")
    assert absolute_files(options) == {"weights": str(tmp_path / "w.pth")}


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"executor": "dask"}, "Unknown --executor"),
        ({"gpus_per_worker": 1.0}, "--gpus-per-worker applies only"),
        ({"executor": "ray", "ray_workers": 0}, "at least 1"),
        ({"executor": "ray", "device": "cuda:0"}, "use --device cuda"),
    ],
)
def test_executor_checks(overrides, message):
    with pytest.raises(InputError, match=message):
        check_executor(AnnotateConfig.from_kwargs(**overrides))


# -- the driver's bookkeeping against a fake Ray (deterministic deaths) ----------------------


class _Died(Exception):
    """Stands in for ray.exceptions.ActorDiedError."""


class _FakeRef:
    def __init__(self, call):
        try:
            self.value, self.error = call(), None
        except Exception as exc:  # kept for ray.get, as Ray does
            self.value, self.error = None, exc


class _FakeHandle:
    def __init__(self, instance):
        self.instance = instance

    def __getattr__(self, name):
        method = getattr(self.instance, name)
        return SimpleNamespace(remote=lambda *a: _FakeRef(lambda: method(*a)))


class _FakeRay:
    """The parts of `ray` the executor uses; every call runs at once, in this process."""

    def __init__(self):
        never = type("Never", (Exception,), {})
        self.exceptions = SimpleNamespace(
            RayActorError=_Died,
            WorkerCrashedError=never,
            OutOfMemoryError=never,
            NodeDiedError=never,
            ObjectLostError=never,
            LocalRayletDiedError=never,
            RayTaskError=never,
            ActorUnschedulableError=never,
        )
        self.killed = 0

    def remote(self, cls):
        options = SimpleNamespace(remote=lambda *a: _FakeHandle(cls(*a)))
        return SimpleNamespace(options=lambda **kw: options)

    def wait(self, refs, num_returns, timeout):
        return refs[:num_returns], refs[num_returns:]

    def get(self, ref):
        if ref.error is not None:
            raise ref.error
        return ref.value

    def kill(self, handle, no_restart):
        self.killed += 1

    def is_initialized(self):
        return True

    def cluster_resources(self):
        return {"CPU": 2.0}


class _FakeWorker:
    """Dies in its first setup, and whenever it meets a video called poison*."""

    setups = 0

    def __init__(self, options, threads, keep_tracks, log_level):
        pass

    def setup(self):
        from s2dcli import __version__
        from s2dcli.executors.ray_worker import WorkerInfo

        type(self).setups += 1
        if type(self).setups == 1:
            raise _Died("killed while loading")
        return WorkerInfo(["a", "b"], "m", {"k": 1}, {"device": "cpu"}, __version__, 1, "node")

    def process(self, index, path):
        from s2dcli.executors.ray_worker import VideoOutcome
        from s2dcli.pipeline.run import VideoResult

        if Path(path).name.startswith("poison"):
            raise _Died("segfault")
        return VideoOutcome(VideoResult(index, Path(path), None, []), {"videos": 1})


def test_deaths_are_retried_and_a_video_that_kills_every_worker_is_given_up(monkeypatch):
    from s2dcli.executors import ray_executor

    fake = _FakeRay()
    monkeypatch.setattr(ray_executor, "import_ray", lambda: fake)
    monkeypatch.setattr(ray_executor, "VideoWorker", _FakeWorker)
    monkeypatch.setattr(_FakeWorker, "setups", 0)
    executor = ray_executor.RayExecutor(AnnotateConfig.from_kwargs(executor="ray", ray_workers=2))
    assert executor.classes == ["a", "b"]  # the first worker died loading; another loaded
    paths = [Path(f"{name}.mp4") for name in ("a", "poison", "b", "c")]
    results = list(executor.run(paths))
    assert [r.index for r in results] == [0, 1, 2, 3]
    assert [r.path for r in results] == paths
    assert [r.status for r in results] == ["no_face", "failed", "no_face", "no_face"]
    assert "died 3 times" in results[1].error
    counters = executor.counters
    assert (counters.died, counters.retried, counters.gave_up) == (4, 2, 1)
    assert executor.stage_timings()["videos"] == 3
    executor.close()
    assert fake.killed == counters.died + 2  # each dead worker, then the two left
