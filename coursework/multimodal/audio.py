"""Audio as a modality: the mel filterbank and batched log-mel spectrograms.

A log-mel spectrogram is the short-time Fourier transform's power, pooled by
triangular filters spaced evenly on the mel scale and log-compressed, the
input of most audio encoders since Davis & Mermelstein (1980). We use the HTK
mel scale, :math:`m = 2595 \\log_{10}(1 + f / 700)`, and unnormalised
triangles with peak 1, as in Young et al., *The HTK Book* (2006). The audio
encoders of Arandjelović & Zisserman, *Look, Listen and Learn* (2017,
arXiv:1705.08168) read log-spectrograms of 1 s of sound.
"""

from __future__ import annotations

import torch


def hz_to_mel(f: torch.Tensor | float) -> torch.Tensor:
    """HTK mel scale: ``m = 2595 log10(1 + f / 700)``."""
    f = torch.as_tensor(f, dtype=torch.float64)
    return 2595.0 * torch.log10(1.0 + f / 700.0)


def mel_to_hz(m: torch.Tensor | float) -> torch.Tensor:
    """Inverse of :func:`hz_to_mel`: ``f = 700 (10^(m / 2595) - 1)``."""
    m = torch.as_tensor(m, dtype=torch.float64)
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def mel_filterbank(
    n_mels: int,
    n_fft: int,
    sample_rate: int,
    f_min: float = 0.0,
    f_max: float | None = None,
) -> torch.Tensor:
    """Triangular filters, evenly spaced in mel, over the STFT's frequency bins.

    Filter ``j`` rises linearly from 0 at the mel point ``j`` to 1 at point
    ``j + 1`` and falls back to 0 at point ``j + 2``, where the ``n_mels + 2``
    points are evenly spaced on the mel scale between ``f_min`` and ``f_max``:

    ``W[k, j] = max(0, min((f_k - f_j) / (f_{j+1} - f_j),
    (f_{j+2} - f_k) / (f_{j+2} - f_{j+1})))``, with ``f_k = k sr / n_fft``.

    Args:
        n_mels: number of filters ``M``.
        n_fft: FFT size; there are ``n_fft // 2 + 1`` frequency bins.
        sample_rate: samples per second.
        f_min: lowest edge in Hz.
        f_max: highest edge in Hz (default: the Nyquist frequency).

    Returns:
        float32 weights (n_fft // 2 + 1, M), each column one triangle.

    Raises:
        ValueError: a size is not positive or the band is empty.
    """
    f_max = sample_rate / 2 if f_max is None else f_max
    if n_mels < 1 or n_fft < 2 or sample_rate <= 0:
        raise ValueError(
            f"need n_mels >= 1, n_fft >= 2, sample_rate > 0; "
            f"got {n_mels}, {n_fft}, {sample_rate}"
        )
    if not 0 <= f_min < f_max <= sample_rate / 2:
        raise ValueError(
            f"need 0 <= f_min < f_max <= sample_rate / 2 = {sample_rate / 2}; "
            f"got f_min={f_min}, f_max={f_max}"
        )
    freqs = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    points = mel_to_hz(torch.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    lower, centre, upper = points[:-2], points[1:-1], points[2:]  # (M,) each
    f = freqs.view(-1, 1)  # (K, 1)
    rising = (f - lower) / (centre - lower)  # (K, M)
    falling = (upper - f) / (upper - centre)
    return torch.clamp(torch.minimum(rising, falling), min=0.0).float()


def spectrogram(
    waveform: torch.Tensor, n_fft: int, hop_length: int, power: float = 2.0
) -> torch.Tensor:
    """``|STFT|^power`` of a batch of waveforms, with a Hann window.

    Frames are centred (``center=True``, reflect padding), so frame ``f``
    covers samples around ``f * hop_length``; a waveform of ``L`` samples gives
    ``L // hop_length + 1`` frames.

    Args:
        waveform: (B, L) float.
        n_fft: window and FFT size.
        hop_length: samples between frames.
        power: 2 for power, 1 for magnitude.

    Returns:
        (B, n_fft // 2 + 1, F), the same dtype as the waveform.
    """
    if waveform.dim() != 2:
        raise ValueError(
            f"waveform must be (B, L); got shape {tuple(waveform.shape)} "
            "(add a batch dimension with waveform[None])"
        )
    window = torch.hann_window(n_fft, dtype=waveform.dtype, device=waveform.device)
    stft = torch.stft(
        waveform, n_fft, hop_length, window=window, center=True, return_complex=True
    )  # (B, K, F)
    return stft.abs().pow(power)


def log_mel_spectrogram(
    waveform: torch.Tensor,
    filterbank: torch.Tensor,
    n_fft: int,
    hop_length: int,
    eps: float = 1e-6,
) -> torch.Tensor:
    """``log(W^T |STFT|^2 + eps)`` for a batch of waveforms.

    Args:
        waveform: (B, L) float.
        filterbank: (n_fft // 2 + 1, M), e.g. from :func:`mel_filterbank`.
        n_fft: FFT size.
        hop_length: samples between frames.
        eps: floor inside the log, so silence gives ``log(eps)``, not ``-inf``.

    Returns:
        (B, M, F) log-mel energies.
    """
    power = spectrogram(waveform, n_fft, hop_length)  # (B, K, F)
    if filterbank.shape[0] != power.shape[1]:
        raise ValueError(
            f"the filterbank has {filterbank.shape[0]} rows but n_fft={n_fft} gives "
            f"{power.shape[1]} frequency bins; build it with the same n_fft"
        )
    fb = filterbank.to(power.dtype).to(power.device)
    mel = torch.einsum("bkf,km->bmf", power, fb)  # (B, M, F)
    return torch.log(mel + eps)


def frame_times(n_frames: int, hop_length: int, sample_rate: int) -> torch.Tensor:
    """Centre time in seconds of each STFT frame (``center=True``)."""
    return torch.arange(n_frames, dtype=torch.float64) * hop_length / sample_rate


def mel_centres(n_mels: int, sample_rate: int, f_min: float = 0.0) -> torch.Tensor:
    """Peak frequency in Hz of each filter of :func:`mel_filterbank`."""
    top = hz_to_mel(sample_rate / 2)
    return mel_to_hz(torch.linspace(float(hz_to_mel(f_min)), float(top), n_mels + 2))[
        1:-1
    ]


__all__ = [
    "frame_times",
    "hz_to_mel",
    "log_mel_spectrogram",
    "mel_centres",
    "mel_filterbank",
    "mel_to_hz",
    "spectrogram",
]
