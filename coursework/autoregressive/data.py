"""Images for the autoregressive models: binary, 8-bit grey and coloured.

Binary and grey digits come from :func:`coursework.data.load_images`; this
module turns them into integer values, and renders the coloured shapes of
:func:`coursework.data.make_shapes` with a few levels per colour channel.
"""

from __future__ import annotations

import torch

from coursework.autoregressive.likelihood import quantize
from coursework.data import make_shapes


def coloured_shapes(
    n: int,
    image_size: int,
    levels: int = 4,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """``n`` coloured shapes, each colour channel quantised to ``levels`` values.

    Returns:
        (N, 3, S, S) long values in ``0 .. levels - 1``.
    """
    x, _ = make_shapes(n, image_size=image_size, colour=True, seed=seed, device=device)
    return quantize(x, levels)
