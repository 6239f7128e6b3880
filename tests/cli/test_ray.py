"""`s2d annotate --executor ray` on a real local Ray cluster (2 CPUs) started by the test: the
local run's bytes, failures recorded, a worker killed mid-run, `--resume` across executors."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.cli import test_annotate

# The annotate tests' collection (faces, no face, broken files), weights and local run.
first_run, videos, weights = test_annotate.first_run, test_annotate.videos, test_annotate.weights
run = test_annotate.run

OUTPUTS = ("{}.csv", "{}.videos.csv", "{}.segments.csv")


@pytest.fixture(scope="module")
def ray_cluster():
    """A 2-CPU Ray instance for this module; `--executor ray` joins it."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    yield
    ray.shutdown()


def _assert_local_bytes(reference: Path, out: Path) -> None:
    for pattern in OUTPUTS:
        ours = out.with_name(pattern.format(out.stem))
        theirs = reference.with_name(pattern.format(reference.stem))
        assert ours.read_bytes() == theirs.read_bytes(), ours.name


def _journal_videos(out: Path) -> Counter[str]:
    lines = out.with_name(out.name + ".journal").read_text(encoding="utf-8").splitlines()
    return Counter(json.loads(line.split(" ", 1)[1])["video"] for line in lines[1:])


def test_ray_run_gives_the_local_bytes(ray_cluster, first_run, videos, weights, tmp_path):
    reference, local_code, _ = first_run
    out = tmp_path / "ray.csv"
    code, output = run(
        [
            "annotate",
            str(videos),
            "-o",
            str(out),
            *weights,
            "--executor",
            "ray",
            "--ray-workers",
            "2",
        ]
    )
    assert code == local_code == 1, output  # failed videos are recorded, not fatal
    assert "notes.mp4: failed: " in output and "empty.mp4: failed: " in output
    _assert_local_bytes(reference, out)
    assert set(_journal_videos(out).values()) == {1} and len(_journal_videos(out)) == 6
    record = json.loads(out.with_name("ray.csv.run.json").read_text())
    assert record["options"]["executor"] == "ray"
    assert record["resolved"]["executor"] == "ray"
    assert record["resolved"]["ray"]["workers"] == 2
    assert record["resolved"]["ray"]["workers_died"] == 0
    assert record["resolved"]["weights_sha256"]
    assert record["stage_timings"]["videos"] == 6


def _descendants() -> list[int]:
    """This process's descendants (the local Ray instance and its workers), from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [os.getpid()]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _busy_workers() -> set[int]:
    """Worker processes in the middle of a video (Ray titles them `ray::Class.method`)."""
    busy = set()
    for pid in _descendants():
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if title.startswith(b"ray::VideoWorker.process"):
            busy.add(pid)
    return busy


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds workers in /proc")
def test_a_killed_worker_leaves_the_output_complete_without_duplicates(
    ray_cluster, first_run, videos, weights, tmp_path
):
    """SIGKILL a worker that has been busy for a while (so inside a video with faces): its
    video goes to another worker, and the outputs are the local run's, each video once."""
    reference, _, _ = first_run
    out = tmp_path / "killed.csv"
    killed: list[int] = []
    stop = threading.Event()

    def killer() -> None:
        seen: dict[int, float] = {}
        while not stop.is_set() and not killed:
            now = time.monotonic()
            busy = _busy_workers()
            seen = {pid: seen.get(pid, now) for pid in busy}
            for pid, since in seen.items():
                if now - since >= 0.1:  # longer than a broken file takes
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    break
            time.sleep(0.01)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        code, output = run(
            [
                "annotate",
                str(videos),
                "-o",
                str(out),
                *weights,
                "-q",
                "--executor",
                "ray",
                "--ray-workers",
                "2",
            ]
        )
    finally:
        stop.set()
        thread.join()
    assert killed, "no worker was caught inside a video"
    assert code == 1, output
    _assert_local_bytes(reference, out)
    journal = _journal_videos(out)
    assert len(journal) == 6 and set(journal.values()) == {1}, journal
    ray_record = json.loads(out.with_name("killed.csv.run.json").read_text())["resolved"]["ray"]
    assert ray_record["workers_died"] >= 1 and ray_record["videos_retried"] >= 1
    assert ray_record["workers_started"] >= 3  # the two, and the one replacing the dead one


def test_resume_a_local_run_on_ray(ray_cluster, first_run, videos, weights, tmp_path):
    """The fingerprint does not depend on the executor: a run interrupted locally is finished
    on Ray, with the bytes of an uninterrupted run."""
    reference, _, _ = first_run
    out = tmp_path / "resumed.csv"
    journal = reference.with_name(reference.name + ".journal").read_text(encoding="utf-8")
    # the header and four videos: blank (no face), empty and notes (failed: done again), zoom
    kept = journal.splitlines(keepends=True)[:5]
    out.with_name("resumed.csv.journal").write_text("".join(kept), encoding="utf-8")
    code, output = run(
        [
            "annotate",
            str(videos),
            "-o",
            str(out),
            *weights,
            "-q",
            "--resume",
            "--executor",
            "ray",
            "--ray-workers",
            "1",
        ]
    )
    assert code == 1, output
    _assert_local_bytes(reference, out)
    record = json.loads(out.with_name("resumed.csv.run.json").read_text())
    assert record["videos"]["resumed"] == 2 and record["videos"]["processed"] == 4


@pytest.mark.parametrize(
    "args, message",
    [
        (["--ray-workers", "2"], "--ray-workers applies only with --executor ray"),
        (["--executor", "ray", "--device", "cuda:1"], "use --device cuda"),
        (["--executor", "ray", "--device", "cuda", "--gpus-per-worker", "0"], "needs GPUs"),
        (["--executor", "spark"], "Invalid value for '--executor'"),
    ],
)
def test_executor_usage_errors(args, message, videos, tmp_path):
    code, output = run(["annotate", str(videos), "-o", str(tmp_path / "r.csv"), *args])
    assert code == 2, output
    assert message in output
    assert not (tmp_path / "r.csv").exists()


def test_without_ray_the_error_says_how_to_install_it(videos, tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a)
    )
    code, output = run(
        ["annotate", str(videos), "-o", str(tmp_path / "r.csv"), "--executor", "ray"]
    )
    assert code == 2, output
    assert 'pip install "s2dcli[ray]"' in output
