"""Cutting face tracks into fixed-length clips.

`sampling` holds the pure rules (`sample_clips` on a whole track); `cutter` applies them to a
track that is still growing while the video is decoded (`StreamingClipCutter`), so only the
crops a later clip can use stay in memory.

    from s2dcli.clips import ClipConfig, sample_clips, StreamingClipCutter
"""

from s2dcli.clips.cutter import CutClip, StreamingClipCutter
from s2dcli.clips.sampling import (
    ClipConfig,
    ClipSpec,
    TrackFrames,
    clip_for_window,
    frame_duration,
    sample_clips,
    window_starts,
)

__all__ = [
    "ClipConfig",
    "ClipSpec",
    "CutClip",
    "StreamingClipCutter",
    "TrackFrames",
    "clip_for_window",
    "frame_duration",
    "sample_clips",
    "window_starts",
]
