"""Peak memory of `s2d annotate` does not grow with the video's length (a `slow` guard).

The real CLI in two subprocesses started side by side (`benchmarks.bench_memory.measure_pair`),
on generated H.264 videos of 10 s and 120 s at 320x240 with `--faces none` and the tiny golden
weights on the CPU; each one's peak RSS comes from `os.wait4`. The acceptance run (10 minutes,
1280x720 too, the default detector too) is `python benchmarks/bench_memory.py`; its figures,
and those of the code before the fix, which fails this test, are in the README ("Memory").
Deselected by default (`-m 'not slow ...'` in pyproject); run it with
`pytest -m slow tests/cli/test_memory.py`.
"""

from __future__ import annotations

import sys

import pytest

from benchmarks.bench_memory import TARGET, measure_pair

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="peak RSS from wait4 is read in KiB"),
]


def test_peak_memory_is_flat_in_the_video_length(tmp_path):
    short, long = measure_pair(tmp_path, "320x240", "none", 10.0, 120.0)
    # Both runs read their whole video: one clip a second (2 s windows, 1 s stride).
    assert short.clips == 9 and long.clips == 119, (short, long)
    ratio = long.peak_rss_mib / short.peak_rss_mib
    assert ratio <= TARGET, (ratio, short, long)
