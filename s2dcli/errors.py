"""User-facing errors.

Everything a user can cause and fix (a bad path, a checkpoint that does not fit, no network)
raises a subclass of `S2DError` whose message names the bad value and the fix. The CLI turns
these into a one-line error and exit status 1; anything else is a bug and shows a traceback.
"""

from __future__ import annotations

BUG_REPORT = (
    " This is a bug in s2dcli; please report it with the full output of the command "
    "(run with --debug)."
)


class S2DError(Exception):
    """Base class of errors the user can fix."""


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


class CheckpointWarning(UserWarning):
    """A checkpoint was loaded non-strictly (image pre-training weights)."""
