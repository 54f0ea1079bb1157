"""What each recorded metric means: in words, its unit, which direction is better,
and the notebook section to look at when it is off.

One table, :data:`PATTERNS`, read by the summary cells (:func:`coursework.bands.
compare_to_bands`) and by the course site's results page. Metric names made from
model names (``fd_wgan_gp``, ``probe_rotation``) are matched by pattern, the
model's name written out by :data:`NAMES`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Better = Literal["higher", "lower", "neither"]


@dataclass(frozen=True)
class MetricInfo:
    """One metric, described.

    Attributes:
        name: the recorded name, e.g. ``fd_wgan_gp``.
        words: what it is, e.g. "Fréchet distance, WGAN-GP".
        unit: e.g. "nats", "bits/dim", "s", "fraction" (0 to 1), "" for none.
        better: "higher", "lower", or "neither" (a reference or baseline).
        section: where the notebook computes it, e.g. "section 6 (WGAN-GP, ...)".
        timing: a time or speed, which depends on the machine more than on the
            code: never flagged as far off.
    """

    name: str
    words: str
    unit: str
    better: Better
    section: str
    timing: bool = False

    @property
    def direction(self) -> str:
        """"higher is better", "lower is better", or "a reference"."""
        return "a reference" if self.better == "neither" else f"{self.better} is better"

    @property
    def label(self) -> str:
        """Words with the unit, e.g. "Negative ELBO (nats)"."""
        return f"{self.words} ({self.unit})" if self.unit else self.words


#: Model and method names as written in the metric names, in words.
NAMES: dict[str, str] = {
    # 01
    "single_frame": "single frame",
    "late_pool": "late fusion (pooled)",
    "late_fc": "late fusion (fully connected)",
    "early": "early fusion",
    "3d": "3D CNN",
    "3d_nonlocal": "3D CNN with a non-local block",
    "c3d": "C3D",
    "two_stream": "two-stream",
    "cnn_lstm": "CNN + LSTM",
    "cnn_lstm_avg": "CNN, frame features averaged",
    "cnn_lstm_frozen": "CNN + LSTM, frozen CNN",
    # 02
    "pixelcnn": "PixelCNN",
    "gated": "gated PixelCNN",
    "rowlstm": "Row LSTM",
    "gated_large": "class-conditional gated PixelCNN, classes summed out",
    # 04
    "gan": "DCGAN (non-saturating)",
    "lsgan": "LSGAN",
    "wgan_gp": "WGAN-GP",
    "sngan": "SN-GAN",
    "pacgan2": "PacGAN2",
    # 05
    "colorization": "colourisation",
    "colorization_colour": "colourisation, fine-tuned on colour input (BatchNorm "
    "statistics re-estimated on colour)",
    "deepcluster": "DeepCluster",
    "exemplar": "exemplar CNN",
    "inpainting": "inpainting",
    "jigsaw": "jigsaw",
    "jigsaw_random_perms": "jigsaw, random permutations",
    "moco": "MoCo",
    "random": "random init (baseline)",
    "random_grey": "random init on grey input (colourisation's like-for-like "
    "baseline)",
    "relpos": "relative position",
    "relpos_no_gap": "relative position, no gap",
    "rotation": "rotation",
    "simclr": "SimCLR",
    "simclr_paper_colour": "SimCLR, the paper's colour jitter",
    "supervised": "supervised (ceiling)",
    "arrow_of_time": "arrow of time",
    "odd_one_out": "odd one out",
    "shuffle_learn": "shuffle and learn",
    # 06
    "a2v": "audio to video",
    "v2a": "video to audio",
    "t2v": "text to video",
    "v": "video features",
    "a": "audio features",
    "va": "video + audio features",
    "video": "video",
    "audio": "audio",
    "invariant": "time-shift invariant model",
    "distinctive": "time-shift distinctive model",
    "vt": "video + text",
    "vat": "video + audio + text",
    "attention": "cross-attention",
    # 05, added
    "mae": "masked autoencoder (75% masked)",
    "mae_25": "masked autoencoder, 25% masked",
    "mae_50": "masked autoencoder, 50% masked",
    "mae_75": "masked autoencoder, 75% masked",
    "random_vit": "random ViT",
    "sorting": "temporal sorting",
    "slowness": "slow and steady features",
    "moco_shuffle_bn": "MoCo with shuffling BN",
    # 07
    "reflow": "rectified flow (one reflow)",
    "diffusion": "diffusion (Fourier-feature MLP)",
    "diffusion_plain": "diffusion (plain MLP)",
    "flow": "flow matching",
    "ddpm": "DDPM",
}

SECTIONS: dict[str, dict[int | str, str]] = {
    "01_video": {
        3: "The single-frame baseline", 4: "Late fusion", 5: "Early fusion",
        6: "3D CNN (slow fusion)", 7: "C3D", 8: "Measuring motion: optical flow",
        9: "Two-stream networks", 10: "CNN + LSTM", 11: "the non-local block",
        12: "Temporal action localisation", 13: "Results",
    },
    "02_autoregressive": {
        3: "PixelRNN: the Row LSTM", 4: "PixelCNN", 5: "The blind spot",
        7: "Sampling, and why it is slow", 8: "Discrete grey levels",
    },
    "03_vae": {
        1: "Undercomplete autoencoders, and PCA", 4: "Autoencoder codes as features",
        5: "The variational autoencoder", 6: "How far below log p(x)?",
        7: "Estimating log p(x)", 11: "β-VAE", 12: "VQ-VAE",
    },
    "04_gan": {
        3: "Saturating against non-saturating generator loss", 4: "DCGAN on digits",
        5: "Mode collapse on 2-D mixtures", 6: "WGAN-GP, LSGAN and spectral "
        "normalisation", 9: "Evaluating samples without Inception weights",
    },
    "05_pretext": {
        2: "Exemplar CNNs", 3: "Relative patch position", 4: "Jigsaw puzzles",
        5: "Rotation", 6: "Colourisation", 7: "Inpainting", 8: "DeepCluster",
        9: "Contrastive learning", "9b": "Masked prediction",
        10: "Video pretext tasks", "10b": "Sorting frames, and slowness",
        "10c": "Predicting the next frame", "10d": "Colour as tracking",
        11: "Results",
    },
    "06_multimodal": {
        2: "Audio-visual correspondence", 3: "Cross-modal contrastive learning",
        4: "Multiple positives", 5: "Self-labelling", 6: "Sound-source localisation",
        7: "Cross-modal retrieval", 8: "The modality ablation, and fusion",
        9: "Text, the third modality",
    },
    "07_diffusion": {
        2: "Learning to denoise (DDPM)", 3: "The 2-D mixtures of notebook 04",
        4: "Likelihood", 5: "Faster sampling: DDIM",
        6: "Flow matching and rectified flow", 7: "Classifier-free guidance",
        8: "The scoreboard",
    },
}

# Where each model or method is trained ("*": any other).
_SECTION_OF = {
    "02_autoregressive": {"rowlstm": 3, "pixelcnn": 4, "gated": 5, "gated_large": 7},
    "04_gan": {"gan": 4, "*": 6},
    "01_video": {
        "single_frame": 3, "late_pool": 4, "late_fc": 4, "early": 5, "3d": 6,
        "c3d": 7, "two_stream": 9, "cnn_lstm": 10, "cnn_lstm_avg": 10,
        "cnn_lstm_frozen": 10, "3d_nonlocal": 11,
    },
    "05_pretext": {
        "exemplar": 2, "relpos": 3, "relpos_no_gap": 3, "jigsaw": 4,
        "jigsaw_random_perms": 4, "rotation": 5, "colorization": 6, "inpainting": 7,
        "deepcluster": 8, "simclr": 9, "simclr_paper_colour": 9, "moco": 9,
        "moco_shuffle_bn": 9,
        "arrow_of_time": 10, "odd_one_out": 10, "shuffle_learn": 10,
        "mae": "9b", "mae_25": "9b", "mae_50": "9b", "mae_75": "9b",
        "random_vit": "9b", "sorting": "10b", "slowness": "10b",
        "shuffle_learn_stride2": 10, "frame_prediction": "10c", "*": 11,
    },
}
# Methods that are baselines or ceilings, not something to improve.
_REFERENCES = {"random", "random_grey", "random_vit", "supervised"}

F, NATS = "fraction", "nats"
# (notebook, pattern, words, unit, better, section number or "m" for the
# method's own section, timing). {m} in the words is the matched name in words.
PATTERNS: list[tuple[str, str, str, str, Better, int | str, bool]] = [
    # 01 video
    ("01_video", r"(?P<m>.+)_motion_accuracy", "Test accuracy on the classes told "
     "apart by motion only, {m}", F, "higher", "m", False),
    ("01_video", r"(?P<m>.+)_accuracy", "Test accuracy, {m}", F, "higher", "m", False),
    ("01_video", r"(?P<m>.+)_train_seconds", "Training time, {m}", "s", "lower", "m",
     True),
    ("01_video", r"flow_epe", "Horn-Schunck flow, average end-point error",
     "pixels", "lower", 8, False),
    ("01_video", r"flow_epe_zero", "Zero flow, average end-point error (baseline)",
     "pixels", "neither", 8, False),
    ("01_video", r"localisation_map_(?P<t>\d)", "Action localisation mAP at "
     "temporal IoU 0.{t}", F, "higher", 12, False),
    # 02 autoregressive
    ("02_autoregressive", r"nll_nats_(?P<m>.+)", "Test negative log-likelihood, {m}",
     "nats per image", "lower", "m", False),
    ("02_autoregressive", r"bpd_(?P<m>softmax|logistic)", "Bits per dimension, "
     "{m} output", "bits/dim", "lower", 8, False),
    ("02_autoregressive", r"sampling_seconds_naive", "Sampling time, naive",
     "s", "lower", 7, True),
    ("02_autoregressive", r"sampling_seconds_cached", "Sampling time, with the "
     "activation cache", "s", "lower", 7, True),
    ("02_autoregressive", r"sampling_speedup", "Speed-up of the activation cache "
     "over naive sampling", "×", "higher", 7, True),
    ("02_autoregressive", r"blind_spot_pixels_(?P<m>plain|gated)", "Pixels in the "
     "blind spot, {m}", "pixels", "lower", 5, False),
    ("02_autoregressive", r"class_samples_read_correctly", "Class-conditional "
     "samples that the course's digit judge reads as their class", F, "higher", 7,
     False),
    ("02_autoregressive", r"bayes_classifier_accuracy", "Test accuracy of the "
     "conditional PixelCNN as a classifier (Bayes' rule)", F, "higher", 7, False),
    ("02_autoregressive", r"judge_samples", "Samples judged, for Fréchet distance, "
     "precision and recall", "", "neither", 7, False),
    ("02_autoregressive", r"fd_real", "Fréchet distance of held-out grey digits "
     "(the judge's floor)", "", "neither", 7, False),
    ("02_autoregressive", r"fd_real_binarised", "Fréchet distance of binarised "
     "held-out digits (the floor of binary samples)", "", "neither", 7, False),
    ("02_autoregressive", r"precision_real_binarised", "Precision of binarised "
     "held-out digits", F, "neither", 7, False),
    ("02_autoregressive", r"recall_real_binarised", "Recall of binarised held-out "
     "digits", F, "neither", 7, False),
    ("02_autoregressive", r"fd_(?P<m>.+)", "Fréchet distance of the samples, {m}",
     "", "lower", "m", False),
    ("02_autoregressive", r"precision_(?P<m>.+)", "Precision of the samples, {m}", F,
     "higher", "m", False),
    ("02_autoregressive", r"recall_(?P<m>.+)", "Recall of the samples, {m}", F,
     "higher", "m", False),
    # 03 vae
    ("03_vae", r"neg_elbo", "Negative ELBO on test digits", NATS, "lower", 5, False),
    ("03_vae", r"iwae(?P<k>\d+)", "Negative importance-weighted bound, k = {k}",
     NATS, "lower", 7, False),
    ("03_vae", r"naive_mc(?P<k>\d+)", "Negative naive Monte Carlo estimate of "
     "log p(x), {k} samples", NATS, "lower", 7, False),
    ("03_vae", r"pca_subspace_overlap", "Overlap of the linear autoencoder's "
     "subspace with PCA's", F, "higher", 1, False),
    ("03_vae", r"dae_feature_accuracy", "Linear-probe accuracy on denoising-"
     "autoencoder codes", F, "higher", 4, False),
    ("03_vae", r"pixel_accuracy", "Linear-probe accuracy on raw pixels (baseline)",
     F, "neither", 4, False),
    ("03_vae", r"mig_beta1", "Mutual information gap, β = 1", "", "higher", 11,
     False),
    ("03_vae", r"mig_beta_high", "Mutual information gap, the largest β", "",
     "higher", 11, False),
    ("03_vae", r"vq_perplexity", "VQ-VAE codebook perplexity (codes in use)",
     "codes", "higher", 12, False),
    ("03_vae", r"elbo_identity_max_abs_error", "Largest error of the identity "
     "log p(x) = ELBO + KL", NATS, "lower", 6, False),
    ("03_vae", r"elbo_gap_nats", "Gap between log p(x) and the ELBO", NATS, "lower",
     6, False),
    ("03_vae", r"fd_real", "Fréchet distance of held-out real digits (the floor)",
     "", "neither", 12, False),
    ("03_vae", r"fd_vae", "Fréchet distance of the VAE's samples (the course's "
     "digit judge)", "", "lower", 12, False),
    ("03_vae", r"precision_vae", "Precision of the VAE's samples", F, "higher", 12,
     False),
    ("03_vae", r"recall_vae", "Recall of the VAE's samples", F, "higher", 12, False),
    ("03_vae", r"judge_samples", "Samples judged, for Fréchet distance, precision "
     "and recall", "", "neither", 12, False),
    # 04 gan
    ("04_gan", r"judge_samples", "Samples judged per model, for Fréchet distance, "
     "precision and recall", "", "neither", 6, False),
    ("04_gan", r"grad_ratio_nonsat_vs_sat", "Generator gradient early in training, "
     "non-saturating over saturating loss", "×", "higher", 3, False),
    ("04_gan", r"fd_real", "Fréchet distance of held-out real digits (the floor)",
     "", "neither", 9, False),
    ("04_gan", r"fd_(?P<m>.+)", "Fréchet distance, {m}", "", "lower", "m", False),
    ("04_gan", r"precision_(?P<m>.+)", "Precision, {m}", F, "higher", 9, False),
    ("04_gan", r"recall_(?P<m>.+)", "Recall, {m}", F, "higher", 9, False),
    ("04_gan", r"ring_modes_(?P<m>.+)", "Modes of the ring covered, {m}", "of 8",
     "higher", 5, False),
    ("04_gan", r"grid_modes_(?P<m>.+)", "Modes of the grid covered, {m}", "of 25",
     "higher", 5, False),
    ("04_gan", r"ring_hq_(?P<m>.+)", "High-quality samples on the ring, {m}", F,
     "higher", 5, False),
    # 05 pretext
    ("05_pretext", r"frame_prediction_mse", "Next-frame prediction, test squared "
     "error", "", "lower", "10c", False),
    ("05_pretext", r"frame_prediction_copy_last_mse", "Copying the last frame, test "
     "squared error (the baseline)", "", "neither", "10c", False),
    ("05_pretext", r"fork_mse_(?P<m>.+)", "Next frame of a fork clip, squared error "
     "of the prediction, {m}", "", "neither", "10c", False),
    ("05_pretext", r"tracking_iou_half_resolution_ceiling", "Best mask IoU a "
     "perfect copier reaches at half resolution (the ceiling)", F, "neither", "10d",
     False),
    ("05_pretext", r"tracking_iou_(?P<m>.+)_last", "Mask IoU at the last frame, "
     "{m}", F, "higher", "10d", False),
    ("05_pretext", r"tracking_iou_(?P<m>.+)", "Mean mask IoU over the propagated "
     "frames, {m}", F, "higher", "10d", False),
    ("05_pretext", r"tracking_colour_acc", "Colour codes copied right on test "
     "frame pairs (object pixels)", F, "higher", "10d", False),
    ("05_pretext", r"tracking_flow_alpha", "Horn-Schunck smoothness weight picked "
     "for tracking on training clips", "", "neither", "10d", False),
    ("05_pretext", r"tracking_flow_sigma", "Horn-Schunck blur picked for tracking "
     "on training clips", "pixels", "neither", "10d", False),
    ("05_pretext", r"probe_(?P<m>.+)_x4_budget", "Linear-probe accuracy, {m}, four "
     "times the pretraining", F, "higher", 11, False),
    ("05_pretext", r"probe_(?P<m>.+)", "Linear-probe accuracy, {m}", F, "higher",
     "m", False),
    ("05_pretext", r"finetune_lpft_dlr_(?P<m>.+)", "Fine-tuned accuracy with few "
     "labels from the linear probe (LP-FT), the backbone's learning rate ten times "
     "lower than the head's, {m}", F, "higher", 11, False),
    ("05_pretext", r"finetune_lpft_colorization_colour_kept_bn", "Fine-tuned "
     "accuracy with few labels from the linear probe (LP-FT), colourisation's "
     "backbone given colour input, BatchNorm statistics re-estimated on colour and "
     "kept while fine-tuning", F, "higher", 11, False),
    ("05_pretext", r"finetune_lpft_colorization_colour", "Fine-tuned accuracy with "
     "few labels from the linear probe (LP-FT), colourisation's backbone given "
     "colour input (BatchNorm statistics re-estimated on colour)", F, "higher", 11,
     False),
    ("05_pretext", r"finetune_lpft_(?P<m>.+)_x4_budget", "Fine-tuned accuracy with "
     "few labels from the linear probe (LP-FT), {m}, four times the pretraining", F,
     "higher", 11, False),
    ("05_pretext", r"finetune_lpft_(?P<m>.+)", "Fine-tuned accuracy with few labels, "
     "starting from the linear probe's layer (LP-FT), {m}", F, "higher", 9, False),
    ("05_pretext", r"pretext_train_acc_(?P<m>.+)", "Pretext-task accuracy in training "
     "(BatchNorm in training mode; high with a shortcut), {m}", F, "neither", 9,
     False),
    ("05_pretext", r"finetune_(?P<m>.+)", "Fine-tuned accuracy with few labels, {m}",
     F, "higher", "m", False),
    ("05_pretext", r"pretext_acc_(?P<m>.+)", "Pretext-task accuracy, {m}", F,
     "higher", "m", False),
    ("05_pretext", r"video_probe_(?P<m>.+)", "Action linear-probe accuracy after "
     "video pretraining, {m}", F, "higher", 10, False),
    ("05_pretext", r"video_pairs_(?P<m>.+)", "Action linear-probe accuracy within "
     "the motion pairs, {m}", F, "higher", 10, False),
    ("05_pretext", r"jigsaw_min_hamming", "Smallest Hamming distance in the greedy "
     "max-min permutation set", "tiles", "higher", 4, False),
    ("05_pretext", r"jigsaw_mean_hamming", "Mean Hamming distance in the greedy "
     "max-min permutation set", "tiles", "higher", 4, False),
    ("05_pretext", r"jigsaw_random_min_hamming", "Smallest Hamming distance among "
     "random permutations", "tiles", "neither", 4, False),
    ("05_pretext", r"jigsaw_average_rule_min_hamming", "Smallest Hamming distance, "
     "greedy set by the average rule", "tiles", "higher", 4, False),
    ("05_pretext", r"jigsaw_average_rule_mean_hamming", "Mean Hamming distance, "
     "greedy set by the average rule", "tiles", "higher", 4, False),
    ("05_pretext", r"arrow_of_time_ceiling", "Best possible arrow-of-time accuracy "
     "(bouncing clips are ambiguous)", F, "neither", 10, False),
    ("05_pretext", r"arrow_of_time_bounce_oracle", "Arrow-of-time accuracy of an "
     "oracle on bouncing clips", F, "neither", 10, False),
    ("05_pretext", r"chroma_(?P<m>classification|regression)", "Mean chroma of "
     "colourised images, {m} (the truth's is the target)", "", "higher", 6, False),
    ("05_pretext", r"chroma_truth", "Mean chroma of the true images", "", "neither",
     6, False),
    # 06 multimodal
    ("06_multimodal", r"avc_acc", "Audio-visual correspondence accuracy", F,
     "higher", 2, False),
    ("06_multimodal", r"retrieval_r(?P<k>\d)_t2v", "Recall@{k}, text to video", F,
     "higher", 9, False),
    ("06_multimodal", r"retrieval_r(?P<k>\d)_(?P<m>a2v|v2a)", "Recall@{k}, {m}", F,
     "higher", 7, False),
    ("06_multimodal", r"sync_acc_(?P<m>.+)", "Synchronisation accuracy, {m}", F,
     "higher", 3, False),
    ("06_multimodal", r"milnce_r1", "Recall@1 after training on misaligned pairs, "
     "MIL-NCE", F, "higher", 4, False),
    ("06_multimodal", r"infonce_r1", "Recall@1 after training on misaligned pairs, "
     "InfoNCE", F, "higher", 4, False),
    ("06_multimodal", r"selavi_nmi", "Normalised mutual information of SeLaVi's "
     "clusters with the object kinds", F, "higher", 5, False),
    ("06_multimodal", r"random_nmi", "Normalised mutual information, k-means on a "
     "random network's features (baseline)", F, "neither", 5, False),
    ("06_multimodal", r"localisation_acc", "Sound-source localisation accuracy", F,
     "higher", 6, False),
    ("06_multimodal", r"centre_prior_acc", "Localisation accuracy of always "
     "guessing the centre (baseline)", F, "neither", 6, False),
    ("06_multimodal", r"probe_kind_(?P<m>video|audio)", "Object-kind linear-probe "
     "accuracy, {m} features", F, "higher", 9, False),
    ("06_multimodal", r"probe_(?P<m>v|a|va)", "Linear-probe accuracy, {m}", F,
     "higher", 8, False),
    ("06_multimodal", r"fusion_(?P<m>.+)", "Test accuracy, {m} fusion", F, "higher",
     8, False),
    ("06_multimodal", r"zeroshot_acc_(?P<m>.+)", "Zero-shot accuracy from text "
     "prompts, {m}", F, "higher", 9, False),
    ("06_multimodal", r"mmv_probe_(?P<m>.+)", "Object-kind linear-probe accuracy, "
     "MMV trained on {m}", F, "higher", 9, False),
    # 07 diffusion
    ("07_diffusion", r"ring_modes_(?P<m>.+)", "Modes of the ring covered, {m}",
     "of 8", "higher", 3, False),
    ("07_diffusion", r"grid_modes_(?P<m>.+)", "Modes of the grid covered, {m}",
     "of 25", "higher", 3, False),
    ("07_diffusion", r"ring_hq_(?P<m>.+)", "High-quality samples on the ring, {m}",
     F, "higher", 3, False),
    ("07_diffusion", r"bpd_diffusion", "Variational bound of the diffusion model",
     "bits/dim", "lower", 4, False),
    ("07_diffusion", r"fd_real", "Fréchet distance of held-out real digits (the "
     "floor)", "", "neither", 5, False),
    ("07_diffusion", r"fd_ddpm", "Fréchet distance, DDPM (ancestral sampling)", "",
     "lower", 2, False),
    ("07_diffusion", r"fd_ddim_(?P<k>\d+)", "Fréchet distance, DDIM with {k} steps",
     "", "lower", 5, False),
    ("07_diffusion", r"fd_ddim_all_steps", "Fréchet distance, DDIM with all T "
     "steps (the probability-flow ODE's limit), mean over the draws", "", "lower", 5,
     False),
    ("07_diffusion", r"fd_ddim_stochastic_(?P<k>\d+)", "Fréchet distance, DDIM "
     "with eta 0.5 and {k} quadratic steps", "", "lower", 5, False),
    ("07_diffusion", r"fd_ddpm_redraw", "Fréchet distance, DDPM again with other "
     "noise (how far two draws differ)", "", "lower", 5, False),
    ("07_diffusion", r"fd_dpm_solver_2m_(?P<k>\d+)", "Fréchet distance, "
     "DPM-Solver++(2M) with {k} steps", "", "lower", 5, False),
    ("07_diffusion", r"judge_draws", "Draws of the judge's sample count averaged "
     "for the sampler comparisons", "", "neither", 5, False),
    ("07_diffusion", r"fd_draws_mean_(?P<m>.+)", "Fréchet distance, mean over the "
     "draws, {m}", "", "lower", 5, False),
    ("07_diffusion", r"ratio_to_ddpm_(?P<m>.+)", "Mean Fréchet distance over the "
     "draws, {m}, divided by DDPM's", "x", "lower", 5, False),
    ("07_diffusion", r"fd_flow_(?P<k>\d+)", "Fréchet distance, flow matching with "
     "{k} Euler steps", "", "lower", 6, False),
    ("07_diffusion", r"precision_ddpm", "Precision, DDPM", F, "higher", 5, False),
    ("07_diffusion", r"recall_ddpm", "Recall, DDPM", F, "higher", 5, False),
    ("07_diffusion", r"cfg_class_acc_w(?P<w>[\d.]+)", "Class accuracy of guided "
     "samples, guidance weight {w}", F, "higher", 7, False),
    ("07_diffusion", r"cfg_fd_w(?P<w>[\d.]+)", "Fréchet distance of guided samples, "
     "guidance weight {w}", "", "lower", 7, False),
    ("07_diffusion", r"sampling_seconds_(?P<m>ddpm|ddim_10|dpm_solver_2m_10|flow_10)",
     "Sampling time, {m}", "s", "lower", 5, True),
    ("07_diffusion", r"fd_best_diffusion", "Fréchet distance, the best "
     "unconditional diffusion sampler (DDPM, DDIM or DPM-Solver++(2M))", "",
     "lower", 5, False),
    ("07_diffusion", r"fd_reflow_(?P<k>\d+)", "Fréchet distance, rectified flow "
     "after one reflow, {k} Euler steps", "", "lower", 6, False),
    ("07_diffusion", r"precision_best", "Precision, the best diffusion sampler", F,
     "higher", 5, False),
    ("07_diffusion", r"recall_best", "Recall, the best diffusion sampler", F,
     "higher", 5, False),
    ("07_diffusion", r"cfg_precision_w(?P<w>[\d.]+)", "Precision of guided "
     "samples, guidance weight {w}", F, "higher", 7, False),
    ("07_diffusion", r"cfg_recall_w(?P<w>[\d.]+)", "Recall of guided samples "
     "(diversity), guidance weight {w}", F, "higher", 7, False),
    ("07_diffusion", r"straightness_(?P<m>flow|reflow)", "Straightness of the "
     "paths, {m} (0 for straight lines; Liu et al. 2023, eq. 6)", "", "lower", 6,
     False),
    ("07_diffusion", r"judge_samples", "Samples judged per set, for Fréchet "
     "distance, precision and recall", "", "neither", 5, False),
]


def _words(name: str) -> str:
    if name in NAMES:
        return NAMES[name]
    if re.fullmatch(r"ddim_\d+", name):
        return f"DDIM, {name.split('_')[1]} steps"
    if re.fullmatch(r"flow_\d+", name):
        return f"flow matching, {name.split('_')[1]} steps"
    return name.replace("_", " ")


def _section(notebook: str, where: int | str, method: str | None) -> str:
    number = where
    if where == "m":
        known = _SECTION_OF.get(notebook, {})
        number = known.get(method or "", known.get("*", 0))
    key = int(number) if str(number).isdigit() else number
    title = SECTIONS.get(notebook, {}).get(key, "")
    return f"section {number} ({title})" if title else f"section {number}"


def describe(notebook: str, name: str) -> MetricInfo:
    """The description of metric ``name`` recorded by ``notebook`` (``"04_gan"``).

    A name no pattern matches gets its own name as words, no unit, and
    "neither" as its better direction (a test keeps every recorded name matched).
    """
    for nb, pattern, words, unit, better, where, timing in PATTERNS:
        if nb != notebook:
            continue
        match = re.fullmatch(pattern, name)
        if not match:
            continue
        groups = {k: _words(v) if k == "m" else v for k, v in match.groupdict().items()}
        method = match.groupdict().get("m")
        return MetricInfo(
            name=name,
            words=words.format(**groups),
            unit=unit,
            better="neither" if method in _REFERENCES else better,
            section=_section(notebook, where, method),
            timing=timing,
        )
    return MetricInfo(name, name.replace("_", " "), "", "neither", "the summary")
