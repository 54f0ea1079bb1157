"""Masked prediction: a masked autoencoder on image patches.

He et al., "Masked Autoencoders Are Scalable Vision Learners" (CVPR 2022,
arXiv:2111.06377), BERT's missing words for images: cut the image into
patches, hide a random subset (75% in the paper), let a vision transformer
encode only the **visible** patches, and let a light decoder, which also
receives a learned mask token at every hidden position, reconstruct the
pixels. The loss is the squared error on the **masked** patches only.

- :func:`patchify` / :func:`unpatchify`: images <-> rows of patch pixels.
- :func:`random_masking`: keep and restore indices from per-patch noise.
- :func:`masked_patch_loss`: the mean squared error over masked patches.
- :class:`ViTEncoder`: a small ViT (Dosovitskiy et al., ICLR 2021,
  arXiv:2010.11929); on whole images it gives mean-pooled features, so it
  plugs into the same linear probe and fine-tuning as the CNN backbone.
- :class:`MaskedAutoencoder`: encoder, light decoder and the masking.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

Masking = Callable[[torch.Tensor, int], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]


def patchify(x: torch.Tensor, patch: int) -> torch.Tensor:
    """Images (B, C, H, W) -> patches (B, N, C * p * p), row by row.

    N = (H / p) * (W / p); each row holds one patch's pixels, channel first.
    """
    b, c, h, w = x.shape
    if h % patch or w % patch:
        raise ValueError(f"image {h}x{w} is not a multiple of the patch {patch}")
    x = x.reshape(b, c, h // patch, patch, w // patch, patch)
    return x.permute(0, 2, 4, 1, 3, 5).reshape(b, (h // patch) * (w // patch), -1)


def unpatchify(patches: torch.Tensor, patch: int, channels: int = 3) -> torch.Tensor:
    """The inverse of :func:`patchify`, square images: (B, N, C p p) -> (B, C, H, W)."""
    b, n, _ = patches.shape
    side = round(n**0.5)
    if side * side != n:
        raise ValueError(f"{n} patches do not make a square image")
    x = patches.reshape(b, side, side, channels, patch, patch)
    return x.permute(0, 3, 1, 4, 2, 5).reshape(b, channels, side * patch, side * patch)


def random_masking(
    noise: torch.Tensor, n_keep: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """MAE's per-image random masking, driven by ``noise`` (B, N).

    Sorting each image's noise gives a random order of its patches; the
    ``n_keep`` patches with the smallest noise stay visible.

    Returns:
        ``(keep, restore, mask)``: ``keep`` (B, n_keep) long, the visible
        patches' indices in order of increasing noise; ``restore`` (B, N)
        long, the inverse of the sort, so that ``shuffled.gather(1, restore)``
        puts a sequence in sorted-noise order back into patch order; ``mask``
        (B, N) in noise's dtype, 1 on hidden patches and 0 on visible ones, in
        patch order.
    """
    b, n = noise.shape
    if not 0 <= n_keep <= n:
        raise ValueError(f"n_keep must be in [0, {n}], got {n_keep}")
    shuffle = noise.argsort(dim=1)  # patch indices by increasing noise
    restore = shuffle.argsort(dim=1)
    keep = shuffle[:, :n_keep]
    mask = torch.ones(b, n, dtype=noise.dtype, device=noise.device)
    mask[:, :n_keep] = 0
    return keep, restore, mask.gather(1, restore)


def masked_patch_loss(
    pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Mean squared error per patch, averaged over the masked patches only.

    pred, target (B, N, P); mask (B, N), 1 (or True) where the patch was hidden. As in
    He et al. (2022): the visible patches, which the encoder saw, do not count.
    """
    per_patch = ((pred - target) ** 2).mean(-1)  # (B, N)
    mask = mask.to(per_patch.dtype)  # bool or float
    return (per_patch * mask).sum() / mask.sum()


