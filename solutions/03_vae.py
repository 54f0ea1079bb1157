# ---
# jupyter:
#   jupytext:
#     text_representation:
#       format_name: percent
# ---

# %% [markdown]
# # 03 · Autoencoders and variational autoencoders
#
# This notebook follows the lectures on autoencoders and VAEs (Jenni, slides
# by Favaro, *Deep Unsupervised Learning*, University of Bern; and the VAE
# part of Aristidou's MAI645, University of Cyprus, 2023). It starts with
# autoencoders that are not generative models: undercomplete, sparse and
# denoising ones, and the use of their codes as features. Then it turns the
# autoencoder into a latent-variable model, the **VAE**, which we train by
# maximising a lower bound on $\log p(x)$, and we estimate $\log p(x)$ itself
# with importance sampling. We look inside the latent space (samples, the 2-D
# manifold, traversals, interpolation), make it disentangled with a
# **β-VAE**, and make it discrete with a **VQ-VAE**.
#
# Papers: Kingma & Welling, *Auto-Encoding Variational Bayes* (ICLR 2014,
# arXiv:1312.6114); Vincent et al., *Extracting and Composing Robust Features
# with Denoising Autoencoders* (ICML 2008); Burda, Grosse & Salakhutdinov,
# *Importance Weighted Autoencoders* (ICLR 2016, arXiv:1509.00519); Higgins et
# al., *β-VAE* (ICLR 2017); van den Oord, Vinyals & Kavukcuoglu, *Neural
# Discrete Representation Learning* (NeurIPS 2017, arXiv:1711.00937).
#
# Every size below (images, epochs, widths, batch size) comes from the
# `profile`: `ci` runs in about a minute, `cpu` in about ten, `gpu` uses MNIST.

# %%
from coursework.runtime import record_metrics, seed_everything, setup

profile, device = setup()

# %%
import math

import matplotlib.pyplot as plt
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from torch.func import jacrev, vmap

from coursework.classifier import digit_judge
from coursework.data import load_images, make_shapes
from coursework.exercises import check, hint  # noqa: F401  (hint: for you to call)
from coursework.plot import compare_rows, plot_history, set_alt, show_images
from coursework.plot.vae import (
    plot_factor_heatmap,
    plot_manifold,
    plot_spread,
    plot_traversals,
)
from coursework.train import TensorLoader, evaluate, fit
from coursework.vae import (
    VAE,
    VQVAE,
    Autoencoder,
    GaussianEncoder,
    bernoulli_log_likelihood,
    codebook_perplexity,
    fit_ppca,
    importance_log_weights,
    kl_to_posterior,
    l1_sparsity,
    mean_field_gap,
    mutual_information_gap,
    mutual_information_matrix,
    ppca_elbo,
    ppca_log_likelihood,
    principal_angles,
    squared_error,
    subspace_overlap,
    vq_losses,
)
from coursework.widgets.vae import latent_explorer

# %% [markdown]
# ## Data
#
# Handwritten digits: scikit-learn's 8 × 8 digits upsampled to
# `profile.image_size` on `ci`/`cpu`, MNIST on `gpu`. The autoencoders use the
# grey values in [0, 1]; the VAE uses binarised digits, so that a Bernoulli
# likelihood is exact and $\log p(x)$ is a number of nats we can compare.

# %% tags=["data"]
x_train, y_train = load_images(profile, "train", device=device)
x_test, y_test = load_images(profile, "test", device=device)
xb_train, _ = load_images(profile, "train", binarize=True, device=device)
xb_test, _ = load_images(profile, "test", binarize=True, device=device)
image_shape = tuple(x_train.shape[1:])
n_pixels = math.prod(image_shape)
batch = profile.batch_size
print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)}, {n_pixels} pixels")
show_images(xb_train[:16], nrow=16, title="binarised training digits")
plt.show()

# %% [markdown]
# ## 1. Undercomplete autoencoders, and PCA
#
# An autoencoder maps $x$ to a code $h = f(x)$ and back, $\hat x = g(h)$, and
# is trained to reconstruct: $\min \sum_n \lVert g(f(x_n)) - x_n\rVert^2$.
# With a code smaller than the input (*undercomplete*) it has to keep what
# matters most. When $f$ and $g$ are linear, the best it can do is known in
# closed form (Baldi & Hornik, 1989): $g \circ f$ projects onto the span of
# the top-$d$ principal components. The weights are not the components
# themselves (any invertible mix is as good), so we compare **subspaces**:
# the principal angles $\theta_i$ between span($W_\text{dec}$) and the PCA
# subspace, with $\cos\theta_i$ the singular values of $Q_1^\top Q_2$.
# Gradient descent converges slowly along directions whose variances are
# nearly equal, so we pick a code size $d$ after a clear gap in the spectrum
# (printed below).

# %%
code_dim = 10


def reconstruction_loss(model, batch):
    """Mean squared error per image, summed over pixels."""
    x = batch[0]
    x_hat, _ = model(x)
    return squared_error(x_hat, x).mean()


seed_everything(0)
linear_ae = Autoencoder(image_shape, code_dim).to(device)
# A linear model is cheap: give it several times the epochs, so it converges.
hist_linear = fit(
    linear_ae,
    TensorLoader(x_train, batch_size=batch),
    reconstruction_loss,
    torch.optim.Adam(linear_ae.parameters(), lr=3e-3),
    epochs=4 * profile.epochs,
    val_loader=TensorLoader(x_test, batch_size=4 * batch, shuffle=False),
    desc="linear AE",
)

pca = PCA(n_components=code_dim).fit(x_train.flatten(1).cpu().numpy())
pca_basis = torch.tensor(pca.components_.T, dtype=torch.float32)  # (pixels, d)
decoder_columns = linear_ae.decoder[0].weight.detach().cpu()  # (pixels, d)
variances = PCA(n_components=code_dim + 1).fit(x_train.flatten(1).cpu().numpy())
gap = variances.explained_variance_[-2:]
print(f"PCA variances at the cut: lambda_d = {gap[0]:.3f}, lambda_d+1 = {gap[1]:.3f}")
angles = torch.rad2deg(principal_angles(decoder_columns, pca_basis))
overlap = subspace_overlap(decoder_columns, pca_basis)
print("principal angles (degrees):", [round(a, 1) for a in angles.tolist()])
print(f"subspace overlap (1 = same subspace): {overlap:.3f}")

# %% [markdown]
# A nonlinear undercomplete autoencoder (an MLP with one hidden layer on each
# side) with the same code size can do better than any linear projection.
# We compare test reconstruction errors (squared error per image).

# %%
seed_everything(0)
mlp_ae = Autoencoder(image_shape, code_dim, hidden=[profile.width]).to(device)
hist_mlp = fit(
    mlp_ae,
    TensorLoader(x_train, batch_size=batch),
    reconstruction_loss,
    torch.optim.Adam(mlp_ae.parameters(), lr=1e-3),
    epochs=profile.epochs,
    val_loader=TensorLoader(x_test, batch_size=4 * batch, shuffle=False),
    desc="MLP AE",
)
x_test_flat = x_test.flatten(1).cpu().numpy()
x_pca = torch.tensor(pca.inverse_transform(pca.transform(x_test_flat))).float()
x_pca = x_pca.view(-1, *image_shape).to(device)
with torch.no_grad():
    x_linear, x_mlp = linear_ae(x_test)[0], mlp_ae(x_test)[0]
