"""The on-disk weights cache: where files live, the sha256 index, verification and import.

Layout under the cache root (`S2D_HOME`, default `~/.cache/s2d`)::

    <root>/index.json                    # {"version": 1, "files": {"weights/<name>/<file>": {...}}}
    <root>/weights/<name>/<filename>     # <name>: registry name, custom name or "src-<hash>"
    <root>/.tmp-*                        # in-flight downloads; always removed afterwards

Index keys are relative to the root, so a whole cache can be copied to another machine.
Every file's sha256 is recorded when it enters the cache and checked again on every load.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shlex
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from s2dcli.errors import ChecksumError, InputError
from s2dcli.weights.registry import REGISTRY

logger = logging.getLogger("s2d.weights")

INDEX_NAME = "index.json"
WEIGHTS_DIR = "weights"
TMP_PREFIX = ".tmp-"
DEFAULT_ROOT = "~/.cache/s2d"
CHUNK_SIZE = 1 << 20
_STALE_TMP_S = 24 * 3600
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class CachedFile:
    """One file in the cache, as recorded in the index.

    Attributes:
        name: The cache entry name (registry name, custom name or `src-<hash>`).
        path: Absolute path of the cached file.
        source: Where it came from (hub address, URL or the imported file's path).
        sha256: Hash recorded when the file entered the cache.
        size: Size in bytes at that time.
        downloaded_at: ISO-8601 UTC time it entered the cache.
    """

    name: str
    path: Path
    source: str
    sha256: str
    size: int
    downloaded_at: str


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of re-hashing one cached file.

    Attributes:
        entry: The index record.
        actual_sha256: The file's hash now, or None when the file is missing.
    """

    entry: CachedFile
    actual_sha256: str | None

    @property
    def ok(self) -> bool:
        """True when the file exists and still has its recorded hash."""
        return self.actual_sha256 == self.entry.sha256

    @property
    def reason(self) -> str:
        """`OK`, `missing` or a hash mismatch in words."""
        if self.ok:
            return "OK"
        if self.actual_sha256 is None:
            return "missing"
        return f"sha256 {self.actual_sha256[:12]}… != recorded {self.entry.sha256[:12]}…"


def cache_root() -> Path:
    """The cache root: `$S2D_HOME` if set, else `~/.cache/s2d` (read at call time)."""
    return Path(os.environ.get("S2D_HOME") or DEFAULT_ROOT).expanduser().absolute()


def index_path() -> Path:
    """Path of the index JSON file."""
    return cache_root() / INDEX_NAME


def cache_path(name: str, filename: str) -> Path:
    """Where the entry `name` keeps its file `filename` (whether or not it exists yet)."""
    return cache_root() / WEIGHTS_DIR / name / filename


def source_key(source: str) -> str:
    """Cache entry name for an address that is not in the registry: `src-<16 hex>`."""
    return "src-" + hashlib.sha256(source.encode()).hexdigest()[:16]


def sha256_file(path: str | os.PathLike[str], chunk_size: int = CHUNK_SIZE) -> str:
    """Hex sha256 of a file, read in chunks so large checkpoints need little memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def validate_name(name: str) -> str:
    """Check that `name` can be a cache entry (a single safe directory name).

    Raises:
        InputError: The name has path separators or other characters that are not allowed.
    """
    if not _NAME_RE.match(name):
        raise InputError(
            f"Invalid weights name {name!r}: use letters, digits, '.', '_' and '-' only "
            "(e.g. my-dfew-finetune), at most 100 characters."
        )
    return name


# --- index ----------------------------------------------------------------------------------
@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Serialise index read-modify-write cycles between processes.

    Locks the cache folder itself (POSIX `flock` on a directory descriptor), so no lock file
    is left behind. Elsewhere the last writer wins; each write stays atomic.
    """
    root.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl

        fd = os.open(root, os.O_RDONLY)
    except (ImportError, OSError):  # pragma: no cover - Windows
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _read_raw(root: Path) -> dict[str, dict[str, object]]:
    path = root / INDEX_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise InputError(
            f"The weights cache index {path} is unreadable ({exc}). Delete it and run "
            "`s2d models import` or `s2d models pull` again to rebuild it."
        ) from exc
    files = data.get("files", {}) if isinstance(data, dict) else {}
    return files if isinstance(files, dict) else {}


def _write_raw(root: Path, files: dict[str, dict[str, object]]) -> None:
    """Write the index atomically: a temp file in the same folder, then `os.replace`."""
    text = json.dumps({"version": 1, "files": files}, indent=2, sort_keys=True) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX + "index-", suffix=".json", dir=root)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, root / INDEX_NAME)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _entry(root: Path, rel: str, rec: dict[str, object]) -> CachedFile:
    size = rec.get("size", 0)
    return CachedFile(
        name=str(rec.get("name", Path(rel).parent.name)),
        path=root / rel,
        source=str(rec.get("source", "")),
        sha256=str(rec.get("sha256", "")),
        size=int(size) if isinstance(size, (int, float, str)) else 0,
        downloaded_at=str(rec.get("downloaded_at", "")),
    )


def list_cached() -> list[CachedFile]:
    """Every file recorded in the index, sorted by name (files may since have vanished)."""
    root = cache_root()
    entries = [_entry(root, rel, rec) for rel, rec in _read_raw(root).items()]
    return sorted(entries, key=lambda e: e.name)


