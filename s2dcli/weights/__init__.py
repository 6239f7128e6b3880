"""Published S2D weights: the registry, the sha256-checked cache and downloads.

Nothing here imports torch, and huggingface_hub is imported only when a hub download runs,
so the command line stays fast.
"""

from s2dcli.weights.cache import (
    CachedFile,
    VerifyResult,
    cache_path,
    cache_root,
    list_cached,
    lookup,
    sha256_file,
    verify_cached,
)
from s2dcli.weights.download import is_offline, parse_hf, resolve
from s2dcli.weights.importing import import_file
from s2dcli.weights.missing import MissingFile
from s2dcli.weights.registry import (
    DEFAULT_MODEL,
    LABEL_SETS,
    REGISTRY,
    WeightsSpec,
    get_spec,
)
from s2dcli.weights.require import WeightsNeed, require_weights

__all__ = [
    "DEFAULT_MODEL",
    "LABEL_SETS",
    "REGISTRY",
    "CachedFile",
    "MissingFile",
    "VerifyResult",
    "WeightsNeed",
    "WeightsSpec",
    "cache_path",
    "cache_root",
    "get_spec",
    "import_file",
    "is_offline",
    "list_cached",
    "lookup",
    "parse_hf",
    "require_weights",
    "resolve",
    "sha256_file",
    "verify_cached",
]
