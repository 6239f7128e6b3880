"""Published S2D weights: the registry, the sha256-checked cache and downloads.

Nothing here imports torch, and huggingface_hub is imported only when a hub download runs,
so the command line stays fast.
"""

from s2dcli.weights.cache import (
    CachedFile,
    VerifyResult,
    cache_path,
    cache_root,
    import_file,
    list_cached,
    lookup,
    sha256_file,
    verify_cached,
)
from s2dcli.weights.download import is_offline, parse_hf, resolve
from s2dcli.weights.registry import (
    DEFAULT_MODEL,
    LABEL_SETS,
    REGISTRY,
    WeightsSpec,
    get_spec,
)

__all__ = [
    "DEFAULT_MODEL",
    "LABEL_SETS",
    "REGISTRY",
    "CachedFile",
    "VerifyResult",
    "WeightsSpec",
    "cache_path",
    "cache_root",
    "get_spec",
    "import_file",
    "is_offline",
    "list_cached",
    "lookup",
    "parse_hf",
    "resolve",
    "sha256_file",
    "verify_cached",
]
