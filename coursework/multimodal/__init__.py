"""Multi-modal self-supervised learning: audio, correspondence, contrast, clusters.

One concept per module, in lecture order: ``audio`` (mel filterbank, log-mel
spectrograms), ``models`` (the encoders and audio-visual networks),
``windows`` (synchronised and shifted windows), ``losses`` (InfoNCE,
MIL-NCE), ``sinkhorn`` (self-labelling), ``localisation`` (heatmaps and the
max-over-positions score), ``retrieval`` (Recall@K), ``fusion``, and text as
the third modality: ``text`` (vocabulary and text encoder) and ``zeroshot``
(classification from class-name prompts).
"""

from coursework.multimodal.audio import (
    log_mel_spectrogram,
    mel_filterbank,
    spectrogram,
)
from coursework.multimodal.fusion import (
    FUSIONS,
    CrossAttentionFusion,
    EarlyFusion,
    LateFusion,
)
from coursework.multimodal.localisation import (
    localisation_hits,
    max_over_positions,
    peak_positions,
    similarity_map,
)
from coursework.multimodal.losses import (
    info_nce,
    mil_nce,
    multi_positive_nce,
    similarity_logits,
    soft_cross_entropy,
)
from coursework.multimodal.models import (
    AudioEncoder,
    AudioVisual,
    AudioVisualText,
    Correspondence,
    Localiser,
    SelfLabelling,
    VideoEncoder,
)
from coursework.multimodal.retrieval import recall_at_k, retrieval_report
from coursework.multimodal.sinkhorn import sinkhorn
from coursework.multimodal.text import TextEncoder, Vocabulary
from coursework.multimodal.windows import (
    crop_frames,
    crop_spectrogram,
    random_starts,
    shifted_starts,
)
from coursework.multimodal.zeroshot import class_embeddings, prompts, zero_shot_logits

__all__ = [
    "FUSIONS",
    "AudioEncoder",
    "AudioVisual",
    "AudioVisualText",
    "Correspondence",
    "CrossAttentionFusion",
    "EarlyFusion",
    "LateFusion",
    "Localiser",
    "SelfLabelling",
    "TextEncoder",
    "VideoEncoder",
    "Vocabulary",
    "class_embeddings",
    "crop_frames",
    "crop_spectrogram",
    "info_nce",
    "localisation_hits",
    "log_mel_spectrogram",
    "max_over_positions",
    "mel_filterbank",
    "mil_nce",
    "multi_positive_nce",
    "peak_positions",
    "prompts",
    "random_starts",
    "recall_at_k",
    "retrieval_report",
    "shifted_starts",
    "similarity_logits",
    "similarity_map",
    "sinkhorn",
    "soft_cross_entropy",
    "spectrogram",
    "zero_shot_logits",
]
