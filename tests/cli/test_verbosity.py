"""-q and -v mean the same wherever they are given (`s2d -q CMD` and `s2d CMD -q`), for every
command: -q prints errors only (no progress, no summary lines, no warnings), -v adds debug
messages; and -q lasts only as long as its command (the next command in the same process
warns again).

Real runs for annotate and the commands reading its results; train, evaluate and benchmark
are checked in `test_exit_codes_train.py` on their real runs.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import click
import pytest

from s2dcli.cli import cli
from tests.cli.exit_checks import ANNOTATE, assert_exit, run, write_videos
from tests.cli.test_help import LEAVES, ids

NO_CLASSES = ANNOTATE[: ANNOTATE.index("--classes")] + ANNOTATE[ANNOTATE.index("--faces") :]
CLASS_WARNING = "The weights do not name their classes"


def positions(path: tuple[str, ...], flag: str) -> list[list[str]]:
    """The flag on the group, and after the (sub)command."""
    return [[flag, *path], [*path, flag]]


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=ids(LEAVES))
def test_q_and_v_set_the_same_level_in_either_position(path, command, tmp_path, monkeypatch):
    """Parsing stops at the missing arguments (benchmark: a bad --seconds), after -q / -v
    took effect; `models list` / `verify` run, harmlessly, on an empty cache."""
    monkeypatch.setenv("S2D_HOME", str(tmp_path))
    root = logging.getLogger("s2d")
    stop = ["--seconds", "0"] if path == ("benchmark",) else []
    for args in positions(path, "-v"):
        assert run(*args, *stop).exit_code in (0, 2), args
        assert root.level == logging.DEBUG, args
    for args in positions(path, "-q"):
        run(*args, *stop)
        assert root.level == logging.ERROR, args
    run(*path, *stop)
    assert root.level == logging.WARNING


def test_q_silences_python_warnings_only_while_its_command_runs():
    @click.command()
    def noisy() -> None:
        warnings.warn("careful", UserWarning, stacklevel=1)

    from s2dcli.options import verbosity

    cli.add_command(verbosity(noisy), "noisy-test")
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            assert_exit(run("-q", "noisy-test"), 0)
            assert_exit(run("noisy-test", "-q"), 0)
            assert not seen
            assert_exit(run("noisy-test"), 0)
            assert [str(w.message) for w in seen] == ["careful"]
    finally:
        cli.commands.pop("noisy-test")


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    return write_videos(tmp_path_factory.mktemp("quiet-videos"))


@pytest.fixture(scope="module")
def results(videos: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("quiet-run") / "r.csv"
    assert_exit(run("annotate", videos, "-o", out, *ANNOTATE, "-q"), 0)
    return out


def test_annotate_quiet_means_nothing_on_stderr(videos, tmp_path):
    loud = run("annotate", videos, "-o", tmp_path / "loud.csv", *NO_CLASSES)
    assert_exit(loud, 0)
    assert CLASS_WARNING in loud.stderr and "2 videos, 2 clips, 0 failed" in loud.stderr
    for i, args in enumerate(positions(("annotate",), "-q")):
        out = tmp_path / f"q{i}.csv"
        result = run(*args, videos, "-o", out, *NO_CLASSES)
        assert_exit(result, 0)
        assert result.stderr == "" and result.stdout == "", args
        assert out.read_bytes() == (tmp_path / "loud.csv").read_bytes()


def test_annotate_quiet_still_shows_errors(tmp_path):
    for args in positions(("annotate",), "-q"):
        result = run(*args, tmp_path / "nowhere", "-o", tmp_path / "r.csv")
        assert_exit(result, 2, "nowhere")
        assert result.stderr.startswith("Error:")


@pytest.mark.parametrize(
    ("command", "extra", "loud"),
    [
        ("review", ["--budget", "2"], "Next: label the clips"),
        ("report", [], ""),
        ("export", ["-f", "vtt"], ""),
    ],
)
def test_commands_reading_results_are_quiet_in_either_position(
    results, videos, tmp_path, command, extra, loud
):
    normal = run(command, results, "-o", tmp_path / "normal", "--videos", videos, *extra)
    assert_exit(normal, 0)
    assert loud in normal.stderr
    for i, args in enumerate(positions((command,), "-q")):
        result = run(*args, results, "-o", tmp_path / f"q{i}", "--videos", videos, *extra)
        assert_exit(result, 0)
        assert result.stderr == "", (args, result.stderr)


def test_models_list_is_quiet_in_either_position(tmp_path, monkeypatch):
    monkeypatch.setenv("S2D_HOME", str(tmp_path))
    for args in positions(("models", "list"), "-q"):
        result = run(*args)
        assert_exit(result, 0)
        assert result.stderr == "" and "dfew-fold1" in result.stdout
