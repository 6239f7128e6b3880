"""S2D: a ViT-B/16 image model adapted to video with landmark-aware prompters and TMAs.

Chen et al., "From Static to Dynamic: Adapting Landmark-Aware Image Models for Facial
Expression Recognition in Videos", IEEE TAFFC 2024 (arXiv 2312.05447).

Module names follow the authors' state dict, so their checkpoints load strictly. The maths is
the release's, written for speed: the prompters' 1x1 convolutions and the Fovea run directly on
tokens (a 1x1 convolution on a 14x14 map is a linear layer on its 196 tokens), and the
temporal adapter projects down before regrouping frames, which moves 4x fewer bytes.
"""

from __future__ import annotations

from functools import partial
from typing import cast

import torch
import torch.nn.functional as F
from timm.layers import PatchEmbed, trunc_normal_
from timm.models.vision_transformer import Attention, Block
from torch import nn

from s2dcli.models.config import S2DConfig

# Substrings of parameter names that the release fine-tunes; everything else stays frozen.
RELEASE_TRAINABLE_SUBSTRINGS = ("temporal_embedding", "ln_post", "head", "Adapter", "prompt")


def is_release_trainable(name: str) -> bool:
    """The release's freezing rule: is the parameter `name` trained during fine-tuning?"""
    return any(part in name for part in RELEASE_TRAINABLE_SUBSTRINGS)


def apply_release_freezing(model: nn.Module) -> list[str]:
    """Freeze `model` as the release does for fine-tuning; returns the trainable names.

    Only the prompters (MCP), the temporal adapters (TMA), the temporal embedding, the final
    norm and the head train; the ViT patch embedding, blocks, class token and positional
    embedding are frozen.
    """
    trainable = []
    for name, param in model.named_parameters():
        param.requires_grad_(is_release_trainable(name))
        if param.requires_grad:
            trainable.append(name)
    return trainable


def _conv1x1_as_linear(conv: nn.Conv2d, tokens: torch.Tensor) -> torch.Tensor:
    """Apply a 1x1 convolution to `(N, L, C_in)` tokens instead of a `(N, C_in, h, w)` map."""
    return F.linear(tokens, conv.weight.flatten(1), conv.bias)


def _add_to_patch_tokens(x: torch.Tensor, tma: torch.Tensor, prompt: torch.Tensor) -> torch.Tensor:
    """`x` with `tma + prompt` added to its patch tokens `x[:, 1:]` (not to the class token).

    Without autograd the sums go into `x` itself (the block's fresh output), which saves a
    copy of every token per layer; the arithmetic, `(x + tma) + prompt`, is the same.
    """
    if torch.is_grad_enabled():
        return torch.cat((x[:, :1], x[:, 1:] + tma + prompt), dim=1)
    patches = x[:, 1:]
    patches += tma
    patches += prompt
    return x


class Adapter(nn.Module):
    """Bottleneck adapter without skip: fc1 -> GELU -> [multi-head attention] -> fc2."""

    def __init__(self, dim: int, hidden: int, attention_heads: int | None) -> None:
        super().__init__()
        self.act = nn.GELU()
        self.D_fc1 = nn.Linear(dim, hidden)
        self.D_fc2 = nn.Linear(hidden, dim)
        self.attn = (
            Attention(hidden, num_heads=attention_heads, qkv_bias=False)
            if attention_heads
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.D_fc1(x))
        if self.attn is not None:
            x = self.attn(x)
        return self.D_fc2(x)


