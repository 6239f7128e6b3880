"""The contract between `run_annotation` and whatever processes the videos."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the CLI checks executor options before torch loads
    from s2dcli.pipeline.run import VideoResult


class Executor(Protocol):
    """Turns videos into `VideoResult`s for `run_annotation`.

    Attributes:
        classes: the model's class names, in head order.
        model_name: the name written in the `model` column.
        fingerprint: what makes results comparable between runs (see `s2dcli.runtime`); the
            same for every executor given the same options and device type, so a run started
            with one executor can be resumed with another.
    """

    classes: list[str]
    model_name: str
    fingerprint: dict[str, object]

    def run(self, paths: Sequence[Path]) -> Iterator[VideoResult]:
        """One result per path, in input order, each yielded once (`index` is its position
        in `paths`, `path` the path as given)."""
        ...

    def stage_timings(self) -> dict[str, float | int]:
        """Totals so far (`PipelineStats.as_dict()` keys), for the run record."""
        ...

    def describe(self) -> dict[str, object]:
        """The resolved settings (device, weights, batch size, ...), for the run record."""
        ...

    def close(self) -> None:
        """Release everything (threads, detectors, workers); safe to call twice."""
        ...
