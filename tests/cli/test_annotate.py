"""`s2d annotate` end to end: real videos with real faces, the offline detector, the tiny
golden weights; outputs and their schemas, determinism, resume after SIGKILL, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from s2dcli.cli import cli
from s2dcli.weights.registry import DFEW_CLASSES
from tests import faces_media as fm
from tests.cli.review_media import TINY
from tests.engine.videos import write_frames, write_video

ROOT = Path(__file__).resolve().parents[2]
CLASSES = list(DFEW_CLASSES)
CLIP_COLUMNS = [
    "video",
    "face_id",
    "clip_index",
    "start_frame",
    "end_frame",
    "start_s",
    "end_s",
    "label",
    "confidence",
    *[f"p_{c}" for c in CLASSES],
    "box_x",
    "box_y",
    "box_w",
    "box_h",
    "det_score",
    "model",
]


@pytest.fixture(scope="module")
def weights(golden_dir: Path) -> list[str]:
    return [
        "--weights",
        str(golden_dir / "tinyA_s2d.pth"),
        "--model-config",
        str(golden_dir / "tinyA_config.json"),
        "--landmark-weights",
        str(golden_dir / "tinyA_landmark.pth.tar"),
        "--classes",
        "dfew",
        "--faces",
        "mtcnn",
    ]


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    """A small collection: faces in sub-folders with awkward names, one face-less clip, and
    three broken files."""
    root = tmp_path_factory.mktemp("collection")
    (root / "session one").mkdir()
    (root / "séance").mkdir()
    photo = fm.group_photo(960)
    write_frames(
        root / "session one" / "pan left.mp4",
        fm.pan(photo, 320, 240, 60, step=(2.0, 0.5), start=(300, 40)).frames,
    )
    write_frames(root / "séance" / "zoom.mp4", fm.zoom(fm.astronaut(256), 50, 1.3).frames)
    write_frames(root / "blank.mp4", [fm.blank(120, 160)] * 30)
    (root / "notes.mp4").write_text("not a video\n")
    (root / "empty.mp4").touch()
    good = root / "cut.mp4"
    write_frames(good, fm.pan(photo, 320, 240, 40, step=(1.0, 0.0), start=(400, 60)).frames)
    data = good.read_bytes()
    (root / "truncated.mp4").write_bytes(data[: len(data) // 3])
    good.unlink()
    return root


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def first_run(videos: Path, weights: list[str], tmp_path_factory) -> tuple[Path, int, str]:
    out = tmp_path_factory.mktemp("out") / "results.csv"
    code, output = run(
        ["annotate", str(videos), "-o", str(out), *weights, "--plots", str(out.parent / "plots")]
    )
    return out, code, output


def test_outputs_and_their_schemas(first_run):
    out, code, output = first_run
    assert code == 1, output  # some videos failed; all others were processed
    clips = pd.read_csv(out)
    assert list(clips.columns) == CLIP_COLUMNS
    assert set(clips["video"]) == {"session one/pan left.mp4", "séance/zoom.mp4"}
    probs = clips[[f"p_{c}" for c in CLASSES]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (clips["label"] == [CLASSES[i] for i in probs.argmax(axis=1)]).all()
    assert (clips["end_s"] > clips["start_s"]).all() and (clips["box_w"] > 20).all()
    assert (clips["model"] == "tinyA_s2d.pth").all()

    summary = pd.read_csv(out.with_name("results.videos.csv"), keep_default_na=False)
    status = dict(zip(summary["video"], summary["status"], strict=True))
    assert status == {
        "blank.mp4": "no_face",
        "empty.mp4": "failed",
        "notes.mp4": "failed",
        "séance/zoom.mp4": "ok",
        "session one/pan left.mp4": "ok",
        "truncated.mp4": "failed",
    }
    errors = dict(zip(summary["video"], summary["error"], strict=True))
    assert "empty" in errors["empty.mp4"] and "not a readable video" in errors["notes.mp4"]
    assert errors["séance/zoom.mp4"] == ""
    assert list(summary["video"]) == sorted(summary["video"], key=lambda v: v)  # input order

    segments = pd.read_csv(out.with_name("results.segments.csv"))
    assert list(segments.columns) == ["video", "face_id", "start_s", "end_s", "label", "confidence"]
    record = json.loads(out.with_name("results.csv.run.json").read_text())
    assert record["videos"]["total"] == 6 and record["videos"]["failed"] == 3
    assert record["resolved"]["weights_sha256"] and record["stage_timings"]["clips"] == len(clips)
    page = (out.parent / "plots" / "index.html").read_text()
    assert "séance/zoom.mp4" in page
    for line in ("notes.mp4: failed: ", "empty.mp4: failed: "):
        assert line in output


def test_same_inputs_same_bytes_and_formats(first_run, videos, weights, tmp_path):
    out, _, _ = first_run
    again = tmp_path / "again.csv"
    run(["annotate", str(videos), "-o", str(again), *weights, "-q"])
    assert again.read_bytes() == out.read_bytes()
    assert (
        again.with_name("again.videos.csv").read_bytes()
        == out.with_name("results.videos.csv").read_bytes()
    )
    for fmt in ("parquet", "jsonl"):
        target = tmp_path / f"r_{fmt}.{fmt}"
        code, _ = run(["annotate", str(videos / "séance"), "-o", str(target), *weights, "-q"])
        frame = pd.read_parquet(target) if fmt == "parquet" else pd.read_json(target, lines=True)
        assert code == 0 and list(frame.columns) == CLIP_COLUMNS
        assert set(frame["video"]) == {"zoom.mp4"}


def test_existing_results_are_never_overwritten_silently(first_run, videos, weights):
    out, _, _ = first_run
    before = out.read_bytes()
    code, output = run(["annotate", str(videos), "-o", str(out), *weights])
    assert code == 2 and "--resume" in output and "--overwrite" in output
    assert out.read_bytes() == before
    code, output = run(["annotate", str(videos), "-o", str(out), *weights, "--resume", "-q"])
    assert code == 1 and out.read_bytes() == before  # failed videos retried, same results


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing/"], "No such file or folder"),
        (["{empty}"], "No videos found"),
        (["{videos}", "--device", "gpu"], "Invalid --device"),
        (["{videos}", "--max-failures", "many"], "Invalid --max-failures"),
        (["{videos}", "--clip-seconds", "0"], "clip-seconds"),
        (["{videos}", "--batch-size", "0"], "batch-size"),
        (["{videos}", "-o", "{tmp}/r.xlsx"], "use .csv, .parquet or .jsonl"),
    ],
)
def test_bad_input_is_a_usage_error_that_names_the_fix(args, message, videos, tmp_path):
    (tmp_path / "empty").mkdir()
    args = [a.format(videos=videos, empty=tmp_path / "empty", tmp=tmp_path) for a in args]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "r.csv")]
    code, output = run(["annotate", *args])
    assert code == 2, output
    assert message in output
    assert not (tmp_path / "r.csv").exists()


def test_whole_frame_mode_and_python_api(tmp_path, golden_dir):
    from s2dcli import annotate

    made = write_video(tmp_path / "crop.mp4", 75, height=48, width=64, fps=25)
    clips = annotate(
        [made.path],
        weights=str(golden_dir / "tinyA_s2d.pth"),
        model_config=str(golden_dir / "tinyA_config.json"),
        landmark_weights=str(golden_dir / "tinyA_landmark.pth.tar"),
        classes="ferv39k",
        faces="none",
    )
    assert list(clips.columns[:9]) == CLIP_COLUMNS[:9]
    assert list(clips["clip_index"]) == [0, 1] and list(clips["face_id"]) == [0, 0]
    assert [tuple(r) for r in clips[["box_x", "box_y", "box_w", "box_h"]].to_numpy()] == [
        (8.0, 0.0, 48.0, 48.0)
    ] * 2


def test_max_failures_stops_the_run(videos, weights, tmp_path):
    out = tmp_path / "r.csv"
    code, output = run(
        ["annotate", str(videos), "-o", str(out), *weights, "--max-failures", "1", "-q"]
    )
    assert code == 1, output
    summary = pd.read_csv(out.with_name("r.videos.csv"), keep_default_na=False)
    assert list(summary["status"]) == ["no_face", "failed"]  # blank.mp4, empty.mp4, then stop


def test_config_file_supplies_options(videos, weights, tmp_path):
    config = tmp_path / "s2d.toml"
    config.write_text("[annotate]\nclip-seconds = 1.0\nstride-seconds = 0.5\n")
    out = tmp_path / "r.csv"
    run(["annotate", str(videos / "séance"), "-o", str(out), "--config", str(config), *weights])
    clips = pd.read_csv(out)
    assert set(np.round(clips["end_s"] - clips["start_s"], 3)) <= {1.0}
    assert len(clips) >= 3


def _command(videos: Path, out: Path, weights: list[str], *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "s2dcli",
        "annotate",
        str(videos),
        "-o",
        str(out),
        *weights,
        "--workers",
        "1",
        "--batch-size",
        "2",
        *extra,
    ]


def test_resume_after_sigkill_gives_the_same_bytes(videos, weights, tmp_path, first_run):
    out = tmp_path / "killed.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        _command(videos, out, weights, "-q"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    journal = out.with_name("killed.csv.journal")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill once some, not all, videos are done
        if journal.exists() and journal.read_text(errors="replace").count("\n") >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_lines = journal.read_text(errors="replace").count("\n") - 1
    assert 1 <= done_lines < 6, "the kill should land mid-run"
    subprocess.run(
        _command(videos, out, weights, "-q", "--resume"),
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
    )
    reference, _, _ = first_run
    assert out.read_bytes() == reference.read_bytes()
    assert (
        out.with_name("killed.videos.csv").read_bytes()
        == reference.with_name("results.videos.csv").read_bytes()
    )


def test_overlay_videos_show_the_tracked_faces(videos, weights, tmp_path):
    import av

    out = tmp_path / "r.csv"
    code, output = run(
        [
            "annotate",
            str(videos / "séance"),
            "-o",
            str(out),
            *weights,
            "-q",
            "--overlay",
            str(tmp_path / "overlays"),
        ]
    )
    assert code == 0, output
    overlay = tmp_path / "overlays" / "zoom.mp4.overlay.mp4"
    with av.open(str(overlay)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 50


def test_ctrl_c_says_how_to_resume(videos, weights, tmp_path):
    out = tmp_path / "r.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        _command(videos, out, weights),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    journal = out.with_name("r.csv.journal")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (
        journal.exists() and journal.read_text(errors="replace").count("\n") >= 2
    ):
        time.sleep(0.02)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 3.0
    assert proc.returncode == 130
    assert "--resume" in err


def test_a_very_short_face_crop_video_still_gives_one_clip(tmp_path, golden_dir):
    from s2dcli import annotate

    made = write_video(tmp_path / "short.mp4", 8, height=48, width=64, fps=25)  # 0.32 s
    clips = annotate(
        [made.path],
        weights=str(golden_dir / "tinyA_s2d.pth"),
        model_config=str(golden_dir / "tinyA_config.json"),
        landmark_weights=str(golden_dir / "tinyA_landmark.pth.tar"),
        classes="dfew",
        faces="none",
    )
    assert list(clips[["start_s", "end_s"]].itertuples(index=False, name=None)) == [(0.0, 0.32)]


def test_labels_for_class_names_is_a_deprecated_alias_of_classes(tmp_path, golden_dir):
    from s2dcli import annotate

    made = write_video(tmp_path / "crop.mp4", 50, height=48, width=64, fps=25)
    base = ["annotate", str(made.path), *TINY, "--faces", "none", "--device", "cpu"]
    code, output = run([*base, "-o", str(tmp_path / "old.csv"), "--labels", "ferv39k"])
    assert code == 0 and "WARNING: --labels is now --classes" in output
    code, output = run([*base, "-o", str(tmp_path / "new.csv"), "--classes", "ferv39k"])
    assert code == 0 and "--labels" not in output
    assert (tmp_path / "old.csv").read_bytes() == (tmp_path / "new.csv").read_bytes()
    assert "--labels" not in CliRunner().invoke(cli, ["annotate", "--help"]).output
    kwargs = {"weights": TINY[1], "model_config": TINY[3], "landmark_weights": TINY[5]}
    with pytest.warns(DeprecationWarning, match="classes"):
        clips = annotate([made.path], labels="ferv39k", faces="none", **kwargs)
    assert "p_Happy" in clips.columns