errors = {
    name: float(squared_error(rec, x_test).mean())
    for name, rec in [("PCA", x_pca), ("linear AE", x_linear), ("MLP AE", x_mlp)]
}
print({k: round(v, 3) for k, v in errors.items()})
compare_rows(
    {
        "input": x_test[:12],
        "PCA": x_pca[:12].clamp(0, 1),
        "linear AE": x_linear[:12].clamp(0, 1),
        "MLP AE": x_mlp[:12].clamp(0, 1),
    }
)
plt.show()
plot_history({"linear AE": hist_linear, "MLP AE": hist_mlp}, title="squared error")
plt.show()

# %% [markdown]
# ## 2. Overcomplete, sparse autoencoders
#
# With a code *larger* than the input the autoencoder could copy its input;
# a regulariser must make it learn something. The sparse autoencoder adds an
# L1 penalty on a non-negative (ReLU) code,
# $\mathcal{L} = \lVert \hat x - x\rVert^2 + \lambda \lVert h\rVert_1$,
# so each image is explained by a few active units. We train the same
# overcomplete model with and without the penalty and count active units.

# %%
over_dim = 2 * n_pixels
sparsity_weight = 0.05


def sparse_loss(model, batch, weight=sparsity_weight):
    x = batch[0]
    x_hat, h = model(x)
    rec = squared_error(x_hat, x).mean()
    return {"loss": rec + weight * l1_sparsity(h).mean(), "rec": rec}


sparse_models, sparse_stats = {}, {}
for name, weight in [("no penalty", 0.0), (f"L1 = {sparsity_weight}", sparsity_weight)]:
    seed_everything(0)
    model = Autoencoder(image_shape, over_dim, code_activation="relu").to(device)
    fit(
        model,
        TensorLoader(x_train, batch_size=batch),
        lambda m, b, w=weight: sparse_loss(m, b, w),
        torch.optim.Adam(model.parameters(), lr=1e-3),
        epochs=profile.epochs,
        desc=f"overcomplete AE, {name}",
    )
    with torch.no_grad():
        x_hat, h = model(x_test)
    sparse_models[name] = model
    sparse_stats[name] = {
        "test squared error": float(squared_error(x_hat, x_test).mean()),
        "active units per image": float((h > 1e-3).float().sum(1).mean()),
        "code size": over_dim,
    }
for name, stats in sparse_stats.items():
    print(f"{name:>12}: " + ", ".join(f"{k} {v:.3g}" for k, v in stats.items()))

# %% [markdown]
# The decoder columns of the sparse model are its "atoms": each image is a sum
# of a few of them. Below, the atoms used most often on the test set.

# %%
sparse = sparse_models[f"L1 = {sparsity_weight}"]
with torch.no_grad():
    usage = (sparse.encode(x_test) > 1e-3).float().mean(0)
top = usage.argsort(descending=True)[:32]
atoms = sparse.decoder[0].weight.detach().T[top].view(-1, *image_shape)  # (32, C, H, W)
atoms = (atoms - atoms.amin((1, 2, 3), keepdim=True)) / (
    atoms.amax((1, 2, 3), keepdim=True) - atoms.amin((1, 2, 3), keepdim=True)
)
show_images(atoms, nrow=16, title="most used decoder atoms of the sparse AE")
plt.show()

# %% [markdown]
# ## 3. Denoising autoencoders
#
# Vincent et al. (2008) corrupt the input and ask for the clean image:
# $\min \lVert g(f(\tilde x)) - x \rVert^2$ with
# $\tilde x \sim q(\tilde x\mid x)$. The autoencoder cannot copy; it has to
# learn where digits live and project noisy images back there.
#
# **Exercise.** Implement the corruption: add Gaussian noise with standard
# deviation $\sigma$ and clip back to the pixel range,
# $\tilde x = \mathrm{clip}(x + \sigma\varepsilon, 0, 1)$,
# $\varepsilon \sim \mathcal N(0, I)$.


# %% exercise="vae.add_noise"
def add_noise(x: torch.Tensor, noise_std: float) -> torch.Tensor:
    """Corrupt images with Gaussian noise of std `noise_std`, clipped to [0, 1].

    Args:
        x: images of any shape with values in [0, 1].
        noise_std: the standard deviation sigma >= 0 (sigma = 0 returns x).

    Returns:
        A tensor of the same shape, dtype and device as x, values in [0, 1].
    """
    ### BEGIN SOLUTION
    return (x + noise_std * torch.randn_like(x)).clamp(0.0, 1.0)
    ### END SOLUTION


# %%
check("vae.add_noise", add_noise)

# %% [markdown]
# The denoising autoencoder has the same architecture as the MLP autoencoder
# above (a wider code); only the training input changes, drawn fresh with
# **your** `add_noise` at every step.

# %%
noise_std = 0.4
dae_code = 4 * code_dim


def denoising_loss(model, batch):
    x = batch[0]
    x_hat, _ = model(add_noise(x, noise_std))
    return squared_error(x_hat, x).mean()


ae_models = {}
for name, loss_fn in [
    ("plain AE", reconstruction_loss),
    ("denoising AE", denoising_loss),
]:
    seed_everything(0)
    model = Autoencoder(image_shape, dae_code, hidden=[profile.width]).to(device)
    fit(
        model,
        TensorLoader(x_train, batch_size=batch),
        loss_fn,
        torch.optim.Adam(model.parameters(), lr=1e-3),
        epochs=profile.epochs,
        desc=name,
    )
    ae_models[name] = model

seed_everything(1)
x_noisy = add_noise(x_test, noise_std)
with torch.no_grad():
    denoised = {name: m(x_noisy)[0].clamp(0, 1) for name, m in ae_models.items()}
noisy_error = float(squared_error(x_noisy, x_test).mean())
clean_errors = {n: float(squared_error(d, x_test).mean()) for n, d in denoised.items()}
print(
    f"squared error to the clean image: noisy input {noisy_error:.2f}, "
    + ", ".join(f"{n} {e:.2f}" for n, e in clean_errors.items())
)
compare_rows(
    {
        "clean": x_test[:12],
        "noisy": x_noisy[:12],
        **{n: d[:12] for n, d in denoised.items()},
    }
)
plt.show()

# %% [markdown]
# **Contractive autoencoders.** A third way to stop an autoencoder from
# copying is to penalise how much the code moves when the input moves:
# Rifai et al. (*Contractive Auto-Encoders: Explicit Invariance During
# Feature Extraction*, ICML 2011) add the squared Frobenius norm of the
# encoder's Jacobian,
#
# $$\mathcal L = \lVert g(f(x)) - x\rVert^2 + \lambda\,\lVert J_f(x)\rVert_F^2,
# \qquad \lVert J_f(x)\rVert_F^2 = \sum_{i,j}\Big(\frac{\partial h_j}{\partial x_i}\Big)^2,$$
#
# so the code is insensitive to most directions of the input and varies only
# along the data. Alain & Bengio (*What Regularized Auto-Encoders Learn from
# the Data-Generating Distribution*, JMLR 2014, arXiv:1211.4246) show that a
# denoising autoencoder with small Gaussian noise does something similar
# implicitly, for the whole reconstruction $r = g\circ f$: to first order
# its loss adds $\sigma^2\lVert J_r(x)\rVert_F^2$. We do not train a
# contractive AE here; we measure both Jacobian norms of the two autoencoders
# above, averaged over test digits.


