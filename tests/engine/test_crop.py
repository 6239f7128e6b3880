"""Square face crops with margin and border padding."""

from __future__ import annotations

import numpy as np
import pytest

from engine.crop import crop_face, crop_faces, square_around


def _frame(height=120, width=160):
    rng = np.random.default_rng(0)
    return rng.integers(1, 256, size=(height, width, 3), dtype=np.uint8)  # no pure black


def test_square_is_centred_with_margin():
    assert square_around(np.array([40, 20, 80, 100]), margin=1.25) == (10, 10, 100)
    assert square_around(np.array([0, 0, 10, 10]), margin=1.0) == (0, 0, 10)


def test_inside_crop_is_the_exact_region_when_no_resize_is_needed():
    image = _frame()
    crop = crop_face(image, np.array([50, 30, 90, 70]), size=40, margin=1.0)
    assert crop.dtype == np.uint8 and crop.shape == (40, 40, 3)
    np.testing.assert_array_equal(crop, image[30:70, 50:90])


def test_padding_at_the_frame_border_is_black_on_the_right_side():
    image = _frame()
    crop = crop_face(image, np.array([-20, -10, 20, 30]), size=40, margin=1.0)
    assert (crop[:10] == 0).all() and (crop[:, :20] == 0).all()  # above and left of the frame
    np.testing.assert_array_equal(crop[10:, 20:], image[0:30, 0:20])


def test_resizes_to_the_model_input_and_keeps_content():
    image = np.zeros((200, 200, 3), np.uint8)
    image[50:150, 50:100] = 255  # left half of the face box is white
    crop = crop_face(image, np.array([50, 50, 150, 150]), size=20, margin=1.0)
    assert crop.shape == (20, 20, 3)
    assert crop[:, :9].min() > 200 and crop[:, 11:].max() < 50


def test_box_outside_the_frame_gives_black():
    crop = crop_face(_frame(), np.array([500, 500, 540, 540]), size=16)
    assert crop.shape == (16, 16, 3) and not crop.any()


@pytest.mark.parametrize("count", [0, 3])
def test_batch_of_crops(count):
    boxes = np.array([[10, 10, 50, 60], [100, 20, 150, 90], [0, 0, 160, 120]], np.float32)[:count]
    crops = crop_faces(_frame(), boxes, size=32)
    assert crops.shape == (count, 32, 32, 3) and crops.dtype == np.uint8
    for crop, box in zip(crops, boxes, strict=True):
        np.testing.assert_array_equal(crop, crop_face(_frame(), box, size=32))
