"""From many per-video streams to large, fixed-shape batches, in a deterministic order.

`chain_streams` runs the streams of up to `workers` videos at once, each in its own prefetch
thread with a bounded queue, and yields their items video by video, in input order: the work
overlaps, the order does not depend on timing.

`collate` packs the array items of such a stream into uint8 batches (pinned host memory for a
CUDA device, reused from a small ring) and passes every other item (a "video finished" marker,
say) through right after the batch that holds the arrays before it, so the consumer sees each
marker only once everything that came before it has been batched.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import torch

from engine.prefetch import Prefetcher

S = TypeVar("S")
T = TypeVar("T")


def chain_streams(
    sources: Iterable[S],
    open_stream: Callable[[S], Iterable[T]],
    workers: int = 2,
    depth: int = 64,
    describe: Callable[[S], str] = str,
) -> Iterator[T]:
    """Yield the items of `open_stream(source)` for each source in order, running up to
    `workers` streams ahead in background threads, each at most `depth` items ahead.

    An exception inside a stream reaches the consumer as `engine.prefetch.WorkerError` whose
    `where` is `describe(source)`. Leaving the loop early stops every thread.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    pending = iter(sources)
    running: deque[Prefetcher[T]] = deque()

    def start_next() -> None:
        for source in pending:
            running.append(Prefetcher(open_stream(source), depth, describe(source)))
            return

    try:
        for _ in range(workers):
            start_next()
        while running:
            current = running[0]
            yield from current
            running.popleft()
            start_next()
    finally:
        for stream in running:
            stream.close()


@dataclass(frozen=True)
class Batch(Generic[T]):
    """Items packed for the model.

    Attributes:
        items: the items whose arrays are in `data`, in order.
        data: uint8 `(B, *shape)`; rows past `len(items)` are padding (zeros).
    """

    items: list[T]
    data: torch.Tensor

    def __len__(self) -> int:
        return len(self.items)


class _BufferRing:
    """A few pinned host buffers reused round-robin (pinning memory is slow; reuse it)."""

    def __init__(self, size: int, pin: bool) -> None:
        self.size, self.pin = size, pin
        self._buffers: dict[tuple[int, ...], deque[torch.Tensor]] = {}

    def take(self, shape: tuple[int, ...]) -> torch.Tensor:
        ring = self._buffers.setdefault(shape, deque())
        if len(ring) < self.size:
            buffer = torch.empty(shape, dtype=torch.uint8, pin_memory=self.pin)
        else:
            buffer = ring.popleft()
        ring.append(buffer)
        return buffer


def collate(
    stream: Iterable[T],
    array_of: Callable[[T], np.ndarray | None],
    batch_size: int,
    pad: bool = False,
    pin_memory: bool = False,
    ring_size: int = 4,
    ramp: bool = False,
) -> Iterator[Batch[T] | T]:
    """Pack the items of `stream` that have an array (`array_of(item)` is not None) into
    batches of `batch_size`; yield the others unchanged, after the batch that was open when
    they arrived.

    Args:
        array_of: an item's uint8 array (all of one shape), or None for a pass-through item.
        batch_size: items per batch; the last batch may be shorter.
        pad: make every batch `batch_size` rows (zeros past the items), so the model always
            sees one shape (each clip's result then cannot depend on how many came with it).
        pin_memory: put batches in pinned memory, for non-blocking copies to a CUDA device.
            Buffers are reused after `ring_size` batches: the consumer must be done with a
            batch (its copy to the device finished) by then.
        ramp: start with batches of 2, 4, 8, ... items up to `batch_size`, so the model starts
            working as soon as the first items exist instead of waiting for a full batch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    ring = _BufferRing(ring_size, pin_memory) if pin_memory else None
    items: list[T] = []
    arrays: list[np.ndarray] = []
    held: list[T] = []
    size = min(2, batch_size) if ramp else batch_size

    def pack() -> Batch[T]:
        rows = batch_size if pad else len(arrays)
        shape = (rows, *arrays[0].shape)
        if ring is not None:
            data = ring.take(shape)
            out = data.numpy()
        else:
            out = np.empty(shape, np.uint8)
            data = torch.from_numpy(out)
        for i, array in enumerate(arrays):
            if array.shape != arrays[0].shape or array.dtype != np.uint8:
                raise ValueError(
                    f"collate: item {i} is {array.dtype} {array.shape}, expected uint8 "
                    f"{arrays[0].shape}"
                )
            out[i] = array
        out[len(arrays) :] = 0
        return Batch(list(items), data)

    for item in stream:
        array = array_of(item)
        if array is None:
            if items:
                held.append(item)
            else:
                yield item
            continue
        items.append(item)
        arrays.append(array)
        if len(items) == size:
            yield pack()
            items.clear()
            arrays.clear()
            yield from held
            held.clear()
            size = min(2 * size, batch_size)
    if items:
        yield pack()
    yield from held
