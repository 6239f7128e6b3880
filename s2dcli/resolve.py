"""The one place where an annotation run's options are checked.

`resolve_annotation(inputs, config, outputs)` checks every option, finds the videos once,
checks the executor once, plans every output file, refuses existing ones and takes the
output's lock, all before anything heavy loads; it returns a `ResolvedRun` the layers below
trust. Every problem is an `S2DError` whose message names the input and the fix (exit status
2 in the CLI). Like PySceneDetect's context object, it is the boundary between what a user
typed and what the program runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from s2dcli.config import PRECISIONS, AnnotateConfig, OutputOptions
from s2dcli.discover import VideoItem, find_videos, parse_extensions
from s2dcli.errors import InputError
from s2dcli.write.lock import OutputLock
from s2dcli.write.plan import check_outputs, planned_files, refuse_existing

DEVICE_CHOICES = "auto, cpu, cuda or cuda:N"
_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")


@dataclass
class ResolvedRun:
    """A checked run: its videos, its limits, its files, and the lock on its output.

    Attributes:
        inputs: the inputs as given (the run record keeps them).
        config: the checked options.
        videos: every video, in order.
        outputs: where the files go (None: results in memory only).
        files: every file the run writes (empty without outputs).
        max_failures: stop once this many videos failed (None: never).
        lock: held until `release()`.
    """

    inputs: list[str]
    config: AnnotateConfig
    videos: list[VideoItem]
    outputs: OutputOptions | None
    files: list[str]
    max_failures: int | None
    lock: OutputLock | None = None

    def release(self) -> None:
        """Let go of the output's lock (safe to call twice)."""
        if self.lock is not None:
            self.lock.release()


def check_options(config: AnnotateConfig) -> None:
    """Every check of single options and their combinations (no files are looked at)."""
    from s2dcli.executors import check_executor

    device = config.device
    if not _DEVICE.fullmatch(device.device.strip().lower()):
        raise InputError(f"Invalid --device {device.device!r}: use {DEVICE_CHOICES}.")
    if device.precision not in PRECISIONS:
        raise InputError(f"Invalid --precision {device.precision!r}: use {', '.join(PRECISIONS)}.")
    _at_least("--batch-size", device.batch_size, 1)
    _at_least("--workers", config.executor.workers, 1)
    _at_least("--detect-every", config.faces.detect_every, 1)
    _at_least("--min-face", config.faces.min_face, 0)
    for flag, seconds in (
        ("--clip-seconds", config.clips.clip_seconds),
        ("--stride-seconds", config.clips.stride_seconds),
    ):
        if not seconds > 0:
            raise InputError(f"{flag} must be more than 0, got {seconds}.")
    classes = config.model.classes
    if classes is not None and not [n for n in classes.split(",") if n.strip()]:
        raise InputError(f"--classes {classes!r} names no class; use dfew, ferv39k, mafw or a,b,c.")
    parse_extensions(config.inputs.ext)
    parse_max_failures(config.max_failures, 100)
    check_executor(config)


def resolve_annotation(
    inputs: Sequence[str], config: AnnotateConfig, outputs: OutputOptions | None = None
) -> ResolvedRun:
    """Check everything about a run before it starts (see the module docstring).

    Raises:
        InputError: a bad option, no videos, two videos with one name, an output that
            exists or another run holds.
    """
    check_options(config)
    if outputs is not None:
        check_outputs(outputs)
    extensions = parse_extensions(config.inputs.ext)
    videos = find_videos(list(inputs), extensions, config.inputs.recursive)
    if not videos:
        raise InputError(
            f"No videos found in {', '.join(map(repr, inputs))} (extensions "
            f"{','.join(e.lstrip('.') for e in extensions)}); use --ext to look for others."
        )
    _check_unique_names(videos)
    max_failures = parse_max_failures(config.max_failures, len(videos))
    if outputs is None:
        return ResolvedRun(list(inputs), config, videos, None, [], max_failures)
    files = planned_files(outputs, [v.name for v in videos])
    lock = OutputLock(outputs.lock_path, outputs.output).acquire()
    try:
        refuse_existing(outputs, files)
    except BaseException:
        lock.release()
        raise
    names = [str(p.absolute()) for p in files]
    return ResolvedRun(list(inputs), config, videos, outputs, names, max_failures, lock)


def parse_max_failures(text: str | None, total: int) -> int | None:
    """`"10"` -> 10, `"5%"` -> 5 % of `total` (at least 1), None -> no limit."""
    if text is None or str(text).strip() == "":
        return None
    value = str(text).strip()
    try:
        if value.endswith("%"):
            share = float(value[:-1])
            if not 0 < share <= 100:
                raise ValueError
            return max(1, int(total * share / 100))
        count = int(value)
        if count < 1:
            raise ValueError
        return count
    except ValueError:
        raise InputError(
            f"Invalid --max-failures {text!r}: use a count like 10 or a share like 5%."
        ) from None


def _at_least(flag: str, value: float | None, low: float) -> None:
    if value is not None and value < low:
        raise InputError(f"{flag} must be at least {low:g}, got {value}.")


def _check_unique_names(items: list[VideoItem]) -> None:
    seen: dict[str, VideoItem] = {}
    for item in items:
        if item.name in seen:
            raise InputError(
                f"Two inputs give the same video name {item.name!r} ({seen[item.name].path} "
                f"and {item.path}); pass their common parent folder instead so names differ."
            )
        seen[item.name] = item
