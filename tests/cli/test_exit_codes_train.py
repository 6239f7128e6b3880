"""The exit-status contract (see `test_exit_codes.py`) for train, evaluate and benchmark, and
their -q in either position: real one-epoch runs of the tiny golden model on generated face
videos, a full disk and Ctrl-C injected in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import s2dcli.benchmark
import s2dcli.training.trainer
from s2dcli.models import S2DConfig
from tests.cli.exit_checks import assert_exit, disk_full, interrupt, run
from tests.cli.review_media import face_video
from tests.training_media import write_face_videos

NO_GPU = pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is visible here")


@pytest.fixture(scope="module")
def task(tmp_path_factory, golden_dir: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("exit-train")
    config = root / "tiny_config.json"
    tiny = S2DConfig.from_json(golden_dir / "tinyA_config.json")
    config.write_text(json.dumps(tiny.replace(head_dropout_ratio=0.0).to_dict()))
    return {
        "train": write_face_videos(root / "videos", 6, seed=0, prefix="train"),
        "val": write_face_videos(root / "videos", 4, seed=1, prefix="val"),
        "init": golden_dir / "tinyA_s2d.pth",
        "config": config,
        "landmarks": golden_dir / "tinyA_landmark.pth.tar",
        "root": root,
    }


@pytest.fixture(autouse=True)
def _clip_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("S2D_HOME", str(tmp_path_factory.getbasetemp() / "s2d_home"))


def model_args(task) -> list[object]:
    return ["--model-config", task["config"], "--landmark-weights", task["landmarks"]]


def train_args(task, out: Path, **change: object) -> list[object]:
    options: dict[str, object] = {
        "--labels": task["train"],
        "--val-labels": task["val"],
        "--init": task["init"],
        "--faces": "none",
        "--device": "cpu",
        "--batch-size": 4,
        "--epochs": 1,
        "--out": out,
        **{f"--{k.replace('_', '-')}": v for k, v in change.items()},
    }
    flat = [x for k, v in options.items() for x in ((k,) if v is True else (k, v))]
    return ["train", *flat, *model_args(task)]


@pytest.fixture(scope="module")
def trained(task) -> Path:
    """One epoch, with -q on the group: nothing on stderr."""
    out = task["root"] / "run"
    result = run("-q", *train_args(task, out))
    assert_exit(result, 0)
    assert result.stderr == "" and result.stdout == ""
    assert (out / "best.pth").exists() and (out / "state.pt").exists()
    return out


def test_train_0_and_quiet_after_the_command(task, trained):
    loud = run(*train_args(task, trained, resume=True))  # finished already: nothing to do
    assert_exit(loud, 0)
    assert "samples, 2 classes" in loud.stderr and "best epoch 1" in loud.stderr
    quiet = run(*train_args(task, trained, resume=True), "-q")
    assert_exit(quiet, 0)
    assert quiet.stderr == "" and quiet.stdout == ""


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"labels": "missing.csv"}, "missing.csv"),
        ({"init": "missing.pth"}, "missing.pth"),
        ({"init": "dfew-fold9", "offline": True}, "dfew-fold9"),
        ({"faces": "nosuchdetector"}, "nosuchdetector"),
        ({"epochs": 0}, "--epochs"),
        ({"precision": "fp64"}, "--precision"),
    ],
    ids=lambda v: str(v),
)
def test_train_2_bad_options_paths_and_names(task, tmp_path, change, needle):
    assert_exit(run(*train_args(task, tmp_path / "out", **change)), 2, needle)
    assert not (tmp_path / "out" / "state.pt").exists()


@NO_GPU
def test_train_2_no_gpu(task, tmp_path):
    assert_exit(run(*train_args(task, tmp_path / "out", device="cuda")), 2, "cuda")


def test_train_2_existing_run_and_a_changed_resume(task, trained):
    before = (trained / "state.pt").read_bytes()
    assert_exit(run(*train_args(task, trained)), 2, "--resume")
    changed = run(*train_args(task, trained, resume=True, lr="0.5"))
    assert_exit(changed, 2, "lr: None then, 0.5 now")
    assert (trained / "state.pt").read_bytes() == before


def test_train_3_and_130(task, tmp_path, monkeypatch):
    with monkeypatch.context() as patch:
        disk_full(patch, tmp_path / "full")
        assert_exit(run(*train_args(task, tmp_path / "full")), 3, "No space left on device")
    interrupt(monkeypatch, s2dcli.training.trainer.Trainer, "fit")
    assert_exit(run(*train_args(task, tmp_path / "stopped")), 130, "Interrupted")


def evaluate_args(task, weights: object, *extra: object) -> list[object]:
    labels = ["--labels", task["val"], "--weights", weights]
    landmarks = ["--landmark-weights", task["landmarks"]]  # the config is in best.pth.json
    return ["evaluate", *labels, *landmarks, "--faces", "none", "--device", "cpu", *extra]


def test_evaluate_0_quiet_in_either_position(task, trained, tmp_path):
    loud = run(*evaluate_args(task, trained / "best.pth"))
    assert_exit(loud, 0)
    assert "4 clips  UAR" in loud.stdout and "samples, 2 classes" in loud.stderr
    args = evaluate_args(task, trained / "best.pth")
    for quiet in (["-q", *args], [*args, "-q"]):
        result = run(*quiet)
        assert_exit(result, 0)
        assert result.stderr == "" and result.stdout == loud.stdout


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--classes", "a,b,c"], "--classes"),
        (["--faces", "nosuchdetector"], "nosuchdetector"),
        (["--batch-size", "0"], "--batch-size"),
    ],
)
def test_evaluate_2_bad_options(task, trained, extra, needle):
    assert_exit(run(*evaluate_args(task, trained / "best.pth", *extra)), 2, needle)


def test_evaluate_2_missing_weights_and_classes_the_model_lacks(task, trained, tmp_path):
    assert_exit(run(*evaluate_args(task, "missing.pth")), 2, "missing.pth")
    odd = tmp_path / "odd.csv"
    odd.write_text("video,label\nval_000.mp4,sideways\n")
    args = evaluate_args(task, trained / "best.pth", "--videos", task["val"].parent)
    args[args.index(task["val"])] = odd
    assert_exit(run(*args), 2, "sideways")


@NO_GPU
def test_evaluate_2_no_gpu(task, trained):
    args = evaluate_args(task, trained / "best.pth")
    args[args.index("cpu")] = "cuda:7"
    assert_exit(run(*args), 2, "cuda:7")


def test_evaluate_3_and_130(task, trained, tmp_path, monkeypatch):
    with monkeypatch.context() as patch:
        disk_full(patch, tmp_path / "full")
        result = run(*evaluate_args(task, trained / "best.pth", "--out", tmp_path / "full"))
        assert_exit(result, 3, "No space left on device")
    interrupt(monkeypatch, s2dcli.training.trainer.Trainer, "predict")
    assert_exit(run(*evaluate_args(task, trained / "best.pth")), 130, "Interrupted")


# benchmark --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bench_video(tmp_path_factory) -> Path:
    return face_video(tmp_path_factory.mktemp("exit-bench") / "face.mp4", False, 0, seconds=1.0)


def bench_args(video: Path, *extra: object) -> list[object]:
    quick = ["--device", "cpu", "--model", "s2d_test", "--faces", "none", "--seconds", "0.01"]
    return ["benchmark", *quick, "--batch-sizes", "1", "--workers", "1", "--video", video, *extra]


def test_benchmark_0_quiet_and_3(bench_video, tmp_path, monkeypatch):
    result = run("-q", *bench_args(bench_video, "--json", tmp_path / "b.json"))
    assert_exit(result, 0)
    assert result.stderr == "" and "s2d benchmark on cpu" in result.stdout
    assert json.loads((tmp_path / "b.json").read_text())["device"] == "cpu"
    disk_full(monkeypatch, tmp_path / "full")
    result = run(*bench_args(bench_video, "--json", tmp_path / "full" / "b.json"), "-q")
    assert_exit(result, 3, "No space left on device")


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--batch-sizes", "0"], "--batch-sizes"),
        (["--model", "vit_huge"], "vit_huge"),
        (["--video", "missing.mp4"], "missing.mp4"),
        (["--detect-every", "0"], "--detect-every"),
        *([(["--device", "cuda"], "cuda")] if not torch.cuda.is_available() else []),
    ],
)
def test_benchmark_2_bad_options(bench_video, extra, needle):
    assert_exit(run(*bench_args(bench_video, *extra)), 2, needle)


def test_benchmark_2_missing_weights_and_unknown_detector(bench_video, tmp_path):
    args = bench_args(bench_video)
    model = args.index("--model")
    del args[model : model + 2]
    assert_exit(run(*args, "--weights", tmp_path / "missing.pth"), 2, "missing.pth")
    args = bench_args(bench_video)
    args[args.index("none")] = "nosuchdetector"
    assert_exit(run(*args), 2, "nosuchdetector")


def test_benchmark_130(bench_video, monkeypatch):
    interrupt(monkeypatch, s2dcli.benchmark, "run_benchmark")
    assert_exit(run(*bench_args(bench_video)), 130, "Interrupted")


def test_train_and_evaluate_name_every_missing_weights_file_at_once(task, tmp_path, monkeypatch):
    """Offline with an empty cache: the checkpoint and the landmark weights in one message,
    with one `s2d models pull` line for both, before any clip is extracted."""
    monkeypatch.setenv("S2D_HOME", str(tmp_path / "empty_home"))
    args = train_args(task, tmp_path / "out", init="dfew-fold1", offline=True)
    args = [a for a in args if a not in ("--landmark-weights", task["landmarks"])]
    result = run(*args)
    assert_exit(result, 2, "2 weights files this run needs are missing")
    assert "--init dfew-fold1" in result.stderr and "--landmark-weights" in result.stderr
    assert "s2d models pull dfew-fold1 landmarks" in result.stderr
    evaluate = ["evaluate", "--labels", task["val"], "--weights", "dfew-fold1", "--offline"]
    result = run(*evaluate, "--faces", "none", "--device", "cpu")
    assert_exit(result, 2, "s2d models pull dfew-fold1 landmarks")
    assert "--weights dfew-fold1" in result.stderr
