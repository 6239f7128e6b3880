"""WebVTT and SRT: one subtitle file per video, one cue per label segment.

Each cue reads `face 0: Happy (0.82)` (the face, the segment's label and its mean confidence,
as in the segments table) and lasts from the segment's start to its end, in milliseconds. Faces
seen at the same time give cues that overlap, which both formats allow: players show them
stacked. Cues are ordered by start time, then face. A segment that rounds to zero length is
left out (no player can show it). A video without a face gets a valid file with no cues.

Written with `webvtt-py` and `srt`, so any player that loads `video.vtt` / `video.srt` shows the
labels as subtitles (most do when the file sits beside the video with the same stem).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import srt
import webvtt

from s2dcli.export.base import ExportFile, Writer, face_name, segments_ms, with_suffix
from s2dcli.export.results import RunResults, VideoData


@dataclass(frozen=True)
class Cue:
    """One subtitle: from `start_ms` to `end_ms`, showing `text`."""

    start_ms: int
    end_ms: int
    face_id: int
    text: str


def cue_text(face_id: int, label: str, confidence: float) -> str:
    """`face 0: Happy (0.82)`."""
    return f"{face_name(face_id)}: {label} ({float(confidence):.2f})"


def cues(video: VideoData) -> list[Cue]:
    """The cues of one video (see the module docstring)."""
    out = [
        Cue(s.start_ms, s.end_ms, s.face_id, cue_text(s.face_id, s.label, s.confidence))
        for s in segments_ms(video)
    ]
    return sorted(out, key=lambda c: (c.start_ms, c.face_id, c.end_ms))


def vtt_timestamp(milliseconds: int) -> str:
    """`HH:MM:SS.mmm` (hours grow past 99 if need be)."""
    seconds, milli = divmod(int(milliseconds), 1000)
    minutes, sec = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours:02d}:{minute:02d}:{sec:02d}.{milli:03d}"


def vtt_bytes(video: VideoData) -> bytes:
    """The video's WebVTT file. Cue text is escaped (`&`, `<`, `>`), so a class name can never
    start a tag or end a cue; `html.unescape` gives it back."""
    document = webvtt.WebVTT()
    for cue in cues(video):
        document.captions.append(
            webvtt.Caption(
                start=vtt_timestamp(cue.start_ms),
                end=vtt_timestamp(cue.end_ms),
                text=html.escape(cue.text, quote=False),
            )
        )
    text = document.content if document.captions else "WEBVTT\n"
    return text.encode("utf-8")


def srt_bytes(video: VideoData) -> bytes:
    """The video's SRT file (cues numbered from 1 in time order; empty when there are none)."""
    subtitles = [
        srt.Subtitle(
            index=i,
            start=timedelta(milliseconds=cue.start_ms),
            end=timedelta(milliseconds=cue.end_ms),
            content=cue.text,
        )
        for i, cue in enumerate(cues(video), start=1)
    ]
    return srt.compose(subtitles, reindex=False).encode("utf-8")


def _vtt_files(run: RunResults, video: VideoData, base: Path) -> list[ExportFile]:
    return [ExportFile(with_suffix(base, ".vtt"), lambda: vtt_bytes(video))]


def _srt_files(run: RunResults, video: VideoData, base: Path) -> list[ExportFile]:
    return [ExportFile(with_suffix(base, ".srt"), lambda: srt_bytes(video))]


VTT = Writer(
    name="vtt",
    summary="one .vtt per video (WebVTT): a cue per label segment, `face 0: Happy (0.82)`",
    video_files=_vtt_files,
)
SRT = Writer(
    name="srt",
    summary="one .srt per video (SubRip): a cue per label segment, `face 0: Happy (0.82)`",
    video_files=_srt_files,
)

__all__ = ["SRT", "VTT", "Cue", "cue_text", "cues", "srt_bytes", "vtt_bytes", "vtt_timestamp"]
