"""`damage_reason`: the summary's plain sentence for a partly decoded video."""

from __future__ import annotations

from pathlib import Path

from engine.video import DecodeBreak, VideoDecodeError, VideoInfo
from s2dcli.pipeline.damage import damage_reason

INFO = VideoInfo(Path("a.mp4"), 128, 96, 25.0, 150, 6.0, 0, "pyav", "h264")
GAP = DecodeBreak(43, 1.72, 50, 2.0, "corrupt data", "[Errno 1094995529] Invalid data")
STOP = VideoDecodeError("a.mp4", "decoding failed", frame=43, cause="corrupt data", detail="x")


def test_nothing_lost_is_no_reason():
    assert damage_reason(INFO, [], None, None, 5) is None


def test_stopped_for_good():
    assert damage_reason(INFO, [], STOP, 1.72, 1) == (
        "decoding failed at frame 43 (about 1.7 s) of about 150: corrupt data; clips before it kept"
    )


def test_resumed():
    assert damage_reason(INFO, [GAP], None, None, 5) == (
        "decoding failed at frame 43 (about 1.7 s) of about 150: corrupt data; "
        "resumed at frame 50 (about 2.0 s); clips before and after it kept"
    )


def test_several_stretches_then_a_stop():
    later = DecodeBreak(80, 3.2, 100, 4.0, "corrupt data", "")
    stop = VideoDecodeError("a.mp4", "x", frame=120, cause="the file is cut short")
    assert damage_reason(INFO, [GAP, later, later], stop, 4.8, 4) == (
        "decoding failed at frame 43 (about 1.7 s) of about 150: corrupt data; "
        "resumed at frame 50 (about 2.0 s); 2 more damaged stretches skipped; "
        "failed for good at frame 120 (about 4.8 s): the file is cut short; "
        "clips before that kept"
    )


def test_no_clip_and_no_frame_count():
    info = VideoInfo(Path("a.mkv"), 128, 96, 25.0, None, None, 0, "pyav", "h264")
    assert damage_reason(info, [], STOP, None, 0) == (
        "decoding failed at frame 43: corrupt data; no clip in the frames that decoded"
    )
