"""PyAV decoding packet by packet, so a damaged stretch costs its frames and not the rest.

`container.decode(stream)` ends at the first packet FFmpeg cannot decode (its generator dies
with the exception). `PacketDecoder` does the same demux -> decode loop itself: when a packet
fails, the packets up to the next keyframe are skipped (they refer to the broken pictures) and
decoding goes on from there. Each failure is kept, in order, for the source to report where
frames went missing; a failure with no keyframe after it ends the stream. Also the wording of
FFmpeg's errors: a reason with its fix for users, a few plain words for reports.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

import av
import av.error

from engine.video.types import DecodeBreak


class PacketDecoder:
    """Iterate the decoded frames of `stream`, resynchronising at keyframes after errors.

    Attributes:
        failures: decode errors since the source last took them (see `take_failure`).
        unrecovered: the last error when no keyframe came after it (the stream ended broken).
    """

    def __init__(
        self, container: av.container.InputContainer, stream: av.video.stream.VideoStream
    ) -> None:
        self._packets: Iterator[av.Packet] = iter(container.demux(stream))
        self._codec = stream.codec_context
        self._frames: deque[av.VideoFrame] = deque()
        self._skipping = False
        self.failures: list[BaseException] = []
        self.unrecovered: BaseException | None = None
        self._last_failure: BaseException | None = None

    def __iter__(self) -> PacketDecoder:
        return self

    def __next__(self) -> av.VideoFrame:
        """The next frame.

        Raises:
            StopIteration: the stream ended (check `unrecovered` for a broken end).
            av.error.FFmpegError, OSError: demuxing failed (nothing to resynchronise on).
        """
        while not self._frames:
            packet = next(self._packets, None)  # demux errors propagate: the stream is over
            if packet is None:
                if self._skipping:  # no keyframe after the last failure
                    self.unrecovered = self._last_failure
                raise StopIteration
            if self._skipping:
                if not packet.is_keyframe:
                    continue
                self._skipping = False
                # Decoder threads still hold the broken pictures (and report their errors
                # late): start clean at the keyframe.
                self._codec.flush_buffers()
            try:
                self._frames.extend(packet.decode())
            except av.error.FFmpegError as exc:
                self.failures.append(exc)
                self._last_failure = exc
                self._skipping = True
        return self._frames.popleft()

    def take_failure(self) -> BaseException | None:
        """The first decode error since the last call (later ones in the same stretch are
        dropped: they are one break to the reader), or None."""
        if not self.failures:
            return None
        first = self.failures[0]
        self.failures.clear()
        return first


class BreakLog:
    """Where frames went missing: the decoder's failures placed by the frames' timestamps.

    A failure is placed at the first frame after it whose time leaves a gap of more than one
    frame: frames the decoder still held from before the failure come first, in sequence, and
    frames from before the last one handed out (out of order after the skip) are dropped.

    Args:
        fps: the nominal frame rate, to count the frames a gap stands for (25 when unknown).
        cause: the failure -> a few plain words.
    """

    def __init__(self, fps: float, cause: Callable[[BaseException], str]) -> None:
        self.breaks: list[DecodeBreak] = []
        self._step = 1.0 / fps if fps > 0 else 1.0 / 25.0
        self._cause = cause
        self._pending: list[BaseException] = []  # failures not yet placed, oldest first
        self._last_pts: float | None = None

    def place(self, failure: BaseException | None, pts_s: float | None, index: int) -> int | None:
        """The index of a frame at `pts_s` that would be frame `index` with nothing lost, or
        None to drop it. `failure` is the decoder's failure since the previous frame."""
        if failure is not None:
            self._pending.append(failure)
        last = self._last_pts
        if not self._pending or pts_s is None or last is None:
            return index
        gap = round((pts_s - last) / self._step)
        if gap <= 0:
            return None
        if gap == 1:
            return index
        resumed = index + gap - 1
        failure = self._pending.pop(0)
        self.breaks.append(
            DecodeBreak(
                index, last + self._step, resumed, pts_s, self._cause(failure), str(failure)
            )
        )
        return resumed

    def delivered(self, pts_s: float) -> None:
        """The frame at `pts_s` was handed out."""
        self._last_pts = pts_s


def ffmpeg_reason(exc: BaseException) -> str:
    """A short, actionable reason for an exception raised by PyAV or the OS when opening."""
    if isinstance(exc, FileNotFoundError):
        return "file not found; check the path"
    if isinstance(exc, PermissionError):
        return "permission denied; make the file readable (chmod +r)"
    if isinstance(exc, IsADirectoryError):
        return "is a directory; pass a video file"
    if isinstance(exc, av.error.InvalidDataError):
        return (
            "not a readable video (FFmpeg: invalid data): the file is corrupt, truncated or "
            "not a video; re-export or re-download it"
        )
    if isinstance(exc, EOFError):
        return "the file ends before its first video data (empty or cut short); re-copy it"
    if isinstance(exc, av.error.DecoderNotFoundError):
        return f"no decoder for this codec in FFmpeg ({exc}); re-encode it to H.264"
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"FFmpeg error: {detail}"


def plain_cause(exc: BaseException) -> str:
    """A decode failure in a few plain words, for reports."""
    if isinstance(exc, av.error.InvalidDataError):
        return "corrupt data"
    return "the decoder stopped"


def decode_reason(exc: BaseException) -> str:
    """Why decoding stopped mid-stream."""
    if isinstance(exc, av.error.InvalidDataError):
        return "corrupt or truncated data (FFmpeg: invalid data); re-export or re-copy the file"
    return ffmpeg_reason(exc)
