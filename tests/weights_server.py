"""A local stand-in for the Hugging Face hub and for a plain file server, for weights tests.

Two `ThreadingHTTPServer`s on 127.0.0.1 (port 0), started in threads:

* the *hub* answers `HEAD`/`GET /{owner}/{repo}/resolve/{revision}/{path}` the way the real
  hub does for huggingface_hub 2.x: LFS files get a 302 to the *CDN* with `X-Repo-Commit`,
  `X-Linked-Etag` (the sha256), `X-Linked-Size` and `ETag`; small git files get a 200 with
  `X-Repo-Commit`, a 40-hex `ETag` and `Content-Length`; unknown files a 404 with
  `X-Error-Code: EntryNotFound`. `GET /api/models/{owner}/{repo}/tree/{revision}` lists the
  repository's files as JSON (what `HfApi.list_repo_files` reads); a repository with no file
  answers 404 `RepositoryNotFound`.
* the *CDN* (another port, so another origin: huggingface_hub does not follow the redirect
  on its HEAD request, exactly as with the real CDN) serves LFS blobs and plain `/files/...` URLs.

A file can advertise a sha256 other than its bytes' (a corrupted transfer), or be cut short
(`truncate`: the full `Content-Length` is announced, fewer bytes are sent, the connection
closes); afterwards that file answers 503, as if the server went away, so huggingface_hub's
resume logic gives up after one retry (about one second) instead of six. Every request is
recorded in `requests`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

COMMIT = "5e1f0c2d" * 5


@dataclass
class Served:
    data: bytes
    advertised_sha256: str
    truncate: int | None = None
    lfs: bool = True
    hits: int = 0


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeHub/1.0"
    owner: WeightsServer
    role: str

    def log_message(self, format: str, *args: object) -> None:  # silence stderr
        pass

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        self.owner.requests.append((self.role, self.command, self.path))
        if self.role == "hub":
            self._hub(body)
        else:
            self._cdn(body)

    def _hub(self, body: bool) -> None:
        if self.path.startswith("/api/models/"):
            self._tree()
            return
        served = self.owner.hub_files.get(self.path)
        if served is None:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("X-Error-Message", "Entry not found")
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if served.lfs:
            self.send_response(302)
            self.send_header("Location", f"{self.owner.cdn_url}/blobs/{self.owner.blob_id(served)}")
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("X-Linked-Etag", f'"{served.advertised_sha256}"')
            self.send_header("X-Linked-Size", str(len(served.data)))
            self.send_header("ETag", f'"{hashlib.sha1(served.data).hexdigest()}"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_header_block(
            served,
            extra={
                "X-Repo-Commit": COMMIT,
                "ETag": f'"{hashlib.sha1(served.data).hexdigest()}"',
            },
        )
        if body:
            self._send_body(served)

    def _tree(self) -> None:
        """The repository's file list, one page, as the hub's tree API returns it."""
        repo_id, _, revision = self.path.partition("?")[0][len("/api/models/") :].partition(
            "/tree/"
        )
        prefix = f"/{repo_id}/resolve/{revision.strip('/') or 'main'}/"
        entries = [
            {"type": "file", "path": key[len(prefix) :], "size": len(v.data), "oid": "0" * 40}
            for key, v in self.owner.hub_files.items()
            if key.startswith(prefix)
        ]
        if not entries:
            self.send_response(404)
            self.send_header("X-Error-Code", "RepoNotFound")
            self.send_header("X-Error-Message", "Repository not found")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = json.dumps(entries).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _cdn(self, body: bool) -> None:
        served = self.owner.cdn_files.get(self.path.partition("?")[0])
        if served is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if served.truncate is not None and served.hits > 0:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_header_block(served, extra={"ETag": f'"{served.advertised_sha256}"'})
        if body:
            self._send_body(served)

    def send_header_block(self, served: Served, extra: dict[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(served.data)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()

    def _send_body(self, served: Served) -> None:
        served.hits += 1
        data = served.data if served.truncate is None else served.data[: served.truncate]
        self.wfile.write(data)
        self.wfile.flush()
        self.close_connection = True


class WeightsServer:
    """The fake hub + CDN. Use as a context manager; see the module docstring."""

    def __init__(self) -> None:
        self.hub_files: dict[str, Served] = {}
        self.cdn_files: dict[str, Served] = {}
        self.requests: list[tuple[str, str, str]] = []
        self._servers = [self._make("hub"), self._make("cdn")]
        self._threads: list[threading.Thread] = []

    def _make(self, role: str) -> ThreadingHTTPServer:
        handler = type(f"{role.title()}Handler", (_Handler,), {"owner": self, "role": role})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        return server

    @property
    def endpoint(self) -> str:
        """What HF_ENDPOINT should be set to."""
        return f"http://127.0.0.1:{self._servers[0].server_address[1]}"

    @property
    def cdn_url(self) -> str:
        return f"http://127.0.0.1:{self._servers[1].server_address[1]}"

    def blob_id(self, served: Served) -> str:
        return next(k for k, v in self.cdn_files.items() if v is served).rsplit("/", 1)[-1]

    def add_hub_file(
        self,
        repo_id: str,
        filename: str,
        data: bytes,
        *,
        revision: str = "main",
        advertised_sha256: str | None = None,
        truncate: int | None = None,
        lfs: bool = True,
    ) -> str:
        """Serve `data` as hf://repo_id/filename; returns that address."""
        served = Served(data, advertised_sha256 or hashlib.sha256(data).hexdigest(), truncate, lfs)
        self.hub_files[f"/{repo_id}/resolve/{revision}/{filename}"] = served
        if lfs:
            self.cdn_files[f"/blobs/{len(self.cdn_files)}-{served.advertised_sha256}"] = served
        return f"hf://{repo_id}/{filename}"

    def add_url(self, name: str, data: bytes, *, truncate: int | None = None) -> str:
        """Serve `data` as a plain file; returns its http:// URL."""
        served = Served(data, hashlib.sha256(data).hexdigest(), truncate, lfs=False)
        self.cdn_files[f"/files/{name}"] = served
        return f"{self.cdn_url}/files/{name}"

    def __enter__(self) -> WeightsServer:
        for s in self._servers:
            t = threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05})
            t.daemon = True
            t.start()
            self._threads.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        for s in self._servers:
            s.shutdown()
            s.server_close()
        for t in self._threads:
            t.join(timeout=5)


