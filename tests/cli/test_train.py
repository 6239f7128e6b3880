"""`s2d train` and `s2d evaluate` end to end on real video files: a real-face task learnt from
the tiny golden checkpoint, the files a run leaves, `annotate` reading the trained weights,
resume after SIGKILL, DDP with two gloo processes, and bad label files refused up front."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from s2dcli.cli import cli
from s2dcli.models import S2DConfig
from tests.training_media import CLASSES, write_face_videos

ROOT = Path(__file__).resolve().parents[2]
# Epoch 1 is all warm-up (--warmup-epochs 1, the default), so its figures do not depend on
# --epochs: the DDP test compares a 2-epoch run with the 10-epoch one there.
TRAIN_OPTIONS = [
    "--faces",
    "none",
    "--device",
    "cpu",
    "--batch-size",
    "4",
    "--lr",
    "3e-3",
    "--seed",
    "3",
]
EPOCHS = 10


@pytest.fixture(scope="module")
def task(tmp_path_factory, golden_dir: Path) -> dict[str, Path]:
    """Face videos (train / val / test label files) and the tiny golden model, without head
    dropout (a 64-dim random model's features vary too little for dropout 0.5 in a few steps)."""
    root = tmp_path_factory.mktemp("task")
    config = root / "tiny_config.json"
    config.write_text(
        json.dumps(
            S2DConfig.from_json(golden_dir / "tinyA_config.json")
            .replace(head_dropout_ratio=0.0)
            .to_dict()
        )
    )
    return {
        "train": write_face_videos(root / "videos", 32, seed=0, prefix="train"),
        "val": write_face_videos(root / "videos", 12, seed=1, prefix="val"),
        "test": write_face_videos(root / "videos", 16, seed=2, prefix="test"),
        "init": golden_dir / "tinyA_s2d.pth",
        "config": config,
        "landmarks": golden_dir / "tinyA_landmark.pth.tar",
    }


@pytest.fixture(autouse=True)
def _clip_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("S2D_HOME", str(tmp_path_factory.getbasetemp() / "s2d_home"))


def model_args(task: dict[str, Path]) -> list[str]:
    return ["--model-config", str(task["config"]), "--landmark-weights", str(task["landmarks"])]


def train_args(task: dict[str, Path], out: Path, epochs: int) -> list[str]:
    return [
        "train",
        "--labels",
        str(task["train"]),
        "--val-labels",
        str(task["val"]),
        "--init",
        str(task["init"]),
        *model_args(task),
        *TRAIN_OPTIONS,
        "--epochs",
        str(epochs),
        "--out",
        str(out),
    ]


def invoke(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.fixture(scope="module")
def trained(task, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    os.environ["S2D_HOME"] = str(tmp_path_factory.getbasetemp() / "s2d_home")
    result = invoke(train_args(task, out, epochs=EPOCHS))
    assert result.exit_code == 0, result.output
    assert "best epoch" in result.output
    return out


def test_a_run_leaves_checkpoints_metrics_and_pictures(trained):
    names = {p.name for p in trained.iterdir()}
    assert {
        "best.pth",
        "best.pth.json",
        "last.pth",
        "last.pth.json",
        "state.pt",
        "metrics.csv",
        "confusion.csv",
        "confusion.png",
        "curves.png",
        "train.json",
    } <= names
    metrics = pd.read_csv(trained / "metrics.csv")
    assert list(metrics.columns[:4]) == ["epoch", "train_loss", "val_uar", "val_war"]
    assert {"val_recall_upright", "val_recall_upside_down"} <= set(metrics.columns)
    assert metrics["epoch"].tolist() == list(range(1, EPOCHS + 1))
    meta = json.loads((trained / "best.pth.json").read_text())
    assert meta["class_names"] == CLASSES
    assert meta["training"]["epoch"] == int(metrics.loc[metrics["val_uar"].idxmax(), "epoch"])
    confusion = list(csv.reader((trained / "confusion.csv").open()))
    assert confusion[0] == ["true\\predicted", *CLASSES]
    assert sum(int(v) for row in confusion[1:] for v in row[1:]) == 12


def test_the_trained_model_beats_chance_on_held_out_clips(task, trained, tmp_path):
    result = invoke(
        [
            "evaluate",
            "--labels",
            str(task["test"]),
            "--weights",
            str(trained / "best.pth"),
            "--faces",
            "none",
            "--landmark-weights",
            str(task["landmarks"]),
            "--device",
            "cpu",
            "--out",
            str(tmp_path / "eval"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("16 clips  UAR ")
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["uar"] >= 0.75, metrics  # chance is 0.5
    predictions = pd.read_csv(tmp_path / "eval" / "predictions.csv")
    assert len(predictions) == 16 and set(predictions["label"]) == set(CLASSES)
    assert (predictions["label"] == predictions["predicted"]).mean() == pytest.approx(
        metrics["war"]
    )


def test_annotate_reads_the_trained_weights_and_their_class_names(task, trained, tmp_path):
    out = tmp_path / "annotated.csv"
    result = invoke(
        [
            "annotate",
            str(task["test"].parent / "test_000.mp4"),
            "-o",
            str(out),
            "--weights",
            str(trained / "best.pth"),
            "--faces",
            "none",
            "--landmark-weights",
            str(task["landmarks"]),
            "--device",
            "cpu",
        ]
    )
    assert result.exit_code == 0, result.output
    clips = pd.read_csv(out)
    assert {"p_upright", "p_upside_down"} <= set(clips.columns)
    assert set(clips["label"]) <= set(CLASSES)


def test_resume_after_sigkill_ends_where_an_uninterrupted_run_ends(task, trained, tmp_path):
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "s2dcli", *train_args(task, out, epochs=EPOCHS)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    metrics = out / "metrics.csv"
    while time.monotonic() < deadline and process.poll() is None:
        if metrics.exists() and len(metrics.read_text().splitlines()) >= 3:  # 2 epochs done
            break
        time.sleep(0.05)
    assert process.poll() is None, process.stderr.read().decode()[-2000:]
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = len(metrics.read_text().splitlines()) - 1
    assert 2 <= done < EPOCHS

    again = invoke(train_args(task, out, epochs=EPOCHS))
    assert again.exit_code == 2 and "--resume" in again.output  # never overwrites silently
    resumed = invoke([*train_args(task, out, epochs=EPOCHS), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    straight = pd.read_csv(trained / "metrics.csv").drop(columns=["seconds"])
    after = pd.read_csv(out / "metrics.csv").drop(columns=["seconds"])
    pd.testing.assert_frame_equal(after, straight)
    a = torch.load(trained / "last.pth", weights_only=True)["model"]
    b = torch.load(out / "last.pth", weights_only=True)["model"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_ddp_on_two_gloo_processes_matches_one_process_with_the_same_global_batch(
    task, trained, tmp_path
):
    out = tmp_path / "ddp"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    args = train_args(task, out, epochs=2)
    args[args.index("--batch-size") + 1] = "2"  # 2 processes x 2 clips = the single run's 4
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc-per-node",
        "2",
        "--master-port",
        "29533",
        "-m",
        "s2dcli",
        *args,
    ]
    process = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stderr[-3000:]
    summary = json.loads((out / "train.json").read_text())
    assert summary["world_size"] == 2
    ddp = pd.read_csv(out / "metrics.csv")
    single = pd.read_csv(trained / "metrics.csv").head(2)
    assert ddp["epoch"].tolist() == [1, 2]
    # same global batches, flips and warm-up as the single process: epoch 1 agrees to rounding
    assert ddp["train_loss"][0] == pytest.approx(single["train_loss"][0], abs=1e-4)
    assert ddp["val_uar"][0] == single["val_uar"][0]
    assert (out / "best.pth").exists() and not list(out.glob(".*.tmp*"))


def test_a_bad_label_file_is_refused_with_every_bad_row_before_anything_runs(task, tmp_path):
    videos = task["train"].parent
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "video,start_s,end_s,label\n"
        "train_000.mp4,0,0.5,upright\n"
        "missing.mp4,0,0.5,upright\n"
        "train_001.mp4,0,0.5\n"
        "train_002.mp4,0.8,0.2,upright\n"
        "train_000.mp4,0,0.5,upside_down\n",
        encoding="utf-8",
    )
    out = tmp_path / "never"
    args = [
        "train",
        "--init",
        str(task["init"]),
        *model_args(task),
        "--faces",
        "none",
        "--videos",
        str(videos),
        "--out",
        str(out),
    ]
    result = invoke([*args, "--labels", str(bad)])
    assert result.exit_code == 2
    assert "Invalid value for --labels" in result.output and "4 bad row(s)" in result.output
    for line, reason in (
        (3, f"no video 'missing.mp4' under {videos}"),
        (4, "expected 4 fields, got 3"),
        (5, "end_s 0.2 is not after start_s 0.8"),
        (6, "duplicate of line 2"),
    ):
        assert f"line {line}: {reason}" in result.output
    assert not out.exists()

    val = tmp_path / "val.csv"  # a validation class that training does not have
    val.write_text("video,label\nval_000.mp4,upright\nval_001.mp4,sideways\n")
    result = invoke([*args, "--labels", str(task["train"]), "--val-labels", str(val)])
    assert result.exit_code == 2 and "Invalid value for --val-labels" in result.output
    assert "line 3: unknown label 'sideways' (classes: upright, upside_down)" in result.output
    assert not out.exists()
