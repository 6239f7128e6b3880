"""`s2d review` through the CLI on generated face videos and an annotate-shaped results file:
the folder it writes, reproducibility, the budget and cap, and the user errors."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pandas as pd
import pytest
from click.testing import CliRunner

from s2dcli.cli import cli
from s2dcli.labels import read_labels
from s2dcli.review.labelfile import LABEL_COLUMNS
from tests.cli.review_media import face_video, fake_results

NAMES = [f"v{i}.mp4" for i in range(6)]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("review")
    for i, name in enumerate(NAMES):
        face_video(root / "videos" / name, bool(i % 2), i)
    fake_results(root, root / "videos", NAMES, clips_per_video=2)
    return root


def invoke(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.output


def review(run_dir: Path, out: Path, *extra: str) -> tuple[int, str]:
    return invoke(
        [
            "review",
            str(run_dir / "results.csv"),
            "-o",
            str(out),
            "--videos",
            str(run_dir / "videos"),
            *extra,
        ]
    )


def test_writes_sheet_labels_crops_and_record(run_dir, tmp_path):
    out = tmp_path / "review"
    code, output = review(run_dir, out, "--budget", "5", "--seed", "3")
    assert code == 0, output
    assert f"5 clips from 5 videos -> {out / 'index.html'}" in output
    assert "s2d train --labels" in output and "--init" in output and "tinyA_s2d.pth" in output
    labels = pd.read_csv(out / "labels.csv")
    assert list(labels.columns) == list(LABEL_COLUMNS) and len(labels) == 5
    assert (labels["label"] == labels["prediction"]).all()  # prefilled
    results = pd.read_csv(run_dir / "results.csv")
    merged = labels.merge(results, on=["video", "start_s", "end_s", "face_id"])
    assert len(merged) == 5 and (merged["label_x"] == merged["label_y"]).all()
    assert (merged["confidence_x"] - merged["confidence_y"]).abs().max() < 1e-4
    parsed = read_labels(out / "labels.csv", videos_root=run_dir / "videos")
    assert len(parsed.clips) == 5
    strips = sorted((out / "crops").glob("*.jpg"))
    assert [p.name for p in strips] == [f"{i:04d}.jpg" for i in range(1, 6)]
    assert cv2.imread(str(strips[0])).shape == (112, 4 * 112, 3)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count('<article class="card"') == 5
    record = json.loads((out / "review.json").read_text())
    assert record["chosen"] == 5 and record["options"]["seed"] == 3
    assert sorted(r["rank"] for r in record["selection"]) == [1, 2, 3, 4, 5]


def test_same_seed_same_review_and_the_cap_holds(run_dir, tmp_path):
    outputs = {}
    for name, extra in (
        ("a", ["--seed", "1"]),
        ("b", ["--seed", "1"]),
        ("c", ["--seed", "1", "--strategy", "random"]),
        ("d", ["--seed", "2", "--strategy", "random"]),
    ):
        code, output = review(run_dir, tmp_path / name, "--budget", "4", *extra, "-q")
        assert code == 0, output
        outputs[name] = (tmp_path / name / "labels.csv").read_bytes()
    assert outputs["a"] == outputs["b"]
    pages = [
        (tmp_path / n / "index.html").read_text(encoding="utf-8").replace(str(tmp_path / n), "OUT")
        for n in "ab"
    ]  # the commands name the folder
    assert pages[0] == pages[1]
    assert outputs["c"] != outputs["d"]
    code, _ = review(run_dir, tmp_path / "capped", "--budget", "12", "--per-video-cap", "1", "-q")
    capped = pd.read_csv(tmp_path / "capped" / "labels.csv")
    assert code == 0 and len(capped) == 6 and capped["video"].is_unique


def test_an_earlier_review_is_never_replaced_silently(run_dir, tmp_path):
    out = tmp_path / "review"
    assert review(run_dir, out, "--budget", "3", "-q")[0] == 0
    (out / "labels.csv").write_text("my corrections\n")
    code, output = review(run_dir, out, "--budget", "3")
    assert code == 2 and "--overwrite" in output
    assert (out / "labels.csv").read_text() == "my corrections\n"
    assert review(run_dir, out, "--budget", "2", "--overwrite", "-q")[0] == 0
    assert len(pd.read_csv(out / "labels.csv")) == 2
    assert len(list((out / "crops").glob("*.jpg"))) == 2  # old strips removed


def test_videos_from_the_run_record_and_missing_or_broken_videos(run_dir, tmp_path):
    # The record names the inputs: no --videos needed.
    copy = tmp_path / "run"
    copy.mkdir()
    fake_results(copy, run_dir / "videos", NAMES, record_inputs=True)
    code, output = invoke(
        ["review", str(copy / "results.csv"), "-o", str(tmp_path / "r1"), "--budget", "3"]
    )
    assert code == 0, output
    assert f"--videos {run_dir / 'videos'}" in output
    # Without inputs in the record, and no --videos: say how to fix it.
    code, output = invoke(["review", str(run_dir / "results.csv"), "-o", str(tmp_path / "r2")])
    assert code == 2 and "--videos" in output
    # Some videos missing, one broken: their clips are left out / shown without frames.
    partial = tmp_path / "partial"
    partial.mkdir()
    for name in NAMES[:3]:
        (partial / name).write_bytes((run_dir / "videos" / name).read_bytes())
    (partial / NAMES[3]).write_text("not a video\n")
    code, output = invoke(
        [
            "review",
            str(run_dir / "results.csv"),
            "-o",
            str(tmp_path / "r3"),
            "--videos",
            str(partial),
            "--budget",
            "20",
        ]
    )
    assert code == 0, output
    labels = pd.read_csv(tmp_path / "r3" / "labels.csv")
    assert set(labels["video"]) == set(NAMES[:4])
    assert "2 clips without frames" in output and "2 videos not found" in output
    page = (tmp_path / "r3" / "index.html").read_text(encoding="utf-8")
    assert page.count("no frames (video not found or unreadable)") == 2


def test_user_errors(run_dir, tmp_path):
    code, output = invoke(["review", str(run_dir / "missing.csv"), "-o", str(tmp_path / "x")])
    assert code == 2 and "does not exist" in output
    other = tmp_path / "other.csv"
    other.write_text("video,label\na.mp4,happy\n")
    code, output = invoke(
        ["review", str(other), "-o", str(tmp_path / "x"), "--videos", str(run_dir / "videos")]
    )
    assert code == 2 and "is not an `s2d annotate` results file" in output
    code, output = review(run_dir, tmp_path / "x", "--strategy", "bald")
    assert code == 2 and "bald" in output
    code, output = review(run_dir, tmp_path / "x", "--budget", "0")
    assert code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    code, output = invoke(
        ["review", str(run_dir / "results.csv"), "-o", str(tmp_path / "y"), "--videos", str(empty)]
    )
    assert code == 2 and "None of the 6 videos" in output


def test_help_ends_with_examples():
    code, output = invoke(["review", "--help"])
    assert code == 0
    assert output.rstrip().splitlines()[-1].strip().startswith("-h, --help")
    assert "Examples:" in output and "s2d review results.csv -o review/" in output