# %%
def jacobian_norm2(fn, x):
    """||d fn(x) / dx||_F^2 per image, for a fn mapping (B, ...) to (B, ...)."""
    jac = vmap(jacrev(lambda xi: fn(xi[None])[0]))(x)  # (B, *out, *in)
    return jac.flatten(1).pow(2).sum(1).detach()  # (B,)


jacobian_norms = {}
for name, model in ae_models.items():
    x_few = x_test[:64]
    jacobian_norms[name] = {
        "encoder ||J_f||_F^2": float(jacobian_norm2(model.encode, x_few).mean()),
        "reconstruction ||J_r||_F^2": float(
            jacobian_norm2(lambda x, m=model: m(x)[0], x_few).mean()
        ),
    }
    print(
        f"{name:>13}: "
        + ", ".join(f"{k} {v:.1f}" for k, v in jacobian_norms[name].items())
    )
less = min(
    jacobian_norms, key=lambda n: jacobian_norms[n]["reconstruction ||J_r||_F^2"]
)
print(f"the more contractive reconstruction: {less}")

# %% [markdown]
# ## 4. Autoencoder codes as features
#
# Throw the decoder away and keep the encoder as a feature extractor: a
# logistic-regression classifier on the frozen codes, against one on the raw
# pixels. Unsupervised features are meant to help most when labels are
# scarce, so we train with a few labels per class and with all of them, and
# test on the held-out digits. (On small, clean digits a linear classifier on
# raw pixels is already strong; read the numbers, not the expectation.)


# %%
def features(encoder, x):
    with torch.no_grad():
        return encoder(x).flatten(1).cpu().numpy()


def logistic_accuracy(f_train, labels, f_test, labels_test):
    clf = LogisticRegression(max_iter=2000).fit(f_train, labels)
    return float((clf.predict(f_test) == labels_test).mean())


y_tr, y_te = y_train.cpu().numpy(), y_test.cpu().numpy()
few = torch.cat(
    [torch.nonzero(y_train.cpu() == c)[:10, 0] for c in range(10)]
).numpy()  # 10 labelled images per class
extractors = {
    "raw pixels": lambda x: x,
    "AE code": ae_models["plain AE"].encode,
    "denoising AE code": ae_models["denoising AE"].encode,
}
feature_accuracy = {}
for name, enc in extractors.items():
    f_tr, f_te = features(enc, x_train), features(enc, x_test)
    feature_accuracy[name] = {
        "10 labels / class": logistic_accuracy(f_tr[few], y_tr[few], f_te, y_te),
        "all labels": logistic_accuracy(f_tr, y_tr, f_te, y_te),
    }
    print(
        f"{name:>18}: "
        + ", ".join(f"{k} {v:.3f}" for k, v in feature_accuracy[name].items())
    )

# %% [markdown]
# ## 5. The variational autoencoder
#
# A VAE is a latent-variable model $p_\theta(x) = \int p_\theta(x\mid z)\,p(z)\,dz$
# with prior $p(z) = \mathcal N(0, I)$ and a decoder that outputs the logits
# of independent Bernoulli pixels. The integral is intractable, so an
# encoder $q_\phi(z\mid x) = \mathcal N(\mu_\phi(x), \operatorname{diag}\sigma^2_\phi(x))$
# approximates the posterior, and we maximise the **evidence lower bound**
#
# $$\log p_\theta(x) \;\ge\; \mathcal L(x) = \mathbb E_{q_\phi(z\mid x)}\big[\log p_\theta(x\mid z)\big] - \mathrm{KL}\big(q_\phi(z\mid x)\,\Vert\, p(z)\big).$$
#
# **The reparameterisation trick.** To backpropagate through the sampling of
# $z$, write it as a deterministic function of the parameters and an
# independent noise: $z = \mu + \sigma \odot \varepsilon$,
# $\varepsilon\sim\mathcal N(0, I)$, $\sigma = \exp(\tfrac12 \log\sigma^2)$.
# The encoder outputs $\log\sigma^2$ (`logvar`) so that $\sigma > 0$ comes for free.


# %% exercise="vae.reparameterize"
def reparameterize(
    mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor
) -> torch.Tensor:
    """z = mu + sigma * eps with sigma = exp(logvar / 2).

    Shapes: mu, logvar, eps (B, D). Returns z of shape (B, D), same dtype and device.
    """
    ### BEGIN SOLUTION
    return mu + torch.exp(0.5 * logvar) * eps
    ### END SOLUTION


# %%
check("vae.reparameterize", reparameterize)

# %% [markdown]
# **The KL term in closed form** (Kingma & Welling, appendix B): for a
# diagonal Gaussian against $\mathcal N(0, I)$,
#
# $$\mathrm{KL}\big(\mathcal N(\mu, \sigma^2)\,\Vert\,\mathcal N(0, I)\big) = \tfrac12 \sum_{j=1}^{D}\big(\mu_j^2 + \sigma_j^2 - \log\sigma_j^2 - 1\big).$$


