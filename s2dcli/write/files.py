"""Writing a file so that a crash or a full disk never leaves half of it, and so that every
failed write is one `OutputWriteError` naming the file (exit status 3 in the CLI).

New files get the user's umask like any file a program creates; a replaced file is written
beside its target and renamed over it, so a reader sees the old bytes or the new ones.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from s2dcli.errors import OutputWriteError


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn any `OSError` raised inside into an `OutputWriteError` for `path`."""
    try:
        yield
    except OutputWriteError:
        raise
    except OSError as exc:
        raise OutputWriteError(path, exc) from exc


def replace_file(path: Path, write: Callable[[Path], None], *, sync: bool = True) -> None:
    """Write `path` in one step: `write(tmp)` fills a temporary file beside it, which is
    synced (with `sync`) and renamed over `path`. Raises `OutputWriteError`."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with writing(path):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write(tmp)
            if sync:
                with open(tmp, "rb+") as f:
                    os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


def replace_bytes(path: Path, data: bytes, *, sync: bool = True) -> None:
    """`replace_file` with the whole content at hand."""
    replace_file(path, lambda tmp: _write_all(tmp, data), sync=sync)


def _write_all(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def append_bytes(path: Path, data: bytes, *, sync: bool = False) -> None:
    """Append with one `write` call (a killed process leaves whole rows or none)."""
    if not data:
        return
    with writing(path):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            written = os.write(fd, data)
            if written != len(data):  # a short write: the disk filled up
                raise OSError(28, os.strerror(28))
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
