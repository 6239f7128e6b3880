"""When the hub has no file by a registry's name: which files does the repository hold?

The registry's hub file names are unverified (see `s2dcli.weights.registry`). When the hub
answers "not found", `hub_candidates()` asks it for the repository's file list (through
huggingface_hub's `HfApi.list_repo_files`, the `/api/models/{repo}/tree/{revision}` call) and
returns the checkpoint files in it, most similar to the wanted path first, as `hf://` addresses
a user can pass straight to `--weights` or `s2d models pull`.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable

logger = logging.getLogger("s2d.weights")

CHECKPOINT_SUFFIXES = (".pth", ".pt", ".tar", ".bin", ".ckpt", ".safetensors")
_LISTING_MODULES = {"huggingface_hub", "httpx", "httpx2", "httpcore", "httpcore2", "requests"}


def hub_address(repo_id: str, revision: str | None, path: str) -> str:
    """`hf://owner/repo[@revision]/path`."""
    return f"hf://{repo_id}{'@' + revision if revision else ''}/{path}"


def rank_candidates(files: Iterable[str], wanted: str) -> list[str]:
    """The checkpoint files among `files`, the likeliest stand-ins for `wanted` first.

    Files in the same folder as `wanted` come first (`DFEW/...` for `DFEW/fold1.pth`, not
    `MAFW/fold1.pth`), then those whose name has the same numbers (the fold: `fold1` and
    `DFEW_fold1_oversampled` before `fold2`), then by how similar the file names are
    (difflib's ratio of the lower-cased names); ties keep alphabetical order.
    """
    checkpoints = sorted(f for f in set(files) if f.lower().endswith(CHECKPOINT_SUFFIXES))
    folder, _, name = wanted.lower().rpartition("/")

    numbers = re.findall(r"\d+", name)

    def key(path: str) -> tuple[bool, bool, float]:
        other_folder, _, other_name = path.lower().rpartition("/")
        similarity = difflib.SequenceMatcher(None, name, other_name).ratio()
        return other_folder != folder, re.findall(r"\d+", other_name) != numbers, -similarity

    return sorted(checkpoints, key=key)


def _is_listing_error(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return True
    return any(c.__module__.split(".")[0] in _LISTING_MODULES for c in type(exc).__mro__)


def hub_candidates(
    repo_id: str, revision: str | None, wanted: str, endpoint: str | None
) -> tuple[str, ...] | None:
    """Hub addresses of the repository's checkpoint files, most similar to `wanted` first.

    Args:
        repo_id: `owner/repo`.
        revision: A branch, tag or commit, or None for the default branch.
        wanted: The path in the repository that was not found.
        endpoint: The hub's base URL (HF_ENDPOINT), or None for the default.

    Returns:
        The addresses (possibly none), or None when the listing itself failed (no such
        repository, no network): then nothing is known about the repository's files.
    """
    import huggingface_hub as hf

    try:
        files = hf.HfApi(endpoint=endpoint).list_repo_files(repo_id, revision=revision)
    except Exception as exc:
        if not _is_listing_error(exc):
            raise
        logger.debug("listing the files of %s failed: %s: %s", repo_id, type(exc).__name__, exc)
        return None
    return tuple(hub_address(repo_id, revision, f) for f in rank_candidates(files, wanted))
