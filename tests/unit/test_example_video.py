"""The sample video committed in examples/ decodes as described and has one findable face."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.video import open_video
from s2dcli.faces import create_detector

VIDEO = Path(__file__).resolve().parents[2] / "examples" / "astronaut.mp4"
WIDTH, HEIGHT, FPS, SECONDS = 480, 360, 25.0, 6.0


@pytest.fixture(scope="module")
def frames():
    with open_video(VIDEO) as video:
        info = video.info
        decoded = [(frame.pts_s, frame.image.copy()) for frame in video]
    return info, decoded


def test_example_video_is_small():
    assert VIDEO.stat().st_size < 1_000_000


def test_example_video_decodes_as_described(frames):
    info, decoded = frames
    assert (info.width, info.height) == (WIDTH, HEIGHT)
    assert info.fps == pytest.approx(FPS)
    assert info.duration_s == pytest.approx(SECONDS, abs=0.2)
    assert len(decoded) == pytest.approx(SECONDS * FPS, abs=5)
    last_pts = decoded[-1][0]
    assert last_pts + 1 / FPS == pytest.approx(SECONDS, abs=0.2)
    assert all(image.shape == (HEIGHT, WIDTH, 3) for _, image in decoded)


def test_example_video_has_one_large_face(frames):
    _, decoded = frames
    with create_detector("mtcnn", threads=1) as detector:
        for k in (0, len(decoded) // 2, len(decoded) - 1):
            dets = detector.detect(decoded[k][1])
            assert len(dets) == 1, f"frame {k}: {dets.boxes}"
            x1, y1, x2, y2 = dets.boxes[0]
            assert y2 - y1 >= 100, f"frame {k}: {dets.boxes}"
            assert min(x1, y1) >= 0 and x2 <= WIDTH and y2 <= HEIGHT  # fully in view
