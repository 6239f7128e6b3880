"""The files a run plans, and the rule that none of them is replaced without --overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest

from s2dcli.config import OutputOptions
from s2dcli.errors import InputError, OutputsExistError
from s2dcli.write.journal import Journal, journal_files
from s2dcli.write.plan import check_outputs, planned_files, refuse_existing

VIDEOS = ["a.mp4", "sub dir/b.mp4"]


def outputs(tmp_path: Path, **extra: object) -> OutputOptions:
    return OutputOptions(tmp_path / "out" / "r.csv", **extra)  # type: ignore[arg-type]


def test_every_kind_of_output_is_planned(tmp_path):
    opts = outputs(
        tmp_path,
        summary=tmp_path / "s.csv",
        plots=tmp_path / "plots",
        overlay=tmp_path / "overlay",
    )
    files = planned_files(opts, VIDEOS)
    out = tmp_path / "out"
    for expected in (
        out / "r.csv",
        out / "r.csv.journal",
        out / "r.csv.run.json",
        tmp_path / "s.csv",
        out / "r.segments.csv",
        tmp_path / "plots" / "label_distribution.png",
        tmp_path / "plots" / "index.html",
        tmp_path / "overlay" / "a.mp4.overlay.mp4",
        tmp_path / "overlay" / "sub dir" / "b.mp4.overlay.mp4",
    ):
        assert expected in files
    timelines = [p for p in files if p.parent == tmp_path / "plots" and p.suffix == ".png"]
    assert len(timelines) == len(VIDEOS) + 1  # one per video and the label chart
    assert len(set(files)) == len(files)


@pytest.mark.parametrize(
    "existing", ["r.csv", "r.csv.journal", "r.csv.run.json", "r.videos.csv", "r.segments.csv"]
)
def test_any_existing_file_of_the_run_stops_it_and_is_named(tmp_path, existing):
    opts = outputs(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / existing).write_text("earlier results")
    with pytest.raises(OutputsExistError) as caught:
        refuse_existing(opts, planned_files(opts, VIDEOS))
    message = str(caught.value)
    assert str(tmp_path / "out" / existing) in message
    assert "--resume" in message and "--overwrite" in message
    assert caught.value.exit_code == 2


def test_plots_overlays_and_summary_elsewhere_are_checked_too(tmp_path):
    opts = outputs(
        tmp_path, summary=tmp_path / "s.csv", plots=tmp_path / "p", overlay=tmp_path / "o"
    )
    (tmp_path / "p").mkdir()
    (tmp_path / "o" / "sub dir").mkdir(parents=True)
    taken = [tmp_path / "s.csv", tmp_path / "p" / "index.html"]
    taken.append(tmp_path / "o" / "sub dir" / "b.mp4.overlay.mp4")
    for path in taken:
        path.write_text("x")
    with pytest.raises(OutputsExistError) as caught:
        refuse_existing(opts, planned_files(opts, VIDEOS))
    assert str(caught.value).startswith("3 files this run would write already exist")
    for path in taken:
        assert str(path) in str(caught.value)


def test_overwrite_allows_and_a_clean_folder_passes(tmp_path):
    opts = outputs(tmp_path)
    refuse_existing(opts, planned_files(opts, VIDEOS))  # nothing there yet
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "r.segments.csv").write_text("x")
    refuse_existing(outputs(tmp_path, overwrite=True), planned_files(opts, VIDEOS))


def test_formats_sharing_a_stem_never_share_siblings_silently(tmp_path):
    """`r.parquet` wrote r.videos.csv and r.segments.csv: a new `r.csv` run must not take them."""
    out = tmp_path / "out"
    out.mkdir()
    for name in ("r.parquet", "r.parquet.journal", "r.videos.csv", "r.segments.csv"):
        (out / name).write_text("earlier")
    opts = outputs(tmp_path)
    with pytest.raises(OutputsExistError) as caught:
        refuse_existing(opts, planned_files(opts, VIDEOS))
    assert "r.videos.csv" in str(caught.value) and "r.segments.csv" in str(caught.value)
    assert "r.parquet" not in str(caught.value)


def test_resume_accepts_only_the_files_its_journal_lists(tmp_path):
    opts = outputs(tmp_path, resume=True)
    files = planned_files(opts, VIDEOS)
    journal = Journal(opts.journal_path, {"weights": "w"}, [str(p.absolute()) for p in files])
    journal.start(resume=False)
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text("ours")
    refuse_existing(opts, files)  # all listed: this run's own
    stranger = tmp_path / "elsewhere.csv"
    stranger.write_text("someone else's")
    moved = OutputOptions(opts.output, summary=stranger, resume=True)
    with pytest.raises(OutputsExistError) as caught:
        refuse_existing(moved, planned_files(moved, VIDEOS))
    assert str(stranger) in str(caught.value) and "not this run's files" in str(caught.value)


def test_journal_header_lists_the_files(tmp_path):
    path = tmp_path / "r.csv.journal"
    Journal(path, {"w": 1}, ["/x/r.csv", "/x/r.videos.csv"]).start(resume=False)
    assert journal_files(path) == ["/x/r.csv", "/x/r.videos.csv"]
    Journal(tmp_path / "old.journal", {"w": 1}).start(resume=False)
    assert journal_files(tmp_path / "old.journal") is None  # from before files were listed


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"resume": True, "overwrite": True}, "contradict"),
        ({"summary": "SELF"}, "would overwrite another output"),
    ],
)
def test_contradicting_output_options_are_refused(tmp_path, extra, message):
    if extra.get("summary") == "SELF":
        extra = {"summary": tmp_path / "out" / "r.csv"}
    with pytest.raises(InputError, match=message):
        check_outputs(outputs(tmp_path, **extra))


def test_resume_without_a_journal_is_refused(tmp_path):
    opts = outputs(tmp_path, resume=True)
    opts.output.parent.mkdir()
    opts.output.write_text("a table without its journal")
    with pytest.raises(InputError, match="no journal"):
        check_outputs(opts)
