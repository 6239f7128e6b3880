"""The one-line reason a partly damaged video gives in the summary (status `partial`).

A video is `partial` when some of it decoded and some did not: the decoder skipped damaged
stretches and went on (`engine.video.DecodeBreak`), or stopped for good after some frames (a
mid-stream `VideoDecodeError`). The clips of the frames that decoded are kept either way. The
reason is for people: where it broke, in frames and seconds, the cause in plain words and what
was kept; the decoder's own message goes to the debug log only.

    decoding failed at frame 43 (about 1.7 s) of about 150: corrupt data; clips before it kept
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from engine.video import DecodeBreak, VideoDecodeError, VideoInfo

log = logging.getLogger("s2d.pipeline")


def damage_reason(
    info: VideoInfo,
    breaks: Sequence[DecodeBreak],
    stop: VideoDecodeError | None,
    stop_s: float | None,
    clips: int,
) -> str | None:
    """The summary's reason for a partly decoded video, or None when nothing was lost.

    Args:
        info: the stream facts (for "of about N" frames).
        breaks: the stretches skipped, in order.
        stop: the error that ended decoding after some frames, if one did.
        stop_s: about when the first frame that did not decode was due (seconds).
        clips: clips cut from what decoded.
    """
    if not breaks and stop is None:
        return None
    for b in breaks:
        log.debug("%s: frames %d-%d lost (%s)", info.path, b.frame, b.resumed_frame - 1, b.detail)
    if stop is not None:
        log.debug("%s: decoding stopped at frame %s: %s", info.path, stop.frame, stop.detail)
    of = f" of about {info.num_frames}" if info.num_frames else ""
    if breaks:
        first = breaks[0]
        text = f"decoding failed at {_at(first.frame, first.time_s)}{of}: {first.cause}"
        text += f"; resumed at {_at(first.resumed_frame, first.resumed_s)}"
        if len(breaks) > 1:
            more = len(breaks) - 1
            text += f"; {more} more damaged stretch{'es' if more > 1 else ''} skipped"
        if stop is not None:
            text += f"; failed for good at {_at(stop.frame, stop_s)}: {_cause(stop)}"
    else:
        assert stop is not None
        text = f"decoding failed at {_at(stop.frame, stop_s)}{of}: {_cause(stop)}"
    if not clips:
        return text + "; no clip in the frames that decoded"
    if stop is not None:
        return text + ("; clips before it kept" if not breaks else "; clips before that kept")
    return text + "; clips before and after it kept"


def _at(frame: int | None, time_s: float | None) -> str:
    where = f"frame {frame}" if frame is not None else "a frame"
    return where if time_s is None else f"{where} (about {time_s:.1f} s)"


def _cause(error: VideoDecodeError) -> str:
    return error.cause or "the decoder stopped"
