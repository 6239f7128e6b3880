"""The review page's HTML (escaping, no network, one card per clip) and labels.csv (the format
`s2d train` reads; the page's download writes the same bytes)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd

from s2dcli.labels import read_labels
from s2dcli.review.labelfile import LABEL_COLUMNS, csv_text, label_rows, write_labels
from s2dcli.review.sheet import Card, SheetInfo, render_sheet

CLASSES = ["happy", "sad", "neutral"]
HOSTILE = "<img src=x onerror=alert(1)>.mp4"
NASTY_CLASS = "</script><script>alert(2)</script>"


def chosen(names: list[str]) -> pd.DataFrame:
    rows = []
    for i, name in enumerate(names):
        rows.append(
            {
                "video": name,
                "face_id": i % 2,
                "start_s": float(i),
                "end_s": i + 2.0,
                "label": CLASSES[i % 3],
                "confidence": 0.4 + i / 100,
                "uncertainty": 1.0,
                "p_happy": 0.4,
                "p_sad": 0.35,
                "p_neutral": 0.25,
            }
        )
    return pd.DataFrame(rows)


def cards(frame: pd.DataFrame, classes: list[str]) -> list[Card]:
    rows = label_rows(frame)
    return [
        Card(
            rows[i],
            r.video,
            r.face_id,
            r.start_s,
            r.end_s,
            i % 3,
            [0.4, 0.35, 0.25],
            1.0,
            f"crops/{i + 1:04d}.jpg" if i else None,
        )
        for i, r in enumerate(frame.itertuples())
    ]


def test_labels_csv_is_what_train_reads(tmp_path: Path):
    names = ["a.mp4", "sub/b, with comma.mp4", 'c "quoted".mp4', HOSTILE]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    path = write_labels(tmp_path / "review" / "labels.csv", label_rows(chosen(names)))
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(LABEL_COLUMNS)
    assert text.splitlines()[1] == "a.mp4,0,2,0,happy,happy,0.4"
    parsed = list(csv.reader(io.StringIO(text)))
    assert [row[0] for row in parsed[1:]] == names  # quoting round-trips
    labels = read_labels(path, videos_root=tmp_path, classes=CLASSES)
    assert [c.video.name for c in labels.clips] == [Path(n).name for n in names]
    assert [(c.start_s, c.end_s, c.face_id, c.label) for c in labels.clips] == [
        (0.0, 2.0, 0, 0),
        (1.0, 3.0, 1, 1),
        (2.0, 4.0, 0, 2),
        (3.0, 5.0, 1, 0),
    ]


def test_page_escapes_every_name_and_fetches_nothing():
    classes = [*CLASSES[:2], NASTY_CLASS]
    frame = chosen(["fine.mp4", HOSTILE, "é & <b>bold</b>.mp4"])
    info = SheetInfo(
        title="review of <i>x</i>",
        source="<script>s</script>.csv",
        commands=["s2d train --labels 'a b'/labels.csv --init <w>"],
        colours={"happy": "#e6ab02", "sad": "red;}body{display:none"},
    )
    page = render_sheet(cards(frame, classes), classes, info)
    assert page.count('<article class="card"') == 3
    # Data never reaches the page as markup: only our own tags appear.
    assert "<img src=x" not in page and "<b>bold" not in page and "<i>x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.mp4" in page
    assert "&lt;/script&gt;&lt;script&gt;alert(2)" in page
    scripts = re.findall(r"<script\b", page)
    assert len(scripts) == 2  # the JSON block and the page's own script
    assert "display:none" not in page  # colours are checked, not copied
    # No network: no absolute URL, no protocol-relative one, images from crops/ only.
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", page)
    assert re.findall(r'src="([^"]*)"', page) == ["crops/0002.jpg", "crops/0003.jpg"]
    assert "@import" not in page and "url(" not in page
    # The JSON block parses back to the rows, with the names intact.
    block = re.search(
        r'<script type="application/json" id="review-data">(.*?)</script>', page, re.S
    ).group(1)
    assert "<" not in block and ">" not in block and "&" not in block
    data = json.loads(block)
    assert [row[0] for row in data["rows"]] == list(frame["video"])
    assert data["classes"] == classes and data["columns"] == list(LABEL_COLUMNS)
    assert data["predicted"] == [0, 1, 2]
    assert csv_text(data["rows"]) == csv_text(label_rows(frame))


def test_each_card_offers_every_class_and_skip_with_the_prediction_checked():
    frame = chosen(["a.mp4", "b.mp4"])
    page = render_sheet(cards(frame, CLASSES), CLASSES, SheetInfo())
    for n, predicted in ((1, 0), (2, 1)):
        radios = re.findall(rf'<input type="radio" name="c{n}" value="(\d*)"( checked)?>', page)
        assert [v for v, _ in radios] == ["0", "1", "2", ""]
        assert [v for v, checked in radios if checked] == [str(predicted)]
    assert "no frames" in page  # the first card has no strip
