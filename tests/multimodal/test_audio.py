"""Mel filterbank against a direct triangle construction and hand values; log-mel."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.multimodal.audio import (
    hz_to_mel,
    log_mel_spectrogram,
    mel_filterbank,
    mel_to_hz,
    spectrogram,
)


def _triangles_by_loops(n_mels, n_fft, sr, f_min=0.0, f_max=None):
    """Each filter by hand: corners evenly spaced in mel, a tent through each bin."""
    f_max = sr / 2 if f_max is None else f_max
    mel = lambda f: 2595 * math.log10(1 + f / 700)  # noqa: E731
    hz = lambda m: 700 * (10 ** (m / 2595) - 1)  # noqa: E731
    lo, hi = mel(f_min), mel(f_max)
    corners = [hz(lo + (hi - lo) * i / (n_mels + 1)) for i in range(n_mels + 2)]
    out = torch.zeros(n_fft // 2 + 1, n_mels, dtype=torch.float64)
    for k in range(n_fft // 2 + 1):
        f = k * sr / n_fft
        for j in range(n_mels):
            left, peak, right = corners[j], corners[j + 1], corners[j + 2]
            if left < f <= peak:
                out[k, j] = (f - left) / (peak - left)
            elif peak < f < right:
                out[k, j] = (right - f) / (right - peak)
    return out


@pytest.mark.parametrize(
    "args", [(8, 64, 8000), (32, 512, 8000), (10, 256, 16000, 300.0, 3000.0)]
)
def test_filterbank_matches_triangles_built_by_loops(args) -> None:
    fb = mel_filterbank(*args)
    assert fb.dtype == torch.float32 and fb.shape == (args[1] // 2 + 1, args[0])
    expected = _triangles_by_loops(*args)
    torch.testing.assert_close(fb.double(), expected, atol=1e-5, rtol=0)


def test_filterbank_hand_values() -> None:
    # 1 filter, 0..4000 Hz: corners at 0, mel^-1(mel(4000) / 2), 4000.
    fb = mel_filterbank(1, 8, 8000)  # bins at 0, 1000, 2000, 3000, 4000 Hz
    peak = 700 * (10 ** (2595 * math.log10(1 + 4000 / 700) / 2 / 2595) - 1)
    assert peak == pytest.approx(1113.84, abs=0.01)  # 700 (sqrt(1 + 4000/700) - 1)
    down = 4000 - peak
    expected = [0.0, 1000 / peak, 2000 / down, 1000 / down, 0.0]
    torch.testing.assert_close(fb[:, 0].double(), torch.tensor(expected).double(),
                               atol=1e-5, rtol=0)


def test_mel_scale_round_trip_and_known_point() -> None:
    assert float(hz_to_mel(1000.0)) == pytest.approx(999.99, abs=0.05)  # ~1000 mel
    f = torch.tensor([0.0, 440.0, 3999.0], dtype=torch.float64)
    torch.testing.assert_close(mel_to_hz(hz_to_mel(f)), f)


def test_filterbank_peaks_are_one_and_filters_overlap_by_half() -> None:
    fb = mel_filterbank(16, 2048, 8000).double()
    assert fb.max(0).values.min() > 0.95  # fine bins: every peak is nearly hit
    # inside the band, neighbouring triangles sum to one
    inside = fb[fb.sum(1) > 0]
    middle = inside[len(inside) // 4 : 3 * len(inside) // 4]
    torch.testing.assert_close(middle.sum(1), torch.ones(len(middle)).double(),
                               atol=1e-6, rtol=0)


def test_bad_filterbank_arguments_are_explained() -> None:
    with pytest.raises(ValueError, match="f_max"):
        mel_filterbank(8, 64, 8000, f_max=5000)
    with pytest.raises(ValueError, match="n_mels"):
        mel_filterbank(0, 64, 8000)


def test_spectrogram_of_a_tone_peaks_at_its_bin_and_log_mel_shapes() -> None:
    sr, n_fft, hop = 8000, 256, 64
    t = torch.arange(2048, dtype=torch.float64) / sr
    bin_ = 20  # 20 * 8000 / 256 = 625 Hz
    tone = torch.sin(2 * math.pi * bin_ * sr / n_fft * t)
    wave = torch.stack([tone, torch.zeros_like(t)])
    power = spectrogram(wave, n_fft, hop)
    assert power.shape == (2, n_fft // 2 + 1, 2048 // hop + 1)
    assert int(power[0, :, 10].argmax()) == bin_
    # Parseval on a frame: sum |X|^2 = n_fft * sum (w x)^2 for the windowed frame
    frame = wave[0, 10 * hop - n_fft // 2 : 10 * hop + n_fft // 2]
    windowed = torch.hann_window(n_fft, dtype=torch.float64) * frame
    full = power[0, :, 10].clone()
    full[1:-1] *= 2  # the one-sided spectrum counts inner bins twice
    energy = n_fft * float(windowed.pow(2).sum())
    assert float(full.sum()) == pytest.approx(energy, rel=1e-6)
    fb = mel_filterbank(16, n_fft, sr)
    logmel = log_mel_spectrogram(wave.float(), fb, n_fft, hop)
    assert logmel.shape == (2, 16, 2048 // hop + 1)
    assert torch.allclose(logmel[1], torch.full_like(logmel[1], math.log(1e-6)))
    # the loudest band holds 625 Hz
    band = int(logmel[0, :, 10].argmax())
    assert fb[bin_, band] == fb[bin_].max()


def test_log_mel_rejects_mismatched_filterbank_and_unbatched_audio() -> None:
    with pytest.raises(ValueError, match="n_fft"):
        log_mel_spectrogram(torch.zeros(1, 1000), mel_filterbank(8, 64, 8000), 128, 32)
    with pytest.raises(ValueError, match="batch"):
        spectrogram(torch.zeros(1000), 64, 16)
