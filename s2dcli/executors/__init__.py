"""Executors: where `run_annotation` has its videos processed.

    local   this process: one engine, videos read `--workers` at a time (the default; no Ray)
    ray     a Ray cluster: one model-holding worker per GPU (or CPU workers), one video per
            task, results streamed back and written by this process in input order

Both feed the same writer (`s2dcli.write`), so outputs, journal, `--resume`, failure
rows and progress are the same, and so are the bytes of the final files. Ray is an optional
extra (`pip install "s2dcli[ray]"`) and is imported only when `executor="ray"`.
"""

from __future__ import annotations

import importlib.util
import re
from typing import TYPE_CHECKING

from s2dcli.config import EXECUTORS
from s2dcli.errors import InputError
from s2dcli.executors.base import Executor

if TYPE_CHECKING:
    from s2dcli.config import AnnotateConfig

RAY_INSTALL = 'pip install "s2dcli[ray]"'


def check_executor(config: AnnotateConfig) -> None:
    """Refuse executor options that cannot work, before anything loads (no Ray import).

    Raises:
        InputError: an unknown executor, Ray options without `executor="ray"`, a device a
            Ray worker cannot use, negative resources, or Ray not installed.
    """
    options = config.executor
    name = options.executor.strip().lower()
    if name not in EXECUTORS:
        raise InputError(f"Unknown --executor {name!r}: use local or ray.")
    ray_fields = {
        "ray_address": options.ray_address,
        "ray_workers": options.ray_workers,
        "gpus_per_worker": options.gpus_per_worker,
        "cpus_per_worker": options.cpus_per_worker,
    }
    given = [f for f, value in ray_fields.items() if value is not None]
    if name == "local":
        if given:
            flags = ", ".join("--" + f.replace("_", "-") for f in given)
            verb = "applies" if len(given) == 1 else "apply"
            raise InputError(f"{flags} {verb} only with --executor ray.")
        return
    if options.ray_workers is not None and options.ray_workers < 1:
        raise InputError(f"--ray-workers must be at least 1, got {options.ray_workers}.")
    gpus = options.gpus_per_worker
    if gpus is not None and gpus < 0:
        raise InputError(f"--gpus-per-worker must be 0 or more, got {gpus}.")
    cpus = options.cpus_per_worker
    if cpus is not None and cpus < 1:
        raise InputError(f"--cpus-per-worker must be at least 1, got {cpus}.")
    device = config.device.device.strip().lower()
    if re.fullmatch(r"cuda:\d+", device):
        raise InputError(
            f"--device {device} does not fit --executor ray: each Ray worker uses "
            "the GPU Ray gives it; use --device cuda (or auto)."
        )
    if device == "cuda" and gpus == 0:
        raise InputError(
            "--device cuda needs GPUs: drop --gpus-per-worker 0, or use "
            "--device cpu for CPU workers."
        )
    if importlib.util.find_spec("ray") is None:
        raise InputError(f"--executor ray needs Ray, which is not installed: {RAY_INSTALL}.")


def open_executor(config: AnnotateConfig, keep_tracks: bool = False) -> Executor:
    """The executor `config.executor.executor` names, loaded and ready (the options were
    checked by `s2dcli.resolve`).

    Args:
        config: the run's options.
        keep_tracks: results keep their face tracks (for overlays); Ray workers otherwise
            leave them out to send less.
    """
    if config.executor.executor.strip().lower() == "ray":
        from s2dcli.executors.ray_executor import RayExecutor

        return RayExecutor(config, keep_tracks=keep_tracks)
    from s2dcli.executors.local import LocalExecutor
    from s2dcli.runtime import load_runtime

    return LocalExecutor(load_runtime(config))


__all__ = ["EXECUTORS", "RAY_INSTALL", "Executor", "check_executor", "open_executor"]
