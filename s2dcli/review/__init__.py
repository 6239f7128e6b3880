"""`s2d review`: show a person the clips the model is least sure about, learn from their labels.

    from s2dcli.review import ReviewOptions, review
    result = review("results.csv", "review/", videos=["videos/"])

`selection` picks the clips (pure), `source` reads the annotate run, `crops` cuts the preview
strips through the engine, `sheet` writes the contact sheet, `labelfile` the labels.csv that
`s2d train` reads, and `run` ties them together.
"""

from __future__ import annotations

from s2dcli.review.labelfile import LABEL_COLUMNS
from s2dcli.review.run import ReviewOptions, ReviewResult, review
from s2dcli.review.selection import STRATEGIES, SelectOptions, select_clips, uncertainty

__all__ = [
    "LABEL_COLUMNS",
    "STRATEGIES",
    "ReviewOptions",
    "ReviewResult",
    "SelectOptions",
    "review",
    "select_clips",
    "uncertainty",
]
