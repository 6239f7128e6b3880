"""What a long track costs the streaming cutter: a few dozen bytes a frame, no object per value.

Counted with tracemalloc, not timed. A track is kept whole (its frames' numbers, times, boxes
and scores: the end-aligned window and the overlays need them), so it grows with its length;
packed in typed arrays that is 36 bytes a frame plus the clips' specs. Python lists of ints,
floats and box tuples (an object per value) held several times that, and fail this test.
"""

from __future__ import annotations

import tracemalloc

import numpy as np

from s2dcli.clips import ClipConfig, StreamingClipCutter


def test_a_long_track_holds_a_few_dozen_bytes_a_frame():
    cutter = StreamingClipCutter(0, ClipConfig(num_frames=4))
    crop = np.zeros((2, 2, 3), np.uint8)  # one small crop for every frame: only the track counts
    specs = []

    def feed(lo: int, hi: int) -> None:
        for i in range(lo, hi):
            cutter.add(i, i / 25, (10.0 + i % 7, 20.0, 30.0, 40.0), 0.9, crop)
            specs.extend(clip.spec for clip in cutter.ready())  # as the pipeline keeps them

    feed(0, 1_000)
    frames = 20_000  # 800 s at 25 fps
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        feed(1_000, 1_000 + frames)
        per_frame = (tracemalloc.get_traced_memory()[0] - before) / frames
    finally:
        tracemalloc.stop()
    assert len(specs) > 800  # one clip a second: their specs are counted too (about 30 B/frame)
    assert cutter.crops_held < 100  # crops: only the windows still to come
    assert 36 <= per_frame < 100, per_frame
    track = cutter.track_frames()
    assert len(track.frame_indices) == 1_000 + frames
    assert track.boxes.dtype == np.float32 and track.times_s.dtype == np.float64
    np.testing.assert_array_equal(track.boxes[-1], [10.0 + 20_999 % 7, 20.0, 30.0, 40.0])
