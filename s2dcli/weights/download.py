"""`resolve()`: turn a weights name or address into a verified local file.

A spec is a registry name (`dfew-fold1`), an existing local path (returned as is), an
`https://` (or `http://`) URL, optionally ending in `#sha256=<hex>`, or
`hf://owner/repo[@revision]/path/in/repo`. Cached files are re-hashed on every load; downloads
go to a temp folder inside the cache root and are moved into place only once complete and
hash-checked, so an interrupted or corrupted transfer leaves nothing behind.

huggingface_hub is imported only when a hub download actually happens, and torch never.
"""

from __future__ import annotations

import hashlib
import http.client
import inspect
import logging
import os
import re
import shlex
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s2dcli import __version__
from s2dcli.errors import ChecksumError, InputError, MissingWeightsError
from s2dcli.weights import cache
from s2dcli.weights.hub_files import hub_candidates
from s2dcli.weights.missing import MissingFile, run_message
from s2dcli.weights.registry import REGISTRY, get_spec, source_filename

logger = logging.getLogger("s2d.weights")

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_TRUE = {"1", "true", "yes", "on"}
_TIMEOUT_S = 60.0
_WEIGHT_SUFFIXES = (".pth", ".pt", ".tar", ".bin", ".ckpt", ".safetensors", ".onnx")
_NETWORK_MODULES = {"httpx", "httpx2", "httpcore", "httpcore2", "requests", "urllib3"}
_NOT_FOUND_ERRORS = {
    "RepositoryNotFoundError",
    "GatedRepoError",
    "RevisionNotFoundError",
    "RemoteEntryNotFoundError",
    "EntryNotFoundError",
}


@dataclass(frozen=True)
class _Target:
    """A remote file to resolve: where it comes from and where it goes in the cache."""

    label: str  # what the user asked for (registry name or address)
    name: str  # cache entry name
    source: str  # hf://... or http(s)://..., fragment included
    filename: str
    flag: str  # CLI option that points at a local copy instead
    sha256: str | None  # known hash (registry or #sha256= fragment)
    registered: bool


def is_offline(offline: bool | None = None) -> bool:
    """True when `offline` is True or env HF_HUB_OFFLINE is truthy (1, true, yes, on).

    The environment always wins, so a site-wide offline setting cannot be bypassed by accident.
    """
    env = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE
    return bool(offline) or env


def parse_hf(source: str) -> tuple[str, str | None, str]:
    """Split `hf://owner/repo[@revision]/path/in/repo` into (repo_id, revision, path).

    Raises:
        InputError: The address does not have that shape.
    """
    parts = source[len("hf://") :].split("/") if source.startswith("hf://") else []
    if len(parts) < 3 or not all(parts):
        raise InputError(
            f"Invalid hub address {source!r}: use hf://owner/repo/path/in/repo, e.g. "
            "hf://cyinen/S2D/DFEW/fold1.pth (optionally hf://owner/repo@revision/path)."
        )
    owner, repo, *path = parts
    repo, _, revision = repo.partition("@")
    return f"{owner}/{repo}", revision or None, "/".join(path)


def _url_sha256(source: str) -> str | None:
    """The `#sha256=<hex>` fragment of a URL, if any."""
    _, _, fragment = source.partition("#")
    if not fragment:
        return None
    key, _, value = fragment.partition("=")
    if key != "sha256" or not _SHA256_RE.match(value.lower()):
        raise InputError(
            f"Unsupported URL fragment in {source!r}: only #sha256=<64 hex digits> is understood."
        )
    return value.lower()


def _target(spec: str) -> _Target | Path:
    """Classify a spec: a local file (returned as a Path) or a remote `_Target`."""
    s = spec.strip()
    if s.lower() in REGISTRY:
        w = get_spec(s)
        return _Target(w.name, w.name, w.source, w.filename, w.flag, w.sha256, True)
    if s.startswith("hf://") or s.startswith(("https://", "http://")):
        if s.startswith("hf://"):
            parse_hf(s)
            sha = None
        else:
            sha = _url_sha256(s)
        known = next((w for w in REGISTRY.values() if w.source == s), None)
        if known is not None:
            return _Target(s, known.name, s, known.filename, known.flag, known.sha256, True)
        return _Target(s, cache.source_key(s), s, source_filename(s), "--weights", sha, False)
    path = Path(s).expanduser()
    if path.is_file():
        return path
    entry = cache.lookup(s)  # a custom name given to `s2d models import`
    if entry is not None:
        return _Target(s, s, entry.source, entry.path.name, "--weights", None, False)
    if path.exists():
        raise InputError(f"Weights path {s!r} is a directory; pass the checkpoint file itself.")
    if "/" in s or os.sep in s or s.lower().endswith(_WEIGHT_SUFFIXES):
        raise InputError(
            f"Weights file {s!r} does not exist. Check the path, or pass a registry name "
            "(`s2d models list`), an https:// URL or hf://owner/repo/path/in/repo."
        )
    get_spec(s)  # raises InputError with the known names and a suggestion
    raise AssertionError("unreachable")  # pragma: no cover


