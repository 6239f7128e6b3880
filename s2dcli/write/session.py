"""A run's outputs from start to end: journal and live table while it runs, then every final
file (table, summary, segments, plots, report, run record).

Each finished video goes to the journal first (durably), then to the live table, then to its
overlay; the final files are rebuilt from the records in input order, so a resumed run ends
with exactly the bytes of an uninterrupted one. Any failed write is an `OutputWriteError`
(exit status 3); the journal stays consistent, so `--resume` continues after the fault.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from s2dcli.config import OutputOptions
from s2dcli.errors import OutputWriteError
from s2dcli.write import writer_for
from s2dcli.write.csv_writer import write_csv
from s2dcli.write.journal import Journal
from s2dcli.write.plan import LABEL_CHART, OVERLAY_SUFFIX, PLOTS_INDEX
from s2dcli.write.rows import VideoRecord, clips_frame
from s2dcli.write.run_record import write_run_record

if TYPE_CHECKING:
    from s2dcli.clips import TrackFrames

log = logging.getLogger("s2d.write")

# Errors that say the output's disk or folder failed (not the video being read).
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EFBIG, errno.ESTALE}


class OutputSession:
    """The files of one run (see the module docstring).

    Args:
        outputs: where the files go.
        files: every file the run writes (kept in the journal's header).
        fingerprint: what makes results comparable, for `--resume`.
        classes: the model's class names.
    """

    def __init__(
        self,
        outputs: OutputOptions,
        files: list[str],
        fingerprint: dict[str, object],
        classes: Sequence[str],
    ) -> None:
        self.outputs = outputs
        self.classes = list(classes)
        self.journal = Journal(outputs.journal_path, fingerprint, files)
        self.table = writer_for(outputs.output)

    def start(self, videos: Sequence[str]) -> dict[str, VideoRecord]:
        """Open the journal (loading it with `--resume`) and the live table; returns the
        records of videos an earlier run finished."""
        self.journal.start(resume=self.outputs.resume)
        names = set(videos)
        done = {
            name: record
            for name, record in self.journal.records.items()
            if name in names and record.status != "failed"
        }
        self.table.open(clips_frame([done[v] for v in videos if v in done], self.classes))
        return done

    def add(self, record: VideoRecord, video_path: Path, tracks: list[TrackFrames] | None) -> None:
        """One finished video: journal, live table, and its overlay when asked for."""
        self.journal.append(record)
        self.table.append(clips_frame([record], self.classes))
        if self.outputs.overlay is not None and tracks is not None:
            self._overlay(record, video_path, tracks)

    def finish(
        self, clips: pd.DataFrame, summary: pd.DataFrame, run_record: dict[str, object]
    ) -> None:
        """Write every final file."""
        from s2dcli.report import segments

        outputs = self.outputs
        self.table.close(clips)
        shares = [c for c in summary.columns if c.startswith("share_")]
        write_csv(summary.round({c: 6 for c in shares}), outputs.summary_path)
        write_csv(segments(clips).round({"confidence": 6}), outputs.segments_path)
        if outputs.plots is not None:
            self._plots(clips, summary)
        write_run_record(outputs.run_path, run_record)
        if outputs.report is not None:
            self._report()

    def _plots(self, clips: pd.DataFrame, summary: pd.DataFrame) -> None:
        from s2dcli.report import (
            plot_label_distribution,
            plot_timeline,
            timeline_filename,
            write_index,
        )
        from s2dcli.write.files import writing

        folder = self.outputs.plots
        assert folder is not None
        with writing(folder):
            folder.mkdir(parents=True, exist_ok=True)
            timelines = {}
            for video in summary["video"]:
                name = timeline_filename(video)
                plot_timeline(clips[clips["video"] == video], self.classes, folder / name, video)
                timelines[video] = name
            plot_label_distribution(clips, self.classes, folder / LABEL_CHART)
            write_index(folder / PLOTS_INDEX, summary, timelines, LABEL_CHART)

    def _report(self) -> None:
        from s2dcli.report.interactive import write_report

        outputs = self.outputs
        assert outputs.report is not None
        write_report(outputs.output, outputs.report, summary=outputs.summary_path, overwrite=True)

    def _overlay(self, record: VideoRecord, video_path: Path, tracks: list[TrackFrames]) -> None:
        from s2dcli.report.overlay import write_overlay
        from s2dcli.write.files import writing

        folder = self.outputs.overlay
        assert folder is not None
        target = folder / (record.video + OVERLAY_SUFFIX)
        with writing(target.parent):
            target.parent.mkdir(parents=True, exist_ok=True)
        try:
            write_overlay(video_path, target, tracks, clips_frame([record], self.classes))
        except OSError as exc:
            if exc.errno in DISK_ERRNOS:  # the disk, not the video: stop like any failed write
                raise OutputWriteError(target, exc) from exc
            log.warning("%s: no overlay written (%s)", record.video, exc)
        except Exception as exc:  # an overlay is a convenience: never fail the video for it
            log.warning("%s: no overlay written (%s: %s)", record.video, type(exc).__name__, exc)
