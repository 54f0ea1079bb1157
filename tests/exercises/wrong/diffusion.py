"""Wrong answers to the notebook 07 exercises, one per exercise in ``WRONG``.

``WRONG`` maps each exercise id to a wrong function and words its check's
message must contain; ``tests/exercises/test_topics.py`` runs them.
"""

from __future__ import annotations

from coursework.diffusion.schedules import at


def wrong_q_sample(x0, t, noise, alpha_bar):
    ab = at(alpha_bar, t, x0)
    return ab * x0 + (1 - ab) * noise  # forgot the square roots


def wrong_loss(model, x0, t, noise, alpha_bar, y=None):
    ab = at(alpha_bar, t, x0)
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
    return (model(xt, t.to(x0.dtype), y) - noise).pow(2).mean()  # time not t / T


def wrong_ddpm(x, eps, t, schedule, noise, variance="posterior"):
    beta, alpha = at(schedule.betas, t, x), at(schedule.alphas, t, x)
    ab = at(schedule.alpha_bar, t, x)
    mean = (x - beta / (1 - ab).sqrt() * eps) / alpha.sqrt()
    return mean + beta.sqrt() * noise  # noise at t = 0 too, always beta


def wrong_ddim(x, eps, t, t_prev, schedule, eta=0.0, noise=None):
    ab = at(schedule.alpha_bar, t, x)
    ab_prev = at(schedule.alpha_bar, max(t_prev, 0), x)  # t_prev = -1 not clean
    x0 = (x - (1 - ab).sqrt() * eps) / ab.sqrt()
    return ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps


def wrong_flow(x0, x1, t):
    tt = t.view(-1, *[1] * (x0.dim() - 1))
    return (1 - tt) * x0 + tt * x1, x0 - x1  # velocity backwards


def wrong_cfg(cond, uncond, w):
    return w * cond + (1 - w) * uncond  # interpolation, not guidance


def wrong_velocity(x0, noise, t, alpha_bar):
    ab = at(alpha_bar, t, x0)
    return ab.sqrt() * x0 - (1 - ab).sqrt() * noise  # x0 and noise swapped


def wrong_eps_from_velocity(xt, v, t, alpha_bar):
    ab = at(alpha_bar, t, xt)
    return (xt - ab.sqrt() * v) / (1 - ab).sqrt()  # read v as if it were x0


WRONG = {
    "diffusion.q_sample": (wrong_q_sample, "values differ"),
    "diffusion.noise_prediction_loss": (wrong_loss, "values differ"),
    "diffusion.ddpm_step": (wrong_ddpm, "values differ"),
    "diffusion.ddim_step": (wrong_ddim, "values differ"),
    "diffusion.flow_interpolant": (wrong_flow, "values differ"),
    "diffusion.cfg_combine": (wrong_cfg, "values differ"),
    "diffusion.velocity": (wrong_velocity, "values differ"),
    "diffusion.eps_from_velocity": (wrong_eps_from_velocity, "values differ"),
}

HIDDEN = True  # every exercise of notebook 07 has hidden cases
