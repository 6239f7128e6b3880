"""Small real test videos written with PyAV, each frame carrying its own index.

Every frame shows its index as a row of black/white blocks (one bit per block, least significant
bit on the left) in the top band, plus an asymmetric grey marker in the bottom-left corner, so
that order, identity and orientation survive lossy compression. `read_index` reads it back.

Importable from tests and benchmarks: `from tests.engine.videos import write_video, ...`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

BLOCK = 8  # pixels per bit block; a multiple of the 2x2 chroma subsampling and of 8x8 DCTs


@dataclass(frozen=True)
class MadeVideo:
    """What a generator wrote, for tests to compare against.

    Attributes:
        path: The file.
        pts_s: Presentation time of each frame in seconds, in display order.
        height: Upright frame height (after applying `rotation`).
        width: Upright frame width.
        fps: Nominal frame rate given to the encoder.
        rotation: Clockwise degrees a player turns the stored frames to show them upright.
    """

    path: Path
    pts_s: tuple[float, ...]
    height: int
    width: int
    fps: float
    rotation: int = 0

    @property
    def num_frames(self) -> int:
        return len(self.pts_s)


def frame_pattern(index: int, height: int, width: int) -> np.ndarray:
    """The upright image of frame `index`.

    Args:
        index: Frame index, encoded in binary into `width // BLOCK` blocks.
        height: Image height, at least 3 * BLOCK.
        width: Image width.

    Returns:
        uint8 (height, width, 3).
    """
    bits = width // BLOCK
    if index >= 2**bits:
        raise ValueError(f"index {index} does not fit in {bits} blocks; use a wider frame")
    image = np.full((height, width, 3), 96, np.uint8)
    for bit in range(bits):
        value = 255 if (index >> bit) & 1 else 0
        image[:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = value
    image[height - 2 * BLOCK :, : 2 * BLOCK] = 200  # orientation marker, bottom-left
    return image


def read_index(image: np.ndarray) -> int:
    """Read back the index written by `frame_pattern` from an upright decoded image (H, W, 3)."""
    bits = image.shape[1] // BLOCK
    index = 0
    for bit in range(bits):
        block = image[2 : BLOCK - 2, bit * BLOCK + 2 : (bit + 1) * BLOCK - 2]
        if block.mean() > 128:
            index |= 1 << bit
    return index


def write_video(
    path: str | os.PathLike[str],
    num_frames: int,
    *,
    height: int = 48,
    width: int = 64,
    fps: int = 25,
    codec: str = "libx264",
    pts_s: Sequence[float] | None = None,
    rotation: int = 0,
    faststart: bool = False,
    gop: int = 12,
    bframes: int = 0,
) -> MadeVideo:
    """Encode `num_frames` pattern frames into `path` (container chosen by the extension).

    Args:
        path: Output file, e.g. `.mp4` or `.avi`.
        num_frames: Frames to write.
        height: Upright height.
        width: Upright width.
        fps: Nominal frame rate.
        codec: Encoder name, e.g. `libx264` or `mjpeg`.
        pts_s: Presentation times in seconds (millisecond precision) for a variable frame rate;
            default `index / fps`.
        rotation: 0, 90, 180 or 270: clockwise degrees the player must turn the stored frames.
            Frames are stored turned the other way and the display matrix is set, like a phone.
        faststart: Put the mp4 index (moov) before the data, so a truncated file stays readable.
        gop: Keyframe interval.
        bframes: H.264 B-frames between references (decode order then differs from display).

    Returns:
        The `MadeVideo` description.
    """
    path = Path(path)
    variable = pts_s is not None
    if pts_s is None:
        pts_s = [i / fps for i in range(num_frames)]
    if len(pts_s) != num_frames:
        raise ValueError(f"pts_s has {len(pts_s)} entries for {num_frames} frames")
    quarter_turns = (rotation // 90) % 4
    stored_h, stored_w = (width, height) if quarter_turns % 2 else (height, width)
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = stored_w, stored_h
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        # A millisecond time base carries irregular times; constant rates keep 1/fps (AVI needs it).
        stream.codec_context.time_base = Fraction(1, 1000) if variable else Fraction(1, fps)
        stream.codec_context.gop_size = gop
        if codec == "libx264":
            stream.codec_context.options = {"crf": "18", "preset": "ultrafast", "bf": str(bframes)}
        elif codec == "mjpeg":
            stream.codec_context.options = {"q:v": "2"}
        if rotation:
            # PyAV's angle is counter-clockwise (as `VideoFrame.rotation` reads it back).
            stream.set_display_rotation(-rotation)
        for index, t in enumerate(pts_s):
            upright = frame_pattern(index, height, width)
            # Stored = upright turned counter-clockwise, so that the player's clockwise turn
            # restores it.
            stored = np.ascontiguousarray(np.rot90(upright, k=quarter_turns))
            frame = av.VideoFrame.from_ndarray(stored, format="rgb24")
            frame.time_base = stream.codec_context.time_base
            frame.pts = round(t * 1000) if variable else index
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return MadeVideo(path, tuple(float(t) for t in pts_s), height, width, float(fps), rotation)


def vfr_times(num_frames: int) -> list[float]:
    """Irregular presentation times: gaps of 20, 40 and 100 ms in a repeating pattern."""
    gaps = (0.020, 0.040, 0.020, 0.100, 0.040)
    times, t = [], 0.0
    for i in range(num_frames):
        times.append(round(t, 3))
        t += gaps[i % len(gaps)]
    return times


def truncate_copy(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], fraction: float
) -> Path:
    """Copy the first `fraction` of the bytes of `src` to `dst`."""
    data = Path(src).read_bytes()
    dst = Path(dst)
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def damage_copy(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], frame: int, nbytes: int = 200
) -> Path:
    """Copy `src` to `dst` with `nbytes` of its video data overwritten by noise, from the
    start of the packet of `frame` (in decode order; without B-frames, display order too):
    a damaged stretch in the middle of an mp4's `mdat`, the container left intact."""
    data = bytearray(Path(src).read_bytes())
    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        positions = [p.pos for p in container.demux(stream) if p.size and p.pos is not None]
    start = positions[frame]
    noise = np.random.default_rng(frame).integers(0, 256, nbytes, dtype=np.uint8)
    data[start : start + nbytes] = noise.tobytes()
    dst = Path(dst)
    dst.write_bytes(bytes(data))
    return dst


