"""User-facing errors and the exit status each one ends a command with.

Everything a user can cause and fix (a bad path, a checkpoint that does not fit, no network)
raises a subclass of `S2DError` whose message names the bad value and the fix. The CLI turns
these into a one-line error and the error's `exit_code`; anything else is a bug and shows a
traceback. The exit statuses, the same for every command:

    0    everything was processed
    1    some inputs failed (the rest were processed)
    2    nothing ran because of the command or its environment: bad options, paths, unknown
         names, missing or refused weights, an unavailable device, a refused resume,
         existing outputs, an output another run holds
    3    a write to the outputs failed (disk full, read-only, lost mount)
    130  interrupted (Ctrl-C)
"""

from __future__ import annotations

import os

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
EXIT_WRITE_FAILED = 3
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    EXIT_OK: "everything was processed",
    EXIT_SOME_FAILED: "some inputs failed (the rest were processed)",
    EXIT_USAGE: "nothing ran: bad options, paths, names or weights, no device, refused resume, "
    "existing outputs",
    EXIT_WRITE_FAILED: "a write to the outputs failed (disk full, read-only, lost mount)",
    EXIT_INTERRUPTED: "interrupted",
}

BUG_REPORT = (
    " This is a bug in s2dcli; please report it with the full output of the command "
    "(run with --debug)."
)


class S2DError(Exception):
    """Base class of errors the user can fix."""

    exit_code = EXIT_USAGE


class InputError(S2DError):
    """A path, file or option value given by the user is unusable."""


class CheckpointError(S2DError):
    """A weights file cannot be read, is unsafe, or does not fit the model."""


class WeightsNotAvailableError(S2DError):
    """A weights file is neither cached nor downloadable (offline, no network, unknown name)."""


class ChecksumError(S2DError):
    """A downloaded or cached file does not have the expected sha256."""


class DeviceError(S2DError):
    """The requested compute device does not exist or cannot be used."""


class RayClusterError(S2DError):
    """The Ray cluster cannot run the workers (none start, or they keep dying)."""


class OutputsExistError(InputError):
    """Files the run would write exist already (and are not this run's to resume)."""


class OutputLockedError(InputError):
    """Another run is writing the same output."""


class OutputWriteError(S2DError):
    """Writing a result file failed (disk full, quota, read-only, lost mount).

    Args:
        path: the file being written.
        error: the system's error.
    """

    exit_code = EXIT_WRITE_FAILED

    def __init__(self, path: os.PathLike[str] | str, error: OSError) -> None:
        self.path = str(path)
        self.reason = error.strerror or str(error)
        super().__init__(
            f"Cannot write {self.path}: {self.reason}. Free space (or fix the folder), "
            "then rerun the same command with --resume: finished videos are kept."
        )


class CheckpointWarning(UserWarning):
    """A checkpoint was loaded non-strictly (image pre-training weights)."""


class MissingWeightsError(WeightsNotAvailableError, InputError):
    """Weights files a run needs are neither here nor downloadable (offline, no network, not
    on the hub). `missing` holds one `s2dcli.weights.MissingFile` per file, so a caller can
    word the fix for its own command; the message lists them all at once.
    """

    def __init__(self, message: str, missing: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing
