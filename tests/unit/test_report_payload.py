"""The report's data and pages without a browser: JSON that cannot end or change its <script>
element, a Content-Security-Policy that names the page's own script, per-video data that
agree with the segments table, and the files write_report writes, refuses and links."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from s2dcli.errors import OutputsExistError
from s2dcli.report import segments
from s2dcli.report.interactive import report_files, write_report
from s2dcli.report.interactive.pages import index_page, video_script
from s2dcli.report.interactive.payload import (
    UNKNOWN_COLOUR,
    overview_payload,
    script_json,
    video_payload,
)
from s2dcli.report.segments import owned_spans
from tests.cli.report_media import CLASSES, FACE0_LABELS, HOSTILE, crafted_run

NASTY = [HOSTILE, "</script><script>alert(3)</script>", "<!--", "a\u2028b\u2029c", "&amp;"]


class Scripts(HTMLParser):
    """The <script> elements of a page as the browser's tokenizer splits them."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self._attrs: dict | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._attrs = dict(attrs)
            self.scripts.append((self._attrs, ""))

    def handle_data(self, data):
        if self._attrs is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._attrs = None


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> Path:
    return crafted_run(tmp_path_factory.mktemp("crafted"))


def test_script_json_escapes_markup_and_round_trips():
    value = {"names": NASTY, "n": 1.5, "none": None}
    text = script_json(value)
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == value
    assert script_json({"bad": "\udcff.mp4"}) == '{"bad":"\ufffd.mp4"}'  # undecodable name
    with pytest.raises(ValueError):
        script_json({"x": float("nan")})


def test_the_page_holds_exactly_its_two_scripts_and_its_csp_names_the_inline_one():
    payload = {"facts": {"title": HOSTILE, "line": ""}, "videos": [{"video": v} for v in NASTY]}
    page = index_page(HOSTILE, payload)
    parser = Scripts()
    parser.feed(page)
    (data_attrs, data), (code_attrs, code) = parser.scripts
    assert data_attrs == {"type": "application/json", "id": "report-data"}
    assert json.loads(data) == payload and code_attrs == {}
    digest = base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode()
    csp = re.search(r'Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert f"script-src 'sha256-{digest}' 'self' file:;" in csp
    assert "default-src 'none'" in csp and "http" not in csp
    assert (
        "<title>&lt;script&gt;alert(1)&lt;!--&lt;img src=x onerror=alert(2)&gt;.mp4</title>" in page
    )
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing from the network
    js = video_script({"video": HOSTILE})
    assert js.startswith("S2D.receive({") and "<" not in js


def test_video_payload_agrees_with_the_clip_and_segment_tables(crafted):
    clips = pd.read_csv(crafted / "results.csv")
    moving = clips[clips.video == "moving.mp4"]
    spans = owned_spans(moving)
    segs = segments(moving)
    meta = {"video": "moving.mp4", "status": "ok", "duration_s": 7.0, "fps": 25.0}
    data = video_payload(0, meta, spans, segs, CLASSES, "../videos/moving.mp4")
    assert data["span"] == 7.0 and data["src"] == "../videos/moving.mp4"
    face0, face1 = data["faces"]
    assert [data["classes"][k] for k in face0["label"]] == list(FACE0_LABELS)
    assert face0["own_start"] == [0.0, 1.5, 2.5, 3.5, 4.5, 5.5]
    assert face0["box"][2] == [30.0, 20.0, 40.0, 40.0]
    expected = segs[segs.face_id == 0]
    got = [[s[0], s[1], data["classes"][s[2]], s[3]] for s in face0["segments"]]
    assert got == [
        [r.start_s, r.end_s, r.label, round(r.confidence, 4)] for r in expected.itertuples()
    ]
    assert [s[:2] for s in face0["segments"]] == [[0.0, 2.5], [2.5, 3.5], [3.5, 4.5], [4.5, 7.0]]
    assert data["classes"][face0["dominant"]] == "Angry" and face0["share"] == 0.5
    assert face1["id"] == 1 and face1["start"][0] == 2.0 and len(face1["segments"]) == 1
    assert len(face0["probs"][0]) == len(CLASSES)
    # A label that is not one of the classes is kept, drawn grey.
    odd = moving.assign(label="Bored")
    data = video_payload(0, meta, owned_spans(odd), segments(odd), CLASSES, None)
    assert data["classes"][-1] == "Bored" and data["colours"][-1] == UNKNOWN_COLOUR
    assert data["known"] == len(CLASSES)


def test_overview_payload_confidence_is_the_mean_of_the_dominant_labels_clips(crafted):
    clips = pd.read_csv(crafted / "results.csv")
    summary = pd.DataFrame(
        [
            {"video": "moving.mp4", "status": "ok", "dominant_label": "Angry", "share_Angry": 0.5},
            {"video": "gone.mp4", "status": "failed", "error": "not a video"},
        ]
    )
    data = overview_payload(summary, clips, CLASSES, [True, False], {"title": "t", "line": ""})
    moving, gone = data["videos"]
    angry = clips[(clips.video == "moving.mp4") & (clips.label == "Angry")].confidence.mean()
    assert moving["confidence"] == round(angry, 3) and moving["share"] == 0.5
    assert moving["clips"] == 9 and moving["found"] is True
    assert gone["status"] == "failed" and gone["error"] == "not a video"
    assert gone["confidence"] is None and gone["duration"] is None and gone["clips"] == 0


def test_write_report_links_refuses_overwrites_and_copies(crafted, tmp_path):
    folder = tmp_path / "my report"
    done = write_report(crafted / "results.csv", folder)
    assert done.videos == 2 and done.missing == [] and done.copied == 0
    assert sorted(done.files) == sorted(report_files(folder, 2))
    first = (folder / "videos" / "0.js").read_text(encoding="utf-8")
    src = json.loads(first[len("S2D.receive(") : -3])["src"]
    assert (folder / src).resolve() == (crafted / "videos" / "moving.mp4").resolve()
    assert src.startswith("../")  # relative: the folder and the videos move together
    with pytest.raises(OutputsExistError, match="--overwrite"):
        write_report(crafted / "results.csv", folder)
    copied = write_report(crafted / "results.csv", folder, copy_media=True, overwrite=True)
    assert copied.copied == 2
    assert (folder / "media" / "0.mp4").read_bytes() == (
        crafted / "videos" / "moving.mp4"
    ).read_bytes()
    assert '"src":"media/1.avi"' in (folder / "videos" / "1.js").read_text(encoding="utf-8")
    again = write_report(crafted / "results.csv", folder, copy_media=True, overwrite=True)
    assert again.copied == 0  # the copies are there already
    (folder / "videos" / "7.js").write_text("S2D.receive({});\n", encoding="utf-8")
    (folder / "videos" / "notes.js").write_text("// mine\n", encoding="utf-8")
    write_report(crafted / "results.csv", folder, overwrite=True)
    names = sorted(p.name for p in (folder / "videos").iterdir())
    assert names == ["0.js", "1.js", "notes.js"]  # an earlier report's 7.js is gone, not yours


def test_a_hostile_file_name_is_linked_percent_encoded(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / HOSTILE).write_bytes(b"x")
    columns = ["video", "face_id", "clip_index", "start_frame", "end_frame", "start_s"]
    columns += ["end_s", "label", "confidence", "p_a", "p_b", "box_x", "box_y", "box_w", "box_h"]
    row = [HOSTILE, 0, 0, 0, 9, 0.0, 1.0, "a", 0.6, 0.6, 0.4, 0, 0, 8, 8]
    pd.DataFrame([row], columns=columns).to_csv(tmp_path / "r.csv", index=False)
    done = write_report(tmp_path / "r.csv", tmp_path / "rep", videos=[str(videos)])
    text = (tmp_path / "rep" / "videos" / "0.js").read_text(encoding="utf-8")
    assert '"src":"../videos/%3Cscript%3Ealert%281%29%3C%21--%3Cimg%20src%3Dx%20' in text
    assert done.missing == [] and "<" not in text


def test_an_empty_jsonl_run_gives_a_report_of_its_failed_videos(tmp_path):
    (tmp_path / "r.jsonl").write_text("", encoding="utf-8")
    pd.DataFrame([{"video": "x.mp4", "status": "failed", "error": "no video stream"}]).to_csv(
        tmp_path / "r.videos.csv", index=False
    )
    done = write_report(tmp_path / "r.jsonl", tmp_path / "rep")
    page = (tmp_path / "rep" / "index.html").read_text(encoding="utf-8")
    assert done.videos == 1 and "no video stream" in page
