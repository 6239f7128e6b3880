"""A self-contained HTML index of a run: the summary table, the label chart, one section a video.

The page needs no network and no JavaScript (inline CSS only) and sits beside the PNGs it shows.
Everything that comes from data (video names, errors, labels, column names) goes through
`html.escape(..., quote=True)`, and image sources are URL-quoted as well, so a video named
`<script>alert(1)</script>.mp4` is shown as text, never run.

    write_index(plots / "index.html", summary, {"a.mp4": "a-0123abcd.png"}, "labels.png")
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from s2dcli.atomic import write_atomic

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; font-size: 0.85rem; margin-bottom: 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.45rem; text-align: left; }
th { background: #f0f0f0; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.status-failed td { background: #fde8e8; }
tr.status-no_face td { background: #f6f6f6; color: #666; }
section { border-top: 1px solid #ddd; padding-top: 0.6rem; margin-top: 1rem; }
.error { color: #b00020; white-space: pre-wrap; }
img { max-width: 100%; height: auto; }
""".strip()
_KNOWN_STATUSES = ("ok", "no_face", "failed")


def write_index(
    path: Path,
    summary: pd.DataFrame,
    timelines: Mapping[str, str],
    distribution: str | None,
    title: str = "s2d annotate",
) -> Path:
    """Write the run's HTML index page.

    Args:
        path: the HTML file to write (replaced if it exists), UTF-8.
        summary: the summary table (`summary_frame`); every column is shown, in order.
        timelines: video name -> its timeline image, relative to the page's folder.
        distribution: the label distribution image, relative to the page's folder, or None.
        title: the page's title and heading.

    Returns:
        `path`.
    """
    page = render_index(summary, timelines, distribution, title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, page)


def render_index(
    summary: pd.DataFrame,
    timelines: Mapping[str, str],
    distribution: str | None,
    title: str = "s2d annotate",
) -> str:
    """The page `write_index` writes, as a string."""
    videos = [str(v) for v in summary["video"]] if "video" in summary.columns else []
    statuses = [str(s) for s in summary["status"]] if "status" in summary.columns else []
    counts = {s: statuses.count(s) for s in dict.fromkeys(statuses)}
    overview = ", ".join(f"{n} {s}" for s, n in counts.items()) or "no videos"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_esc(title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        f"<h1>{_esc(title)}</h1>",
        f"<p>{len(videos)} videos: {_esc(overview)}</p>",
    ]
    if distribution is not None:
        parts += [
            "<h2>Labels over the run</h2>",
            _img(distribution, "share of time per label over the run"),
        ]
    parts += ["<h2>Summary</h2>", _table(summary)]
    parts.append("<h2>Videos</h2>")
    for i, row in enumerate(summary.to_dict("records")):
        parts.append(_section(i, row, timelines))
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _table(summary: pd.DataFrame) -> str:
    columns = [str(c) for c in summary.columns]
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    rows = []
    for i, record in enumerate(summary.to_dict("records")):
        cells = []
        for column, value in zip(summary.columns, record.values(), strict=True):
            text = _cell(value)
            if column == "video":
                cells.append(f'<td><a href="#video-{i}">{_esc(text)}</a></td>')
            elif _is_number(value):
                cells.append(f'<td class="num">{_esc(text)}</td>')
            else:
                cells.append(f"<td>{_esc(text)}</td>")
        rows.append(f'<tr class="{_status_class(record.get("status"))}">{"".join(cells)}</tr>')
    return (
        f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


def _section(i: int, row: dict[str, object], timelines: Mapping[str, str]) -> str:
    video = str(row.get("video", ""))
    status = _cell(row.get("status", ""))
    error = _cell(row.get("error", ""))
    lines = [f'<section id="video-{i}">', f"<h3>{_esc(video)}</h3>", f"<p>status: {_esc(status)}"]
    if "dominant_label" in row and _cell(row["dominant_label"]):
        lines[-1] += f" &middot; dominant label: {_esc(_cell(row['dominant_label']))}"
    if "face_labels" in row and _cell(row["face_labels"]):
        lines[-1] += f" &middot; faces: {_esc(_cell(row['face_labels']))}"
    lines[-1] += "</p>"
    if error:
        lines.append(f'<p class="error">{_esc(error)}</p>')
    image = timelines.get(video)
    if image is not None:
        lines.append(_img(image, "class probabilities over time, per face"))
    else:
        lines.append("<p>no timeline</p>")
    lines.append("</section>")
    return "\n".join(lines)


def _img(src: str, alt: str) -> str:
    url = quote(str(src), safe="/", errors="replace")
    return f'<img src="{_esc(url)}" alt="{_esc(alt)}" loading="lazy">'


def _status_class(status: object) -> str:
    text = _cell(status)
    return f"status-{text}" if text in _KNOWN_STATUSES else "status-other"


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _cell(value: object) -> str:
    """A table cell's text: "" for missing values, floats to at most 4 decimals."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, int)):
        value = float(value)
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if not math.isfinite(value):
            return str(value)
        text = f"{value:.4f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    return str(value)


def _esc(text: str) -> str:
    """HTML-escaped text; lone surrogates (undecodable file names) become U+FFFD."""
    clean = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return html.escape(clean, quote=True)


__all__ = ["render_index", "write_index"]
