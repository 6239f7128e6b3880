"""No Python module over 400 lines (the house style): a file that grows past it is split by
concept, as timm's and PySceneDetect's one-idea-per-file layouts are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("s2dcli", "engine", "tests", "benchmarks")
MAX_LINES = 400


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_over_400_lines():
    files = [p for folder in FOLDERS for p in sorted((ROOT / folder).rglob("*.py"))]
    assert len(files) > 50  # the walk found the tree
    too_long = {str(p.relative_to(ROOT)): n for p in files if (n := line_count(p)) > MAX_LINES}
    assert not too_long, (
        f"Modules over {MAX_LINES} lines (path: lines): {too_long}. Split each by concept "
        "and keep its public names importable from where they were."
    )


def test_line_count_counts_lines(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("a = 1\n" * 401)
    assert line_count(path) == 401
    path.write_text("a = 1\n\nb = 2")
    assert line_count(path) == 3
