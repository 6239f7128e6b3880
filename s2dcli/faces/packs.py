"""InsightFace model packs: where they live, which file is the detector, and the download.

A pack is a folder `<root>/models/<name>/` of ONNX files, e.g. `buffalo_l/det_10g.onnx`. The
root is the `root` argument, else the environment variable INSIGHTFACE_HOME, else
`~/.insightface` (InsightFace's own default). Downloads go through InsightFace itself
(`insightface.utils.storage.ensure_available`), into that same folder, so a pack fetched by
InsightFace elsewhere is found here and the other way round.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from s2dcli.errors import InputError, WeightsNotAvailableError

logger = logging.getLogger("s2d.faces")

DEFAULT_PACK = "buffalo_l"
# Face packs InsightFace 2.1 publishes (raccoon_* carry a manifest.json).
KNOWN_PACKS = (
    "buffalo_l",
    "buffalo_m",
    "buffalo_s",
    "buffalo_sc",
    "antelopev2",
    "raccoon_s",
    "raccoon_l",
)
_DETECTOR_PREFIXES = ("det_", "scrfd")
_RELEASES = "https://github.com/deepinsight/insightface/releases/download/model-zoo/"


@dataclass(frozen=True)
class PackDetector:
    """The detector file of a pack and its input scaling."""

    path: Path
    mean: float = 127.5
    std: float = 128.0


def insightface_root(root: str | Path | None = None) -> Path:
    """`root`, else $INSIGHTFACE_HOME, else ~/.insightface."""
    if root is None:
        root = os.environ.get("INSIGHTFACE_HOME") or "~/.insightface"
    return Path(root).expanduser()


def pack_url(pack: str) -> str:
    """The address InsightFace downloads `pack` from."""
    try:
        from insightface.utils.storage import model_zoo_download_url
    except ImportError:  # pragma: no cover - insightface is a dependency
        return f"{_RELEASES}{pack}.zip"
    return str(model_zoo_download_url(f"{pack}.zip"))


def how_to_get(pack: str, root: str | Path | None = None) -> str:
    """One sentence telling the user how to install `pack` by hand or let InsightFace do it."""
    folder = insightface_root(root) / "models" / pack
    return (
        f"Run once with network access using --faces {pack} (InsightFace downloads it), or "
        f"download {pack_url(pack)} and unzip it so the .onnx files are in {folder}/ "
        "(set INSIGHTFACE_HOME to use another folder than ~/.insightface)."
    )


def find_pack_detector(pack: str | Path, root: str | Path | None = None) -> PackDetector | None:
    """The detector in pack `pack` (a name under `<root>/models/`, or a folder), or None when
    that folder does not exist.

    Raises:
        InputError: The folder exists but holds no detector (an interrupted unzip, say).
    """
    folder = (
        Path(pack).expanduser()
        if Path(pack).expanduser().is_dir()
        else (insightface_root(root) / "models" / str(pack))
    )
    if not folder.is_dir():
        return None
    if (folder / "manifest.json").is_file():
        return _manifest_detector(folder)
    # Some packs (antelopev2.zip) unzip into a subfolder of the same name.
    files = sorted(folder.glob("*.onnx")) or sorted(folder.glob("*/*.onnx"))
    named = [f for f in files if f.name.lower().startswith(_DETECTOR_PREFIXES)]
    for candidate in named or [f for f in files if _looks_like_detector(f)]:
        return PackDetector(candidate)
    raise InputError(
        f"The InsightFace pack folder {str(folder)!r} has no face detector (det_*.onnx or "
        f"scrfd*.onnx; found {', '.join(f.name for f in files) or 'no .onnx file'}). Delete "
        f"the folder and fetch the pack again. {how_to_get(folder.name, root)}"
    )


def _looks_like_detector(path: Path) -> bool:
    """SCRFD graphs have 6, 9, 10 or 15 outputs (InsightFace routes models the same way)."""
    import onnx

    try:
        graph = onnx.load_model(str(path), load_external_data=False).graph
    except Exception:  # a broken file is not a detector; the caller reports what it found
        return False
    return len(graph.output) in (6, 9, 10, 15)


def _manifest_detector(folder: Path) -> PackDetector:
    """The detection task of an InsightFace manifest-v2 package, hash-checked by InsightFace."""
    from insightface.model_zoo.package_manifest import load_model_package

    try:
        task = load_model_package(folder).verify_task("detection")
    except Exception as exc:  # InsightFace raises ValueError/KeyError/RuntimeError variously
        raise InputError(
            f"The InsightFace pack {str(folder)!r} has an unusable manifest.json ({exc}). "
            f"Delete the folder and fetch it again. {how_to_get(folder.name)}"
        ) from exc
    prep = dict(task.metadata).get("preprocessing")
    if isinstance(prep, dict):
        return PackDetector(Path(task.path), float(prep["mean"]), float(prep["std"]))
    return PackDetector(Path(task.path), 0.0, 1.0)  # "embedded": the graph scales by itself


def download_pack(pack: str, root: str | Path | None = None) -> PackDetector:
    """Let InsightFace download and unzip `pack` into `<root>/models/`, then find its detector.

    Raises:
        WeightsNotAvailableError: The download failed (offline, blocked, unknown pack).
    """
    from insightface.utils.storage import ensure_available

    base = insightface_root(root)
    logger.info("Downloading InsightFace pack %s from %s into %s", pack, pack_url(pack), base)
    chatter = io.StringIO()
    try:
        with contextlib.redirect_stdout(chatter):  # InsightFace prints its progress
            ensure_available("models", pack, root=str(base))
    except Exception as exc:  # requests/zipfile/OS errors: all mean "not available"
        raise WeightsNotAvailableError(
            f"Could not download the InsightFace pack {pack!r} ({type(exc).__name__}: {exc}). "
            f"{how_to_get(pack, root)} Or use --faces mtcnn, which needs no download."
        ) from exc
    finally:
        for line in chatter.getvalue().splitlines():
            logger.debug("insightface: %s", line)
    found = find_pack_detector(pack, root)
    if found is None:
        raise WeightsNotAvailableError(
            f"InsightFace reported pack {pack!r} as downloaded but {base / 'models' / pack} "
            f"does not exist. {how_to_get(pack, root)}"
        )
    return found
