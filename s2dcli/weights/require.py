"""`require_weights()`: every weights file a run needs, resolved before anything loads.

A run needs several files (the S2D checkpoint and the landmark weights). Resolving them one
after the other and stopping at the first that is missing would make an offline user learn
about them one round trip at a time; `require_weights` tries them all and raises one
`MissingWeightsError` that lists each missing file with its destination and its option, and
ends with one `s2d models pull NAME...` line that fetches them all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from s2dcli.errors import MissingWeightsError
from s2dcli.weights.download import check_spec, resolve
from s2dcli.weights.missing import MissingFile, run_message


@dataclass(frozen=True)
class WeightsNeed:
    """One weights file a run needs, and the options the user names it with.

    Attributes:
        spec: A registry name, a local path, an `https://` URL or an `hf://` address.
        flag: The option that points at a local copy (`--weights`, `--landmark-weights`).
        named_by: The option the value came from when it differs from `flag` (`--model`,
            `--init`), or '' (then `flag` is shown).
    """

    spec: str
    flag: str = "--weights"
    named_by: str = ""


def require_weights(
    needs: Sequence[WeightsNeed],
    *,
    offline: bool | None = None,
    progress: bool = False,
) -> list[Path]:
    """Local, verified paths for every file in `needs`, in order; all problems at once.

    First every spec is checked (an unknown name or a missing local path fails at once, before
    any download); then each file is taken from the cache or downloaded. Files that cannot be
    had are gathered and reported together.

    Args:
        needs: The files, e.g. `[WeightsNeed("dfew-fold1", "--weights", "--model"),
            WeightsNeed("landmarks", "--landmark-weights")]`.
        offline: Never touch the network (env HF_HUB_OFFLINE=1 also turns this on).
        progress: Show download progress bars on stderr.

    Returns:
        One path per need.

    Raises:
        InputError: A spec is neither a known name, an existing file nor a valid address.
        ChecksumError: A cached file changed, or a download does not match its known sha256.
        MissingWeightsError: One or more files are not cached and cannot be downloaded;
            `.missing` holds a `MissingFile` for each, and the message lists them all.
    """
    for need in needs:
        check_spec(need.spec)  # raises InputError for an unknown name or a missing path
    paths: list[Path | None] = []
    missing: list[MissingFile] = []
    for need in needs:
        try:
            paths.append(resolve(need.spec, offline=offline, progress=progress))
        except MissingWeightsError as exc:
            paths.append(None)
            for m in exc.missing:
                assert isinstance(m, MissingFile)
                if all(m.label != seen.label for seen in missing):
                    missing.append(_for_need(m, need))
    if missing:
        raise MissingWeightsError(run_message(missing), tuple(missing))
    return [p for p in paths if p is not None]


def _for_need(m: MissingFile, need: WeightsNeed) -> MissingFile:
    """The missing file, described with the options of the run that needs it."""
    named_by = need.named_by if need.named_by and need.named_by != need.flag else ""
    return dataclasses.replace(m, flag=need.flag, named_by=named_by)
