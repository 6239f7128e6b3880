"""`s2d models`: manage the published S2D checkpoints (work in progress)."""

from __future__ import annotations

import click


@click.group()
def models() -> None:
    """List, download, verify and import S2D weights."""
