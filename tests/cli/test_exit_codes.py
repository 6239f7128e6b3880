"""The exit-status contract of `s2d --help`, code by code, for annotate and the commands that
read its results (review, report, export) and for `models`: 0 everything processed, 1 some
inputs failed, 2 nothing ran (the command or its environment), 3 a write to the outputs
failed, 130 interrupted. Never a traceback, unless --debug asks for one.

Real runs on generated face-crop videos with the tiny golden weights; a full disk and Ctrl-C
are injected in-process (`tests.cli.exit_checks`). train, evaluate and benchmark are in
`test_exit_codes_train.py`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

import s2dcli.annotator
import s2dcli.commands.models
import s2dcli.review
from tests.cli.exit_checks import ANNOTATE, assert_exit, disk_full, interrupt, run, write_videos


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    return write_videos(tmp_path_factory.mktemp("exit-videos"))


@pytest.fixture(scope="module")
def broken(videos: Path, tmp_path_factory) -> Path:
    """The good videos and one that is not a video."""
    root = tmp_path_factory.mktemp("exit-broken")
    for video in videos.iterdir():
        shutil.copy(video, root / video.name)
    (root / "broken.mp4").write_text("not a video\n")
    return root


@pytest.fixture(scope="module")
def results(videos: Path, tmp_path_factory) -> Path:
    """A finished annotate run: its -o file (the summary, segments and run record beside)."""
    out = tmp_path_factory.mktemp("exit-run") / "r.csv"
    assert_exit(run("annotate", videos, "-o", out, *ANNOTATE, "-q"), 0)
    return out


# annotate ---------------------------------------------------------------------------------


def test_annotate_0_everything_processed(results):
    assert results.exists() and results.with_name("r.videos.csv").exists()


def test_annotate_1_some_videos_failed(broken, tmp_path):
    out = tmp_path / "r.csv"
    result = run("annotate", broken, "-o", out, *ANNOTATE)
    assert_exit(result, 1, "broken.mp4")
    assert "failed" in out.with_name("r.videos.csv").read_text()


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"paths": "nowhere/"}, "nowhere"),
        ({"--model": "dfew-fold9"}, "dfew-fold9"),
        ({"--weights": "missing.pth"}, "missing.pth"),
        ({"--faces": "nosuchdetector"}, "nosuchdetector"),
        ({"--classes": "a,b"}, "--classes"),
        ({"--batch-size": "0"}, "--batch-size"),
        ({"--precision": "fp64"}, "--precision"),
        ({"--max-failures": "lots"}, "--max-failures"),
        ({"--landmark-weights": "missing.pth.tar"}, "missing.pth.tar"),
    ],
    ids=lambda v: str(v),
)
def test_annotate_2_bad_options_paths_and_names(videos, tmp_path, change, needle):
    args = dict(zip(ANNOTATE[::2], ANNOTATE[1::2], strict=True))
    if "--model" in change:
        args.pop("--weights")
        args["--offline"] = ""
    args.update(change)
    paths = args.pop("paths", str(videos))
    flat = [x for k, v in args.items() for x in ((k, v) if v else (k,))]
    out = tmp_path / "r.csv"
    assert_exit(run("annotate", paths, "-o", out, *flat), 2, needle)
    assert not out.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is visible here")
@pytest.mark.parametrize("device", ["cuda", "cuda:7"])
def test_annotate_2_no_gpu(videos, tmp_path, device):
    args = [*ANNOTATE[:-2], "--device", device]
    assert_exit(run("annotate", videos, "-o", tmp_path / "r.csv", *args), 2, device)


def test_annotate_2_existing_outputs(videos, results, tmp_path):
    out = tmp_path / results.name
    for path in results.parent.iterdir():
        shutil.copy(path, out.parent / path.name)
    before = out.read_bytes()
    assert_exit(run("annotate", videos, "-o", out, *ANNOTATE), 2, "--overwrite")
    assert out.read_bytes() == before


def test_annotate_3_a_failed_write(videos, tmp_path, monkeypatch):
    out = tmp_path / "full" / "r.csv"
    out.parent.mkdir()
    disk_full(monkeypatch, out.parent)
    result = run("annotate", videos, "-o", out, *ANNOTATE)
    assert_exit(result, 3, "No space left on device", "--resume")
    assert result.output.count("Error:") == 1


def test_annotate_130_interrupted_then_2_for_a_changed_resume_then_0(videos, tmp_path):
    out = tmp_path / "r.csv"
    with pytest.MonkeyPatch.context() as patch:
        interrupt(patch, s2dcli.annotator, "video_record")
        result = run("annotate", videos, "-o", out, *ANNOTATE)
    assert_exit(result, 130, "Interrupted", "--resume")
    changed = run("annotate", videos, "-o", out, *ANNOTATE, "--clip-seconds", "1", "--resume")
    assert_exit(changed, 2, "clip_seconds")
    assert_exit(run("annotate", videos, "-o", out, *ANNOTATE, "--resume", "-q"), 0)


def test_debug_shows_the_traceback_of_a_user_error(tmp_path):
    result = run("--debug", "annotate", tmp_path / "nowhere", "-o", tmp_path / "r.csv")
    assert result.exit_code != 0 and result.exception is not None
    assert not isinstance(result.exception, SystemExit)  # raised through, for the traceback


# review, report, export: they read annotate's results --------------------------------------


def test_review_0_2_3_130(results, videos, tmp_path, monkeypatch):
    def review(out: Path, *extra: object):
        return run("review", results, "-o", out, "--videos", videos, "--budget", "2", *extra)

    assert_exit(review(tmp_path / "ok", "-q"), 0)
    assert (tmp_path / "ok" / "labels.csv").exists()
    assert_exit(review(tmp_path / "ok"), 2, "--overwrite")  # an earlier review
    assert_exit(run("review", tmp_path / "none.csv", "-o", tmp_path / "x"), 2, "none.csv")
    assert_exit(review(tmp_path / "b", "--budget", "0"), 2, "--budget")
    with monkeypatch.context() as patch:
        disk_full(patch, tmp_path / "full")
        assert_exit(review(tmp_path / "full"), 3, "No space left on device")
    interrupt(monkeypatch, s2dcli.review, "review")
    assert_exit(review(tmp_path / "stopped"), 130, "Interrupted")


def test_report_0_2_3_130(results, videos, tmp_path, monkeypatch):
    def report(out: Path, *extra: object):
        return run("report", results, "-o", out, "--videos", videos, *extra)

    assert_exit(report(tmp_path / "ok", "-q"), 0)
    assert (tmp_path / "ok" / "index.html").exists()
    assert_exit(report(tmp_path / "ok"), 2, "--overwrite")
    assert_exit(run("report", tmp_path / "none.csv", "-o", tmp_path / "x"), 2, "none.csv")
    with monkeypatch.context() as patch:
        disk_full(patch, tmp_path / "full")
        assert_exit(report(tmp_path / "full"), 3, "No space left on device")
    import s2dcli.report.interactive as interactive

    interrupt(monkeypatch, interactive, "write_report")
    assert_exit(report(tmp_path / "stopped"), 130, "Interrupted")


def test_export_0_2_3(results, tmp_path, monkeypatch):
    def export(out: Path, *extra: object):
        return run("export", results, "-f", "vtt", "-o", out, *extra)

    assert_exit(export(tmp_path / "ok", "-q"), 0)
    assert sorted(p.name for p in (tmp_path / "ok").iterdir()) == ["v0.vtt", "v1.vtt"]
    assert_exit(export(tmp_path / "ok"), 2, "--overwrite")
    assert_exit(run("export", results, "-f", "docx"), 2, "docx")
    assert_exit(run("export", tmp_path / "none.csv", "-f", "vtt"), 2, "none.csv")
    disk_full(monkeypatch, tmp_path / "full")
    assert_exit(export(tmp_path / "full"), 3, "No space left on device")


# models -----------------------------------------------------------------------------------


def test_debug_shows_where_an_interrupt_landed_and_still_exits_130(monkeypatch):
    interrupt(monkeypatch, s2dcli.commands.models, "_rows")
    result = run("--debug", "models", "list")
    assert result.exit_code == 130
    assert "Traceback" in result.stderr and "press_ctrl_c" in result.stderr
    assert result.stderr.endswith("Interrupted.\n")


def test_models_0_2_130(tmp_path, monkeypatch):
    monkeypatch.setenv("S2D_HOME", str(tmp_path / "home"))
    assert_exit(run("models", "list", "-q"), 0)
    assert_exit(run("models", "verify"), 0)
    assert_exit(run("--quiet", "models", "--offline", "pull", "dfew-fold9"), 2, "dfew-fold9")
    assert_exit(run("models", "import", tmp_path / "missing.pth", "--name", "mine"), 2)
    interrupt(monkeypatch, s2dcli.commands.models, "_rows")
    assert_exit(run("models", "list"), 130, "Interrupted")
