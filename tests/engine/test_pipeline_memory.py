"""What the pipeline keeps while it reads a video: nothing that grows with the video's length.

Counted, not timed: live `CutClip`s (each holds a clip's frames) while the model runs, and the
arrays a finished `VideoResult` holds (its tracks go to overlays and may be kept all run long).
"""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path

import numpy as np
import pytest
import torch

from s2dcli.clips import ClipConfig, CutClip
from s2dcli.faces import create_detector
from s2dcli.models import S2DConfig, load_landmarks, load_s2d
from s2dcli.pipeline import (
    Classifier,
    DetectorPool,
    FaceClipOptions,
    Pipeline,
    PipelineOptions,
    VideoResult,
)
from tests import faces_media as fm
from tests.engine.videos import write_frames, write_video


@pytest.fixture(scope="module")
def classifier(golden_dir: Path) -> Classifier:
    config = S2DConfig.from_json(golden_dir / "tinyA_config.json")
    model = load_s2d(golden_dir / "tinyA_s2d.pth", config)
    return Classifier(
        model, load_landmarks(golden_dir / "tinyA_landmark.pth.tar"), torch.device("cpu")
    )


class CountingClassifier:
    """The real classifier, counting the `CutClip`s alive at each model call."""

    def __init__(self, inner: Classifier) -> None:
        self._inner = inner
        self.live: list[int] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def __call__(self, clips: torch.Tensor, count: int | None = None) -> object:
        self.live.append(sum(type(o) is CutClip for o in gc.get_objects()))
        return self._inner(clips, count)


def _options(classifier: Classifier, whole_frame: bool) -> FaceClipOptions:
    return FaceClipOptions(
        clips=ClipConfig(num_frames=classifier.num_frames, min_seconds=0.0),
        crop_size=classifier.size,
        detect_every=3,
        whole_frame=whole_frame,
    )


def test_clips_frames_are_let_go_once_classified(classifier, tmp_path):
    made = write_video(tmp_path / "long.mp4", 60 * 25, height=48, width=96, fps=25)
    counting = CountingClassifier(classifier)
    pipeline = Pipeline(
        counting,  # type: ignore[arg-type]  # a Classifier in all but name
        None,
        _options(classifier, whole_frame=True),
        PipelineOptions(batch_size=2, workers=1),
    )
    (result,) = pipeline.run([made.path])
    assert len(result.clips) == 59
    # Bounded by the queues (a reader's clips ahead, batches being collated), not the video:
    # holding every clip until the video ends reaches ~59 by the last calls.
    assert max(counting.live) <= 20, counting.live


def _arrays(value: object, seen: set[int] | None = None) -> list[np.ndarray]:
    """Every numpy array reachable from `value` through dataclasses and containers."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        children = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, dict):
        children = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set)):
        children = list(value)
    else:
        return []
    return [a for child in children for a in _arrays(child, seen)]


def test_results_and_their_tracks_hold_no_image(classifier, tmp_path):
    crossing = fm.crossing(frames=60, width=320, height=240, face=90)
    video = write_frames(tmp_path / "crossing.mp4", crossing.frames, fps=25)
    pool = DetectorPool(lambda: create_detector("mtcnn", min_face=20, threads=1))
    pipeline = Pipeline(classifier, pool, _options(classifier, whole_frame=False))
    try:
        (result,) = pipeline.run([video])
    finally:
        pool.close()
    assert isinstance(result, VideoResult) and result.scan is not None
    assert result.scan.tracks and result.clips
    arrays = _arrays(result)
    assert arrays, "the walk reaches the tracks' arrays"
    assert all(a.ndim <= 2 for a in arrays), [a.shape for a in arrays if a.ndim > 2]
    assert all(a.dtype != np.uint8 for a in arrays), "no pixels"
