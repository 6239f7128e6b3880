"""A real headless Chromium for the tests of the pages s2dcli writes (review sheet, report).

Chromium and its driver come from Debian's packages (`apt-get install chromium
chromium-driver`; `.ci/run` installs them). `WebDriver` starts `chromedriver` itself and speaks
the W3C WebDriver protocol to it over HTTP with the standard library (no Selenium, so nothing
is ever downloaded). Without them the tests are skipped, unless `S2D_REQUIRE_BROWSER=1` (CI),
where they fail.
"""

from __future__ import annotations

import base64
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


def find_executable(*names: str) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def browser_paths() -> tuple[str, str]:
    """Chromium's and chromedriver's paths; skips the test without them (fails under
    `S2D_REQUIRE_BROWSER=1`)."""
    chromium = find_executable("chromium", "chromium-browser")
    driver = find_executable("chromedriver")
    if chromium is None or driver is None:
        if os.environ.get("S2D_REQUIRE_BROWSER") == "1":
            pytest.fail("S2D_REQUIRE_BROWSER=1 but Chromium or chromedriver is not installed")
        pytest.skip(
            "Chromium and chromedriver are not installed (Debian: apt-get install "
            "chromium chromium-driver)"
        )
    return chromium, driver


class WebDriver:
    """The few W3C WebDriver commands the tests need, over plain HTTP."""

    def __init__(
        self,
        driver: str,
        browser: str,
        profile: Path,
        downloads: Path,
        extra_args: tuple[str, ...] = (),
    ) -> None:
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
            "args": [*CHROMIUM_FLAGS, *extra_args, f"--user-data-dir={profile}"],
            "prefs": {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
            },
        }
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": options,
                    "goog:loggingPrefs": {"browser": "ALL"},
                }
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

    def js_async(self, script: str, *args: object) -> object:
        """Run `script`; it calls `arguments[arguments.length - 1](value)` when done."""
        return self.cmd("POST", "/execute/async", {"script": script, "args": list(args)})

    def open(self, path: Path) -> None:
        self.cmd("POST", "/url", {"url": Path(path).resolve().as_uri()})

    def find(self, css: str) -> str:
        found = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        assert isinstance(found, dict) and ELEMENT in found, found
        return found[ELEMENT]

    def click(self, css: str) -> None:
        element = self.find(css)
        self.js("arguments[0].scrollIntoView({block: 'center'});", {ELEMENT: element})
        self.cmd("POST", f"/element/{element}/click", {})

    def click_at(self, css: str, x: int, y: int) -> None:
        """A real mouse click `x, y` pixels from the element's centre."""
        element = self.find(css)
        self.js("arguments[0].scrollIntoView({block: 'center'});", {ELEMENT: element})
        pointer = [
            {"type": "pointerMove", "origin": {ELEMENT: element}, "x": x, "y": y},
            {"type": "pointerDown", "button": 0},
            {"type": "pointerUp", "button": 0},
        ]
        actions = [{"type": "pointer", "id": "mouse", "actions": pointer}]
        self.cmd("POST", "/actions", {"actions": actions})
        self.cmd("DELETE", "/actions")

    def keys(self, *keys: str) -> None:
        """Press and release each key (`" "`, or WebDriver's code points such as
        `"\\ue014"` for the right arrow) on the focused element."""
        steps = []
        for key in keys:
            steps += [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]
        actions = [{"type": "key", "id": "keyboard", "actions": steps}]
        self.cmd("POST", "/actions", {"actions": actions})
        self.cmd("DELETE", "/actions")

    def console(self) -> list[dict]:
        """The browser console's entries since the last call (chromedriver's log endpoint)."""
        return self.cmd("POST", "/se/log", {"type": "browser"})  # type: ignore[return-value]

    def screenshot(self, path: Path) -> Path:
        data = self.cmd("GET", "/screenshot")
        assert isinstance(data, str)
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)

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
