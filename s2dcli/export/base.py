"""The contract every export format follows, and the rules shared by all of them.

A format is a `Writer`: for each exported video it names the files it will write and how to
make their bytes (`ExportFile`), and it may add files for the whole run (BORIS's ethogram).
Naming every file before rendering any lets the export refuse existing files up front and then
render and write one file at a time, so a long study never sits in memory at once.

Each video's files go under the output folder at the video's own relative path with its
extension replaced (`session one/pan left.mp4` -> `session one/pan left.eaf`), so videos of
different folders never collide; two videos of one folder that differ only in extension
(`a.mp4`, `a.mov`) keep it (`a.mp4.eaf`, `a.mov.eaf`). Times are written in milliseconds,
rounded from the clip table's seconds (which annotate keeps to the millisecond).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from s2dcli.export.results import RunResults, VideoData


@dataclass(frozen=True)
class ExportFile:
    """One file an export writes: where, and how to make its bytes (called once, late)."""

    path: Path
    render: Callable[[], bytes]


@dataclass(frozen=True)
class Writer:
    """One export format.

    Attributes:
        name: the `--format` name.
        summary: what it writes, in a few words (for `--help` and messages).
        video_files: (run, video, base) -> its files for one video, where `base` is the
            video's output path without an extension (see the module docstring).
        run_files: (run, out_dir, videos) -> files for the whole run, or None.
        needs_media: whether it links the video files (they are looked for only then).
    """

    name: str
    summary: str
    video_files: Callable[[RunResults, VideoData, Path], list[ExportFile]]
    run_files: Callable[[RunResults, Path, Sequence[VideoData]], list[ExportFile]] | None = None
    needs_media: bool = False


def ms(seconds: float) -> int:
    """Seconds -> whole milliseconds (round half to even, as `round`)."""
    return round(float(seconds) * 1000.0)


@dataclass(frozen=True)
class Segment:
    """One label segment of a face, in whole milliseconds."""

    face_id: int
    start_ms: int
    end_ms: int
    label: str
    confidence: float


def segments_ms(video: VideoData) -> list[Segment]:
    """The video's label segments in the segments table's order, in milliseconds; a segment
    that rounds to zero length is left out (no format can show it)."""
    table = video.segments
    out = []
    for face, start, end, label, conf in zip(
        table["face_id"],
        table["start_s"],
        table["end_s"],
        table["label"],
        table["confidence"],
        strict=True,
    ):
        begin, stop = ms(start), ms(end)
        if stop > begin:
            out.append(Segment(int(face), begin, stop, str(label), float(conf)))
    return out


def face_name(face_id: int) -> str:
    """`face 0`: how every format names a face (ELAN tier, BORIS subject, cue prefix)."""
    return f"face {int(face_id)}"


def output_bases(names: Sequence[str], out_dir: Path) -> dict[str, Path]:
    """Video name -> its exports' path without an extension (see the module docstring).

    Parts that would leave the folder (`..`, a leading `/`) are dropped, so a results file
    can never make an export write outside `out_dir`.
    """
    parts = {name: _safe_parts(name) for name in names}
    stems = {name: (*p[:-1], PurePosixPath(p[-1]).stem or p[-1]) for name, p in parts.items()}
    seen: dict[str, list[str]] = {}
    for name, stem in stems.items():
        seen.setdefault("/".join(stem).casefold(), []).append(name)
    bases: dict[str, Path] = {}
    taken: set[str] = set()
    for name in names:
        chosen = stems[name] if len(seen["/".join(stems[name]).casefold()]) == 1 else parts[name]
        key = "/".join(chosen).casefold()
        candidate, n = chosen, 1
        while key in taken:  # e.g. `a.mp4` and `a.mp4.mov`: number the later one
            n += 1
            candidate = (*chosen[:-1], f"{chosen[-1]} ({n})")
            key = "/".join(candidate).casefold()
        taken.add(key)
        bases[name] = out_dir.joinpath(*candidate)
    return bases


def _safe_parts(name: str) -> tuple[str, ...]:
    parts = tuple(p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("/", ".."))
    return parts or ("video",)


def with_suffix(base: Path, suffix: str) -> Path:
    """`base` + `suffix` (`Path.with_suffix` would cut a dotted name such as `a.b`)."""
    return base.with_name(base.name + suffix)


__all__ = ["ExportFile", "Writer", "face_name", "ms", "output_bases", "with_suffix"]
