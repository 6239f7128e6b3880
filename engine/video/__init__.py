"""Video input for the engine: one front-to-back decode per video, upright RGB frames.

    from engine.video import open_video

    with open_video("talk.mp4", timeout_s=30) as video:
        print(video.info)  # width/height after rotation, fps, num_frames, backend, ...
        for frame in video:  # zero-copy: read-only views of the decoder's output
            frame.index, frame.pts_s, frame.image  # int, float seconds, uint8 (H, W, 3)

    with open_video("talk.mp4") as video:
        for batch in video.iter_batches(max_frames=32):  # one copy per frame into the batch
            batch.frames, batch.indices, batch.pts_s  # (N, H, W, 3) uint8, (N,) int64, (N,) f64

Backends are decord (first) and PyAV (fallback, and the probe). Bad input raises
`VideoDecodeError(path, reason)`, and nothing else.
"""

from engine.video.reader import VideoReader, open_video, probe
from engine.video.types import DecodeBreak, Frame, FrameBatch, VideoDecodeError, VideoInfo

__all__ = [
    "DecodeBreak",
    "Frame",
    "FrameBatch",
    "VideoDecodeError",
    "VideoInfo",
    "VideoReader",
    "open_video",
    "probe",
]
