"""Video understanding (notebook 01), one concept per module, in lecture order.

``clips`` (sampling clips, test-time clip averaging), ``layers`` (layer specs
as data), ``models`` (single frame, late / early fusion, 3D CNN, C3D, non-local,
all one :class:`VideoNet` with a head module), ``receptive_field`` and
``flops`` (two more readers of the specs), ``flow`` (Horn-Schunck optical
flow), ``two_stream``, ``recurrent`` (CNN + LSTM), ``attention`` (the
non-local block), ``training`` (losses that cut clips on the fly),
``localization`` (sliding windows, temporal NMS) and ``metrics`` (temporal
mAP, flow end-point error).
"""

from coursework.video.attention import NonLocalBlock
from coursework.video.clips import (
    clip_span,
    predict_averaged,
    random_starts,
    sample_clip,
    to_float,
)
from coursework.video.flops import (
    Cost,
    alexnet_specs,
    format_costs,
    layer_costs,
    model_cost,
    vgg16_specs,
)
from coursework.video.flow import (
    clip_flow,
    gaussian_blur,
    grey,
    horn_schunck,
    horn_schunck_step,
    image_gradients,
    neighbour_average,
    shift,
)
from coursework.video.layers import (
    Conv,
    EarlyFusion,
    GlobalPool,
    NonLocal,
    Pool,
    conv2d,
    conv3d,
    describe,
    kernel_stride,
    output_shape,
    pool2d,
    pool3d,
)
from coursework.video.localization import (
    detect,
    sliding_windows,
    temporal_iou,
    temporal_nms,
    window_clips,
    window_labels,
)
from coursework.video.metrics import average_precision, endpoint_error, temporal_map
from coursework.video.models import (
    MODELS,
    Conv3DBlock,
    EarlyFusionConv,
    FrameConv,
    FrameHead,
    LateFCHead,
    LatePoolHead,
    PoolHead,
    VideoNet,
    build_layer,
    build_model,
    build_trunk,
    c3d_specs,
    early_fusion_reshape,
    frame_trunk,
    late_fusion_pool,
    specs_for,
)
from coursework.video.receptive_field import (
    Row,
    format_table,
    receptive_field_table,
    rf_update,
)
from coursework.video.recurrent import CNNLSTM
from coursework.video.training import (
    clip_loss,
    frame_loss,
    fused_two_stream_loss,
    sequence_loss,
)
from coursework.video.two_stream import TwoStream

__all__ = [
    "alexnet_specs",
    "vgg16_specs",
    "CNNLSTM",
    "Conv",
    "Conv3DBlock",
    "Cost",
    "EarlyFusion",
    "EarlyFusionConv",
    "FrameConv",
    "FrameHead",
    "GlobalPool",
    "LateFCHead",
    "LatePoolHead",
    "MODELS",
    "NonLocal",
    "NonLocalBlock",
    "Pool",
    "PoolHead",
    "Row",
    "TwoStream",
    "VideoNet",
    "average_precision",
    "build_layer",
    "build_model",
    "build_trunk",
    "c3d_specs",
    "clip_flow",
    "clip_loss",
    "clip_span",
    "conv2d",
    "conv3d",
    "describe",
    "detect",
    "early_fusion_reshape",
    "endpoint_error",
    "format_costs",
    "format_table",
    "frame_loss",
    "frame_trunk",
    "fused_two_stream_loss",
    "gaussian_blur",
    "grey",
    "horn_schunck",
    "horn_schunck_step",
    "image_gradients",
    "kernel_stride",
    "late_fusion_pool",
    "layer_costs",
    "model_cost",
    "neighbour_average",
    "output_shape",
    "pool2d",
    "pool3d",
    "predict_averaged",
    "random_starts",
    "receptive_field_table",
    "rf_update",
    "sample_clip",
    "sequence_loss",
    "shift",
    "sliding_windows",
    "specs_for",
    "temporal_iou",
    "temporal_map",
    "temporal_nms",
    "to_float",
    "window_clips",
    "window_labels",
]
