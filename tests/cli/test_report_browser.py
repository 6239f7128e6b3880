"""The interactive report in a real headless Chromium, opened from the file system: no console
errors, sorting, failed videos with reasons, a hostile name that stays text, seeking from a
timeline, the overlay box following the playhead, the label filter, the keys, the codec note,
and a 500-video index that opens in a few seconds.

The browser is `tests.browser.WebDriver` (Debian's chromium and chromium-driver); without them
the tests are skipped, unless `S2D_REQUIRE_BROWSER=1` (CI), where they fail.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

from s2dcli.report.interactive import write_report
from tests.browser import WebDriver, browser_paths
from tests.cli.report_media import BOX_STEP, HOSTILE, annotated_run, crafted_run

RIGHT, LEFT, SPACE = "\ue014", "\ue012", " "


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium, driver = browser_paths()
    root = tmp_path_factory.mktemp("report-browser")
    # Key presses in headless mode are user gestures, but say it outright for play().
    wd = WebDriver(
        driver, chromium, root / "profile", root, ("--autoplay-policy=no-user-gesture-required",)
    )
    wd.shots = root
    yield wd
    wd.close()


@pytest.fixture(scope="module")
def annotated(tmp_path_factory) -> Path:
    return annotated_run(tmp_path_factory.mktemp("annotated"))


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> Path:
    root = crafted_run(tmp_path_factory.mktemp("crafted"))
    write_report(root / "results.csv", root / "report", overwrite=True)
    return root


def go(browser: WebDriver, index: Path, fragment: str = "") -> None:
    browser.cmd("POST", "/url", {"url": index.resolve().as_uri() + fragment})


def errors(browser: WebDriver) -> list[dict]:
    return [e for e in browser.console() if e.get("level") in ("SEVERE", "ERROR")]


def until(browser: WebDriver, script: str, timeout: float = 10.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = browser.js(script)
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def open_video(browser: WebDriver, index: Path, n: int) -> None:
    go(browser, index, f"#video/{n}")
    assert until(browser, "return document.getElementById('v-title').textContent;")
    until(
        browser, "const v = document.getElementById('video'); return v.readyState >= 2 || v.error;"
    )


def seek(browser: WebDriver, t: float) -> None:
    browser.js(f"S2D.player.seek({t});")
    until(browser, "return !document.getElementById('video').seeking;")


def test_overview_of_a_real_run_with_a_hostile_name_and_failures(browser, annotated):
    index = annotated / "report" / "index.html"
    browser.console()
    go(browser, index)
    state = browser.js("""
        const rows = [...document.querySelectorAll('#videos tbody tr')];
        return {names: rows.map(r => r.querySelector('td.name a').textContent),
                status: rows.map(r => r.querySelector('td.status').textContent),
                reasons: rows.map(r => r.querySelector('td.error').textContent),
                problems: [...document.querySelectorAll('#problem-list li')].map(li => li.textContent),
                counts: document.getElementById('counts').textContent,
                scripts: document.querySelectorAll('script').length,
                injected: document.querySelectorAll('img').length,
                title: document.title};""")
    summary = pd.read_csv(annotated / "results.videos.csv", keep_default_na=False)
    assert state["names"] == list(summary["video"])
    assert HOSTILE in state["names"] and state["injected"] == 0 and state["scripts"] == 2
    assert state["status"] == list(summary["status"])
    assert dict(zip(state["names"], state["status"], strict=True))["broken.mp4"] == "failed"
    assert dict(zip(state["names"], state["status"], strict=True))["damaged.mp4"] == "partial"
    failed = summary.set_index("video").loc["broken.mp4", "error"]
    assert failed and failed in state["reasons"]
    assert len(state["problems"]) == 2 and any(failed in p for p in state["problems"])
    assert state["counts"].startswith("4 videos:")
    assert not browser.alert_open()
    browser.screenshot(browser.shots / "overview.png")

    # Sort by duration, longest first (two clicks), then by name.
    browser.click('th[data-key="duration"] button')
    browser.click('th[data-key="duration"] button')
    shown = browser.js(
        "return [...document.querySelectorAll('#videos tbody tr')].map(r => r.dataset.n);"
    )
    durations = summary["duration_s"].replace("", float("nan")).astype(float)
    expected = sorted(range(len(summary)), key=lambda n: (pd.isna(durations[n]), -durations[n]))
    assert [int(n) for n in shown] == expected
    assert errors(browser) == []


def test_view_of_a_real_video_plays_and_its_name_stays_text(browser, annotated):
    index = annotated / "report" / "index.html"
    summary = pd.read_csv(annotated / "results.videos.csv", keep_default_na=False)
    n = list(summary["video"]).index(HOSTILE)
    browser.console()
    go(browser, index)
    browser.click(f'tr[data-n="{n}"] a.video-link')
    until(browser, "return document.getElementById('video').readyState >= 2;")
    state = browser.js("""
        const v = document.getElementById('video');
        return {title: document.getElementById('v-title').textContent, hash: location.hash,
                error: v.error && v.error.code, width: v.videoWidth, duration: v.duration,
                note: document.getElementById('video-note').hidden,
                faces: document.querySelectorAll('svg.timeline').length,
                loaded: [...document.querySelectorAll('script[src]')].map(s => s.getAttribute('src'))};""")
    assert state["title"] == HOSTILE and state["hash"] == f"#video/{n}"
    assert state["error"] is None and state["width"] == 64 and state["note"] is True
    assert state["duration"] == pytest.approx(3.0, abs=0.05)
    assert state["faces"] == 1 and state["loaded"] == [f"videos/{n}.js"]  # on demand
    browser.find("body")
    browser.keys(SPACE)
    assert until(browser, "return document.getElementById('video').currentTime > 0.3;")
    browser.keys(SPACE)
    assert browser.js("return document.getElementById('video').paused;")
    assert browser.js("return document.querySelectorAll('img').length;") == 0
    assert not browser.alert_open()
    assert errors(browser) == []


def test_a_timeline_click_seeks_and_moves_the_playhead(browser, crafted):
    index = crafted / "report" / "index.html"
    browser.console()
    open_video(browser, index, 0)
    css = 'svg.timeline[data-face="0"]'
    browser.click_at(css, 100, -40)  # right of the centre, in the probability plot
    until(browser, "return document.getElementById('video').currentTime > 0;")
    got = browser.js(f"""
        const s = document.querySelector('{css}'), r = s.getBoundingClientRect();
        const px = (r.width / 2 + 100) * (s.viewBox.baseVal.width / r.width);
        return {{expected: (px - s.dataset.left) / s.dataset.inner * s.dataset.span,
                 t: document.getElementById('video').currentTime,
                 head: Number(s.querySelector('.playhead').dataset.t)}};""")
    assert got["t"] == pytest.approx(got["expected"], abs=0.02)
    assert got["head"] == pytest.approx(got["t"], abs=0.02) and 3.5 < got["t"] < 5.0
    # A click on a segment seeks to its start: face 0's Sad segment starts at 3.5 s.
    browser.click('svg.timeline[data-face="0"] .seg[data-label="Sad"]')
    assert until(browser, "return document.getElementById('video').currentTime === 3.5;")
    assert errors(browser) == []


def test_the_overlay_box_follows_the_playhead(browser, crafted):
    index = crafted / "report" / "index.html"
    open_video(browser, index, 0)
    boxes = {}
    for t in (0.5, 1.0, 1.5, 2.2, 4.0, 6.9):
        seek(browser, t)
        boxes[t] = json.loads(
            browser.js("return document.getElementById('overlay').dataset.boxes;")
        )
    # Face 0: clip c's box starts at x = 10 + 10c; between clip centres (c + 1 s) it moves.
    assert [b["face"] for b in boxes[0.5]] == [0]  # face 1 starts at 2 s
    assert boxes[0.5][0]["box"] == [10.0, 20.0, 40.0, 40.0]
    assert boxes[1.5][0]["box"][0] == pytest.approx(10 + BOX_STEP * 0.5, abs=0.1)
    assert boxes[2.2][0]["box"][0] == pytest.approx(10 + BOX_STEP * 1.2, abs=0.1)
    assert [b["face"] for b in boxes[4.0]] == [0, 1]
    assert boxes[4.0][0]["label"] == "Sad" and boxes[4.0][1]["label"] == "Sad"
    assert boxes[6.9][0]["box"][0] == pytest.approx(10 + BOX_STEP * 5, abs=0.1)
    assert [b["face"] for b in boxes[6.9]] == [0]  # face 1 ended at 6 s
    xs = [boxes[t][0]["box"][0] for t in sorted(boxes)]
    assert xs == sorted(xs) and xs[0] < xs[-1]
    # And the canvas shows it: the box's left edge is painted, its inside is not.
    seek(browser, 2.2)
    pixels = browser.js("""
        const c = document.getElementById('overlay'), r = devicePixelRatio || 1;
        const [x, y, w, h] = JSON.parse(c.dataset.drawn)[0];
        const at = (px, py) => c.getContext('2d').getImageData(
            Math.round(px * r), Math.round(py * r), 1, 1).data[3];
        return {edge: at(x, y + h / 2), inside: at(x + w / 2, y + h / 2), drawn: c.dataset.drawn};""")
    assert pixels["edge"] > 200 and pixels["inside"] == 0, pixels
    browser.screenshot(browser.shots / "view.png")


def test_the_label_filter_and_the_arrows_find_that_labels_segments(browser, crafted):
    index = crafted / "report" / "index.html"
    segs = pd.read_csv(crafted / "results.segments.csv")
    angry = segs[(segs.video == "moving.mp4") & (segs.label == "Angry")].sort_values("start_s")
    assert list(angry.start_s) == [2.5, 4.5]
    open_video(browser, index, 0)
    options = browser.js(
        "return [...document.querySelectorAll('#label-filter option')].map(o => o.textContent);"
    )
    assert options == ["any label", "Happy (1)", "Sad (2)", "Angry (2)"]
    browser.js("""const s = document.getElementById('label-filter'); s.value = 'Angry';
                  s.dispatchEvent(new Event('change'));""")
    seek(browser, 0.0)
    browser.click("#next-seg")
    assert until(browser, "return document.getElementById('video').currentTime === 2.5;")
    assert "face 0: Angry" in browser.js(
        "return document.getElementById('current-segment').textContent;"
    )
    browser.find("body")
    browser.keys(RIGHT)
    assert until(browser, "return document.getElementById('video').currentTime === 4.5;")
    browser.keys(RIGHT)  # no later Angry segment: stays, says so
    time.sleep(0.2)
    assert browser.js("return document.getElementById('video').currentTime;") == 4.5
    assert "no later segment" in browser.js(
        "return document.getElementById('current-segment').textContent;"
    )
    browser.keys(LEFT)
    assert until(browser, "return document.getElementById('video').currentTime === 2.5;")
    browser.keys("\ue00c")  # Esc: back to the overview, where the arrows do nothing
    assert until(
        browser, "return location.hash === '' && !document.getElementById('overview').hidden;"
    )
    browser.keys(RIGHT)
    go(browser, index, "#video/0")
    assert until(browser, "return document.getElementById('v-title').textContent === 'moving.mp4';")
    # Any label, face 1 only: its single Sad segment from 2 s.
    browser.js("""document.getElementById('label-filter').value = '';
                  document.getElementById('face-filter').value = '1';""")
    seek(browser, 0.0)
    browser.keys(RIGHT)
    assert until(browser, "return document.getElementById('video').currentTime === 2.0;")
    assert errors(browser) == []


def test_a_video_the_browser_cannot_play_gets_a_note_and_the_timelines_still_work(browser, crafted):
    index = crafted / "report" / "index.html"
    browser.console()
    go(browser, index, "#video/1")  # legacy.avi: MJPEG in AVI
    assert until(browser, "return !document.getElementById('video-note').hidden;")
    note = browser.js("return document.getElementById('video-note').textContent;")
    assert "cannot play legacy.avi" in note and "ffmpeg" in note
    browser.click('svg.timeline[data-face="0"] .seg[data-label="Happy"]')
    assert browser.js("return document.getElementById('overlay').dataset.t;") == "1.500"
    assert browser.js("return document.getElementById('clock').textContent;").startswith("1.50 s")
    browser.screenshot(browser.shots / "codec-note.png")
    # The only console line is the media error itself, none from the page's scripts.
    assert all("legacy.avi" in e["message"] for e in errors(browser))


def test_an_index_of_500_videos_opens_in_seconds_and_loads_one_video_on_demand(browser, tmp_path):
    classes = ["Happy", "Sad", "Neutral", "Angry"]
    rows = []
    for v in range(500):
        for c in range(40):
            p = [0.1, 0.1, 0.1, 0.1]
            p[(v + c // 10) % 4] = 0.7
            label = classes[p.index(0.7)]
            head = [f"v{v:03d}.mp4", 0, c, c * 25, c * 25 + 49, c, c + 2.0, label, 0.7]
            rows.append([*head, *p, 1.0, 2.0, 30.0, 30.0, 0.9, "m"])
    columns = ["video", "face_id", "clip_index", "start_frame", "end_frame", "start_s", "end_s",
               "label", "confidence", *[f"p_{c}" for c in classes],
               "box_x", "box_y", "box_w", "box_h", "det_score", "model"]  # fmt: skip
    pd.DataFrame(rows, columns=columns).to_csv(tmp_path / "big.csv", index=False)
    summary = pd.DataFrame(  # as annotate writes it (the report rebuilds a missing one, slowly)
        {"video": [f"v{v:03d}.mp4" for v in range(500)], "status": "ok", "error": "",
         "duration_s": 41.0, "fps": 25.0, "frames": 1025, "faces": 1, "clips": 40,
         "dominant_label": [classes[v % 4] for v in range(500)],
         **{f"share_{c}": 0.25 for c in classes}, "face_labels": ""}
    )  # fmt: skip
    summary.to_csv(tmp_path / "big.videos.csv", index=False)
    started = time.perf_counter()
    done = write_report(tmp_path / "big.csv", tmp_path / "report")
    written_s = time.perf_counter() - started
    assert done.videos == 500 and len(list((tmp_path / "report" / "videos").iterdir())) == 500
    size = (tmp_path / "report" / "index.html").stat().st_size
    browser.console()
    go(browser, done.index)
    timing = browser.js("""
        return {rows: document.querySelectorAll('#videos tbody tr').length,
                ms: performance.now(), scripts: document.querySelectorAll('script[src]').length};""")
    assert timing["rows"] == 500 and timing["scripts"] == 0
    assert timing["ms"] < 3000, timing
    go(browser, done.index, "#video/250")
    assert until(browser, "return document.getElementById('v-title').textContent;") == "v250.mp4"
    assert browser.js("return document.querySelectorAll('script[src]').length;") == 1
    print(f"500 videos: written in {written_s:.2f} s, index {size / 1e3:.0f} kB, "
          f"shown {timing['ms']:.0f} ms after navigation")  # fmt: skip
    assert written_s < 30 and size < 1_000_000
    assert [e for e in errors(browser) if "v250.mp4" not in e["message"]] == []
