"""ELAN: one `.eaf` annotation document per video, written with pympi-ling.

Each document links its video (an absolute `file:///` URL and a URL relative to the `.eaf`,
both unescaped, as ELAN writes them) and holds, per face:

- `face N`: the label segments (`s2dcli.report.segments`), one annotation each, whose values
  come from a controlled vocabulary of the model's classes (`s2d classes`);
- `face N clips`: a dependent tier (Included In `face N`) with one annotation per clip, valued
  `Happy (0.82)` (label and confidence) over the span of time the clip owns once the overlaps
  of consecutive clips are split at their midpoints, so no two annotations of a tier overlap
  (ELAN does not allow that on one tier); each clip's full window is in the clip table.

Times are milliseconds. A span that rounds to zero length cannot be an ELAN annotation and is
left out (logged). A video without a face gets a document with its media linked and the
vocabulary, but no tiers, ready to be annotated by hand.
"""

from __future__ import annotations

import logging
import mimetypes
import os
from collections.abc import Sequence
from pathlib import Path

import pympi

from s2dcli.export.base import ExportFile, Writer, face_name, ms, with_suffix
from s2dcli.export.results import RunResults, VideoData

log = logging.getLogger("s2d.export")

SUFFIX = ".eaf"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
VOCABULARY = "s2d classes"
LABEL_TYPE = "s2d label"
CLIP_TYPE = "s2d clip"
CLIP_TIER_SUFFIX = " clips"
# ELAN's own reference for English, which it writes for every new vocabulary.
LANGUAGE = ("eng", "http://cdb.iso.org/lg/CDB-00130975-001", "English (eng)")


def clip_value(label: str, confidence: float) -> str:
    """A clip annotation's value: `Happy (0.82)`."""
    return f"{label} ({float(confidence):.2f})"


def build_eaf(video: VideoData, classes: Sequence[str], eaf_path: Path) -> pympi.Eaf:
    """The ELAN document of one video (see the module docstring)."""
    eaf = pympi.Eaf(author="s2dcli")
    eaf.remove_tier("default")
    eaf.remove_linguistic_type("default-lt")
    lang_id, lang_def, lang_label = LANGUAGE
    eaf.add_language(lang_id, lang_def, lang_label)
    eaf.add_controlled_vocabulary(VOCABULARY)
    eaf.add_cv_description(VOCABULARY, lang_id, "The classes of the S2D model (s2d annotate)")
    for i, name in enumerate(classes):
        eaf.add_cv_entry(VOCABULARY, f"cveid_{i}", [(name, lang_id, None)])
    eaf.add_linguistic_type(
        LABEL_TYPE,
        param_dict={
            "LINGUISTIC_TYPE_ID": LABEL_TYPE,
            "TIME_ALIGNABLE": "true",
            "GRAPHIC_REFERENCES": "false",
            "CONTROLLED_VOCABULARY_REF": VOCABULARY,
        },
    )
    eaf.add_linguistic_type(CLIP_TYPE, constraints="Included_In")
    _link_media(eaf, video, eaf_path)

    for face in video.faces:
        tier = face_name(face)
        clips_tier = tier + CLIP_TIER_SUFFIX
        eaf.add_tier(tier, ling=LABEL_TYPE, part=tier, ann="s2dcli")
        eaf.add_tier(clips_tier, ling=CLIP_TYPE, parent=tier, part=tier, ann="s2dcli")
        rows = video.segments[video.segments["face_id"] == face]
        for start, end, label in zip(rows["start_s"], rows["end_s"], rows["label"], strict=True):
            _annotate(eaf, tier, start, end, str(label), video.name)
        clips = video.spans[video.spans["face_id"] == face]
        for start, end, label, conf in zip(
            clips["own_start_s"],
            clips["own_end_s"],
            clips["label"],
            clips["confidence"],
            strict=True,
        ):
            _annotate(eaf, clips_tier, start, end, clip_value(str(label), conf), video.name)
    # ELAN numbers new annotations after this one (pympi leaves it at 0).
    used = eaf.maxaid if any(eaf.tiers[t][0] for t in eaf.tiers) else 0
    eaf.properties = [p for p in eaf.properties if p[0] != "lastUsedAnnotation"]
    eaf.properties.append(("lastUsedAnnotation", used))
    return eaf


def eaf_bytes(eaf: pympi.Eaf) -> bytes:
    """The document as UTF-8 XML with its declaration, as ELAN writes it (pympi's `to_eaf`
    would rename an existing file to .bak)."""
    text = pympi.Elan.to_string(eaf, pretty=True, encoding="unicode")
    return (XML_DECLARATION + str(text)).encode("utf-8")


def media_urls(media: Path, eaf_path: Path) -> tuple[str, str]:
    """(absolute `file:///` URL, URL relative to the .eaf), unescaped as ELAN writes them.
    Where no relative path exists (another Windows drive), both are the absolute URL."""
    absolute = Path(os.path.abspath(media))
    url = "file:///" + absolute.as_posix().lstrip("/")
    try:
        relative = Path(os.path.relpath(absolute, Path(os.path.abspath(eaf_path)).parent))
    except ValueError:  # the video and the .eaf on different drives
        return url, url
    text = relative.as_posix()
    return url, text if text.startswith("../") else "./" + text


def mime_type(name: str) -> str:
    """The media's MIME type from its extension; `unknown` (ELAN's word) when none fits."""
    guess, _ = mimetypes.guess_type(name, strict=False)
    return guess if guess and guess.split("/")[0] in ("video", "audio") else "unknown"


def _link_media(eaf: pympi.Eaf, video: VideoData, eaf_path: Path) -> None:
    if video.media is not None:
        url, relative = media_urls(video.media, eaf_path)
    else:  # not found: by name, so ELAN asks where it is
        basename = video.name.replace("\\", "/").rsplit("/", 1)[-1]
        url, relative = "file:///" + basename, "./" + basename
    eaf.add_linked_file(url, relpath=relative, mimetype=mime_type(video.name))


def _annotate(eaf: pympi.Eaf, tier: str, start: float, end: float, value: str, video: str) -> None:
    begin, stop = ms(start), ms(end)
    if stop <= begin:
        log.debug("%s: %s %s at %d ms is shorter than 1 ms: left out", video, tier, value, begin)
        return
    eaf.add_annotation(tier, begin, stop, value)


def _video_files(run: RunResults, video: VideoData, base: Path) -> list[ExportFile]:
    path = with_suffix(base, SUFFIX)
    return [ExportFile(path, lambda: eaf_bytes(build_eaf(video, run.classes, path)))]


WRITER = Writer(
    name="elan",
    summary="one .eaf per video (ELAN): a tier of label segments and a tier of clips per face",
    video_files=_video_files,
    needs_media=True,
)

__all__ = ["WRITER", "build_eaf", "clip_value", "eaf_bytes", "media_urls", "mime_type"]
