"""The crash-safe journal of finished videos, beside the output (`results.csv.journal`).

Each finished video is appended as one JSON line carrying a checksum, in a single `write`
followed by `fsync`: a run killed at any instant leaves either the whole line or a torn last
line, which is ignored (and cut off) on `--resume`, so a half-done video never counts as
done. The first line names what makes results comparable (the fingerprint: weights, options)
and the files the run writes, so a resumed run knows which existing files are its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from s2dcli.errors import InputError
from s2dcli.write.files import append_bytes, replace_bytes, writing
from s2dcli.write.rows import VideoRecord

log = logging.getLogger("s2d.journal")

JOURNAL_VERSION = 1


class Journal:
    """The append-only record of finished videos (see the module docstring).

    Args:
        path: the journal file.
        fingerprint: what makes results comparable (weights, options); a journal written
            under another fingerprint cannot be resumed.
        files: the files the run writes (kept in the header).
    """

    def __init__(
        self, path: Path, fingerprint: dict[str, object], files: list[str] | None = None
    ) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.files = files or []
        self.records: dict[str, VideoRecord] = {}

    def start(self, resume: bool) -> None:
        """Begin a new journal, or load (and repair) the existing one to resume."""
        if resume and self.path.exists():
            self._load()
            return
        header = {"s2d_journal": JOURNAL_VERSION, "fingerprint": self.fingerprint}
        if self.files:
            header["files"] = self.files
        replace_bytes(self.path, _sealed(header))

    def append(self, record: VideoRecord) -> None:
        """Add one finished video, durably (one write, then fsync)."""
        append_bytes(self.path, _sealed(record.to_json()), sync=True)
        self.records[record.video] = record

    def _load(self) -> None:
        with writing(self.path):
            data = self.path.read_bytes()
        good_end = 0
        header = None
        for line in data.splitlines(keepends=True):
            entry = _unseal(line)
            if entry is None:
                break  # a torn or damaged line: it and everything after it is not done
            good_end += len(line)
            if header is None:
                header = entry
                continue
            record = VideoRecord.from_json(entry)
            self.records[record.video] = record
        if header is None or header.get("s2d_journal") != JOURNAL_VERSION:
            raise InputError(
                f"{self.path} is not an s2d journal this version can resume; "
                "use --overwrite to start again."
            )
        changed = _differences(header.get("fingerprint", {}), self.fingerprint)
        if changed:
            raise InputError(
                f"Cannot resume: the results were made with other settings ({'; '.join(changed)})."
                " Resume with the original settings, or use --overwrite to start again."
            )
        if good_end < len(data):
            log.warning(
                "%s: ignoring a damaged last entry (an interrupted write); its video "
                "will be processed again",
                self.path,
            )
            with writing(self.path), open(self.path, "r+b") as f:
                f.truncate(good_end)
                f.flush()
                os.fsync(f.fileno())


def journal_files(path: Path) -> list[str] | None:
    """The files a journal's run writes, as its header lists them (None: not listed, or
    not a readable journal)."""
    try:
        with open(path, "rb") as f:
            first = f.readline()
    except OSError:
        return None
    header = _unseal(first)
    if header is None or not isinstance(header.get("files"), list):
        return None
    return [str(name) for name in header["files"]]


def _sealed(payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]
    return f"{digest} {body}\n".encode()


def _unseal(line: bytes) -> dict[str, Any] | None:
    if not line.endswith(b"\n"):
        return None
    try:
        digest, body = line[:-1].decode("utf-8").split(" ", 1)
    except (UnicodeDecodeError, ValueError):
        return None
    if hashlib.sha256(body.encode("utf-8")).hexdigest()[:16] != digest:
        return None
    entry = json.loads(body)
    return entry if isinstance(entry, dict) else None


def _differences(old: dict[str, object], new: dict[str, object]) -> list[str]:
    keys = sorted(set(old) | set(new))
    return [
        f"{k}: {old.get(k)!r} then, {new.get(k)!r} now" for k in keys if old.get(k) != new.get(k)
    ]
