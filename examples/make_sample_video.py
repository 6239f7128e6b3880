"""Build `examples/astronaut.mp4`: a 6 s, 25 fps, 480x360 H.264 pan and zoom over a portrait.

The photograph is NASA's portrait of astronaut Eileen Collins (public domain), as shipped by
scikit-image (`skimage.data.astronaut()`, 512x512 RGB). A 4:3 window moves over it with an
ease-in-out curve, from a wide view (384x288 source px) to a closer one (320x240 source px)
while drifting right, so the face moves ~75 px across the frame and grows from ~145 to
~170 px tall (MTCNN's boxes), always fully in view. Sub-pixel positions are interpolated,
so motion is smooth.

The output is deterministic for a given PyAV/x264 build (one encoder thread, fixed settings).

Usage (needs `pip install scikit-image`, which s2dcli itself does not):

    python examples/make_sample_video.py            # writes examples/astronaut.mp4
    python examples/make_sample_video.py -o other.mp4
"""

from __future__ import annotations

import argparse
import logging
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

WIDTH, HEIGHT, FPS, SECONDS = 480, 360, 25, 6.0
# Crop windows (source pixels of the 512x512 portrait): centre x, centre y, width (4:3).
START = (200.0, 150.0, 384.0)
END = (250.0, 135.0, 320.0)
CRF = 20  # visually clean for a photo pan, ~0.2 MB for 6 s

logger = logging.getLogger("make_sample_video")


def portrait() -> np.ndarray:
    """The astronaut portrait, (512, 512, 3) uint8 RGB."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


def frame_at(image: np.ndarray, t: float) -> np.ndarray:
    """The (HEIGHT, WIDTH, 3) frame at fraction `t` in [0, 1] of the move."""
    ease = (1.0 - np.cos(np.pi * t)) / 2.0
    cx, cy, crop_w = (a + (b - a) * ease for a, b in zip(START, END, strict=True))
    scale = WIDTH / crop_w
    # output = scale * (input - crop's top-left corner)
    x0, y0 = cx - crop_w / 2, cy - crop_w * HEIGHT / WIDTH / 2
    matrix = np.array([[scale, 0.0, -scale * x0], [0.0, scale, -scale * y0]], np.float64)
    return cv2.warpAffine(
        image, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT
    )


def write_video(path: Path) -> None:
    """Encode the pan and zoom to `path` (H.264, yuv420p, moov atom first)."""
    image = portrait()
    frames = round(SECONDS * FPS)
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.codec_context.time_base = Fraction(1, FPS)
        stream.codec_context.options = {"crf": str(CRF), "preset": "slow", "threads": "1"}
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(frame_at(image, i / (frames - 1)), format="rgb24")
            frame.time_base = stream.codec_context.time_base
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).with_name("astronaut.mp4")
    parser.add_argument("-o", "--output", type=Path, default=default, help=f"default {default}")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    write_video(args.output)
    logger.info("wrote %s (%.0f KB)", args.output, args.output.stat().st_size / 1024)


if __name__ == "__main__":
    main()
