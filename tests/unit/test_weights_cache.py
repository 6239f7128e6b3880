"""The weights cache: root, index, import, verification, offline messages, local paths."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from s2dcli.errors import ChecksumError, InputError, WeightsNotAvailableError
from s2dcli.weights import cache as cache_mod
from s2dcli.weights import (
    cache_path,
    cache_root,
    import_file,
    is_offline,
    list_cached,
    lookup,
    resolve,
    sha256_file,
    verify_cached,
)
from tests.weights_server import files_under, isolate_weights_env


@pytest.fixture
def home(monkeypatch, tmp_path) -> Path:
    return isolate_weights_env(monkeypatch, tmp_path)


@pytest.fixture
def weights_file(tmp_path) -> Path:
    path = tmp_path / "incoming" / "fold1.pth"
    path.parent.mkdir()
    path.write_bytes(os.urandom(5000))
    return path


def test_cache_root_is_read_at_call_time(monkeypatch, tmp_path):
    monkeypatch.setenv("S2D_HOME", str(tmp_path / "a"))
    assert cache_root() == tmp_path / "a"
    monkeypatch.setenv("S2D_HOME", str(tmp_path / "b"))
    assert cache_root() == tmp_path / "b"
    monkeypatch.delenv("S2D_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert cache_root() == tmp_path / "user" / ".cache" / "s2d"


def test_sha256_file_in_chunks(tmp_path):
    data = os.urandom(10_001)
    path = tmp_path / "f"
    path.write_bytes(data)
    assert sha256_file(path, chunk_size=1000) == hashlib.sha256(data).hexdigest()


def test_import_records_hash_with_relative_index_key(home, weights_file):
    entry = import_file(weights_file, "dfew-fold1")
    assert (
        entry.path == cache_path("dfew-fold1", "fold1.pth") == home / "weights/dfew-fold1/fold1.pth"
    )
    assert entry.path.read_bytes() == weights_file.read_bytes()
    assert entry.sha256 == hashlib.sha256(weights_file.read_bytes()).hexdigest()
    assert entry.size == 5000
    index = json.loads((home / "index.json").read_text())
    assert index["version"] == 1
    rec = index["files"]["weights/dfew-fold1/fold1.pth"]
    assert rec["sha256"] == entry.sha256
    assert set(rec) == {"name", "source", "sha256", "size", "downloaded_at"}
    assert lookup("dfew-fold1") == entry
    assert files_under(home) == ["index.json", "weights/dfew-fold1/fold1.pth"]


def test_import_under_registry_name_uses_registry_filename(home, tmp_path):
    odd = tmp_path / "downloaded (1).tar"
    odd.write_bytes(b"landmarks")
    entry = import_file(odd, "LANDMARKS")
    assert entry.name == "landmarks"
    assert entry.path.name == "mobilefacenet_model_best.pth.tar"


def test_import_refuses_to_overwrite_without_force(home, weights_file, tmp_path):
    import_file(weights_file, "my-model")
    other = tmp_path / "other.pth"
    other.write_bytes(b"other")
    with pytest.raises(InputError, match="--force"):
        import_file(other, "my-model")
    entry = import_file(other, "my-model", force=True)
    assert entry.path.read_bytes() == b"other"
    assert [e.name for e in list_cached()] == ["my-model"]
    assert not (home / "weights/my-model/fold1.pth").exists()  # the old file is gone


@pytest.mark.parametrize("bad", ["../evil", "a/b", "", ".hidden", "x" * 101])
def test_import_rejects_unsafe_names(home, weights_file, bad):
    with pytest.raises(InputError, match="Invalid weights name"):
        import_file(weights_file, bad)


def test_import_missing_file(home, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        import_file(tmp_path / "nope.pth", "x")


def test_index_write_is_atomic(home, weights_file, tmp_path, monkeypatch):
    import_file(weights_file, "dfew-fold1")
    before = (home / "index.json").read_text()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(cache_mod.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        cache_mod.record("other", home / "weights/other/x.pth", source="s", sha256="0" * 64, size=1)
    monkeypatch.undo()
    assert (home / "index.json").read_text() == before  # untouched, still valid JSON
    assert not list(home.glob(".tmp-*"))  # no temp index left behind


def test_concurrent_records_keep_every_entry(home):
    from concurrent.futures import ThreadPoolExecutor

    def add(i: int) -> None:
        path = home / f"weights/m{i}/f.pth"
        cache_mod.record(f"m{i}", path, source="s", sha256=f"{i:064x}", size=i)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(add, range(16)))
    assert sorted(e.name for e in list_cached()) == sorted(f"m{i}" for i in range(16))


def test_unreadable_index_says_how_to_fix(home):
    home.mkdir(parents=True)
    (home / "index.json").write_text("{not json")
    with pytest.raises(InputError, match="Delete it"):
        list_cached()


def test_verify_detects_tampered_and_missing_files(home, weights_file, tmp_path):
    good = import_file(weights_file, "dfew-fold1")
    bad = import_file(weights_file, "dfew-fold2")
    gone = import_file(weights_file, "dfew-fold3")
    with open(bad.path, "r+b") as f:
        f.write(b"X")
    gone.path.unlink()
    results = {r.entry.name: r for r in verify_cached()}
    assert results["dfew-fold1"].ok and results["dfew-fold1"].reason == "OK"
    assert not results["dfew-fold2"].ok and "!= recorded" in results["dfew-fold2"].reason
    assert not results["dfew-fold3"].ok and results["dfew-fold3"].reason == "missing"
    assert [r.entry.name for r in verify_cached(["dfew-fold1"])] == [good.name]
    with pytest.raises(InputError, match="s2d models pull NAME"):
        verify_cached(["mafw-fold1"])


def test_resolve_rehashes_on_every_load(home, weights_file):
    entry = import_file(weights_file, "dfew-fold1")
    assert resolve("dfew-fold1", offline=True) == entry.path
    with open(entry.path, "r+b") as f:
        f.write(b"tampered")
    with pytest.raises(ChecksumError) as err:
        resolve("dfew-fold1", offline=True)
    msg = str(err.value)
    assert str(entry.path) in msg
    assert "s2d models pull dfew-fold1 --force" in msg


def test_offline_error_names_file_cache_path_and_flag(home):
    with pytest.raises(WeightsNotAvailableError) as err:
        resolve("dfew-fold1", offline=True)
    msg = str(err.value)
    assert "--weights dfew-fold1 (hf://cyinen/S2D/DFEW/fold1.pth): offline mode is on" in msg
    assert f"Put the file at {home / 'weights' / 'dfew-fold1' / 'fold1.pth'}, or pass" in msg
    assert "--weights PATH" in msg
    assert "s2d models pull dfew-fold1" in msg and "S2D_HOME" in msg
    assert not home.exists()  # nothing was created


def test_offline_error_for_landmarks_names_its_flag(home):
    with pytest.raises(WeightsNotAvailableError) as err:
        resolve("landmarks", offline=True)
    assert "--landmark-weights PATH" in str(err.value)
    assert "mobilefacenet_model_best.pth.tar" in str(err.value)


@pytest.mark.parametrize(
    ("value", "offline"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("on", True),
        ("0", False),
        ("", False),
    ],
)
def test_hf_hub_offline_env(monkeypatch, value, offline):
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    assert is_offline() is offline
    assert is_offline(True) is True


def test_env_offline_blocks_resolve(home, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsNotAvailableError, match="offline mode is on"):
        resolve("ferv39k")


def test_local_path_passes_through_unhashed(home, weights_file):
    assert resolve(str(weights_file)) == weights_file
    assert resolve(str(weights_file), offline=True) == weights_file
    assert not home.exists()  # not hashed, not recorded, nothing created


def test_missing_local_path_and_directory(home, tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        resolve(str(tmp_path / "missing.pth"))
    with pytest.raises(InputError, match="is a directory"):
        resolve(str(tmp_path))
    with pytest.raises(InputError, match="Did you mean 'ferv39k'"):
        resolve("ferv39")


def test_hand_placed_file_is_adopted(home):
    dest = cache_path("mafw-fold2", "fold2.pth")
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"by hand")
    assert resolve("mafw-fold2", offline=True) == dest
    assert lookup("mafw-fold2").sha256 == hashlib.sha256(b"by hand").hexdigest()


def test_custom_name_resolves_and_missing_copy_is_explained(home, weights_file):
    entry = import_file(weights_file, "my-model")
    assert resolve("my-model") == entry.path
    entry.path.unlink()
    with pytest.raises(WeightsNotAvailableError, match="import it again"):
        resolve("my-model")


def test_copied_cache_works_elsewhere(home, weights_file, monkeypatch, tmp_path):
    import_file(weights_file, "dfew-fold1")
    moved = tmp_path / "other_machine"
    shutil.copytree(home, moved)
    monkeypatch.setenv("S2D_HOME", str(moved))
    assert resolve("dfew-fold1", offline=True) == moved / "weights/dfew-fold1/fold1.pth"


def test_stale_temp_folders_are_cleaned(home):
    home.mkdir(parents=True)
    stale = home / ".tmp-old"
    stale.mkdir()
    (stale / "part").write_bytes(b"x")
    old = time.time() - 3 * 24 * 3600
    os.utime(stale, (old, old))
    fresh = home / ".tmp-fresh"
    fresh.mkdir()
    with cache_mod.temp_dir() as tmp:
        assert tmp.parent == home
    assert not stale.exists() and fresh.exists() and not tmp.exists()
