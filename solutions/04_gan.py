# ---
# jupyter:
#   jupytext:
#     text_representation:
#       format_name: percent
# ---

# %% [markdown]
# # 04 · Generative adversarial networks
#
# A GAN trains two networks against each other. The generator $G$ maps noise
# $z\sim p(z)$ to samples; the discriminator $D$ tells real samples from
# generated ones. This notebook follows the lectures on GANs (the GAN part
# of Aristidou's MAI645, *Machine Learning for Graphics and Computer
# Vision*, University of Cyprus, 2023, and Jenni's, slides by Favaro, *Deep
# Unsupervised Learning*, University of Bern): the minimax game and its
# optimal discriminator, alternating updates, the saturating and the
# non-saturating generator loss, **DCGAN** on digits, **mode collapse** on 2-D
# mixtures and three fixes for it (**LSGAN**, **WGAN-GP**, **spectral
# normalisation**) plus **PacGAN**, the **conditional GAN**, the latent space
# (interpolation and vector arithmetic), and finally how to **evaluate**
# samples without Inception weights.
#
# Papers: Goodfellow et al., *Generative Adversarial Nets* (NeurIPS 2014,
# arXiv:1406.2661); Radford, Metz & Chintala, *DCGAN* (ICLR 2016,
# arXiv:1511.06434); Mao et al., *Least Squares GANs* (ICCV 2017,
# arXiv:1611.04076); Arjovsky, Chintala & Bottou, *Wasserstein GAN* (ICML 2017,
# arXiv:1701.07875); Gulrajani et al., *Improved Training of Wasserstein GANs*
# (NeurIPS 2017, arXiv:1704.00028); Miyato et al., *Spectral Normalization for
# GANs* (ICLR 2018, arXiv:1802.05957); Lin et al., *PacGAN* (NeurIPS 2018,
# arXiv:1712.04086); Mirza & Osindero, *Conditional GANs* (2014,
# arXiv:1411.1784); Miyato & Koyama, *cGANs with Projection Discriminator*
# (ICLR 2018, arXiv:1802.05637); Heusel et al., *FID* (NeurIPS 2017,
# arXiv:1706.08500); Kynkäänniemi et al., *Improved Precision and Recall*
# (NeurIPS 2019, arXiv:1904.06991).
#
# Every size below comes from the `profile`: `ci` runs in about a minute,
# `cpu` in about ten, `gpu` uses MNIST.

# %%
from coursework.runtime import record_metrics, seed_everything, setup

profile, device = setup()

# %%
import copy
import math
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from coursework.classifier import ConvClassifier, digit_judge, embed
from coursework.data import load_images, make_shapes
from coursework.data.mixtures import grid, ring
from coursework.exercises import check, hint  # noqa: F401  (hint: for you to call)
from coursework.gan import (
    DCGANDiscriminator,
    DCGANGenerator,
    Discriminator2D,
    Generator2D,
    Objective,
    as_matrix,
    attribute_direction,
    forever,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    lerp,
    optimal_discriminator,
    power_iteration,
    train_gan,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from coursework.metrics import high_quality_share, modes_covered
from coursework.plot import compare_rows, set_alt, show_images
from coursework.plot.gan import (
    plot_class_histograms,
    plot_gan_losses,
    plot_generator_losses,
    plot_mixture_samples,
)
from coursework.train import TensorLoader, fit
from coursework.widgets.gan import interpolation_scrubber

# %% [markdown]
# ## Data
#
# Three kinds of data: 1-D and 2-D Gaussian mixtures we can write down (so
# we know the optimal discriminator and every mode), handwritten digits
# (scikit-learn's 8 × 8 digits upsampled to `profile.image_size` on `ci`/`cpu`,
# MNIST on `gpu`), and procedural shapes whose generating factors are known.

# %% tags=["data"]
x_train, y_train = load_images(profile, "train", device=device)
x_test, y_test = load_images(profile, "test", device=device)
image_shape = tuple(x_train.shape[1:])
batch = profile.batch_size
print(f"digits: train {tuple(x_train.shape)}, test {tuple(x_test.shape)}")

mixtures = {
    "ring": ring(8, radius=2.0, std=0.02),
    "grid": grid(5, spacing=2.0, std=0.05),
}
show_gen = torch.Generator().manual_seed(0)
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2))
show_images(x_train[:16], nrow=4, ax=axes[0], title="training digits")
for ax, mix in zip(axes[1:], mixtures.values()):
    pts = mix.sample(2000, generator=show_gen)
    ax.scatter(*pts.T, s=1)
    ax.set_title(f"{mix.name}, std {mix.std}")
    ax.set_aspect("equal")
set_alt(
    fig,
    "Left, 16 training digits. Middle and right, scatter plots of 2000 points "
    "from each 2-D mixture: "
    + "; ".join(f"{m.name}, std {m.std}" for m in mixtures.values()),
)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 1. The minimax game
#
# $$\min_G \max_D V(D, G) = \mathbb E_{x\sim p_\text{data}}[\log D(x)] + \mathbb E_{z\sim p(z)}[\log(1 - D(G(z)))].$$
#
# For a fixed $G$ with sample density $p_g$, the best discriminator maximises
# $p_\text{data}(x)\log D + p_g(x)\log(1-D)$ pointwise, so
#
# $$D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)},$$
#
# and plugging it in gives $V = -\log 4 + 2\,\mathrm{JSD}(p_\text{data}\Vert p_g)$
# (Goodfellow et al., Proposition 1 and Theorem 1).
#
# $D$ outputs a **logit** $\ell$, $D = \sigma(\ell)$, and maximising $V$ means
# minimising the binary cross-entropy with label 1 for real and 0 for fake.
#
# **Exercise.** Write the discriminator's loss from the logits,
# $-\mathbb E[\log D(x)] - \mathbb E[\log(1 - D(G(z)))]$, as the mean over the
# real logits plus the mean over the fake logits. Use
# $-\log\sigma(\ell) = \mathrm{softplus}(-\ell)$ and
# $-\log(1-\sigma(\ell)) = \mathrm{softplus}(\ell)$, which never overflow.


# %% exercise="gan.discriminator_loss"
def discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor
) -> torch.Tensor:
    """Binary cross-entropy of D from its logits.

    Args:
        real_logits: logits on real samples, any shape (one per example).
        fake_logits: logits on generated samples, any shape.

    Returns:
        A scalar: mean(-log D(x)) + mean(-log(1 - D(G(z)))), same dtype.
    """
    ### BEGIN SOLUTION
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    ### END SOLUTION


# %%
check("gan.discriminator_loss", discriminator_loss)

# %% [markdown]
# We check $D^*$ on a 1-D problem. The data are
# $p_\text{data} = \mathcal N(2, 0.5^2)$; the generator is fixed and draws
# $p_g = \mathcal N(0, 1)$. A small MLP discriminator is trained to convergence
# with **your** loss, and its $D(x) = \sigma(\ell(x))$ is drawn over the
# analytic $D^*$.

# %%
data_mean, data_std = 2.0, 0.5


def normal_pdf(x, mean, std):
    return torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


