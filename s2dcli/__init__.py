"""s2dcli: annotate video collections with facial emotions using S2D.

Importing this package is cheap: torch and the model code load only when used
(`s2dcli.models`), so `s2d --help` answers at once.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("s2dcli")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "annotate"]


def __getattr__(name: str) -> object:
    """`from s2dcli import annotate` loads the pipeline only when it is asked for."""
    if name == "annotate":
        from s2dcli.annotator import annotate

        return annotate
    raise AttributeError(f"module 's2dcli' has no attribute {name!r}")
