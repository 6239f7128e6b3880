"""The Ray side of `--executor ray` before any video: joining the cluster and sizing workers.

`connect` joins the cluster at `--ray-address` (or starts a local one), probing a HOST:PORT
first because Ray itself would retry an unreachable address for minutes; `plan_workers` turns
the cluster's resources and the options into a `WorkerPlan` (one worker per GPU by default,
else CPU workers, as many as fit); `absolute_files` rewrites the weights paths so that
workers on other nodes, in other working folders, find the same files.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s2dcli.errors import InputError, RayClusterError
from s2dcli.executors import RAY_INSTALL

if TYPE_CHECKING:
    from s2dcli.config import AnnotateConfig


@dataclass(frozen=True)
class WorkerPlan:
    """How many workers, with which resources and device.

    Attributes:
        count: workers to start.
        num_cpus: CPU cores each (torch and detector threads).
        num_gpus: GPUs each (0: CPU workers; fractions share a GPU).
        device: the `--device` each worker uses (cuda with GPUs, else cpu).
    """

    count: int
    num_cpus: int
    num_gpus: float
    device: str


def plan_workers(resources: dict[str, float], config: AnnotateConfig) -> WorkerPlan:
    """The workers for a cluster with `resources` (`ray.cluster_resources()`).

    Without `gpus_per_worker`, a cluster with GPUs gets one worker per GPU (unless the device
    is cpu) and a CPU-only one CPU workers; without `ray_workers`, as many as fit now.
    """
    cluster_cpus = float(resources.get("CPU", 0.0))
    cluster_gpus = float(resources.get("GPU", 0.0))
    options = config.executor
    device = config.device.device.strip().lower()
    gpus = options.gpus_per_worker
    if gpus is None:
        gpus = 1.0 if cluster_gpus >= 1 and device != "cpu" else 0.0
    gpus = float(gpus)
    if device == "cpu" and gpus > 0:
        raise InputError(
            f"--device cpu with --gpus-per-worker {gpus:g} would hold GPUs "
            "unused; use --gpus-per-worker 0."
        )
    cpus = options.cpus_per_worker
    if cpus is None:
        per_gpu = cluster_cpus * gpus / cluster_gpus if gpus > 0 and cluster_gpus > 0 else 1
        cpus = max(1, min(8, int(per_gpu)))
    count = options.ray_workers
    if count is None:
        count = int(cluster_gpus // gpus) if gpus > 0 else int(cluster_cpus // cpus)
        if count < 1:
            need = f"{gpus:g} GPU" if gpus > 0 else f"{cpus} CPU"
            hint = (
                " Use --gpus-per-worker 0 for CPU workers."
                if gpus > 0 and not cluster_gpus
                else " Lower --cpus-per-worker or --gpus-per-worker, or give --ray-workers"
                " to wait for the cluster to grow."
            )
            raise RayClusterError(
                f"The Ray cluster has {cluster_cpus:g} CPU and {cluster_gpus:g} GPU; a worker "
                f"needs {need}, so none fit.{hint}"
            )
    return WorkerPlan(int(count), int(cpus), gpus, "cuda" if gpus > 0 else "cpu")


def absolute_files(config: AnnotateConfig) -> dict[str, str]:
    """The weights and config options that name files here, as absolute paths (workers on
    other nodes have other working folders; registry names and URLs are left alone)."""
    model = config.model
    files = {
        "weights": model.weights,
        "model_config": model.model_config,
        "landmark_weights": model.landmark_weights,
    }
    out = {}
    for name, value in files.items():
        if value and "://" not in value and Path(value).exists():
            out[name] = str(Path(value).absolute())
    return out


def import_ray() -> Any:
    """The `ray` module, or an `InputError` saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise InputError(
            f"--executor ray needs Ray, which is not installed: {RAY_INSTALL}."
        ) from exc
    return ray


def connect(ray: Any, address: str | None) -> bool:
    """Join the cluster at `address` (auto, HOST:PORT, ray://...), or start a local one when
    None and no `RAY_ADDRESS` is set; True when this call started Ray (and must stop it)."""
    if ray.is_initialized():
        return False
    if address and address != "auto" and "://" not in address:
        _probe(address)  # Ray itself would retry an unreachable address for minutes
    try:
        ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        where = f"at {address!r}" if address else "(RAY_ADDRESS or a new local instance)"
        raise RayClusterError(
            f"Cannot connect to the Ray cluster {where}: {str(exc).rstrip('.')}. Start one "
            "with `ray start --head`, then pass --ray-address auto on its nodes (HOST:PORT "
            "elsewhere)."
        ) from exc
    return True


def _probe(address: str, timeout_s: float = 10.0) -> None:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
            pass
    except ValueError:
        raise InputError(
            f"Invalid --ray-address {address!r}: use auto, HOST:PORT (the head "
            "node's GCS port, 6379 by default) or ray://HOST:10001."
        ) from None
    except OSError as exc:
        raise RayClusterError(
            f"Cannot reach the Ray cluster at {address!r} ({exc.strerror or exc}). Start it "
            "with `ray start --head` on the head node, or check the address and port."
        ) from exc


__all__ = ["WorkerPlan", "absolute_files", "connect", "import_ray", "plan_workers"]
