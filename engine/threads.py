"""CPU threading for a process that runs the engine: idle OpenMP threads sleep, not spin.

torch's CPU kernels run on GNU OpenMP threads, which by default spin for a while when they wait
at the end of each parallel operation. The engine runs decoding and face detection in other
threads beside the model, and shared machines run other processes: a spinning thread then holds
a core that the thread it waits for needs, and every small operation pays for it (the README's
Performance section has the measurement). `OMP_WAIT_POLICY=PASSIVE` makes waiting threads
sleep at once, which costs each parallel operation a wake-up where it cost nothing on an idle
machine.

OpenMP reads the variable once, when torch is first imported, so `prefer_passive_openmp` must
run before that (the CLI's group callback runs before any command imports torch).
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

WAIT_POLICY = "OMP_WAIT_POLICY"


def prefer_passive_openmp(environ: MutableMapping[str, str] | None = None) -> bool:
    """Set `OMP_WAIT_POLICY=PASSIVE` unless it is set already, or torch is loaded already (too
    late: nothing changes). True if the variable now says PASSIVE."""
    env = os.environ if environ is None else environ
    if "torch" not in sys.modules:
        env.setdefault(WAIT_POLICY, "PASSIVE")
    return env.get(WAIT_POLICY, "").strip().upper() == "PASSIVE"


def openmp_wait_policy() -> str:
    """The wait policy this process asked OpenMP for: `PASSIVE`, `ACTIVE` or `default`."""
    return os.environ.get(WAIT_POLICY, "").strip().upper() or "default"
