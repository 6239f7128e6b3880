"""Read `s2d export`'s files back with the libraries (and the rules) the tools use, and
compare them with the segments and clips they came from.

- `.eaf`: pympi-ling, as ELAN's own files are read in Python;
- `.vtt` / `.srt`: webvtt-py and srt;
- BORIS external data: the steps of BORIS's `utilities.check_txt_file` and
  `utilities.txt2np_array` (csv.Sniffer's delimiter, a constant number of fields, header rows
  counted as the rows none of whose fields parses as an int, `np.loadtxt`), then the checks of
  `plot_data_module.Plot_data` (at least two distinct times);
- BORIS events: the XLSX read as BORIS's `load_observations_from_spreadsheet` reads it
  (pandas, column names upper-cased, `nan` as ""), state events paired per subject and code.
"""

from __future__ import annotations

import csv
import html
import itertools
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pympi
import srt
import webvtt


def ms(seconds: float) -> int:
    return round(float(seconds) * 1000.0)


def expected_segments(segments: pd.DataFrame, video: str) -> list[tuple[int, int, int, str, str]]:
    """(face, start ms, end ms, label, confidence to 2 decimals) of `video`, sorted; segments
    shorter than 1 ms are not exported."""
    rows = segments[segments["video"] == video]
    out = []
    for face, start, end, label, conf in zip(
        rows["face_id"],
        rows["start_s"],
        rows["end_s"],
        rows["label"],
        rows["confidence"],
        strict=True,
    ):
        if ms(end) > ms(start):
            out.append((int(face), ms(start), ms(end), str(label), f"{float(conf):.2f}"))
    return sorted(out)


# ------------------------------------------------------------------------------------ ELAN


def read_eaf(path: Path) -> pympi.Eaf:
    return pympi.Elan.Eaf(str(path))


def eaf_segments(eaf: pympi.Eaf) -> list[tuple[int, int, int, str]]:
    """(face, start ms, end ms, label) of the `face N` tiers."""
    out = []
    for tier in eaf.get_tier_names():
        if tier.startswith("face ") and not tier.endswith(" clips"):
            face = int(tier.split()[1])
            out += [(face, s, e, v) for s, e, v in eaf.get_annotation_data_for_tier(tier)]
    return sorted(out)


def check_eaf_structure(path: Path) -> None:
    """What ELAN relies on when it opens a document: the declaration, unique ids, every
    reference resolving (linguistic types, vocabularies, parents, time slots), annotations
    with start < end, a tier's annotations never overlapping, a dependent (Included_In) tier's
    inside its parent's, and the values of a vocabulary tier taken from the vocabulary."""
    import xml.etree.ElementTree as ET

    assert path.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.parse(path).getroot()
    assert root.tag == "ANNOTATION_DOCUMENT" and root.get("FORMAT") and root.get("VERSION")
    slots = {s.get("TIME_SLOT_ID"): int(s.get("TIME_VALUE", "-1")) for s in root.iter("TIME_SLOT")}
    types = {t.get("LINGUISTIC_TYPE_ID"): t for t in root.iter("LINGUISTIC_TYPE")}
    vocab = {
        cv.get("CV_ID"): {v.text for v in cv.iter("CVE_VALUE")}
        for cv in root.iter("CONTROLLED_VOCABULARY")
    }
    ids = [a.get("ANNOTATION_ID") for a in root.iter("ALIGNABLE_ANNOTATION")]
    assert len(ids) == len(set(ids))
    used = int(root.find("HEADER/PROPERTY[@NAME='lastUsedAnnotation']").text or 0)  # type: ignore[union-attr]
    assert used >= max((int(str(i)[1:]) for i in ids), default=0)
    tiers = {t.get("TIER_ID"): t for t in root.iter("TIER")}
    spans: dict[str | None, list[tuple[int, int, str]]] = {}
    for name, tier in tiers.items():
        kind = types[tier.get("LINGUISTIC_TYPE_REF")]
        allowed = (
            vocab[kind.get("CONTROLLED_VOCABULARY_REF")]
            if kind.get("CONTROLLED_VOCABULARY_REF")
            else None
        )
        rows = []
        for a in tier.iter("ALIGNABLE_ANNOTATION"):
            start, end = slots[a.get("TIME_SLOT_REF1")], slots[a.get("TIME_SLOT_REF2")]
            value = a.findtext("ANNOTATION_VALUE") or ""
            assert 0 <= start < end, (name, start, end)
            assert allowed is None or value in allowed, (name, value)
            rows.append((start, end, value))
        rows.sort()
        assert all(b[0] >= a[1] for a, b in itertools.pairwise(rows)), f"overlaps on {name}"
        spans[name] = rows
    for name, tier in tiers.items():
        parent = tier.get("PARENT_REF")
        if parent is None:
            continue
        assert types[tier.get("LINGUISTIC_TYPE_REF")].get("CONSTRAINTS") == "Included_In"
        for start, end, _ in spans[name]:
            assert any(p <= start and end <= q for p, q, _ in spans[parent]), (name, start, end)


