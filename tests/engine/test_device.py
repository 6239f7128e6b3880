"""Device selection, precision, copies and the out-of-memory back-off."""

from __future__ import annotations

import pytest
import torch

from engine.device import (
    DeviceUnavailableError,
    autocast_dtype,
    inference_context,
    resolve_device,
    run_halving_on_oom,
    to_device,
)

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def test_cpu_and_auto():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected


@pytest.mark.parametrize("spec", ["gpu", "cuda:x", "tpu"])
def test_unknown_device_names_the_fix(spec):
    with pytest.raises(DeviceUnavailableError, match="Use auto, cpu, cuda or cuda:N"):
        resolve_device(spec)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_says_so():
    with pytest.raises(DeviceUnavailableError, match="CUDA is not available"):
        resolve_device("cuda:0")


def test_precision_on_cpu_is_fp32():
    assert autocast_dtype(torch.device("cpu"), "auto") is None
    assert autocast_dtype(torch.device("cpu"), "bf16") is None
    with pytest.raises(DeviceUnavailableError):
        autocast_dtype(torch.device("cpu"), "int8")


def test_inference_context_on_cpu():
    with inference_context(torch.device("cpu")):
        assert torch.is_inference_mode_enabled()
        assert not torch.is_autocast_enabled("cpu")


@pytest.mark.gpu
@needs_cuda
def test_cuda_copy_and_autocast():
    device = resolve_device("cuda")
    x = to_device(torch.ones(4), device)
    assert x.device.type == "cuda"
    with inference_context(device):
        assert (torch.ones(2, 2, device=device) @ torch.ones(2, 2, device=device)).dtype in (
            torch.bfloat16,
            torch.float16,
        )


def test_oom_halves_the_batch_and_loses_nothing():
    calls = []
    halves = []

    def model(batch):
        calls.append(list(batch))
        if len(batch) > 3:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return [x * 10 for x in batch]

    items = list(range(10))
    assert run_halving_on_oom(model, items, on_halve=halves.append) == [x * 10 for x in items]
    processed = [x for batch in calls if len(batch) <= 3 for x in batch]
    assert sorted(processed) == items  # every item exactly once
    assert halves[0] == 5


def test_other_errors_and_single_items_are_not_retried():
    def broken(batch):
        raise ValueError("bug")

    with pytest.raises(ValueError):
        run_halving_on_oom(broken, [1, 2, 3])

    def always_oom(batch):
        raise torch.OutOfMemoryError("out of memory")

    with pytest.raises(torch.OutOfMemoryError):
        run_halving_on_oom(always_oom, [1, 2])