class TemporalAdapter(Adapter):
    """The TMA's temporal adapter: attention across the frames of each spatial position."""

    def __init__(self, dim: int, hidden: int, attention_heads: int, num_frames: int) -> None:
        super().__init__(dim, hidden, attention_heads)
        self.num_frames = num_frames

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: `(B*T, N, C)` tokens -> `(B*T, N, C)`."""
        bt, n, _ = x.shape
        t = self.num_frames
        # fc1 acts per token, so it commutes with the (b t) n -> (b n) t regrouping; doing it
        # first regroups the narrow hidden features instead of the wide tokens.
        h = self.act(self.D_fc1(x))
        hidden = h.shape[-1]
        h = h.view(bt // t, t, n, hidden).transpose(1, 2).reshape(-1, t, hidden)
        assert self.attn is not None, "a temporal adapter is built with attention heads"
        h = self.attn(h)
        h = h.view(bt // t, n, t, hidden).transpose(1, 2).reshape(bt, n, hidden)
        return self.D_fc2(h)


class TMA(nn.Module):
    """Temporal-Modelling Adapter: temporal adapter -> LayerNorm -> spatial adapter."""

    def __init__(self, config: S2DConfig) -> None:
        super().__init__()
        dim, hidden = config.embed_dim, config.adapter_dim
        self.T_Adapter = TemporalAdapter(
            dim, hidden, config.adapter_attention_heads, config.num_frames
        )
        self.norm = nn.LayerNorm(dim, eps=config.tma_layer_norm_eps)
        self.S_Adapter = Adapter(dim, hidden, attention_heads=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.S_Adapter(self.norm(self.T_Adapter(x)))


class Fovea(nn.Module):
    """Per channel, a softmax over spatial positions of `x * smooth`, used to weight `x`."""

    def __init__(self) -> None:
        super().__init__()
        self.smooth = nn.Parameter(torch.full((1,), 10.0))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: `(N, L, C)`; the softmax runs over the L positions of each channel."""
        return torch.softmax(tokens * self.smooth, dim=1) * tokens


