"""`create_detector`: specs, the offline fallback with its one warning, pack lookup, errors.

No test touches the network: InsightFace's download function is replaced wherever a download
could start, and INSIGHTFACE_HOME points at an empty temporary folder.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from s2dcli.errors import DeviceError, InputError, WeightsNotAvailableError
from s2dcli.faces import (
    SPECS,
    FaceDetector,
    MtcnnDetector,
    ScrfdDetector,
    WholeFrameDetector,
    create_detector,
)
from s2dcli.faces.onnx_providers import providers_for
from tests.faces_media import write_fake_scrfd


class Records(logging.Handler):
    """Collects s2d.faces records whatever the propagation settings of other tests."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def warnings(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= logging.WARNING]


@pytest.fixture
def logs():
    handler = Records()
    logger = logging.getLogger("s2d.faces")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)


@dataclass
class Home:
    path: Path
    download_calls: list[tuple[str, str, str]]


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty InsightFace home, and no download allowed to reach the network."""
    monkeypatch.setenv("INSIGHTFACE_HOME", str(tmp_path))
    calls: list[tuple[str, str, str]] = []

    def offline(sub_dir, name, root="~/.insightface"):
        calls.append((sub_dir, name, root))
        raise ConnectionError("no network in tests")

    import insightface.utils.storage as storage

    monkeypatch.setattr(storage, "ensure_available", offline)
    return Home(tmp_path, calls)


def test_none_is_the_whole_frame():
    det = create_detector("none")
    assert isinstance(det, WholeFrameDetector) and isinstance(det, FaceDetector)
    np.testing.assert_array_equal(
        det.detect(np.zeros((48, 64, 3), np.uint8)).boxes, [[8, 0, 56, 48]]
    )


def test_auto_falls_back_to_mtcnn_with_one_warning(home, logs):
    det = create_detector("auto", threads=1)
    assert isinstance(det, MtcnnDetector)
    warnings = logs.warnings()
    assert len(warnings) == 1
    message = warnings[0]
    assert "MTCNN" in message and "buffalo_l" in message
    assert (
        "https://github.com/deepinsight/insightface/releases/download/model-zoo/buffalo_l.zip"
        in message
    )
    assert str(home.path / "models" / "buffalo_l") in message
    assert home.download_calls == []  # auto never downloads


def test_auto_root_argument_wins_over_environment(home, tmp_path_factory, logs):
    other = tmp_path_factory.mktemp("other_home")
    create_detector("auto", root=other, threads=1)
    assert str(other / "models" / "buffalo_l") in logs.warnings()[0]


def test_auto_uses_scrfd_when_the_pack_is_installed(home, logs):
    pack = home.path / "models" / "buffalo_l"
    write_fake_scrfd(pack / "det_10g.onnx")
    (pack / "w600k_r50.onnx").write_bytes(b"recognition model, never opened")
    det = create_detector("auto", threads=1)
    assert isinstance(det, ScrfdDetector)
    assert det.model_path == pack / "det_10g.onnx"
    assert logs.warnings() == []


def test_auto_with_a_broken_pack_falls_back_and_says_why(home, logs):
    (home.path / "models" / "buffalo_l").mkdir(parents=True)
    assert isinstance(create_detector("auto", threads=1), MtcnnDetector)
    [message] = logs.warnings()
    assert "has no face detector" in message


def test_named_pack_missing_without_download(home):
    with pytest.raises(
        WeightsNotAvailableError,
        match=r"'buffalo_s' is not installed.*"
        r"buffalo_s\.zip",
    ):
        create_detector("buffalo_s", download=False)


def test_scrfd_download_failure_is_a_clear_error(home):
    with pytest.raises(WeightsNotAvailableError) as info:
        create_detector("scrfd")
    message = str(info.value)
    assert "Could not download the InsightFace pack 'buffalo_l'" in message
    assert "no network in tests" in message and "--faces mtcnn" in message
    assert home.download_calls == [("models", "buffalo_l", str(home.path))]


def test_scrfd_downloaded_by_insightface_is_used(home, monkeypatch):
    import insightface.utils.storage as storage

    def fake_download(sub_dir, name, root="~/.insightface"):
        write_fake_scrfd(home.path / sub_dir / name / "det_10g.onnx")
        return str(home.path / sub_dir / name)

    monkeypatch.setattr(storage, "ensure_available", fake_download)
    det = create_detector("scrfd", threads=1)
    assert isinstance(det, ScrfdDetector) and det.model_path.parent.name == "buffalo_l"


def test_onnx_path_pack_folder_nested_pack_and_custom_pack(home):
    path = write_fake_scrfd(home.path / "somewhere" / "scrfd_10g_bnkps.onnx", batched=False)
    assert isinstance(create_detector(str(path), threads=1), ScrfdDetector)
    assert create_detector(str(path.parent), threads=1).model_path == path
    # antelopev2.zip unzips into models/antelopev2/antelopev2/
    nested = write_fake_scrfd(home.path / "models" / "antelopev2" / "antelopev2" / "scrfd_10g.onnx")
    assert create_detector("antelopev2", threads=1).model_path == nested
    custom = write_fake_scrfd(home.path / "models" / "my_pack" / "model.onnx")
    assert create_detector("my_pack", threads=1).model_path == custom


def test_missing_onnx_path_is_named(home):
    missing = home.path / "nope" / "det_10g.onnx"
    with pytest.raises(
        InputError,
        match=r"Face detector file '.*nope/det_10g\.onnx' does not "
        r"exist.*auto, scrfd",
    ):
        create_detector(str(missing))


def test_unknown_spec_lists_the_valid_ones(home):
    with pytest.raises(InputError) as info:
        create_detector("retinaface")
    message = str(info.value)
    assert "Unknown face detector 'retinaface'" in message
    for spec in ("auto", "scrfd", "buffalo_l", "mtcnn", "none"):
        assert spec in message
    assert set(SPECS) >= {"auto", "scrfd", "buffalo_l", "mtcnn", "none"}


def test_options_reach_the_detector():
    det = create_detector("MTCNN", min_face=33, threshold=0.95, threads=1)
    assert det.min_face == 33 and det.threshold == 0.95
    with pytest.raises(InputError, match="Invalid min_face -1"):
        create_detector("none", min_face=-1)
    with pytest.raises(InputError, match="Invalid face threshold 50"):
        create_detector("mtcnn", threshold=50)


def test_devices():
    assert providers_for("cpu", ["CUDAExecutionProvider", "CPUExecutionProvider"]) == [
        "CPUExecutionProvider"
    ]
    assert providers_for("auto", ["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    assert providers_for("cuda:1", ["CUDAExecutionProvider", "CPUExecutionProvider"]) == [
        ("CUDAExecutionProvider", {"device_id": 1}),
        "CPUExecutionProvider",
    ]
    with pytest.raises(DeviceError, match=r"no CUDA provider.*onnxruntime-gpu"):
        providers_for("cuda", ["CPUExecutionProvider"])
    with pytest.raises(DeviceError, match="Unknown device 'tpu'"):
        create_detector("mtcnn", device="tpu")


def test_no_torch_import():
    code = (
        "import sys, numpy as np\n"
        "from s2dcli.faces import create_detector\n"
        "create_detector('mtcnn', threads=1).detect(np.zeros((64, 64, 3), np.uint8))\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
