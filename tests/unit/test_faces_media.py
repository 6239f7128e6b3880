"""The test-media helpers (tests/faces_media.py) give frames whose ground truth is right: the
offline detector finds the faces where the helpers say they are."""

from __future__ import annotations

import numpy as np
import pytest

from s2dcli.faces import MtcnnDetector, box_iou
from tests import faces_media as fm


@pytest.fixture(scope="module")
def mtcnn():
    with MtcnnDetector(threads=1) as detector:
        yield detector


def found(detector, frame, boxes, iou=0.5) -> int:
    dets = detector.detect(frame)
    if len(dets) == 0 or len(boxes) == 0:
        return 0
    return int((box_iou(boxes, dets.boxes).max(axis=1) > iou).sum())


def test_variants_keep_shapes_and_boxes():
    g = fm.group_photo(640)
    assert g.image.shape == (443, 640, 3) and g.image.dtype == np.uint8 and len(g.boxes) == 6
    half = fm.rescale(g, 0.5)
    np.testing.assert_allclose(half.boxes, g.boxes * np.float32(320 / 640), atol=0.6)
    turned = fm.rotate(g, 90)  # a quarter turn about the centre moves a box centre accordingly
    c = (g.boxes[0, :2] + g.boxes[0, 2:]) / 2 - np.array([319.5, 221])
    c_turned = (turned.boxes[0, :2] + turned.boxes[0, 2:]) / 2 - np.array([319.5, 221])
    np.testing.assert_allclose(c_turned, [c[1], -c[0]], atol=1e-3)
    cut = fm.crop(g, 45, 50, 595, 443)
    assert cut.image.shape == (393, 550, 3) and len(cut.boxes) == 6
    assert (cut.boxes >= 0).all() and (cut.boxes[:, 2] <= 550).all()
    assert fm.lfw_grid(0, 25).boxes.shape == (25, 4)
    assert fm.face_crop(0.5).image.shape == (224, 224, 3)


def test_pan_moves_the_boxes_with_the_camera(mtcnn):
    clip = fm.pan(fm.group_photo(960), 640, 360, frames=4, step=(20, 5))
    assert len(clip.frames) == len(clip.boxes) == len(clip.ids) == 4
    assert {f.shape for f in clip.frames} == {(360, 640, 3)}
    inside = [
        set(ids[(b[:, 0] > 0) & (b[:, 1] > 0)]) for ids, b in zip(clip.ids, clip.boxes, strict=True)
    ]
    both = sorted(inside[0] & inside[3])  # faces not cut by the border in either frame
    assert len(both) >= 2
    for face in both:
        start = clip.boxes[0][list(clip.ids[0]).index(face)]
        end = clip.boxes[3][list(clip.ids[3]).index(face)]
        np.testing.assert_allclose(end - start, [-60, -15, -60, -15], atol=1e-3)
    for t in (0, 3):
        assert found(mtcnn, clip.frames[t], clip.boxes[t][:4]) >= 3


def test_zoom_grows_the_faces(mtcnn):
    clip = fm.zoom(fm.group_photo(640), frames=3, end_scale=1.5)
    sizes = [float(np.mean(b[:, 2] - b[:, 0])) for b in clip.boxes]
    assert sizes[0] < sizes[1] < sizes[2]
    assert found(mtcnn, clip.frames[2], clip.boxes[2]) == len(clip.boxes[2]) >= 2


def test_crossing_faces_swap_sides_and_hide(mtcnn):
    clip = fm.crossing(frames=9)
    first, last = clip.boxes[0], clip.boxes[-1]
    assert list(clip.ids[0]) == [0, 1] and list(clip.ids[-1]) == [0, 1]
    assert first[0, 0] < first[1, 0] and last[0, 0] > last[1, 0]  # they swapped sides
    assert list(clip.ids[4]) == [0]  # mid-clip the man is behind the astronaut
    for t in (0, 4, 8):
        assert found(mtcnn, clip.frames[t], clip.boxes[t]) == len(clip.boxes[t])
