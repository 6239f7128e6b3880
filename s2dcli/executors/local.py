"""`--executor local` (the default): the engine in this process, as it always ran."""

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
        return self.runtime.engine.run(paths)  # type: ignore[attr-defined,no-any-return]

    def stage_timings(self) -> dict[str, float | int]:
        return self.runtime.engine.stats.as_dict()  # type: ignore[attr-defined,no-any-return]

    def describe(self) -> dict[str, object]:
        return {"executor": "local", **self.runtime.describe()}

    def close(self) -> None:
        self.runtime.close()
