"""Finding the videos to annotate: files, folders (recursive, sorted), globs and @lists.

Each video keeps the input root it was found under, so outputs name it by a path relative to
that root (`interviews/p01.mp4`), which stays the same when the collection moves.

Named pipes, sockets and devices (given, matched or found in a folder) are listed too, with
`error="not a regular file"`: the run records them as failed videos at once instead of opening
them (opening a pipe with no writer waits for ever, until the decoder's stall timeout).
"""

from __future__ import annotations

import glob
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from s2dcli.errors import InputError

DEFAULT_EXTENSIONS = (
    ".mp4",
    ".m4v",
    ".mov",
    ".avi",
    ".mkv",
    ".webm",
    ".mpg",
    ".mpeg",
    ".wmv",
    ".flv",
    ".3gp",
    ".ts",
    ".mts",
    ".m2ts",
    ".ogv",
)


@dataclass(frozen=True)
class VideoItem:
    """One video to annotate.

    Attributes:
        path: where it is.
        name: its path relative to the input root it was found under (POSIX separators);
            the `video` column of every output.
        error: why it cannot be read at all (it is recorded as failed, never opened), or None.
    """

    path: Path
    name: str
    error: str | None = None


def parse_extensions(text: str | None) -> tuple[str, ...]:
    """`"mp4,.MOV"` -> `(".mp4", ".mov")`; None or empty -> the defaults."""
    if not text:
        return DEFAULT_EXTENSIONS
    out = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        out.append(part if part.startswith(".") else "." + part)
    if not out:
        raise InputError(f"--ext {text!r} names no extension; use e.g. --ext mp4,mov.")
    return tuple(out)


def find_videos(
    inputs: list[str], extensions: tuple[str, ...] = DEFAULT_EXTENSIONS, recursive: bool = True
) -> list[VideoItem]:
    """The videos named by `inputs`, in order: each input's videos sorted, duplicates dropped.

    Args:
        inputs: files (taken whatever their extension), folders (their files with one of
            `extensions`, recursively unless `recursive=False`), glob patterns, or `@list.txt`
            (one input per line; blank lines and `#` comments ignored; relative paths are
            relative to the list file).
        extensions: lower-case suffixes with the dot.
        recursive: descend into sub-folders.

    Returns:
        The items; a pipe, socket or device among them has `error` set (see the module
        docstring).

    Raises:
        InputError: an input that does not exist, a glob that matches nothing, an unreadable
            folder or list.
    """
    items: list[VideoItem] = []
    seen: set[Path] = set()

    def add(path: Path, root: Path | None) -> None:
        key = path.resolve()
        if key in seen:
            return
        seen.add(key)
        name = path.relative_to(root).as_posix() if root is not None else path.name
        items.append(VideoItem(path, name, _not_readable(path)))

    for text in _expand_lists(inputs):
        path = Path(text)
        if path.is_dir():
            for video in _walk(path, extensions, recursive):
                add(video, path)
        elif path.exists():  # a file, or a pipe, socket or device (failed at once)
            add(path, path.parent)
        elif glob.has_magic(text):
            matches = sorted(glob.glob(text, recursive=True))
            files = [Path(m) for m in matches if not Path(m).is_dir()]
            if not files:
                raise InputError(f"No file matches {text!r}.")
            base = Path(_glob_base(text))
            for file in files:
                add(file, base)
        else:
            raise InputError(f"No such file or folder: {text!r}.")
    return items


NOT_REGULAR = "not a regular file"


def _not_readable(path: Path) -> str | None:
    """`NOT_REGULAR` for pipes, sockets and devices; None for files (and paths that vanished:
    the decoder says what is wrong with those)."""
    try:
        mode = os.stat(path).st_mode  # never blocks, unlike opening a pipe
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else NOT_REGULAR


def _walk(folder: Path, extensions: tuple[str, ...], recursive: bool) -> list[Path]:
    found: list[Path] = []

    def onerror(exc: OSError) -> None:
        raise InputError(f"Cannot read folder {exc.filename!r}: {exc.strerror}.")

    for dirpath, dirnames, filenames in os.walk(folder, onerror=onerror):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if recursive else []
        for filename in filenames:
            if not filename.startswith(".") and Path(filename).suffix.lower() in extensions:
                found.append(Path(dirpath) / filename)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _expand_lists(inputs: list[str]) -> list[str]:
    out: list[str] = []
    for text in inputs:
        if not text.startswith("@"):
            out.append(text)
            continue
        list_path = Path(text[1:])
        try:
            lines = list_path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputError(f"Cannot read the list {text!r}: {exc.strerror or exc}.") from exc
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                entry = Path(line)
                out.append(str(entry if entry.is_absolute() else list_path.parent / entry))
    return out


def _glob_base(pattern: str) -> str:
    """The folder part of a glob before its first wildcard (`videos/*/a.mp4` -> `videos`)."""
    parts = Path(pattern).parts
    base: list[str] = []
    for part in parts:
        if glob.has_magic(part):
            break
        base.append(part)
    return str(Path(*base)) if base else "."
