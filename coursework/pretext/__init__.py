"""Self-supervised pretext tasks: one backbone, small heads, batched batch-makers.

A pretext task is a function that turns unlabelled images (or videos) into
``(inputs, targets)`` on the device, plus a small head on the shared
:class:`~coursework.pretext.backbone.Backbone`; every task trains with
:func:`coursework.train.fit`. Modules, in lecture order: ``backbone`` and
``heads`` (the networks), ``transfer`` (linear probe, fine-tuning),
``augment`` (batched augmentations, exemplar), ``tiles`` (relative position,
jigsaw), ``permutations`` (Hamming permutation sets), ``rotation``,
``color`` (Lab, ab bins, rebalancing), ``inpainting``, ``clustering``
(DeepCluster's k-means), ``contrastive`` (NT-Xent, MoCo), ``masked`` (a
masked autoencoder on a small ViT), ``video`` (shuffle & learn, odd-one-out,
arrow of time), ``sorting`` (temporal sorting), ``slowness`` (slow and steady
features), ``prediction`` (next-frame prediction), ``tracking`` (colourisation
by copying, and tracking with it; import it as ``coursework.pretext.tracking``).
The classification loss every task trains with is the shared
:func:`coursework.classifier.classification_loss`.
"""

from coursework.pretext.augment import augment, color_jitter, grey, random_resized_crop
from coursework.pretext.backbone import Backbone, ConvBlock, PretextNet
from coursework.pretext.clustering import (
    assign,
    cluster_weights,
    kmeans,
    prepare_features,
    update_centroids,
)
from coursework.pretext.color import (
    RGB_TO_XYZ,
    WHITE_D65,
    ab_bins,
    annealed_mean,
    colorization_batch,
    lab_to_rgb,
    quantize_ab,
    rebalance_weights,
    rgb_to_lab,
    to_grey,
)
from coursework.pretext.contrastive import (
    MoCo,
    enqueue,
    grouped_forward,
    moco_logits,
    nt_xent,
    nt_xent_logits,
)
from coursework.pretext.heads import (
    Decoder,
    DenseHead,
    LinearHead,
    MLPHead,
    SetEmbedding,
    SetHead,
)
from coursework.pretext.inpainting import (
    centre_mask,
    inpainting_batch,
    masked_squared_error,
)
from coursework.pretext.masked import (
    MaskedAutoencoder,
    ViTEncoder,
    masked_patch_loss,
    patchify,
    random_masking,
    unpatchify,
)
from coursework.pretext.permutations import (
    all_permutations,
    average_hamming_permutations,
    greedy_permutations,
    hamming,
    maximal_hamming_set,
    mean_hamming,
    min_hamming,
    random_permutation_set,
)
from coursework.pretext.prediction import (
    FramePredictor,
    next_frame_batch,
    next_frame_loss,
    next_frame_pairs,
)
from coursework.pretext.rotation import rotate_batch
from coursework.pretext.slowness import (
    second_difference,
    slow_steady_loss,
    slowness_batch,
)
from coursework.pretext.sorting import (
    n_sorting_classes,
    sorting_batch,
    sorting_class,
    sorting_classes,
)
from coursework.pretext.tiles import (
    NEIGHBOUR_OFFSETS,
    NEIGHBOURS,
    extract_tiles,
    gather_tiles,
    jigsaw_batch,
    largest_tile,
    relative_position_batch,
    shuffle_tiles,
    tile_corners,
)
from coursework.pretext.transfer import (
    Classifier,
    LinearProbe,
    finetune,
    frozen_features,
    linear_probe,
    probe_as_linear,
    reestimate_bn,
)
from coursework.pretext.video import (
    arrow_of_time_batch,
    gather_frames,
    odd_one_out_batch,
    random_clips,
    reverse_clips,
    shuffle_learn_batch,
    spaced_frames,
)

__all__ = [
    "Backbone",
    "Classifier",
    "ConvBlock",
    "Decoder",
    "DenseHead",
    "FramePredictor",
    "LinearHead",
    "LinearProbe",
    "MLPHead",
    "MoCo",
    "NEIGHBOURS",
    "NEIGHBOUR_OFFSETS",
    "PretextNet",
    "RGB_TO_XYZ",
    "SetHead",
    "WHITE_D65",
    "ab_bins",
    "all_permutations",
    "average_hamming_permutations",
    "mean_hamming",
    "annealed_mean",
    "arrow_of_time_batch",
    "assign",
    "augment",
    "centre_mask",
    "cluster_weights",
    "color_jitter",
    "colorization_batch",
    "enqueue",
    "extract_tiles",
    "finetune",
    "frozen_features",
    "gather_frames",
    "gather_tiles",
    "greedy_permutations",
    "grey",
    "hamming",
    "inpainting_batch",
    "jigsaw_batch",
    "kmeans",
    "lab_to_rgb",
    "largest_tile",
    "linear_probe",
    "masked_squared_error",
    "maximal_hamming_set",
    "min_hamming",
    "grouped_forward",
    "moco_logits",
    "next_frame_batch",
    "next_frame_loss",
    "next_frame_pairs",
    "nt_xent",
    "nt_xent_logits",
    "odd_one_out_batch",
    "prepare_features",
    "probe_as_linear",
    "quantize_ab",
    "random_clips",
    "random_permutation_set",
    "random_resized_crop",
    "rebalance_weights",
    "reestimate_bn",
    "relative_position_batch",
    "reverse_clips",
    "rgb_to_lab",
    "rotate_batch",
    "shuffle_learn_batch",
    "shuffle_tiles",
    "spaced_frames",
    "tile_corners",
    "to_grey",
    "update_centroids",
    "MaskedAutoencoder",
    "ViTEncoder",
    "masked_patch_loss",
    "patchify",
    "random_masking",
    "unpatchify",
    "SetEmbedding",
    "second_difference",
    "slow_steady_loss",
    "slowness_batch",
    "n_sorting_classes",
    "sorting_batch",
    "sorting_class",
    "sorting_classes",
]
