"""Autoregressive image models: PixelRNN and PixelCNN (notebook 02).

One concept per module: :mod:`likelihood` (the chain rule, nats and bits per
dimension, discrete values), :mod:`masks` (type A / B and colour groups),
:mod:`layers` (masked convolutions, the gated block), :mod:`models`
(PixelCNN, gated and conditional PixelCNN, Row LSTM), :mod:`losses` (softmax
and discretised logistic mixture likelihoods), :mod:`sampling` (naive and
cached samplers), :mod:`receptive_field` (gradients, the architecture's
field, the blind spot) and :mod:`data` (coloured shapes).
"""

from coursework.autoregressive.data import coloured_shapes
from coursework.autoregressive.layers import (
    GatedBlock,
    MaskedConv2d,
    gated_activation,
    masked_conv2d,
)
from coursework.autoregressive.likelihood import (
    bits_per_dim,
    nats_per_image,
    quantize,
    to_unit,
)
from coursework.autoregressive.losses import (
    Likelihood,
    categorical_log_prob,
    discretized_logistic_log_prob,
    image_nll,
    logistic_mixture_log_prob,
)
from coursework.autoregressive.masks import causal_mask, horizontal_mask, vertical_mask
from coursework.autoregressive.models import (
    GatedPixelCNN,
    PixelCNN,
    PixelRNN,
    RowLSTM,
)
from coursework.autoregressive.receptive_field import (
    architecture_field,
    blind_spot,
    positive_copy,
    receptive_field,
)
from coursework.autoregressive.sampling import sample_cached, sample_naive, sample_step

__all__ = [
    "GatedBlock",
    "GatedPixelCNN",
    "Likelihood",
    "MaskedConv2d",
    "PixelCNN",
    "PixelRNN",
    "RowLSTM",
    "architecture_field",
    "bits_per_dim",
    "blind_spot",
    "categorical_log_prob",
    "causal_mask",
    "coloured_shapes",
    "discretized_logistic_log_prob",
    "gated_activation",
    "horizontal_mask",
    "image_nll",
    "logistic_mixture_log_prob",
    "masked_conv2d",
    "nats_per_image",
    "positive_copy",
    "quantize",
    "receptive_field",
    "sample_cached",
    "sample_naive",
    "sample_step",
    "to_unit",
    "vertical_mask",
]
