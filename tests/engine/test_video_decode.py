"""engine.video on good files: order, identity, timestamps, rotation, backends and fallback."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

from engine.video import Frame, FrameBatch, VideoDecodeError, open_video, probe
from engine.video import reader as reader_module
from engine.video.decord_source import decord_module
from tests.engine.videos import MadeVideo, frame_pattern, make_test_videos, read_index

HAS_DECORD = decord_module() is not None
BACKENDS = [
    "pyav",
    pytest.param("decord", marks=pytest.mark.skipif(not HAS_DECORD, reason="no decord")),
]


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return make_test_videos(tmp_path_factory.mktemp("videos"))


def read_all(path, backend="auto", max_frames=7, **kwargs):
    """Every batch of a video, concatenated: (info, frames, indices, pts_s)."""
    with open_video(path, backend=backend, **kwargs) as video:
        batches = list(video.iter_batches(max_frames=max_frames))
        info = video.info
    for batch in batches:
        assert isinstance(batch, FrameBatch)
        assert len(batch) <= max_frames
        assert not batch.frames.flags.writeable
    frames = np.concatenate([b.frames for b in batches])
    indices = np.concatenate([b.indices for b in batches])
    pts = np.concatenate([b.pts_s for b in batches])
    return info, frames, indices, pts


def check_frames(made: MadeVideo, frames, indices, pts):
    n = made.num_frames
    assert frames.shape == (n, made.height, made.width, 3)
    assert frames.dtype == np.uint8
    assert indices.dtype == np.int64 and pts.dtype == np.float64
    assert indices.tolist() == list(range(n))
    assert [read_index(f) for f in frames] == list(range(n)), "frames out of order or missing"
    np.testing.assert_allclose(pts, made.pts_s, atol=1e-6)
    assert np.all(np.diff(pts) > 0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_h264_frames_come_in_order_with_their_times(videos, backend):
    made = videos.h264
    info, frames, indices, pts = read_all(made.path, backend)
    check_frames(made, frames, indices, pts)
    assert info.backend == backend
    assert info.path == made.path
    assert (info.width, info.height, info.rotation, info.codec) == (96, 64, 0, "h264")
    assert info.fps == pytest.approx(25.0)
    assert info.num_frames == 50
    assert info.duration_s == pytest.approx(2.0, abs=0.05)
    # Lossy, but close to what was encoded.
    expected = np.stack([frame_pattern(i, 64, 96) for i in range(50)])
    assert np.abs(frames.astype(int) - expected).mean() < 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_mjpeg_avi(videos, backend):
    info, frames, indices, pts = read_all(videos.mjpeg.path, backend)
    check_frames(videos.mjpeg, frames, indices, pts)
    assert (info.codec, info.num_frames) == ("mjpeg", 20)


@pytest.mark.parametrize("backend", BACKENDS)
def test_variable_frame_rate_times_come_from_timestamps(videos, backend):
    """Irregular gaps (20-100 ms), B-frames, and a first frame at 0.5 s."""
    made = videos.vfr
    info, frames, indices, pts = read_all(made.path, backend)
    check_frames(made, frames, indices, pts)
    assert pts[0] == pytest.approx(0.5)
    # The nominal rate is only an average: index / fps would be far off.
    assert np.abs(indices / info.fps + pts[0] - pts).max() > 0.05


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_is_applied(videos, backend, rotation):
    made = videos.rotated[rotation]
    info, frames, indices, pts = read_all(made.path, backend)
    assert info.rotation == rotation
    assert (info.height, info.width) == (48, 64)  # stored as 64x48 for 90 and 270
    check_frames(made, frames, indices, pts)
    with open_video(made.path, backend=backend) as video:
        assert all(min(f.image.strides) > 0 for f in video)  # torch.from_numpy takes them
    upright = np.stack([frame_pattern(i, 48, 64) for i in range(made.num_frames)])
    error = np.abs(frames.astype(int) - upright).mean()
    wrong = np.abs(np.rot90(frames, 2, axes=(1, 2)).astype(int) - upright).mean()
    assert error < 4 < wrong


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_frame_video(videos, backend):
    info, frames, indices, pts = read_all(videos.one_frame.path, backend)
    check_frames(videos.one_frame, frames, indices, pts)
    assert info.num_frames == 1


def test_backends_agree(videos):
    if not HAS_DECORD:
        pytest.skip("no decord")
    _, frames_a, idx_a, pts_a = read_all(videos.h264.path, "pyav")
    _, frames_b, idx_b, pts_b = read_all(videos.h264.path, "decord")
    assert idx_a.tolist() == idx_b.tolist()
    np.testing.assert_allclose(pts_a, pts_b, atol=1e-6)
    # Different FFmpeg builds and colour conversions: close, not bit-exact.
    assert np.abs(frames_a.astype(int) - frames_b.astype(int)).mean() < 3


def test_auto_reads_with_pyav(videos):
    """decord's read-ahead is unbounded (see decord_source.py): "auto" must not pick it."""
    with open_video(videos.h264.path) as video:
        assert video.info.backend == "pyav"


