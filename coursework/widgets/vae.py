"""A latent-space explorer for VAEs: one slider per latent dimension.

``latent_explorer`` always draws a static traversal figure (so the notebook
reads the same headless, under nbval, or in a viewer without a kernel) and,
when ipywidgets is importable, returns a live widget whose sliders set the
chosen latent dims of a base code and show the decoded image.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from IPython.display import display

from coursework.plot.alttext import set_alt
from coursework.plot.core import show_images
from coursework.plot.vae import Decode, plot_traversals


class LatentExplorer:
    """Sliders for some latent dims of ``z0`` and the decoded image.

    Args:
        decode: maps codes (N, D) to images (N, C, H, W) in [0, 1].
        z0: the base code (D,).
        dims: the dims that get a slider.
        span: each slider ranges over ``[-span, span]``.
    """

    def __init__(
        self, decode: Decode, z0: torch.Tensor, dims: Sequence[int], span: float = 3.0
    ) -> None:
        import ipywidgets as widgets

        self.decode = decode
        self.z0 = z0.detach().clone()
        self.dims = list(dims)
        self.sliders = [
            widgets.FloatSlider(
                value=float(self.z0[d]),
                min=-span,
                max=span,
                step=0.1,
                description=f"z[{d}]",
                continuous_update=False,
            )
            for d in self.dims
        ]
        self.output = widgets.Output()
        for s in self.sliders:
            s.observe(self._redraw, names="value")
        self.widget = widgets.HBox([widgets.VBox(self.sliders), self.output])
        self._redraw()

    def code(self) -> torch.Tensor:
        """The current code (D,): ``z0`` with the slider values filled in."""
        z = self.z0.clone()
        for d, s in zip(self.dims, self.sliders):
            z[d] = s.value
        return z

    @torch.no_grad()
    def image(self) -> torch.Tensor:
        """The decoded image (C, H, W) of the current code."""
        return self.decode(self.code()[None])[0].cpu()

    def _redraw(self, change: object = None) -> None:
        img = self.image()
        with self.output:
            self.output.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(2.5, 2.5))
            show_images(img[None], nrow=1, ax=ax)
            values = ", ".join(
                f"z[{d}] = {s.value:.1f}" for d, s in zip(self.dims, self.sliders)
            )
            set_alt(fig, f"The image decoded from the latent code with {values}")
            display(fig)
            plt.close(fig)


def latent_explorer(
    decode: Decode,
    z0: torch.Tensor,
    dims: Sequence[int],
    span: float = 3.0,
    steps: int = 9,
    interactive: bool = True,
) -> LatentExplorer | None:
    """Draw a static traversal of ``dims`` around ``z0`` and build the slider explorer.

    Returns:
        The :class:`LatentExplorer` (display ``.widget``), or None when
        ``interactive`` is False or ipywidgets is not installed.
    """
    plot_traversals(decode, z0, dims, span, steps)
    plt.show()
    if not interactive:
        return None
    try:
        return LatentExplorer(decode, z0, dims, span)
    except ImportError:
        return None
