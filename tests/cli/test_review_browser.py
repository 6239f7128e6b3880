"""The review page in a real headless Chromium, opened from the file system: every card renders,
a label can be chosen and saved as a CSV download, and a hostile video name stays text.

The browser is driven by `tests.browser.WebDriver` (Debian's chromium and chromium-driver,
plain W3C WebDriver over HTTP); without them the test is skipped, unless
`S2D_REQUIRE_BROWSER=1`.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest

from s2dcli.review import ReviewOptions, review
from s2dcli.review.labelfile import LABEL_COLUMNS
from tests.browser import ELEMENT, WebDriver, browser_paths
from tests.cli.review_media import face_video, fake_results

HOSTILE = "<img src=x onerror=alert(1)>.mp4"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium, driver = browser_paths()
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
