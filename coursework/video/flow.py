"""Optical flow by Horn-Schunck (Horn and Schunck, "Determining Optical Flow",
Artificial Intelligence, 1981), for notebook 01.

The estimator lives in the shared layer :mod:`coursework.data.flow`, beside
the generated videos, because notebook 05 warps masks with it too and no topic
imports another; this module re-exports it unchanged, so ``from
coursework.video.flow import horn_schunck`` keeps working.
"""

from coursework.data.flow import (
    Step,
    clip_flow,
    gaussian_blur,
    grey,
    horn_schunck,
    horn_schunck_step,
    image_gradients,
    neighbour_average,
    shift,
)

__all__ = [
    "Step",
    "clip_flow",
    "gaussian_blur",
    "grey",
    "horn_schunck",
    "horn_schunck_step",
    "image_gradients",
    "neighbour_average",
    "shift",
]
