"""Prefetcher and OrderedMap: order, bounded memory, errors with context, clean shutdown."""

from __future__ import annotations

import random
import threading
import time

import pytest

from engine.prefetch import OrderedMap, Prefetcher, WorkerError


def _no_worker_threads(prefixes=("prefetch", "s2d-worker"), timeout=2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not [t for t in threading.enumerate() if t.name.startswith(prefixes)]:
            return True
        time.sleep(0.02)
    return False


def test_prefetcher_keeps_order_under_random_delays():
    rng = random.Random(1)

    def slow():
        for i in range(40):
            time.sleep(rng.random() * 0.003)
            yield i

    assert list(Prefetcher(slow(), depth=3)) == list(range(40))
    assert _no_worker_threads()


def test_prefetcher_never_runs_more_than_depth_ahead():
    produced = []
    consumed = []
    ahead = []

    def source():
        for i in range(30):
            produced.append(i)
            ahead.append(len(produced) - len(consumed))
            yield i

    for item in Prefetcher(source(), depth=2):
        consumed.append(item)
        time.sleep(0.002)
    # `depth` items in the queue plus the one the producer holds while waiting to put it.
    assert max(ahead) <= 2 + 1
    assert consumed == list(range(30))


def test_prefetcher_error_reaches_the_consumer_after_the_good_items():
    def source():
        yield 1
        yield 2
        raise OSError("disk on fire")

    got = []
    with pytest.raises(WorkerError, match="decode-videos: OSError: disk on fire") as err:
        for item in Prefetcher(source(), depth=4, name="decode-videos"):
            got.append(item)
    assert got == [1, 2]
    assert isinstance(err.value.error, OSError)
    assert _no_worker_threads()


def test_prefetcher_stops_when_the_consumer_stops():
    def endless():
        i = 0
        while True:
            yield i
            i += 1

    for item in Prefetcher(endless(), depth=2):
        if item == 5:
            break
    assert _no_worker_threads()


def test_ordered_map_keeps_order_and_bounds_work_in_flight():
    rng = random.Random(2)
    started = []

    def work(i):
        started.append(i)
        time.sleep(rng.random() * 0.005)
        return i * i

    mapper = OrderedMap(work, range(50), workers=3, max_in_flight=5)
    assert list(mapper) == [i * i for i in range(50)]
    assert mapper.peak_in_flight <= 5
    assert sorted(started) == list(range(50))
    assert _no_worker_threads()


def test_ordered_map_error_names_the_item():
    def decode(path):
        if path.endswith("bad.mp4"):
            raise ValueError("moov atom not found")
        return path.upper()

    paths = ["a.mp4", "b.mp4", "videos/bad.mp4", "c.mp4"]
    got = []
    with pytest.raises(WorkerError) as err:
        for result in OrderedMap(decode, paths, workers=2):
            got.append(result)
    assert got == ["A.MP4", "B.MP4"]
    assert err.value.where == "videos/bad.mp4"
    assert "moov atom not found" in str(err.value)
    assert _no_worker_threads()


def test_ordered_map_early_exit_cancels_and_leaves_no_threads():
    calls = []

    def work(i):
        calls.append(i)
        time.sleep(0.01)
        return i

    for result in OrderedMap(work, range(1000), workers=2, max_in_flight=4):
        if result == 3:
            break
    assert _no_worker_threads()
    assert len(calls) <= 3 + 1 + 4  # nothing far beyond what was in flight was started


def test_bad_arguments():
    with pytest.raises(ValueError):
        Prefetcher([], depth=0)
    with pytest.raises(ValueError):
        OrderedMap(str, [], workers=0)
