"""What the exit-status and verbosity tests share: running `s2d` in-process, checking that a
failure is one clean line, and a full disk under one folder.

`disk_full(monkeypatch, folder)` makes every write under `folder` fail with ENOSPC, as a full
disk does: files opened for writing (`open`, `io.open`, hence `Path.write_*`) and raw
`os.write` calls on descriptors of files there. Everything else writes as usual, so the
command under test runs its real code up to its first write.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
from pathlib import Path

from click.testing import CliRunner, Result

from s2dcli.cli import cli
from tests.cli.review_media import TINY, face_video

# annotate on face crops with the tiny golden weights, on the CPU
ANNOTATE = [*TINY, "--classes", "dfew", "--faces", "none", "--device", "cpu"]


def write_videos(root: Path, count: int = 2) -> Path:
    """`count` two-second face-crop videos v0.mp4, v1.mp4, ... in `root`."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        face_video(root / f"v{i}.mp4", bool(i % 2), i, seconds=2.0)
    return root


def run(*args: object) -> Result:
    """`s2d ARGS...` in this process; stdout and stderr kept apart."""
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_exit(result: Result, code: int, *needles: str) -> None:
    """The exit status is `code`, no traceback is shown, and a failure says `Error:` once
    (with each needle somewhere in the output)."""
    output = result.output
    assert result.exit_code == code, f"exit {result.exit_code}, wanted {code}:\n{output}"
    assert "Traceback" not in output, output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {result.exception!r}:\n{output}")
    if code == 2:
        assert output.count("Error:") == 1, output
    for needle in needles:
        assert needle in output, f"{needle!r} not in:\n{output}"


def _enospc(path: object = None) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), *([str(path)] if path else []))


def disk_full(monkeypatch, folder: Path) -> None:
    """Every write under `folder` fails with ENOSPC from now on (see the module docstring)."""
    root = str(Path(folder).resolve())

    def under(path: str) -> bool:
        return path == root or path.startswith(root + os.sep)

    real_open, real_write = builtins.open, os.write

    def fake_open(file, mode="r", *args, **kwargs):
        if (
            not isinstance(file, int)
            and any(c in mode for c in "wax+")
            and under(os.path.abspath(os.fspath(file)))
        ):
            raise _enospc(file)
        return real_open(file, mode, *args, **kwargs)

    def fake_write(fd: int, data) -> int:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if under(target):
            raise _enospc(target)
        return real_write(fd, data)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)
    monkeypatch.setattr(os, "write", fake_write)


def interrupt(monkeypatch, target: object, name: str) -> None:
    """Ctrl-C the moment `target.name` is called."""

    def press_ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(target, name, press_ctrl_c)
