"""`--config s2d.toml`: option defaults from a TOML file, per command.

A file may hold one table per command (`[annotate]`, `[train]`, `[evaluate]`, ...) or, for a
file meant for one command, the options at the top level. Flags on the command line win.
Unknown option names are refused (a typo should not be silently ignored).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

COMMAND_TABLES = ("annotate", "train", "evaluate", "benchmark", "review")


def read_toml(path: str) -> dict[str, Any]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]  # tomli: tomllib's 3.10 backport
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path!r}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise click.BadParameter(f"{path!r} is not valid TOML: {exc}") from exc


def config_defaults(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback (eager) that turns the command's table into `ctx.default_map`."""
    if value is None:
        return None
    data = read_toml(value)
    name = ctx.command.name or ""
    if name in data and isinstance(data[name], dict):
        section = data[name]
    elif any(isinstance(data.get(t), dict) for t in COMMAND_TABLES):
        section = {}  # tables for other commands only
    else:
        section = data
    known: dict[str, str] = {}  # "--val-split" / "val_split" -> the parameter's name
    for p in ctx.command.params:
        if isinstance(p, click.Option) and p.name and p.name != "config":
            known[p.name] = p.name
            for opt in p.opts:
                known[opt.lstrip("-").replace("-", "_")] = p.name
    defaults = {}
    for key, item in section.items():
        option = known.get(key.replace("-", "_"))
        if option is None:
            raise click.BadParameter(f"{value!r}: [{name}] has no option {key!r}", ctx, param)
        defaults[option] = item
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    return value
