"""A video with a damaged stretch keeps the clips of what decodes, with status `partial`.

Real H.264 with noise over a few packets at frame 43 (keyframes every 25 frames), read by the
pipeline with each decoder: PyAV resumes at frame 50, decord stops for good.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from engine.video.decord_source import decord_module
from s2dcli.clips import ClipConfig
from s2dcli.models import S2DConfig, load_landmarks, load_s2d
from s2dcli.pipeline import Classifier, FaceClipOptions, Pipeline, PipelineOptions
from tests.engine.videos import damage_copy, write_video

BACKENDS = [
    "pyav",
    pytest.param("decord", marks=pytest.mark.skipif(decord_module() is None, reason="no decord")),
]


@pytest.fixture(scope="module")
def classifier(golden_dir: Path) -> Classifier:
    config = S2DConfig.from_json(golden_dir / "tinyA_config.json")
    model = load_s2d(golden_dir / "tinyA_s2d.pth", config)
    return Classifier(
        model, load_landmarks(golden_dir / "tinyA_landmark.pth.tar"), torch.device("cpu")
    )


@pytest.fixture(scope="module")
def damaged(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("damaged")
    made = write_video(folder / "good.mp4", 150, height=96, width=128, gop=25)
    return damage_copy(made.path, folder / "damaged.mp4", 43)


def run(classifier: Classifier, path: Path, backend: str):
    options = FaceClipOptions(
        clips=ClipConfig(num_frames=classifier.num_frames, min_seconds=0.0),
        crop_size=classifier.size,
        whole_frame=True,
        backend=backend,  # type: ignore[arg-type]  # a BackendChoice
    )
    pipeline = Pipeline(classifier, None, options, PipelineOptions(batch_size=4, workers=1))
    (result,) = pipeline.run([path])
    return result


@pytest.mark.parametrize("backend", BACKENDS)
def test_damaged_video_is_partial_and_keeps_its_clips(classifier, damaged, backend, caplog):
    with caplog.at_level(logging.DEBUG, logger="s2d"):
        result = run(classifier, damaged, backend)
    assert result.status == "partial"
    assert result.scan is not None and result.clips
    error = result.error
    assert error is not None
    assert "Check failed" not in error and "avcodec" not in error and "Errno" not in error
    ends = [c.spec.end_frame for c in result.clips]
    if backend == "pyav":
        assert error == (
            "decoding failed at frame 43 (about 1.7 s) of about 150: corrupt data; "
            "resumed at frame 50 (about 2.0 s); clips before and after it kept"
        )
        assert result.scan.frames == 143
        assert max(ends) == 149  # clips after the damage too
        assert "Invalid data" in caplog.text  # FFmpeg's words: debug log only
    else:  # decord stops for good; where depends on how far its thread had decoded
        assert error.startswith("decoding failed at frame ")
        assert error.endswith(" of about 150: corrupt data; clips before it kept")
        assert max(ends) < 43
        assert "Check failed" in caplog.text  # decord's words: debug log only


def test_a_video_that_decodes_whole_is_not_partial(classifier, tmp_path):
    made = write_video(tmp_path / "good.mp4", 75, height=48, width=96, gop=25)
    result = run(classifier, made.path, "pyav")
    assert (result.status, result.error) == ("ok", None)
