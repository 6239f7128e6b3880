"""engine.video building blocks: batch checks, buffer recycling, timestamp repair, rotation."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from engine.video import FrameBatch, VideoDecodeError
from engine.video.buffers import _ENABLED, BufferPool
from engine.video.mp4_rotation import mp4_rotation
from engine.video.source import TimestampFixer, batch_capacity, make_batch, quarter_turns
from tests.engine.videos import write_video


def test_frame_batch_checks_shapes_and_dtypes():
    frames = np.zeros((2, 4, 6, 3), np.uint8)
    batch = FrameBatch(frames, np.arange(2, dtype=np.int64), np.zeros(2))
    assert len(batch) == 2
    assert batch.frame(1).index == 1 and batch.frame(1).image.shape == (4, 6, 3)
    with pytest.raises(ValueError, match=r"uint8 \(N, H, W, 3\)"):
        FrameBatch(frames.astype(np.float32), np.arange(2, dtype=np.int64), np.zeros(2))
    with pytest.raises(ValueError, match="indices must be int64"):
        FrameBatch(frames, np.arange(3, dtype=np.int64), np.zeros(2))
    with pytest.raises(ValueError, match="pts_s must be float64"):
        FrameBatch(frames, np.arange(2, dtype=np.int64), np.zeros(2, np.float32))


def test_make_batch_is_read_only():
    batch = make_batch(np.zeros((4, 2, 2, 3), np.uint8), 10, np.arange(4.0), 3)
    assert batch.indices.tolist() == [10, 11, 12]
    assert len(batch) == 3 and not batch.frames.flags.writeable
    assert not batch.pts_s.flags.writeable


@pytest.mark.skipif(not _ENABLED, reason="buffer reuse needs CPython with the GIL")
def test_buffer_pool_reuses_only_released_buffers():
    pool = BufferPool(keep=4)
    first = pool.take((2, 3))
    view = first[:1]
    del first
    second = pool.take((2, 3))
    assert second.base is None and view.base is not second, "a buffer still viewed was reused"
    del view, second
    third = pool.take((2, 3))
    fourth = pool.take((2, 3))
    assert third is not fourth
    assert len(pool._buffers) == 2  # both earlier buffers were free again: no new allocation
    assert pool.take((5,)).shape == (5,)  # another shape: a new buffer


def test_buffer_pool_keeps_a_bounded_number():
    pool = BufferPool(keep=2)
    held = [pool.take((1,)) for _ in range(5)]
    assert len({id(b) for b in held}) == 5
    assert len(pool._buffers) == 2


def test_timestamp_fixer_extrapolates_missing_and_repeated_times(caplog):
    fix = TimestampFixer(Path("v.mp4"), fps=10.0)
    with caplog.at_level(logging.WARNING, logger="s2d.engine.video"):
        times = [fix(t, i) for i, t in enumerate([None, 0.1, 0.1, None, 0.5, 0.4])]
    np.testing.assert_allclose(times, [0.0, 0.1, 0.2, 0.3, 0.5, 0.6])
    assert caplog.text.count("not increasing") == 1  # one warning per video


def test_quarter_turns_turn_clockwise():
    image = np.arange(6).reshape(2, 3)  # [[0 1 2], [3 4 5]]
    clockwise = np.rot90(image, quarter_turns(90))
    assert clockwise.tolist() == [[3, 0], [4, 1], [5, 2]]
    assert quarter_turns(0) == 0 and quarter_turns(180) == 2 and quarter_turns(270) == 1


def test_batch_capacity():
    assert batch_capacity(32, 1 << 30, 360, 640) == 32
    assert batch_capacity(32, 10 * 360 * 640 * 3, 360, 640) == 10
    assert batch_capacity(32, 1, 360, 640) == 1


def test_error_message_names_path_and_reason():
    error = VideoDecodeError("clips/a.mp4", "the file is empty (0 bytes)")
    assert str(error) == "Cannot decode 'clips/a.mp4': the file is empty (0 bytes)"
    assert error.path == Path("clips/a.mp4")


def test_mp4_rotation_reads_the_track_header(tmp_path):
    for rotation in (0, 90, 180, 270):
        made = write_video(tmp_path / f"r{rotation}.mp4", 2, rotation=rotation)
        assert mp4_rotation(made.path) == rotation
    assert mp4_rotation(write_video(tmp_path / "a.avi", 2, codec="mjpeg").path) is None
    (tmp_path / "t.mp4").write_text("not a video")
    assert mp4_rotation(tmp_path / "t.mp4") is None
    assert mp4_rotation(tmp_path / "missing.mp4") is None
