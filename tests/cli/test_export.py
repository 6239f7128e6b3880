"""`s2d export` end to end: a real `s2d annotate` run (the offline detector, the tiny golden
weights) over videos with several faces, odd names, the same name in two folders, a video
without a face and a broken one; every export read back with its library and compared with
the segments table annotate wrote."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from s2dcli.cli import cli
from s2dcli.weights.registry import DFEW_CLASSES
from tests import faces_media as fm
from tests.cli.review_media import TINY
from tests.engine.videos import write_frames
from tests.export_checks import check_video, read_eaf, read_vtt

CLASSES = list(DFEW_CLASSES)
FORMATS = ("elan", "boris", "vtt", "srt")
EXPORTED = [
    "<script>.mp4",
    "a/x.mp4",
    "b/x.mp4",
    "blank.mp4",
    "session one/group.mp4",
    "séance/ünï côdé.mp4",
]


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def annotated(tmp_path_factory) -> tuple[Path, Path]:
    """(videos folder, results.csv) of one annotate run, shared by the module."""
    root = tmp_path_factory.mktemp("videos")
    for folder in ("session one", "séance", "a", "b"):
        (root / folder).mkdir()
    group = fm.group_photo(480).image[:332, :480]  # 6 faces
    write_frames(root / "session one" / "group.mp4", [group] * 20)
    zoom = fm.zoom(fm.astronaut(256), 20, 1.3).frames
    write_frames(root / "a" / "x.mp4", zoom)
    write_frames(root / "b" / "x.mp4", zoom[::-1][:16])
    write_frames(root / "<script>.mp4", zoom[2:])
    write_frames(root / "séance" / "ünï côdé.mp4", zoom[4:])
    write_frames(root / "blank.mp4", [fm.blank(120, 160)] * 12)
    (root / "notes.mp4").write_text("not a video\n")
    results = tmp_path_factory.mktemp("out") / "results.csv"
    code, output = run(
        [
            "annotate",
            str(root),
            "-o",
            str(results),
            *TINY,
            "--classes",
            "dfew",
            "--faces",
            "mtcnn",
            "--clip-seconds",
            "0.4",
            "--stride-seconds",
            "0.2",
            "--device",
            "cpu",
        ]
    )
    assert code == 1, output  # notes.mp4 failed, the others were processed
    return root, results


@pytest.fixture(scope="module")
def exported(annotated, tmp_path_factory) -> tuple[Path, Path, int, str]:
    _, results = annotated
    out = tmp_path_factory.mktemp("exports") / "exports"
    code, output = run(
        ["export", str(results), "-f", "elan,boris", "-f", "vtt", "-f", "srt", "-o", str(out)]
    )
    return out, results, code, output


def base_of(out: Path, name: str) -> Path:
    return out / Path(name).with_suffix("")


def test_the_run_has_what_the_exports_need(annotated):
    _, results = annotated
    summary = pd.read_csv(results.with_name("results.videos.csv"), keep_default_na=False)
    status = dict(zip(summary["video"], summary["status"], strict=True))
    assert status == {**{n: "ok" for n in EXPORTED}, "blank.mp4": "no_face", "notes.mp4": "failed"}
    segments = pd.read_csv(results.with_name("results.segments.csv"), keep_default_na=False)
    group = segments[segments["video"] == "session one/group.mp4"]
    assert group["face_id"].nunique() >= 2 and group["label"].nunique() >= 2


def test_export_prints_what_it_did_and_skipped(exported):
    out, _, code, output = exported
    assert code == 0, output
    lines = output.splitlines()
    assert len(lines) == 3, output
    assert lines[0].startswith("  skipped notes.mp4 (failed: not a readable video")
    assert lines[1] == "  blank.mp4: no face found: its files have no annotations"
    files = sum(1 for p in out.rglob("*") if p.is_file())
    assert lines[2] == (
        f"6 videos exported (elan, boris, vtt, srt): {files} files -> {out}; 1 failed video skipped"
    )
    assert not list(out.glob("notes*"))


@pytest.mark.parametrize("video", [n for n in EXPORTED if n != "blank.mp4"])
def test_every_export_reads_back_as_the_segments(exported, annotated, video):
    out, results, _, _ = exported
    videos, _ = annotated
    segments = pd.read_csv(results.with_name("results.segments.csv"), keep_default_na=False)
    clips = pd.read_csv(results, keep_default_na=False, dtype={"video": str, "label": str})
    assert (segments["video"] == video).any()
    check_video(base_of(out, video), video, segments, clips, CLASSES, videos / video, FORMATS)


def test_the_same_name_in_two_folders_gives_two_exports(exported):
    out, _, _, _ = exported
    a = (out / "a" / "x.boris.face 0.tsv").read_text()
    b = (out / "b" / "x.boris.face 0.tsv").read_text()
    assert a != b  # two videos, two files, each its own
    assert (
        read_eaf(out / "a" / "x.eaf")
        .get_linked_files()[0]["RELATIVE_MEDIA_URL"]
        .endswith("/a/x.mp4")
    )


def test_the_video_without_a_face(exported):
    out, _, _, _ = exported
    eaf = read_eaf(out / "blank.eaf")
    assert not list(eaf.get_tier_names())
    assert eaf.get_linked_files()[0]["RELATIVE_MEDIA_URL"].endswith("/blank.mp4")
    assert read_vtt(out / "blank.vtt") == []
    assert (out / "blank.srt").read_text() == ""


def test_existing_files_exit_2_naming_each_then_overwrite(exported):
    out, results, _, _ = exported
    before = (out / "a" / "x.vtt").read_bytes()
    code, output = run(["export", str(results), "-f", "vtt", "-o", str(out)])
    assert code == 2
    assert output.startswith("Error: 6 files this export would write already exist:\n")
    for name in EXPORTED:
        assert f"  {base_of(out, name)}.vtt\n" in output
    assert "Use --overwrite to replace them" in output
    code, output = run(["export", str(results), "-f", "vtt", "-o", str(out), "--overwrite", "-q"])
    assert (code, output) == (0, "")
    assert (out / "a" / "x.vtt").read_bytes() == before  # same run, same bytes


def test_default_folder_and_bad_format(annotated):
    _, results = annotated
    code, output = run(["export", str(results), "-f", "srt"])
    assert code == 0, output
    assert output.strip().endswith(
        f"-> {results.with_name('results.exports')}; 1 failed video skipped"
    )
    assert (results.with_name("results.exports") / "séance" / "ünï côdé.srt").is_file()
    code, output = run(["export", str(results), "-f", "eaf"])
    assert (
        code == 2
        and "Error: Unknown export format 'eaf'; choose from elan, boris, vtt, srt or all" in output
    )
    code, output = run(["export", str(results)])
    assert code == 2 and "Missing option '-f' / '--format'" in output


def test_probabilities_plotted_for_boris_are_the_clip_table(exported):
    out, results, _, _ = exported
    clips = pd.read_csv(results, keep_default_na=False)
    rows = clips[(clips["video"] == "session one/group.mp4") & (clips["face_id"] == 1)]
    data = pd.read_csv(out / "session one" / "group.boris.face 1.tsv", sep="\t")
    assert list(data.columns) == ["time", *[f"p_{c}" for c in CLASSES], "clip"]
    np.testing.assert_allclose(data[[f"p_{c}" for c in CLASSES]], rows[[f"p_{c}" for c in CLASSES]])
    assert list(data["clip"]) == list(rows["clip_index"])