def write_audio_only(path: str | os.PathLike[str]) -> Path:
    """An mp4 with one AAC stream and no video."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        for i in range(8):
            samples = np.zeros((1, 1024), np.float32)
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, i * 1024
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return Path(path)


def write_no_frames(path: str | os.PathLike[str]) -> Path:
    """An AVI whose MJPEG video stream has a header but not a single frame."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mjpeg", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        container.start_encoding()
    return Path(path)


def write_unknown_codec(path: str | os.PathLike[str]) -> Path:
    """An mp4 whose video codec tag FFmpeg does not know (the avc1 sample entry renamed)."""
    tmp = Path(path).with_suffix(".src.mp4")
    data = write_video(tmp, 5).path.read_bytes()
    tmp.unlink()
    Path(path).write_bytes(data.replace(b"avc1", b"zzzz"))
    return Path(path)


@dataclass(frozen=True)
class VideoSet:
    """The set of videos the engine tests read, written once per test session."""

    h264: MadeVideo
    mjpeg: MadeVideo
    vfr: MadeVideo  # irregular gaps, B-frames, first frame at 0.5 s
    one_frame: MadeVideo
    rotated: dict[int, MadeVideo]  # by clockwise rotation: 90, 180, 270
    faststart: MadeVideo  # index first: still readable when cut short
    bad: dict[str, Path]  # by kind, see `make_test_videos`


def make_test_videos(directory: str | os.PathLike[str]) -> VideoSet:
    """Write every test video into `directory` (about 0.3 s on one core)."""
    d = Path(directory)
    faststart = write_video(d / "faststart.mp4", 60, width=96, height=48, faststart=True)
    mjpeg_long = write_video(d / "long.avi", 60, codec="mjpeg")
    not_a_video = d / "not_a_video.mp4"
    not_a_video.write_text("this is a text file, not a video\n" * 20)
    zero = d / "zero.mp4"
    zero.write_bytes(b"")
    whole = write_video(d / "moov_at_end.mp4", 30).path
    subdir = d / "a_directory.mp4"
    subdir.mkdir()
    bad = {
        "zero": zero,
        "text": not_a_video,
        "missing": d / "missing.mp4",
        "directory": subdir,
        "no_index": truncate_copy(whole, d / "truncated_no_index.mp4", 0.5),
        "audio_only": write_audio_only(d / "audio_only.mp4"),
        "no_frames": write_no_frames(d / "no_frames.avi"),
        "unknown_codec": write_unknown_codec(d / "unknown_codec.mp4"),
        "truncated": truncate_copy(faststart.path, d / "truncated.mp4", 0.6),
        "truncated_avi": truncate_copy(mjpeg_long.path, d / "truncated.avi", 0.5),
    }
    vfr_times_s = [round(0.5 + t, 3) for t in vfr_times(40)]
    return VideoSet(
        h264=write_video(d / "h264.mp4", 50, width=96, height=64),
        mjpeg=write_video(d / "mjpeg.avi", 20, codec="mjpeg"),
        vfr=write_video(d / "vfr.mp4", 40, pts_s=vfr_times_s, bframes=2),
        one_frame=write_video(d / "one_frame.mp4", 1),
        rotated={r: write_video(d / f"rotated_{r}.mp4", 12, rotation=r) for r in (90, 180, 270)},
        faststart=faststart,
        bad=bad,
    )


def write_frames(
    path: str | os.PathLike[str],
    frames: Sequence[np.ndarray],
    fps: int = 25,
    codec: str = "libx264",
    crf: int = 18,
) -> Path:
    """Encode RGB frames (all one even size) into `path`, at a constant `fps`."""
    path = Path(path)
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        if codec == "libx264":
            stream.codec_context.options = {"crf": str(crf), "preset": "ultrafast", "bf": "0"}
        for image in frames:
            container.mux(
                stream.encode(
                    av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
                )
            )
        container.mux(stream.encode())
    return path
