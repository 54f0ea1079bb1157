"""Diffusion models and flow matching (notebook 07).

Ho, Jain & Abbeel, "Denoising Diffusion Probabilistic Models" (NeurIPS 2020,
arXiv:2006.11239); Song, Meng & Ermon, "Denoising Diffusion Implicit Models"
(ICLR 2021, arXiv:2010.02502); Nichol & Dhariwal, "Improved Denoising
Diffusion Probabilistic Models" (ICML 2021, arXiv:2102.09672); Lipman et al.,
"Flow Matching for Generative Modeling" (ICLR 2023, arXiv:2210.02747); Liu,
Gong & Liu, "Flow Straight and Fast" (ICLR 2023, arXiv:2209.03003); Ho &
Salimans, "Classifier-Free Diffusion Guidance" (2022, arXiv:2207.12598); Lu et
al., "DPM-Solver++" (2022, arXiv:2211.01095).
"""

from coursework.diffusion.flow import euler_sample, flow_interpolant, flow_matching_loss
from coursework.diffusion.guidance import Predictor, cfg_combine, drop_labels
from coursework.diffusion.likelihood import (
    bits_per_dim,
    discretized_gaussian_log_likelihood,
    normal_kl,
    to_symmetric,
    vlb_terms,
)
from coursework.diffusion.losses import elbo_weight, noise_prediction_loss
from coursework.diffusion.models import (
    MLPDenoiser,
    ResBlock,
    UNet,
    fourier_features,
    time_embedding,
)
from coursework.diffusion.recipes import (
    EMA,
    DenoisingObjective,
    NoisePrediction,
    ReflowObjective,
    attach_recipes,
    eps_from_velocity,
    euler_path,
    min_snr_weight,
    to_eps,
    to_x0,
    velocity,
)
from coursework.diffusion.sampling import (
    ddim_sample,
    ddim_step,
    ddim_timesteps,
    ddpm_sample,
    ddpm_step,
    dpm_solver_2m_sample,
    extrapolate_x0,
)
from coursework.diffusion.schedules import (
    Schedule,
    at,
    cosine_schedule,
    linear_schedule,
    predict_x0,
    q_posterior,
    q_sample,
    snr,
)
from coursework.diffusion.training import DiffusionObjective, FlowObjective

__all__ = [
    "EMA",
    "DenoisingObjective",
    "DiffusionObjective",
    "NoisePrediction",
    "ReflowObjective",
    "attach_recipes",
    "eps_from_velocity",
    "euler_path",
    "min_snr_weight",
    "to_eps",
    "to_x0",
    "velocity",
    "FlowObjective",
    "MLPDenoiser",
    "Predictor",
    "ResBlock",
    "Schedule",
    "UNet",
    "at",
    "bits_per_dim",
    "cfg_combine",
    "cosine_schedule",
    "ddim_sample",
    "ddim_step",
    "ddim_timesteps",
    "dpm_solver_2m_sample",
    "extrapolate_x0",
    "ddpm_sample",
    "ddpm_step",
    "discretized_gaussian_log_likelihood",
    "drop_labels",
    "elbo_weight",
    "euler_sample",
    "flow_interpolant",
    "flow_matching_loss",
    "fourier_features",
    "linear_schedule",
    "noise_prediction_loss",
    "normal_kl",
    "predict_x0",
    "q_posterior",
    "q_sample",
    "snr",
    "time_embedding",
    "to_symmetric",
    "vlb_terms",
]
