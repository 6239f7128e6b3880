"""`engine.threads`: OMP_WAIT_POLICY=PASSIVE by default, never over the user's choice, and only
where it still takes effect (before torch is imported)."""

from __future__ import annotations

import os
import subprocess
import sys

from engine.threads import openmp_wait_policy, prefer_passive_openmp


def _run(code: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | env
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environ
    ).stdout.strip()


def test_sets_passive_before_torch_is_imported():
    code = (
        "import os; from engine.threads import prefer_passive_openmp\n"
        "print(prefer_passive_openmp(), os.environ.get('OMP_WAIT_POLICY'))"
    )
    assert _run(code) == "True PASSIVE"


def test_keeps_the_users_choice():
    env = {"OMP_WAIT_POLICY": "active"}
    assert prefer_passive_openmp(env) is False
    assert env == {"OMP_WAIT_POLICY": "active"}
    code = (
        "from engine.threads import openmp_wait_policy as p, prefer_passive_openmp as s\n"
        "print(s(), p())"
    )
    assert _run(code, OMP_WAIT_POLICY="active") == "False ACTIVE"


def test_changes_nothing_once_torch_is_loaded():
    import torch  # noqa: F401  (loaded by the test session anyway)

    env: dict[str, str] = {}
    assert prefer_passive_openmp(env) is False
    assert env == {}
    assert prefer_passive_openmp({"OMP_WAIT_POLICY": "PASSIVE"}) is True


def test_wait_policy_names():
    assert openmp_wait_policy() in ("PASSIVE", "ACTIVE", "default")