# %% exercise="vae.gaussian_kl"
def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL( N(mu, diag(exp(logvar))) || N(0, I) ) for each example.

    Shapes: mu, logvar (B, D). Returns (B,): summed over D, not averaged.
    """
    ### BEGIN SOLUTION
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1.0).sum(-1)
    ### END SOLUTION


# %%
check("vae.gaussian_kl", gaussian_kl)

# %% [markdown]
# **The ELBO** with one sample $z \sim q(z\mid x)$ and a Bernoulli decoder:
# $\log p(x\mid z) = \sum_i x_i\log p_i + (1-x_i)\log(1-p_i)$ with
# $p = \mathrm{sigmoid}(\text{logits})$, which is minus the binary
# cross-entropy summed over pixels (compute it from the logits, which is
# numerically stable). The ELBO is then $\log p(x\mid z) - \beta\,\mathrm{KL}$,
# with $\beta = 1$ for the VAE (the β-VAE below uses other values). Use your
# `gaussian_kl`.


# %% exercise="vae.elbo"
def elbo(
    x: torch.Tensor,
    logits: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    beta: float = 1.0,
) -> torch.Tensor:
    """One-sample ELBO per example, in nats.

    Args:
        x: binary images (B, C, H, W).
        logits: decoder logits for z ~ q(z|x), (B, C, H, W).
        mu, logvar: encoder outputs, (B, D) each.
        beta: weight of the KL term.

    Returns:
        (B,) log p(x|z) - beta * KL(q(z|x) || p(z)).
    """
    ### BEGIN SOLUTION
    bce = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, x, reduction="none"
    )
    return -bce.flatten(1).sum(1) - beta * gaussian_kl(mu, logvar)
    ### END SOLUTION


# %%
check("vae.elbo", elbo)

# %% [markdown]
# Training uses **your** three functions: encode, reparameterise, decode, and
# minimise $-\mathcal L$ averaged over the batch. We log the two terms too.

# %%
latent_dim = 16


def vae_loss(model, batch, beta=1.0):
    x = batch[0]
    mu, logvar = model.encode(x)
    z = reparameterize(mu, logvar, torch.randn_like(mu))
    logits = model.decode(z)
    bound = elbo(x, logits, mu, logvar, beta)
    kl = gaussian_kl(mu, logvar)
    return {"loss": -bound.mean(), "kl": kl.mean(), "rec": -(bound + beta * kl).mean()}


def train_vae(x, latent, epochs, beta=1.0, desc="VAE", val=None):
    model = VAE(tuple(x.shape[1:]), latent, [profile.width, profile.width]).to(device)
    hist = fit(
        model,
        TensorLoader(x, batch_size=batch),
        lambda m, b: vae_loss(m, b, beta),
        torch.optim.Adam(model.parameters(), lr=1e-3),
        epochs=epochs,
        val_loader=None
        if val is None
        else TensorLoader(val, batch_size=4 * batch, shuffle=False),
        desc=desc,
    )
    return model.eval(), hist


seed_everything(0)
vae, hist_vae = train_vae(xb_train, latent_dim, profile.epochs, val=xb_test)
plot_history(
    hist_vae, keys=("loss", "kl"), title="negative ELBO and its KL term (nats)"
)
plt.show()

seed_everything(0)
with torch.no_grad():
    logits, *_ = vae(xb_test[:12])
compare_rows({"input": xb_test[:12], "reconstruction p(x|z)": torch.sigmoid(logits)})
plt.show()

# %% [markdown]
# ## 6. How far below log p(x)? The identity log p(x) = ELBO + KL
#
# The bound above is one half of an identity. For any distribution
# $q(z\mid x)$, since $\log p(x)$ does not depend on $z$ and
# $p(x) = p(x, z) / p(z\mid x)$ (Bayes' rule),
#
# $$
# \begin{aligned}
# \log p(x) &= \mathbb E_{q(z\mid x)}\big[\log p(x)\big]
#   = \mathbb E_{q}\Big[\log \frac{p(x, z)}{p(z\mid x)}\Big]
#   = \mathbb E_{q}\Big[\log \frac{p(x, z)}{q(z\mid x)}\,\frac{q(z\mid x)}{p(z\mid x)}\Big] \\
# &= \underbrace{\mathbb E_{q}\big[\log p(x\mid z)\big] - \mathrm{KL}\big(q(z\mid x)\,\Vert\,p(z)\big)}_{\text{ELBO } \mathcal L(x)}
#   \;+\; \underbrace{\mathrm{KL}\big(q(z\mid x)\,\Vert\,p(z\mid x)\big)}_{\ge 0}.
# \end{aligned}
# $$
#
# Three things follow. The ELBO is a lower bound because a KL is never
# negative; the gap is exactly the KL from the encoder to the **true**
# posterior, zero only when $q(z\mid x) = p(z\mid x)$; and since $\log p(x)$
# does not depend on $q$, maximising the ELBO over the encoder *is*
# minimising that KL (Kingma & Welling 2014, eq. 1).
#
# For the VAE neither $\log p(x)$ nor $p(z\mid x)$ is computable, so we check
# the identity on a latent-variable model where every term has a closed form:
# **probabilistic PCA** (Tipping & Bishop, *Probabilistic Principal Component
# Analysis*, JRSS B 1999), a VAE with a linear-Gaussian decoder,
#
# $$z \sim \mathcal N(0, I_d), \qquad x\mid z \sim \mathcal N(Wz + b, \sigma^2 I_D)
# \quad\Rightarrow\quad x \sim \mathcal N(b,\; WW^\top + \sigma^2 I_D).$$
#
# Its maximum-likelihood $W, b, \sigma^2$ come from an eigendecomposition of
# the data covariance (the PCA of section 1, plus a noise level).
#
# **Exercise.** Derive the posterior with Bayes' rule. Its log density,
# $\log p(x\mid z) + \log p(z) + \text{const}$, is quadratic in $z$:
# $-\frac{1}{2\sigma^2}\big(z^\top (W^\top W + \sigma^2 I) z - 2 z^\top W^\top (x - b)\big)$.
# Completing the square gives
# $p(z\mid x) = \mathcal N\big(M^{-1}W^\top(x - b),\; \sigma^2 M^{-1}\big)$ with
# $M = W^\top W + \sigma^2 I_d$. Return the means of a batch and the one
# covariance they share.


# %% exercise="vae.ppca_posterior"
def ppca_posterior(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, noise_var: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The exact posterior of probabilistic PCA.

    Args:
        x: data (B, D).
        weight: W (D, d).
        bias: b (D,).
        noise_var: sigma^2, a scalar tensor > 0.

    Returns:
        mean (B, d): M^{-1} W^T (x_b - b) for every row, and
        cov (d, d): sigma^2 M^{-1}, with M = W^T W + sigma^2 I_d.
        Same dtype and device as x.
    """
    ### BEGIN SOLUTION
    eye = torch.eye(weight.shape[1], dtype=x.dtype, device=x.device)
    m_inv = torch.linalg.inv(weight.T @ weight + noise_var * eye)  # (d, d)
    return (x - bias) @ weight @ m_inv, noise_var * m_inv
    ### END SOLUTION


# %%
check("vae.ppca_posterior", ppca_posterior)

# %% [markdown]
# We fit PPCA to the grey digits in **float64** (so that rounding is about
# $10^{-16}$ of each term) and take two encoders $q(z\mid x)$: the
# posterior itself (diagonal here, because the fitted $W$ has orthogonal
# columns), and an untrained amortised encoder
# $x \mapsto (\mu, \log\sigma^2)$. The encoder is linear: the true posterior
# mean $M^{-1}W^\top(x - b)$ is linear in $x$, so a linear encoder can match
# it exactly and any gap left is the optimiser's, not the architecture's.
# For each test digit we compute, in closed
# form, $\log p(x)$ (`ppca_log_likelihood`), the ELBO
# (`ppca_elbo`: $\mathbb E_q[\log p(x\mid z)]$ is a quadratic form, so no
# sampling) and $\mathrm{KL}(q\,\Vert\,p(z\mid x))$ (`kl_to_posterior`), with
# **your** posterior, and print the identity's largest error.

# %%
ppca_dim = 8
f64 = torch.float64
xg_train, xg_test = x_train.flatten(1).to(f64), x_test.flatten(1).to(f64)
ppca = fit_ppca(xg_train, ppca_dim)
log_px = ppca_log_likelihood(xg_test, *ppca)  # (N,)
post_mean, post_cov = ppca_posterior(xg_test, *ppca)
print(
    f"PPCA, d = {ppca_dim}: sigma^2 = {float(ppca.noise_var):.4f}, "
    f"mean test log p(x) = {float(log_px.mean()):.2f} nats (a density over "
    f"{n_pixels} grey values, so it can be positive)"
)


def identity_error(mu, logvar, model=ppca):
    """ELBO, KL to the true posterior and |log p(x) - ELBO - KL| per test digit."""
    bound = ppca_elbo(xg_test, *model, mu, logvar)
    kl = kl_to_posterior(mu, logvar, *ppca_posterior(xg_test, *model))
    return bound, kl, (ppca_log_likelihood(xg_test, *model) - bound - kl).abs()


def new_encoder():
    """A linear Gaussian encoder x -> (mu, logvar) in float64."""
    return GaussianEncoder(n_pixels, [], ppca_dim).to(device, f64)


seed_everything(0)
untrained = new_encoder()
with torch.no_grad():
    encoders = {
        "true posterior": (post_mean, post_cov.diagonal().log().expand_as(post_mean)),
        "untrained encoder": untrained(xg_test.view(-1, *image_shape)),
    }
