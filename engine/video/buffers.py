"""Batch buffers recycled once the consumer has dropped every view of them.

A fresh multi-megabyte `np.empty` per batch costs page faults on first touch, a sizeable part of the
raw decoder's throughput (figures in the README's Performance section). Batches hand out read-only
views of pooled buffers; a buffer is reused only when nothing but the pool refers to it (no batch,
frame view, slice or tensor made from it is alive), so a consumer that keeps frames simply gets new
buffers. The check uses CPython reference counts, calibrated at import on the same code path; other
interpreters, and free-threaded builds, always allocate."""

from __future__ import annotations

import sys

import numpy as np


def _refs(buffers: list[np.ndarray], i: int) -> int:
    return sys.getrefcount(buffers[i])


_FREE_REFS = _refs([np.empty(0, np.uint8)], 0)  # a buffer only its list refers to
_ENABLED = sys.implementation.name == "cpython" and getattr(sys, "_is_gil_enabled", lambda: True)()


class BufferPool:
    """Hands out uint8 buffers, reusing those no one else refers to anymore.

    Used by one thread (a reader's worker); consumers on other threads only drop references.

    Args:
        keep: Buffers kept for reuse at most.
    """

    def __init__(self, keep: int) -> None:
        self._keep = max(1, keep)
        self._buffers: list[np.ndarray] = []

    def take(self, shape: tuple[int, ...]) -> np.ndarray:
        """A uint8 buffer of `shape`, with undefined contents, that no one else refers to."""
        buffers = self._buffers
        if _ENABLED:
            for i in range(len(buffers)):
                if buffers[i].shape == shape and _refs(buffers, i) <= _FREE_REFS:
                    return buffers[i]
        buffer = np.empty(shape, np.uint8)
        if len(buffers) >= self._keep:
            buffers.pop(0)
        buffers.append(buffer)
        return buffer

    def clear(self) -> None:
        self._buffers.clear()
