"""Fewer than 10 `# type: ignore` in s2dcli/ and engine/, each narrow and with its reason.

mypy checks both packages in CI; an ignore silences it for a line, so each one names the error
code it silences (`# type: ignore[arg-type]`) and says on the same line why the code is right
and the types are not (`# type: ignore[arg-type]  # torch's stub lacks the overload`).
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("s2dcli", "engine")
MAX_IGNORES = 9  # "fewer than 10"
MIN_REASON_CHARS = 8

IGNORE = re.compile(r"type:\s*ignore\b")
NARROW = re.compile(r"type:\s*ignore\[[a-z][a-z0-9-]*(?:\s*,\s*[a-z][a-z0-9-]*)*\](?P<rest>.*)")


def find_ignores(source: str) -> list[tuple[int, str]]:
    """(line, comment) of each comment holding `type: ignore` (strings do not count)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [
        (tok.start[0], tok.string)
        for tok in tokens
        if tok.type == tokenize.COMMENT and IGNORE.search(tok.string)
    ]


def problem(comment: str) -> str | None:
    """Why an ignore comment is not acceptable, or None when it is narrow and has a reason."""
    match = NARROW.search(comment)
    if match is None:
        return "not narrow: name the error code, e.g. # type: ignore[arg-type]"
    reason = match.group("rest").strip().lstrip("#").strip()
    if len(reason) < MIN_REASON_CHARS:
        return "no reason: say why on the same line, e.g. # type: ignore[x]  # <why>"
    return None


def package_ignores() -> dict[str, str]:
    """`path:line` -> comment, for every ignore in the packages."""
    found = {}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for line, comment in find_ignores(path.read_text(encoding="utf-8")):
                found[f"{path.relative_to(ROOT)}:{line}"] = comment
    return found


def test_fewer_than_ten_type_ignores():
    assert len(list((ROOT / "s2dcli").rglob("*.py"))) > 50  # the walk found the package
    found = package_ignores()
    assert len(found) <= MAX_IGNORES, (
        f"{len(found)} `# type: ignore` in {' and '.join(FOLDERS)} (at most {MAX_IGNORES}): "
        f"{sorted(found)}. Give the code real types (a Protocol, a typed helper, a cast "
        "with its reason) instead of silencing mypy."
    )


def test_each_type_ignore_is_narrow_and_gives_its_reason():
    bad = {
        where: f"{comment!r}: {why}"
        for where, comment in package_ignores().items()
        if (why := problem(comment)) is not None
    }
    assert not bad, f"type: ignore comments to fix (path:line: comment: problem): {bad}"


def test_find_ignores_reads_comments_not_strings():
    source = (
        'text = "# type: ignore"\n'
        "x = f()  # type: ignore[arg-type]  # the stub lacks the overload\n"
        "y = g()  # type: ignore\n"
    )
    assert [line for line, _ in find_ignores(source)] == [2, 3]


def test_problem_wants_a_code_and_a_reason():
    assert problem("# type: ignore[arg-type]  # torch's stub lacks this overload") is None
    assert problem("# type: ignore[arg-type, misc]  # decord is untyped here") is None
    assert problem("# type: ignore[arg-type] the stub lacks the overload") is None
    assert "not narrow" in str(problem("# type: ignore"))
    assert "not narrow" in str(problem("# type: ignore  # some reason given"))
    assert "no reason" in str(problem("# type: ignore[arg-type]"))
    assert "no reason" in str(problem("# type: ignore[arg-type]  #"))
    assert "no reason" in str(problem("# type: ignore[arg-type]  # ok"))
