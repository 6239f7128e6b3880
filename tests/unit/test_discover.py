"""`find_videos` lists pipes, sockets and devices as unreadable items, never as videos to open."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from s2dcli.discover import NOT_REGULAR, find_videos

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")


@pytest.fixture
def folder(tmp_path: Path):
    (tmp_path / "a.mp4").write_bytes(b"not really a video, but a regular file")
    os.mkfifo(tmp_path / "pipe.mp4")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock.mp4"))
    yield tmp_path
    sock.close()


def test_folder_lists_non_files_as_failed(folder):
    items = find_videos([str(folder)])
    assert [(i.name, i.error) for i in items] == [
        ("a.mp4", None),
        ("pipe.mp4", NOT_REGULAR),
        ("sock.mp4", NOT_REGULAR),
    ]


def test_non_files_given_or_matched_are_listed_not_refused(folder):
    items = find_videos([str(folder / "pipe.mp4"), str(folder / "s*.mp4"), os.devnull])
    assert [(i.name, i.error) for i in items] == [
        ("pipe.mp4", NOT_REGULAR),
        ("sock.mp4", NOT_REGULAR),
        (Path(os.devnull).name, NOT_REGULAR),
    ]
    assert NOT_REGULAR == "not a regular file"