def check_spec(spec: str) -> None:
    """Refuse, without touching the network or the cache, a spec that cannot work.

    Raises:
        InputError: `spec` is neither a known name, an existing file nor a valid address.
    """
    _target(spec)


def _missing(
    t: _Target, reason: str, candidates: tuple[str, ...] = (), retry: bool = True
) -> MissingWeightsError:
    """The error for 'this file cannot be had': which file, where to put it, which flag."""
    remote = t.source.startswith(("hf://", "https://", "http://"))
    m = MissingFile(
        label=t.label,
        source=t.source,
        destination=cache.cache_path(t.name, t.filename),
        flag=t.flag,
        reason=reason,
        pull_name=t.label if remote else None,
        import_name=t.name if t.registered or not remote else None,
        candidates=candidates,
        retry=retry,
    )
    return MissingWeightsError(run_message([m]), (m,))


def _not_found(
    t: _Target,
    exc: BaseException,
    repo_id: str,
    revision: str | None,
    filename: str,
    endpoint: str | None,
) -> MissingWeightsError:
    """The hub has no such file: say which checkpoint files the repository does hold."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    candidates = hub_candidates(repo_id, revision, filename, endpoint)
    if candidates is None:
        reason = (
            f"the hub has no such file ({first}). Hub file names can change: if the file "
            f"moved, pass its new address, e.g. {t.flag} hf://{repo_id}/NEW/PATH."
        )
    elif candidates:
        reason = f"the hub has no file {filename!r} in {repo_id}."
    else:
        reason = f"the hub has no file {filename!r} in {repo_id}, nor any checkpoint file."
    return _missing(t, reason, candidates or (), retry=False)


def _is_network_error(exc: BaseException) -> bool:
    if isinstance(exc, (OSError, http.client.HTTPException)):
        return True
    return any(c.__module__.split(".")[0] in _NETWORK_MODULES for c in type(exc).__mro__)


def _bar_class(progress: bool) -> Any:
    """A tqdm class writing to stderr, silent unless `progress`."""
    from tqdm import tqdm

    class _Bar(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            kwargs.setdefault("file", sys.stderr)
            kwargs["disable"] = not progress
            super().__init__(*args, **kwargs)

    return _Bar


def _finish(t: _Target, downloaded: Path, expected: dict[str, str | None], origin: str) -> Path:
    """Hash a finished download, compare with every known hash, move it into the cache."""
    sha = cache.sha256_file(downloaded)
    for who, want in expected.items():
        if want and want.lower() != sha:
            raise ChecksumError(
                f"Download of {t.label!r} from {origin} has sha256 {sha}, but {who} says "
                f"{want.lower()}; nothing was cached. The transfer was corrupted or the file "
                f"changed upstream: retry `s2d models pull {shlex.quote(t.label)}`, or check the "
                f"file by hand and give it to a run with {t.flag} PATH."
            )
    return cache.store(downloaded, t.name, t.filename, source=t.source, sha256=sha).path


def _download_hf(t: _Target, progress: bool) -> Path:
    import huggingface_hub as hf

    repo_id, revision, filename = parse_hf(t.source)
    # huggingface_hub reads HF_ENDPOINT once at import; read it now and pass it explicitly.
    endpoint = os.environ.get("HF_ENDPOINT", "").strip().rstrip("/") or None
    url = hf.hf_hub_url(repo_id, filename, revision=revision, endpoint=endpoint)
    kwargs: dict[str, Any] = {}
    if "tqdm_class" in inspect.signature(hf.hf_hub_download).parameters:
        kwargs["tqdm_class"] = _bar_class(progress)
    with cache.temp_dir() as tmp:
        try:
            meta = hf.get_hf_file_metadata(url, endpoint=endpoint)
            etag = (meta.etag or "").lower()
            hub_sha = etag if _SHA256_RE.match(etag) else None  # LFS files: etag == sha256
            logger.info("downloading %s from %s (hub sha256 %s)", t.label, url, hub_sha)
            local = hf.hf_hub_download(
                repo_id,
                filename,
                revision=revision,
                endpoint=endpoint,
                local_dir=tmp / "files",
                cache_dir=tmp / "hub",
                **kwargs,
            )
        except Exception as exc:
            names = {c.__name__ for c in type(exc).__mro__}
            if "HFValidationError" in names:
                raise InputError(f"Invalid hub address {t.source!r}: {exc}") from exc
            if names & _NOT_FOUND_ERRORS:
                raise _not_found(t, exc, repo_id, revision, filename, endpoint) from exc
            if not _is_network_error(exc):
                raise
            raise _missing(t, f"downloading {url} failed ({type(exc).__name__}: {exc}).") from exc
        return _finish(t, Path(local), {"the hub": hub_sha, "the s2dcli registry": t.sha256}, url)


def _download_url(t: _Target, progress: bool) -> Path:
    url = t.source.partition("#")[0]
    request = urllib.request.Request(url, headers={"User-Agent": f"s2dcli/{__version__}"})
    with cache.temp_dir() as tmp:
        part = tmp / t.filename
        digest = hashlib.sha256()
        received = 0
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as resp:
                length = resp.headers.get("Content-Length")
                total = int(length) if length and length.strip().isdigit() else None
                bar = _bar_class(progress)(
                    total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=t.filename
                )
                with bar, open(part, "wb") as f:
                    while chunk := resp.read(cache.CHUNK_SIZE):
                        f.write(chunk)
                        digest.update(chunk)
                        received += len(chunk)
                        bar.update(len(chunk))
        except urllib.error.HTTPError as exc:
            raise _missing(
                t, f"{url} answered HTTP {exc.code} {exc.reason}.", retry=exc.code != 404
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise _missing(t, f"downloading {url} failed ({type(exc).__name__}: {exc}).") from exc
        if total is not None and received != total:
            raise _missing(
                t,
                f"the transfer from {url} stopped after {received} of {total} bytes "
                "(connection closed early); nothing was cached. Retry when the network is stable.",
            )
        logger.info("downloaded %s (%d bytes) from %s", t.label, received, url)
        return _finish(t, part, {"the URL's #sha256": t.sha256}, url)


def _adopt(t: _Target) -> Path | None:
    """A file put at the cache path by hand (no index record yet): hash and record it."""
    path = cache.cache_path(t.name, t.filename)
    if not path.is_file():
        return None
    sha = cache.sha256_file(path)
    if t.sha256 and t.sha256 != sha:
        raise ChecksumError(
            f"{path} has sha256 {sha}, but {t.label!r} should have {t.sha256}. Delete it and "
            f"run `s2d models pull {shlex.quote(t.label)}`, or give the right file to a run with "
            f"{t.flag} PATH."
        )
    logger.info("recording hand-placed %s (sha256 %s)", path, sha)
    cache.record(t.name, path, source=t.source, sha256=sha, size=path.stat().st_size)
    return path


def resolve(
    spec: str, *, offline: bool | None = None, force: bool = False, progress: bool = False
) -> Path:
    """Return a local, verified path for a weights spec, downloading it if needed.

    Args:
        spec: A registry name (`s2d models list`), an existing local path (returned as is,
            not hashed), an `https://`/`http://` URL (optionally with `#sha256=<hex>`), or
            `hf://owner/repo[@revision]/path/in/repo`.
        offline: Never touch the network. Env HF_HUB_OFFLINE=1 also turns this on.
        force: Download again even if a cached copy exists.
        progress: Show a download progress bar on stderr.

    Returns:
        Path of the file: a cached copy whose sha256 was just checked, or the local path.

    Raises:
        InputError: `spec` is neither a known name, an existing file nor a valid address.
        ChecksumError: The cached file changed, or a download does not match its known sha256.
        MissingWeightsError: Not cached and offline, or the download failed (a
            `WeightsNotAvailableError`); the message says which file, where to put it, and
            which option points at it, and `.missing` holds the same as a `MissingFile`.
    """
    t = _target(spec)
    if isinstance(t, Path):
        return t
    if not force:
        entry = cache.lookup(t.name)
        if entry is not None and entry.path.is_file():
            return cache.check(entry)
        if entry is not None:
            logger.warning("cached file %s for %s has vanished; forgetting it", entry.path, t.name)
            cache.forget(t.name)
        adopted = _adopt(t)
        if adopted is not None:
            return adopted
    if not t.source.startswith(("hf://", "https://", "http://")):
        raise _missing(
            t, "it was imported from a local file and has no download address; import it again."
        )
    if is_offline(offline):
        state = "a cached copy cannot be replaced" if force else "it is not in the cache"
        raise _missing(t, f"offline mode is on (--offline or HF_HUB_OFFLINE=1) and {state}.")
    if t.source.startswith("hf://"):
        return _download_hf(t, progress)
    return _download_url(t, progress)
