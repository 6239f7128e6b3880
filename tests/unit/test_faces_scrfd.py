"""The SCRFD wrapper on a stand-in graph with SCRFD's outputs (no real SCRFD can be downloaded
here): letterbox, decoding, NMS, batching, and agreement with InsightFace's own SCRFD class.
These check geometry and plumbing, not detection quality."""

from __future__ import annotations

import numpy as np
import pytest

from s2dcli.errors import InputError
from s2dcli.faces import FaceDetector, ScrfdDetector
from tests.faces_media import FAKE_SCRFD_KPS, write_fake_scrfd


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    root = tmp_path_factory.mktemp("scrfd")
    return {
        "batched": write_fake_scrfd(root / "batched.onnx", batched=True),
        "single": write_fake_scrfd(root / "single.onnx", batched=False),
    }


def square_image(x: int = 100, y: int = 60, height: int = 200, width: int = 400) -> np.ndarray:
    """Black, with a white 20 px square at (x, y). Letterboxed into 640x640 it is scaled by 1.6,
    so it fills one stride-32 cell when (x, y) * 1.6 is a multiple of 32."""
    image = np.zeros((height, width, 3), np.uint8)
    image[y : y + 20, x : x + 20] = 255
    return image


@pytest.mark.parametrize("layout", ["batched", "single"])
def test_decoding_maps_back_to_image_pixels(graphs, layout):
    with ScrfdDetector(graphs[layout], min_face=0, threads=1) as det:
        assert isinstance(det, FaceDetector)
        assert det.batched == (layout == "batched") and det.has_landmarks
        assert det.strides == (8, 16, 32) and det.anchors == 2
        dets = det.detect(square_image())
    # anchor (5, 3) of stride 32 -> centre (160, 96) in the 640 input; the box reaches 1.5
    # strides (48 px) each way; / 1.6 back to image pixels. Two anchors, NMS keeps one.
    assert len(dets) == 1
    np.testing.assert_allclose(dets.boxes, [[70, 30, 130, 90]], atol=1e-4)
    assert dets.scores[0] > 0.999
    kps = (np.array([160, 96]) + np.array(FAKE_SCRFD_KPS).reshape(5, 2) * 32) / 1.6
    np.testing.assert_allclose(dets.landmarks[0], kps, atol=1e-4)


@pytest.mark.parametrize("layout", ["batched", "single"])
def test_batch_of_mixed_sizes(graphs, layout):
    images = [square_image(), square_image(x=280), square_image(x=40, y=40, height=400, width=400)]
    with ScrfdDetector(graphs[layout], min_face=0, threads=1) as det:
        out = det.detect_batch(images)
    np.testing.assert_allclose(out[0].boxes, [[70, 30, 130, 90]], atol=1e-4)
    np.testing.assert_allclose(out[1].boxes, [[250, 30, 310, 90]], atol=1e-4)
    # 400x400 -> scale 1.6 as well: cell (2, 2) -> centre (64, 64) -> (16, 16, 112, 112) / 1.6
    np.testing.assert_allclose(out[2].boxes, [[10, 10, 70, 70]], atol=1e-4)


def test_threshold_min_face_and_clipping(graphs):
    with ScrfdDetector(graphs["batched"], min_face=60, threshold=0.5, threads=1) as det:
        assert len(det.detect(square_image())) == 1  # the box is exactly 60 px
    with ScrfdDetector(graphs["batched"], min_face=61, threads=1) as det:
        assert len(det.detect(square_image())) == 0
    with ScrfdDetector(graphs["batched"], min_face=0, threshold=0.99995, threads=1) as det:
        assert len(det.detect(square_image())) == 0  # the stand-in scores 0.99988
    with ScrfdDetector(graphs["batched"], min_face=0, threads=1) as det:
        corner = det.detect(square_image(x=0, y=0))  # anchor at (0, 0): box reaches -30
    np.testing.assert_allclose(corner.boxes, [[0, 0, 30, 30]], atol=1e-4)


def test_matches_insightface_scrfd(graphs):
    """InsightFace's SCRFD class and ours agree on the same graph and image."""
    from insightface.model_zoo import model_zoo

    rng = np.random.default_rng(0)
    image = np.zeros((360, 500, 3), np.uint8)
    for _ in range(6):
        x, y, side = rng.integers(0, 440), rng.integers(0, 300), rng.integers(16, 60)
        image[y : y + side, x : x + side] = 255
    for path in graphs.values():
        reference = model_zoo.get_model(str(path), providers=["CPUExecutionProvider"])
        reference.prepare(ctx_id=-1, input_size=(640, 640), det_thresh=0.5)
        ref_det, ref_kps = reference.detect(image[:, :, ::-1].copy(), input_size=(640, 640))
        with ScrfdDetector(path, min_face=0, threads=1) as det:
            ours = det.detect(image)
        ref_det, ref_kps = _clip_and_sort(ref_det, ref_kps, image.shape)
        assert len(ours) == len(ref_det) > 1
        np.testing.assert_allclose(ours.boxes, ref_det[:, :4], atol=1e-3)
        np.testing.assert_allclose(ours.scores, ref_det[:, 4], atol=1e-5)
        np.testing.assert_allclose(ours.landmarks, ref_kps, atol=1e-3)


def _clip_and_sort(det: np.ndarray, kps: np.ndarray, shape: tuple[int, ...]):
    """InsightFace leaves boxes unclipped; we clip them to the image and sort by score."""
    det = det.copy()
    det[:, 0:4:2] = det[:, 0:4:2].clip(0, shape[1])
    det[:, 1:4:2] = det[:, 1:4:2].clip(0, shape[0])
    order = np.argsort(-det[:, 4], kind="stable")
    return det[order], kps[order]


def test_not_an_scrfd_graph(tmp_path):
    from s2dcli.faces.mtcnn import find_model_dir

    with pytest.raises(InputError, match=r"pnet\.onnx.*not an SCRFD face detector.*2 outputs"):
        ScrfdDetector(find_model_dir() / "pnet.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(InputError, match=r"Cannot load face detector model .*junk\.onnx"):
        ScrfdDetector(junk)


def test_input_size_must_fit_the_strides(graphs):
    with pytest.raises(InputError, match="multiples of 32"):
        ScrfdDetector(graphs["batched"], input_size=(500, 500))
