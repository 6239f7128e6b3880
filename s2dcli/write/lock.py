"""One run per output: an exclusive OS lock held for the whole run.

The lock is `fcntl.flock` on a small file beside the output (`.results.csv.lock`), holding
the owner's PID, host and start time. The kernel releases it when the process ends however
it ends (SIGKILL included), so a lock is never stale; the file itself may stay behind and
means nothing on its own. Where `fcntl` does not exist (Windows) runs are not locked.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from s2dcli.errors import OutputLockedError
from s2dcli.write.files import writing


class OutputLock:
    """An exclusive lock on `path` (see the module docstring); a context manager.

    Args:
        path: the lock file.
        output: the output it protects, for messages.
    """

    def __init__(self, path: Path, output: Path) -> None:
        self.path = Path(path)
        self.output = Path(output)
        self._fd: int | None = None

    def acquire(self) -> OutputLock:
        """Take the lock at once or raise `OutputLockedError` naming the holder."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return self
        with writing(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise OutputLockedError(
                f"{self.output} is being written by another run ({holder}). Wait for it to "
                "finish (or stop it), or choose another -o."
            ) from None
        stamp = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        }
        with writing(self.path):
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(stamp) + "\n").encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Let go (closing the file releases the lock); safe to call twice."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict) or "pid" not in data:
        return "its PID is not recorded yet"
    where = f" on {data['host']}" if data.get("host") else ""
    return f"PID {data['pid']}{where}, started {data.get('started', 'at an unknown time')}"
