"""Wrong answers to the notebook 04 exercises, one per exercise in ``WRONG``.

``WRONG`` maps each exercise id to a wrong function and words its check's
message must contain; ``tests/exercises/test_topics.py`` runs them.
Every exercise of this topic also has hidden cases (``HIDDEN``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

HIDDEN = True


def wrong_d_loss(real_logits, fake_logits):
    # log of sigmoid: overflows to inf/nan for confident logits
    return (
        -(torch.log(torch.sigmoid(real_logits)).mean())
        - torch.log(1 - torch.sigmoid(fake_logits)).mean()
    )


def wrong_g_loss(fake_logits, saturating=False):
    return -F.softplus(fake_logits).mean()  # always the saturating loss


def wrong_gp(critic, real, fake, eps):
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)  # no create_graph
    return (grad.flatten(1).norm(dim=1) - 1) ** 2


def wrong_gp_norm(critic, real, fake, eps):
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return (grad.flatten(1).pow(2).sum(1) - 1) ** 2  # squared norm


def wrong_power(weight, u):
    v = weight.T @ u  # not normalised
    wv = weight @ v
    return F.normalize(wv, dim=0), v, wv.norm()


def wrong_fd(mu1, cov1, mu2, cov2):
    def root(c):
        vals, vecs = torch.linalg.eigh(c)
        return (vecs * vals.clamp(min=0).sqrt()) @ vecs.T

    cross = root(cov1) @ root(cov2)  # only right when the covariances commute
    return (mu1 - mu2).pow(2).sum() + cov1.trace() + cov2.trace() - 2 * cross.trace()


def wrong_slerp(z0, z1, t):
    t = t[:, None].to(z0)
    return (1 - t) * z0 + t * z1  # lerp


WRONG = {
    "gan.discriminator_loss": (wrong_d_loss, "values differ"),
    "gan.generator_loss": (wrong_g_loss, "values differ"),
    "gan.gradient_penalty": (wrong_gp, "gradient"),
    "gan.power_iteration_step": (wrong_power, "values differ"),
    "gan.frechet_distance": (wrong_fd, "values differ"),
    "gan.slerp": (wrong_slerp, "values differ"),
}
