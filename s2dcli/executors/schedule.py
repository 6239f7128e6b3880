"""Which video a free worker takes next, and in what order finished videos come out.

`Schedule` is the bookkeeping of a distributed run, kept free of Ray so it can be tested on its
own: videos are handed out in input order (a video whose worker died goes first), at most
`window` videos ahead of the oldest unfinished one, and their results are released strictly in
input order, each exactly once. A video may be lost (its worker died) `max_attempts` times;
after that `lost` says so and the caller records it as failed.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Schedule(Generic[T]):
    """The state of `count` videos: waiting, running, finished, released.

    Args:
        count: number of videos (indices `0..count-1`).
        window: how far past the oldest unreleased video new work may start; bounds the
            results held back to keep the input order.
        max_attempts: how many times a video may be started before `lost` gives up on it.
    """

    def __init__(self, count: int, window: int, max_attempts: int = 3) -> None:
        if window < 1 or max_attempts < 1:
            raise ValueError("window and max_attempts must be at least 1")
        self.count = count
        self.window = window
        self.max_attempts = max_attempts
        self.attempts = [0] * count
        self._next_new = 0
        self._retry: list[int] = []  # a heap: the oldest lost video goes first
        self._running: set[int] = set()
        self._finished: dict[int, T] = {}
        self._released = 0

    @property
    def done(self) -> bool:
        """Every result has been released."""
        return self._released == self.count

    @property
    def running(self) -> int:
        return len(self._running)

    def take(self) -> int | None:
        """The next video to start, or None when nothing may start now."""
        if self._retry:
            index = heapq.heappop(self._retry)
        elif self._next_new < min(self.count, self._released + self.window):
            index = self._next_new
            self._next_new += 1
        else:
            return None
        self._running.add(index)
        self.attempts[index] += 1
        return index

    def finish(self, index: int, result: T) -> None:
        """`index` is done with `result` (a result for a video already finished is a bug)."""
        assert index in self._running, f"video {index} finished but was not running"
        self._running.discard(index)
        self._finished[index] = result

    def lost(self, index: int) -> bool:
        """`index`'s worker died: True when it will be retried, False once its attempts are
        used up (the caller then `finish`es it with a failure)."""
        assert index in self._running, f"video {index} lost but was not running"
        if self.attempts[index] >= self.max_attempts:
            return False
        self._running.discard(index)
        heapq.heappush(self._retry, index)
        return True

    def release(self) -> Iterator[tuple[int, T]]:
        """Finished results that are next in input order, each once."""
        while self._released in self._finished:
            index = self._released
            self._released += 1
            yield index, self._finished.pop(index)
