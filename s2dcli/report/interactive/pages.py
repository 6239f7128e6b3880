"""The report's files as text: `index.html` (skeleton, styles, scripts and the overview's data in
one file) and one `videos/<n>.js` per video, which the page loads when that video is opened.

`index.html` needs nothing beside it but the `videos/` folder: the styles and scripts of
`assets/` are written into it, and nothing is loaded from the network. Its
Content-Security-Policy runs only that one inline script (by its sha256) and the report's own
files, so even markup that got into the page could not run. A video's data are a `<script
src>` (a `fetch()` of a local file is refused by Chromium under `file://`), which calls
`S2D.receive(...)` with the video's JSON. The skeleton holds no data apart from the title
(HTML-escaped); the scripts build everything from the JSON with `textContent` and DOM calls.
"""

from __future__ import annotations

import base64
import hashlib
import html
from functools import cache
from importlib import resources

from s2dcli.report.interactive.payload import clean_text, script_json

STYLES = ("report.css",)
# In this order: each may use what the ones before it define.
SCRIPTS = ("common.js", "timeline.js", "overview.js", "player.js", "app.js")
KEYS_HELP = (
    "Keys: space plays or pauses; \u2190 / \u2192 step to the previous / next segment (of the "
    "chosen label and face); Esc goes back to all videos. Click a timeline or a segment to seek."
)
_COLUMNS = (
    ("n", "number", "#"),
    ("video", "text", "video"),
    ("status", "text", "status"),
    ("duration", "number", "duration (s)"),
    ("faces", "number", "faces"),
    ("clips", "number", "clips"),
    ("dominant", "text", "dominant label"),
    ("share", "number", "share of time"),
    ("confidence", "number", "mean confidence"),
    ("shares", "none", "labels over time"),
    ("error", "text", "reason"),
)


@cache
def asset_text(name: str) -> str:
    """One of the `assets/` files, from the package data."""
    folder = resources.files("s2dcli.report.interactive").joinpath("assets")
    return folder.joinpath(name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def index_page(title: str, payload: object) -> str:
    """The report's `index.html`: the overview, and the view of one video (`#video/<n>`)."""
    style = "\n".join(asset_text(name) for name in STYLES)
    script = "\n".join(asset_text(name) for name in SCRIPTS)
    csp = (
        f"default-src 'none'; script-src {_sha256(script)} 'self' file:; "
        f"style-src {_sha256(style)}; img-src data:; media-src 'self' file: blob: data:; "
        "base-uri 'none'; form-action 'none'"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title>",
        f"<style>{style}</style>",
        "</head>",
        "<body>",
        "<header>",
        '<h1 id="title"></h1>',
        '<p id="facts" class="facts"></p>',
        "</header>",
        *_overview(),
        *_view(),
        '<script type="application/json" id="report-data">' + script_json(payload) + "</script>",
        f"<script>{script}</script>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def _overview() -> list[str]:
    return [
        '<main id="overview">',
        '<p id="counts" class="facts"></p>',
        '<section id="problems" hidden>',
        "<h2>Failed and partial videos</h2>",
        '<ul id="problem-list"></ul>',
        "</section>",
        "<section>",
        "<h2>Videos</h2>",
        '<div class="toolbar">',
        '<label>filter <input id="filter" type="search" '
        'placeholder="name, status, label or reason" autocomplete="off"></label>',
        '<span id="shown" class="facts"></span>',
        "</div>",
        '<div id="legend" class="legend"></div>',
        '<table id="videos" class="videos">',
        "<thead><tr>",
        *(
            f'<th data-key="{key}" data-type="{kind}" aria-sort="none">'
            f'<button type="button">{label}</button></th>'
            for key, kind, label in _COLUMNS
        ),
        "</tr></thead>",
        "<tbody></tbody>",
        "</table>",
        "</section>",
        "</main>",
    ]


def _view() -> list[str]:
    return [
        '<main id="view" hidden>',
        '<nav class="top">',
        '<a id="to-index" href="#">\u2191 all videos</a>',
        '<a id="prev-video" hidden>\u25c0 previous video</a>',
        '<a id="next-video" hidden>next video \u25b6</a>',
        "</nav>",
        '<h2 id="v-title"></h2>',
        '<p id="v-facts" class="facts"></p>',
        '<p id="v-reason" class="error" hidden></p>',
        '<p id="v-loading" class="note" hidden></p>',
        '<div class="player">',
        '<div class="stage" id="stage">',
        '<video id="video" controls preload="auto" playsinline></video>',
        '<canvas id="overlay" aria-hidden="true"></canvas>',
        "</div>",
        '<p id="video-note" class="note" hidden></p>',
        "</div>",
        '<div class="toolbar" id="toolbar">',
        '<button type="button" id="play">play</button>',
        '<span id="clock" class="clock">0.00 s</span>',
        '<button type="button" id="prev-seg">\u25c0 previous</button>',
        '<label>label <select id="label-filter"><option value="">any label</option></select>'
        "</label>",
        '<label>face <select id="face-filter"><option value="">any face</option></select></label>',
        '<button type="button" id="next-seg">next \u25b6</button>',
        '<span id="current-segment" class="facts"></span>',
        "</div>",
        f'<p class="keys">{_esc(KEYS_HELP)}</p>',
        '<div id="v-legend" class="legend"></div>',
        '<div id="faces"></div>',
        "</main>",
    ]


def video_script(payload: object) -> str:
    """The text of `videos/<n>.js`: hands the video's data to the page that loads it."""
    return f"S2D.receive({script_json(payload)});\n"


def _esc(text: str) -> str:
    return html.escape(clean_text(text), quote=True)


__all__ = ["KEYS_HELP", "SCRIPTS", "STYLES", "asset_text", "index_page", "video_script"]
