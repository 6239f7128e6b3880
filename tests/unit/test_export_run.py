"""`s2dcli.export.export`: file names, formats, existing files, the run's other files missing,
other table formats, and videos that cannot be found."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pandas as pd
import pytest

from s2dcli.errors import InputError, OutputsExistError
from s2dcli.export import default_output, export, parse_formats
from s2dcli.export.base import ms, output_bases
from tests.export_checks import (
    CLASSES,
    check_video,
    clip_table,
    eaf_segments,
    read_eaf,
    read_vtt,
    write_run,
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("run")
    write_run(root)
    return root


@pytest.fixture
def run(run_dir, tmp_path) -> Path:
    """A fresh copy of the hand-written run (tests change its files)."""
    shutil.copytree(run_dir, tmp_path, dirs_exist_ok=True)
    record = tmp_path / "out" / "results.csv.run.json"
    data = json.loads(record.read_text(encoding="utf-8"))
    record.write_text(json.dumps({**data, "cwd": str(tmp_path / "out")}), encoding="utf-8")
    return tmp_path / "out" / "results.csv"


def test_output_names_mirror_the_videos_and_never_collide(tmp_path):
    names = [
        "a/x.mp4",
        "b/x.mp4",
        "c/y.mp4",
        "c/y.mov",
        "<script>.mp4",
        "ünï côdé.mkv",
        "../../etc/passwd.mp4",
        "/abs/z.mp4",
        "d/a.b.mp4",
    ]
    bases = output_bases(names, tmp_path)
    rel = {n: p.relative_to(tmp_path).as_posix() for n, p in bases.items()}
    assert rel == {
        "a/x.mp4": "a/x",
        "b/x.mp4": "b/x",
        "c/y.mp4": "c/y.mp4",  # two videos of one folder differ only in extension
        "c/y.mov": "c/y.mov",
        "<script>.mp4": "<script>",
        "ünï côdé.mkv": "ünï côdé",
        "../../etc/passwd.mp4": "etc/passwd",  # never outside the folder
        "/abs/z.mp4": "abs/z",
        "d/a.b.mp4": "d/a.b",
    }
    assert len({p.as_posix().casefold() for p in bases.values()}) == len(names)


def test_names_that_differ_only_in_case_get_distinct_files(tmp_path):
    bases = output_bases(["A.mp4", "a.mp4"], tmp_path)
    assert len({p.as_posix().casefold() for p in bases.values()}) == 2


def test_formats_and_the_default_folder():
    assert parse_formats(["elan,VTT", "srt", "elan"]) == ["elan", "vtt", "srt"]
    assert parse_formats([" boris "]) == ["boris"]
    assert parse_formats(["vtt", "all"]) == ["vtt", "elan", "boris", "srt"]
    with pytest.raises(
        InputError, match=r"Unknown export format 'pdf'; choose from elan, boris, vtt, srt or all"
    ):
        parse_formats(["elan,pdf"])
    with pytest.raises(InputError, match="No export format"):
        parse_formats([","])
    assert default_output(Path("d/results.csv")) == Path("d/results.exports")
    assert default_output(Path("d/run.v2.parquet")) == Path("d/run.v2.exports")
    assert ms(1.0005) == 1000 and ms(1.0015) == 1002 and ms(0.0004) == 0


def test_default_folder_is_beside_the_results(run):
    result = export(run, ["vtt"])
    assert result.output == run.with_name("results.exports")
    assert (run.with_name("results.exports") / "a" / "x.vtt").is_file()


def test_existing_files_are_refused_all_named_and_kept(run):
    out = run.parent / "e"
    export(run, ["vtt", "srt"], out)
    (out / "a" / "x.vtt").write_text("mine\n")
    (out / "b" / "x.srt").unlink()
    with pytest.raises(OutputsExistError) as info:
        export(run, ["vtt", "srt"], out)
    message = str(info.value)
    assert message.startswith("11 files this export would write already exist:\n")
    assert f"  {out / 'a' / 'x.vtt'}\n" in message and str(out / "b" / "x.srt") not in message
    assert message.endswith("Use --overwrite to replace them, or -o another folder.")
    assert (out / "a" / "x.vtt").read_text() == "mine\n"
    assert not (out / "b" / "x.srt").exists()  # nothing written when refused
    export(run, ["vtt", "srt"], out, overwrite=True)
    assert (out / "a" / "x.vtt").read_text().startswith("WEBVTT")
    assert (out / "b" / "x.srt").is_file()
    export(run, ["elan"], out)  # other formats' files are no obstacle


def test_an_output_that_is_a_file_is_refused(run):
    with pytest.raises(InputError, match="is a file; give a folder"):
        export(run, ["vtt"], run)


def test_not_a_results_file_is_refused(tmp_path):
    with pytest.raises(InputError, match="No such results file"):
        export(tmp_path / "none.csv", ["vtt"])
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="not an `s2d annotate` results file"):
        export(bad, ["vtt"])


def test_without_the_segments_file_they_are_rebuilt_from_the_clips(run):
    segments = pd.read_csv(run.with_name("results.segments.csv"), keep_default_na=False)
    run.with_name("results.segments.csv").unlink()
    export(run, ["elan", "vtt", "srt", "boris"], run.parent / "e")
    clips = pd.read_csv(run, keep_default_na=False)
    base = run.parent / "e" / "session one" / "pan left"
    check_video(base, "session one/pan left.mp4", segments, clips, CLASSES)


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_parquet_and_jsonl_results(tmp_path, suffix):
    results = write_run(tmp_path, suffix=suffix)
    segments = pd.read_csv(results.with_name("results.segments.csv"), keep_default_na=False)
    result = export(results, ["elan", "vtt", "srt", "boris"], tmp_path / "e")
    assert [s.name for s in result.skipped] == ["broken.mp4"]
    clips = clip_table_of(results)
    base = tmp_path / "e" / "ünï côdé"
    media = tmp_path / "videos" / "ünï côdé.mp4"
    check_video(base, "ünï côdé.mp4", segments, clips, CLASSES, media)


def clip_table_of(results: Path) -> pd.DataFrame:
    if results.suffix == ".parquet":
        return pd.read_parquet(results)
    return pd.read_json(results, lines=True, dtype=False)


def test_a_run_without_a_single_clip(tmp_path):
    from s2dcli.write.rows import clip_columns

    out = tmp_path / "out"
    out.mkdir()
    results = out / "results.csv"
    pd.DataFrame(columns=clip_columns(CLASSES)).to_csv(results, index=False)
    pd.DataFrame({"video": ["blank.mp4"], "status": ["no_face"], "error": [""]}).to_csv(
        out / "results.videos.csv", index=False
    )
    result = export(results, ["elan", "vtt", "boris"], tmp_path / "e")
    assert result.no_face == ["blank.mp4"]
    assert eaf_segments(read_eaf(tmp_path / "e" / "blank.eaf")) == []
    assert read_vtt(tmp_path / "e" / "blank.vtt") == []
    subjects = pd.read_csv(tmp_path / "e" / "boris.subjects.tsv", sep="\t")
    assert subjects.empty and list(subjects.columns) == ["Key", "Subject name", "Description"]


def test_rows_of_a_failed_video_are_skipped_and_counted(run):
    clips = pd.read_csv(run, keep_default_na=False)
    extra = clip_table({"broken.mp4": {0: ["Happy", "Sad"]}}, CLASSES)
    pd.concat([clips, extra]).to_csv(run, index=False)
    result = export(run, ["vtt"], run.parent / "e")
    assert result.skipped_clips == 2
    assert not (run.parent / "e" / "broken.vtt").exists()


def test_without_a_summary_every_video_with_clips_is_exported(run, caplog):
    run.with_name("results.videos.csv").unlink()
    with caplog.at_level(logging.WARNING, logger="s2d"):
        result = export(run, ["vtt"], run.parent / "e")
    assert "results.videos.csv not found" in caplog.text
    assert result.skipped == [] and result.no_face == []
    assert "blank.mp4" not in result.videos and len(result.videos) == 5


def test_a_summary_elsewhere(run):
    moved = run.parent / "elsewhere.csv"
    run.with_name("results.videos.csv").rename(moved)
    result = export(run, ["vtt"], run.parent / "e", summary=moved)
    assert result.no_face == ["blank.mp4"] and [s.name for s in result.skipped] == ["broken.mp4"]


def test_videos_not_found_are_linked_by_name(run, caplog):
    shutil.rmtree(run.parent.parent / "videos")
    with caplog.at_level(logging.WARNING, logger="s2d"):
        export(run, ["elan"], run.parent / "e")
    assert "not found under" in caplog.text and "--videos" in caplog.text
    (linked,) = read_eaf(run.parent / "e" / "a" / "x.eaf").get_linked_files()
    assert linked["MEDIA_URL"] == "file:///x.mp4" and linked["RELATIVE_MEDIA_URL"] == "./x.mp4"


def test_videos_found_under_the_given_folder(run, tmp_path):
    moved = tmp_path / "moved"
    (run.parent.parent / "videos").rename(moved)
    export(run, ["elan"], run.parent / "e", videos=[str(moved)])
    (linked,) = read_eaf(run.parent / "e" / "a" / "x.eaf").get_linked_files()
    assert (run.parent / "e" / "a" / linked["RELATIVE_MEDIA_URL"]).resolve() == (
        moved / "a" / "x.mp4"
    ).resolve()
