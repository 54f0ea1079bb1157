# ---
# jupyter:
#   jupytext:
#     text_representation:
#       format_name: percent
# ---

# %% [markdown]
# # 06 · Multi-modal self-supervised learning
#
# The last lecture, after *Self-supervised learning for computer vision from
# images, video and audio, part 2: multi-modal learning* (University of
# Amsterdam) and the audio-visual part of Giró-i-Nieto's lecture on
# self-supervised learning (UPC *Deep Learning for AI*, 2019): learning from
# the natural correspondence between what is seen and what is heard. No labels are used to train any encoder in this
# notebook; the supervision is that a sound and the frames it came with
# belong together, *and happen at the same time*. We build the audio side
# (waveform, STFT, mel filters), then ask increasingly precise questions of
# the pair: does this sound belong to this clip (correspondence)? which sound
# in the batch belongs to it (contrastive learning, several positives)?
# which cluster do both belong to (self-labelling)? where in the frame does
# the sound come from (localisation)? Then retrieval, a modality ablation
# and three ways to fuse the modalities, and finally text as the third
# modality: zero-shot classification from class names, text-to-clip
# retrieval and MMV's comparison of VA, VT and VAT pretraining.
#
# Papers: Arandjelović & Zisserman, *Look, Listen and Learn* (ICCV 2017,
# arXiv:1705.08168) and *Objects that Sound* (ECCV 2018, arXiv:1712.06651);
# Korbar, Tran & Torresani, *Cooperative Learning of Audio and Video Models
# from Self-Supervised Synchronization* (NeurIPS 2018, arXiv:1807.00230);
# Radford et al., *CLIP* (ICML 2021, arXiv:2103.00020); Patrick et al.,
# *Multi-modal Self-Supervision from Generalized Data Transformations* (GDT,
# ICCV 2021, arXiv:2003.04298); Miech et al., *MIL-NCE* (CVPR 2020,
# arXiv:1912.06430); Han, Xie & Zisserman, *CoCLR* (NeurIPS 2020,
# arXiv:2010.09709); Asano et al., *SeLa* (ICLR 2020, arXiv:1911.05371) and
# *SeLaVi* (NeurIPS 2020, arXiv:2006.13662); Alayrac et al., *MMV* (NeurIPS
# 2020, arXiv:2006.16228).
#
# Every size below comes from the `profile`: `ci` runs in about a minute,
# `cpu` in about ten, `gpu` generates more and larger clips.

# %%
from coursework.runtime import record_metrics, seed_everything, setup

profile, device = setup()

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from IPython.display import Audio, display
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import normalized_mutual_info_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from coursework.data.audiovisual import COLOURS, KINDS, SCENES, make_clips
from coursework.exercises import check, hint  # noqa: F401  (hint: for you to call)
from coursework.multimodal import (
    FUSIONS,
    AudioVisual,
    AudioVisualText,
    Correspondence,
    Localiser,
    SelfLabelling,
    Vocabulary,
    crop_frames,
    crop_spectrogram,
    localisation_hits,
    log_mel_spectrogram,
    peak_positions,
    prompts,
    random_starts,
    shifted_starts,
    similarity_logits,
    similarity_map,
    soft_cross_entropy,
)
from coursework.multimodal.text import split_words
from coursework.plot import plot_history, set_alt
from coursework.plot.multimodal import (
    plot_filterbank,
    plot_localisation,
    plot_scores,
    plot_similarity,
    show_clip,
)
from coursework.train import TensorLoader, fit
from coursework.widgets.multimodal import clip_explorer

# %% [markdown]
# ## Data: clips whose sound is caused by what is seen
#
# Each generated clip shows one object bouncing around the frame. Every
# bounce off a wall is a visible event *and* an audible onset: a short
# decaying tone whose timbre and pitch belong to the object's kind (a pure
# sine for the circle, odd harmonics for the square, a bright stack of
# harmonics for the triangle, inharmonic bell partials for the cross), and
# whose loudness grows with the object's size and its speed into the wall.
# About half of the clips add a second, **silent** distractor of another
# kind, so "where does the sound come from?" has one right answer, and the
# sounding object's centre is recorded in every frame. Two attributes belong
# to one modality only: the *register* (the tones an octave up or not: heard,
# not seen) and the *scene* (the background: seen, not heard).
#
# The clips play at 8 frames per second with 8 kHz audio; the profile sets
# their number, length and frame size.

# %% tags=["data"]
n_train = 8 * profile.n_videos
n_test = 2 * profile.n_videos
train = make_clips(n_train, profile.frames, profile.frame_size, seed=0, device=device)
test = make_clips(n_test, profile.frames, profile.frame_size, seed=1, device=device)
sample_rate, fps = train.sample_rate, train.fps
print(
    f"train: {len(train)} clips, test: {len(test)} clips; video "
    f"{tuple(train.videos.shape[1:])} uint8 at {fps:g} fps, audio "
    f"{train.audio.shape[1]} samples "
    f"({train.audio.shape[1] / sample_rate:.1f} s at {sample_rate} Hz); "
    f"{train.distractor.float().mean():.0%} with a silent distractor"
)

# %% [markdown]
# ## 1. Audio as a modality
#
# A waveform is a sequence of air-pressure samples. Here is one clip: its
# frames, its waveform with the bounces marked in red (the onsets follow the
# visible wall hits), and a player.

# %%
example = int(torch.nonzero(train.distractor)[0])
show_clip(
    train.videos[example], train.audio[example], sample_rate, fps,
    onsets=train.onsets[example], title=train.captions[example],
)
plt.show()
display(Audio(train.audio[example].cpu().numpy(), rate=sample_rate))

# %% [markdown]
# **The short-time Fourier transform** cuts the waveform into overlapping
# windows of `n_fft` samples, `hop` samples apart, and takes the spectrum of
# each: $X[k, f] = \sum_n x[n + f\,\mathrm{hop}]\, w[n]\, e^{-2\pi i k n / N}$,
# with a Hann window $w$. We choose the hop so that four spectrogram frames
# cover one video frame: the audio and video time axes line up.
#
# **Mel filters.** Pitch perception is roughly logarithmic above a few
# hundred Hz. The mel scale $m(f) = 2595 \log_{10}(1 + f/700)$ captures
# this; a mel filterbank pools the power spectrum with $M$ triangles whose
# corners $f_0 < f_1 < \dots < f_{M+1}$ are evenly spaced in mel between
# $f_\min$ and $f_\max$. Filter $j$ (0-based) rises from 0 at $f_j$ to 1 at
# $f_{j+1}$ and falls back to 0 at $f_{j+2}$:
#
# $$W[k, j] = \max\Big(0,\ \min\Big(\frac{f^{(k)} - f_j}{f_{j+1} - f_j},\ \frac{f_{j+2} - f^{(k)}}{f_{j+2} - f_{j+1}}\Big)\Big), \qquad f^{(k)} = k \cdot \frac{\text{sample rate}}{n_\text{fft}}.$$
#
# The log-mel spectrogram is then $\log(W^\top |X|^2 + \epsilon)$.

