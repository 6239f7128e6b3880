"""`s2d benchmark`: one short run with the tiny model (table and JSON contract), usage errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from s2dcli.benchmark import STAGES, make_video
from s2dcli.cli import cli

SHORT = ["--device", "cpu", "--model", "s2d_test", "--faces", "mtcnn", "--seconds", "0.01"]


@pytest.fixture(scope="module")
def face_video(tmp_path_factory) -> Path:
    """2 s of 320x180 H.264 with a face sliding across: the tiny run's input."""
    return make_video(
        tmp_path_factory.mktemp("bench") / "face.mp4", seconds=2.0, width=320, height=180
    )


@pytest.fixture(scope="module")
def run(face_video: Path, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench-out") / "bench.json"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the tiny model's small ops gain nothing from a second thread
    try:
        result = CliRunner().invoke(
            cli,
            [
                "benchmark",
                *SHORT,
                "--batch-sizes",
                "1,2",
                "--workers",
                "1",
                "--video",
                str(face_video),
                "--json",
                str(out),
            ],
            catch_exceptions=False,
        )
    finally:
        torch.set_num_threads(threads)
    return result, json.loads(out.read_text(encoding="utf-8"))


def test_exit_code_and_table(run):
    result, _ = run
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "s2d benchmark on cpu" in out
    for stage in STAGES:
        assert stage in out
    assert "S2D / ViT time ratio" in out
    assert "video-seconds per second" in out
    assert "End to end / the slower (" in out and "; bound by " in out
    assert "Peak host RSS" in out


def test_json_contract(run):
    _, data = run
    assert set(data) >= {"results", "s2d_vs_vit_time_ratio", "device", "versions"}
    assert data["device"] == "cpu"
    assert data["versions"]["torch"].split("+")[0] == torch.__version__.split("+")[0]
    assert data["versions"]["timm"]
    assert data["precision"] == "fp32"
    assert data["peak_rss_bytes"] > 50 * 2**20
    assert data["settings"]["model_name"] == "s2d_test"
    assert data["settings"]["torch_threads"] == 1
    assert data["settings"]["omp_wait_policy"] in ("PASSIVE", "ACTIVE", "default")
    stages = [row["stage"] for row in data["results"]]
    assert set(stages) == set(STAGES)
    assert all(stage in STAGES for stage in stages)
    assert stages[-1] == "end_to_end"


def test_json_figures(run):
    _, data = run
    rows = data["results"]
    decode = {r["variant"]: r for r in rows if r["stage"] == "decode"}
    assert {"pyav_raw", "pyav_engine"} <= set(decode)
    assert all(r["frames"] == 50 and r["frames_per_s"] > 0 for r in decode.values())
    (detect,) = [r for r in rows if r["stage"] == "detect"]
    assert detect["variant"] == "mtcnn" and detect["frames_per_s"] > 0
    assert detect["workers"] == 1 and detect["frames"] == 8
    assert detect["faces_per_frame"] >= 0.5  # the face is found
    for stage in ("landmarks", "model", "vit_reference"):
        by_batch = {r["batch_size"]: r for r in rows if r["stage"] == stage}
        assert set(by_batch) == {1, 2}
        for b, r in by_batch.items():
            assert r["frames"] == 4 * b  # s2d_test: 4 frames per clip
            assert math.isclose(r["frames_per_s"], 4 * r["clips_per_s"])
            assert r["tflop_per_s"] > 0 and r["gflop_per_call"] > 0
    model2 = next(r for r in rows if r["stage"] == "model" and r["batch_size"] == 2)
    assert model2["s2d_vs_vit_time_ratio"] == data["s2d_vs_vit_time_ratio"] > 0
    vit = next(r for r in rows if r["stage"] == "vit_reference")
    assert vit["variant"].startswith("vit_d64x2")  # the tiny geometry, not ViT-B
    end = rows[-1]
    assert end["batch_size"] == 2 and end["videos"] == 1
    assert end["video_seconds"] == pytest.approx(2.0, abs=0.1)
    assert end["clips"] >= 1 and end["video_s_per_s"] > 0
    assert set(end["stage_seconds"]) == {"decode", "detect", "crop", "model"}
    assert end["slowest_stage"] in ("scan", "model")
    assert end["scan_seconds"] > 0 and end["model_seconds"] > 0
    assert data["bound_by"].startswith(end["slowest_stage"])
    assert data["end_to_end_vs_slowest_stage"] == end["end_to_end_vs_slowest_stage"] > 0
    assert end["end_to_end_vs_stage_sum"] < end["end_to_end_vs_slowest_stage"]


@pytest.mark.parametrize(
    ("args", "hint", "fix"),
    [
        (["--batch-sizes", "0,8"], "--batch-sizes", "e.g. 1,8,32"),
        (["--batch-sizes", "one,two"], "--batch-sizes", "positive whole numbers"),
        (["--batch-sizes", ","], "--batch-sizes", "positive whole numbers"),
        (["--device", "tpu"], "--device", "Use auto, cpu, cuda or cuda:N"),
        (["--model", "vit_huge"], "--model", "s2d_test"),
        (["--model", "s2d_test", "--weights", "x.pth"], "--model", "not both"),
        (["--seconds", "0"], "--seconds", "0"),
    ],
)
def test_usage_errors_exit_2_naming_the_fix(args, hint, fix):
    result = CliRunner().invoke(cli, ["benchmark", *args])
    assert result.exit_code == 2, result.output
    assert hint in result.output and fix in result.output
    assert "Traceback" not in result.output


def test_model_config_needs_weights(tmp_path):
    config = tmp_path / "cfg.json"
    config.write_text("{}")
    result = CliRunner().invoke(cli, ["benchmark", "--model-config", str(config)])
    assert result.exit_code == 2
    assert "--weights" in result.output


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_says_use_cpu():
    result = CliRunner().invoke(cli, ["benchmark", "--device", "cuda"])
    assert result.exit_code == 2
    assert "--device cpu" in result.output


def test_unreadable_video_is_a_user_error(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    result = CliRunner().invoke(cli, ["benchmark", *SHORT, "--video", str(bad)])
    assert result.exit_code == 2
    assert "Cannot read --video" in result.output
    assert "Traceback" not in result.output


def test_help_has_examples():
    result = CliRunner().invoke(cli, ["benchmark", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and "--batch-sizes" in result.output


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_run_records_device_memory_and_bf16(face_video: Path, tmp_path):
    out = tmp_path / "gpu.json"
    result = CliRunner().invoke(
        cli,
        [
            "benchmark",
            "--device",
            "cuda",
            "--model",
            "s2d_test",
            "--faces",
            "mtcnn",
            "--seconds",
            "0.01",
            "--batch-sizes",
            "1,8",
            "--workers",
            "1",
            "--video",
            str(face_video),
            "--json",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["device"].startswith("cuda") and data["precision"] in ("bf16", "fp16")
    timed = [r for r in data["results"] if r["stage"] in ("model", "vit_reference")]
    assert timed and all(r["peak_device_bytes"] > 0 for r in timed)
    assert data["results"][-1]["peak_device_bytes"] > 0