class PromptBlock(nn.Module):
    """One Multi-View Complementary Prompter with its TMA.

    Takes the (normalised) image tokens and prompt tokens of one layer and returns the new
    prompt tokens and the TMA's tokens, both `(B*T, N, C)`.
    """

    def __init__(self, config: S2DConfig) -> None:
        super().__init__()
        dim, hidden = config.embed_dim, config.hidden_dim
        self.conv0_0 = nn.Conv2d(dim, hidden, 1)
        self.conv0_1 = nn.Conv2d(dim, hidden, 1)
        self.conv1x1 = nn.Conv2d(hidden, dim, 1)
        self.fovea = Fovea()
        self.TMA = TMA(config)

    def forward(
        self, image_tokens: torch.Tensor, prompt_tokens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        tma_tokens = self.TMA(image_tokens)
        image = self.fovea(_conv1x1_as_linear(self.conv0_0, image_tokens))
        prompt = _conv1x1_as_linear(self.conv0_1, prompt_tokens)
        return _conv1x1_as_linear(self.conv1x1, image + prompt), tma_tokens


class PromptEmbed(nn.Module):
    """1x1 convolution from the 14x14 landmark feature map to prompt tokens."""

    def __init__(self, in_chans: int, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, 1)

    def forward(self, landmark_features: torch.Tensor) -> torch.Tensor:
        """`(N, C_l, 14, 14)` -> `(N, 196, D)`."""
        return self.proj(landmark_features).flatten(2).transpose(1, 2)


class I3DHead(nn.Module):
    """Mean over frames -> dropout -> linear; returns (logits, pooled feature)."""

    def __init__(self, dim: int, num_classes: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.fc_cls = nn.Linear(dim, num_classes)

    def forward(self, frame_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """frame_features: `(B, T, C)` -> (logits `(B, classes)`, feature `(B, C)`)."""
        # As in the release, the returned feature is the one the classifier saw (after dropout,
        # which is the identity in eval mode).
        feature = self.dropout(frame_features.mean(dim=1))
        # The linear layer written as a product and a row-wise sum: a BLAS matrix product picks
        # its kernel by the number of rows (clips), so a clip's last bits would depend on how
        # many clips share its batch; this way they never do (what `--resume` relies on).
        weight = self.fc_cls.weight.to(feature.dtype)
        logits = (feature.unsqueeze(1) * weight).sum(dim=-1) + self.fc_cls.bias.to(feature.dtype)
        return logits, feature


class S2D(nn.Module):
    """The S2D video model.

    `forward(video, landmark_features)`:
        video: `(B, 3, T, H, W)` float, normalised with the ImageNet mean and std.
        landmark_features: `(B*T, 128, 14, 14)`, from `LandmarkNet` on the same frames.
    Returns `(logits (B, num_classes), feature (B, embed_dim))`.
    """

    def __init__(self, config: S2DConfig | None = None) -> None:
        super().__init__()
        config = config or S2DConfig()
        self.config = config
        dim = config.embed_dim
        self.num_frames = config.num_frames
        self.num_classes = config.num_classes
        self.num_features = self.embed_dim = dim

        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(
            torch.zeros(1, config.num_patches + 1, dim), requires_grad=False
        )
        self.temporal_embedding = nn.Parameter(torch.zeros(1, config.num_frames, dim))
        self.patch_embed = PatchEmbed(
            img_size=config.img_size,
            patch_size=config.patch_size,
            in_chans=config.in_chans,
            embed_dim=dim,
        )
        self.patch_embed_prompt = PromptEmbed(config.in_chans_l, dim)
        norm_layer = partial(nn.LayerNorm, eps=config.layer_norm_eps)
        self.prompt_blocks = nn.ModuleList(PromptBlock(config) for _ in range(config.depth))
        self.prompt_norms = nn.ModuleList(norm_layer(dim) for _ in range(config.depth))
        self.blocks = nn.ModuleList(
            Block(
                dim=dim,
                num_heads=config.num_heads,
                mlp_ratio=config.mlp_ratio,
                qkv_bias=config.qkv_bias,
                # timm annotates a Module class, but calls it like any factory (as its own
                # models do with partial(nn.LayerNorm, eps=...)).
                norm_layer=cast("type[nn.Module]", norm_layer),
            )
            for _ in range(config.depth)
        )
        self.ln_post = norm_layer(dim)
        self.head = I3DHead(dim, config.num_classes, config.head_dropout_ratio)
        self.init_weights()

    def init_weights(self) -> None:
        """Random initialisation in the spirit of the release (used before fine-tuning)."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        for block in self.prompt_blocks:
            assert isinstance(block, PromptBlock)
            for conv in (block.conv0_0, block.conv0_1, block.conv1x1):
                nn.init.xavier_uniform_(conv.weight)
        for param in (self.cls_token, self.pos_embed, self.temporal_embedding):
            trunc_normal_(param, std=0.02)

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the head with a freshly initialised one for `num_classes` classes."""
        device = self.head.fc_cls.weight.device
        self.head = I3DHead(self.embed_dim, num_classes, self.config.head_dropout_ratio)
        trunc_normal_(self.head.fc_cls.weight, std=0.02)
        nn.init.zeros_(self.head.fc_cls.bias)
        self.head.to(device)
        self.num_classes = num_classes
        self.config = self.config.replace(num_classes=num_classes)

    def embed_patches(self, frames: torch.Tensor) -> torch.Tensor:
        """`(B*T, 3, H, W)` -> patch tokens `(B*T, N, D)`."""
        return self.patch_embed(frames)

    def embed_prompts(self, landmark_features: torch.Tensor) -> torch.Tensor:
        """`(B*T, C_l, 14, 14)` -> prompt tokens `(B*T, N, D)`."""
        return self.patch_embed_prompt(landmark_features)

    def forward_features(
        self, frames: torch.Tensor, landmark_features: torch.Tensor
    ) -> torch.Tensor:
        """`(B*T, 3, H, W)` frames and landmark features -> `ln_post` tokens `(B*T, N+1, D)`."""
        x = self.embed_patches(frames)
        prompt = self.embed_prompts(landmark_features)
        first_norm = self.prompt_norms[0]

        prompt, tma = self.prompt_blocks[0](first_norm(x), first_norm(prompt))
        x = x + tma + prompt

        bt, n, dim = x.shape
        t = self.num_frames
        x = torch.cat((self.cls_token.expand(bt, -1, -1), x), dim=1) + self.pos_embed
        x = (x.view(bt // t, t, n + 1, dim) + self.temporal_embedding.unsqueeze(2)).view(
            bt, n + 1, dim
        )

        for i, block in enumerate(self.blocks):
            if i > 0:
                normed = self.prompt_norms[i - 1](x[:, 1:])
                prompt, tma = self.prompt_blocks[i](normed, first_norm(prompt))
                x = _add_to_patch_tokens(x, tma, prompt)
            x = block(x)
        return self.ln_post(x)

    def forward_head(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`ln_post` tokens `(B*T, N+1, D)` -> (logits, feature)."""
        cls = tokens[:, 0]
        return self.head(cls.view(-1, self.num_frames, cls.shape[-1]))

    def forward(
        self, video: torch.Tensor, landmark_features: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if video.ndim != 5 or video.shape[2] != self.num_frames:
            raise ValueError(
                f"S2D expects video (B, 3, {self.num_frames}, H, W), got {tuple(video.shape)}"
            )
        frames = video.transpose(1, 2).flatten(0, 1)
        return self.forward_head(self.forward_features(frames, landmark_features))
