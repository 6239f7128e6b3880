"""Data-parallel training across processes: `torchrun --nproc-per-node N -m s2dcli train ...`.

torchrun sets `RANK`, `WORLD_SIZE` and `LOCAL_RANK`; `init_distributed` then joins the process
group (NCCL on CUDA, gloo on CPU) and gives each process its device. Outside torchrun it is a
no-op (one process, rank 0). Every rank sees the whole epoch order (drawn from the same seed)
and takes its own share of each global batch; only rank 0 writes files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Distributed:
    """Where this process stands: `rank` of `world_size` (1 outside torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def sum(self, values: list[float], device: torch.device) -> list[float]:
        """Element-wise sum of `values` over all ranks."""
        if not self.enabled:
            return list(values)
        tensor = torch.tensor(values, dtype=torch.float64, device=device)
        dist.all_reduce(tensor)
        return tensor.tolist()


def distributed_from_env() -> Distributed:
    """The torchrun environment, or a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed()
    return Distributed(
        int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0"))
    )


def init_distributed(device: torch.device) -> tuple[Distributed, torch.device]:
    """Join the process group when run under torchrun; CUDA ranks get `cuda:LOCAL_RANK`."""
    env = distributed_from_env()
    if not env.enabled:
        return env, device
    if device.type == "cuda":
        device = torch.device("cuda", env.local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return env, device


def shutdown_distributed(env: Distributed) -> None:
    if env.enabled and dist.is_initialized():
        dist.destroy_process_group()