# %% exercise="multimodal.mel_filterbank"
def mel_filterbank(
    n_mels: int, n_fft: int, sample_rate: int, f_min: float = 0.0,
    f_max: float | None = None,
) -> torch.Tensor:
    """Triangular filters evenly spaced in mel (HTK scale), peak value 1.

    Returns float32 weights of shape (n_fft // 2 + 1, n_mels): row k is the FFT
    bin at frequency k * sample_rate / n_fft, column j the filter j. f_max
    defaults to sample_rate / 2. Values are in [0, 1].
    """
    ### BEGIN SOLUTION
    f_max = sample_rate / 2 if f_max is None else f_max
    freqs = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    lo, hi = (2595 * math.log10(1 + f / 700) for f in (f_min, f_max))  # mel
    mels = torch.linspace(lo, hi, n_mels + 2, dtype=torch.float64)
    corners = 700 * (10 ** (mels / 2595) - 1)  # (M + 2,)
    lower, centre, upper = corners[:-2], corners[1:-1], corners[2:]
    f = freqs[:, None]
    rising = (f - lower) / (centre - lower)
    falling = (upper - f) / (upper - centre)
    return torch.minimum(rising, falling).clamp(min=0).float()
    ### END SOLUTION


# %%
check("multimodal.mel_filterbank", mel_filterbank)

# %% [markdown]
# With your filterbank we turn every waveform into a log-mel spectrogram, in
# one batched `torch.stft` on the device.

# %%
n_fft, n_mels = 512, 32
per_frame = 4  # spectrogram frames per video frame
hop = int(sample_rate / fps) // per_frame
filterbank = mel_filterbank(n_mels, n_fft, sample_rate).to(device)
spec_train = log_mel_spectrogram(train.audio, filterbank, n_fft, hop)
spec_test = log_mel_spectrogram(test.audio, filterbank, n_fft, hop)
print(f"log-mel spectrograms: train {tuple(spec_train.shape)} (B, M, F); hop {hop} "
      f"samples, {sample_rate / fps / hop:g} spectrogram frames per video frame")
plot_filterbank(filterbank, sample_rate)
plt.show()
show_clip(
    train.videos[example], train.audio[example], sample_rate, fps,
    onsets=train.onsets[example], spec=spec_train[example],
    title="the same clip with its log-mel spectrogram",
)
plt.show()

# %% [markdown]
# Each kind has its own timbre: the spectrogram of a bounce shows the
# partials as horizontal lines (a single one for the circle, a ladder for the
# triangle). One clip of each kind:

# %%
fig, axes = plt.subplots(1, len(KINDS), figsize=(2.4 * len(KINDS), 2.2))
for k, ax in enumerate(axes):
    i = int(torch.nonzero(train.kind == k)[0])
    ax.imshow(spec_train[i].cpu(), origin="lower", aspect="auto", cmap="magma")
    ax.set_title(f"{KINDS[k]} ({['low', 'high'][int(train.register[i])]})", fontsize=8)
    ax.set_xlabel("frame")
axes[0].set_ylabel("mel band")
set_alt(
    fig,
    f"Log-mel spectrograms of one training clip of each kind ({', '.join(KINDS)}), "
    "mel band up and frame across",
)
plt.tight_layout()
plt.show()

# %% [markdown]
# **Encoders and windows.** The video encoder is a small per-frame CNN (with
# two coordinate channels) followed by a temporal convolution; the audio
# encoder is a 1-D CNN over log-mel frames whose two stride-2 layers bring
# four spectrogram frames to one token. Both keep one token per video frame
# and end in a projection to a shared $D$-dimensional space. We train on
# windows of $W$ frames (printed below, in seconds) at a random start, and
# the audio of the same span; evaluation uses the centre window.

