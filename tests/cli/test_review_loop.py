"""The review loop end to end, through the CLI, on generated face videos with known labels:
annotate -> review -> a scripted reviewer fills labels.csv from the ground truth -> train
from the model annotate used -> evaluate on held-out videos: UAR goes up.

The tiny golden model knows neither "happy" (an upright, lit face) nor "sad" (upside down
and dim) before; after two epochs on the reviewed clips it tells them apart on videos it
never saw.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from s2dcli.cli import cli
from tests.cli.review_media import TINY, face_videos, write_plain_labels


def run(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def uar(output: str) -> float:
    found = re.search(r"^(\d+) clips\s+UAR (\d\.\d+)\s+WAR", output, re.M)
    assert found, output
    return float(found.group(2))


def relabel(labels: Path, truth: dict[str, str]) -> int:
    """The scripted reviewer: every clip gets its video's true label; returns the changes."""
    with open(labels, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    changed = 0
    for row in rows:
        changed += row["label"].lower() != truth[row["video"]]
        row["label"] = truth[row["video"]]
    with open(labels, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return changed


@pytest.fixture
def collection(tmp_path, monkeypatch) -> tuple[Path, dict[str, str]]:
    monkeypatch.setenv("S2D_HOME", str(tmp_path / "home"))  # the clip cache
    monkeypatch.chdir(tmp_path)
    videos = tmp_path / "videos"
    pool = face_videos(videos, 6, seed=0, prefix="pool")  # what annotate sees
    write_plain_labels(tmp_path / "val.csv", face_videos(videos, 2, seed=1, prefix="val"))
    write_plain_labels(tmp_path / "held_out.csv", face_videos(videos, 4, seed=2, prefix="test"))
    return tmp_path, pool


def test_review_train_evaluate_improves_uar_on_held_out_clips(collection):
    root, truth = collection
    weights, config, landmarks = TINY[1], TINY[3], TINY[5]
    run(
        [
            "annotate",
            "videos/pool*.mp4",
            "-o",
            "results.csv",
            "--weights",
            weights,
            "--model-config",
            config,
            "--landmark-weights",
            landmarks,
            "--labels",
            "dfew",
            "--faces",
            "none",
            "-q",
        ]
    )
    # no --videos: the run record names annotate's inputs (a glob, relative to its folder)
    output = run(
        [
            "review",
            "results.csv",
            "-o",
            "review",
            "--budget",
            "8",
            "--per-video-cap",
            "2",
            "--seed",
            "0",
        ]
    )
    assert "s2d train --labels review/labels.csv" in output
    assert relabel(root / "review" / "labels.csv", truth) >= 4  # the model was mostly wrong

    data = [
        "--videos",
        "videos",
        "--faces",
        "none",
        "--landmark-weights",
        landmarks,
        "--device",
        "cpu",
    ]
    before = uar(
        run(
            [
                "evaluate",
                "--labels",
                "held_out.csv",
                "--weights",
                weights,
                "--model-config",
                config,
                "--classes",
                "dfew",
                *data,
            ]
        )
    )
    run(
        [
            "train",
            "--labels",
            "review/labels.csv",
            "--val-labels",
            "val.csv",
            "--init",
            weights,
            "--model-config",
            config,
            *data,
            "--epochs",
            "2",
            "--batch-size",
            "4",
            "--lr",
            "3e-3",
            "--warmup-epochs",
            "0.5",
            "--oversample",
            "--seed",
            "0",
            "--out",
            "runs/review",
        ]
    )
    after = uar(
        run(["evaluate", "--labels", "held_out.csv", "--weights", "runs/review/best.pth", *data])
    )
    print(f"held-out UAR: {before:.3f} before, {after:.3f} after the review")
    assert after >= 0.8 and after >= before + 0.3, (before, after)
