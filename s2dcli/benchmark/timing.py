"""Timing primitives for `s2d benchmark`: alternating rounds, device synchronisation, FLOPs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from s2dcli.errors import InputError


@dataclass
class Timing:
    """One step's timed calls.

    Attributes:
        seconds: wall seconds of each timed call, in order.
        peak_device_bytes: the most CUDA memory allocated during any one call (0 on CPU).
        value: what the last call returned.
    """

    seconds: list[float] = field(default_factory=list)
    peak_device_bytes: int = 0
    value: Any = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def parse_batch_sizes(text: str) -> tuple[int, ...]:
    """`"1,8,32"` -> `(1, 8, 32)`; duplicates dropped, order kept.

    Raises:
        InputError: anything but positive whole numbers separated by commas.
    """
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise InputError(
            f"Invalid batch sizes {text!r}: give positive whole numbers separated "
            "by commas, e.g. 1,8,32."
        )
    return tuple(dict.fromkeys(sizes))


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (CUDA kernels run asynchronously)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed_rounds(
    steps: dict[str, Callable[[], Any]],
    seconds: float,
    device: torch.device,
    min_rounds: int = 2,
    warmup: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Timing]:
    """Time `steps` side by side, so that machine noise hits them all alike.

    Every step is called once untimed (unless `warmup` is False), then all steps in turn,
    round after round, until `seconds` have passed and `min_rounds` rounds are done; odd rounds
    run the steps in reverse order. The device is synchronised before each clock read, and on
    CUDA the peak memory of each call is recorded.
    """
    if min_rounds < 1:
        raise ValueError("min_rounds must be at least 1")
    cuda = device.type == "cuda"
    out = {name: Timing() for name in steps}
    if warmup:
        for name, step in steps.items():
            out[name].value = step()
        synchronize(device)
    order = list(steps.items())
    start = clock()
    rounds = 0
    while rounds < min_rounds or clock() - start < seconds:
        for name, step in reversed(order) if rounds % 2 else order:
            if cuda:
                torch.cuda.reset_peak_memory_stats(device)
            synchronize(device)
            began = clock()
            out[name].value = step()
            synchronize(device)
            out[name].seconds.append(clock() - began)
            if cuda:
                peak = torch.cuda.max_memory_allocated(device)
                out[name].peak_device_bytes = max(out[name].peak_device_bytes, peak)
        rounds += 1
    return out


def paired_ratio(numerator: Timing, denominator: Timing) -> float:
    """The median over rounds of the per-round time ratio (robust to a burst of load)."""
    return statistics.median(
        n / d for n, d in zip(numerator.seconds, denominator.seconds, strict=True)
    )


def count_flops(fn: Callable[[], Any]) -> int:
    """FLOPs of one call of `fn` (which runs, so this is a warm-up too)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())
