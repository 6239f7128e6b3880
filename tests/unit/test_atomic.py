"""write_atomic and create_temp_beside: outputs appear whole, with the user's umask."""

from __future__ import annotations

import os
import stat

import pytest

from s2dcli.atomic import create_temp_beside, write_atomic


@pytest.fixture
def umask():
    """Set the process umask for one test, and put the old one back."""
    old = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_get_the_users_umask(tmp_path, umask, mask, mode):
    umask(mask)
    out = write_atomic(tmp_path / "a.json", "{}\n")
    assert out.read_text() == "{}\n"
    assert stat.S_IMODE(out.stat().st_mode) == mode
    tmp = create_temp_beside(tmp_path / "b.mp4", ".part.mp4")
    assert stat.S_IMODE(tmp.stat().st_mode) == mode


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "x.csv"
    target.write_text("old")
    write_atomic(target, b"new", sync=True)
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]


def test_temp_files_beside_are_unique_empty_and_hidden(tmp_path):
    names = {create_temp_beside(tmp_path / "out.mp4", ".part.mp4") for _ in range(20)}
    assert len(names) == 20
    for tmp in names:
        assert tmp.parent == tmp_path
        assert tmp.name.startswith(".out.") and tmp.name.endswith(".part.mp4")
        assert tmp.stat().st_size == 0


def test_temp_beside_a_missing_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        create_temp_beside(tmp_path / "missing" / "out.mp4")
