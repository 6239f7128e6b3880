"""Files replaced in one step: written beside the target, then renamed over it.

A reader (or a crash) sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, data: bytes | str, *, sync: bool = False) -> Path:
    """Write `data` (text as UTF-8) to `path` atomically; `sync` also flushes it to disk
    before the rename (what a journal needs to survive power loss). Returns `path`."""
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
    finally:
        tmp.unlink(missing_ok=True)
    return path
