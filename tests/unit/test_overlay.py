"""write_overlay: a real video in, a real MP4 out, decoded back and checked pixel by pixel."""

from __future__ import annotations

import os
import stat
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pandas as pd
import pytest

from engine.video import VideoDecodeError
from s2dcli.clips import TrackFrames
from s2dcli.report.overlay import (
    caption,
    face_colour,
    face_labels,
    output_size,
    pick_encoder,
    write_overlay,
)

FPS, N, W, H = 25, 64, 160, 120
SIDE, MARGIN, Y = 24, 6, 40  # the square's side, the box's margin round it, the square's top


def square_x(i: int) -> int:
    return 20 + i


def source_frame(i: int) -> np.ndarray:
    image = np.full((H, W, 3), 30, np.uint8)
    image[Y : Y + SIDE, square_x(i) : square_x(i) + SIDE] = 230
    return image


def decode(path: Path) -> tuple[list[np.ndarray], Fraction, str]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return frames, stream.average_rate, stream.codec_context.name


@pytest.fixture(scope="module")
def square_video(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("overlay") / "square.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.codec_context.options = {"crf": "18", "preset": "ultrafast"}
        for i in range(N):
            frame = av.VideoFrame.from_ndarray(source_frame(i), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def square_track(face_id: int = 0) -> TrackFrames:
    idx = np.arange(N, dtype=np.int64)
    boxes = np.array(
        [[square_x(i) - MARGIN, Y - MARGIN, SIDE + 2 * MARGIN, SIDE + 2 * MARGIN] for i in idx],
        np.float32,
    )
    scores = np.full(N, 0.99, np.float32)
    scores[1::2] = np.nan  # interpolated frames are drawn too
    return TrackFrames(face_id, idx, idx / FPS, boxes, scores)


CLIPS = pd.DataFrame(
    {
        "face_id": [0, 0],
        "clip_index": [0, 1],
        "start_s": [0.0, 0.56],
        "end_s": [2.0, 2.56],
        "label": ["happy", "sad"],
        "confidence": [0.83, 0.6],
    }
)


def test_captions_follow_the_nearest_clip_centre():
    labels = face_labels(CLIPS)
    assert caption(0, labels[0], 0.0) == "face 0 happy 0.83"
    assert caption(0, labels[0], 1.27) == "face 0 happy 0.83"  # centres 1.0 and 1.56
    assert caption(0, labels[0], 1.29) == "face 0 sad 0.60"
    assert caption(0, labels[0], 9.0) == "face 0 sad 0.60"
    assert caption(3, labels.get(3), 1.0) == "face 3"
    assert face_labels(pd.DataFrame()) == {}
    with pytest.raises(ValueError, match="label"):
        face_labels(CLIPS.drop(columns="label"))


def test_output_size_is_even_and_bounded():
    assert output_size(160, 120, 1280) == (160, 120)
    assert output_size(161, 121, 1280) == (160, 120)
    assert output_size(160, 120, 80) == (80, 60)
    assert output_size(1920, 1080, 1280) == (1280, 720)
    assert output_size(160, 120, 100) == (100, 74)


def test_overlay_draws_the_box_on_every_frame(square_video, tmp_path):
    out = tmp_path / "overlay.mp4"
    assert write_overlay(square_video, out, [square_track()], CLIPS) == out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["overlay.mp4"]  # no temp file left

    frames, rate, codec = decode(out)
    assert codec == {"libx264": "h264", "h264": "h264"}.get(pick_encoder(), "mpeg4")
    assert len(frames) == N
    assert frames[0].shape == (H, W, 3)
    assert rate == FPS
    green = np.array(face_colour(0), np.float64)
    for i in (0, 31, N - 1):
        x1, y1 = square_x(i) - MARGIN, Y - MARGIN
        y2 = y1 + SIDE + 2 * MARGIN
        edge = frames[i][y1 + 4 : y2 - 4, x1].astype(np.float64)  # the box's left side
        before = source_frame(i)[y1 + 4 : y2 - 4, x1].astype(np.float64)
        assert np.abs(edge - green).mean(axis=0).max() < 40, edge.mean(axis=0)
        assert np.abs(before - green).mean(axis=0).max() > 150
        # Inside the box, away from the lines, the picture is the source's.
        inner = frames[i][Y + 4 : Y + SIDE - 4, square_x(i) + 4 : square_x(i) + SIDE - 4]
        assert np.abs(inner.astype(int) - 230).max() < 20
        # The caption's filled label sits above the box, in the box's colour.
        label = frames[i][y1 - 8 : y1 - 3, x1 + 2 : x1 + 40].astype(int)
        greenish = label[..., 1] - np.maximum(label[..., 0], label[..., 2]) > 80
        assert greenish.mean() > 0.3  # (black text covers the rest)


def test_overlay_downscales_to_max_side(square_video, tmp_path):
    out = tmp_path / "small.mp4"
    write_overlay(
        square_video, out, [square_track(), square_track(1)], pd.DataFrame(), max_side=100
    )
    frames, _, _ = decode(out)
    assert len(frames) == N
    assert frames[0].shape == (74, 100, 3)


def test_decode_errors_propagate_and_leave_nothing(tmp_path):
    bad = tmp_path / "not_a_video.mp4"
    bad.write_bytes(b"this is not a video" * 100)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(VideoDecodeError):
        write_overlay(bad, out_dir / "overlay.mp4", [], CLIPS)
    assert list(out_dir.iterdir()) == []


@pytest.fixture
def umask():
    """Set the process umask for one test, and put the old one back."""
    old = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_overlay_gets_the_users_umask(square_video, tmp_path, umask, mask, mode):
    umask(mask)
    out = write_overlay(square_video, tmp_path / "overlay.mp4", [square_track()], CLIPS)
    assert stat.S_IMODE(out.stat().st_mode) == mode
    # Replacing an existing overlay gives the same mode, not the old file's.
    out.chmod(0o600)
    write_overlay(square_video, out, [square_track()], CLIPS)
    assert stat.S_IMODE(out.stat().st_mode) == mode
