"""Reports of a run, from its clip table: segments, per-video summary, plots and an HTML index.

Pure functions over pandas DataFrames (no video decoding, no torch); matplotlib is imported
only when a plot is drawn. `s2dcli.report.overlay` (boxes drawn into a copy of the video) is
imported on its own, as it needs the decoders.
"""

from __future__ import annotations

from s2dcli.report.html import render_index, write_index
from s2dcli.report.plots import (
    CLASS_COLOURS,
    class_colours,
    plot_label_distribution,
    plot_timeline,
    timeline_filename,
)
from s2dcli.report.segments import SEGMENT_COLUMNS, owned_spans, segments
from s2dcli.report.summary import (
    SUMMARY_COLUMNS,
    VideoMeta,
    dominant,
    label_shares,
    owned_seconds,
    summary_frame,
    summary_row,
)

__all__ = [
    "CLASS_COLOURS",
    "SEGMENT_COLUMNS",
    "SUMMARY_COLUMNS",
    "VideoMeta",
    "class_colours",
    "dominant",
    "label_shares",
    "owned_seconds",
    "owned_spans",
    "plot_label_distribution",
    "plot_timeline",
    "render_index",
    "segments",
    "summary_frame",
    "summary_row",
    "timeline_filename",
    "write_index",
]