class ViTEncoder(nn.Module):
    """A small vision transformer on image patches.

    Patches are embedded by a linear layer and a learned position embedding,
    then pass through pre-norm transformer blocks and a final layer norm.
    ``forward`` on whole images gives the mean of the patch tokens (B, dim),
    so the encoder is a drop-in backbone for the linear probe and fine-tuning
    (``out_channels`` = dim); :meth:`encode` sees only given patches, as MAE's
    encoder does.
    """

    def __init__(
        self,
        image_size: int,
        patch: int = 4,
        dim: int = 64,
        depth: int = 2,
        heads: int = 4,
        channels: int = 3,
    ) -> None:
        super().__init__()
        self.patch, self.channels = patch, channels
        self.n_patches = (image_size // patch) ** 2
        self.out_channels = dim
        self.embed = nn.Linear(channels * patch * patch, dim)
        self.pos = nn.Parameter(torch.randn(1, self.n_patches, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(
            dim, heads, 2 * dim, dropout=0.0, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)

    def encode(
        self, patches: torch.Tensor, keep: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Tokens (B, n, dim) of the patches (B, N, P) listed in ``keep`` (B, n)."""
        tokens = self.embed(patches) + self.pos
        if keep is not None:
            tokens = tokens.gather(1, keep[..., None].expand(-1, -1, tokens.shape[-1]))
        return self.norm(self.blocks(tokens))

    def forward(
        self, x: torch.Tensor, pool: int = 1, all_blocks: bool = False
    ) -> torch.Tensor:
        """Mean-pooled tokens of every patch of images (B, C, H, W): (B, dim).

        ``pool`` and ``all_blocks`` exist for the CNN backbone's interface;
        only the defaults are supported.
        """
        if pool != 1 or all_blocks:
            raise ValueError("ViTEncoder gives pooled features only (pool=1)")
        return self.encode(patchify(x, self.patch)).mean(1)


class MaskedAutoencoder(nn.Module):
    """He et al.'s MAE: the encoder sees the visible patches, a light decoder
    fills in mask tokens and predicts every patch's pixels.

    ``forward(x)`` returns ``(pred, target, mask)``: predicted and true patch
    pixels (B, N, C p p) and the mask (B, N), 1 on hidden patches; the
    training loss is ``masked_patch_loss(pred, target, mask)``. ``masking``
    replaces :func:`random_masking` (a notebook passes its own);
    ``backbone`` is the encoder, for transfer.
    """

    def __init__(
        self,
        encoder: ViTEncoder,
        mask_ratio: float = 0.75,
        decoder_dim: int = 32,
        decoder_depth: int = 1,
        heads: int = 4,
        masking: Masking = random_masking,
    ) -> None:
        super().__init__()
        if not 0 <= mask_ratio < 1:
            raise ValueError(f"mask_ratio must be in [0, 1), got {mask_ratio}")
        self.encoder, self.mask_ratio, self.masking = encoder, mask_ratio, masking
        n, p = encoder.n_patches, encoder.patch
        self.to_decoder = nn.Linear(encoder.out_channels, decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_dim))
        self.pos = nn.Parameter(torch.randn(1, n, decoder_dim) * 0.02)
        layer = nn.TransformerEncoderLayer(
            decoder_dim,
            heads,
            2 * decoder_dim,
            dropout=0.0,
            batch_first=True,
            norm_first=True,
        )
        self.decoder = nn.TransformerEncoder(
            layer, decoder_depth, enable_nested_tensor=False
        )
        self.head = nn.Linear(decoder_dim, encoder.channels * p * p)

    @property
    def backbone(self) -> ViTEncoder:
        """The encoder: what transfers to classification."""
        return self.encoder

    def forward(
        self, x: torch.Tensor, noise: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        target = patchify(x, self.encoder.patch)  # (B, N, P)
        b, n, _ = target.shape
        if noise is None:
            noise = torch.rand(b, n, device=x.device)
        n_keep = max(1, round(n * (1 - self.mask_ratio)))
        keep, restore, mask = self.masking(noise, n_keep)
        visible = self.to_decoder(self.encoder.encode(target, keep))  # (B, k, d)
        tokens = torch.cat([visible, self.mask_token.expand(b, n - n_keep, -1)], 1)
        tokens = tokens.gather(1, restore[..., None].expand(-1, -1, tokens.shape[-1]))
        pred = self.head(self.decoder(tokens + self.pos))
        return pred, target, mask.to(pred.dtype)