identity_errors = {}
print(f"{'q(z|x)':<20}{'mean ELBO':>12}{'mean KL':>12}{'max |log p - ELBO - KL|':>26}")
for name, (mu, logvar) in encoders.items():
    bound, kl, error = identity_error(mu, logvar)
    identity_errors[name] = float(error.max())
    print(
        f"{name:<20}{float(bound.mean()):>12.2f}{float(kl.mean()):>12.3g}"
        f"{identity_errors[name]:>26.2e}"
    )

# %% [markdown]
# The identity holds to rounding error, whether the gap is zero (the true
# posterior) or large (the untrained encoder's KL, printed above). Now train the
# amortised encoder on the ELBO alone, the decoder fixed at the PPCA
# solution. By the identity each step lowers the KL to the true posterior,
# which we log beside the loss. We do it twice: with the fitted $W$, and with
# $WR$ for a random rotation $R$. Both give the **same** $p(x)$
# ($WR(WR)^\top = WW^\top$), but the rotated one has a correlated posterior,
# which no diagonal Gaussian can match: the KL cannot fall below the
# mean-field floor `mean_field_gap` computes,
# $\tfrac12\big[\log\det\Sigma + \sum_j \log(\Sigma^{-1})_{jj}\big]$.

# %%
rotation, _ = torch.linalg.qr(
    torch.randn(
        ppca_dim, ppca_dim, generator=torch.Generator().manual_seed(0), dtype=f64
    )
)
ppca_rotated = ppca._replace(weight=ppca.weight @ rotation.to(device))
# A linear encoder is cheap but converges slowly: many epochs, at most
# 100 * profile.epochs steps (the gpu profile's MNIST has many batches).
ppca_batch = 4 * batch
ppca_epochs = min(
    10 * profile.epochs,
    math.ceil(100 * profile.epochs * ppca_batch / len(xg_train)),
)
xg_train_img = xg_train.view(-1, *image_shape)
print(
    "same log p(x) after the rotation: max difference "
    f"{float((ppca_log_likelihood(xg_test, *ppca_rotated) - log_px).abs().max()):.1e}"
)


def ppca_encoder_loss(encoder, batch, model):
    x = batch[0]
    flat = x.flatten(1)
    mu, logvar = encoder(x)
    bound = ppca_elbo(flat, *model, mu, logvar)
    kl = kl_to_posterior(mu, logvar, *ppca_posterior(flat, *model))
    return {"loss": -bound.mean(), "kl_to_posterior": kl.mean()}


ppca_runs = {}
for name, model in [("fitted W", ppca), ("rotated WR", ppca_rotated)]:
    seed_everything(0)
    encoder = new_encoder()
    hist = fit(
        encoder,
        TensorLoader(xg_train_img, batch_size=ppca_batch),
        lambda e, b, m=model: ppca_encoder_loss(e, b, m),
        torch.optim.Adam(encoder.parameters(), lr=1e-2),
        epochs=ppca_epochs,
        amp=False,  # float64 throughout
        desc=f"amortised encoder, {name}",
    )
    with torch.no_grad():
        mu, logvar = encoder(xg_test.view(-1, *image_shape))
    bound, kl, error = identity_error(mu, logvar, model)
    identity_errors[f"trained, {name}"] = float(error.max())
    floor = float(mean_field_gap(ppca_posterior(xg_test[:1], *model)[1]))
    ppca_runs[name] = (hist, float(kl.mean()), floor)
    print(
        f"{name}: test mean KL(q || p(z|x)) = {float(kl.mean()):.3f} nats "
        f"(mean-field floor {floor:.3f}), ELBO {float(bound.mean()):.2f} vs "
        f"log p(x) {float(log_px.mean()):.2f}"
    )
elbo_identity_max_abs_error = max(identity_errors.values())
elbo_gap_nats = ppca_runs["fitted W"][1]
print(
    f"largest identity error over {len(identity_errors)} encoders x "
    f"{len(xg_test)} test digits: {elbo_identity_max_abs_error:.2e} nats"
)

ax = plot_history(
    {name: run[0] for name, run in ppca_runs.items()},
    keys=("kl_to_posterior",),
    title="the ELBO's gap during training: KL(q(z|x) || p(z|x)), nats",
    logy=True,
)
for name, (_, _, floor) in ppca_runs.items():
    if floor > 0:
        ax.axhline(floor, color="grey", ls=":", label=f"mean-field floor, {name}")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Training on the ELBO alone drives the encoder towards the true posterior,
# as the identity promised, although the loss never mentions $p(z\mid x)$.
# What remains is the **amortisation gap** of one encoder shared by all
# $x$ and trained for a finite budget (the curve is still falling: the
# directions of the digits with little variance converge slowly), plus, for
# the rotated $W$, the mean-field floor: a diagonal Gaussian cannot represent
# a correlated posterior. A VAE has both gaps, and a nonlinear decoder whose
# posterior no Gaussian matches; the IWAE bound below measures how much a
# better use of the same encoder recovers.

# %% [markdown]
# ## 7. Estimating log p(x): naive Monte Carlo vs importance weighting
#
# The ELBO is a bound; how far is it from $\log p(x)$? Any proposal $r(z)$
# gives an unbiased estimate of $p(x)$,
# $\hat p(x) = \frac1K\sum_k \frac{p(x, z_k)}{r(z_k)}$, $z_k\sim r$, and the
# log of the average is a lower bound in expectation (Jensen).
#
# * **Naive Monte Carlo**: sample from the prior, $r = p(z)$, so
#   $w_k = p(x\mid z_k)$. Almost no prior sample explains a given digit, so
#   the estimate has an enormous variance and needs huge $K$.
# * **Importance weighting** (Burda et al., 2016): sample from the encoder,
#   $r = q(z\mid x)$. The expectation of the log-average is the IWAE bound
#   $\mathcal L_K = \mathbb E\big[\log\frac1K\sum_{k=1}^K \frac{p(x, z_k)}{q(z_k\mid x)}\big]$,
#   and $\mathcal L_1 = \text{ELBO} \le \mathcal L_K \le \mathcal L_{K+1} \le \log p(x)$.
#
# **Exercise.** Given the log-weights $\log w_{bk}$ (shape (B, K)), return
# $\log\frac1K\sum_k w_{bk}$ per example. The weights are tiny
# ($\log w \approx -100$ nats), so `exp` underflows: use `torch.logsumexp`.


# %% exercise="vae.iwae_bound"
def iwae_bound(log_w: torch.Tensor) -> torch.Tensor:
    """log( (1/K) sum_k exp(log_w[:, k]) ) for log_w of shape (B, K). Returns (B,)."""
    ### BEGIN SOLUTION
    return torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1])
    ### END SOLUTION


# %%
check("vae.iwae_bound", iwae_bound)

# %% [markdown]
# We estimate both on the test digits, repeating each estimate a few times
# with fresh samples to see its spread. The package's
# `importance_log_weights` draws all $K$ samples of a batch in one call and
# returns $\log w$; **your** `iwae_bound` averages them.

# %%
ks = [1, 5, 50]
repeats = 5


