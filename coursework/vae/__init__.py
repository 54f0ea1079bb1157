"""Autoencoders and variational autoencoders (notebook 03).

One concept per module: :mod:`autoencoders` (linear, undercomplete, sparse),
:mod:`corruption` (denoising), :mod:`subspace` (PCA and principal angles),
:mod:`models` (the VAE), :mod:`losses` (ELBO, KL, VQ terms),
:mod:`estimators` (naive Monte Carlo and IWAE estimates of log p(x)),
:mod:`metrics` (codebook perplexity, disentanglement), :mod:`vqvae` and
:mod:`ppca` (probabilistic PCA, where log p(x) = ELBO + KL holds exactly).
"""

from coursework.vae.autoencoders import Autoencoder, mlp
from coursework.vae.corruption import add_noise
from coursework.vae.estimators import (
    estimate_log_likelihood,
    importance_log_weights,
    iwae_bound,
    log_normal,
)
from coursework.vae.losses import (
    bernoulli_log_likelihood,
    elbo,
    gaussian_kl,
    l1_sparsity,
    squared_error,
    vq_losses,
)
from coursework.vae.metrics import (
    codebook_perplexity,
    mutual_information_gap,
    mutual_information_matrix,
)
from coursework.vae.models import VAE, BernoulliDecoder, GaussianEncoder, reparameterize
from coursework.vae.ppca import (
    PPCA,
    fit_ppca,
    kl_to_posterior,
    mean_field_gap,
    ppca_elbo,
    ppca_expected_log_likelihood,
    ppca_log_likelihood,
    ppca_posterior,
)
from coursework.vae.subspace import pca_basis, principal_angles, subspace_overlap
from coursework.vae.vqvae import VQVAE, VectorQuantizer, vector_quantize

__all__ = [
    "Autoencoder",
    "BernoulliDecoder",
    "GaussianEncoder",
    "PPCA",
    "VAE",
    "VQVAE",
    "VectorQuantizer",
    "add_noise",
    "bernoulli_log_likelihood",
    "codebook_perplexity",
    "elbo",
    "estimate_log_likelihood",
    "fit_ppca",
    "gaussian_kl",
    "importance_log_weights",
    "iwae_bound",
    "kl_to_posterior",
    "l1_sparsity",
    "log_normal",
    "mean_field_gap",
    "mlp",
    "mutual_information_gap",
    "mutual_information_matrix",
    "pca_basis",
    "ppca_elbo",
    "ppca_expected_log_likelihood",
    "ppca_log_likelihood",
    "ppca_posterior",
    "principal_angles",
    "reparameterize",
    "squared_error",
    "subspace_overlap",
    "vector_quantize",
    "vq_losses",
]
