"""The run record (`results.csv.run.json`): what was asked, what was resolved, what ran.

It lets a result be traced back (options, weights sha256, device, package versions, stage
timings) and lets `s2d review` / `s2d report` find the videos again (inputs and working
folder).
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from s2dcli import __version__
from s2dcli.write.files import replace_bytes

VERSIONED_PACKAGES = ("timm", "av", "decord", "onnxruntime", "insightface")


@dataclass(frozen=True)
class RunCounts:
    """How many videos and clips a run saw."""

    total: int
    processed: int
    resumed: int
    failed: int
    clips: int
    stopped_early: bool


def build_run_record(
    inputs: list[str],
    options: dict[str, Any],
    resolved: dict[str, object],
    counts: RunCounts,
    stage_timings: dict[str, float | int],
) -> dict[str, object]:
    """The run record's content (see the module docstring)."""
    import numpy
    import pandas
    import torch

    return {
        "s2dcli": __version__,
        "inputs": [str(path) for path in inputs],  # as given, relative to `cwd` (s2d review)
        "cwd": os.getcwd(),
        "options": options,
        "resolved": resolved,
        "videos": {
            "total": counts.total,
            "processed": counts.processed,
            "resumed": counts.resumed,
            "failed": counts.failed,
            "stopped_early": counts.stopped_early,
        },
        "clips": counts.clips,
        "stage_timings": stage_timings,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": numpy.__version__,
            "pandas": pandas.__version__,
            **package_versions(*VERSIONED_PACKAGES),
        },
    }


def write_run_record(path: Path, record: dict[str, object]) -> None:
    """Write the record as indented JSON, replacing `path` in one step."""
    data = json.dumps(record, indent=2, sort_keys=True, default=str) + "\n"
    replace_bytes(path, data.encode("utf-8"), sync=False)


def package_versions(*packages: str) -> dict[str, str]:
    """Installed versions by distribution name ("not installed" when absent)."""
    out = {}
    for name in packages:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
