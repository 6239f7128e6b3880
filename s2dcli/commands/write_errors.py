"""A failed write under a command's output folder is exit status 3, wherever it happened.

Most writers raise `OutputWriteError` themselves (`s2dcli.write.files`, `s2dcli.atomic`); a
few (JPEG strips, matplotlib figures, a folder created by a library) raise a plain `OSError`.
`output_errors(folder)` turns those into an `OutputWriteError` when the file they name is
inside `folder`, so a full disk is one `Error:` line and exit 3, never a traceback; any other
`OSError` (an unreadable input, say) passes through unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from s2dcli.errors import OutputWriteError


def _inside(path: str, folder: Path) -> bool:
    root = os.path.abspath(folder)
    target = os.path.abspath(path)
    return target == root or target.startswith(root + os.sep)


@contextmanager
def output_errors(*folders: Path | None) -> Iterator[None]:
    """Within: an `OSError` on a file in one of `folders` is an `OutputWriteError`."""
    try:
        yield
    except OSError as exc:
        name = exc.filename
        if isinstance(name, (str, os.PathLike)) and any(
            folder is not None and _inside(os.fspath(name), folder) for folder in folders
        ):
            raise OutputWriteError(os.fspath(name), exc) from exc
        raise


__all__ = ["output_errors"]