def eaf_vocabulary(eaf: pympi.Eaf, cv: str = "s2d classes") -> list[str]:
    entries = eaf.get_cv_entries(cv)
    return [entries[k][0][0][0] for k in sorted(entries, key=lambda k: int(k.split("_")[-1]))]


# ------------------------------------------------------------------------------- subtitles


def read_vtt(path: Path) -> list[tuple[int, int, str]]:
    assert path.read_text(encoding="utf-8").startswith("WEBVTT")
    return [
        (_vtt_ms(c.start), _vtt_ms(c.end), html.unescape(c.text))
        for c in webvtt.read(str(path)).captions
    ]


def _vtt_ms(stamp: str) -> int:
    """`HH:MM:SS.mmm` -> ms (webvtt-py's `start_in_seconds` drops the milliseconds)."""
    hours, minutes, seconds = stamp.split(":")
    return round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)


def read_srt(path: Path) -> list[tuple[int, int, str]]:
    subs = list(srt.parse(path.read_text(encoding="utf-8")))
    return [
        (round(s.start.total_seconds() * 1000), round(s.end.total_seconds() * 1000), s.content)
        for s in subs
    ]


def expected_cues(segments: pd.DataFrame, video: str) -> list[tuple[int, int, str]]:
    return sorted(
        (start, end, f"face {face}: {label} ({conf})")
        for face, start, end, label, conf in expected_segments(segments, video)
    )


# ---------------------------------------------------------------------------------- BORIS


def _intfloatstr(value: str) -> object:
    """BORIS's `utilities.intfloatstr`: an int, else a float formatted as text, else text."""
    try:
        return int(value)
    except ValueError:
        try:
            return f"{float(value):0.3f}"
        except ValueError:
            return value


def boris_read_data(path: Path, columns: str = "1,2") -> np.ndarray:
    """What BORIS plots from an external-data file (see the module docstring)."""
    with open(path) as f:
        dialect = csv.Sniffer().sniff(f.read(4096))
    with open(path) as f:
        rows = [row for row in csv.reader(f, delimiter=dialect.delimiter) if row]
    assert len({len(row) for row in rows}) == 1, "BORIS: not a constant number of columns"
    header = sum(all(isinstance(_intfloatstr(x), str) for x in row) for row in rows)
    cols = [int(c) - 1 for c in columns.split(",")]
    data = np.loadtxt(path, delimiter=dialect.delimiter, usecols=cols, skiprows=header, ndmin=2)
    data = data[data[:, 0].argsort()]
    _, first = np.unique(data[:, 0], return_index=True)
    assert len(first) >= 2, "BORIS: only one time value is present"
    return data


def read_boris_events(path: Path) -> pd.DataFrame:
    """The events sheet as BORIS's spreadsheet import reads it."""
    frame = pd.read_excel(path, sheet_name=0, engine="openpyxl")
    frame.columns = frame.columns.str.upper()
    for column in ("TIME", "SUBJECT", "CODE", "MODIFIER", "COMMENT"):
        assert column in frame.columns, f"BORIS needs a {column.lower()} column"
    return frame.astype(object).where(frame.notna(), "")


