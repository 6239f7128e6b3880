"""engine.video on bad input: one typed error with path and reason, stalls timed out, isolation."""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import threading
import time

import numpy as np
import pytest

from engine.video import VideoDecodeError, open_video
from engine.video import reader as reader_module
from engine.video.decord_source import decord_module
from tests.engine.videos import make_test_videos, read_index, write_video

HAS_DECORD = decord_module() is not None
ALL_BACKENDS = [
    "auto",
    "pyav",
    pytest.param("decord", marks=pytest.mark.skipif(not HAS_DECORD, reason="no decord")),
]


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return make_test_videos(tmp_path_factory.mktemp("videos"))


def read_indices(reader, max_frames=4):
    return [read_index(f) for batch in reader.iter_batches(max_frames) for f in batch.frames]


@pytest.mark.parametrize("backend", ALL_BACKENDS)
@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("zero", "empty (0 bytes)"),
        ("text", "not a readable video"),
        ("missing", "file not found"),
        ("directory", "is a directory"),
        ("no_index", "not a readable video"),  # mp4 cut in half: its index (moov) is gone
        ("audio_only", "no video stream"),
        ("no_frames", "no decodable frames"),
        ("unknown_codec", "unknown codec"),
    ],
)
def test_unreadable_files_raise_one_typed_error(videos, backend, kind, reason):
    path = videos.bad[kind]
    with pytest.raises(VideoDecodeError) as caught:
        open_video(path, backend=backend)
    error = caught.value
    assert error.path == path
    assert reason in error.reason
    assert str(path) in str(error) and error.reason in str(error)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_permission_denied(tmp_path):
    path = write_video(tmp_path / "locked.mp4", 3).path
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(VideoDecodeError, match="permission denied"):
            open_video(path)
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize("backend", ["auto", "pyav"])
def test_truncated_mp4_yields_what_decodes_then_raises(videos, backend):
    """Cut at 60 % with its index up front: the frames before the cut, in order, then the error."""
    with open_video(videos.bad["truncated"], backend=backend) as video:
        assert video.info.backend == "pyav"  # decord cannot open such files
        assert video.info.num_frames == 60  # what the index promises
        decoded = []
        with pytest.raises(VideoDecodeError, match="truncated") as caught:
            for batch in video.iter_batches(max_frames=4):
                decoded += [read_index(f) for f in batch.frames]
    assert 10 < len(decoded) < 60
    assert decoded == list(range(len(decoded)))
    assert f"decoded {len(decoded)} frames" in caught.value.reason


@pytest.mark.skipif(not HAS_DECORD, reason="no decord")
def test_decord_alone_refuses_truncated_mp4(videos):
    with pytest.raises(VideoDecodeError, match="decord cannot open it"):
        open_video(videos.bad["truncated"], backend="decord")


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_corrupt_data_mid_stream_raises_after_good_frames(videos, backend):
    """An AVI cut in half has no index; decoding fails at the cut (decord: earlier, varying)."""
    with open_video(videos.bad["truncated_avi"], backend=backend) as video:
        decoded = []
        with pytest.raises(VideoDecodeError, match="decoding failed after") as caught:
            for batch in video.iter_batches(max_frames=4):
                decoded += [read_index(f) for f in batch.frames]
    assert decoded == list(range(len(decoded)))
    assert f"after {len(decoded)} frames" in caught.value.reason


def test_error_pickles():
    error = pickle.loads(pickle.dumps(VideoDecodeError("a.mp4", "why")))
    assert (str(error.path), error.reason) == ("a.mp4", "why")


def test_a_bug_in_the_decode_thread_surfaces_with_the_path(videos, monkeypatch):
    def broken(*args):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(reader_module, "_open_source", broken)
    with pytest.raises(RuntimeError, match=r"h264\.mp4") as caught:
        open_video(videos.h264.path)
    assert isinstance(caught.value.__cause__, ZeroDivisionError)


@pytest.fixture
def fifo(tmp_path):
    """A named pipe, and a cleanup that unblocks any reader stuck on it."""
    path = tmp_path / "stream.ts"
    os.mkfifo(path)
    yield path
    # A reader blocked in open() or read() then sees end-of-file and its thread exits.
    with contextlib.suppress(OSError):  # no reader left: nothing to unblock
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def _video_threads():
    return {t for t in threading.enumerate() if t.name.startswith("s2d-video:stream.ts")}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_open_that_never_gets_data_times_out(fifo, videos):
    """open(2) on a FIFO with no writer blocks forever in native code."""
    start = time.monotonic()
    with pytest.raises(VideoDecodeError, match="stalled opening the file") as caught:
        open_video(fifo, timeout_s=0.5)
    assert time.monotonic() - start < 2
    assert caught.value.path == fifo
    stuck = _video_threads()
    assert stuck, "the blocked thread is abandoned, not killed"
    # Other videos are unaffected meanwhile.
    with open_video(videos.h264.path) as video:
        assert len(read_indices(video)) == 50
    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # unblock it: EOF
    for thread in stuck:
        thread.join(2)
        assert not thread.is_alive()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_read_that_stops_getting_data_times_out(fifo, tmp_path):
    """A streamable file whose writer sends half of it, then goes silent without closing."""
    data = write_video(tmp_path / "source.ts", 60).path.read_bytes()
    release = threading.Event()

    def writer():
        with open(fifo, "wb") as pipe:
            pipe.write(data[: len(data) // 2])
            pipe.flush()
            release.wait(10)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    decoded = []
    try:
        start = time.monotonic()
        with open_video(fifo, timeout_s=0.5) as video:
            assert video.info.backend == "pyav"  # decord only reads regular files
            with pytest.raises(VideoDecodeError, match="stalled after") as caught:
                for batch in video.iter_batches(max_frames=4):
                    decoded += [read_index(f) for f in batch.frames]
        assert time.monotonic() - start < 3
    finally:
        release.set()
        thread.join(5)
    assert 0 < len(decoded) < 60
    assert decoded == list(range(len(decoded)))
    assert f"after {len(decoded)} frames" in caught.value.reason
    for stuck in _video_threads():
        stuck.join(2)
        assert not stuck.is_alive()


def test_slow_consumer_is_not_a_stall(videos):
    """Time the consumer spends between batches does not count against the decoder."""
    with open_video(videos.h264.path, timeout_s=0.25) as video:
        count = 0
        for batch in video.iter_batches(max_frames=25):
            time.sleep(0.3)
            count += len(batch)
    assert count == 50


def test_a_dropped_reader_stops_its_thread(videos):
    video = open_video(videos.h264.path)
    thread = video._worker.thread
    next(video.iter_batches(max_frames=2))
    del video
    gc.collect()
    thread.join(2)
    assert not thread.is_alive()


def test_concurrent_readers_are_independent(videos):
    results = {}

    def read(name, path):
        try:
            with open_video(path) as video:
                results[name] = len(read_indices(video))
        except VideoDecodeError as exc:
            results[name] = exc

    jobs = {"good": videos.h264.path, "bad": videos.bad["text"], "vfr": videos.vfr.path}
    threads = [threading.Thread(target=read, args=item) for item in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results["good"] == 50 and results["vfr"] == 40
    assert isinstance(results["bad"], VideoDecodeError)
    assert np.all([not t.is_alive() for t in threads])
