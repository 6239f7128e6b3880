"""Benchmark input: a generated H.264 video with a real face in it, and its first frames."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from engine.video import open_video

_PAN_CYCLE = 500  # frames


def face_photo(side: int) -> np.ndarray | None:
    """A face photo, `side` px square (RGB): InsightFace's close-up, else scikit-image's
    astronaut; None when neither package is installed."""
    import cv2

    image = None
    spec = importlib.util.find_spec("insightface")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations))) / "data" / "images"
        bgr = cv2.imread(str(folder / "Tom_Hanks_54745.png"), cv2.IMREAD_COLOR)
        if bgr is not None:
            image = np.ascontiguousarray(bgr[:, :, ::-1])
    if image is None:
        try:
            from skimage import data

            image = np.ascontiguousarray(data.astronaut()[40:240, 120:320])
        except ImportError:
            return None
    return cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)


def make_video(
    path: Path,
    seconds: float = 4.0,
    width: int = 640,
    height: int = 360,
    fps: int = 25,
    seed: int = 0,
) -> Path:
    """Write a camera pan over a random texture with a face sliding across it (H.264, long GOP).

    `seed` changes the texture and where the face starts, so several videos differ. Frames are
    made one at a time (the pan starts over every 20 s at 25 fps), so an hour-long video takes
    no more memory to write than a short one.
    """
    import av

    rng = np.random.default_rng(seed)
    frames = max(1, round(seconds * fps))
    cycle = min(frames, _PAN_CYCLE)  # the pan starts over every cycle: memory stays flat
    small = rng.integers(0, 256, (height // 8 + 1, (width + 2 * cycle) // 8 + 1, 3), np.uint8)
    texture = np.repeat(np.repeat(small, 8, 0), 8, 1)
    face = face_photo(min(height - 40, 240))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = 250
        stream.codec_context.options = {"preset": "veryfast", "crf": "20"}
        for i in range(frames):
            shift = 2 * (i % cycle)
            image = np.ascontiguousarray(texture[:height, shift : shift + width])
            if face is not None:
                side = face.shape[0]
                span = max(1, width - side - 40)
                x = 20 + abs((3 * i + 37 * seed) % (2 * span) - span)  # back and forth
                y = (height - side) // 2
                image[y : y + side, x : x + side] = face
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return path


def read_frames(path: Path, count: int) -> list[np.ndarray]:
    """The first `count` frames of `path`, as RGB arrays of their own."""
    frames = []
    with open_video(path) as video:
        for frame in video:
            frames.append(np.array(frame.image))
            if len(frames) == count:
                break
    return frames
