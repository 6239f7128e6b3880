"""Shared fixtures: paths to the golden data copied from the authors' release."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

# Waiting OpenMP threads sleep instead of spinning (as the CLI sets it; engine.threads): on a
# busy 2-core machine spinning made the tiny model's steps 15-30x slower. Before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

GOLDEN = Path(__file__).parent / "data" / "golden"

# The fake hub and its `server` / `home` fixtures, for the weights download and CLI tests.
pytest_plugins = ["tests.weights_server"]


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    return GOLDEN


@pytest.fixture(autouse=True)
def _restore_rng_state():
    """Tests may seed or draw from the global RNGs; leave them as they were."""
    import numpy as np

    py_state, np_state = random.getstate(), np.random.get_state()
    torch_state = None
    try:
        import torch

        torch_state = torch.random.get_rng_state()
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    yield
    random.setstate(py_state)
    np.random.set_state(np_state)
    if torch_state is not None:
        import torch

        torch.random.set_rng_state(torch_state)
