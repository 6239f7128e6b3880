"""`s2d models`: list, download, verify and import the published S2D checkpoints.

A thin skin over `s2dcli.weights`; library errors (`S2DError`) propagate to the top-level
group, which prints them as `Error: ...` with their exit status (2). When some of several
files fail and the rest are done, the status is 1.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from s2dcli.errors import MissingWeightsError, S2DError
from s2dcli.options import verbosity
from s2dcli.weights import (
    REGISTRY,
    CachedFile,
    MissingFile,
    cache_root,
    get_spec,
    import_file,
    is_offline,
    list_cached,
    resolve,
    verify_cached,
)
from s2dcli.weights.cache import refetch_commands
from s2dcli.weights.missing import pull_message


@dataclass(frozen=True)
class _ModelsOptions:
    """Options of the `models` group shared by its commands."""

    offline: bool


@click.group()
@click.option(
    "--offline",
    is_flag=True,
    default=False,
    help="Never touch the network; only cached files are used (same as HF_HUB_OFFLINE=1).",
)
@click.pass_context
def models(ctx: click.Context, offline: bool) -> None:
    """List, download, verify and import S2D weights.

    Files are cached in S2D_HOME (default ~/.cache/s2d) with their sha256, which is checked
    again on every load. Hub file names can change: wherever a NAME is taken, a local path,
    an https:// URL or hf://owner/repo/path/in/repo works too.

    \b
    Examples:
      s2d models list
      s2d models pull dfew-fold1 landmarks
      s2d --quiet models --offline pull dfew-fold1   # fails fast if not cached
      s2d models verify
      s2d models import ./fold1.pth --name dfew-fold1
    """
    ctx.obj = _ModelsOptions(offline=offline)


def _offline() -> bool | None:
    opts = click.get_current_context().find_object(_ModelsOptions)
    return True if opts is not None and opts.offline else None


def _cached_by_name() -> dict[str, CachedFile]:
    return {e.name: e for e in list_cached() if e.path.is_file()}


def _rows() -> list[dict[str, object]]:
    cached = _cached_by_name()
    rows: list[dict[str, object]] = []
    for spec in REGISTRY.values():
        entry = cached.pop(spec.name, None)
        rows.append(
            {
                "name": spec.name,
                "kind": spec.kind,
                "architecture": spec.architecture,
                "classes": list(spec.class_names),
                "source": spec.source,
                "description": spec.description,
                "cached": entry is not None,
                "path": str(entry.path) if entry else None,
                "sha256": entry.sha256 if entry else None,
            }
        )
    for entry in cached.values():  # custom imports and ad hoc URLs
        rows.append(
            {
                "name": entry.name,
                "kind": "custom",
                "architecture": None,
                "classes": [],
                "source": entry.source,
                "description": "",
                "cached": True,
                "path": str(entry.path),
                "sha256": entry.sha256,
            }
        )
    return rows


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@verbosity
def list_cmd(as_json: bool) -> None:
    """Show the published checkpoints, their classes and whether they are cached.

    \b
    Examples:
      s2d models list
      s2d models list --json | jq -r '.[] | select(.cached) | .path'
    """
    rows = _rows()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"S2D weights (cache: {cache_root()})")
        for col in ("name", "kind", "classes", "source", "cached"):
            table.add_column(col)
        for r in rows:
            classes = r["classes"]
            assert isinstance(classes, list)
            table.add_row(
                str(r["name"]),
                str(r["kind"]),
                f"{len(classes)}: {', '.join(classes)}" if classes else "-",
                str(r["source"]),
                str(r["path"]) if r["cached"] else "no",
            )
        Console().print(table)
        return
    click.echo(f"# cache: {cache_root()}")
    click.echo("\t".join(("name", "kind", "classes", "source", "cached")))
    for r in rows:
        classes = r["classes"]
        assert isinstance(classes, list)
        click.echo(
            "\t".join(
                (
                    str(r["name"]),
                    str(r["kind"]),
                    ",".join(classes) or "-",
                    str(r["source"]),
                    str(r["path"]) if r["cached"] else "no",
                )
            )
        )


def _check_names(names: tuple[str, ...]) -> None:
    """Fail before any download if a plain name is unknown (a typo at the end of a list)."""
    for name in names:
        if "://" not in name and not Path(name).expanduser().exists():
            get_spec(name)


@models.command()
@click.argument("names", nargs=-1, metavar="NAME...")
@click.option("--all", "all_", is_flag=True, help="Download every checkpoint in the registry.")
@click.option("--force", is_flag=True, help="Download again even if cached.")
@verbosity
def pull(names: tuple[str, ...], all_: bool, force: bool) -> None:
    """Download checkpoints into the cache and print their paths and sha256.

    NAME is a registry name (see `s2d models list`), an https:// URL or
    hf://owner/repo/path/in/repo. To fill an offline machine, pull on a connected one and
    copy its S2D_HOME folder over, or use `s2d models import`.

    \b
    Examples:
      s2d models pull dfew-fold1
      s2d models pull --all
      s2d models pull dfew-fold1 --force          # replace a corrupted copy
      s2d models pull hf://cyinen/S2D/DFEW/fold1.pth
    """
    if all_ and names:
        raise click.UsageError("Pass NAMEs or --all, not both.")
    if not all_ and not names:
        raise click.UsageError(
            "Name at least one checkpoint (see `s2d models list`) or pass --all."
        )
    targets = tuple(REGISTRY) if all_ else names
    _check_names(targets)
    failures: list[str] = []
    missing: list[MissingFile] = []
    for name in targets:
        try:
            path = resolve(name, offline=_offline(), force=force, progress=True)
        except MissingWeightsError as exc:
            missing += [m for m in exc.missing if isinstance(m, MissingFile)]
            failures.append(name)
            continue
        except S2DError as exc:
            if len(targets) == 1:
                raise
            click.echo(f"FAILED {name}: {exc}", err=True)
            failures.append(name)
            continue
        entry = next((e for e in list_cached() if e.path == path), None)
        if entry is None:
            raise click.UsageError(
                f"{name!r} is a local file, not a download; use "
                f"`s2d models import {name} --name NAME` to add it to the cache."
            )
        click.echo(f"{entry.name}\t{path}\tsha256={entry.sha256}")
    if missing:
        message = pull_message(missing, offline=is_offline(_offline()))
        if len(failures) == len(targets):
            raise MissingWeightsError(message, tuple(missing))
        click.echo(message, err=True)
    if failures:
        raise click.ClickException(
            f"{len(failures)} of {len(targets)} downloads failed: {', '.join(failures)} "
            "(reasons above). Fix the cause and run the command again; finished files stay "
            "cached."
        )


@models.command()
@click.argument("names", nargs=-1, metavar="[NAME...]")
@verbosity
def verify(names: tuple[str, ...]) -> None:
    """Re-hash cached files against the sha256 recorded when they were cached.

    Prints OK or FAILED per file; the exit status is 1 if any file fails.

    \b
    Examples:
      s2d models verify
      s2d models verify dfew-fold1 landmarks
    """
    wanted = [n.lower() if n.lower() in REGISTRY else n for n in names]
    results = verify_cached(wanted or None)
    if not results:
        click.echo(f"The weights cache {cache_root()} is empty; nothing to verify.")
        return
    for r in results:
        line = f"{'OK' if r.ok else 'FAILED':6} {r.entry.name}\t{r.entry.path}"
        click.echo(line if r.ok else f"{line}\t({r.reason})")
    bad = [r.entry for r in results if not r.ok]
    if bad:
        fixes = "\n".join(f"  {e.name}: {' or '.join(refetch_commands(e))}" for e in bad)
        raise click.ClickException(
            f"{len(bad)} of {len(results)} cached files failed verification. Replace them with "
            f"good copies:\n{fixes}"
        )


@models.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option(
    "--name",
    required=True,
    help="A registry name (see `s2d models list`) or a new name for your own checkpoint.",
)
@click.option("--force", is_flag=True, help="Replace an existing cache entry of that name.")
@verbosity
def import_cmd(path: Path, name: str, force: bool) -> None:
    """Copy a local weights file into the cache and record its sha256.

    Use it for files fetched by hand (e.g. on another machine); later loads of NAME use the
    copy and check its hash.

    \b
    Examples:
      s2d models import ~/Downloads/fold1.pth --name dfew-fold1
      s2d models import ./my_finetune.pth --name my-model   # then --weights my-model
    """
    entry = import_file(path, name, force=force)
    click.echo(f"Imported {path} as {entry.name}: {entry.path}\tsha256={entry.sha256}")