def lookup(name: str) -> CachedFile | None:
    """The index record of the entry `name`, or None."""
    return next((e for e in list_cached() if e.name == name), None)


def record(name: str, path: Path, *, source: str, sha256: str, size: int) -> CachedFile:
    """Add or replace the index record of `name` (one file per name).

    Args:
        name: Cache entry name.
        path: The cached file; must lie under the cache root.
        source: Where the file came from.
        sha256: Its hash.
        size: Its size in bytes.

    Returns:
        The new record.
    """
    root = cache_root()
    rel = path.absolute().relative_to(root).as_posix()
    rec: dict[str, object] = {
        "name": name,
        "source": source,
        "sha256": sha256,
        "size": size,
        "downloaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    with _locked(root):
        files = {k: v for k, v in _read_raw(root).items() if v.get("name") != name}
        files[rel] = rec
        _write_raw(root, files)
    return _entry(root, rel, rec)


def forget(name: str) -> None:
    """Drop the index record of `name` (the file itself is left alone)."""
    root = cache_root()
    with _locked(root):
        files = _read_raw(root)
        kept = {k: v for k, v in files.items() if v.get("name") != name}
        if kept != files:
            _write_raw(root, kept)


# --- verification ---------------------------------------------------------------------------
def refetch_commands(entry: CachedFile) -> list[str]:
    """Commands that replace a damaged or vanished cached file with a good copy.

    A downloaded file is pulled again (by its registry name, else by its address); a file
    imported from disk is imported again from where it came (or from FILE when that is gone);
    a registry name imported from disk can also be pulled.
    """
    commands: list[str] = []
    remote = entry.source.startswith(("hf://", "https://", "http://"))
    if not remote:
        source = Path(entry.source) if entry.source else None
        origin = shlex.quote(str(source)) if source is not None and source.is_file() else "FILE"
        commands.append(f"s2d models import {origin} --name {entry.name} --force")
    if entry.name in REGISTRY:
        commands.append(f"s2d models pull {entry.name} --force")
    elif remote:
        commands.append(f"s2d models pull {shlex.quote(entry.source)} --force")
    return commands


def check(entry: CachedFile) -> Path:
    """Re-hash a cached file and return its path if it still matches the index.

    Raises:
        ChecksumError: The file changed since it was cached (names the file and the fix).
    """
    actual = sha256_file(entry.path)
    if actual != entry.sha256:
        fixes = " or ".join(f"`{c}`" for c in refetch_commands(entry))
        raise ChecksumError(
            f"Cached weights file {entry.path} ({entry.name}) has sha256 {actual}, but "
            f"{entry.sha256} was recorded when it was cached: it was modified or corrupted. "
            f"Replace it with a good copy: {fixes}."
        )
    return entry.path


def verify_cached(names: Iterable[str] | None = None) -> list[VerifyResult]:
    """Re-hash cached files against the index.

    Args:
        names: Entry names to check; None checks every file in the index.

    Returns:
        One result per file, in name order.

    Raises:
        InputError: A requested name is not in the cache.
    """
    entries = list_cached()
    if names is not None:
        wanted = list(dict.fromkeys(names))
        by_name = {e.name: e for e in entries}
        missing = [n for n in wanted if n not in by_name]
        if missing:
            raise InputError(
                f"Not in the weights cache ({cache_root()}): {', '.join(missing)}. "
                "Run `s2d models list` to see what is cached, or `s2d models pull NAME`."
            )
        entries = [by_name[n] for n in wanted]
    results = []
    for e in entries:
        actual = sha256_file(e.path) if e.path.is_file() else None
        results.append(VerifyResult(e, actual))
    return results


# --- adding files ---------------------------------------------------------------------------
def _remove_stale_temps(root: Path) -> None:
    """Remove temp files and folders left by a killed process (older than a day)."""
    now = time.time()
    for p in root.glob(TMP_PREFIX + "*"):
        try:
            if now - p.stat().st_mtime < _STALE_TMP_S:
                continue
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink()
            logger.debug("removed stale temp %s", p)
        except OSError:
            pass


@contextlib.contextmanager
def temp_dir() -> Iterator[Path]:
    """A fresh temp folder inside the cache root (same file system), always removed."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(root)
    path = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def store(tmp_file: Path, name: str, filename: str, *, source: str, sha256: str) -> CachedFile:
    """Move a verified temp file (inside the cache root) into place and record it.

    Args:
        tmp_file: The complete, hash-checked file; on the cache's file system.
        name: Cache entry name.
        filename: File name to give it inside the entry folder.
        source: Where it came from.
        sha256: Its hash (already computed by the caller).

    Returns:
        The new index record.
    """
    dest = cache_path(validate_name(name), filename)
    dest.parent.mkdir(parents=True, exist_ok=True)
    old = lookup(name)
    size = tmp_file.stat().st_size
    os.replace(tmp_file, dest)
    if old is not None and old.path != dest:
        with contextlib.suppress(OSError):
            old.path.unlink()
    logger.info("cached %s at %s (sha256 %s)", name, dest, sha256)
    return record(name, dest, source=source, sha256=sha256, size=size)
