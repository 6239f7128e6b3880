"""`--executor local` (the default): the pipeline in this process."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from s2dcli.pipeline.run import VideoResult
from s2dcli.runtime import Runtime


class LocalExecutor:
    """The `Pipeline` of a loaded `Runtime`, behind the `Executor` contract."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.classes = runtime.classes
        self.model_name = runtime.model_name
        self.fingerprint = runtime.fingerprint

    def run(self, paths: Sequence[Path]) -> Iterator[VideoResult]:
        return self.runtime.pipeline.run(paths)

    def stage_timings(self) -> dict[str, float | int]:
        return self.runtime.pipeline.stats.as_dict()

    def describe(self) -> dict[str, object]:
        return {"executor": "local", **self.runtime.describe()}

    def close(self) -> None:
        self.runtime.close()
