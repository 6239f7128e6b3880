"""chain_streams and collate: input order whatever the timing, bounded lead, errors that name
their video, clean shutdown, batches with markers after them."""

from __future__ import annotations

import random
import threading
import time

import numpy as np
import pytest

from engine.batching import Batch, chain_streams, collate
from engine.prefetch import WorkerError


def _threads_gone(timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not [t for t in threading.enumerate() if t.name.startswith("video-")]:
            return True
        time.sleep(0.02)
    return False


def _stream(source: int, rng: random.Random, lead: dict, consumed: dict):
    for i in range(source % 5 + 3):
        time.sleep(rng.random() * 0.004)  # random decode delays
        lead[source] = max(lead.get(source, 0), i - consumed.get(source, 0))
        yield (source, i)


def test_items_come_video_by_video_in_input_order_under_random_delays():
    rng = random.Random(3)
    lead: dict[int, int] = {}
    consumed: dict[int, int] = {}
    out = []
    for source, i in chain_streams(
        range(12),
        lambda s: _stream(s, rng, lead, consumed),
        workers=4,
        depth=2,
        describe=lambda s: f"video-{s}",
    ):
        consumed[source] = i + 1
        out.append((source, i))
    assert out == [(s, i) for s in range(12) for i in range(s % 5 + 3)]
    # a stream never ran more than its queue (2) plus the item in hand ahead of the consumer
    assert max(lead.values()) <= 2 + 1
    assert _threads_gone()


def test_several_streams_run_at_once():
    started: list[float] = []

    def slow(source: int):
        started.append(time.monotonic())
        time.sleep(0.3)
        yield source

    t0 = time.monotonic()
    assert list(chain_streams(range(4), slow, workers=4, describe=lambda s: f"video-{s}")) == [
        0,
        1,
        2,
        3,
    ]
    assert time.monotonic() - t0 < 0.3 * 4 * 0.75  # overlapped, not one after another
    assert _threads_gone()


def test_an_error_names_its_video_and_stops_everything():
    def stream(source: str):
        yield source
        if source == "b.mp4":
            raise OSError("disk on fire")
        yield source

    seen = []
    with pytest.raises(WorkerError) as info:
        for item in chain_streams(
            ["a.mp4", "b.mp4", "c.mp4"], stream, workers=2, describe=lambda s: f"video-{s}"
        ):
            seen.append(item)
    assert info.value.where == "video-b.mp4"
    assert isinstance(info.value.error, OSError)
    assert seen == ["a.mp4", "a.mp4", "b.mp4"]
    assert _threads_gone()


def test_leaving_early_stops_every_stream():
    def endless(source: int):
        while True:
            yield source

    for n, _ in enumerate(
        chain_streams(range(3), endless, workers=3, describe=lambda s: f"video-{s}")
    ):
        if n == 10:
            break
    assert _threads_gone()


def _items(spec: str):
    """'a3 M b2' -> three arrays tagged a, a marker M, two arrays tagged b."""
    for token in spec.split():
        if token.isupper():
            yield token
        else:
            for k in range(int(token[1:])):
                yield (token[0], np.full((2, 3), k, np.uint8))


def _array(item):
    return item[1] if isinstance(item, tuple) else None


def _shape(steps):
    return [[tag for tag, _ in s.items] if isinstance(s, Batch) else s for s in steps]


def test_markers_wait_for_the_batch_holding_what_came_before_them():
    steps = list(collate(_items("M a3 N b2 P c1"), _array, batch_size=4))
    assert _shape(steps) == ["M", ["a", "a", "a", "b"], "N", ["b", "c"], "P"]


def test_batches_are_stacked_uint8_and_padded_on_request():
    steps = [
        s for s in collate(_items("a5"), _array, batch_size=2, pad=True) if isinstance(s, Batch)
    ]
    assert [len(s) for s in steps] == [2, 2, 1]
    assert [tuple(s.data.shape) for s in steps] == [(2, 2, 3)] * 3
    last = steps[-1].data.numpy()
    assert (last[0] == 4).all() and (last[1] == 0).all()
    unpadded = [s for s in collate(_items("a5"), _array, batch_size=2) if isinstance(s, Batch)]
    assert tuple(unpadded[-1].data.shape) == (1, 2, 3)


def test_mixed_shapes_are_refused():
    items = [("a", np.zeros((2, 3), np.uint8)), ("b", np.zeros((3, 3), np.uint8))]
    with pytest.raises(ValueError, match="expected uint8"):
        list(collate(items, _array, batch_size=2))


def test_ramp_starts_small_then_doubles_to_the_batch_size():
    steps = [
        s for s in collate(_items("a40"), _array, batch_size=8, ramp=True) if isinstance(s, Batch)
    ]
    assert [len(s) for s in steps] == [2, 4, 8, 8, 8, 8, 2]
