"""ONNX Runtime sessions for the detectors: providers chosen from what the install offers.

`cpu` uses the CPU provider. `cuda` / `cuda:N` needs `CUDAExecutionProvider`, which only the
onnxruntime-gpu distribution has; `auto` takes CUDA when it is there and the CPU otherwise.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import onnxruntime as ort

from s2dcli.errors import DeviceError, InputError

logger = logging.getLogger("s2d.faces")

_CUDA = "CUDAExecutionProvider"
_CPU = "CPUExecutionProvider"
SPINNING_KEY = "session.intra_op.allow_spinning"
_DEVICE_RE = re.compile(r"^(cpu|auto|cuda)(?::(\d+))?$")


def providers_for(device: str, available: list[str] | None = None) -> list[Any]:
    """ONNX Runtime providers for `device` (cpu, auto, cuda or cuda:N), CPU always last.

    Raises:
        DeviceError: The device name is unknown, or CUDA is asked for but not installed.
    """
    match = _DEVICE_RE.match(str(device).strip().lower())
    if match is None or (match.group(1) != "cuda" and match.group(2) is not None):
        raise DeviceError(
            f"Unknown device {device!r} for face detection. Use cpu, auto, cuda or cuda:N."
        )
    kind, index = match.group(1), int(match.group(2) or 0)
    if available is None:
        available = list(ort.get_available_providers())
    has_cuda = _CUDA in available
    if kind == "cpu" or (kind == "auto" and not has_cuda):
        return [_CPU]
    if not has_cuda:
        raise DeviceError(
            f"Device {device!r} asked for, but this onnxruntime has no CUDA provider "
            f"(it offers {', '.join(available)}). Install the GPU build: pip uninstall -y "
            "onnxruntime && pip install onnxruntime-gpu, or use --device cpu."
        )
    return [(_CUDA, {"device_id": index}), _CPU]


def open_session(
    path: Path, device: str = "cpu", threads: int | None = None
) -> ort.InferenceSession:
    """An InferenceSession for the ONNX file at `path` on `device`.

    Args:
        path: an .onnx file.
        device: cpu, auto, cuda or cuda:N.
        threads: intra-op threads on the CPU; None lets ONNX Runtime decide (all cores).

    Raises:
        InputError: The file is missing or is not a model ONNX Runtime can load.
        DeviceError: See `providers_for`.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Face detector model {str(path)!r} does not exist; check the path.")
    providers = providers_for(device)
    if providers[0] != _CPU:
        preload = getattr(ort, "preload_dlls", None)
        if callable(preload):  # finds the CUDA/cuDNN libraries pip installed (onnxruntime >= 1.21)
            preload()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    # Idle intra-op threads sleep instead of spinning: the engine runs decoding and the model
    # beside the detectors, and a spinning thread holds a core they need (2 threads: 350-730 ms
    # a 640x360 frame spinning, 100-190 ms not, on a busy 2-core machine; s2d benchmark).
    options.add_session_config_entry(SPINNING_KEY, "0")
    if threads is not None:
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
        raise InputError(
            f"Cannot load face detector model {str(path)!r}: {exc}. Is it an ONNX file? "
            "Re-download it or point to another file."
        ) from exc
    if providers[0] != _CPU and _CUDA not in session.get_providers():
        logger.warning(
            "CUDA was asked for but ONNX Runtime fell back to the CPU for %s (CUDA or cuDNN "
            "libraries not found); face detection will be slow.",
            path.name,
        )
    logger.debug("Opened %s with providers %s", path.name, session.get_providers())
    return session