@torch.no_grad()
def estimate(model, x, k, proposal, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.cat(
        [
            iwae_bound(importance_log_weights(model, xb, k, proposal, generator=g))
            for xb in x.split(4 * batch)
        ]
    )  # (N,)


@torch.no_grad()
def test_elbo(model, x, seed):
    """Mean one-sample ELBO (analytic KL) over x, with seeded noise."""
    torch.manual_seed(seed)
    return -vae_loss(model, (x,))["loss"]


table = []
for proposal, label in [
    ("prior", "naive MC (z ~ p(z))"),
    ("posterior", "IWAE (z ~ q(z|x))"),
]:
    for k in ks:
        runs = torch.stack(
            [estimate(vae, xb_test, k, proposal, seed=r).mean() for r in range(repeats)]
        )
        table.append((label, k, float(runs.mean()), float(runs.std())))
elbo_test = float(
    torch.stack([test_elbo(vae, xb_test, seed=r) for r in range(repeats)]).mean()
)
print(f"ELBO (analytic KL, one z per image), test mean: {elbo_test:.2f} nats")
print(f"{'estimator':<22}{'K':>4}{'mean log p(x)':>15}{'spread over repeats':>21}")
for label, k, mean, spread in table:
    print(f"{label:<22}{k:>4}{mean:>15.2f}{spread:>21.3f}")
iwae = {k: mean for label, k, mean, _ in table if label.startswith("IWAE")}
naive = {k: mean for label, k, mean, _ in table if label.startswith("naive")}
print(f"IWAE_1 - ELBO = {iwae[1] - elbo_test:+.2f} nats (equal in expectation)")
print(
    f"ELBO <= IWAE_5 <= IWAE_50 in this run: {elbo_test <= iwae[5] <= iwae[50]} "
    f"(gains {iwae[5] - elbo_test:.2f} and {iwae[50] - iwae[5]:.2f} nats; "
    f"means of {repeats} estimates, so ordered in expectation only)"
)
with torch.no_grad():
    kl_test = float(vae_loss(vae, (xb_test,))["kl"])
print(
    f"naive MC with K=50 is {iwae[50] - naive[50]:.1f} nats below IWAE_50 and "
    f"{abs(naive[50] - elbo_test):.1f} nats "
    f"{'below' if naive[50] < elbo_test else 'above'} the ELBO "
    f"(mean KL(q(z|x) || p(z)) {kl_test:.1f} nats): "
    + (
        "worse than a single sample from the encoder"
        if naive[50] < elbo_test
        else f"not below the ELBO: the {profile.name} profile's VAE, whose "
        "posterior sits this close to the prior, is too small to show how "
        "poorly prior samples explain a digit"
    )
)

# %% [markdown]
# In expectation, $\mathcal L_1$ *equals* the ELBO and $\mathcal L_K$ for
# $K > 1$ lies above it and tightens with $K$; the printed values are means
# of a few random estimates, so the lines above say whether this run shows
# that order. The naive estimate is also a lower bound in expectation, but
# a looser one the further the posterior sits from the prior (the mean KL
# printed above): with few prior samples near a digit's posterior, it
# would need astronomically many of them. The last line above says how it
# compares with the ELBO in this run. The plot shows the spread of the
# single-image estimates $\log\hat p(x)$ around the IWAE-50 value, for one
# test digit.

# %%
one = xb_test[:1].expand(200, *image_shape)
with torch.no_grad():
    g = torch.Generator().manual_seed(0)
    spread = {
        f"{p}, K={k}": iwae_bound(
            importance_log_weights(vae, one, k, p, generator=g)
        ).cpu()
        for p in ("prior", "posterior")
        for k in (5, 50)
    }
plot_spread(spread, r"estimate of $\log p(x)$ for one digit (nats), 200 repeats")
plt.show()

# %% [markdown]
# ## 8. Sampling from the prior
#
# The VAE is a generative model: draw $z\sim\mathcal N(0, I)$ and decode. We
# show the Bernoulli means $p = \mathrm{sigmoid}(\text{logits})$.

# %%
seed_everything(0)
show_images(vae.sample(32), nrow=16, title="VAE samples: mean of p(x|z), z ~ N(0, I)")
plt.show()

# %% [markdown]
# **Why VAE samples are blurry.** The images above are the means
# $p = \mathbb E[x\mid z]$ of the decoder, not samples of $x$. Three reasons
# make those means grey and soft:
#
# 1. *The decoder is factorised*: $p(x\mid z) = \prod_i p(x_i\mid z)$. Given
#    $z$ the pixels are independent, so a sample of every pixel is
#    speckled noise (second row below), and the model can only express
#    "this stroke is here or one pixel to the left" by greying both.
# 2. *The posteriors overlap*: the KL term keeps $q(z\mid x)$ wide (its
#    standard deviation on the most used dimensions is printed below,
#    against the prior's 1), so
#    nearby $z$ are shared by several training digits, and the
#    decoder that maximises $\mathbb E_q\log p(x\mid z)$ outputs the average
#    of those digits. (With a Gaussian decoder, that is the L2 regression to
#    the mean, the classic source of blur.)
# 3. *Prior holes*: a $z \sim p(z)$ may land where no $q(z\mid x)$ put mass
#    during training, and the decoder has never been asked to be sharp
#    there.
#
# We measure sharpness as the mean Bernoulli entropy of the pixels, in bits
# (0 for a binary image, 1 for a pixel at $p = 0.5$).


# %%
def pixel_entropy_bits(p):
    """Mean Bernoulli entropy per pixel in bits, per image. p (B, C, H, W)."""
    p = p.clamp(1e-6, 1 - 1e-6)
    return (-(p * p.log2() + (1 - p) * (1 - p).log2())).flatten(1).mean(1)


seed_everything(0)
with torch.no_grad():
    mu_blur, logvar_blur = vae.encode(xb_test)
    means = {
        "reconstruction, z = mu(x)": torch.sigmoid(vae.decode(mu_blur)),
        "reconstruction, z ~ q(z|x)": torch.sigmoid(
            vae.decode(reparameterize(mu_blur, logvar_blur, torch.randn_like(mu_blur)))
        ),
        "sample, z ~ p(z)": vae.sample(len(xb_test)),
    }
sharpness = {name: float(pixel_entropy_bits(p).mean()) for name, p in means.items()}
used_dims = (
    (0.5 * (mu_blur**2 + logvar_blur.exp() - logvar_blur - 1))
    .mean(0)
    .argsort(descending=True)[:4]
)  # the four most informative dimensions
posterior_std = float((0.5 * logvar_blur[:, used_dims]).exp().mean())
print(
    "mean posterior std of q(z|x) on the 4 dimensions with the largest KL: "
    f"{posterior_std:.2f} (the prior's is 1)"
)
for name, bits in sharpness.items():
    print(f"{name:<28} mean pixel entropy {bits:.3f} bits (data: 0)")
prior_means = means["sample, z ~ p(z)"][:12]
compare_rows(
    {
        "mean of p(x|z)": prior_means,
        "a sample of x ~ p(x|z)": torch.bernoulli(
            prior_means, generator=torch.Generator(prior_means.device).manual_seed(0)
        ),
    }
)
plt.show()

# %% [markdown]
# ## 9. The 2-D latent manifold
#
# With a 2-D latent space we can look at all of it: decode a grid of points
# placed at equal prior quantiles, $z = \Phi^{-1}(u)$ for $u$ on a regular
# grid in $(0, 1)^2$ (Kingma & Welling, fig. 4). Neighbouring images morph
# into each other. Below it, the encoder means of the test digits,
# coloured by their label.

# %%
seed_everything(0)
vae2d, hist_2d = train_vae(xb_train, 2, profile.epochs, desc="VAE, 2-D latent")
plot_manifold(lambda z: torch.sigmoid(vae2d.decode(z.to(device))), n=15)
plt.show()
with torch.no_grad():
    mu2d, _ = vae2d.encode(xb_test)
fig, ax = plt.subplots(figsize=(6.5, 5.5))
scatter = ax.scatter(*mu2d.cpu().T, c=y_test.cpu(), cmap="tab10", s=8)
ax.set_title("encoder means of test digits")
fig.colorbar(scatter, ax=ax)
for digit in range(10):  # each class named at its centre: colour is not the only cue
    centre = mu2d[y_test == digit].mean(0).cpu()
    ax.text(*centre.tolist(), str(digit), fontsize=12, weight="bold", ha="center")
set_alt(
    fig,
    "Scatter plot of the 2-D encoder means of the test digits, one colour per "
    "digit and each digit's label written at its centre: the classes form "
    "clusters that overlap where digits look alike",
)
plt.show()

# %% [markdown]
# ## 10. Latent traversals and interpolation
#
# Change one latent coordinate of an encoded digit, keep the others: a
# **traversal**. We sweep the dimensions the model uses most (largest average
# KL; unused dimensions have KL ≈ 0 and do nothing). The explorer below has a
# slider per dimension when the notebook runs live; it always draws the
# static traversal figure first.

# %%
with torch.no_grad():
    mu_test, logvar_test = vae.encode(xb_test)
    kl_per_dim = (0.5 * (mu_test**2 + logvar_test.exp() - logvar_test - 1)).mean(0)
active = kl_per_dim.argsort(descending=True)[:6].tolist()
print("KL per latent dim (nats):", [round(v, 2) for v in kl_per_dim.tolist()])


def decode_mean(z):
    return torch.sigmoid(vae.decode(z.to(device)))


explorer = latent_explorer(decode_mean, mu_test[0], dims=active, span=3.0)
explorer.widget if explorer is not None else None

# %% [markdown]
# **Interpolation**: encode two digits and decode points on the straight line
# between their means, $z_t = (1-t)\mu_a + t\mu_b$.

# %%
ts = torch.linspace(0, 1, 10, device=device)[:, None]
pairs = [(0, 1), (2, 3), (4, 5)]
rows = {}
with torch.no_grad():
    for a, b in pairs:
        z_line = (1 - ts) * mu_test[a] + ts * mu_test[b]  # (10, D)
        rows[f"{int(y_test[a])} → {int(y_test[b])}"] = decode_mean(z_line)
compare_rows(rows)
plt.show()

# %% [markdown]
# ## 11. β-VAE: disentangling factors of variation
#
# Higgins et al. (2017) weight the KL term by $\beta > 1$:
# $\mathcal L_\beta = \mathbb E_q[\log p(x\mid z)] - \beta\,\mathrm{KL}(q(z\mid x)\Vert p(z))$.
# The stronger pull towards the factorised prior makes the model spend its
# few informative dimensions on independent factors of the data. We test it
# on procedural shapes whose generating factors we know: shape, scale,
# rotation, and x/y position. For every latent dimension and factor, we
# compute the mutual information $I(z_j; v_f)$ (histograms, divided by
# $H(v_f)$, so 1 means "$z_j$ determines $v_f$"), and the Mutual Information
# Gap (Chen et al., 2018): for each factor, the gap between the two most
# informative dimensions, averaged. A disentangled code has one bright cell
# per factor column in the heatmap and a larger gap. (Rotation is hard to read
# off: a square looks the same every 90°, an ellipse every 180°.)

# %% tags=["data"]
shape_factors = ("shape", "scale", "rotation", "x", "y")
n_shapes = min(8 * profile.n_train, 50_000)  # rendered in one batch, so capped
x_shapes, factors = make_shapes(n_shapes, image_size=profile.image_size, device=device)
factor_values = {f: factors[f].cpu() for f in shape_factors}  # shape: integer labels
show_images(x_shapes[:16], nrow=16, title="shapes: shape, scale, rotation, x, y vary")
plt.show()

# %%
betas = [1.0, 4.0]
shape_latent = 8
shape_epochs = 2 * profile.epochs  # disentangling takes longer than reconstructing
beta_models, beta_mi = {}, {}
for beta in betas:
    seed_everything(0)
    model, _ = train_vae(
        x_shapes, shape_latent, shape_epochs, beta=beta, desc=f"β-VAE, β={beta:g}"
    )
    with torch.no_grad():
        mu_s = torch.cat([model.encode(xb)[0] for xb in x_shapes.split(1024)]).cpu()
    beta_models[beta] = model
    beta_mi[beta] = mutual_information_matrix(mu_s.double(), factor_values, bins=10)

fig, axes = plt.subplots(1, len(betas), figsize=(5 * len(betas), 4))
top = max(float(m.max()) for m in beta_mi.values())  # one colour scale for both
for ax, beta in zip(axes, betas):
    mig = float(mutual_information_gap(beta_mi[beta]))
    plot_factor_heatmap(
        beta_mi[beta],
        shape_factors,
        ax=ax,
        title=f"β = {beta:g}: MIG = {mig:.3f}",
        vmax=top,
    )
set_alt(
    fig,
    "Heat maps of the mutual information between each latent (rows) and each "
    f"factor ({', '.join(shape_factors)}, columns), one per β: "
    + "; ".join(
        f"β = {b:g}, MIG {float(mutual_information_gap(beta_mi[b])):.3f}"
        for b in betas
    ),
)
plt.tight_layout()
plt.show()
mig = {beta: float(mutual_information_gap(beta_mi[beta])) for beta in betas}
print("MIG:", {f"beta={b:g}": round(v, 3) for b, v in mig.items()})
lo, hi = betas[0], betas[-1]
print(
    f"MIG at beta={hi:g} is "
    + (
        f"higher than at beta={lo:g}, as a stronger pull to the prior should make it"
        if mig[hi] > mig[lo]
        else f"not higher than at beta={lo:g}: the {profile.name} profile "
        f"({shape_epochs} epochs on {n_shapes} shapes) is too small to show the "
        "gain a larger beta is expected to give"
    )
)

# %% [markdown]
# Traversals of the β-VAE's most informative dimensions, each labelled with
# the factor it shares most information with.

# %%
best = beta_models[betas[-1]]
mi_best = beta_mi[betas[-1]]
top_dims = mi_best.max(1).values.argsort(descending=True)[:5].tolist()
labels = [f"z[{d}] ~ {shape_factors[int(mi_best[d].argmax())]}" for d in top_dims]
with torch.no_grad():
    z0 = best.encode(x_shapes[:1])[0][0]
plot_traversals(
    lambda z: torch.sigmoid(best.decode(z.to(device))),
    z0,
    top_dims,
    span=2.5,
    steps=9,
    labels=labels,
    title=f"β = {betas[-1]:g} traversals",
)
plt.show()

# %% [markdown]
# ## 12. VQ-VAE: a discrete latent space
#
# van den Oord et al. (2017) replace the Gaussian code with a grid of
# **discrete** codes. A convolutional encoder gives $z_e(x)$ at every
# position; each vector is replaced by its nearest entry of a learned
# codebook $\{e_k\}_{k=1}^K$:
# $z_q = e_{k^*}$, $k^* = \arg\min_k \lVert z_e - e_k\rVert_2$.
# The argmin has no gradient, so the **straight-through estimator** copies
# the decoder's gradient to the encoder: $z_q^{\text{st}} = z_e + \mathrm{sg}[z_q - z_e]$
# (value $z_q$, gradient as if it were $z_e$). The loss is
#
# $$\mathcal L = -\log p(x\mid z_q) + \lVert \mathrm{sg}[z_e] - e\rVert^2 + \beta\lVert z_e - \mathrm{sg}[e]\rVert^2,$$
#
# the reconstruction, a codebook term that moves codes to the encoder
# outputs, and a commitment term ($\beta = 0.25$) that keeps the encoder near
# its codes.
#
# **Exercise.** Quantise rows of `z` (N, D) with a codebook (K, D): find the
# nearest code of each row and return the straight-through copy and the
# indices.


# %% exercise="vae.vector_quantize"
def vector_quantize(
    z: torch.Tensor, codebook: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Nearest-code quantisation with a straight-through gradient.

    Args:
        z: (N, D) vectors.
        codebook: (K, D) codes.

    Returns:
        z_q_st (N, D): the nearest codes in value, with the gradient of z;
        indices (N,) long: which code each row took.
    """
    ### BEGIN SOLUTION
    dist = (
        z.pow(2).sum(1, keepdim=True)
        - 2 * z @ codebook.T
        + codebook.pow(2).sum(1)[None]
    )
    indices = dist.argmin(1)
    return z + (codebook[indices] - z).detach(), indices
    ### END SOLUTION


# %%
check("vae.vector_quantize", vector_quantize)

# %% [markdown]
# The VQ-VAE below quantises with **your** function. We report the codebook
# **perplexity** $\exp(H(p))$ of the code frequencies $p$: the effective
# number of codes in use (at most $K$).

# %%
num_codes, commitment_weight = 64, 0.25
side = 4 * (profile.image_size // 4)  # the two stride-2 convs need a multiple of 4
x_vq, x_vq_test = xb_train[..., :side, :side], xb_test[..., :side, :side]


def vqvae_loss(model, batch):
    x = batch[0]
    logits, z_e, z_q, indices = model(x, quantize=vector_quantize)
    rec = -bernoulli_log_likelihood(logits, x).mean()
    codebook, commitment = (t.mean() for t in vq_losses(z_e, z_q))
    return {
        "loss": rec + codebook + commitment_weight * commitment,
        "rec": rec,
        "commitment": commitment,
    }


seed_everything(0)
vqvae = VQVAE(
    image_shape[0], width=max(profile.width // 8, 16), code_dim=16, num_codes=num_codes
).to(device)
# Start the codes on encoder outputs, so that none starts out of reach ("dead").
with torch.no_grad():
    vqvae.quantizer.init_from(
        vqvae.encode(x_vq[:batch]), torch.Generator().manual_seed(0)
    )
hist_vq = fit(
    vqvae,
    TensorLoader(x_vq, batch_size=batch),
    vqvae_loss,
    torch.optim.Adam(vqvae.parameters(), lr=2e-3),
    epochs=profile.epochs,
    val_loader=TensorLoader(x_vq_test, batch_size=4 * batch, shuffle=False),
    desc="VQ-VAE",
)
vqvae.eval()
with torch.no_grad():
    logits_vq, _, _, idx_vq = vqvae(x_vq_test)
perplexity = float(codebook_perplexity(idx_vq, num_codes))
used = int(torch.unique(idx_vq).numel())
vq_rec = float(
    evaluate(
        vqvae, TensorLoader(x_vq_test, batch_size=4 * batch, shuffle=False), vqvae_loss
    )["rec"]
)
print(f"codes used on the test set: {used}/{num_codes}, perplexity {perplexity:.1f}")
print(
    f"test reconstruction -log p(x|z_q): {vq_rec:.1f} nats; "
    f"each image is {idx_vq[0].numel()} codes = {idx_vq[0].numel() * math.log2(num_codes):.0f} bits"
)
compare_rows({"input": x_vq_test[:12], "VQ-VAE": torch.sigmoid(logits_vq[:12])})
plt.show()
plot_history(hist_vq, keys=("rec", "commitment"), title="VQ-VAE training", logy=True)
plt.show()
fig, ax = plt.subplots(1, 2, figsize=(8, 3))
ax[0].bar(range(num_codes), torch.bincount(idx_vq.flatten().cpu(), minlength=num_codes))
ax[0].set_xlabel("code")
ax[0].set_title("code usage (test set)")
ax[1].imshow(idx_vq[0].cpu(), cmap="tab20")
ax[1].set_title("code map of the first test digit")
ax[1].set_axis_off()
set_alt(
    fig,
    f"Left, bar chart of how often each of the {num_codes} codes is used on the "
    "test set; right, the grid of codes the first test digit is encoded as, one "
    "colour per code",
)
plt.tight_layout()
plt.show()

# %% [markdown]
# **The VAE's samples, judged as the course judges generated digits**
# (`coursework.classifier.digit_judge`, as notebooks 04 and 07 do: 04's
# classifier recipe, the training digits as reference, as many samples as
# held-out digits), so notebook 07's scoreboard can set them beside the
# other families. The VAE models *binarised* digits and its samples are
# pixel means; the judge compares them with the grey training digits.

# %%
judge = digit_judge(profile, x_train, y_train, x_test, y_test)
seed_everything(0)
vae_report = judge(vae.sample(judge.n_samples))
fd_real = judge(x_test[: judge.n_samples]).fd  # the floor, and the judge's fingerprint
print(
    f"VAE samples ({judge.n_samples}): Fréchet {vae_report.fd:.2f}, precision "
    f"{vae_report.precision:.3f}, recall {vae_report.recall:.3f}; held-out "
    f"digits {fd_real:.2f}"
)

# %% [markdown]
# ## Summary
#
# The figures the benchmark reports: the test-set negative ELBO and the
# negative IWAE bound with $K = 50$ (nats per binarised digit; lower is
# better), the accuracy of the logistic classifier on denoising-AE codes,
# the β-VAE's mutual information gap for β = 1 and the larger β, the linear
# AE's subspace overlap with PCA and the VQ-VAE codebook perplexity.

# %%
record_metrics(
    "03_vae",
    neg_elbo=-elbo_test,
    iwae50=-iwae[50],
    iwae5=-iwae[5],
    naive_mc50=-naive[50],
    pca_subspace_overlap=float(overlap),
    dae_feature_accuracy=feature_accuracy["denoising AE code"]["all labels"],
    pixel_accuracy=feature_accuracy["raw pixels"]["all labels"],
    mig_beta1=mig[betas[0]],
    mig_beta_high=mig[betas[-1]],
    vq_perplexity=perplexity,
    elbo_identity_max_abs_error=elbo_identity_max_abs_error,
    elbo_gap_nats=elbo_gap_nats,
    judge_samples=judge.n_samples,
    fd_real=fd_real,
    fd_vae=vae_report.fd,
    precision_vae=vae_report.precision,
    recall_vae=vae_report.recall,
)

# %%
# Your figures beside the course's: each metric's range over the benchmark's
# seeds in this profile (a metric far outside it names the section to look at).
from coursework.bands import compare_to_bands

compare_to_bands("03")
