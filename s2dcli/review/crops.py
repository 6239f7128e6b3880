"""Preview strips for the review sheet: a few face crops from each chosen clip, one JPEG each.

Each video is decoded once, front to back, through the engine (`engine.video.open_video`),
and only up to the last frame a chosen clip needs. A clip's crops are `frames` frames spread
evenly from its first frame to its last, cut around the clip's box (the mean face box over
the clip that `annotate` recorded) with `engine.crop.crop_face`, and put side by side. With
`--faces none` runs the box is the frame's centre square, taken without a margin, as the model
saw it. A video that cannot be read gives no strips (a warning); the cards still show.

    strips = write_strips(chosen, {"a.mp4": Path("videos/a.mp4")}, out / "crops")
    strips[row_index]  # "crops/0001.jpg", relative to `out`
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from engine.crop import DEFAULT_MARGIN, crop_face

if TYPE_CHECKING:
    from engine.video import VideoReader  # imported when a sheet is written (it loads PyAV)

log = logging.getLogger("s2d.review")


class _BoxRow(Protocol):
    """A row of `DataFrame.itertuples()` over a clip table (pandas types its cells as Any)."""

    box_x: Any
    box_y: Any
    box_w: Any
    box_h: Any


@dataclass(frozen=True)
class StripOptions:
    """How the previews look.

    Attributes:
        frames: crops per clip (fewer when the clip has fewer frames).
        size: side of each crop in pixels.
        margin: crop side over the box's longer side (1.0 for `--faces none` runs).
        quality: JPEG quality.
        timeout_s: longest wait for the decoder (None: forever).
    """

    frames: int = 4
    size: int = 112
    margin: float = DEFAULT_MARGIN
    quality: int = 85
    timeout_s: float | None = 30.0


def frame_positions(start_frame: int, end_frame: int, count: int) -> list[int]:
    """`count` frame indices spread evenly over `[start_frame, end_frame]` (distinct)."""
    if end_frame < start_frame:
        end_frame = start_frame
    spots = np.linspace(start_frame, end_frame, max(1, count))
    return sorted({round(float(s)) for s in spots})


def write_strips(
    chosen: pd.DataFrame,
    videos: Mapping[str, Path],
    folder: Path,
    options: StripOptions | None = None,
    on_video: Callable[[int, int], None] | None = None,
) -> dict[object, str]:
    """Write one strip per chosen clip into `folder` (`0001.jpg`, ... in `chosen`'s order).

    Args:
        chosen: clip rows with video, start_frame, end_frame and box_x/y/w/h.
        videos: video name -> file; clips of other videos get no strip.
        folder: where the JPEGs go (created).
        options: crop count, size, margin, quality.
        on_video: called with (videos done, videos in all) after each video.

    Returns:
        The row index of each clip that got a strip -> its path relative to `folder`'s parent.
    """
    from engine.video import VideoDecodeError, open_video

    options = options or StripOptions()
    folder.mkdir(parents=True, exist_ok=True)
    names = {index: f"{n:04d}.jpg" for n, index in enumerate(chosen.index, start=1)}
    out: dict[object, str] = {}
    groups = list(chosen.groupby("video", sort=False))
    for done, (video, rows) in enumerate(groups, start=1):
        path = videos.get(str(video))
        if path is None:
            log.warning("%s: the video is not available; its cards show no frames", video)
        else:
            wanted = {
                index: frame_positions(int(row.start_frame), int(row.end_frame), options.frames)
                for index, row in zip(rows.index, rows.itertuples(), strict=True)
            }
            try:
                crops = _crops(path, rows, wanted, options, open_video)
            except VideoDecodeError as exc:
                log.warning("%s: no frames for the review sheet (%s)", video, exc.reason)
                crops = {}
            for index, images in crops.items():
                if images:
                    _write_jpeg(
                        folder / names[index], np.concatenate(images, axis=1), options.quality
                    )
                    out[index] = f"{folder.name}/{names[index]}"
        if on_video is not None:
            on_video(done, len(groups))
    return out


def _crops(
    path: Path,
    rows: pd.DataFrame,
    wanted: dict[object, list[int]],
    options: StripOptions,
    open_video: Callable[..., VideoReader],
) -> dict[object, list[np.ndarray]]:
    by_frame: dict[int, list[object]] = {}
    for index, positions in wanted.items():
        for position in positions:
            by_frame.setdefault(position, []).append(index)
    last = max(by_frame) if by_frame else -1
    boxes = {index: _xyxy(row) for index, row in zip(rows.index, rows.itertuples(), strict=True)}
    crops: dict[object, list[np.ndarray]] = {index: [] for index in wanted}
    with open_video(path, timeout_s=options.timeout_s) as reader:
        for frame in reader:
            for index in by_frame.get(frame.index, ()):
                crops[index].append(
                    crop_face(frame.image, boxes[index], options.size, options.margin)
                )
            if frame.index >= last:
                break
    return crops


def _xyxy(row: _BoxRow) -> np.ndarray:
    x, y = float(row.box_x), float(row.box_y)
    w, h = float(row.box_w), float(row.box_h)
    return np.array([x, y, x + w, y + h], np.float64)


def _write_jpeg(path: Path, image: np.ndarray, quality: int) -> None:
    import cv2

    ok, data = cv2.imencode(
        ".jpg", np.ascontiguousarray(image[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    )
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 BGR image
        raise RuntimeError(f"OpenCV could not encode {path.name}")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data.tobytes())
    os.replace(tmp, path)


__all__ = ["StripOptions", "frame_positions", "write_strips"]