# %%
window = max(4, profile.frames // 4)
width = max(8, profile.width // 16)
dim = 4 * width
temperature = 0.1
epochs = max(2, profile.epochs // 4)
# the contrastive models get most of the budget: instance-level retrieval
# (find *this* clip among all test clips) is the hardest thing asked of them
contrastive_epochs = max(2, profile.epochs)
batch = profile.batch_size
centre = (profile.frames - window) // 2


def crop(videos, spec, start):
    """Video window and the audio of the same span."""
    return crop_frames(videos, start, window), crop_spectrogram(
        spec, start, window, per_frame
    )


def centre_windows(clips, spec):
    start = torch.full((len(clips),), centre, device=device)
    return crop(clips.videos, spec, start)


v_test, a_test = centre_windows(test, spec_test)
v_train_c, a_train_c = centre_windows(train, spec_train)


@torch.no_grad()
def encode(fn, *tensors, size=256):
    """Apply ``fn`` in evaluation mode, in chunks."""
    outs = [fn(*(t[i : i + size] for t in tensors)) for i in range(0, len(tensors[0]), size)]
    if isinstance(outs[0], tuple):
        return tuple(torch.cat(o) for o in zip(*outs))
    return torch.cat(outs)


model = AudioVisual(n_mels, width, dim).to(device)
v, a = model(v_test[:2], a_test[:2])
print(f"window {window} frames ({window / fps:g} s): video {tuple(v_test.shape[1:])}, audio "
      f"{tuple(a_test.shape[1:])} -> embeddings {tuple(v.shape)}, {tuple(a.shape)}; "
      f"{sum(p.numel() for p in model.parameters()):,} parameters")
loader = TensorLoader(train.videos, spec_train, batch_size=batch, drop_last=True)

# %% [markdown]
# ## 2. Audio-visual correspondence
#
# Arandjelović & Zisserman's first pretext task: given frames and a sound,
# say whether they come from the same clip. Positives are synchronised pairs
# $(v_i, a_i)$; negatives pair the frames with the sound of another clip.
# We use their AVE-Net head (*Objects that Sound*): the towers meet only
# through the Euclidean distance of the normalised embeddings (the distance,
# not its square), $\text{logit} = b - \lVert \hat v - \hat a\rVert/\tau$.
# AVE-Net feeds the distance to a small fully connected layer and a
# softmax; ours fixes the slope $1/\tau$ and learns the bias $b$. It is
# trained with binary cross-entropy on every pair of the batch ($B$ matched
# pairs, $B(B-1)$ mismatched ones, the matched ones weighted $B-1$ times so
# both classes count equally). We test on each clip with its own sound and
# with the sound of another clip. Some of those negatives (the share is
# printed; about one in four kinds) come from a clip of the *same kind*: for
# them, only the timing of the bounces differs.

# %%
def avc_loss(model, batch):
    videos, spec = batch
    n = videos.shape[0]
    start = random_starts(n, profile.frames, window, device)
    logits = model.all_pairs(*model.towers(*crop(videos, spec, start)))  # (B, B)
    matched = torch.eye(n, device=device)
    weight = torch.tensor(n - 1.0, device=device)
    return F.binary_cross_entropy_with_logits(logits, matched, pos_weight=weight)


seed_everything(0)
avc = Correspondence(n_mels, width, dim).to(device)
hist_avc = fit(avc, loader, avc_loss, torch.optim.Adam(avc.parameters(), lr=2e-3),
               epochs=2 * epochs, desc="AVC")
avc.eval()
other = torch.roll(torch.arange(len(test), device=device), 1)  # a fixed mismatch
match = encode(avc, v_test, a_test) > 0
mismatch = encode(avc, v_test, a_test[other]) <= 0
same_kind = test.kind == test.kind[other]
avc_acc = float(torch.cat([match, mismatch]).float().mean())
print(f"AVC accuracy (chance 0.5): {avc_acc:.3f}; matched pairs {match.float().mean():.3f}, "
      f"mismatched of another kind {mismatch[~same_kind].float().mean():.3f}, "
      f"of the same kind {mismatch[same_kind].float().mean():.3f} "
      f"({same_kind.float().mean():.0%} of the negatives)")

# %% [markdown]
# ## 3. Cross-modal contrastive learning
#
# CLIP's objective: in a batch of $B$ pairs, the matching sound of clip $i$
# must be picked out among all $B$ sounds, and vice versa. With
# $\ell_{ij} = \cos(v_i, a_j)/\tau$,
#
# $$\mathcal{L} = \frac{1}{2B}\sum_{i=1}^{B}\Big[-\log\frac{e^{\ell_{ii}}}{\sum_j e^{\ell_{ij}}} - \log\frac{e^{\ell_{ii}}}{\sum_j e^{\ell_{ji}}}\Big],$$
#
# the mean of a cross-entropy over the rows and over the columns of the
# $B \times B$ similarity matrix (no loop over pairs).

# %% exercise="multimodal.info_nce"
def info_nce(video: torch.Tensor, audio: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Symmetric InfoNCE (CLIP) of B pairs; row i of video and audio is a pair.

    video, audio: (B, D) float, not normalised (normalise them: cosine similarity).
    Returns a scalar: the mean of the video->audio and audio->video
    cross-entropies of the (B, B) logits cos(v_i, a_j) / temperature.
    """
    ### BEGIN SOLUTION
    logits = F.normalize(video, dim=1) @ F.normalize(audio, dim=1).T / temperature
    target = torch.arange(video.shape[0], device=video.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2
    ### END SOLUTION


# %%
check("multimodal.info_nce", info_nce)

# %% [markdown]
# **Hard negatives and GDT's choice.** The batch's other sounds are easy
# negatives: most differ in kind. A *hard* negative is the same clip's sound,
# shifted in time (Korbar et al.): the same timbre, the wrong moments. GDT
# (Patrick et al.) makes the point that each transformation of the data
# (here a time shift of the audio) is a choice: the representation can be
# made **invariant** to it (the shifted sound is still a positive) or
# **distinctive** to it (the shifted sound is a negative). We train both:
#
# * *invariant*: InfoNCE where clip $i$'s positive is its audio from an
#   independent random window;
# * *distinctive*: InfoNCE on synchronised windows, plus for each clip an
#   NCE between its synchronised audio $a_i$ and its shifted audio
#   $a_i'$: $-\log \frac{e^{\ell(v_i, a_i)}}{e^{\ell(v_i, a_i)} + e^{\ell(v_i, a_i')}}$.
#
# A **synchronisation probe** then reads each representation: a logistic
# regression on $v \odot a$ (frozen, normalised embeddings) that says whether
# the pair is synchronised or shifted, trained on training clips and tested
# on test clips (chance 0.5).

# %%
min_shift = max(1, window // 2)


def invariant_loss(model, batch):
    videos, spec = batch
    n = videos.shape[0]
    v = crop_frames(videos, random_starts(n, profile.frames, window, device), window)
    start_a = random_starts(n, profile.frames, window, device)  # any window: a positive
    a = crop_spectrogram(spec, start_a, window, per_frame)
    return info_nce(*model(v, a), temperature)


def distinctive_loss(model, batch):
    videos, spec = batch
    n = videos.shape[0]
    start = random_starts(n, profile.frames, window, device)
    shifted = shifted_starts(start, profile.frames, window, min_shift)
    v, a = model(*crop(videos, spec, start))
    a_shift = model.audio(crop_spectrogram(spec, shifted, window, per_frame))
    sync = (F.normalize(v, dim=1) * F.normalize(a, dim=1)).sum(1) / temperature
    off = (F.normalize(v, dim=1) * F.normalize(a_shift, dim=1)).sum(1) / temperature
    hard = F.softplus(off - sync).mean()  # -log e^sync / (e^sync + e^off)
    return {"loss": info_nce(v, a, temperature) + hard, "hard": hard}


contrastive = {}
histories = {}
for name, loss_fn in [("invariant", invariant_loss), ("distinctive", distinctive_loss)]:
    seed_everything(0)
    m = AudioVisual(n_mels, width, dim).to(device)
    histories[name] = fit(m, loader, loss_fn, torch.optim.Adam(m.parameters(), lr=2e-3),
                          epochs=contrastive_epochs, desc=name)
    contrastive[name] = m.eval()
plot_history(histories, title="contrastive loss")
plt.show()

# %%
def sync_pairs(clips, spec, seed):
    """Each clip's centre-ish video window with its synchronised and a shifted audio."""
    g = torch.Generator().manual_seed(seed)
    start = torch.randint(0, profile.frames - window + 1, (len(clips),), generator=g)
    start = start.to(device)
    torch.manual_seed(seed)
    shifted = shifted_starts(start, profile.frames, window, min_shift)
    v, a = crop(clips.videos, spec, start)
    return v, a, crop_spectrogram(spec, shifted, window, per_frame)


def sync_features(model, v, a, a_shift):
    ev, ea = encode(model, v, a)
    es = encode(model.audio, a_shift)
    x = torch.cat([F.normalize(ev, dim=1) * F.normalize(ea, dim=1),
                   F.normalize(ev, dim=1) * F.normalize(es, dim=1)]).cpu().numpy()
    y = np.r_[np.ones(len(v)), np.zeros(len(v))]
    return x, y


sync_train, sync_test = sync_pairs(train, spec_train, 0), sync_pairs(test, spec_test, 1)
sync_acc = {}
for name, m in contrastive.items():
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    probe.fit(*sync_features(m, *sync_train))
    sync_acc[name] = probe.score(*sync_features(m, *sync_test))
print({k: round(v, 3) for k, v in sync_acc.items()})
plot_scores(sync_acc, chance=0.5, title="synchronisation probe")
plt.show()

# %% [markdown]
# What to look for: the invariant model was trained to treat a shifted sound
# as a match, so its features need not keep the timing, and the probe should
# read synchronisation from them near chance; the distinctive model had to
# tell its own sound from the shifted one, so the probe should read it well
# above chance. Neither choice is "right": invariance suits a task that does
# not care about timing (what is sounding), distinctiveness one that does
# (is the soundtrack in sync?). Whether this run shows it, against the
# standard error of a probe at chance on these test pairs:

# %%
n_sync = len(sync_test[0]) * 2  # each test clip gives a synchronised and a shifted pair
sync_se = math.sqrt(0.25 / n_sync)
sync_expected = {
    "invariant": ("near chance", abs(sync_acc["invariant"] - 0.5) <= 2 * sync_se),
    "distinctive": ("well above chance", sync_acc["distinctive"] > 0.5 + 2 * sync_se),
}
sync_steps = contrastive_epochs * len(loader)
for name, (expectation, holds) in sync_expected.items():
    print(
        f"{name}: {sync_acc[name]:.3f} (chance 0.5, two standard errors "
        f"{2 * sync_se:.3f}): "
        + (
            f"{expectation}, as expected"
            if holds
            else f"not {expectation}: the {profile.name} profile ({sync_steps} steps of "
            f"{batch} clips, {n_sync} test pairs) is too small to show it"
        )
    )

# %% [markdown]
# ## 4. Multiple positives: MIL-NCE and CoCLR
#
# In real data the sound that goes with a window is often only roughly
# aligned (a narration comes before or after the action it describes).
# MIL-NCE keeps a *bag* $P_i$ of candidate positives (e.g. the neighbouring
# audio windows) and asks that some of them match:
#
# $$\mathcal{L}_i = -\log \frac{\sum_{p \in P_i} e^{\ell_{ip}}}{\sum_{p \in P_i} e^{\ell_{ip}} + \sum_{n \in N_i} e^{\ell_{in}}}.$$
#
# CoCLR uses the same formula, with the positive set mined from the other
# view's nearest neighbours. With $P_i = \{i\}$ it is InfoNCE's
# cross-entropy. Implement it for a logit matrix and a boolean mask of
# positives.

# %% exercise="multimodal.multi_positive_nce"
def multi_positive_nce(logits: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    """-log( sum over positives of exp(logits) / sum over all of exp(logits) ), mean.

    logits: (B, N) float; positives: (B, N) bool, at least one True per row.
    Returns a scalar: the mean over the B rows. Use logsumexp (stable).
    """
    ### BEGIN SOLUTION
    pos = torch.logsumexp(logits.masked_fill(~positives, float("-inf")), dim=1)
    return (torch.logsumexp(logits, dim=1) - pos).mean()
    ### END SOLUTION


# %%
check("multimodal.multi_positive_nce", multi_positive_nce)

# %% [markdown]
# **An experiment with misaligned pairs.** Each training video window now
# comes with audio whose alignment is off by a random $j \in \{-1, 0, 1\}$
# frames (we do not know $j$). Single-positive InfoNCE takes that one audio
# window as the positive; MIL-NCE takes the three windows at offsets
# $-1, 0, +1$ from the given one as a bag of candidates, so the truly aligned
# window is always in the bag, next to two misaligned ones. Both are
# evaluated by retrieval on aligned test pairs in section 7, with your
# Recall@K.

# %%
offsets = torch.tensor([-1, 0, 1], device=device)


def jittered(start_v, n):
    """The audio start we are given: off by a random -1, 0 or +1 frames."""
    j = offsets[torch.randint(0, 3, (n,), device=device)]
    return (start_v + j).clamp(0, profile.frames - window)


def infonce_noisy_loss(model, batch):
    videos, spec = batch
    n = videos.shape[0]
    start_v = random_starts(n, profile.frames, window, device)
    v = crop_frames(videos, start_v, window)
    a = crop_spectrogram(spec, jittered(start_v, n), window, per_frame)
    return info_nce(*model(v, a), temperature)


def milnce_loss(model, batch):
    videos, spec = batch
    n = videos.shape[0]
    start_v = random_starts(n, profile.frames, window, device)
    given = jittered(start_v, n)
    v = model.video(crop_frames(videos, start_v, window))
    bag = (given.view(n, 1) + offsets.view(1, 3)).clamp(0, profile.frames - window)
    a = model.audio(crop_spectrogram(spec.repeat_interleave(3, 0), bag.flatten(),
                                     window, per_frame))  # (B 3, D)
    logits = similarity_logits(v, a, temperature)  # (B, B 3)
    owner = torch.arange(n, device=device).repeat_interleave(3)
    positives = owner.view(1, -1) == torch.arange(n, device=device).view(-1, 1)
    # audio -> video: each sound's own clip, one positive
    back = F.cross_entropy(logits.T, owner)
    return 0.5 * (multi_positive_nce(logits, positives) + back)


noisy_models = {}
for name, loss_fn in [("InfoNCE", infonce_noisy_loss), ("MIL-NCE", milnce_loss)]:
    seed_everything(0)
    m = AudioVisual(n_mels, width, dim).to(device)
    fit(m, loader, loss_fn, torch.optim.Adam(m.parameters(), lr=2e-3),
        epochs=contrastive_epochs, desc=name)
    noisy_models[name] = m.eval()

# %% [markdown]
# ## 5. Self-labelling: clusters shared across modalities
#
# SeLa turns clustering into classification with pseudo-labels $Q$ that
# agree with the network's predictions $P$ *and* split the data equally
# among the $K$ clusters (otherwise everything collapses into one cluster):
# $\max_Q \langle Q, \log P\rangle + \epsilon H(Q)$ subject to
# $Q\mathbf{1} = \mathbf{1}$ (one label per sample) and
# $Q^\top\mathbf{1} = \frac{B}{K}\mathbf{1}$ (equal clusters). The solution
# is $Q = \mathrm{diag}(u)\, P^{1/\epsilon}\, \mathrm{diag}(v)$, found by the
# Sinkhorn-Knopp algorithm: alternately rescale the columns to sum to $B/K$
# and the rows to sum to 1. SeLaVi shares one $Q$ between the video and the
# audio heads, computed from the mean of their log-probabilities. (To save
# compute, our two towers start from the *invariant* contrastive model of
# section 3: which kind is sounding does not depend on when, so GDT's
# argument says to start from features that ignore time shifts. SeLaVi
# itself trains from scratch for many epochs.) Work in
# the log domain: $\log Q$ starts at $\text{scores}/\epsilon$, and each
# rescaling subtracts a `logsumexp`.

# %% exercise="multimodal.sinkhorn"
def sinkhorn(scores: torch.Tensor, n_iters: int = 3, epsilon: float = 0.05) -> torch.Tensor:
    """Sinkhorn-Knopp pseudo-labels with equal cluster sizes.

    scores: (B, K) float log-probabilities. Start from log Q = scores / epsilon;
    each iteration rescales columns to sum to B / K, then rows to sum to 1.
    Returns Q = exp(log Q), (B, K), detached (no gradient), same dtype.
    """
    ### BEGIN SOLUTION
    b, k = scores.shape
    log_q = scores.detach() / epsilon
    for _ in range(n_iters):
        log_q = log_q - torch.logsumexp(log_q, 0, keepdim=True) + math.log(b / k)
        log_q = log_q - torch.logsumexp(log_q, 1, keepdim=True)
    return log_q.exp()
    ### END SOLUTION


# %%
check("multimodal.sinkhorn", sinkhorn)

# %%
n_clusters = len(KINDS)


def selavi_loss(model, batch):
    videos, spec = batch
    start = random_starts(videos.shape[0], profile.frames, window, device)
    logits_v, logits_a = model(*crop(videos, spec, start))
    scores = (F.log_softmax(logits_v, 1) + F.log_softmax(logits_a, 1)) / 2
    q = sinkhorn(scores.float())  # shared by both modalities
    return soft_cross_entropy(logits_v, q) + soft_cross_entropy(logits_a, q)


seed_everything(0)
selavi = SelfLabelling(n_mels, width, dim, n_clusters).to(device)
# start from the time-shift invariant towers: cheaper than from scratch
selavi.towers.load_state_dict(contrastive["invariant"].state_dict())
fit(selavi, loader, selavi_loss, torch.optim.Adam(selavi.parameters(), lr=2e-3),
    epochs=epochs, desc="SeLaVi")
selavi.eval()
logits_v, logits_a = encode(selavi, v_test, a_test)
clusters = (F.log_softmax(logits_v, 1) + F.log_softmax(logits_a, 1)).argmax(1).cpu()
selavi_nmi = normalized_mutual_info_score(test.kind.cpu(), clusters)

seed_everything(0)
random_net = AudioVisual(n_mels, width, dim).to(device).eval()
rand_features = torch.cat(
    [encode(random_net.video.features, v_test), encode(random_net.audio.features, a_test)], 1
)
rand_features = StandardScaler().fit_transform(rand_features.cpu().numpy())
kmeans = KMeans(n_clusters, n_init=10, random_state=0).fit(rand_features)
random_nmi = normalized_mutual_info_score(test.kind.cpu(), kmeans.labels_)
start_net = contrastive["invariant"]
start_features = torch.cat(
    [encode(start_net.video, v_test), encode(start_net.audio, a_test)], 1
)
start_features = StandardScaler().fit_transform(start_features.cpu().numpy())
kmeans = KMeans(n_clusters, n_init=10, random_state=0).fit(start_features)
start_nmi = normalized_mutual_info_score(test.kind.cpu(), kmeans.labels_)
print(f"NMI with the true kinds: SeLaVi {selavi_nmi:.3f}; k-means on random features "
      f"{random_nmi:.3f}, on the contrastive embeddings SeLaVi started from "
      f"{start_nmi:.3f}")
print("cluster sizes:", torch.bincount(clusters, minlength=n_clusters).tolist())
table = torch.zeros(n_clusters, len(KINDS), dtype=torch.long)
table.index_put_((clusters, test.kind.cpu()), torch.ones_like(clusters), accumulate=True)
print("rows: cluster, columns:", KINDS, "\n", table)

# %% [markdown]
# The random baseline is not weak: a log-mel spectrogram already separates
# the timbres, so even k-means on random features can find much of the kind. SeLaVi
# needs many epochs with Sinkhorn labels recomputed as the network improves;
# with a few epochs and per-batch labels its clusters can follow other shared
# factors (loudness, the timing of bounces) as well as the kind. The table
# shows which clusters hold which kinds in this run.

# %% [markdown]
# ## 6. Sound-source localisation
#
# *Objects that Sound* (its AVOL-Net) compares the audio embedding $a$ with
# the visual embedding at every position of the feature map of **one
# frame**, $v(x, y)$: the similarities form a heatmap, and the score of the
# pair is its **maximum over positions** (the sound comes from somewhere;
# multiple-instance learning), trained with the binary correspondence loss
# of section 2 (as the diagram of *Objects that Sound* on the slide "Use
# audio and visual features" of Giró-i-Nieto's lecture shows: a single
# frame and 1 s of audio, "correspond: yes/no"). Afouras et al.
# (*Self-supervised object detection from audio-visual correspondence*,
# CVPR 2022) keep the maximum over positions but train it contrastively:
# an NCE between the maximum of the heatmap of the clip's own sound and
# that of another clip's sound (the slide "Ingredient 1: training heat
# maps" of the multi-modal lecture named at the top). We follow the contrastive form, with two choices of our own: a
# clip's score averages the per-frame maxima over the frames of its window,
#
# $$S_{ij} = \frac{1}{T}\sum_t \max_{x,y} \cos\big(a_i, v_{j,t}(x, y)\big),$$
#
# and the $B \times B$ score matrix is trained with the symmetric NCE of
# section 3 (every other clip of the batch a negative). Implement $S$ for
# all pairs at once, with one `einsum`.

# %% exercise="multimodal.max_over_positions"
def max_over_positions(audio: torch.Tensor, feature_map: torch.Tensor) -> torch.Tensor:
    """S[i, j] = mean over t of the max over (y, x) of cos(audio[i], map[j, t, :, y, x]).

    audio: (B, D) float; feature_map: (B2, T, D, H, W) float (D is dim 2).
    Returns (B, B2) in [-1, 1]. Normalise along D; no Python loop over pairs.
    """
    ### BEGIN SOLUTION
    a = F.normalize(audio, dim=-1)
    v = F.normalize(feature_map, dim=2)
    sim = torch.einsum("id,jtdhw->ijthw", a, v)
    return sim.flatten(3).max(3).values.mean(2)
    ### END SOLUTION


# %%
check("multimodal.max_over_positions", max_over_positions)

# %%
def localisation_loss(model, batch):
    videos, spec = batch
    start = random_starts(videos.shape[0], profile.frames, window, device)
    audio, maps = model(*crop(videos, spec, start))
    logits = max_over_positions(audio, maps) / temperature  # (B, B): audio x clip
    target = torch.arange(logits.shape[0], device=device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


seed_everything(0)
localiser = Localiser(n_mels, width, dim).to(device)
fit(localiser, loader, localisation_loss,
    torch.optim.Adam(localiser.parameters(), lr=2e-3), epochs=epochs,
    desc="localisation")
localiser.eval()
audio_emb, maps = encode(localiser, v_test, a_test)
heatmaps = similarity_map(audio_emb, maps)  # (N, W, h, w)
peaks = peak_positions(heatmaps)
truth = crop_frames(test.position, torch.full((len(test),), centre, device=device), window)
cell = 1 / heatmaps.shape[-1]
hits = localisation_hits(peaks, truth, test.radius, cell)
prior = localisation_hits(torch.full_like(peaks, 0.5), truth, test.radius, cell)
localisation_acc, centre_prior_acc = float(hits.float().mean()), float(prior.float().mean())
two = test.distractor
print(f"localisation accuracy (peak on the sounding object, all frames): "
      f"{localisation_acc:.3f}; centre prior {centre_prior_acc:.3f}")
print(f"  clips with a silent distractor: {hits[two].float().mean():.3f}; "
      f"without: {hits[~two].float().mean():.3f}")

# %%
shown = torch.nonzero(two)[:4, 0]
plot_localisation(v_test[shown], heatmaps[shown], truth[shown], peaks[shown],
                  captions=[test.captions[i] for i in shown.tolist()])
plt.show()

# %% [markdown]
# **Explore**: pick a clip, hear it, and see where the localiser hears it
# from (white ring: the sounding object; the heatmap: cosine similarity of
# the audio with each position).

# %%
audio_test_windows = torch.stack([
    test.audio[i, int(centre * sample_rate / fps) : int((centre + window) * sample_rate / fps)]
    for i in range(len(test))
])
explorer = clip_explorer(v_test, audio_test_windows, heatmaps, sample_rate,
                         test.captions, centres=truth)
explorer.widget if explorer is not None else None

# %% [markdown]
# ## 7. Cross-modal retrieval
#
# Query with a sound, rank all test clips by cosine similarity, and see
# whether the right clip comes first (and the other way round). Recall@K is
# the fraction of queries whose match ranks in the top $K$; a query's rank is
# the number of *other* items that score at least as high as its match (ties
# count against it). Chance is $K/N$.

# %% exercise="multimodal.recall_at_k"
def recall_at_k(similarity: torch.Tensor, k: int) -> torch.Tensor:
    """Fraction of rows whose diagonal entry is among the row's top k.

    similarity: (N, N) float, row = query, column = gallery item, match on the
    diagonal. rank_i = number of j != i with similarity[i, j] >= similarity[i, i].
    Returns a float32 scalar tensor in [0, 1]: mean of (rank_i < k).
    """
    ### BEGIN SOLUTION
    diag = similarity.diagonal()[:, None]
    rank = (similarity >= diag).sum(1) - 1
    return (rank < k).float().mean()
    ### END SOLUTION


# %%
check("multimodal.recall_at_k", recall_at_k)

# %%
ev, ea = encode(contrastive["distinctive"], v_test, a_test)
sim = similarity_logits(ev, ea, 1.0)  # rows: video, columns: audio
recall = {
    f"{d} R@{k}": float(recall_at_k(s, k))
    for k in (1, 5, 10) for d, s in [("a2v", sim.T), ("v2a", sim)]
}
print({k: round(v, 3) for k, v in recall.items()}, f"chance R@1 = {1 / len(test):.3f}")
fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
plot_similarity(sim, test.kind, KINDS, ax=axes[0], title="cosine similarity, by kind")
plot_scores(recall, ax=axes[1], title="Recall@K", ylabel="recall")
set_alt(
    fig,
    "Left, heat map of the cosine similarity between test videos (rows) and "
    "sounds (columns), grouped by kind. Right, bar chart of retrieval recall: "
    + "; ".join(f"{k} {v:.2f}" for k, v in recall.items()),
)
plt.tight_layout()
plt.show()

# %% [markdown]
# Back to section 4: the models trained on misaligned pairs, Recall@1 on the
# aligned test pairs, averaged over the two directions.

# %%
noisy = {}
for name, m in noisy_models.items():
    s = similarity_logits(*encode(m, v_test, a_test), 1.0)
    noisy[name] = float((recall_at_k(s, 1) + recall_at_k(s.T, 1)) / 2)
print({k: round(v, 3) for k, v in noisy.items()}, f"(chance {1 / len(test):.3f})")

# %% [markdown]
# Both models saw the same misaligned pairs for the same number of steps.
# MIL-NCE's bag always holds the aligned window, so it can learn timing that
# single-positive InfoNCE only sees blurred. With windows of a few frames
# and a short training run, both recalls here stay small; compare them with
# the chance level printed beside them, and with the recall of the model
# trained on aligned pairs above, before reading much into their difference.

# %% [markdown]
# ## 8. The modality ablation, and fusion
#
# Which modality holds the answer depends on the question. This is a
# probe of *one* pretrained model, asked with the video features, the audio
# features and both; it is not MMV's Table 1, which pretrains with different
# sets of modalities (VA, VT, VAT) and compares the networks they give
# (section 9 does that in miniature). Our label is the pair (scene,
# register), four classes: the scene is only seen, the register only heard,
# so each modality alone can expect no more than the ceiling printed below
# (it knows one bit and can only guess the other) and only both can reach
# 100 %. We probe the frozen representations (before the
# projection) of the distinctive contrastive model with a logistic
# regression.

# %%
label_train, label_test = train.label.cpu().numpy(), test.label.cpu().numpy()
net = contrastive["distinctive"]
feats = {
    "V": (encode(net.video.features, v_train_c), encode(net.video.features, v_test)),
    "A": (encode(net.audio.features, a_train_c), encode(net.audio.features, a_test)),
}
feats["V+A"] = tuple(torch.cat([fv, fa], 1) for fv, fa in zip(feats["V"], feats["A"]))
probe_acc = {}
for name, (x_tr, x_te) in feats.items():
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    probe.fit(x_tr.cpu().numpy(), label_train)
    probe_acc[name] = probe.score(x_te.cpu().numpy(), label_test)
# the best one modality can do: know one bit, guess the other's majority
counts = np.bincount(label_test, minlength=4).reshape(2, 2)  # (scene, register)
ceiling = {"V": counts.max(1).sum() / len(label_test),  # knows the scene
           "A": counts.max(0).sum() / len(label_test)}  # knows the register
chance_label = np.bincount(label_test, minlength=4).max() / len(label_test)
print({k: round(v, 3) for k, v in probe_acc.items()},
      f"(majority class {chance_label:.3f}; expected ceiling of video alone "
      f"{ceiling['V']:.3f}, of audio alone {ceiling['A']:.3f}: on a small test set "
      "a lucky guess of the unseen bit can pass it)")

# %% [markdown]
# A caveat: contrastive learning keeps what the two modalities *share*, and
# our label was built from what they do not share (the scene is only seen,
# the register only heard). How much of each survives in the representation
# is not guaranteed; the probes above measure how much did in this run. Each
# single-modality probe is capped by construction (the ceilings printed
# above: it knows one bit and must guess the other), so only V+A can go
# clearly beyond it.

# %% [markdown]
# **Fusion.** Three ways to combine the frozen token sequences (one token
# per frame from each encoder) for the same label: *early* fusion joins the
# two tokens of each time step and processes them together; *late* fusion
# gives each modality its own classifier and adds their logits;
# *cross-attention* is a small transformer block in which the video tokens
# attend to the audio tokens and vice versa.

# %%
tokens_train = (encode(net.video.tokens, v_train_c), encode(net.audio.tokens, a_train_c))
tokens_test = (encode(net.video.tokens, v_test), encode(net.audio.tokens, a_test))
y_train, y_test = train.label, test.label


def fusion_loss(model, batch):
    tv, ta, y = batch
    return F.cross_entropy(model(tv, ta), y)


fusion_acc = {}
for name, cls in FUSIONS.items():
    seed_everything(0)
    head = cls(net.video.channels, net.audio.channels, dim, 4).to(device)
    fit(head, TensorLoader(*tokens_train, y_train, batch_size=batch), fusion_loss,
        torch.optim.Adam(head.parameters(), lr=3e-3), epochs=3 * epochs, desc=name)
    pred = encode(head.eval(), *tokens_test).argmax(1)
    fusion_acc[name] = float((pred == y_test).float().mean())
print({k: round(v, 3) for k, v in fusion_acc.items()})
fig, axes = plt.subplots(1, 2, figsize=(7, 2.8))
plot_scores({f"probe {k}": v for k, v in probe_acc.items()}, chance=0.25, ax=axes[0],
            title="linear probes")
plot_scores(fusion_acc, chance=0.25, ax=axes[1], title="fusion (frozen tokens)")
set_alt(
    fig,
    "Two bar charts of test accuracy against chance 0.25 (dashed): linear probes "
    + "; ".join(f"{k} {v:.2f}" for k, v in probe_acc.items())
    + "; and fusion "
    + "; ".join(f"{k} {v:.2f}" for k, v in fusion_acc.items()),
)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 9. Text, the third modality
#
# The multi-modal lecture is mostly audio-visual (GDT, audio-visual
# clustering, object detection from sound), but it also brings in language:
# CLIP pairs images with sentences, MIL-NCE pairs video with narrations,
# MMV adds text to video and audio, and multimodal transformers (ViLBERT,
# UNITER, VATT, Flamingo) close it. Every generated clip carries a
# templated caption that names what is seen and heard. We build a closed
# **vocabulary** from the training captions (id 0 pads a short sentence, id
# 1 stands for a word the captions never use) and a tiny **text encoder**:
# word and position embeddings, one transformer block whose attention skips
# the padding, a mean over the real tokens and a projection into the same
# $D$-dimensional space. No weights
# are downloaded. Word order matters here: "a red circle ..., next to a
# silent square" and "a red square ..., next to a silent circle" hold the
# same words, so a bag of words could not tell which object sounds.

# %%
vocab = Vocabulary.build(train.captions)
max_len = max(len(split_words(c)) for c in train.captions + test.captions)
ids_train, mask_train = (t.to(device) for t in vocab.encode(train.captions, max_len))
ids_test, mask_test = (t.to(device) for t in vocab.encode(test.captions, max_len))
print(f"{len(vocab)} tokens: {vocab.words}")
print(f"'{train.captions[example]}'\n -> ids {ids_train[example].tolist()} "
      f"(mask: {int(mask_train[example].sum())} of {max_len} are words)")

# %% [markdown]
# **MMV's modality table, in miniature.** Alayrac et al. pretrain the same
# networks with different sets of modalities and compare what each gives
# downstream (their Table 1: VA, VT and VAT pretraining, and ways to embed
# three modalities, evaluated by video classification on UCF101 and HMDB51,
# zero-shot text-to-video retrieval on YouCook2 and MSRVTT, and audio
# classification on ESC-50). We
# do the same with three copies of one initialisation, each trained with
# CLIP's symmetric InfoNCE on its pairs for the same number of steps: **VA**
# (video with audio), **VT** (video with text) and **VAT** (video with audio,
# video with text, audio with text), all in one shared space (MMV's
# *shared* design; its best, *fine-and-coarse*, keeps a separate space for
# video and audio). MMV trains the pairs VA and VT only; we add the AT pair so
# that the audio tower meets text directly and can be classified zero-shot.

# %%
PAIRS = {
    "VA": [("video", "audio")],
    "VT": [("video", "text")],
    "VAT": [("video", "audio"), ("video", "text"), ("audio", "text")],
}


def pairs_loss(pairs):
    """The sum of CLIP's InfoNCE over the given modality pairs of a batch."""
    used = {m for pair in pairs for m in pair}

    def loss(model, batch):
        videos, spec, ids, mask = batch
        start = random_starts(videos.shape[0], profile.frames, window, device)
        v, a = crop(videos, spec, start)
        emb = {}
        if "video" in used:
            emb["video"] = model.video(v)
        if "audio" in used:
            emb["audio"] = model.audio(a)
        if "text" in used:
            emb["text"] = model.text(ids, mask)
        terms = {f"{x[0]}{y[0]}": info_nce(emb[x], emb[y], temperature) for x, y in pairs}
        return {"loss": sum(terms.values()), **terms}

    return loss


text_loader = TensorLoader(train.videos, spec_train, ids_train, mask_train,
                           batch_size=batch, drop_last=True)
mmv, mmv_histories = {}, {}
for name, pairs in PAIRS.items():
    seed_everything(0)
    m = AudioVisualText(n_mels, width, dim, len(vocab), max_len).to(device)
    mmv_histories[name] = fit(m, text_loader, pairs_loss(pairs),
                              torch.optim.Adam(m.parameters(), lr=2e-3),
                              epochs=contrastive_epochs, desc=name)
    mmv[name] = m.eval()
print(f"each variant: {contrastive_epochs * len(text_loader)} steps of {batch} clips")
plot_history(mmv_histories, title="InfoNCE summed over the pairs")
plt.show()

# %% [markdown]
# **Zero-shot classification.** CLIP classifies without a single labelled
# example: put each class name into a few prompt templates, embed the
# prompts with the text encoder, average the normalised prompt embeddings
# of each class (CLIP's prompt ensembling, done in the embedding space),
# normalise again, and score a clip by its cosine with each class:
#
# $$c_k = \frac{\bar t_k}{\lVert \bar t_k\rVert},\quad \bar t_k = \frac1P\sum_{p=1}^P \frac{t_{kp}}{\lVert t_{kp}\rVert}, \qquad \ell_{nk} = \frac{\cos(x_n, c_k)}{\tau}.$$
#
# The classes are the four kinds of sounding object. Implement the logits
# from the text embeddings of the prompts.

# %% exercise="multimodal.zero_shot_logits"
def zero_shot_logits(
    clips: torch.Tensor, prompt_embeddings: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """CLIP zero-shot logits of N clips over K classes.

    clips: (N, D) float clip embeddings, not normalised.
    prompt_embeddings: (K, P, D) float text embeddings of P prompts per class.
    Normalise every prompt, average the P of a class, normalise again (K, D);
    return (N, K): cosine of each (normalised) clip with each class / temperature.
    """
    ### BEGIN SOLUTION
    classes = F.normalize(F.normalize(prompt_embeddings, dim=-1).mean(1), dim=-1)
    return F.normalize(clips, dim=-1) @ classes.T / temperature
    ### END SOLUTION


# %%
check("multimodal.zero_shot_logits", zero_shot_logits)

# %% [markdown]
# With your function, the zero-shot classifiers of the VAT model: one for
# video, with prompts that describe what is seen, and one for audio, with
# prompts that describe a sound. Words outside the captions' vocabulary
# become the unknown token, whose embedding was never trained. Beside each
# we print chance and a linear probe (a logistic regression trained *with*
# the labels on the same frozen features before the projection).

# %%
TEMPLATES = {
    "video": ["a {} bounces", "a {} bounces indoors", "a {} bounces outdoors"],
    "audio": ["a sound of a {}", "a {} with a low sound", "a {} with a high sound"],
}
unknown = sorted({w for ts in TEMPLATES.values() for t in ts for w in split_words(t)}
                 - set(vocab.words))
print("prompt words the captions never use (-> <unk>):", unknown)
kind_train, kind_test = train.kind.cpu().numpy(), test.kind.cpu().numpy()
vat = mmv["VAT"]
towers = {"video": (vat.video, v_train_c, v_test), "audio": (vat.audio, a_train_c, a_test)}
zeroshot_acc, kind_probe_acc = {}, {}
for modality, templates in TEMPLATES.items():
    tower, x_train, x_test = towers[modality]
    sentences = prompts(templates, KINDS)
    text_emb = encode(vat.text, *(t.to(device) for t in vocab.encode(sentences, max_len)))
    logits = zero_shot_logits(encode(tower, x_test), text_emb.view(len(KINDS), -1, dim))
    zeroshot_acc[modality] = float((logits.argmax(1).cpu() == test.kind.cpu()).float().mean())
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    probe.fit(encode(tower.features, x_train).cpu().numpy(), kind_train)
    kind_probe_acc[modality] = probe.score(encode(tower.features, x_test).cpu().numpy(),
                                           kind_test)
    print(f"{modality}: zero-shot {zeroshot_acc[modality]:.3f}, linear probe "
          f"{kind_probe_acc[modality]:.3f}, chance {1 / len(KINDS):.3f}; e.g. "
          f"{sentences[:len(templates)]}")

# %% [markdown]
# **Text-to-clip retrieval.** Query with each test caption and rank the
# test clips by the cosine of its text embedding with their *video*
# embedding (VAT model). Captions are templated, so several clips share one,
# and the video cannot see the register (a caption's "low" or "high"); a
# clip that matches the query just as well as its own counts against it.
# The best a model can expect is then $1/m$ for a query whose visible
# description fits $m$ test clips: we print the mean of it beside R@1.

# %%
text_test = encode(vat.text, ids_test, mask_test)
video_test = encode(vat.video, v_test)
sim_t2v = similarity_logits(text_test, video_test, 1.0)  # rows: captions, columns: clips
recall_t2v = {f"R@{k}": float(recall_at_k(sim_t2v, k)) for k in (1, 5, 10)}
seen = torch.stack([test.kind, test.colour, test.scene, test.distractor_kind], 1).cpu()
same_seen = (seen[:, None] == seen[None]).all(-1).sum(1).float()  # m per query
same_caption = torch.tensor([test.captions.count(c) for c in test.captions]).float()
print(f"text -> video: {({k: round(v, 3) for k, v in recall_t2v.items()})}; "
      f"chance R@1 {1 / len(test):.3f}")
print(f"R@1 ceiling: {float((1 / same_seen).mean()):.3f} (identical visible "
      f"description), {float((1 / same_caption).mean()):.3f} (identical caption)")

# %% [markdown]
# **The table: what each pretraining gives the video network.** A linear
# probe on the frozen video features (before the projection) of each
# model, for three things a caption names: the kind of the sounding object
# (heard and seen), its colour and the scene (seen only, and named only by
# the text). A randomly initialised video network is the floor.

# %%
attributes = {"kind": KINDS, "colour": COLOURS, "scene": SCENES}
seed_everything(0)
video_nets = {"random": AudioVisualText(n_mels, width, dim, len(vocab), max_len)
              .to(device).eval()}
video_nets.update(mmv)
mmv_probe = {a: {} for a in attributes}
for name, m in video_nets.items():
    x_tr = encode(m.video.features, v_train_c).cpu().numpy()
    x_te = encode(m.video.features, v_test).cpu().numpy()
    for attr in attributes:
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
        probe.fit(x_tr, getattr(train, attr).cpu().numpy())
        mmv_probe[attr][name] = probe.score(x_te, getattr(test, attr).cpu().numpy())
print(f"{'video probe':>12}" + "".join(f"{n:>9}" for n in video_nets))
for attr, row in mmv_probe.items():
    print(f"{attr:>12}" + "".join(f"{v:9.3f}" for v in row.values())
          + f"   (chance {1 / len(attributes[attr]):.2f})")
kind_row = {k: v for k, v in mmv_probe["kind"].items() if k != "random"}
best = max(kind_row, key=kind_row.get)
stderr = math.sqrt(kind_row[best] * (1 - kind_row[best]) / len(test))
print(f"kind: best pretraining {best} ({kind_row[best]:.3f}); one standard error "
      f"of a probe accuracy on {len(test)} clips is about {stderr:.3f}")
fig, axes = plt.subplots(1, 3, figsize=(10, 2.8))
plot_scores({**{f"zero-shot {k}": v for k, v in zeroshot_acc.items()},
             **{f"probe {k}": v for k, v in kind_probe_acc.items()}},
            chance=1 / len(KINDS), ax=axes[0], title="kind: zero-shot vs probe (VAT)")
plot_scores(recall_t2v, chance=1 / len(test), ax=axes[1], title="text -> video",
            ylabel="recall")
plot_scores(mmv_probe["kind"], chance=1 / len(KINDS), ax=axes[2],
            title="video probe (kind) by pretraining")
set_alt(
    fig,
    "Three bar charts with chance dashed: object-kind accuracy zero-shot from "
    "text and by linear probe; text-to-video recall; and the video probe by "
    "pretraining modalities: "
    + "; ".join(f"{k} {v:.2f}" for k, v in mmv_probe["kind"].items()),
)
plt.tight_layout()
plt.show()

# %% [markdown]
# **Reading the results.** The audio classifier's zero-shot accuracy should
# sit close to its linear probe: the kind is what the sound is made of. The
# video's is lower, and so is its probe, for two reasons: the objects are
# only a few pixels across, and in a clip with a silent distractor the
# frames show two objects with nothing in them to say which one sounds. The
# second reason alone caps a video reader at about the value printed below
# (it would know both shapes and guess between them). Our
# captions are generated from the same ground truth as the labels, which
# makes zero-shot classification far easier than in CLIP, whose captions are
# noisy web text; what carries over is the mechanism: the classifier's
# weights are text embeddings, and no labelled clip was used.
#
# In the table, VA can only keep what the sound also carries: colour and
# scene are silent, so the VA model has no reason to keep them, and its
# probes for them can fall below those of the random network (contrastive
# learning discards what the other modality cannot predict). VT keeps what
# the captions name, colour and scene included. MMV found that combining
# the modalities helps the video network (VAT above VA and VT on UCF101 and
# HMDB51). Our kind row is the like-for-like comparison; read its
# differences against the standard error printed beside it: on a few
# hundred test clips, a few points is noise, and the order can change with
# the seed. We report it as it came out, not tuned; the last lines below
# say whether this run shows the audio's zero-shot accuracy near its probe
# and VAT above VA and VT.

# %%
share = float(test.distractor.float().mean())
print(f"clips with a distractor: {share:.0%}; a video-only reader that knew both "
      f"shapes and guessed which one sounds would reach about {1 - share / 2:.2f}")
small = (f"the {profile.name} profile ({contrastive_epochs * len(text_loader)} steps "
         f"of {batch} clips, {len(test)} test clips) is too small to show it")
gap = zeroshot_acc["audio"] - kind_probe_acc["audio"]
audio_se = math.sqrt(kind_probe_acc["audio"] * (1 - kind_probe_acc["audio"]) / len(test))
print(f"audio: zero-shot {zeroshot_acc['audio']:.3f}, {gap:+.3f} from its probe: "
      + ("close to it (within two standard errors, "
         f"{2 * audio_se:.3f}), as expected" if abs(gap) <= 2 * audio_se
         else f"not close to it (two standard errors: {2 * audio_se:.3f}): {small}"))
vat_gain = kind_row["VAT"] - max(kind_row["VA"], kind_row["VT"])
print(f"kind probe: VAT {vat_gain:+.3f} from the better of VA and VT: "
      + (f"above both by more than a standard error ({stderr:.3f}), as MMV found"
         if vat_gain > stderr
         else f"not above both by more than a standard error ({stderr:.3f}): {small}"))

# %% [markdown]
# ## Summary
#
# The figures the benchmark reports, all on the generated test clips:
# correspondence accuracy; Recall@1 and @5 of the distinctive contrastive
# model in both directions; the synchronisation probe on the invariant and
# the distinctive representation; Recall@1 of MIL-NCE and InfoNCE trained on
# misaligned pairs; the NMI of SeLaVi's clusters and of k-means on random
# features with the true kinds; localisation accuracy and the centre prior;
# the linear probes and the three fusions; and for text, the zero-shot
# accuracy of video and audio with their linear probes, text-to-video
# Recall@1 and @5, and the kind probe of the video network after VA, VT and
# VAT pretraining.

# %%
record_metrics(
    "06_multimodal",
    avc_acc=avc_acc,
    retrieval_r1_a2v=recall["a2v R@1"],
    retrieval_r1_v2a=recall["v2a R@1"],
    retrieval_r5_a2v=recall["a2v R@5"],
    retrieval_r5_v2a=recall["v2a R@5"],
    sync_acc_invariant=sync_acc["invariant"],
    sync_acc_distinctive=sync_acc["distinctive"],
    milnce_r1=noisy["MIL-NCE"],
    infonce_r1=noisy["InfoNCE"],
    selavi_nmi=selavi_nmi,
    random_nmi=random_nmi,
    localisation_acc=localisation_acc,
    centre_prior_acc=centre_prior_acc,
    probe_v=probe_acc["V"],
    probe_a=probe_acc["A"],
    probe_va=probe_acc["V+A"],
    fusion_early=fusion_acc["early"],
    fusion_late=fusion_acc["late"],
    fusion_attention=fusion_acc["attention"],
    zeroshot_acc_video=zeroshot_acc["video"],
    zeroshot_acc_audio=zeroshot_acc["audio"],
    probe_kind_video=kind_probe_acc["video"],
    probe_kind_audio=kind_probe_acc["audio"],
    retrieval_r1_t2v=recall_t2v["R@1"],
    retrieval_r5_t2v=recall_t2v["R@5"],
    mmv_probe_va=mmv_probe["kind"]["VA"],
    mmv_probe_vt=mmv_probe["kind"]["VT"],
    mmv_probe_vat=mmv_probe["kind"]["VAT"],
)

# %%
# Your figures beside the course's: each metric's range over the benchmark's
# seeds in this profile (a metric far outside it names the section to look at).
from coursework.bands import compare_to_bands

compare_to_bands("06")