seed_everything(0)
d_1d = Discriminator2D(1, data_dim=1, hidden=32, depth=2).to(device)
opt = torch.optim.Adam(d_1d.parameters(), lr=3e-3)
d_steps = profile.steps // 3
for _ in range(d_steps):
    real = data_mean + data_std * torch.randn(512, 1, device=device)
    fake = torch.randn(512, 1, device=device)  # the fixed G: p_g = N(0, 1)
    loss = discriminator_loss(d_1d(real), d_1d(fake))
    opt.zero_grad()
    loss.backward()
    opt.step()

xs = torch.linspace(-3, 4.5, 300, device=device)[:, None]
with torch.no_grad():
    d_learned = torch.sigmoid(d_1d(xs)).cpu()
p_data, p_g = normal_pdf(xs.cpu(), data_mean, data_std), normal_pdf(xs.cpu(), 0, 1)
d_star = optimal_discriminator(p_data, p_g)[:, 0]
where = (p_data + p_g)[:, 0] > 0.05  # where there are samples to learn from
gap = float((d_learned - d_star)[where].abs().max())
fig, ax = plt.subplots(figsize=(7, 3.2))
ax.plot(xs.cpu(), p_data, ":", label=r"$p_\mathrm{data}$")
ax.plot(xs.cpu(), p_g, "-.", label=r"$p_g$")
ax.plot(xs.cpu(), d_star, lw=3, alpha=0.5, label=r"analytic $D^*(x)$")
ax.plot(xs.cpu(), d_learned, "k--", label=f"trained D ({d_steps} steps)")
ax.legend(fontsize=8)
ax.set_xlabel("x")
set_alt(
    fig,
    "Line chart over x of the data density (dotted), the generator's density "
    "(dash-dot), the analytic optimal discriminator D*(x) = p_data / (p_data + "
    f"p_g) (thick) and the discriminator trained for {d_steps} steps (dashed), "
    "which follows D*",
)
plt.show()
print(f"largest |D - D*| where p_data + p_g > 0.05: {gap:.3f}")

# %% [markdown]
# ## 2. Alternating updates, k discriminator steps per generator step
#
# Algorithm 1 of the paper alternates $k$ steps of gradient ascent on $D$ with
# one step of descent on $G$. With larger $k$, $D$ stays closer to $D^*$ for
# the current $G$, at $k$ times the cost per generator step; at $D = D^*$ the
# minimax loss of $G$ is $2\,\mathrm{JSD}(p_\text{data} \,\|\, p_g) - \log 4$,
# so $G$ then descends the JSD (section 3 shows what the *non-saturating*
# loss follows instead). The package's `train_gan` loop
# does exactly this; it takes the losses as arguments, and here they are
# **yours**. The 1-D generator is now a small MLP; we follow the mean and
# standard deviation of its samples against the data's (`data_mean`,
# `data_std` above), with several seeds trained as one stacked model.
#
# **Exercise.** The generator's two losses, from the logits on fakes: the
# *saturating* $\mathbb E[\log(1 - D(G(z)))]$ (the minimax game's own term)
# and the *non-saturating* $-\mathbb E[\log D(G(z))]$. Both are minimised by G.


# %% exercise="gan.generator_loss"
def generator_loss(fake_logits: torch.Tensor, saturating: bool = False) -> torch.Tensor:
    """G's loss from D's logits on generated samples.

    Args:
        fake_logits: logits l = logit D(G(z)), any shape.
        saturating: True for mean(log(1 - D(G(z)))), False for mean(-log D(G(z))).

    Returns:
        A scalar, same dtype; use softplus, as in discriminator_loss.
    """
    ### BEGIN SOLUTION
    if saturating:
        return -F.softplus(fake_logits).mean()
    return F.softplus(-fake_logits).mean()
    ### END SOLUTION


# %%
check("gan.generator_loss", generator_loss)

