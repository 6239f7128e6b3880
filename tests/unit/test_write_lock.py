"""One run per output: the OS lock, held across processes, released by the kernel on SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from s2dcli.errors import OutputLockedError
from s2dcli.write.lock import OutputLock

HOLD = """
import sys, time
from pathlib import Path
from s2dcli.write.lock import OutputLock
lock = OutputLock(Path(sys.argv[1]), Path(sys.argv[2])).acquire()
print("locked", flush=True)
time.sleep(60)
"""


def holder(tmp_path: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / ".r.csv.lock"), str(tmp_path / "r.csv")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_run_is_refused_with_the_first_ones_pid_and_start(tmp_path):
    proc = holder(tmp_path)
    try:
        with pytest.raises(OutputLockedError) as caught:
            OutputLock(tmp_path / ".r.csv.lock", tmp_path / "r.csv").acquire()
        message = str(caught.value)
        assert f"PID {proc.pid}" in message and "started " + time.strftime("%Y-%m-%d") in message
        assert str(tmp_path / "r.csv") in message and caught.value.exit_code == 2
    finally:
        proc.kill()
        proc.wait()


def test_sigkill_never_leaves_a_stale_lock(tmp_path):
    proc = holder(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (tmp_path / ".r.csv.lock").exists()  # the file stays; the lock does not
    with OutputLock(tmp_path / ".r.csv.lock", tmp_path / "r.csv") as lock:
        assert lock.path.read_text().startswith('{"pid": ' + str(os.getpid()))


def test_release_lets_the_next_run_in(tmp_path):
    first = OutputLock(tmp_path / ".r.csv.lock", tmp_path / "r.csv").acquire()
    first.release()
    first.release()  # twice is fine
    OutputLock(tmp_path / ".r.csv.lock", tmp_path / "r.csv").acquire().release()
