"""Every file a run will write, known before any work starts, and the rule that none of them
is replaced by accident.

A new run stops at once when any of its files exists (`--overwrite` replaces them); a resumed
run may find only the files its journal lists as its own. Outputs of different formats that
share a stem (`r.csv`, `r.parquet`) would share the summary and segments files: the second run
finds them and stops, naming them, instead of replacing them silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from s2dcli.config import OutputOptions
from s2dcli.errors import InputError, OutputsExistError
from s2dcli.write.journal import journal_files

OVERLAY_SUFFIX = ".overlay.mp4"
LABEL_CHART = "label_distribution.png"
PLOTS_INDEX = "index.html"
REPORT_INDEX = "index.html"


def planned_files(outputs: OutputOptions, videos: Sequence[str]) -> list[Path]:
    """The files a run over `videos` (their names) writes, in a stable order."""
    from s2dcli.report.plots import timeline_filename

    files = [
        outputs.output,
        outputs.journal_path,
        outputs.run_path,
        outputs.summary_path,
        outputs.segments_path,
    ]
    if outputs.plots is not None:
        files += [outputs.plots / timeline_filename(video) for video in videos]
        files += [outputs.plots / LABEL_CHART, outputs.plots / PLOTS_INDEX]
    if outputs.overlay is not None:
        files += [outputs.overlay / (video + OVERLAY_SUFFIX) for video in videos]
    if outputs.report is not None:
        from s2dcli.report.interactive import report_files

        files += report_files(outputs.report, len(videos))
    return files


def check_outputs(outputs: OutputOptions) -> None:
    """The checks that need no video list: a known format, no contradicting flags, and a
    resume that has a journal to resume from."""
    from s2dcli.write import writer_class

    writer_class(outputs.output)
    if outputs.resume and outputs.overwrite:
        raise InputError("--resume and --overwrite contradict each other; choose one.")
    if outputs.resume and outputs.output.exists() and not outputs.journal_path.exists():
        raise InputError(
            f"Cannot resume: {outputs.output} has no journal "
            f"({outputs.journal_path.name}). Use --overwrite to start again."
        )
    collisions = {outputs.summary_path, outputs.segments_path} & {
        outputs.output,
        outputs.journal_path,
        outputs.run_path,
    }
    if collisions or outputs.summary_path == outputs.segments_path:
        raise InputError(
            f"--summary {outputs.summary_path} would overwrite another output of this run; "
            "choose another file name."
        )


def refuse_existing(outputs: OutputOptions, files: Sequence[Path]) -> None:
    """Raise `OutputsExistError` naming every file of `files` that exists and is not this
    run's own (with `--resume`: listed in the journal), unless `--overwrite`."""
    if outputs.overwrite:
        return
    own: set[str] = set()
    if outputs.resume and outputs.journal_path.exists():
        listed = journal_files(outputs.journal_path)
        # A journal from before files were listed: trust every file of this run.
        own = {str(p.absolute()) for p in files} if listed is None else set(listed)
        own.add(str(outputs.journal_path.absolute()))
    existing = [p for p in files if p.exists() and str(p.absolute()) not in own]
    if not existing:
        return
    names = "\n".join(f"  {p}" for p in existing)
    if outputs.resume:
        advice = "They are not this run's files: move them, or use --overwrite to replace them."
    else:
        advice = "Use --resume to continue the run that wrote them, or --overwrite to replace them."
    count = "1 file" if len(existing) == 1 else f"{len(existing)} files"
    raise OutputsExistError(f"{count} this run would write already exist:\n{names}\n{advice}")
