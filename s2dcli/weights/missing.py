"""What to tell the user about weights files that are neither here nor downloadable.

`resolve()` raises `MissingWeightsError` with one `MissingFile` per file it could not get;
`require_weights()` gathers them for a whole run so one message lists every missing file.
The same facts are worded for two audiences: a run (`run_message`: put the file here, or pass
this option, or fetch them all with one `s2d models pull` line) and `s2d models pull` itself
(`pull_message`: which has no `--weights`, so it says how to add a copy or where to run it).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from s2dcli.weights.cache import cache_root
from s2dcli.weights.registry import LABEL_SETS, REGISTRY


@dataclass(frozen=True)
class MissingFile:
    """One weights file that cannot be had, and the ways to supply it.

    Attributes:
        label: What was asked for: a registry name, an address or an imported name.
        source: Where it would be downloaded from (or the imported file's path; may be empty).
        destination: The cache path where a copy put by hand is picked up (hashed on first use).
        flag: The option that points a run at a local copy (`--weights`, `--landmark-weights`).
        reason: Why it cannot be had, as a sentence.
        pull_name: What `s2d models pull` takes to fetch it; None when it has no download
            address (a file imported from disk).
        import_name: The `--name` for `s2d models import FILE --name ...`, or None.
        named_by: The option that asked for it (`--model`, `--init`, ...); defaults to `flag`.
        candidates: For a hub file that was not found: the hub addresses of the checkpoint
            files the repository does hold, most similar name first.
        retry: False when the server answered "no such file": pulling the same name again
            cannot help, so no `s2d models pull` line names it.
    """

    label: str
    source: str
    destination: Path
    flag: str
    reason: str
    pull_name: str | None
    import_name: str | None
    named_by: str = ""
    candidates: tuple[str, ...] = ()
    retry: bool = True

    @property
    def option(self) -> str:
        """The option that asked for the file (`named_by`, else `flag`)."""
        return self.named_by or self.flag


_MAX_CANDIDATES = 10


def _classes_hint(m: MissingFile) -> str:
    """` --classes dfew` for a registry checkpoint replaced by a hub address, else ''."""
    spec = REGISTRY.get(m.label.lower())
    if m.flag != "--weights" or spec is None or not spec.class_names:
        return ""
    key = next((k for k, v in LABEL_SETS.items() if v == spec.class_names), None)
    return " --classes " + (key or shlex.quote(",".join(spec.class_names)))


def _candidate_lines(m: MissingFile, command: str, hint: str = "") -> list[str]:
    """The candidate files as commands; `hint` (e.g. ` --classes dfew`) only for those in the
    folder of the file that was asked for (a file elsewhere may have other classes)."""
    if not m.candidates:
        return []
    shown = m.candidates[:_MAX_CANDIDATES]
    more = len(m.candidates) - len(shown)
    folder = m.source.rpartition("/")[0]
    lines = ["    The repository holds these checkpoint files (most similar name first); use one:"]
    for a in shown:
        extra = hint if a.rpartition("/")[0] == folder else ""
        lines.append(f"      {command.format(address=a)}{extra}")
    if more:
        lines.append(f"      ... and {more} more checkpoint files in the repository.")
    return lines


def _described(m: MissingFile) -> str:
    where = f" ({m.source})" if m.source and m.source != m.label else ""
    return f"{m.label}{where}: {m.reason}"


def pull_names(missing: Sequence[MissingFile]) -> list[str]:
    """What one `s2d models pull` command needs to fetch every file that a retry can fetch."""
    return list(dict.fromkeys(m.pull_name for m in missing if m.pull_name and m.retry))


def pull_line(missing: Sequence[MissingFile]) -> str | None:
    """The one `s2d models pull ...` command that fetches every pullable file, or None."""
    names = pull_names(missing)
    return "s2d models pull " + " ".join(shlex.quote(n) for n in names) if names else None


def run_message(missing: Sequence[MissingFile]) -> str:
    """The message for a run (annotate, train, evaluate) that lacks these files."""
    n = len(missing)
    lines = [
        "A weights file this run needs is missing and cannot be downloaded:"
        if n == 1
        else f"{n} weights files this run needs are missing and cannot be downloaded:"
    ]
    for m in missing:
        lines.append(f"  - {m.option} {_described(m)}")
        if m.candidates:
            lines += _candidate_lines(m, f"{m.flag} {{address}}", _classes_hint(m))
        lines.append(f"    Put the file at {m.destination}, or pass {m.flag} PATH.")
    pull = pull_line(missing)
    if pull:
        which = "it" if len(pull_names(missing)) == 1 else "them all"
        lines += [
            f"To fetch {which}, run this where the network is on:",
            f"  {pull}",
            f"(on another machine: then copy its S2D_HOME folder to {cache_root()} here, or set "
            "S2D_HOME to the copy).",
        ]
    imports = [m.import_name for m in missing if m.import_name]
    if imports:
        lines.append(f"If you have the file{'s' if len(imports) > 1 else ''}, import:")
        lines += [f"  s2d models import FILE --name {name}" for name in imports]
    return "\n".join(lines)


def pull_message(missing: Sequence[MissingFile], *, offline: bool) -> str:
    """The message for `s2d models pull` when these files cannot be fetched."""
    n = len(missing)
    lines = [f"Cannot fetch {'this weights file' if n == 1 else f'{n} weights files'}:"]
    for m in missing:
        lines.append(f"  - {_described(m)}")
        lines += _candidate_lines(m, "s2d models pull {address}")
        add = f"    If you have the file: put it at {m.destination}"
        if m.import_name:
            add += f", or run `s2d models import FILE --name {m.import_name}`"
        lines.append(add + " (it is hashed and recorded on first use).")
    pull = pull_line(missing)
    if pull and offline:
        lines.append(
            f"Offline mode is on: run `{pull}` on a machine with network (without --offline, "
            f"HF_HUB_OFFLINE unset), then copy its S2D_HOME folder to {cache_root()} here "
            "(or set S2D_HOME to the copy)."
        )
    elif pull:
        lines.append(f"Check the network (or HF_ENDPOINT), then run `{pull}` again.")
    return "\n".join(lines)
