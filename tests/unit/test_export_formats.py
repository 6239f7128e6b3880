"""Each export format, read back with its own library (or BORIS's own rules), against the
segments and clips of a run written by hand: several faces, labels that change, a face with one
clip, a class name with `<&>`, odd file names, a video without a face and a failed one."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from s2dcli.export import export
from tests.export_checks import (
    CLASSES,
    RUN,
    boris_read_data,
    check_eaf_structure,
    check_video,
    read_boris_events,
    read_eaf,
    read_srt,
    read_vtt,
    write_run,
)

FORMATS = ("elan", "boris", "vtt", "srt")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    results = write_run(root)
    result = export(results, FORMATS, root / "exports")
    return root, results, result


def base_of(root: Path, name: str) -> Path:
    return root / "exports" / Path(name).with_suffix("")


@pytest.mark.parametrize("video", [n for n, faces in RUN.items() if isinstance(faces, dict)])
def test_every_format_reads_back_as_the_segments_and_clips(exported, video):
    root, results, _ = exported
    segments = pd.read_csv(results.with_name("results.segments.csv"), keep_default_na=False)
    clips = pd.read_csv(results, keep_default_na=False)
    assert len(segments[segments["video"] == video]) >= 1
    media = root / "videos" / video
    check_video(base_of(root, video), video, segments, clips, CLASSES, media, FORMATS)


def test_the_segments_are_what_the_clips_say(exported):
    """The hand-written run has the segments it was written for (so the read-back above
    compares with something that has label changes, several faces and odd times)."""
    _, results, _ = exported
    segments = pd.read_csv(results.with_name("results.segments.csv"), keep_default_na=False)
    pan = segments[segments["video"] == "session one/pan left.mp4"]
    assert list(zip(pan["face_id"], pan["label"], strict=True)) == [
        (0, "Happy"),
        (0, "Sad"),
        (0, "Happy"),
        (1, "Odd <&> name"),
        (1, "Sad"),
    ]
    assert list(pan["start_s"]) == pytest.approx([0.0, 1.25, 2.25, 0.1, 0.85])
    assert list(pan["end_s"]) == pytest.approx([1.25, 2.25, 3.0, 0.85, 2.1])


def test_a_video_without_a_face_gets_files_without_annotations(exported):
    root, _, result = exported
    assert result.no_face == ["blank.mp4"]
    base = base_of(root, "blank.mp4")
    check_eaf_structure(base.with_name("blank.eaf"))
    eaf = read_eaf(base.with_name("blank.eaf"))
    assert not list(eaf.get_tier_names())
    (linked,) = eaf.get_linked_files()
    assert linked["RELATIVE_MEDIA_URL"] == "../videos/blank.mp4"
    assert read_vtt(base.with_name("blank.vtt")) == []
    assert read_srt(base.with_name("blank.srt")) == []
    events = read_boris_events(base.with_name("blank.boris.events.xlsx"))
    assert events.empty and "STATUS" in events.columns
    assert not list(base.parent.glob("blank.boris.face*"))


def test_a_failed_video_gets_no_files(exported):
    root, _, result = exported
    assert [(s.name, s.status, s.error) for s in result.skipped] == [
        ("broken.mp4", "failed", "not a readable video")
    ]
    assert not list((root / "exports").glob("broken*"))
    assert "broken.mp4" not in result.videos


def test_the_files_written_are_the_files_listed(exported):
    root, _, result = exported
    on_disk = sorted(p for p in (root / "exports").rglob("*") if p.is_file())
    assert sorted(result.files) == on_disk
    assert len(on_disk) == len(set(on_disk))
    # 6 exported videos x (eaf, vtt, srt, 2 events files) + one data file per face + 2 run files
    faces = sum(len(f) for f in RUN.values() if isinstance(f, dict))
    assert len(on_disk) == 6 * 5 + faces + 2


def test_the_cue_text_is_escaped_for_webvtt_and_plain_in_srt(exported):
    root, _, _ = exported
    base = base_of(root, "<script>.mp4")
    vtt = base.with_name("<script>.vtt").read_text(encoding="utf-8")
    assert "face 2: Odd &lt;&amp;&gt; name (" in vtt and "<&>" not in vtt
    srt_text = base.with_name("<script>.srt").read_text(encoding="utf-8")
    assert "face 2: Odd <&> name (" in srt_text


def test_boris_ethogram_and_subjects_import_as_boris_reads_them(exported):
    root, _, _ = exported
    ethogram = pd.read_csv(root / "exports" / "boris.ethogram.tsv", delimiter="\t")
    ethogram.columns = ethogram.columns.str.upper()
    for column in ("Behavior code", "Behavior type", "Description", "Key"):
        assert column.upper() in ethogram.columns
    for column in ("Behavioral category", "Excluded behaviors"):
        assert column.upper() in ethogram.columns
    assert list(ethogram["BEHAVIOR CODE"]) == CLASSES
    assert all("STATE" in t.upper() for t in ethogram["BEHAVIOR TYPE"])
    subjects = pd.read_csv(root / "exports" / "boris.subjects.tsv", delimiter="\t")
    assert set(subjects.columns) == {"Key", "Subject name", "Description"}
    assert list(subjects["Subject name"]) == ["face 0", "face 1", "face 2", "face 3"]


def test_a_boris_data_file_survives_boris_header_rule(exported):
    """BORIS takes any row without an integer field for a header; the `clip` column keeps
    every data row a data row (without it, all of them would be skipped)."""
    root, _, _ = exported
    path = base_of(root, "a/x.mp4").with_name("x.boris.face 0.tsv")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t")[-1] == "clip"
    assert boris_read_data(path, "1,2").shape == (2, 2)
    stripped = path.with_name("stripped.tsv")
    stripped.write_text("\n".join("\t".join(x.split("\t")[:-1]) for x in lines) + "\n")
    with (
        pytest.warns(UserWarning, match="no data"),
        pytest.raises(AssertionError, match="only one time value"),
    ):
        boris_read_data(stripped, "1,2")  # every row taken for a header: nothing to plot
    stripped.unlink()


def test_text_starting_with_equals_is_never_a_formula(tmp_path):
    from s2dcli.export.boris import xlsx_bytes

    path = tmp_path / "x.xlsx"
    path.write_bytes(xlsx_bytes(pd.DataFrame({"code": ["=1+1", "ok"], "time": [1.0, 2.0]})))
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    assert sheet["B3"].value == 2.0


def test_elan_media_links_are_relative_to_the_eaf(exported):
    root, _, _ = exported
    eaf = read_eaf(base_of(root, "session one/pan left.mp4").with_name("pan left.eaf"))
    (linked,) = eaf.get_linked_files()
    assert linked["RELATIVE_MEDIA_URL"] == "../../videos/session one/pan left.mp4"
    assert linked["MIME_TYPE"] == "video/mp4"
    media = root / "videos" / "session one" / "pan left.mp4"
    assert linked["MEDIA_URL"] == "file://" + os.path.abspath(media)
    text = base_of(root, "session one/pan left.mp4").with_name("pan left.eaf").read_bytes()
    assert text.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<ANNOTATION_DOCUMENT')
