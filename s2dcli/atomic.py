"""Files replaced in one step: written beside the target, then renamed over it.

A reader (or a crash) sees the old file or the new one, never half of one. Temporary files are
created with mode 0o666 and the process umask applied by the kernel, like any file `open()`
creates, so the renamed output has the user's usual permissions (0644 under umask 022).
`tempfile.mkstemp` is not used for outputs: it creates 0600 files, which would leave an output
unreadable to the rest of a lab's group.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from s2dcli.errors import OutputWriteError

# Read and write for everyone, before the umask (what `open(path, "w")` asks for).
FILE_MODE = 0o666


def write_atomic(path: Path, data: bytes | str, *, sync: bool = False) -> Path:
    """Write `data` (text as UTF-8) to `path` atomically; `sync` also flushes it to disk
    before the rename (what a journal needs to survive power loss). Returns `path`.

    Raises:
        OutputWriteError: the write failed (disk full, read-only, missing folder).
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(payload)
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputWriteError(path, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return path


def create_temp_beside(path: Path, suffix: str = ".part") -> Path:
    """Create an empty, uniquely named file next to `path` for a writer to fill and rename.

    The name is `.<stem>.<16 hex digits><suffix>` in `path`'s folder (same file system, so
    `os.replace` is atomic), created exclusively (two writers never share one) with
    `FILE_MODE` less the umask. The caller removes it if the write fails.

    Raises:
        OSError: the folder is missing or not writable.
    """
    path = Path(path)
    while True:
        tmp = path.with_name(f".{path.stem}.{secrets.token_hex(8)}{suffix}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:  # pragma: no cover - a 64-bit random name taken
            continue
        os.close(fd)
        return tmp


__all__ = ["FILE_MODE", "create_temp_beside", "write_atomic"]
