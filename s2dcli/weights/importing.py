"""`import_file()`: copy a weights file fetched by hand into the cache under a name."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from s2dcli.errors import ChecksumError, InputError
from s2dcli.weights.cache import CHUNK_SIZE, CachedFile, lookup, store, temp_dir, validate_name
from s2dcli.weights.registry import REGISTRY


def import_file(path: str | os.PathLike[str], name: str, *, force: bool = False) -> CachedFile:
    """Copy a local weights file into the cache under `name` and record its sha256.

    For a registry name the file gets the registry's file name, so later loads of that name
    find it; if the registry knows the file's sha256, the copy must match it.

    Args:
        path: The file to import (e.g. fetched by hand on another machine).
        name: A registry name (`s2d models list`) or a new custom name.
        force: Replace an existing cache entry of that name.

    Returns:
        The new index record.

    Raises:
        InputError: `path` is not a file, `name` is invalid, or the entry exists and not `force`.
        ChecksumError: The registry knows a different sha256 for `name`.
    """
    src = Path(path).expanduser()
    if not src.is_file():
        raise InputError(f"Cannot import {str(src)!r}: no such file. Check the path.")
    spec = REGISTRY.get(name.lower())
    name = spec.name if spec else validate_name(name)
    filename = spec.filename if spec else src.name
    existing = lookup(name)
    if existing is not None and existing.path.exists() and not force:
        raise InputError(
            f"{name!r} is already cached at {existing.path}. Pass --force to replace it, "
            "or choose another --name."
        )
    with temp_dir() as tmp:
        tmp_file = tmp / filename
        digest = hashlib.sha256()
        with open(src, "rb") as fin, open(tmp_file, "wb") as fout:
            while chunk := fin.read(CHUNK_SIZE):
                digest.update(chunk)
                fout.write(chunk)
        sha = digest.hexdigest()
        if spec is not None and spec.sha256 and spec.sha256 != sha:
            raise ChecksumError(
                f"{src} has sha256 {sha}, but the published {name!r} has {spec.sha256}. "
                "It is a different or damaged file: fetch it again, or import it under "
                "another --name."
            )
        return store(tmp_file, name, filename, source=str(src.absolute()), sha256=sha)
