"""`--faces none` has one definition: the spec test, the centre-square box and its crop."""

from __future__ import annotations

import numpy as np
import pytest

from engine.crop import crop_face
from s2dcli.faces import (
    WholeFrameDetector,
    create_detector,
    crop_whole_frame,
    is_whole_frame,
    whole_frame_box,
)


@pytest.mark.parametrize("spec", ["none", " None ", "NONE"])
def test_specs_that_mean_whole_frame(spec):
    assert is_whole_frame(spec)
    assert isinstance(create_detector(spec), WholeFrameDetector)


@pytest.mark.parametrize("spec", ["auto", "mtcnn", "none.onnx", "", "nonexistent"])
def test_specs_that_do_not(spec):
    assert not is_whole_frame(spec)


@pytest.mark.parametrize(
    ("height", "width", "box"), [(48, 64, [8, 0, 56, 48]), (31, 20, [0, 5.5, 20, 25.5])]
)
def test_the_box_is_the_centre_square(height, width, box):
    np.testing.assert_array_equal(whole_frame_box(height, width), box)


def test_crop_is_the_square_itself_and_the_detector_agrees():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    crop, box = crop_whole_frame(image, 48)
    np.testing.assert_array_equal(crop, image[:, 8:56])  # no margin, no resize at 48 px
    (found,) = WholeFrameDetector(min_face=0).detect_batch([image])
    np.testing.assert_array_equal(found.boxes[0], box)
    np.testing.assert_array_equal(crop_face(image, found.boxes[0], 48, 1.0), crop)
