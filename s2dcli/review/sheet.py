"""`index.html` of a review: a contact sheet with one card per chosen clip.

A card shows the clip's preview strip (a few face crops), the video's name, the face and time
range, the prediction and the class probabilities as a bar chart whose rows are also the
choice of label (prefilled with the prediction; "skip" leaves the clip out). "Save labels.csv"
downloads the rows with the chosen labels (see `s2dcli.review.assets`). The page is one file
with inline CSS and script beside its `crops/` folder: it opens from the file system, with no
server and no network.

Everything that comes from data (video names, class names, the title, the commands) goes
through `html.escape(..., quote=True)`; image sources are generated names, URL-quoted as well;
the JSON block has `<`, `>` and `&` written as `\\u003c` escapes, so no name can end the script
element. A video named `<img src=x onerror=alert(1)>.mp4` is shown as text, never run.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from s2dcli.atomic import write_atomic
from s2dcli.review.assets import CSS, SCRIPT
from s2dcli.review.labelfile import LABEL_COLUMN, LABEL_COLUMNS, clean, csv_text, number


@dataclass(frozen=True)
class Card:
    """One clip on the sheet.

    Attributes:
        row: its labels.csv row (text, `LABEL_COLUMNS` order).
        video, face_id, start_s, end_s: which clip.
        predicted: the index of the predicted class.
        probs: the class probabilities, in class order.
        uncertainty: the strategy's score.
        strip: the preview image, relative to the page (None: no frames).
    """

    row: Sequence[str]
    video: str
    face_id: int
    start_s: float
    end_s: float
    predicted: int
    probs: Sequence[float]
    uncertainty: float
    strip: str | None = None


@dataclass(frozen=True)
class SheetInfo:
    """What the page says about the review as a whole."""

    title: str = "s2d review"
    strategy: str = "entropy"
    source: str = ""
    commands: Sequence[str] = field(default_factory=tuple)
    colours: Mapping[str, str] = field(default_factory=dict)


def render_sheet(cards: Sequence[Card], classes: Sequence[str], info: SheetInfo) -> str:
    """The page, as a string."""
    classes = [clean(str(c)) for c in classes]
    rows = [[clean(str(v)) for v in card.row] for card in cards]
    payload = {
        "columns": list(LABEL_COLUMNS),
        "label_column": LABEL_COLUMN,
        "classes": classes,
        "predicted": [card.predicted for card in cards],
        "rows": rows,
        "key": hashlib.sha256(csv_text(rows).encode("utf-8")).hexdigest()[:16],
    }
    videos = len({card.video for card in cards})
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(info.title)}</title>",
        f"<style>\n{CSS}\n</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_esc(info.title)}</h1>",
        f"<p>{len(cards)} clips from {videos} videos, the most uncertain first by "
        f"{_esc(info.strategy)}; {_esc(info.source)}</p>",
        '<button type="button" id="save">Save labels.csv</button>',
        '<p id="status" role="status"></p>',
        "</header>",
        '<main id="cards">',
        *(_card(n, card, classes, info) for n, card in enumerate(cards, start=1)),
        "</main>",
        _footer(info),
        f'<script type="application/json" id="review-data">{_json(payload)}</script>',
        f"<script>\n{SCRIPT}\n</script>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def write_sheet(path: Path, cards: Sequence[Card], classes: Sequence[str], info: SheetInfo) -> Path:
    """Write the page atomically (UTF-8); returns `path`."""
    page = render_sheet(cards, classes, info)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, page)


def _card(n: int, card: Card, classes: Sequence[str], info: SheetInfo) -> str:
    video = clean(card.video)
    predicted = classes[card.predicted]
    span = f"{number(card.start_s, 2)}\u2013{number(card.end_s, 2)} s"
    lines = [f'<article class="card" id="card-{n}" data-n="{n}">']
    if card.strip is not None:
        lines.append(
            f'<img class="strip" src="{_esc(quote(card.strip, safe="/"))}" '
            f'alt="frames of clip {n}" loading="lazy">'
        )
    else:
        lines.append('<div class="noframes">no frames (video not found or unreadable)</div>')
    lines += [
        f'<h2 class="video" title="{_esc(video)}">{_esc(video)}</h2>',
        f'<p class="meta">face {card.face_id} &middot; {_esc(span)} &middot; predicted '
        f"<b>{_esc(predicted)}</b> {card.probs[card.predicted]:.2f}"
        f"{_score(info.strategy, card.uncertainty)}</p>",
        f'<fieldset class="choice"><legend>label of clip {n}</legend>',
    ]
    for i, name in enumerate(classes):
        p = max(0.0, min(1.0, float(card.probs[i])))
        colour = info.colours.get(name, "#888888")
        kind = "bar predicted" if i == card.predicted else "bar"
        checked = " checked" if i == card.predicted else ""
        lines.append(
            f'<label class="{kind}"><input type="radio" name="c{n}" value="{i}"{checked}>'
            f'<span class="name">{_esc(name)}</span><span class="track"><span class="fill" '
            f'style="width:{100 * p:.1f}%;background:{_esc(_colour(colour))}"></span></span>'
            f'<span class="p">{p:.2f}</span></label>'
        )
    lines += [
        f'<label class="bar skip"><input type="radio" name="c{n}" value="">'
        '<span class="name">skip (leave out)</span></label>',
        "</fieldset>",
        "</article>",
    ]
    return "\n".join(lines)


def _score(strategy: str, value: float) -> str:
    if strategy == "entropy":
        return f" &middot; entropy {value:.3f}"
    if strategy == "margin":
        return f" &middot; top-2 margin {-value:.3f}"
    return ""


def _footer(info: SheetInfo) -> str:
    lines = [
        "<footer>",
        "<h2>Then</h2>",
        "<p>Save labels.csv (the browser puts it with your downloads: use it in place of "
        "the labels.csv beside this page), then fine-tune and compare on held-out "
        "clips:</p>",
    ]
    if info.commands:
        lines.append("<pre>" + "\n".join(_esc(c) for c in info.commands) + "</pre>")
    lines.append("</footer>")
    return "\n".join(lines)


def _colour(text: str) -> str:
    """A CSS colour from our own table; anything unexpected becomes grey."""
    ok = (
        text.startswith("#")
        and len(text) in (4, 7)
        and all(c in "0123456789abcdefABCDEF" for c in text[1:])
    )
    return text if ok else "#888888"


def _json(payload: object) -> str:
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _esc(text: str) -> str:
    return html.escape(clean(text), quote=True)


__all__ = ["Card", "SheetInfo", "render_sheet", "write_sheet"]
