"""Real downloads against a local imitation of the hub and of a plain file server."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from pathlib import Path

import pytest

from s2dcli.errors import ChecksumError, InputError, WeightsNotAvailableError
from s2dcli.weights import REGISTRY, lookup, resolve
from tests.weights_server import WeightsServer, files_under, isolate_weights_env

DATA = os.urandom(300_000)
SHA = hashlib.sha256(DATA).hexdigest()


def _only_index_left(home: Path) -> None:
    assert files_under(home) in ([], ["index.json"])


def test_hub_download_caches_and_records_sha(home, server, tmp_path):
    server.add_hub_file("cyinen/S2D", "DFEW/fold1.pth", DATA)
    path = resolve("dfew-fold1")
    assert path == home / "weights" / "dfew-fold1" / "fold1.pth"
    assert path.read_bytes() == DATA
    entry = lookup("dfew-fold1")
    assert (entry.sha256, entry.size, entry.source) == (
        SHA,
        len(DATA),
        "hf://cyinen/S2D/DFEW/fold1.pth",
    )
    assert files_under(home) == ["index.json", "weights/dfew-fold1/fold1.pth"]
    assert files_under(tmp_path / "hf_home") == []  # huggingface_hub wrote nothing of its own
    # What huggingface_hub 2.4 asks: HEAD on /resolve (ours, then its own), GET on the CDN.
    assert server.requests == [
        ("hub", "HEAD", "/cyinen/S2D/resolve/main/DFEW/fold1.pth"),
        ("hub", "HEAD", "/cyinen/S2D/resolve/main/DFEW/fold1.pth"),
        ("cdn", "GET", f"/blobs/0-{SHA}"),
    ]
    server.requests.clear()
    assert resolve("dfew-fold1") == path
    assert server.requests == []


def test_second_resolve_needs_no_server(monkeypatch, tmp_path):
    with WeightsServer() as server:
        home = isolate_weights_env(monkeypatch, tmp_path, server.endpoint)
        server.add_hub_file("cyinen/S2D", "FERV39K/ferv39k.pth", DATA)
        first = resolve("ferv39k")
    assert resolve("ferv39k") == first  # the server is gone; the cache answers
    assert first.is_relative_to(home)


def test_hub_revision_and_non_lfs_file(home, server):
    small = b"small git-stored file"
    address = server.add_hub_file("someone/repo", "cfg/w.pth", small, revision="v1", lfs=False)
    assert address == "hf://someone/repo/cfg/w.pth"
    path = resolve("hf://someone/repo@v1/cfg/w.pth")
    assert path.read_bytes() == small
    assert path.parent.name.startswith("src-")
    assert ("hub", "GET", "/someone/repo/resolve/v1/cfg/w.pth") in server.requests


def test_registry_address_shares_the_registry_cache_entry(home, server):
    server.add_hub_file("cyinen/S2D", "MAFW/fold4.pth", DATA)
    path = resolve("hf://cyinen/S2D/MAFW/fold4.pth")
    assert path == home / "weights" / "mafw-fold4" / "fold4.pth"
    assert resolve("mafw-fold4", offline=True) == path


def test_hub_checksum_mismatch_caches_nothing(home, server):
    server.add_hub_file("cyinen/S2D", "DFEW/fold2.pth", DATA, advertised_sha256="ab" * 32)
    with pytest.raises(ChecksumError) as err:
        resolve("dfew-fold2")
    msg = str(err.value)
    assert SHA in msg and "ab" * 32 in msg and "the hub says" in msg
    assert "nothing was cached" in msg
    _only_index_left(home)
    assert lookup("dfew-fold2") is None


def test_registry_sha256_is_enforced(home, server, monkeypatch):
    spec = REGISTRY["dfew-fold3"]
    monkeypatch.setitem(REGISTRY, "dfew-fold3", dataclasses.replace(spec, sha256="cd" * 32))
    server.add_hub_file("cyinen/S2D", "DFEW/fold3.pth", DATA)
    with pytest.raises(ChecksumError, match="the s2dcli registry says"):
        resolve("dfew-fold3")
    _only_index_left(home)


def test_hub_interrupted_transfer_leaves_no_partial_file(home, server, tmp_path):
    server.add_hub_file("cyinen/S2D", "MAFW/fold1.pth", DATA, truncate=1000)
    started = time.monotonic()
    with pytest.raises(WeightsNotAvailableError) as err:
        resolve("mafw-fold1")
    assert time.monotonic() - started < 5
    msg = str(err.value)
    assert "mafw-fold1 (hf://cyinen/S2D/MAFW/fold1.pth)" in msg and "--weights PATH" in msg
    assert str(home / "weights" / "mafw-fold1" / "fold1.pth") in msg
    _only_index_left(home)
    assert files_under(tmp_path / "hf_home") == []


def test_hub_missing_file_says_names_can_change(home, server):
    with pytest.raises(WeightsNotAvailableError) as err:
        resolve("mafw-fold5")
    msg = str(err.value)
    assert "the hub has no such file" in msg
    assert "--weights hf://cyinen/S2D/NEW/PATH" in msg
    _only_index_left(home)


def test_offline_env_sends_no_request(home, server, monkeypatch):
    server.add_hub_file("cyinen/S2D", "DFEW/fold1.pth", DATA)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsNotAvailableError) as err:
        resolve("dfew-fold1")
    assert "offline mode is on" in str(err.value)
    assert server.requests == []
    assert not home.exists()


def test_unreachable_hub_is_a_clear_error(monkeypatch, tmp_path):
    with WeightsServer() as server:
        dead = server.endpoint
    home = isolate_weights_env(monkeypatch, tmp_path, dead)
    with pytest.raises(WeightsNotAvailableError) as err:
        resolve("ferv39k")
    msg = str(err.value)
    assert "ConnectError" in msg and "hf://cyinen/S2D/FERV39K/ferv39k.pth" in msg
    _only_index_left(home)


def test_url_download_with_sha_fragment(home, server, capsys):
    url = server.add_url("w.pth", DATA)
    path = resolve(f"{url}#sha256={SHA}", progress=True)
    assert path.read_bytes() == DATA
    assert path.name == "w.pth"
    assert lookup(path.parent.name).sha256 == SHA
    assert "w.pth" in capsys.readouterr().err  # the progress bar went to stderr


def test_url_checksum_mismatch(home, server):
    url = server.add_url("w.pth", DATA)
    with pytest.raises(ChecksumError, match="the URL's #sha256 says"):
        resolve(f"{url}#sha256={'0' * 64}")
    _only_index_left(home)


def test_url_bad_fragment(home, server):
    with pytest.raises(InputError, match="sha256=<64 hex digits>"):
        resolve(server.add_url("w.pth", DATA) + "#md5=abc")


def test_url_interrupted_transfer_leaves_no_partial_file(home, server):
    url = server.add_url("short.pth", DATA, truncate=4096)
    with pytest.raises(WeightsNotAvailableError) as err:
        resolve(url)
    assert f"stopped after 4096 of {len(DATA)} bytes" in str(err.value)
    _only_index_left(home)


def test_url_http_error(home, server):
    with pytest.raises(WeightsNotAvailableError, match="HTTP 404"):
        resolve(f"{server.cdn_url}/files/absent.pth")
    _only_index_left(home)


def test_force_replaces_a_corrupted_cached_copy(home, server):
    server.add_hub_file("cyinen/S2D", "DFEW/fold4.pth", DATA)
    path = resolve("dfew-fold4")
    path.write_bytes(b"corrupted")
    with pytest.raises(ChecksumError):
        resolve("dfew-fold4")
    assert resolve("dfew-fold4", force=True).read_bytes() == DATA
    assert resolve("dfew-fold4") == path
