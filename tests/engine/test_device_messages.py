"""`--device cuda` where CUDA cannot run: the message says which of the two cases it is
(a torch build without CUDA, or a CUDA build that sees no GPU) and what to check."""

from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner

from engine.device import DeviceUnavailableError, resolve_device
from s2dcli.cli import cli
from tests.engine.videos import write_video

no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is visible here")


@no_gpu
@pytest.mark.skipif(torch.version.cuda is None, reason="this torch build has no CUDA")
@pytest.mark.parametrize("hidden", [None, ""])
def test_cuda_build_without_gpu_says_what_to_check(monkeypatch, hidden):
    # The real case on this machine: torch is a CUDA build, and no GPU or driver is visible.
    if hidden is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", hidden)
    with pytest.raises(DeviceUnavailableError) as err:
        resolve_device("cuda")
    msg = str(err.value)
    assert f"torch {torch.__version__} is a CUDA {torch.version.cuda} build" in msg
    assert "sees no GPU or driver" in msg
    assert "`nvidia-smi`" in msg and "NVIDIA driver" in msg
    assert "install a CUDA build" not in msg.lower()
    shown = "it is not set here" if hidden is None else "here it is ''"
    assert f"CUDA_VISIBLE_DEVICES does not hide it ({shown})" in msg


@no_gpu
def test_torch_without_cuda_says_to_install_a_cuda_build(monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", None)  # as in a CPU-only torch build
    with pytest.raises(DeviceUnavailableError) as err:
        resolve_device("cuda:0")
    msg = str(err.value)
    assert f"this torch build ({torch.__version__}) has no CUDA support" in msg
    assert "Install a CUDA build of torch" in msg
    assert "nvidia-smi" not in msg


def test_an_index_past_the_visible_gpus_says_how_many(monkeypatch):
    # Only the count matters here; a machine with two GPUs is not needed to word it.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(DeviceUnavailableError) as err:
        resolve_device("cuda:7")
    assert str(err.value) == (
        "Device 'cuda:7' does not exist: 2 CUDA device(s) visible (cuda:0 to cuda:1). "
        "Pick one of those, or check CUDA_VISIBLE_DEVICES."
    )
    assert resolve_device("cuda:1") == torch.device("cuda", 1)


@no_gpu
def test_the_command_line_shows_it_with_exit_status_2(tmp_path, golden_dir):
    (tmp_path / "v").mkdir()
    write_video(tmp_path / "v" / "a.mp4", 10)
    result = CliRunner().invoke(
        cli,
        [
            "annotate",
            str(tmp_path / "v"),
            "-o",
            str(tmp_path / "r.csv"),
            "--weights",
            str(golden_dir / "tinyA_s2d.pth"),
            "--device",
            "cuda",
        ],
    )
    assert result.exit_code == 2
    assert "Device 'cuda' was requested but CUDA is not available" in result.output
    assert "--device cpu" in result.output
