"""`s2d report` and `s2d annotate --report` from the command line: what they write and say,
the refusal to replace a report (exit 2, before any work), --overwrite, --copy-media, -q,
videos that are not found. Real runs (see `tests.cli.report_media`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from s2dcli.cli import cli
from s2dcli.config import OutputOptions
from s2dcli.report.interactive import report_files
from s2dcli.write.plan import planned_files
from tests.cli.report_media import annotate, annotated_run, crafted_run


@pytest.fixture(scope="module")
def annotated(tmp_path_factory) -> Path:
    return annotated_run(tmp_path_factory.mktemp("annotated"))


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> Path:
    return crafted_run(tmp_path_factory.mktemp("crafted"))


def report(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["report", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_annotate_report_writes_the_index_and_one_data_file_per_video(annotated):
    folder = annotated / "report"
    written = sorted(p for p in folder.rglob("*") if p.is_file())
    assert written == sorted(report_files(folder, 4))
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "broken.mp4" in page and "damaged.mp4" in page


def test_report_then_refuses_to_replace_it_without_overwrite(annotated, tmp_path):
    out = tmp_path / "rep"
    code, output = report(str(annotated / "results.csv"), "-o", str(out))
    assert code == 0, output
    assert output == f"report of 4 videos -> {out / 'index.html'}\n"
    before = (out / "index.html").read_bytes()
    code, output = report(str(annotated / "results.csv"), "-o", str(out))
    assert code == 2
    assert output.startswith(
        f"Error: The folder {out} already holds a report:\n  {out / 'index.html'}\n"
    )
    assert "Use --overwrite to replace it" in output
    assert (out / "index.html").read_bytes() == before
    code, output = report(str(annotated / "results.csv"), "-o", str(out), "--overwrite", "-q")
    assert code == 0 and output == ""


def test_copy_media_makes_a_folder_that_can_move(crafted, tmp_path):
    out = tmp_path / "share"
    code, output = report(str(crafted / "results.csv"), "-o", str(out), "--copy-media")
    assert code == 0, output
    warning, done = output.splitlines()  # the crafted run has no summary file
    assert warning.startswith("WARNING: ") and "the summary is rebuilt from the clips" in warning
    assert done == f"report of 2 videos, 2 videos copied into media/ -> {out / 'index.html'}"
    moved = shutil.move(str(out), str(tmp_path / "elsewhere"))
    data = (Path(moved) / "videos" / "0.js").read_text(encoding="utf-8")
    assert '"src":"media/0.mp4"' in data and (Path(moved) / "media" / "0.mp4").is_file()


def test_videos_that_are_not_found_are_named(crafted, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "rep"
    code, output = report(str(crafted / "results.csv"), "-o", str(out), "--videos", str(empty))
    assert code == 0, output
    assert "2 videos not found, shown without their video: moving.mp4, legacy.avi" in output
    assert '"src":null' in (out / "videos" / "0.js").read_text(encoding="utf-8")


def test_not_a_results_file_is_exit_2(tmp_path):
    bad = tmp_path / "notes.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    code, output = report(str(bad), "-o", str(tmp_path / "rep"))
    assert code == 2 and "is not an `s2d annotate` results file" in output
    assert not (tmp_path / "rep").exists()


def test_annotate_plans_the_report_files_and_refuses_an_existing_report(annotated, tmp_path):
    outputs = OutputOptions(tmp_path / "r.csv", report=tmp_path / "rep")
    files = planned_files(outputs, ["a.mp4", "b.mp4"])
    assert files[-3:] == report_files(tmp_path / "rep", 2)
    code, output = annotate(
        str(annotated / "videos"), "-o", str(tmp_path / "new.csv"), "--report",
        str(annotated / "report"), "--faces", "none", "--device", "cpu",
    )  # fmt: skip
    assert code == 2, output
    assert str(annotated / "report" / "index.html") in output and "--overwrite" in output
    assert not (tmp_path / "new.csv").exists()


def test_report_is_a_command_of_s2d():
    result = CliRunner().invoke(cli, ["--help"])
    assert "report" in result.output
    result = CliRunner().invoke(cli, ["report", "--help"])
    assert result.exit_code == 0 and "--copy-media" in result.output
