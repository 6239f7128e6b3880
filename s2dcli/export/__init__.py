"""Exports of an annotate run for the tools behavioural scientists code video in.

    from s2dcli.export import export
    result = export("results.csv", ["elan", "boris", "vtt", "srt"], "exports/")

- `elan`: `<video>.eaf` per video (`s2dcli.export.elan`);
- `boris`: per face a probability file BORIS plots beside the video, per video the segments
  as state events to import, and the run's ethogram and subjects (`s2dcli.export.boris`);
- `vtt`, `srt`: `<video>.vtt` / `<video>.srt` subtitles, a cue per segment
  (`s2dcli.export.subtitles`).
"""

from s2dcli.export.results import RunResults, Skipped, VideoData, read_results
from s2dcli.export.run import (
    FORMATS,
    ExportResult,
    default_output,
    export,
    parse_formats,
)

__all__ = [
    "FORMATS",
    "ExportResult",
    "RunResults",
    "Skipped",
    "VideoData",
    "default_output",
    "export",
    "parse_formats",
    "read_results",
]
