"""Work ahead of the consumer in background threads, with bounded memory and clean shutdown.

`Prefetcher` runs one iterator in a thread, `depth` items ahead. `OrderedMap` applies a function
to items on a pool of threads (decoding and detecting several videos at once) and yields the
results in input order, with at most `max_in_flight` items started but not yet consumed.

Both carry a worker's exception to the consumer as `WorkerError`, which names the item it
happened on (a video path, say), and both stop their threads within a fraction of a second on
`close()`, on leaving a `with` block, or when the consumer stops iterating.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_POLL_S = 0.05


class _Done:
    """The end-of-source marker a `Prefetcher` worker puts after the last item."""


_DONE = _Done()


class WorkerError(RuntimeError):
    """An exception raised in a worker thread, re-raised in the consumer with its context."""

    def __init__(self, where: str, error: BaseException) -> None:
        super().__init__(f"{where}: {type(error).__name__}: {error}")
        self.where = where
        self.error = error


class Prefetcher(Generic[T]):
    """Iterate `source` in a background thread, at most `depth` items ahead.

    Args:
        source: any iterable; it is consumed in the worker thread only.
        depth: queue capacity (>= 1): the most items held in memory ahead of the consumer.
        name: thread name and the context of errors.
    """

    def __init__(self, source: Iterable[T], depth: int = 2, name: str = "prefetch") -> None:
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        self.depth = depth
        self.name = name
        self._queue: queue.Queue[T | WorkerError | _Done] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(iter(source),), name=name, daemon=True
        )
        self._thread.start()

    def _put(self, item: T | WorkerError | _Done) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, iterator: Iterator[T]) -> None:
        try:
            for item in iterator:
                if not self._put(item):
                    return
        except BaseException as exc:  # carried to the consumer, never swallowed
            self._put(WorkerError(self.name, exc))
            return
        self._put(_DONE)

    def qsize(self) -> int:
        """Items waiting in the queue (never more than `depth`)."""
        return self._queue.qsize()

    def __iter__(self) -> Iterator[T]:
        try:
            while True:
                try:
                    item = self._queue.get(timeout=_POLL_S)
                except queue.Empty:
                    if not self._thread.is_alive() and self._queue.empty():
                        return  # closed from elsewhere
                    continue
                if isinstance(item, _Done):
                    return
                if isinstance(item, WorkerError):
                    raise item
                yield item
        finally:
            self.close()

    def close(self, timeout: float = 2.0) -> None:
        """Stop the worker and wait for it (up to `timeout` seconds)."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self) -> Prefetcher[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class OrderedMap(Generic[T, R]):
    """`map(fn, items)` on `workers` threads; results in input order, bounded in flight.

    Args:
        fn: applied to each item in a worker thread.
        items: the inputs; consumed lazily in the consumer's thread.
        workers: number of threads.
        max_in_flight: items submitted but not yet yielded (>= workers); bounds memory.
        describe: names an item in errors (default `str(item)`).
    """

    def __init__(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        workers: int = 2,
        max_in_flight: int | None = None,
        describe: Callable[[T], str] = str,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.fn = fn
        self.items = iter(items)
        self.workers = workers
        self.max_in_flight = max(max_in_flight or 2 * workers, workers)
        self.describe = describe
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="s2d-worker")
        self._stop = threading.Event()
        self.peak_in_flight = 0

    def _call(self, item: T) -> R:
        if self._stop.is_set():
            raise _Cancelled
        return self.fn(item)

    def __iter__(self) -> Iterator[R]:
        pending: list[tuple[T, Future[R]]] = []
        try:
            exhausted = False
            while True:
                while not exhausted and len(pending) < self.max_in_flight:
                    try:
                        item = next(self.items)
                    except StopIteration:
                        exhausted = True
                        break
                    pending.append((item, self._pool.submit(self._call, item)))
                    self.peak_in_flight = max(self.peak_in_flight, len(pending))
                if not pending:
                    return
                item, future = pending.pop(0)
                try:
                    result = future.result()
                except BaseException as exc:
                    raise WorkerError(self.describe(item), exc) from exc
                yield result
        finally:
            for _, future in pending:
                future.cancel()
            self.close()

    def close(self) -> None:
        """Cancel what has not started and wait for the running calls to return."""
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> OrderedMap[T, R]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Cancelled(Exception):
    """Raised in a worker whose map was closed before the call started."""