def test_auto_prefers_decord_when_switched_back(videos, monkeypatch):
    if not HAS_DECORD:
        pytest.skip("no decord")
    monkeypatch.setattr(reader_module, "AUTO_PREFERS_DECORD", True)
    with open_video(videos.h264.path) as video:
        assert video.info.backend == "decord"


def test_auto_falls_back_to_pyav_without_decord(videos, monkeypatch):
    monkeypatch.setattr(reader_module, "decord_module", lambda: None)
    info, frames, indices, pts = read_all(videos.vfr.path)
    assert info.backend == "pyav"
    check_frames(videos.vfr, frames, indices, pts)


def test_auto_falls_back_to_pyav_when_decord_cannot_open(videos, monkeypatch, caplog):
    if not HAS_DECORD:
        pytest.skip("no decord")

    def broken_decord(path, *args):
        raise VideoDecodeError(path, "decord cannot open it: simulated")

    monkeypatch.setattr(reader_module, "AUTO_PREFERS_DECORD", True)
    monkeypatch.setattr(reader_module, "DecordSource", broken_decord)
    with caplog.at_level(logging.WARNING, logger="s2d.engine.video"):
        info, frames, indices, pts = read_all(videos.h264.path)
    assert info.backend == "pyav"
    check_frames(videos.h264, frames, indices, pts)
    assert "decoding with PyAV instead" in caplog.text


@pytest.mark.parametrize("backend", BACKENDS)
def test_frame_iterator_yields_views_that_stay_valid(videos, backend):
    with open_video(videos.vfr.path, backend=backend) as video:
        frames = list(video)  # all kept: none may be overwritten by later frames
    assert all(isinstance(f, Frame) for f in frames)
    assert all(f.image.shape == (48, 64, 3) and not f.image.flags.writeable for f in frames)
    assert [f.index for f in frames] == list(range(40))
    assert [read_index(f.image) for f in frames] == list(range(40))
    np.testing.assert_allclose([f.pts_s for f in frames], videos.vfr.pts_s, atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_kept_batches_are_never_overwritten(videos, backend):
    """Batch buffers are recycled only once the consumer drops them."""
    with open_video(videos.h264.path, backend=backend) as video:
        kept = list(video.iter_batches(max_frames=4))
    assert [read_index(f) for b in kept for f in b.frames] == list(range(50))
    with open_video(videos.h264.path, backend=backend) as video:
        ids = [id(b.frames.base) for b in video.iter_batches(max_frames=4)]
    assert len(set(ids)) < len(ids), "dropped batches should be recycled"


def test_batch_size_limits(videos):
    with open_video(videos.h264.path) as video:
        sizes = [len(b) for b in video.iter_batches(max_frames=1000, max_bytes=96 * 64 * 3 * 5)]
    assert sizes == [5] * 10
    with open_video(videos.h264.path) as video:
        sizes = [len(b) for b in video.iter_batches(max_frames=16)]
    assert sizes == [16, 16, 16, 2]


def test_reader_reads_once_and_checks_arguments(videos):
    with open_video(videos.one_frame.path) as video:
        with pytest.raises(ValueError, match="max_frames"):
            next(video.iter_batches(max_frames=0))
        list(video.iter_batches())
        with pytest.raises(RuntimeError, match="once"):
            next(video.iter_batches())
    with pytest.raises(ValueError, match="Unknown video backend 'ffmpeg'"):
        open_video(videos.one_frame.path, backend="ffmpeg")
    with pytest.raises(ValueError, match="timeout_s"):
        open_video(videos.one_frame.path, timeout_s=0)


def test_probe(videos):
    info = probe(videos.rotated[90].path)
    assert (info.width, info.height, info.rotation, info.num_frames) == (64, 48, 90, 12)
    assert info.backend == "pyav"


def test_closing_early_stops_the_decode_thread(videos):
    with open_video(videos.h264.path) as video:
        thread = video._worker.thread
        assert thread in threading.enumerate()
        next(video.iter_batches(max_frames=2))
    thread.join(2)
    assert not thread.is_alive()
