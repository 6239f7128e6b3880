"""Detector sessions never spin idle threads (they would hold cores the engine's other threads
need), whatever the thread count."""

from __future__ import annotations

import pytest

from s2dcli.faces.mtcnn import find_model_dir
from s2dcli.faces.onnx_providers import SPINNING_KEY, open_session


@pytest.mark.parametrize("threads", [None, 1, 2])
def test_sessions_do_not_spin(threads):
    session = open_session(find_model_dir() / "pnet.onnx", "cpu", threads)
    assert session.get_session_options().get_session_config_entry(SPINNING_KEY) == "0"
