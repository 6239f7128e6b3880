"""Labelled samples become face clips: the right face, the right frames, cached once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from s2dcli.faces import create_detector
from s2dcli.labels import LabelledClip
from s2dcli.training.data import ClipCache, ExtractOptions, SampleError, extract_clip
from tests import faces_media as fm
from tests.engine.videos import write_frames, write_video


@pytest.fixture(scope="module")
def crossing(tmp_path_factory) -> tuple[Path, fm.FaceClip]:
    clip = fm.crossing(frames=50, width=480, height=240, face=100)
    return write_frames(tmp_path_factory.mktemp("v") / "cross.mp4", clip.frames), clip


@pytest.fixture(scope="module")
def detector():
    with create_detector("mtcnn", threads=1) as det:
        yield det


OPTIONS = ExtractOptions(num_frames=4, size=32, faces="mtcnn", detect_every=2)


def test_face_id_picks_the_face(crossing, detector):
    path, _ = crossing
    first = extract_clip(LabelledClip(path, 0, 0.0, 1.0, face_id=0), detector, OPTIONS)
    second = extract_clip(LabelledClip(path, 0, 0.0, 1.0, face_id=1), detector, OPTIONS)
    default = extract_clip(LabelledClip(path, 0, 0.0, 1.0), detector, OPTIONS)
    assert first.shape == (4, 32, 32, 3) and first.dtype == np.uint8
    assert np.abs(first.astype(int) - second.astype(int)).mean() > 10  # two different faces
    # both faces are on screen all along: the larger one is chosen, whichever it is
    assert any(np.array_equal(default, c) for c in (first, second))
    with pytest.raises(SampleError, match="no face 7"):
        extract_clip(LabelledClip(path, 0, face_id=7, line=3), detector, OPTIONS)


def test_a_range_without_faces_is_refused(tmp_path, detector):
    path = write_frames(tmp_path / "blank.mp4", [fm.blank(120, 160)] * 20)
    with pytest.raises(SampleError, match="no face found"):
        extract_clip(LabelledClip(path, 0, line=2), detector, OPTIONS)
    with pytest.raises(SampleError, match="starts at 5 s"):
        extract_clip(
            LabelledClip(path, 0, 5.0, 6.0, line=2),
            None,
            ExtractOptions(num_frames=4, size=32, faces="none"),
        )


def test_whole_frame_clips_spread_over_the_video_and_are_cached(tmp_path):
    made = write_video(tmp_path / "crop.mp4", 40, height=48, width=64, fps=20)
    options = ExtractOptions(num_frames=4, size=16, faces="none")
    cache = ClipCache(tmp_path / "cache")
    sample = LabelledClip(made.path, 1)
    clip = cache.get(sample, None, options)
    again = cache.get(sample, None, options)
    assert (cache.misses, cache.hits) == (1, 1)
    np.testing.assert_array_equal(clip, again)
    assert clip.shape == (4, 16, 16, 3)
    assert len({frame.tobytes() for frame in clip}) == 4  # four different moments
    cache.get(sample, None, ExtractOptions(num_frames=4, size=24, faces="none"))
    assert cache.misses == 2  # other options, another key