def isolate_weights_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint: str | None = None
) -> Path:
    """Point S2D_HOME and HF_HOME into tmp_path, go online, and set HF_ENDPOINT if given.

    huggingface_hub reads its settings once at import (maybe earlier in the session, e.g. via
    timm), so its module constants are patched too: telemetry off (no agent-registry request,
    no `.agent_harnesses.json` write), offline off, and every HF_HOME-derived path in tmp.

    Returns:
        The S2D_HOME folder (not created yet).
    """
    home = tmp_path / "s2d_home"
    hf_home = tmp_path / "hf_home"
    monkeypatch.setenv("S2D_HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    for var in (
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_TOKEN",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    if endpoint is None:
        monkeypatch.delenv("HF_ENDPOINT", raising=False)
    else:
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HOME", str(hf_home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hf_home / "hub"))
    monkeypatch.setattr(constants, "HF_XET_CACHE", str(hf_home / "xet"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(hf_home / "token"))
    monkeypatch.setattr(constants, "AGENT_HARNESSES_PATH", str(hf_home / ".agent_harnesses.json"))
    return home


def files_under(root: Path) -> list[str]:
    """Every file below root, relative, sorted (for 'nothing was left behind' asserts)."""
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# Fixtures shared by the download and CLI tests; tests/conftest.py registers this module as a
# plugin (a module defining its own `home` fixture overrides this one there).
@pytest.fixture
def server():
    """A running fake hub + file server."""
    with WeightsServer() as s:
        yield s


@pytest.fixture
def home(monkeypatch, tmp_path, server) -> Path:
    """S2D_HOME (and HF_HOME) in tmp, pointed at `server`."""
    return isolate_weights_env(monkeypatch, tmp_path, server.endpoint)
