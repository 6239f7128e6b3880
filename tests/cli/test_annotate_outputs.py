"""`s2d annotate` never replaces results by accident: existing files stop a run before any work
(exit 2, each named), one run per output (a second one exits 2 naming the first's PID), and a
failed write is one line with exit status 3 after which `--resume` gives the same bytes as an
uninterrupted run. Real videos, the real CLI, the tiny golden weights."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from s2dcli.cli import cli
from s2dcli.errors import EXIT_WRITE_FAILED
from tests.cli.review_media import TINY
from tests.engine.videos import write_video

ROOT = Path(__file__).resolve().parents[2]
FINAL = ("r.csv", "r.videos.csv", "r.segments.csv")


@pytest.fixture(scope="module")
def weights() -> list[str]:
    return [*TINY, "--classes", "dfew", "--faces", "none", "--device", "cpu"]


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("videos")
    for i, seconds in enumerate((3, 4, 3)):
        write_video(root / f"v{i}.mp4", 25 * seconds, height=48, width=64, fps=25)
    return root


def annotate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["annotate", *args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def reference(videos, weights, tmp_path_factory) -> Path:
    """An uninterrupted run: the bytes every recovered run must end with."""
    out = tmp_path_factory.mktemp("reference") / "r.csv"
    code, output = annotate(str(videos), "-o", str(out), *weights, "-q")
    assert code == 0, output
    return out.parent


def same_results(folder: Path, reference: Path) -> None:
    for name in FINAL:
        assert (folder / name).read_bytes() == (reference / name).read_bytes(), name
    journal = (folder / "r.csv.journal").read_text(encoding="utf-8", errors="replace")
    assert journal.count("\n") == 1 + 3  # the header and each video once


def test_another_format_with_the_same_stem_is_refused(videos, weights, reference, tmp_path):
    code, output = annotate(str(videos / "v0.mp4"), "-o", str(tmp_path / "r.parquet"), *weights)
    assert code == 0, output
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, output = annotate(str(videos / "v1.mp4"), "-o", str(tmp_path / "r.csv"), *weights)
    assert code == 2
    assert str(tmp_path / "r.videos.csv") in output and str(tmp_path / "r.segments.csv") in output
    assert "--resume" in output and "--overwrite" in output and "Traceback" not in output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name in before} == before
    assert not (tmp_path / "r.csv").exists()


def test_an_existing_summary_elsewhere_is_refused(videos, weights, tmp_path):
    summary = tmp_path / "mine.csv"
    summary.write_text("my own notes\n")
    out = tmp_path / "new" / "r.csv"
    code, output = annotate(str(videos), "-o", str(out), "--summary", str(summary), *weights)
    assert code == 2 and str(summary) in output
    assert summary.read_text() == "my own notes\n" and not out.exists()


def test_existing_plots_are_refused_before_any_work(videos, weights, tmp_path):
    plots = tmp_path / "plots"
    plots.mkdir()
    (plots / "index.html").write_text("<p>a figure page I edited</p>")
    code, output = annotate(
        str(videos), "-o", str(tmp_path / "r.csv"), "--plots", str(plots), *weights
    )
    assert code == 2 and str(plots / "index.html") in output
    assert not (tmp_path / "r.csv.journal").exists()  # stopped before any video


def test_a_second_run_on_the_same_output_is_refused(videos, weights, tmp_path):
    out = tmp_path / "r.csv"
    first = subprocess.Popen(
        [sys.executable, "-m", "s2dcli", "annotate", str(videos), "-o", str(out), *weights],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = tmp_path / ".r.csv.lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip()):
        time.sleep(0.01)
    code, output = annotate(str(videos), "-o", str(out), *weights, "--overwrite")
    still_running = first.poll() is None
    _, err = first.communicate(timeout=120)
    assert still_running, "the first run ended before the second started: make it longer"
    assert code == 2, output
    assert "is being written by another run" in output and f"PID {first.pid}" in output
    assert "started " + time.strftime("%Y-%m-%d") in output
    assert first.returncode == 0, err
    journal = (tmp_path / "r.csv.journal").read_text(encoding="utf-8", errors="replace")
    assert journal.count("\n") == 1 + 3  # the header and each video once


class FailingOs:
    """`os` for `s2dcli.write.files`, whose `write` fails on its `call`-th use (1-based)."""

    def __init__(self, call: int, error: int) -> None:
        self.call, self.error, self.calls = call, error, 0

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)

    def write(self, fd: int, data: bytes) -> int:
        self.calls += 1
        if self.calls == self.call:
            raise OSError(self.error, os.strerror(self.error))
        return os.write(fd, data)


def fail_write(monkeypatch, kind: str, call: int, error: int) -> list[int]:
    """Inject `OSError(error)` into the `call`-th append (journal and live table) or the
    `call`-th whole-file CSV write (table, summary, segments); returns the call counter."""
    import s2dcli.write.csv_writer as csv_writer
    import s2dcli.write.files as files

    if kind == "append":
        failing = FailingOs(call, error)
        monkeypatch.setattr(files, "os", failing)
        return [0]
    calls = [0]
    real = csv_writer.replace_file

    def replace_file(path, write, **kwargs):
        calls[0] += 1
        if calls[0] == call:

            def write(tmp):
                raise OSError(error, os.strerror(error))

        return real(path, write, **kwargs)

    monkeypatch.setattr(csv_writer, "replace_file", replace_file)
    return calls


@pytest.mark.parametrize(
    ("kind", "call", "error", "file"),
    [
        ("append", 3, errno.ENOSPC, "r.csv.journal"),  # the second video's journal line
        ("append", 4, errno.EDQUOT, "r.csv"),  # the second video's rows
        ("replace", 3, errno.EROFS, "r.videos.csv"),  # the summary, after every video
    ],
    ids=["journal-disk-full", "live-table-quota", "summary-read-only"],
)
def test_a_failed_write_is_exit_3_and_resume_gives_the_same_bytes(
    videos, weights, reference, tmp_path, monkeypatch, kind, call, error, file
):
    out = tmp_path / "r.csv"
    with monkeypatch.context() as patch:
        fail_write(patch, kind, call, error)
        code, output = annotate(str(videos), "-o", str(out), *weights)
    assert code == EXIT_WRITE_FAILED, output
    lines = [line for line in output.splitlines() if line.startswith("Error:")]
    assert lines == [
        f"Error: Cannot write {tmp_path / file}: {os.strerror(error)}. Free space (or fix the "
        "folder), then rerun the same command with --resume: finished videos are kept."
    ]
    assert "Traceback" not in output
    code, output = annotate(str(videos), "-o", str(out), *weights, "--resume", "-q")
    assert code == 0, output
    same_results(tmp_path, reference)


def test_a_real_full_disk_then_resume(videos, weights, reference, tmp_path):
    """A tmpfs too small for the run (needs root to mount; CI runs as root)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        out = disk / "r.csv"
        code, output = annotate(str(videos), "-o", str(out), *weights)
        assert code == EXIT_WRITE_FAILED, output
        assert "No space left on device" in output and "--resume" in output
        assert "Traceback" not in output
        subprocess.run(["mount", "-o", "remount,size=4m", str(disk)], check=True)
        code, output = annotate(str(videos), "-o", str(out), *weights, "--resume", "-q")
        assert code == 0, output
        same_results(disk, reference)
        record = json.loads((disk / "r.csv.run.json").read_text())
        assert record["videos"]["total"] == 3
    finally:
        subprocess.run(["umount", str(disk)], check=False)
