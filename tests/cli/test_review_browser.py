"""The review page in a real headless Chromium, opened from the file system: every card renders,
a label can be chosen and saved as a CSV download, and a hostile video name stays text.

Chromium and its driver come from Debian's packages (`apt-get install chromium
chromium-driver`; `.ci/run` installs them). The test starts `chromedriver` itself and speaks
the W3C WebDriver protocol to it over HTTP with the standard library (no Selenium, so nothing
is ever downloaded). Without them the test is skipped, unless `S2D_REQUIRE_BROWSER=1`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from s2dcli.review import ReviewOptions, review
from s2dcli.review.labelfile import LABEL_COLUMNS
from tests.cli.review_media import face_video, fake_results

HOSTILE = "<img src=x onerror=alert(1)>.mp4"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
]


def _find(*names: str) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


class WebDriver:
    """The few W3C WebDriver commands the test needs, over plain HTTP."""

    def __init__(self, driver: str, browser: str, profile: Path, downloads: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.session = None
        deadline = time.monotonic() + 20
        while True:
            try:
                if self._call("GET", "/status")["ready"]:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError("chromedriver did not start")
            time.sleep(0.1)
        options = {
            "binary": browser,
            "args": [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"],
            "prefs": {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
            },
        }
        caps = {
            "capabilities": {
                "alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}
            }
        }
        self.session = self._call("POST", "/session", caps)["sessionId"]
        self.cdp(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
        )

    def _call(self, method: str, path: str, body: object = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as exc:
            value = json.loads(exc.read()).get("value", {})
            raise DriverError(value.get("error", ""), value.get("message", "")) from None

    def cmd(self, method: str, path: str, body: object = None) -> object:
        return self._call(method, f"/session/{self.session}{path}", body)

    def cdp(self, command: str, params: dict) -> object:
        return self.cmd("POST", "/goog/cdp/execute", {"cmd": command, "params": params})

    def js(self, script: str, *args: object) -> object:
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css: str) -> str:
        found = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        assert isinstance(found, dict) and ELEMENT in found, found
        return found[ELEMENT]

    def click(self, css: str) -> None:
        element = self.find(css)
        self.js("arguments[0].scrollIntoView({block: 'center'});", {ELEMENT: element})
        self.cmd("POST", f"/element/{element}/click", {})

    def alert_open(self) -> bool:
        try:
            self.cmd("GET", "/alert/text")
            return True
        except DriverError as exc:
            if exc.error == "no such alert":
                return False
            raise

    def close(self) -> None:
        try:
            if self.session is not None:
                self._call("DELETE", f"/session/{self.session}")
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class DriverError(Exception):
    def __init__(self, error: str, message: str) -> None:
        super().__init__(f"{error}: {message}")
        self.error = error


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = _find("chromium", "chromium-browser")
    driver = _find("chromedriver")
    if chromium is None or driver is None:
        if os.environ.get("S2D_REQUIRE_BROWSER") == "1":
            pytest.fail("S2D_REQUIRE_BROWSER=1 but Chromium or chromedriver is not installed")
        pytest.skip(
            "Chromium and chromedriver are not installed (Debian: apt-get install "
            "chromium chromium-driver)"
        )
    root = tmp_path_factory.mktemp("browser")
    downloads = root / "downloads"
    downloads.mkdir()
    wd = WebDriver(driver, chromium, root / "profile", downloads)
    wd.downloads = downloads
    yield wd
    wd.close()


@pytest.fixture(scope="module")
def sheet(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sheet")
    names = [HOSTILE, "a, b.mp4", "plain.mp4"]
    for i, name in enumerate(names):
        face_video(root / "videos" / name, bool(i % 2), i)
    fake_results(root, root / "videos", names, clips_per_video=3)
    review(
        root / "results.csv",
        root / "review",
        videos=[str(root / "videos")],
        options=ReviewOptions(budget=8, seed=0),
    )
    return root / "review"


def wait_for(path: Path, timeout: float = 20.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        partial = list(path.parent.glob("*.crdownload"))
        if path.exists() and not partial:
            return path.read_bytes()
        time.sleep(0.1)
    raise AssertionError(f"no download at {path} (folder: {list(path.parent.iterdir())})")


def test_page_renders_choices_save_as_csv_and_names_stay_text(browser, sheet):
    prefilled = (sheet / "labels.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(prefilled)))[1:]
    browser.cmd("POST", "/url", {"url": (sheet / "index.html").resolve().as_uri()})
    assert not browser.alert_open()
    state = browser.js("""
        const cards = [...document.querySelectorAll('article.card')];
        return {cards: cards.length,
                radios: cards.map(c => c.querySelectorAll('input[type=radio]').length),
                videos: cards.map(c => c.querySelector('h2.video').textContent),
                injected: document.querySelectorAll('img[src="x"], img:not(.strip)').length,
                strips: document.querySelectorAll('img.strip').length,
                status: document.getElementById('status').textContent,
                errors: window.__errors || null};""")
    assert state["cards"] == len(rows) == 8
    assert state["radios"] == [7 + 1] * 8  # seven classes and skip
    assert state["videos"] == [row[0] for row in rows]
    assert HOSTILE in state["videos"] and state["injected"] == 0
    assert state["strips"] == 8
    assert state["status"] == "8 clips: 0 relabelled, 0 skipped, 8 as predicted"
    first = browser.find("img.strip")
    browser.js("arguments[0].scrollIntoView();", {ELEMENT: first})
    deadline = time.monotonic() + 10
    while (
        not browser.js(
            "return arguments[0].complete && arguments[0].naturalWidth;", {ELEMENT: first}
        )
        and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert browser.js("return arguments[0].naturalWidth;", {ELEMENT: first}) == 4 * 112

    # Choose: card 1 becomes the class after its prediction, card 2 is skipped.
    classes = json.loads(browser.js("return document.getElementById('review-data').textContent;"))[
        "classes"
    ]
    new = (classes.index(rows[0][4]) + 1) % len(classes)
    browser.click(f'#card-1 input[value="{new}"]')
    browser.click('#card-2 input[value=""]')
    assert browser.js("return document.getElementById('status').textContent;") == (
        "8 clips: 1 relabelled, 1 skipped, 6 as predicted"
    )
    assert browser.js("return document.getElementById('card-1').className;") == "card changed"

    browser.click("#save")
    saved = wait_for(browser.downloads / "labels.csv").decode("utf-8")
    expected_rows = [[*rows[0][:4], classes[new], *rows[0][5:]], *rows[2:]]
    expected = list(csv.reader(io.StringIO(prefilled)))[:1] + expected_rows
    assert list(csv.reader(io.StringIO(saved))) == expected
    assert saved.splitlines()[0] == ",".join(LABEL_COLUMNS)
    assert saved.splitlines()[2:] == prefilled.splitlines()[3:]  # same bytes as labels.csv

    # A reload keeps the choices (localStorage); nothing ever opened an alert.
    browser.cmd("POST", "/refresh", {})
    assert browser.js("return document.getElementById('status').textContent;") == (
        "8 clips: 1 relabelled, 1 skipped, 6 as predicted"
    )
    assert not browser.alert_open()
