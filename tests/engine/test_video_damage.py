"""engine.video on a damaged stretch mid-stream: what decodes is kept, on both decoders.

The video is a real H.264 mp4 whose `mdat` has noise over a few packets from frame 43 (keyframes
every 25 frames): PyAV skips to the keyframe at 50 and goes on; decord cannot resume, so its
frames end at 43 with a plain `VideoDecodeError`. The frames carry their index in their pixels,
so the tests check that indices after the skip are the frames' real positions.
"""

from __future__ import annotations

import pickle

import pytest

from engine.video import DecodeBreak, VideoDecodeError, open_video
from engine.video.decord_source import decord_module
from tests.engine.videos import damage_copy, read_index, write_video

HAS_DECORD = decord_module() is not None
FRAMES, DAMAGED, KEYFRAME = 150, 43, 50


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("damaged")
    made = write_video(folder / "good.mp4", FRAMES, height=96, width=128, gop=25)
    return damage_copy(made.path, folder / "damaged.mp4", DAMAGED)


def test_pyav_resumes_at_the_next_keyframe(damaged):
    with open_video(damaged, backend="pyav") as video:
        frames = [(f.index, read_index(f.image), f.pts_s) for f in video]
        breaks = video.breaks
    indices = [i for i, _, _ in frames]
    assert indices == [*range(DAMAGED), *range(KEYFRAME, FRAMES)]
    assert all(index == shown for index, shown, _ in frames)  # indices count the lost frames
    (gap,) = breaks
    assert isinstance(gap, DecodeBreak)
    assert (gap.frame, gap.resumed_frame, gap.cause) == (DAMAGED, KEYFRAME, "corrupt data")
    assert gap.time_s == pytest.approx(DAMAGED / 25) and gap.resumed_s == pytest.approx(2.0)
    assert "Invalid data" in gap.detail  # FFmpeg's own words, for the debug log


def test_pyav_batches_after_a_skip_are_contiguous(damaged):
    with open_video(damaged, backend="pyav") as video:
        batches = list(video.iter_batches(max_frames=16))
    for batch in batches:
        shown = [read_index(image) for image in batch.frames]
        assert batch.indices.tolist() == shown
        assert shown == list(range(shown[0], shown[0] + len(shown)))
    assert sum(len(b) for b in batches) == FRAMES - (KEYFRAME - DAMAGED)


@pytest.mark.skipif(not HAS_DECORD, reason="no decord")
def test_decord_keeps_the_frames_before_and_says_why_plainly(damaged):
    decoded = []
    with open_video(damaged, backend="decord") as video, pytest.raises(VideoDecodeError) as caught:
        for frame in video:
            decoded.append(read_index(frame.image))
    # decord decodes ahead and drops what it holds when it fails: at most the frames before.
    assert decoded == list(range(len(decoded))) and 0 < len(decoded) <= DAMAGED
    error = caught.value
    assert (error.frame, error.cause) == (len(decoded), "corrupt data")
    assert "Check failed" not in error.reason and "avcodec" not in error.reason
    assert "avcodec_send_packet" in error.detail  # decord's own words, for the debug log


def test_an_undamaged_video_has_no_break(tmp_path):
    made = write_video(tmp_path / "good.mp4", 60, height=48, width=96, gop=25)
    with open_video(made.path, backend="pyav") as video:
        assert len(list(video)) == 60
        assert video.breaks == []


def test_error_pickles_with_where_it_broke():
    error = VideoDecodeError("a.mp4", "why", frame=7, cause="corrupt data", detail="raw")
    again = pickle.loads(pickle.dumps(error))
    assert (again.reason, again.frame, again.cause, again.detail) == (
        "why",
        7,
        "corrupt data",
        "raw",
    )
