"""An interpolation scrubber for a generator: drag t from one code to another.

``interpolation_scrubber`` always draws the static strip (linear and
spherical paths, so the notebook reads the same headless, under nbval or in a
viewer without a kernel) and, when ipywidgets is importable, returns a live
widget: a slider for ``t``, a toggle between lerp and slerp, and the image.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
from IPython.display import display

from coursework.gan.latent import lerp, slerp
from coursework.plot.alttext import set_alt
from coursework.plot.core import compare_rows, show_images

Decode = Callable[[torch.Tensor], torch.Tensor]
Path = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


class InterpolationScrubber:
    """A slider over ``t`` in [0, 1] between codes ``z0`` and ``z1``.

    Args:
        decode: maps codes (N, D) to images (N, C, H, W) in [0, 1].
        z0, z1: the end codes (D,).
        paths: ``{name: (z0, z1, t) -> (T, D)}``, chosen with a toggle.
    """

    def __init__(
        self,
        decode: Decode,
        z0: torch.Tensor,
        z1: torch.Tensor,
        paths: dict[str, Path] | None = None,
    ) -> None:
        import ipywidgets as widgets

        self.decode = decode
        self.z0, self.z1 = z0.detach().clone(), z1.detach().clone()
        self.paths = paths or {"slerp": slerp, "lerp": lerp}
        self.slider = widgets.FloatSlider(
            value=0.5, min=0.0, max=1.0, step=0.05, description="t"
        )
        self.toggle = widgets.ToggleButtons(options=list(self.paths))
        self.output = widgets.Output()
        self.slider.observe(self._redraw, names="value")
        self.toggle.observe(self._redraw, names="value")
        self.widget = widgets.HBox(
            [widgets.VBox([self.slider, self.toggle]), self.output]
        )
        self._redraw()

    def code(self) -> torch.Tensor:
        """The code (D,) at the slider's ``t`` on the chosen path."""
        t = torch.tensor(
            [self.slider.value], dtype=self.z0.dtype, device=self.z0.device
        )
        return self.paths[self.toggle.value](self.z0, self.z1, t)[0]

    @torch.no_grad()
    def image(self) -> torch.Tensor:
        """The decoded image (C, H, W) at the current ``t``."""
        return self.decode(self.code()[None])[0].cpu()

    def _redraw(self, change: object = None) -> None:
        img = self.image()
        with self.output:
            self.output.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(2.5, 2.5))
            show_images(img[None], nrow=1, ax=ax)
            set_alt(
                fig,
                f"The image generated at t = {self.slider.value:.2f} on the "
                f"{self.toggle.value} path between two latent codes",
            )
            display(fig)
            plt.close(fig)


@torch.no_grad()
def interpolation_scrubber(
    decode: Decode,
    z0: torch.Tensor,
    z1: torch.Tensor,
    steps: int = 10,
    paths: dict[str, Path] | None = None,
    interactive: bool = True,
) -> InterpolationScrubber | None:
    """Draw the static strips of every path and build the live scrubber.

    Returns:
        The :class:`InterpolationScrubber` (display ``.widget``), or None when
        ``interactive`` is False or ipywidgets is not installed.
    """
    paths = paths or {"slerp": slerp, "lerp": lerp}
    t = torch.linspace(0, 1, steps, dtype=z0.dtype, device=z0.device)
    compare_rows({name: decode(path(z0, z1, t)) for name, path in paths.items()})
    plt.show()
    if not interactive:
        return None
    try:
        return InterpolationScrubber(decode, z0, z1, paths)
    except ImportError:
        return None
