"""Executors: where `run_annotation` has its videos processed.

    local   this process: one engine, videos read `--workers` at a time (the default; no Ray)
    ray     a Ray cluster: one model-holding worker per GPU (or CPU workers), one video per
            task, results streamed back and written by this process in input order

Both feed the same writer in `s2dcli.annotator`, so outputs, journal, `--resume`, failure
rows and progress are the same, and so are the bytes of the final files. Ray is an optional
extra (`pip install "s2dcli[ray]"`) and is imported only when `executor="ray"`.
"""

from __future__ import annotations

import importlib.util
import re

from s2dcli.errors import InputError
from s2dcli.executors.base import Executor

EXECUTORS = ("local", "ray")
RAY_INSTALL = 'pip install "s2dcli[ray]"'
_RAY_FIELDS = ("ray_address", "ray_workers", "gpus_per_worker", "cpus_per_worker")


def check_executor(options: object) -> None:
    """Refuse executor options that cannot work, before anything loads (no Ray import).

    Raises:
        InputError: an unknown executor, Ray options without `executor="ray"`, a device a
            Ray worker cannot use, negative resources, or Ray not installed.
    """
    name = str(getattr(options, "executor", "local")).strip().lower()
    if name not in EXECUTORS:
        raise InputError(f"Unknown --executor {name!r}: use local or ray.")
    given = [f for f in _RAY_FIELDS if getattr(options, f, None) is not None]
    if name == "local":
        if given:
            flags = ", ".join("--" + f.replace("_", "-") for f in given)
            verb = "applies" if len(given) == 1 else "apply"
            raise InputError(f"{flags} {verb} only with --executor ray.")
        return
    workers = getattr(options, "ray_workers", None)
    if workers is not None and workers < 1:
        raise InputError(f"--ray-workers must be at least 1, got {workers}.")
    gpus = getattr(options, "gpus_per_worker", None)
    if gpus is not None and gpus < 0:
        raise InputError(f"--gpus-per-worker must be 0 or more, got {gpus}.")
    cpus = getattr(options, "cpus_per_worker", None)
    if cpus is not None and cpus < 1:
        raise InputError(f"--cpus-per-worker must be at least 1, got {cpus}.")
    device = str(getattr(options, "device", "auto")).strip().lower()
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


def open_executor(options: object, keep_tracks: bool = False) -> Executor:
    """The executor `options.executor` names, loaded and ready.

    Args:
        options: `AnnotateOptions`.
        keep_tracks: results keep their face tracks (for overlays); Ray workers otherwise
            leave them out to send less.
    """
    check_executor(options)
    if str(getattr(options, "executor", "local")).strip().lower() == "ray":
        from s2dcli.executors.ray_executor import RayExecutor

        return RayExecutor(options, keep_tracks=keep_tracks)
    from s2dcli.executors.local import LocalExecutor
    from s2dcli.runtime import load_runtime

    return LocalExecutor(load_runtime(options))


__all__ = ["EXECUTORS", "RAY_INSTALL", "Executor", "check_executor", "open_executor"]
