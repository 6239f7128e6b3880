"""Click option groups shared by the commands: one meaning and one spelling each.

    @click.command()
    @device_options
    @face_options
    @verbosity
    def annotate(...): ...

Defaults come from the `s2dcli.config` dataclasses, so `--help` shows what the library uses.
`-q` / `-v` mean the same on the group (`s2d -q annotate`) and on a command
(`s2d annotate -q`): `-q` errors only (no progress, no warnings), `-v` adds debug messages.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, overload

import click

from s2dcli.config import (
    PRECISIONS,
    DeviceOptions,
    FaceOptions,
    ModelOptions,
    default,
)
from s2dcli.log import setup_logging

F = TypeVar("F", bound=Callable[..., Any])

DEVICE_HELP = "auto, cpu, cuda or cuda:N."
FACES_HELP = (
    "Face detector: auto, scrfd, an InsightFace pack, a .onnx file, mtcnn, or none (the "
    "videos are face crops already: each frame's centre square is the face)."
)
CLASSES_HELP = (
    "Class names when the weights do not say: dfew, ferv39k, mafw or name1,name2,... "
    "(in the model's output order)."
)
PRECISION_HELP = (
    "auto: bf16 autocast on CUDA (fp16 where bf16 is not supported); the CPU always runs fp32."
)
_QUIET = "s2d.quiet"
_VERBOSE = "s2d.verbose"
_WARNINGS_SCOPED = "s2d.warnings_scoped"


def _apply(decorators: list[Any], fn: F) -> F:
    for decorator in reversed(decorators):
        fn = decorator(fn)
    return fn


def _group(fn: F | None, decorators: list[Any]) -> Any:
    """`@group` or `@group(...)`: the decorators applied to `fn`, or a decorator that does."""
    if fn is None:
        return lambda f: _apply(decorators, f)
    return _apply(decorators, fn)


@overload
def device_options(fn: F) -> F: ...
@overload
def device_options(*, device_help: str = ...) -> Callable[[F], F]: ...
def device_options(fn: F | None = None, *, device_help: str = DEVICE_HELP) -> Any:
    """--device and --precision (`device_help`: the same choices, with a command's note)."""
    return _group(
        fn,
        [
            click.option(
                "--device",
                default=default(DeviceOptions, "device"),
                show_default=True,
                help=device_help,
            ),
            click.option(
                "--precision",
                type=click.Choice(PRECISIONS),
                default=default(DeviceOptions, "precision"),
                show_default=True,
                help=PRECISION_HELP,
            ),
        ],
    )


@overload
def face_options(fn: F) -> F: ...
@overload
def face_options(*, faces_help: str = ...) -> Callable[[F], F]: ...
def face_options(fn: F | None = None, *, faces_help: str = FACES_HELP) -> Any:
    """--faces, --detect-every and --min-face."""
    return _group(
        fn,
        [
            click.option(
                "--faces",
                default=default(FaceOptions, "faces"),
                show_default=True,
                help=faces_help,
            ),
            click.option(
                "--detect-every",
                type=click.IntRange(min=1),
                default=default(FaceOptions, "detect_every"),
                show_default=True,
                help="Detect faces on every k-th frame; the tracker fills the frames between.",
            ),
            click.option(
                "--min-face",
                type=click.FloatRange(min=0),
                default=default(FaceOptions, "min_face"),
                show_default=True,
                help="Ignore faces smaller than this (pixels, shorter side).",
            ),
        ],
    )


@overload
def model_options(fn: F) -> F: ...
@overload
def model_options(*, landmark_default: str = ..., offline: bool = ...) -> Callable[[F], F]: ...
def model_options(
    fn: F | None = None,
    *,
    landmark_default: str = "the published ones",
    offline: bool = True,
) -> Any:
    """--model-config, --landmark-weights and --offline (which weights a command loads is
    its own option: --model/--weights, --init, ...).

    Args:
        landmark_default: what the command uses without --landmark-weights (for `--help`).
        offline: whether the command has --offline (it downloads nothing otherwise).
    """
    decorators: list[Any] = [
        click.option(
            "--model-config",
            type=click.Path(exists=True, dir_okay=False),
            help="S2DConfig JSON for weights of a non-standard shape.",
        ),
        click.option(
            "--landmark-weights",
            help="MobileFaceNet landmark weights: a path, published name, https:// URL or "
            f"hf://owner/repo/file [default: {landmark_default}].",
        ),
    ]
    if offline:
        decorators.append(
            click.option(
                "--offline",
                is_flag=True,
                default=default(ModelOptions, "offline"),
                help="Never download; use cached weights only.",
            )
        )
    return _group(fn, decorators)


def classes_option(fn: F) -> F:
    """--classes: the model's class names."""
    return click.option("--classes", help=CLASSES_HELP)(fn)


def _remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        root = ctx.find_root()
        current = root.meta.get(key, 0)
        root.meta[key] = max(int(current), int(value or 0))
        apply_verbosity(root)
        return value

    return callback


def verbosity(fn: F) -> F:
    """-q/--quiet and -v/--verbose, with the same meaning as on the `s2d` group."""
    return _apply(
        [
            click.option(
                "-q",
                "--quiet",
                is_flag=True,
                expose_value=False,
                callback=_remember(_QUIET),
                help="Errors only: no progress, no warnings.",
            ),
            click.option(
                "-v",
                "--verbose",
                count=True,
                expose_value=False,
                callback=_remember(_VERBOSE),
                help="Also debug messages.",
            ),
        ],
        fn,
    )


def apply_verbosity(ctx: click.Context) -> None:
    """Set logging (and Python warnings) from the -q / -v given anywhere on the line."""
    root = ctx.find_root()
    quiet = bool(root.meta.get(_QUIET))
    setup_logging(int(root.meta.get(_VERBOSE, 0)), quiet)
    if quiet:
        if not root.meta.get(_WARNINGS_SCOPED):  # restored when the command ends
            root.with_resource(warnings.catch_warnings())
            root.meta[_WARNINGS_SCOPED] = True
        warnings.simplefilter("ignore")


def is_quiet(ctx: click.Context | None = None) -> bool:
    """Whether -q was given (on the group or the command)."""
    ctx = ctx or click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().meta.get(_QUIET))


def is_verbose() -> bool:
    """Whether -v was given."""
    return logging.getLogger("s2d").isEnabledFor(logging.DEBUG)


def remember_group_verbosity(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """The group's own -q / -v (`s2d -q annotate ...`)."""
    root = ctx.find_root()
    root.meta[_QUIET] = int(quiet) or root.meta.get(_QUIET, 0)
    root.meta[_VERBOSE] = max(verbose, int(root.meta.get(_VERBOSE, 0)))
    apply_verbosity(root)
