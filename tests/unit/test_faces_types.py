"""Detections, IoU, NMS and the shared clean-up (min_face, clipping, order)."""

from __future__ import annotations

import numpy as np
import pytest

from s2dcli.errors import InputError
from s2dcli.faces import Detections, FaceDetector, WholeFrameDetector, box_iou, nms
from s2dcli.faces.base import check_image
from s2dcli.faces.boxes import finalize


def dets(boxes, scores, landmarks=None) -> Detections:
    marks = None if landmarks is None else np.asarray(landmarks, np.float32)
    return Detections(
        np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(scores, np.float32), marks
    )


def test_detections_shapes_are_checked():
    with pytest.raises(ValueError, match=r"boxes must have shape \(N, 4\)"):
        Detections(np.zeros((2, 5), np.float32), np.zeros(2, np.float32))
    with pytest.raises(ValueError, match=r"scores must have shape \(2,\)"):
        Detections(np.zeros((2, 4), np.float32), np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="landmarks"):
        Detections(
            np.zeros((1, 4), np.float32), np.zeros(1, np.float32), np.zeros((1, 68, 2), np.float32)
        )
    with pytest.raises(ValueError, match="float32"):
        Detections(np.zeros((1, 4)), np.zeros(1, np.float32))


def test_detections_empty_take_sizes():
    assert len(Detections.empty()) == 0
    assert Detections.empty(with_landmarks=True).landmarks.shape == (0, 5, 2)
    d = dets([[0, 0, 10, 20], [5, 5, 35, 15]], [0.2, 0.9], np.zeros((2, 5, 2)))
    np.testing.assert_array_equal(d.sizes, [10, 10])
    picked = d.take(np.array([1]))
    assert len(picked) == 1 and picked.scores[0] == pytest.approx(0.9)
    assert picked.landmarks.shape == (1, 5, 2)


def test_box_iou_known_values():
    a = np.array([[0, 0, 10, 10]], np.float32)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], np.float32)
    np.testing.assert_allclose(box_iou(a, b), [[1.0, 50 / 150, 0.0]])


def test_nms_keeps_best_of_overlapping_and_min_mode():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60], [2, 2, 6, 6]], np.float32)
    scores = np.array([0.8, 0.9, 0.7, 0.6], np.float32)
    np.testing.assert_array_equal(nms(boxes, scores, 0.5), [1, 2, 3])  # small box: low IoU
    np.testing.assert_array_equal(nms(boxes, scores, 0.5, mode="min"), [1, 2])  # inside box 1


def test_finalize_drops_small_clips_and_sorts():
    d = dets(
        [[-20, 10, 40, 70], [100, 100, 110, 110], [50, 50, 90, 90], [200, 0, 260, 60]],
        [0.5, 0.99, 0.9, 0.8],
    )
    out = finalize(d, width=120, height=80, min_face=30)
    # the 10 px face is dropped; the face half outside the left edge is kept (60 px before
    # clipping) and clipped; the one entirely right of the frame is dropped
    np.testing.assert_allclose(out.boxes, [[50, 50, 90, 80], [0, 10, 40, 70]])
    np.testing.assert_allclose(out.scores, [0.9, 0.5])


def test_check_image_messages():
    with pytest.raises(InputError, match=r"shape \(4, 4\) and dtype float64.*uint8"):
        check_image(np.zeros((4, 4)))
    with pytest.raises(InputError, match="is a list"):
        check_image([[0, 0, 0]])
    view = np.zeros((6, 8, 3), np.uint8)[:, ::2]
    assert check_image(view).flags.c_contiguous


def test_whole_frame_detector():
    det = WholeFrameDetector(min_face=20)
    assert isinstance(det, FaceDetector)
    out = det.detect_batch([np.zeros((30, 50, 3), np.uint8), np.zeros((10, 50, 3), np.uint8)])
    np.testing.assert_array_equal(out[0].boxes, [[10, 0, 40, 30]])  # the centre square
    np.testing.assert_array_equal(out[0].scores, [1.0])
    assert out[0].landmarks is None
    assert len(out[1]) == 0  # 10 px < min_face
    det.close()
    with pytest.raises(RuntimeError, match="closed"):
        det.detect(np.zeros((30, 50, 3), np.uint8))