# %%
n_seeds = min(5, max(2, profile.epochs // 6))  # several seeds, trained together
gan_1d_steps = profile.steps // 6
ours = Objective(discriminator_loss, generator_loss)  # your two losses


def data_1d(copies, n=256):
    while True:
        yield (data_mean + data_std * torch.randn(copies * n, 1, device=device),)


def train_1d(objective, k, steps, g=None, d=None, desc="1-D GAN", lr=2e-3):
    seed_everything(0)
    g = g or Generator2D(n_seeds, latent_dim=1, hidden=32, depth=2, data_dim=1)
    d = d or Discriminator2D(n_seeds, data_dim=1, hidden=32, depth=2)
    g, d = g.to(device), d.to(device)
    every = max(1, steps // 50)
    history = train_gan(
        g,
        d,
        data_1d(n_seeds),
        objective,
        torch.optim.Adam(g.parameters(), lr=lr, betas=(0.5, 0.999)),
        torch.optim.Adam(d.parameters(), lr=lr, betas=(0.5, 0.999)),
        steps,
        k=k,
        snapshot=lambda s: torch.stack([g.sample(512).mean(1), g.sample(512).std(1)]),
        snapshot_every=every,
        desc=desc,
    )
    return g, d, history


runs_k = {}
for k in (1, 5):
    start = time.perf_counter()
    *_, hist = train_1d(ours, k, gan_1d_steps, desc=f"1-D GAN, k={k}")
    runs_k[k] = (hist, time.perf_counter() - start)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for k, (hist, sec) in runs_k.items():
    steps_seen = sorted(hist.snapshots)
    stats = torch.stack([hist.snapshots[s] for s in steps_seen]).cpu()  # (T, 2, M, 1)
    for i, (ax, target) in enumerate(zip(axes, (data_mean, data_std))):
        line = ax.plot(
            steps_seen, stats[:, i, :, 0].mean(1), label=f"k={k} ({sec:.0f} s)"
        )
        ax.fill_between(
            steps_seen,
            stats[:, i, :, 0].min(1).values,
            stats[:, i, :, 0].max(1).values,
            color=line[0].get_color(),
            alpha=0.2,
        )
        ax.axhline(target, color="grey", ls="--")
axes[0].set_title(f"mean of G's samples (data: {data_mean})")
axes[1].set_title(f"std of G's samples (data: {data_std})")
for ax in axes:
    ax.set_xlabel("generator step")
    ax.legend(fontsize=8)
set_alt(
    fig,
    "Two line charts against the generator step, one line per k (discriminator "
    "steps per generator step) with the range over seeds shaded: the mean of "
    f"G's samples approaching the data's {data_mean} (left) and their standard "
    f"deviation approaching {data_std} (right)",
)
plt.tight_layout()
plt.show()
for k, (hist, sec) in runs_k.items():
    final = hist.snapshots[max(hist.snapshots)][:, :, 0].cpu()
    print(
        f"k={k}: after {gan_1d_steps} G steps, mean {final[0].mean():.2f}, "
        f"std {final[1].mean():.2f} (over {n_seeds} seeds), {sec:.1f} s"
    )

# %% [markdown]
# ## 3. Saturating against non-saturating generator loss
#
# Early in training $G$ is bad, $D$ rejects its samples with confidence, and
# $D(G(z)) \approx 0$. There the minimax loss $\log(1 - D(G(z)))$ is flat: its
# derivative with respect to the logit is $-D(G(z)) \to 0$, so $G$ learns
# nothing. The non-saturating $-\log D(G(z))$ has the same fixed point and a
# derivative $D(G(z)) - 1 \to -1$: strongest exactly where $G$ is worst.

# %%
plot_generator_losses()
plt.tight_layout()
plt.show()

# %% [markdown]
# We measure it. A generator whose samples start near 0 faces data far
# away, with mean `far_mean` (set below, drawn in the figure) and std
# `data_std`; $D$ is first trained for a few steps against it, then
# we take the gradient of both losses with respect to $G$'s parameters on the
# same batch, and train both from that same start.

# %%
far_mean = 4.0


def data_far(copies, n=256):
    while True:
        yield (far_mean + data_std * torch.randn(copies * n, 1, device=device),)


seed_everything(1)
g0 = Generator2D(1, latent_dim=1, hidden=32, depth=2, data_dim=1).to(device)
d0 = Discriminator2D(1, data_dim=1, hidden=32, depth=2).to(device)
opt = torch.optim.Adam(d0.parameters(), lr=2e-3, betas=(0.5, 0.999))
real_stream = data_far(1)
for _ in range(50):  # D learns to reject the initial G
    real = next(real_stream)[0]
    fake = g0(g0.noise_like(real)).detach()
    loss = discriminator_loss(d0(real), d0(fake))
    opt.zero_grad()
    loss.backward()
    opt.step()

z = torch.randn(1024, 1, device=device)
logits = d0(g0(z))
grad_norms = {}
for saturating in (True, False):
    grads = torch.autograd.grad(
        generator_loss(logits, saturating), list(g0.parameters()), retain_graph=True
    )
    grad_norms[saturating] = float(torch.cat([g.flatten() for g in grads]).norm())
grad_ratio = grad_norms[False] / grad_norms[True]
print(f"mean D(G(z)) at the start: {float(torch.sigmoid(logits.detach()).mean()):.4f}")
print(
    f"|grad_G| saturating {grad_norms[True]:.2e}, non-saturating "
    f"{grad_norms[False]:.2e}: ratio {grad_ratio:.1f}"
)

far_steps = profile.steps // 6
runs_loss = {}
for name, saturating in [("saturating", True), ("non-saturating", False)]:
    objective = Objective(
        discriminator_loss, lambda lg, s=saturating: generator_loss(lg, s)
    )
    g_run, d_run = copy.deepcopy(g0), copy.deepcopy(d0)
    seed_everything(2)
    every = max(1, far_steps // 50)
    hist = train_gan(
        g_run,
        d_run,
        data_far(1),
        objective,
        torch.optim.Adam(g_run.parameters(), lr=2e-3, betas=(0.5, 0.999)),
        torch.optim.Adam(d_run.parameters(), lr=2e-3, betas=(0.5, 0.999)),
        far_steps,
        snapshot=lambda s, g=g_run: g.sample(512).mean(),
        snapshot_every=every,
        desc=name,
    )
    runs_loss[name] = hist
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for name, hist in runs_loss.items():
    steps_seen = sorted(hist.snapshots)
    axes[0].plot(steps_seen, [float(hist.snapshots[s]) for s in steps_seen], label=name)
    axes[1].plot(hist.g_loss, label=name)
axes[0].axhline(far_mean, color="grey", ls="--")
axes[0].set_title(f"mean of G's samples (data: {far_mean})")
axes[1].set_title("generator loss per step")
for ax in axes:
    ax.set_xlabel("generator step")
    ax.legend(fontsize=8)
set_alt(
    fig,
    "Two line charts against the generator step, one line per generator loss ("
    + ", ".join(runs_loss)
    + f"): left, the mean of G's samples moving towards the data's {far_mean} "
    "(dashed); right, the generator loss",
)
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the two figures together. The ratio above is what Aristidou's
# slides "Training GANs: Two-player game" predict ("gradient in this region
# is relatively flat", "low gradient signal" for bad samples): at the
# start, the saturating loss hands $G$ a much smaller gradient. How
# much that slows training depends on the optimiser. Plain gradient descent
# would take a step that many times smaller. Adam divides each parameter's
# step by a running estimate of its gradient's size, so it largely undoes a
# uniformly small gradient, and on this small problem both losses may
# reach the data; compare how fast each curve leaves the start.
#
# %% [markdown]
# Same fixed point, but **not the same divergence**. Against an optimal
# $D^*$ (held fixed while $G$ takes its step), the minimax loss
# $\mathbb E_{p_g}[\log(1 - D^*)]$ has the gradient of
# $2\,\mathrm{JSD}(p_\text{data} \,\|\, p_g)$, but the non-saturating loss
# has the gradient of
#
# $$\mathrm{KL}(p_g \,\|\, p_\text{data}) - 2\,\mathrm{JSD}(p_g \,\|\, p_\text{data})$$
#
# (Arjovsky & Bottou, *Towards Principled Methods for Training Generative
# Adversarial Networks*, ICLR 2017, arXiv:1701.04862, theorem 2.5): a
# *reverse* KL, which charges a lot for fakes where there are no data and
# little for data that no fake covers (a push towards dropping modes), minus
# a JSD term with the sign that pushes the two distributions apart. We check
# both identities on the 1-D Gaussians of section 1, with $p_g = \mathcal
# N(\mu, 1)$ and every integral done on a fine grid: the derivative in
# $\mu$ of each loss, with $D^*$ fixed at the current $\mu$, beside the
# derivative of each divergence.

# %%
grid_x = torch.linspace(-12.0, 14.0, 52001, dtype=torch.float64)
dx = grid_x[1] - grid_x[0]
log_p_data = torch.distributions.Normal(data_mean, data_std).log_prob(grid_x)


def kl_on_grid(log_p, log_q):
    """KL(p || q) by quadrature on grid_x, from log-densities."""
    return (log_p.exp() * (log_p - log_q)).sum() * dx


def divergences(mu):
    """KL(p_g || p_data) and JSD(p_g || p_data) for p_g = N(mu, 1)."""
    log_g = torch.distributions.Normal(mu, 1.0).log_prob(grid_x)
    log_m = torch.logaddexp(log_g, log_p_data) - math.log(2)  # the mixture M
    jsd = 0.5 * kl_on_grid(log_g, log_m) + 0.5 * kl_on_grid(log_p_data, log_m)
    return kl_on_grid(log_g, log_p_data), jsd


def losses_at_optimal_d(mu, mu_star):
    """Both generator losses of p_g = N(mu, 1) against D* of N(mu_star, 1), fixed."""
    log_g_star = torch.distributions.Normal(mu_star, 1.0).log_prob(grid_x)
    log_total = torch.logaddexp(log_p_data, log_g_star)
    log_d, log_not_d = log_p_data - log_total, log_g_star - log_total  # D*, 1 - D*
    weight = torch.distributions.Normal(mu, 1.0).log_prob(grid_x).exp() * dx
    return (weight * log_not_d).sum(), (weight * -log_d).sum()


def d_dmu(value, mu):
    return float(torch.autograd.grad(value, mu, retain_graph=True)[0])


print(f"{'mu':>5}{'minimax':>10}{'2 JSD':>10}{'non-sat.':>10}{'KL - 2 JSD':>12}")
identity_errors = []
for mu0 in (-1.0, 0.0, 1.0, 1.5):
    mu = torch.tensor(mu0, dtype=torch.float64, requires_grad=True)
    minimax, non_saturating = losses_at_optimal_d(mu, mu0)
    kl, jsd = divergences(mu)
    row = [d_dmu(v, mu) for v in (minimax, 2 * jsd, non_saturating, kl - 2 * jsd)]
    identity_errors += [abs(row[0] - row[1]), abs(row[2] - row[3])]
    print(f"{mu0:>5.1f}" + "".join(f"{v:>10.4f}" for v in row[:3]) + f"{row[3]:>12.4f}")
print(
    f"largest difference between a loss and its divergence: {max(identity_errors):.1e}"
)

# %% [markdown]
# ## 4. DCGAN on digits
#
# Radford et al. (2016) made GANs train on images with a few rules: strided
# convolutions instead of pooling (transposed convolutions in $G$), batch
# norm in both networks, ReLU in $G$ and LeakyReLU in $D$, Adam with
# $\beta_1 = 0.5$. Our $G$ maps $z \in \mathbb R^{32}$ through a linear layer
# to a $S/4 \times S/4$ feature map and upsamples twice; $D$ mirrors it. We
# train with **your** losses and show a grid of the same eight codes after
# each group of epochs.

# %%
latent_dim = 32
gan_width = max(8, 3 * profile.width // 32)
digit_loader = TensorLoader(x_train, batch_size=batch, drop_last=True)
steps_per_epoch = len(digit_loader)
digit_steps = profile.steps // 2
print(
    f"{digit_steps} generator steps = {digit_steps / steps_per_epoch:.1f} epochs "
    f"of {steps_per_epoch} batches"
)


def make_pair(norm="batch", spectral=False, packing=1, num_classes=0):
    g = DCGANGenerator(latent_dim, profile.image_size, 1, gan_width, num_classes)
    d = DCGANDiscriminator(
        profile.image_size, 1, gan_width, norm, spectral, packing, num_classes
    )
    return g.to(device), d.to(device)


def train_digits(g, d, objective, k=1, lr=(5e-4, 5e-4), betas=(0.5, 0.999), **kw):
    return train_gan(
        g,
        d,
        forever(digit_loader),
        objective,
        torch.optim.Adam(g.parameters(), lr=lr[0], betas=betas),
        torch.optim.Adam(d.parameters(), lr=lr[1], betas=betas),
        digit_steps,
        k=k,
        **kw,
    )


seed_everything(0)
fixed_z = torch.randn(8, latent_dim, device=device)
snap_every = steps_per_epoch * max(1, digit_steps // steps_per_epoch // 8)
g_dcgan, d_dcgan = make_pair()


def digits_now(step):
    g_dcgan.eval()
    with torch.no_grad():
        x = g_dcgan(fixed_z).cpu()
    g_dcgan.train()
    return x


digit_models, digit_histories = {}, {}
hist_dcgan = train_digits(
    g_dcgan, d_dcgan, ours, snapshot=digits_now, snapshot_every=snap_every, desc="DCGAN"
)
digit_models["gan"], digit_histories["gan"] = g_dcgan.eval(), hist_dcgan
compare_rows(
    {f"epoch {s // steps_per_epoch}": x for s, x in hist_dcgan.snapshots.items()}
)
plt.show()

# %% [markdown]
# ## 5. Mode collapse on 2-D mixtures
#
# A generator can fool $D$ by producing a few convincing samples: it
# *collapses* onto some modes of the data. On mixtures whose modes we know
# we can count. We follow the standard protocol (VEEGAN, PacGAN): draw 2,500
# samples; a sample is **high quality** when it lies within $3\sigma$ of a
# mode's centre; a mode is **covered** when at least 20 samples land there.
# The rows of the table:
#
# * **GAN**: the non-saturating GAN above;
# * **LSGAN** (Mao et al.): $D$ regresses real to 1 and fake to 0, $G$ pushes
#   fakes to 1 with squared errors, $\tfrac12\mathbb E[(D(G(z)) - 1)^2]$, whose
#   gradient does not vanish for fakes far on the right side of the boundary;
# * **WGAN-GP** (Gulrajani et al.): a critic $f$ estimates the Wasserstein-1
#   distance $\max_{\lVert f\rVert_L\le 1}\mathbb E[f(x)] - \mathbb E[f(G(z))]$,
#   with the 1-Lipschitz constraint enforced softly by the gradient penalty
#   below;
# * **SN-GAN** (Miyato et al.): each layer of $D$ divided by its largest
#   singular value (section 6);
# * **PacGAN2** (Lin et al.): $D$ judges *pairs* of samples, concatenated, so a
#   pair of near-identical fakes gives collapse away.
#
# **Exercise.** The gradient penalty: for $\hat x = \epsilon x + (1-\epsilon)\tilde x$
# on the line between a real $x$ and a fake $\tilde x$, return
# $(\lVert\nabla_{\hat x} f(\hat x)\rVert_2 - 1)^2$ per example. The penalty
# is part of the critic's loss, so its gradient must flow back to the critic's
# parameters: `create_graph=True`.


# %% exercise="gan.gradient_penalty"
def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor):
    """(||grad_x critic(x_hat)||_2 - 1)^2 for each example.

    Args:
        critic: a function from a batch (N, ...) to scores (N,).
        real, fake: (N, ...) batches of the same shape and dtype.
        eps: (N, 1, ...) mixing weights in [0, 1] that broadcast against real.

    Returns:
        (N,) penalties; the norm is over all dims of one example.
    """
    ### BEGIN SOLUTION
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1) ** 2
    ### END SOLUTION


# %%
check("gan.gradient_penalty", gradient_penalty)

# %% [markdown]
# ### Why a gradient penalty: weight clipping
#
# The critic must be 1-Lipschitz. The original WGAN (Arjovsky, Chintala &
# Bottou, *Wasserstein GAN*, ICML 2017, arXiv:1701.07875) enforces a
# Lipschitz bound bluntly: after every critic step it **clips** every
# weight to $[-c, c]$ (its Algorithm 1: $c = 0.01$, RMSProp with
# $\alpha = 5 \cdot 10^{-5}$). That bounds the Lipschitz constant by some
# $K(c)$, not by 1, and Gulrajani et al. (section 3, figure 1) show what it
# costs: the weights pile up at $\pm c$, and the critic settles for an
# overly simple function instead of the optimal one, whose gradient norm is
# 1 between the two distributions (their Proposition 1). Their fix is the
# penalty you just wrote. We train two critics under the same budget, one
# clipped (WGAN's settings) and one with your penalty (our WGAN-GP's
# optimiser and $\lambda$), on the ring against a fixed "generator" that
# adds unit Gaussian noise to real samples, as in their figure 1, and
# compare their weights, their gradient norms at random points between
# real and fake ($\hat x$ of the penalty), and the functions they learn.

# %%
clip_c, critic_batch, critic_lambda = 0.01, 2 * batch, 1.0
critic_steps = min(profile.steps, 3000)  # capped: a 2-D critic needs no GPU budget
ring_mix = mixtures["ring"]


def fixed_fakes(real):
    """The fixed 'generator': real samples plus unit Gaussian noise."""
    return real + torch.randn_like(real)


def train_critic(clip):
    seed_everything(0)
    critic = Discriminator2D(1, hidden=64).to(device)
    if clip:
        opt = torch.optim.RMSprop(critic.parameters(), lr=5e-5)
    else:
        opt = torch.optim.Adam(critic.parameters(), lr=5e-4, betas=(0.5, 0.9))
    for _ in range(critic_steps):
        real = ring_mix.sample(critic_batch, device=device)
        fake = fixed_fakes(real)
        loss = wasserstein_critic_loss(critic(real), critic(fake))
        if not clip:
            eps = torch.rand(critic_batch, 1, device=device)
            penalty = gradient_penalty(critic, real, fake, eps)
            loss = loss + critic_lambda * penalty.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if clip:
            with torch.no_grad():
                for p in critic.parameters():
                    p.clamp_(-clip_c, clip_c)
    return critic


critics = {
    "weight clipping": train_critic(True),
    "gradient penalty": train_critic(False),
}
seed_everything(1)
probe_real = ring_mix.sample(2000, device=device)
probe_fake = fixed_fakes(probe_real)
probe_hat = torch.lerp(probe_fake, probe_real, torch.rand(2000, 1, device=device))
critic_stats = {}
for name, critic in critics.items():
    weights = torch.cat(
        [p.detach().flatten() for n, p in critic.named_parameters() if "weight" in n]
    )
    x_hat = probe_hat.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    critic_stats[name] = weights.cpu(), grad.norm(dim=1).cpu()  # slopes at x_hat
at_bound = critic_stats["weight clipping"][0].abs() >= 0.99 * clip_c
print(
    f"{critic_steps} critic steps. Clipped critic: {float(at_bound.float().mean()):.0%} "
    f"of its weights sit at +-{clip_c}."
)
for name, (weights, slopes) in critic_stats.items():
    print(
        f"{name:<17} |grad f(x_hat)| median {float(slopes.median()):.3g} "
        f"(the optimal critic: 1); largest |weight| {float(weights.abs().max()):.3g}"
    )

lim = 3.5
axis = torch.linspace(-lim, lim, 121, device=device)
plane = torch.stack(torch.meshgrid(axis, axis, indexing="xy"), -1).reshape(-1, 2)
fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
axes[0].hist(critic_stats["weight clipping"][0].numpy(), bins=41)
axes[0].set_title(f"clipped critic's weights (c = {clip_c})", fontsize=9)
axes[0].set_xlabel("weight")
for ax, (name, critic) in zip(axes[1:], critics.items()):
    with torch.no_grad():
        values = critic(plane).reshape(len(axis), len(axis)).cpu()
    ax.contourf(axis.cpu(), axis.cpu(), values, levels=20, cmap="viridis")
    ax.scatter(*probe_real[:300].cpu().T, s=2, c="white")
    ax.set_title(f"critic f(x), {name}", fontsize=9)
    ax.set_aspect("equal")
set_alt(
    fig,
    f"Left, histogram of the clipped critic's weights (c = {clip_c}). Middle and "
    "right, contour maps of the critic's value over "
    "the plane with real points in white, for " + ", ".join(critics),
)
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the numbers above. The clipped critic's weights crowd at the two
# ends of the clipping range, and its gradient at $\hat x$ is far below the
# slope of 1 that the optimal critic has there: with $c = 0.01$ and 64 units
# per layer, each layer can only shrink its input, so the critic's function
# is nearly flat and the generator would get almost no signal
# (Gulrajani et al. show gradients that vanish or explode through a
# clipped critic's layers, depending on $c$). The penalised critic's slope
# at $\hat x$ is of order 1, as the penalty asks (softly: with $\lambda = 1$
# it can overshoot), and its weights are free to take any size.

# %% [markdown]
# All seeds of one row are one stacked model (`coursework.gan.batched`):
# every layer holds the weights of all copies, and one batched matrix
# product runs them, so the row pays the per-step overhead (Python, the
# optimiser, kernel launches) once instead of once per copy. On a GPU that
# overhead is nearly all a small model costs; on a CPU the arithmetic of
# many copies adds up too (`benchmarks/gan.py` measures both: the speed-up
# over training the copies one after another, and what the stack costs in
# runs of one copy). The ring and the grid share the stack: the first copies
# see the ring, the others the grid.
#
# Every variant gets the same number of generator steps. WGAN-GP's
# Algorithm 1 (Gulrajani et al. 2017) has the defaults $\lambda = 10$,
# $n_\text{critic} = 5$ and Adam with $\alpha = 10^{-4}$, $\beta_1 = 0$,
# $\beta_2 = 0.9$. We keep $n_\text{critic} = 5$ and change three of them,
# each for a stated reason: $\beta = (0.5, 0.9)$, the values the authors' own
# code uses for these 2-D toy mixtures (their `gan_toy.py`, whose
# $\lambda = 0.1$ is smaller still); a learning rate of $5 \cdot 10^{-4}$,
# five times the default, because every variant here gets the same short
# budget of generator steps (the others train at $10^{-3}$); and
# $\lambda = 1$, because these modes are tiny (their std is printed with
# the table) and a strong penalty keeps the critic too smooth to separate
# them.

# %%
steps_2d = 2 * profile.steps // 3
batch_2d = 2 * batch
hidden_2d = 64
variants = {
    "gan": dict(objective=ours),
    "lsgan": dict(
        objective=Objective(
            least_squares_discriminator_loss, least_squares_generator_loss
        )
    ),
    "wgan_gp": dict(
        objective=Objective(
            wasserstein_critic_loss, wasserstein_generator_loss, gradient_penalty, 1.0
        ),
        k=5,
        betas=(0.5, 0.9),
        lr=5e-4,
    ),
    "sngan": dict(objective=ours, spectral=True),
    "pacgan2": dict(objective=ours, packing=2),
}
names_2d = list(mixtures)
copies = n_seeds * len(names_2d)  # [ring seeds..., grid seeds...]


def mixture_batches():
    while True:
        yield (
            torch.cat([mix.sample(n_seeds * batch_2d) for mix in mixtures.values()]).to(
                device
            ),
        )


def train_2d(
    name, objective, k=1, betas=(0.5, 0.999), lr=1e-3, spectral=False, packing=1
):
    seed_everything(0)
    g = Generator2D(copies, latent_dim=2, hidden=hidden_2d).to(device)
    d = Discriminator2D(
        copies, hidden=hidden_2d, spectral=spectral, packing=packing
    ).to(device)
    history = train_gan(
        g,
        d,
        mixture_batches(),
        objective,
        torch.optim.Adam(g.parameters(), lr=lr, betas=betas),
        torch.optim.Adam(d.parameters(), lr=lr, betas=betas),
        steps_2d,
        k=k,
        snapshot=lambda s: g.sample(500).cpu(),
        snapshot_every=max(1, steps_2d // 4),
        desc=f"2-D {name} x {copies}",
    )
    return g, history


table_2d, snaps_2d, seconds_2d = {}, {}, {}
n_eval = 2500
for name, options in variants.items():
    start = time.perf_counter()
    g, hist = train_2d(name, **options)
    seconds_2d[name] = time.perf_counter() - start
    samples = g.sample(n_eval).cpu().view(len(names_2d), n_seeds, n_eval, 2)
    for i, mix_name in enumerate(names_2d):
        mix = mixtures[mix_name]
        table_2d[name, mix_name] = (
            modes_covered(samples[i], mix.centers, mix.std).float(),  # (seeds,)
            high_quality_share(samples[i], mix.centers, mix.std),
        )
    snaps_2d[name] = hist.snapshots

print(f"{n_seeds} seeds, {steps_2d} generator steps, {n_eval} samples per seed")
print(
    "mode std and the 3 std radius that counts as a hit: "
    + ", ".join(f"{n} {m.std} -> {3 * m.std:.2f}" for n, m in mixtures.items())
)
print(
    f"{'model':<9}{'ring modes (of 8)':>22}{'ring HQ':>14}{'grid modes (of 25)':>22}{'grid HQ':>14}{'time':>7}"
)
for name in variants:
    (rm, rq), (gm, gq) = table_2d[name, "ring"], table_2d[name, "grid"]
    print(
        f"{name:<9}{rm.mean():>14.1f} ± {rm.std():<5.1f}{rq.mean():>8.2f} ± {rq.std():<4.2f}"
        f"{gm.mean():>14.1f} ± {gm.std():<5.1f}{gq.mean():>8.2f} ± {gq.std():<4.2f}"
        f"{seconds_2d[name]:>6.0f}s"
    )

# %% [markdown]
# The samples of the first seed along training, over the true modes (red):

# %%
for i, mix_name in enumerate(names_2d):
    rows = {
        name: {s: x[i * n_seeds] for s, x in snaps.items()}
        for name, snaps in snaps_2d.items()
    }
    plot_mixture_samples(rows, mixtures[mix_name].centers)
    plt.suptitle(mixtures[mix_name].name, y=1.01)
    plt.show()
ring_modes = {name: float(table_2d[name, "ring"][0].mean()) for name in variants}
best_fix = max((n for n in variants if n != "gan"), key=ring_modes.get)
print(
    f"ring: the GAN covers {ring_modes['gan']:.1f} modes on average; the best fix, "
    f"{best_fix}, covers {ring_modes[best_fix]:.1f}."
)
grid_modes = {name: float(table_2d[name, "grid"][0].mean()) for name in variants}
best_grid = max(grid_modes, key=grid_modes.get)
share = "most" if grid_modes[best_grid] >= 12.5 else "few"
print(
    f"grid: the best variant, {best_grid}, covers {grid_modes[best_grid]:.1f} of 25 "
    f"modes on average: {share} of them with this budget."
)

# %% [markdown]
# For reference, on the 8-Gaussian ring VEEGAN reports the GAN at 1 mode and
# Unrolled GAN at 7.6; PacGAN reports its GAN at 6.3 modes and PacGAN2 at
# 7.9, after far longer training than ours. Read our table for what it
# shows with this budget: how many modes each variant reaches and how
# precisely (the high-quality share), and how much the seeds disagree.
# Compare it with the scatter plots: a model whose samples trace the whole
# ring without settling on its modes covers few of them, because a mode
# counts only the samples that land within $3\sigma$ of it (the radius is
# printed above the table). A low count can mean imprecise as well as collapsed; the
# high-quality share tells the two apart.

# %% [markdown]
# ## 6. WGAN-GP, LSGAN and spectral normalisation on digits
#
# The same variants on the digits, with the DCGAN architecture. WGAN-GP's
# critic has no batch norm (its penalty is per example, and batch norm would
# mix the examples of a batch) and gets more critic steps per generator step.
# SN-GAN wraps $D$'s layers in `torch.nn.utils.parametrizations.spectral_norm`.
# (PacGAN is a fix for the collapse measured on the mixtures above; it is
# not repeated here.)

# %%
digit_variants = {
    "lsgan": dict(objective=variants["lsgan"]["objective"]),
    "wgan_gp": dict(
        objective=Objective(
            wasserstein_critic_loss, wasserstein_generator_loss, gradient_penalty, 10.0
        ),
        k=2,
        betas=(0.5, 0.9),
        norm="none",
    ),
    "sngan": dict(objective=ours, spectral=True, lr=(5e-4, 1e-3)),
}
for name, opts in digit_variants.items():
    opts = dict(opts)
    seed_everything(0)
    g, d = make_pair(
        opts.pop("norm", "batch"), opts.pop("spectral", False), opts.pop("packing", 1)
    )
    digit_histories[name] = train_digits(
        g, d, opts.pop("objective"), desc=f"digits {name}", **opts
    )
    digit_models[name] = g.eval()
    if name == "sngan":
        d_sngan = d

seed_everything(0)
z_show = torch.randn(16, latent_dim, device=device)
with torch.no_grad():
    compare_rows({name: g(z_show) for name, g in digit_models.items()})
plt.show()
plot_gan_losses(digit_histories, window=max(1, digit_steps // 20))
plt.show()

# %% [markdown]
# **Spectral normalisation.** $\sigma(W)$, the largest singular value, is the
# Lipschitz constant of $x\mapsto Wx$. Computing it exactly (an SVD) at every
# step is costly; power iteration reuses a vector $u$ from the previous step:
#
# $$v \leftarrow \frac{W^\top u}{\lVert W^\top u\rVert},\quad u \leftarrow \frac{W v}{\lVert W v\rVert},\quad \sigma(W) \approx u^\top W v.$$
#
# **Exercise.** One step of power iteration.


# %% exercise="gan.power_iteration_step"
def power_iteration_step(weight: torch.Tensor, u: torch.Tensor):
    """One power-iteration step for the largest singular value.

    Args:
        weight: a matrix W (out, in).
        u: the current unit vector (out,).

    Returns:
        (u, v, sigma): the new unit vectors (out,) and (in,), and the scalar
        estimate sigma = u . (W v).
    """
    ### BEGIN SOLUTION
    v = F.normalize(weight.T @ u, dim=0)
    wv = weight @ v
    u = F.normalize(wv, dim=0)
    return u, v, u @ wv
    ### END SOLUTION


# %%
check("gan.power_iteration_step", power_iteration_step)

# %% [markdown]
# **Your** step, run from a random start on the raw weights of the trained
# SN-GAN discriminator, against the exact value
# `torch.linalg.matrix_norm(W, ord=2)`; next to it, the estimate that
# PyTorch's parametrization carries along training (one step per forward
# pass), and the norm of the normalised weight (1 by construction). A
# convolution kernel counts as the matrix (out, in·k·k), as in the paper.

# %%
sn_layers = {
    "conv 1": d_sngan.features[0],
    "conv 2": d_sngan.features[2],
    "linear": d_sngan.head,
}
fig, ax = plt.subplots(figsize=(6, 3.2))
iters = 30
print(
    f"{'layer':<8}{'exact sigma':>12}{'ours, 30 steps':>16}{'torch u.Wv':>12}{'|W/sigma|':>10}"
)
for name, layer in sn_layers.items():
    p = layer.parametrizations.weight
    w_raw = as_matrix(p.original.detach()).double().cpu()
    exact = float(torch.linalg.matrix_norm(w_raw, ord=2))
    sigmas = power_iteration(
        w_raw, iters, torch.Generator().manual_seed(0), step=power_iteration_step
    )
    u, v = p[0]._u.double().cpu(), p[0]._v.double().cpu()
    torch_sigma = float(u @ w_raw @ v)
    normalised = float(
        torch.linalg.matrix_norm(as_matrix(layer.weight.detach()), ord=2)
    )
    ax.semilogy(
        range(1, iters + 1), (exact - sigmas).abs().clamp(min=1e-16), label=name
    )
    print(
        f"{name:<8}{exact:>12.4f}{float(sigmas[-1]):>16.4f}{torch_sigma:>12.4f}"
        f"{normalised:>10.4f}"
    )
ax.set_xlabel("power-iteration steps from a random u")
ax.set_ylabel(r"$|\sigma - \hat\sigma|$")
ax.legend(fontsize=8)
set_alt(
    fig,
    "Line chart, log scale, of the error of the power-iteration estimate of each "
    f"layer's largest singular value ({', '.join(sn_layers)}) against the number "
    f"of steps, 1 to {iters}",
)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 7. Conditional GAN
#
# Give both networks the label $y$: $G(z, y)$ gets a one-hot $y$ next to $z$,
# and $D$ is a *projection discriminator*,
# $D(x, y) = \psi(\phi(x)) + \langle e_y, \phi(x)\rangle$, with a learned
# embedding $e_y$ per class (Miyato & Koyama, 2018). Then we can ask for a row
# of any digit.

# %%
cond_loader = TensorLoader(x_train, y_train, batch_size=batch, drop_last=True)
seed_everything(0)
g_cond, d_cond = make_pair(num_classes=10)
hist_cond = train_gan(
    g_cond,
    d_cond,
    forever(cond_loader),
    ours,
    torch.optim.Adam(g_cond.parameters(), lr=5e-4, betas=(0.5, 0.999)),
    torch.optim.Adam(d_cond.parameters(), lr=5e-4, betas=(0.5, 0.999)),
    digit_steps,
    conditional=True,
    desc="conditional GAN",
)
g_cond.eval()
per_class = 10
labels = torch.arange(10, device=device).repeat_interleave(per_class)
seed_everything(0)
x_cond = g_cond.sample(len(labels), labels)
show_images(x_cond, nrow=per_class, title="conditional GAN: one row per class")
plt.show()

# %% [markdown]
# ## 8. The latent space
#
# **Interpolation.** For $z\sim\mathcal N(0, I_D)$ the norm concentrates near
# $\sqrt D$; the midpoint of a straight line between two codes has a smaller
# norm (about $\sqrt{D/2}$ for independent codes), a region the generator
# never saw. Spherical interpolation keeps the norm:
#
# $$\mathrm{slerp}(z_0, z_1; t) = \frac{\sin((1-t)\Omega)}{\sin\Omega} z_0 + \frac{\sin(t\Omega)}{\sin\Omega} z_1,\qquad \cos\Omega = \frac{z_0\cdot z_1}{\lVert z_0\rVert\lVert z_1\rVert}.$$
#
# **Exercise.** Implement slerp; for (anti)parallel codes ($\sin\Omega\approx 0$)
# return the straight line.


# %% exercise="gan.slerp"
def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between two codes.

    Args:
        z0, z1: codes (D,).
        t: (T,) positions in [0, 1].

    Returns:
        (T, D): row i is the code at t[i]; same dtype as z0.
    """
    ### BEGIN SOLUTION
    cos = (z0 @ z1) / (z0.norm() * z1.norm())
    omega = torch.acos(cos.clamp(-1.0, 1.0))
    t = t[:, None].to(z0)
    if float(torch.sin(omega).detach().abs()) < 1e-7:
        return (1 - t) * z0 + t * z1
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(
        omega
    )
    ### END SOLUTION


# %%
check("gan.slerp", slerp)

# %% [markdown]
# The norm of the code along both paths between two random codes, and the
# DCGAN's images along them. The scrubber below moves along either path
# when the notebook runs live; the static strips are drawn first.

# %%
seed_everything(3)
z_a, z_b = torch.randn(2, latent_dim, device=device)
ts = torch.linspace(0, 1, 21, device=device)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(ts.cpu(), lerp(z_a, z_b, ts).norm(dim=1).cpu(), label="lerp")
ax.plot(ts.cpu(), slerp(z_a, z_b, ts).norm(dim=1).cpu(), label="slerp (yours)")
ax.axhline(math.sqrt(latent_dim), color="grey", ls="--", label=r"$\sqrt{D}$")
ax.set_xlabel("t")
ax.set_ylabel(r"$\Vert z_t \Vert$")
ax.legend(fontsize=8)
set_alt(
    fig,
    "Line chart of the norm of the interpolated latent against t from 0 to 1: "
    "linear interpolation dips well below sqrt(D) (dashed) in the middle, "
    "spherical interpolation stays near it",
)
plt.tight_layout()
plt.show()


def decode_digits(z):
    with torch.no_grad():
        return g_dcgan(z.to(device))


scrubber = interpolation_scrubber(
    decode_digits, z_a, z_b, steps=10, paths={"slerp": slerp, "lerp": lerp}
)
scrubber.widget if scrubber is not None else None

# %% [markdown]
# **Vector arithmetic** (Radford et al., 2016). On shapes whose factors we
# know, a DCGAN learns to draw them from $z$. To find a direction in $z$ that
# moves a shape to the right, we need *labelled codes*: we train a small CNN
# to read the factors off real images, label a few thousand generated
# samples with it, and take the mean code of the samples on the right minus
# the mean code of those on the left. Adding multiples of that direction to
# any code should move its shape and leave the other factors alone.

# %% tags=["data"]
n_shapes = 2 * profile.n_train
x_shapes, shape_factors = make_shapes(
    n_shapes, image_size=profile.image_size, device=device
)
shape_targets = torch.stack(
    [shape_factors[f].float() for f in ("x", "y", "scale")], 1
)  # (N, 3)
show_images(x_shapes[:16], nrow=16, title="shapes: shape, scale, rotation, x, y vary")
plt.show()


# %%
def regression_loss(model, batch):
    x, target = batch
    return F.mse_loss(model(x), target)


seed_everything(0)
reader = ConvClassifier(profile.image_size, outputs=3, width=gan_width).to(device)
fit(
    reader,
    TensorLoader(x_shapes, shape_targets, batch_size=batch),
    regression_loss,
    torch.optim.Adam(reader.parameters(), lr=2e-3),
    epochs=profile.epochs,
    desc="factor reader",
)
reader.eval()
with torch.no_grad():
    factor_error = (reader(x_shapes) - shape_targets).abs().mean(0)
print(
    "factor reader, mean abs error on x, y, scale:",
    [round(v, 3) for v in factor_error.tolist()],
)

seed_everything(0)
g_shapes, d_shapes = make_pair()
shape_loader = TensorLoader(x_shapes, batch_size=batch, drop_last=True)
train_gan(
    g_shapes,
    d_shapes,
    forever(shape_loader),
    ours,
    torch.optim.Adam(g_shapes.parameters(), lr=5e-4, betas=(0.5, 0.999)),
    torch.optim.Adam(d_shapes.parameters(), lr=5e-4, betas=(0.5, 0.999)),
    digit_steps,
    desc="shapes GAN",
)
g_shapes.eval()

seed_everything(0)
codes = torch.randn(4 * profile.n_test, latent_dim, device=device)
with torch.no_grad():
    read = reader(g_shapes(codes))  # (N, 3): x, y, scale of each generated shape
direction = attribute_direction(codes, read[:, 0] > read[:, 0].median())
alphas = torch.linspace(-1.5, 1.5, 7, device=device)
with torch.no_grad():
    moved = {
        f"code {i}": g_shapes(codes[i] + alphas[:, None] * direction) for i in range(4)
    }
    shifts = torch.stack(
        [reader(g_shapes(codes[:200] + a * direction)).mean(0) for a in alphas]
    ).cpu()  # (alphas, 3)
compare_rows(moved)
plt.suptitle("z + alpha * direction('right'), alpha from -1.5 to 1.5", y=1.02)
plt.show()
fig, ax = plt.subplots(figsize=(6, 3))
for j, factor in enumerate(("x", "y", "scale")):
    ax.plot(alphas.cpu(), shifts[:, j], marker="o", label=f"read {factor}")
ax.set_xlabel("alpha")
ax.set_ylabel("mean factor read off 200 samples")
ax.legend(fontsize=8)
set_alt(
    fig,
    "Line chart of the mean x position, y position and scale read off 200 "
    "samples against alpha, the step along the latent direction found for "
    "'right': one line per factor",
)
plt.tight_layout()
plt.show()
print(
    f"x moves by {shifts[-1, 0] - shifts[0, 0]:+.3f}, y by {shifts[-1, 1] - shifts[0, 1]:+.3f}, "
    f"scale by {shifts[-1, 2] - shifts[0, 2]:+.3f} from alpha = -1.5 to 1.5 "
    "(x and y range over [0.3, 0.7], scale over [0.5, 1])"
)

# %% [markdown]
# ## 9. Evaluating samples without Inception weights
#
# The FID compares Gaussians fitted to Inception features of real and
# generated images. We have no Inception weights offline, and they know
# nothing of small digits anyway, so a digit classifier trained here supplies
# the features (its penultimate layer, whose width is printed below). With $\mu, C$ the mean and
# covariance of the features,
#
# $$d^2 = \lVert\mu_1 - \mu_2\rVert^2 + \operatorname{tr}\big(C_1 + C_2 - 2\,(C_1^{1/2} C_2 C_1^{1/2})^{1/2}\big).$$
#
# **Exercise.** The Fréchet distance between two Gaussians. The square root
# of a symmetric positive semi-definite matrix comes from its eigenvalue
# decomposition (`torch.linalg.eigh`), and $C_1^{1/2} C_2 C_1^{1/2}$ is one.


# %% exercise="gan.frechet_distance"
def frechet_distance(
    mu1: torch.Tensor, cov1: torch.Tensor, mu2: torch.Tensor, cov2: torch.Tensor
) -> torch.Tensor:
    """Squared Fréchet distance between N(mu1, cov1) and N(mu2, cov2).

    Args:
        mu1, mu2: means (D,), float64.
        cov1, cov2: covariances (D, D), symmetric positive semi-definite.

    Returns:
        A scalar tensor >= 0 (up to rounding), same dtype.
    """
    ### BEGIN SOLUTION
    vals, vecs = torch.linalg.eigh(cov1)
    root1 = (vecs * vals.clamp(min=0).sqrt()) @ vecs.T
    middle = root1 @ cov2 @ root1
    middle = 0.5 * (middle + middle.T)
    trace_root = torch.linalg.eigvalsh(middle).clamp(min=0).sqrt().sum()
    return (mu1 - mu2).pow(2).sum() + cov1.trace() + cov2.trace() - 2 * trace_root
    ### END SOLUTION


# %%
check("gan.frechet_distance", frechet_distance)

# %% [markdown]
# Besides the distance, **k-NN precision and recall** (Kynkäänniemi et al.,
# 2019): around each real feature vector draw a ball reaching its $k$-th
# nearest real neighbour ($k = 3$). **Precision** is the share of generated
# samples that fall in some real ball (are they realistic?); **recall** the
# share of real samples that fall in some ball around the generated ones
# (is all of the data covered?). **Class coverage** is the classifier's
# histogram over the samples: a collapsed model favours some digits.
#
# Every row is judged against the training digits with the same number of
# samples: the held-out test digits are the floor (what real data scores),
# uniform noise the ceiling. The classifier, the reference digits and the
# number of samples are the course's digit judge
# (`coursework.classifier.digit_judge`), which 03 and 07 use too, so
# their figures in the same profile are on the same scale.

# %%
judge = digit_judge(profile, x_train, y_train, x_test, y_test)  # seeds 0 first
classifier = judge.classifier
print(
    f"classifier test accuracy: {judge.accuracy:.3f}; features: "
    f"{classifier.head.in_features} units"
)

n_judge = judge.n_samples  # the course's count: every test digit (at most 2,000)
seed_everything(0)
sample_sets = {name: g.sample(n_judge) for name, g in digit_models.items()}
sample_sets["conditional"] = g_cond.sample(
    n_judge, torch.arange(n_judge, device=device) % 10
)
sample_sets["real (held out)"] = x_test[:n_judge]
sample_sets["noise"] = torch.rand(n_judge, *image_shape, device=device)
reports = {
    name: judge(x, frechet=frechet_distance)
    for name, x in sample_sets.items()
}
print(f"{'samples':<17}{'Fréchet':>9}{'precision':>11}{'recall':>8}{'classes':>9}")
for name, r in reports.items():
    print(
        f"{name:<17}{r.fd:>9.2f}{r.precision:>11.3f}{r.recall:>8.3f}{r.classes:>6}/10"
    )
plot_class_histograms({name: r.histogram for name, r in reports.items()})
plt.show()
with torch.no_grad():
    _, predicted = embed(classifier, x_cond)
cond_accuracy = float((predicted == labels).float().mean())
fd_real = reports["real (held out)"].fd
model_fds = {name: reports[name].fd for name in digit_models}
print(
    f"conditional GAN: the classifier reads the requested digit in {cond_accuracy:.0%} of samples"
)
print(
    f"held-out real digits below every model: {all(fd_real < v for v in model_fds.values())}"
    f" (real {fd_real:.2f}, best model {min(model_fds, key=model_fds.get)} "
    f"{min(model_fds.values()):.2f})"
)

# %% [markdown]
# ## Summary
#
# The figures the benchmark reports: modes covered and high-quality share
# on the ring (means over seeds), modes covered on the grid, the ratio of
# G's gradient norms (non-saturating over saturating) at the start, and for
# each digit model the Fréchet distance on our classifier's features,
# k-NN precision and recall, with the held-out real digits' distance.

# %%
record_metrics(
    "04_gan",
    grad_ratio_nonsat_vs_sat=grad_ratio,
    fd_real=fd_real,
    judge_samples=n_judge,
    **{f"ring_modes_{n}": float(table_2d[n, "ring"][0].mean()) for n in variants},
    **{f"ring_hq_{n}": float(table_2d[n, "ring"][1].mean()) for n in variants},
    **{f"grid_modes_{n}": float(table_2d[n, "grid"][0].mean()) for n in variants},
    **{f"fd_{n}": reports[n].fd for n in digit_models},
    **{f"precision_{n}": reports[n].precision for n in digit_models},
    **{f"recall_{n}": reports[n].recall for n in digit_models},
)

# %%
# Your figures beside the course's: each metric's range over the benchmark's
# seeds in this profile (a metric far outside it names the section to look at).
from coursework.bands import compare_to_bands

compare_to_bands("04")
