"""write_index: a self-contained page where every string from data is escaped."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest

from s2dcli.report import (
    SUMMARY_COLUMNS,
    VideoMeta,
    summary_frame,
    summary_row,
    timeline_filename,
    write_index,
)

CLASSES = ["happy", "sad"]
SCRIPT = "<script>alert(1)</script>.mp4"
IMG = "<img src=x onerror=alert(1)>.mp4"
# The tags the page itself emits; anything else would come from data.
EMITTED = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "h1",
    "h2",
    "h3",
    "p",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
    "section",
    "img",
}


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    @classmethod
    def parse(cls, source: str) -> Page:
        page = cls()
        page.feed(source)
        page.close()
        return page

    def srcs(self) -> list[str]:
        return [str(a["src"]) for t, a in self.tags if t == "img"]


def clips_of(video: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "video": video,
                "face_id": 0,
                "clip_index": 0,
                "start_frame": 0,
                "end_frame": 49,
                "start_s": 0.0,
                "end_s": 2.0,
                "label": "happy",
                "confidence": 0.9,
                "p_happy": 0.9,
                "p_sad": 0.1,
                "box_x": 0.0,
                "box_y": 0.0,
                "box_w": 9.0,
                "box_h": 9.0,
                "det_score": 0.98,
                "model": "s2d_test",
            }
        ]
    )


@pytest.fixture
def summary() -> pd.DataFrame:
    rows = [
        summary_row(VideoMeta(SCRIPT, "ok", "", 2.0, 25.0, 50), clips_of(SCRIPT), CLASSES),
        summary_row(
            VideoMeta(IMG, "failed", '<b onmouseover="x">boom</b> & "more"'),
            clips_of(IMG).iloc[0:0],
            CLASSES,
        ),
        summary_row(
            VideoMeta("sub/a b é.mp4", "no_face", "", 1.5, 30.0, 45),
            clips_of("x").iloc[0:0],
            CLASSES,
        ),
    ]
    return summary_frame(rows, CLASSES)


def test_hostile_names_appear_only_escaped(tmp_path, summary):
    timelines = {v: f"t{i}.png" for i, v in enumerate(summary["video"])}
    out = write_index(tmp_path / "index.html", summary, timelines, "label_distribution.png")
    source = out.read_text(encoding="utf-8")
    page = Page.parse(source)
    assert {t for t, _ in page.tags} <= EMITTED
    for _, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on")
            assert "onerror" not in name and "onerror" not in (value or "")
    assert "<script" not in source
    assert "<img src=x" not in source
    assert "<b " not in source
    assert source.count("<img ") == 1 + 3  # the distribution and one timeline per video
    text = "".join(page.text)
    assert SCRIPT in text and IMG in text  # shown to the reader as the names they are
    assert '<b onmouseover="x">boom</b> & "more"' in text
    assert page.srcs() == ["label_distribution.png", *timelines.values()]


def test_image_sources_are_url_quoted(tmp_path, summary):
    timelines = {
        SCRIPT: "a b.png",
        IMG: 'x" onerror="alert(1).png',
        "sub/a b é.mp4": "javascript:alert(1)",
    }
    source = write_index(tmp_path / "i.html", summary, timelines, "dist ü.png").read_text("utf-8")
    page = Page.parse(source)
    assert page.srcs() == [
        "dist%20%C3%BC.png",
        "a%20b.png",
        "x%22%20onerror%3D%22alert%281%29.png",
        "javascript%3Aalert%281%29",
    ]
    assert all(set(a) <= {"src", "alt", "loading"} for t, a in page.tags if t == "img")


def test_all_summary_columns_and_sections(tmp_path, summary):
    source = write_index(
        tmp_path / "i.html", summary, {SCRIPT: "t.png"}, None, title="run <1>"
    ).read_text("utf-8")
    page = Page.parse(source)
    headers = [chunk.split("</th>")[0] for chunk in source.split("<th>")[1:]]
    assert headers == SUMMARY_COLUMNS(CLASSES)
    sections = [a["id"] for t, a in page.tags if t == "section"]
    assert sections == ["video-0", "video-1", "video-2"]
    assert [a["href"] for t, a in page.tags if t == "a"] == ["#video-0", "#video-1", "#video-2"]
    assert page.srcs() == ["t.png"]  # no distribution; the others have no timeline
    assert source.count("<p>no timeline</p>") == 2
    assert "<title>run &lt;1&gt;</title>" in source
    text = "".join(page.text)
    assert "status: failed" in text and "status: no_face" in text
    assert "dominant label: happy" in text and "faces: 0:happy 1.00" in text
    assert "http://" not in source and "https://" not in source  # self-contained


def test_empty_summary_and_odd_column_names(tmp_path):
    empty = summary_frame([], CLASSES)
    page = Page.parse(write_index(tmp_path / "e.html", empty, {}, None).read_text("utf-8"))
    assert "0 videos: no videos" in "".join(page.text)
    odd = pd.DataFrame({"video": ["v.mp4"], "<i>col</i>": ["<u>x</u>"], "n": [float("nan")]})
    source = write_index(tmp_path / "o.html", odd, {}, None).read_text("utf-8")
    assert "&lt;i&gt;col&lt;/i&gt;" in source and "&lt;u&gt;x&lt;/u&gt;" in source
    assert {t for t, _ in Page.parse(source).tags} <= EMITTED


def test_undecodable_names_do_not_break_the_page(tmp_path):
    bad = "bad\udcff.mp4"
    # (pandas' default Arrow strings refuse lone surrogates: the summary keeps object columns)
    table = summary_frame(
        [summary_row(VideoMeta(bad, "no_face"), pd.DataFrame(), CLASSES)], CLASSES
    )
    out = write_index(tmp_path / "b.html", table, {bad: timeline_filename(bad)}, None)
    assert "bad\ufffd" in out.read_text("utf-8")
