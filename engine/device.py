"""The device runtime: choosing a device, precision, host-to-device copies, OOM back-off."""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import torch

logger = logging.getLogger("s2d.engine.device")

R = TypeVar("R")
_CUDA_RE = re.compile(r"^cuda(?::(\d+))?$")


class DeviceUnavailableError(ValueError):
    """The requested device does not exist or cannot be used."""


def resolve_device(spec: str = "auto") -> torch.device:
    """`auto` (CUDA if available, else CPU), `cpu`, `cuda` or `cuda:N`.

    Raises:
        DeviceUnavailableError: An unknown spec, or CUDA asked for where it cannot run; the
            message tells a torch build without CUDA from a CUDA build that sees no GPU, and
            says what to install or check.
    """
    text = spec.strip().lower()
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if text == "cpu":
        return torch.device("cpu")
    match = _CUDA_RE.match(text)
    if not match:
        raise DeviceUnavailableError(f"Unknown device {spec!r}. Use auto, cpu, cuda or cuda:N.")
    if not torch.cuda.is_available():
        raise DeviceUnavailableError(cuda_unavailable_message(spec))
    index = int(match.group(1) or 0)
    count = torch.cuda.device_count()
    if index >= count:
        visible = "cuda:0" if count == 1 else f"cuda:0 to cuda:{count - 1}"
        raise DeviceUnavailableError(
            f"Device {spec!r} does not exist: {count} CUDA device(s) visible ({visible}). "
            "Pick one of those, or check CUDA_VISIBLE_DEVICES."
        )
    return torch.device("cuda", index)


def cuda_unavailable_message(spec: str) -> str:
    """Why CUDA cannot run here, for a torch build without CUDA or a CUDA build without GPU."""
    build = torch.version.cuda
    if build is None:
        return (
            f"Device {spec!r} was requested but CUDA is not available: this torch build "
            f"({torch.__version__}) has no CUDA support. Install a CUDA build of torch (the "
            "PyTorch install guide gives the command for your CUDA version), or use --device cpu."
        )
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES")
    visible = "it is not set here" if hidden is None else f"here it is {hidden!r}"
    return (
        f"Device {spec!r} was requested but CUDA is not available: torch {torch.__version__} "
        f"is a CUDA {build} build but sees no GPU or driver. Check that `nvidia-smi` lists a "
        f"GPU, that the NVIDIA driver is installed and supports CUDA {build}, and that "
        f"CUDA_VISIBLE_DEVICES does not hide it ({visible}); or use --device cpu."
    )


def autocast_dtype(device: torch.device, precision: str = "auto") -> torch.dtype | None:
    """The autocast dtype: bf16 (fp16 where bf16 is unsupported) on CUDA, none (fp32) on CPU.

    `precision` is `auto`, `fp32`, `bf16` or `fp16`.
    """
    if precision not in ("auto", "fp32", "bf16", "fp16"):
        raise DeviceUnavailableError(f"Unknown precision {precision!r}: use fp32, bf16 or fp16.")
    if device.type != "cuda" or precision == "fp32":
        return None
    if precision == "fp16":
        return torch.float16
    if precision == "auto" and not torch.cuda.is_bf16_supported():
        return torch.float16
    return torch.bfloat16


@contextlib.contextmanager
def inference_context(device: torch.device, precision: str = "auto") -> Iterator[None]:
    """`torch.inference_mode()` plus autocast where it applies."""
    dtype = autocast_dtype(device, precision)
    with torch.inference_mode():
        if dtype is None:
            yield
        else:
            with torch.autocast(device_type=device.type, dtype=dtype):
                yield


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Copy a host tensor to `device`; pinned memory and a non-blocking copy on CUDA."""
    if device.type != "cuda":
        return tensor.to(device)
    if not tensor.is_pinned():
        tensor = tensor.pin_memory()
    return tensor.to(device, non_blocking=True)


def is_out_of_memory(error: BaseException) -> bool:
    """True for a CUDA (or other accelerator) out-of-memory error."""
    if isinstance(error, torch.OutOfMemoryError):
        return True
    return isinstance(error, RuntimeError) and "out of memory" in str(error)


def run_halving_on_oom(
    fn: Callable[[Sequence[object]], list[R]],
    items: Sequence[object],
    *,
    on_halve: Callable[[int], None] | None = None,
) -> list[R]:
    """Run `fn` on `items` as one batch; on out-of-memory, split the batch in halves and retry.

    Every item is processed exactly once and the results keep the input order; a single
    item that still runs out of memory re-raises.
    """
    try:
        return fn(items)
    except BaseException as exc:
        if not is_out_of_memory(exc) or len(items) <= 1:
            raise
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    half = len(items) // 2
    logger.warning(
        "Out of memory at batch size %d; retrying as %d + %d.", len(items), half, len(items) - half
    )
    if on_halve is not None:
        on_halve(half)
    return run_halving_on_oom(fn, items[:half], on_halve=on_halve) + run_halving_on_oom(
        fn, items[half:], on_halve=on_halve
    )
