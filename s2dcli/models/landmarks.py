"""The frozen landmark branch of S2D: MobileFaceNet (112x112 input, 68 landmarks).

S2D uses the output of its `conv_4` stage, `(N, 128, 14, 14)`, as landmark-aware features.
The layers after `conv_4` exist so that the authors' checkpoint loads strictly; they are not
run. Module names and nesting follow the released checkpoint's state dict.
"""

from __future__ import annotations

import torch
from torch import nn

LANDMARK_INPUT_SIZE = 112
NUM_LANDMARK_OUTPUTS = 136  # 68 (x, y) pairs


class PointwiseConv2d(nn.Conv2d):
    """A 1x1 convolution (stride 1, no padding, one group) computed as a matrix product over
    the channels of each pixel.

    Same parameters and state dict as `nn.Conv2d`. oneDNN's 1x1 convolutions choose how to
    split their sums by thread count and batch size on some CPUs (AMD Zen 4 among them), so a
    frame's features changed in their last bits with both; the matrix product does not, and is
    as fast.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.weight.view(self.out_channels, self.in_channels)
        out = torch.matmul(x.permute(0, 2, 3, 1), weight.t())  # (N, H, W, C_out)
        if self.bias is not None:
            out = out + self.bias
        return out.permute(0, 3, 1, 2)  # NCHW view of channels-last memory


def _conv(in_c: int, out_c: int, kernel: int, stride: int, padding: int, groups: int) -> nn.Conv2d:
    if kernel == 1 and stride == 1 and padding == 0 and groups == 1:
        return PointwiseConv2d(in_c, out_c, 1, bias=False)
    return nn.Conv2d(in_c, out_c, kernel, stride, padding, groups=groups, bias=False)


class ConvBlock(nn.Module):
    """conv (no bias) -> BatchNorm -> per-channel PReLU."""

    def __init__(
        self,
        in_c: int,
        out_c: int,
        kernel: int = 1,
        stride: int = 1,
        padding: int = 0,
        groups: int = 1,
    ) -> None:
        super().__init__()
        self.conv = _conv(in_c, out_c, kernel, stride, padding, groups)
        self.bn = nn.BatchNorm2d(out_c)
        self.prelu = nn.PReLU(out_c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.prelu(self.bn(self.conv(x)))


class LinearBlock(nn.Module):
    """conv (no bias) -> BatchNorm, no activation."""

    def __init__(
        self,
        in_c: int,
        out_c: int,
        kernel: int = 1,
        stride: int = 1,
        padding: int = 0,
        groups: int = 1,
    ) -> None:
        super().__init__()
        self.conv = _conv(in_c, out_c, kernel, stride, padding, groups)
        self.bn = nn.BatchNorm2d(out_c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


class DepthWiseBlock(nn.Module):
    """1x1 expand -> 3x3 depthwise -> 1x1 project, with an optional residual add."""

    def __init__(
        self, in_c: int, out_c: int, expansion: int, stride: int = 2, residual: bool = False
    ) -> None:
        super().__init__()
        self.conv = ConvBlock(in_c, expansion)
        self.conv_dw = ConvBlock(expansion, expansion, 3, stride, 1, groups=expansion)
        self.project = LinearBlock(expansion, out_c)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(self.conv_dw(self.conv(x)))
        return x + out if self.residual else out


class ResidualStage(nn.Module):
    """`num_blocks` stride-1 residual depthwise blocks at constant width."""

    def __init__(self, channels: int, num_blocks: int, expansion: int) -> None:
        super().__init__()
        self.model = nn.Sequential(
            *(
                DepthWiseBlock(channels, channels, expansion, stride=1, residual=True)
                for _ in range(num_blocks)
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class GDCHead(nn.Module):
    """Global depthwise conv -> linear -> BatchNorm1d: the landmark regression output."""

    def __init__(self, embedding_size: int) -> None:
        super().__init__()
        self.conv_6_dw = LinearBlock(512, 512, kernel=7, groups=512)
        self.linear = nn.Linear(512, embedding_size, bias=False)
        self.bn = nn.BatchNorm1d(embedding_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.linear(self.conv_6_dw(x).flatten(1)))


def _lerp_align_corners(x: torch.Tensor, dim: int, size: int = LANDMARK_INPUT_SIZE) -> torch.Tensor:
    """Linear interpolation of `x` along `dim` to `size` samples, corners aligned.

    Elementwise operations only, each rounded on its own, so every output value is the same
    whatever the thread count or the batch it is in.
    """
    n = x.shape[dim]
    scale = (n - 1) / (size - 1) if size > 1 else 0.0
    src = torch.arange(size, device=x.device, dtype=torch.float32) * scale
    lo = src.floor().long().clamp_(max=n - 1)
    hi = (lo + 1).clamp_(max=n - 1)
    w_hi = (src - lo.float()).to(x.dtype)
    w_lo = 1.0 - w_hi
    shape = [1] * x.ndim
    shape[dim] = size
    return x.index_select(dim, lo) * w_lo.view(shape) + x.index_select(dim, hi) * w_hi.view(shape)


class LandmarkNet(nn.Module):
    """MobileFaceNet landmark network; `forward` returns S2D's landmark features.

    `forward(video)` accepts the same normalised input as S2D, either a video
    `(B, 3, T, H, W)` or frames `(N, 3, H, W)`, resizes the frames to 112x112 (bilinear,
    `align_corners=True`, as the release does) and returns the `conv_4` features
    `(B*T, 128, 14, 14)`. The network is meant to be used frozen, in eval mode.
    """

    def __init__(self, embedding_size: int = NUM_LANDMARK_OUTPUTS) -> None:
        super().__init__()
        self.conv1 = ConvBlock(3, 64, 3, 2, 1)
        self.conv2_dw = ConvBlock(64, 64, 3, 1, 1, groups=64)
        self.conv_23 = DepthWiseBlock(64, 64, expansion=128)
        self.conv_3 = ResidualStage(64, num_blocks=4, expansion=128)
        self.conv_34 = DepthWiseBlock(64, 128, expansion=256)
        self.conv_4 = ResidualStage(128, num_blocks=6, expansion=256)
        # Not used by S2D; present so that the released checkpoint loads strictly.
        self.conv_45 = DepthWiseBlock(128, 128, expansion=512)
        self.conv_5 = ResidualStage(128, num_blocks=2, expansion=256)
        self.conv_6_sep = ConvBlock(128, 512)
        self.output_layer = GDCHead(embedding_size)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> LandmarkNet:
        """The branch is frozen: it stays in eval mode (BatchNorm running statistics)."""
        return super().train(False)

    @staticmethod
    def resize(frames: torch.Tensor) -> torch.Tensor:
        """`(N, 3, H, W)` -> `(N, 3, 112, 112)`, bilinear with `align_corners=True`.

        The release's `F.interpolate(..., mode="bilinear", align_corners=True)`, written as
        two gathers and lerps (width, then height, the order of PyTorch's own formula): on CPU
        `F.interpolate`'s last bits depend on how many threads share the work, and a frame's
        landmark features must not depend on the machine's thread count.
        """
        if frames.shape[-2:] == (LANDMARK_INPUT_SIZE, LANDMARK_INPUT_SIZE):
            return frames
        return _lerp_align_corners(_lerp_align_corners(frames, -1), -2)

    def forward_features(self, frames_112: torch.Tensor) -> torch.Tensor:
        """`(N, 3, 112, 112)` -> `conv_4` output `(N, 128, 14, 14)`."""
        x = self.conv2_dw(self.conv1(frames_112))
        x = self.conv_3(self.conv_23(x))
        return self.conv_4(self.conv_34(x))

    def forward_landmarks(self, frames_112: torch.Tensor) -> torch.Tensor:
        """`(N, 3, 112, 112)` -> the 136 landmark regression outputs (unused by S2D)."""
        x = self.forward_features(frames_112)
        return self.output_layer(self.conv_6_sep(self.conv_5(self.conv_45(x))))

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        if video.ndim == 5:  # (B, C, T, H, W) -> (B*T, C, H, W)
            video = video.transpose(1, 2).flatten(0, 1)
        elif video.ndim != 4:
            raise ValueError(
                f"LandmarkNet expects (B, 3, T, H, W) or (N, 3, H, W), got {tuple(video.shape)}"
            )
        # Channels-last: oneDNN's depthwise convolutions run a third faster on CPU, and its
        # results then depend neither on the thread count nor on the batch, even for few frames.
        return self.forward_features(
            self.resize(video).contiguous(memory_format=torch.channels_last)
        )