def boris_state_events(events: pd.DataFrame) -> list[tuple[int, int, int, str]]:
    """(face, start ms, end ms, code): each subject's rows of one code paired in time order,
    as BORIS pairs the occurrences of a state event; the STATUS column must agree."""
    out = []
    for (subject, code), rows in events.groupby(["SUBJECT", "CODE"], sort=False):
        times = rows["TIME"].astype(float).to_numpy()
        assert len(times) % 2 == 0, f"unpaired state event {code} of {subject}"
        assert (np.diff(times) >= 0).all()
        assert list(rows["STATUS"]) == ["START", "STOP"] * (len(times) // 2)
        face = int(str(subject).split()[1])
        out += [
            (face, ms(a), ms(b), str(code)) for a, b in zip(times[::2], times[1::2], strict=True)
        ]
    return sorted(out)


# ------------------------------------------------------------------- all formats of a video


def owned(clips: pd.DataFrame, video: str, face: int) -> pd.DataFrame:
    from s2dcli.report.segments import owned_spans

    spans = owned_spans(clips[clips["video"] == video])
    return spans[spans["face_id"] == face]


def check_video(
    base: Path,
    video: str,
    segments: pd.DataFrame,
    clips: pd.DataFrame,
    classes: list[str],
    media: Path | None = None,
    formats: tuple[str, ...] = ("elan", "boris", "vtt", "srt"),
) -> None:
    """Every export of one video, read back, against its segments and clips. `base` is the
    video's export path without a suffix."""
    seg = expected_segments(segments, video)
    faces = sorted({int(f) for f in clips.loc[clips["video"] == video, "face_id"]})
    if "elan" in formats:
        check_eaf_structure(base.with_name(base.name + ".eaf"))
        eaf = read_eaf(base.with_name(base.name + ".eaf"))
        assert eaf_segments(eaf) == [(f, s, e, label) for f, s, e, label, _ in seg]
        assert eaf_vocabulary(eaf) == list(classes)
        assert sorted(eaf.get_tier_names()) == sorted(
            [f"face {f}" for f in faces] + [f"face {f} clips" for f in faces]
        )
        for face in faces:
            spans = owned(clips, video, face)
            want = [
                (ms(a), ms(b), f"{label} ({float(c):.2f})")
                for a, b, label, c in zip(
                    spans["own_start_s"],
                    spans["own_end_s"],
                    spans["label"],
                    spans["confidence"],
                    strict=True,
                )
                if ms(b) > ms(a)
            ]
            got = sorted(eaf.get_annotation_data_for_tier(f"face {face} clips"))
            assert got == sorted(want)
            parents = eaf.get_annotation_data_for_tier(f"face {face}")
            for a, b, value in got:  # each clip inside a segment of its own label
                assert any(p <= a and b <= q and value.startswith(v + " (") for p, q, v in parents)
        (linked,) = eaf.get_linked_files()
        if media is not None:
            assert linked["MEDIA_URL"] == "file://" + os.path.abspath(media)
            assert (base.parent / linked["RELATIVE_MEDIA_URL"]).resolve() == media.resolve()
    cues = expected_cues(segments, video)
    if "vtt" in formats:
        assert read_vtt(base.with_name(base.name + ".vtt")) == cues
    if "srt" in formats:
        assert read_srt(base.with_name(base.name + ".srt")) == cues
    if "boris" in formats:
        for face in faces:
            path = base.with_name(f"{base.name}.boris.face {face}.tsv")
            rows = clips[(clips["video"] == video) & (clips["face_id"] == face)]
            rows = rows.sort_values("clip_index")
            mid = ((rows["start_s"] + rows["end_s"]) / 2).round(3).to_numpy()
            for k, name in enumerate(classes):
                data = boris_read_data(path, f"1,{k + 2}")
                if len(rows) == 1:
                    np.testing.assert_allclose(
                        data[:, 0], [rows["start_s"].iloc[0], rows["end_s"].iloc[0]]
                    )
                    np.testing.assert_allclose(
                        data[:, 1], [rows[f"p_{name}"].iloc[0]] * 2, atol=1e-6
                    )
                else:
                    np.testing.assert_allclose(data[:, 0], mid, atol=1e-9)
                    np.testing.assert_allclose(data[:, 1], rows[f"p_{name}"], atol=1e-6)
        assert not list(base.parent.glob(f"{base.name}.boris.face *.tsv"))[len(faces) :]
        events = read_boris_events(base.with_name(base.name + ".boris.events.xlsx"))
        assert boris_state_events(events) == [(f, s, e, label) for f, s, e, label, _ in seg]
        starts = events[events["STATUS"] == "START"]
        assert sorted(starts["COMMENT"]) == sorted(f"confidence {c}" for *_, c in seg)
        text = pd.read_csv(
            base.with_name(base.name + ".boris.events.tsv"), sep="\t", keep_default_na=False
        )
        assert list(text.columns) == ["time", "subject", "code", "modifier", "comment", "status"]
        assert list(text["time"].round(3)) == list(events["TIME"].astype(float).round(3))
        assert list(text["code"]) == list(events["CODE"])


# ------------------------------------------------------------- a run written out by hand

CLASSES = ["Happy", "Sad", "Odd <&> name"]
# video -> face -> the label of each of its clips (None: no face; "failed": a failed video).
RUN: dict[str, dict[int, list[str]] | str | None] = {
    "session one/pan left.mp4": {
        0: ["Happy", "Happy", "Sad", "Sad", "Happy"],
        1: ["Odd <&> name", "Sad", "Sad"],
    },
    "a/x.mp4": {0: ["Sad", "Sad"]},
    "b/x.mp4": {3: ["Happy"]},  # one clip only
    "<script>.mp4": {2: ["Odd <&> name", "Happy"]},
    "ünï côdé.mp4": {0: ["Happy", "Sad", "Happy"]},
    "blank.mp4": None,
    "broken.mp4": "failed",
}


def clip_table(
    run: dict[str, dict[int, list[str]] | str | None], classes: list[str]
) -> pd.DataFrame:
    """Clips 1 s long every 0.5 s (face N starting N * 0.1 s later), the label on top."""
    from s2dcli.write.rows import clip_columns

    rng = np.random.default_rng(0)
    rows = []
    for video, faces in run.items():
        if not isinstance(faces, dict):
            continue
        for face, labels in faces.items():
            for i, label in enumerate(labels):
                p = rng.uniform(0.05, 0.3, len(classes))
                p[classes.index(label)] = 1.0
                p = np.round(p / p.sum(), 6)
                start = round(i * 0.5 + face * 0.1, 3)
                rows.append(
                    [
                        video,
                        face,
                        i,
                        i * 12,
                        i * 12 + 24,
                        start,
                        round(start + 1.0, 3),
                        label,
                        float(p.max()),
                        *p.tolist(),
                        10.0,
                        12.0,
                        30.0,
                        30.0,
                        0.99,
                        "tiny.pth",
                    ]
                )
    return pd.DataFrame(rows, columns=clip_columns(classes))


def write_run(root: Path, *, segments_file: bool = True, suffix: str = ".csv") -> Path:
    """The videos (real, tiny) and the files annotate leaves, for `RUN`; returns the results."""
    from s2dcli.report.segments import segments
    from tests.engine.videos import write_frames

    videos = root / "videos"
    for name in RUN:
        path = videos / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if RUN[name] == "failed":
            path.write_text("not a video\n")
        else:
            write_frames(path, [np.full((32, 32, 3), 90, np.uint8)] * 4)
    out = root / "out"
    out.mkdir()
    clips = clip_table(RUN, CLASSES)
    results = out / f"results{suffix}"
    if suffix == ".parquet":
        clips.to_parquet(results, index=False)
    elif suffix == ".jsonl":
        clips.to_json(results, orient="records", lines=True, force_ascii=False)
    else:
        clips.to_csv(results, index=False)
    status = {
        name: ("failed", "not a readable video")
        if faces == "failed"
        else ("no_face", "")
        if faces is None
        else ("ok", "")
        for name, faces in RUN.items()
    }
    pd.DataFrame(
        [(n, s, e) for n, (s, e) in status.items()], columns=["video", "status", "error"]
    ).to_csv(out / "results.videos.csv", index=False)
    if segments_file:
        segments(clips).to_csv(out / "results.segments.csv", index=False)
    record = {"inputs": ["../videos"], "cwd": str(out), "options": {}}
    (out / f"results{suffix}.run.json").write_text(json.dumps(record), encoding="utf-8")
    return results
