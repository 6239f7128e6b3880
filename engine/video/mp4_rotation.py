"""The display rotation of an MP4/MOV video track, read from its `tkhd` box without decoding.

PyAV exposes the display matrix only on decoded frames; this lets the decord path learn the
rotation from the container alone (decord applies it itself but does not report it). FFmpeg
derives its display matrix from the same box: for the matrix [a b u; c d v; x y w], the
clockwise rotation is atan2(b, a).
"""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

_MAX_BOXES = 10_000  # a sanity bound on a corrupt file's box walk


def mp4_rotation(path: str | os.PathLike[str]) -> int | None:
    """Clockwise rotation (0, 90, 180, 270) of the first video track, or None if not found.

    None means: not an MP4/MOV file, no video track, or an unreadable structure; callers then
    fall back to decoding a frame.
    """
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            for kind, start, end in _boxes(f, 0, size):
                if kind == b"moov":
                    return _moov_rotation(f, start, end)
    except (OSError, struct.error, ValueError):
        return None
    return None


def _moov_rotation(f: BinaryIO, start: int, end: int) -> int | None:
    for kind, trak_start, trak_end in _boxes(f, start, end):
        if kind != b"trak":
            continue
        matrix: tuple[int, int] | None = None
        is_video = False
        for child, child_start, child_end in _boxes(f, trak_start, trak_end):
            if child == b"tkhd":
                matrix = _tkhd_ab(f, child_start, child_end)
            elif child == b"mdia":
                is_video = _is_video(f, child_start, child_end)
        if is_video and matrix is not None:
            a, b = matrix
            degrees = math.degrees(math.atan2(b, a)) % 360
            return round(degrees / 90.0) % 4 * 90
    return None


def _tkhd_ab(f: BinaryIO, start: int, end: int) -> tuple[int, int] | None:
    """The matrix entries a and b (16.16 fixed point) of a track header."""
    f.seek(start)
    version = f.read(1)
    if not version:
        return None
    offset = 4 + (32 if version[0] == 1 else 20) + 16  # times, ids, duration, layer, volume...
    if start + offset + 8 > end:
        return None
    f.seek(start + offset)
    a, b = struct.unpack(">ii", f.read(8))
    return a, b


def _is_video(f: BinaryIO, start: int, end: int) -> bool:
    for kind, hdlr_start, hdlr_end in _boxes(f, start, end):
        if kind == b"hdlr" and hdlr_start + 12 <= hdlr_end:
            f.seek(hdlr_start + 8)  # version/flags, pre_defined
            return f.read(4) == b"vide"
    return False


def _boxes(f: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes between `start` and `end`."""
    pos = start
    for _ in range(_MAX_BOXES):
        if pos + 8 > end:
            return
        f.seek(pos)
        size, kind = struct.unpack(">I4s", f.read(8))
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", f.read(8))
            header = 16
        elif size == 0:  # runs to the end of the enclosing box
            size = end - pos
        if size < header:
            return
        yield kind, pos + header, min(pos + size, end)
        pos += size
