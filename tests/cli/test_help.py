"""Every command teaches: each option has help text, each command ends its help with
examples and takes -q / -v, and `s2d --help` shows the exit-status table."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from s2dcli.cli import cli
from s2dcli.errors import EXIT_CODES


def walk(group: click.Group, prefix: tuple[str, ...] = ()):
    """(path, command) for the group and every command below it, subgroups included."""
    yield prefix, group
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from walk(command, (*prefix, name))
        else:
            yield (*prefix, name), command


COMMANDS = list(walk(cli))
LEAVES = [(path, c) for path, c in COMMANDS if not isinstance(c, click.Group)]


def ids(items):
    return [" ".join(path) or "s2d" for path, _ in items]


def test_the_walk_finds_every_command():
    names = {" ".join(path) for path, _ in COMMANDS}
    for name in (
        "annotate",
        "train",
        "evaluate",
        "review",
        "benchmark",
        "models",
        "models list",
        "models pull",
        "models verify",
        "models import",
    ):
        assert name in names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=ids(COMMANDS))
def test_every_option_has_help_text(path, command):
    missing = [
        param.opts[0]
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and not (param.help or "").strip()
    ]
    assert not missing, f"s2d {' '.join(path)}: options without help text: {missing}"


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=ids(LEAVES))
def test_every_command_ends_its_help_with_examples_and_takes_q_and_v(path, command):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.output
    flags = {opt for param in command.params for opt in param.opts}
    assert {"-q", "--quiet", "-v", "--verbose"} <= flags, f"s2d {' '.join(path)}"
    assert "Errors only: no progress, no warnings." in result.output


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=ids(COMMANDS))
def test_help_shows_each_option_once(path, command):
    """A group applied twice would give a flag two meanings; Click would not complain."""
    opts = [opt for param in command.params for opt in param.opts]
    assert len(opts) == len(set(opts)), sorted(o for o in opts if opts.count(o) > 1)


def test_top_level_help_shows_the_exit_status_table():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "Exit status (every command):" in result.output
    for code, meaning in EXIT_CODES.items():
        assert f"  {code:<4} {meaning}\n" in result.output
    assert [int(c) for c in EXIT_CODES] == [0, 1, 2, 3, 130]


def test_shared_flags_mean_the_same_everywhere():
    """--device, --precision, --faces, --detect-every, --min-face, --model-config and --classes:
    one help text (and default) wherever a command has them; --device may add a note."""
    seen: dict[str, tuple[str, object, str]] = {}
    shared = {
        "--precision",
        "--faces",
        "--detect-every",
        "--min-face",
        "--model-config",
        "--classes",
        "--offline",
    }
    for path, command in LEAVES:
        for param in command.params:
            if not isinstance(param, click.Option) or param.opts[0] not in shared:
                continue
            flag = param.opts[0]
            here = (param.help or "", param.default, " ".join(path))
            first = seen.setdefault(flag, here)
            assert here[:2] == first[:2], f"{flag}: s2d {here[2]} differs from s2d {first[2]}"
    assert {"--precision", "--faces", "--classes"} <= set(seen)
    devices = [
        (param.help or "", param.default)
        for _, command in LEAVES
        for param in command.params
        if isinstance(param, click.Option) and param.opts[0] == "--device"
    ]
    assert len(devices) >= 4
    assert all(h.startswith("auto, cpu, cuda or cuda:N") and d == "auto" for h, d in devices)
