"""The long-term average spectrum and what is read from it: energy per 1/3-octave band (IEC 61260
base-10 bands, 20 Hz to 20 kHz) with each band's share, the spectral centroid and the tilt.

The spectrum is Welch's average of Hann-windowed periodograms. It is built from the unwindowed
frame spectra the overlap-save bank computes anyway (analyzers.overlap): a periodic Hann window
is, in the frequency domain, the three-point kernel (-1/4, 1/2, -1/4), so windowing costs one
vector operation per frame instead of another FFT. The frames are 0.68 s long (1.5 Hz bins), fine
enough to tell the notes of a bass apart; they overlap by only the filter bank's overlap, which
weights the samples near frame edges less (harmless for a long-term average of music).

`power` is one-sided and scaled so that it sums to the mean square of the signal (summed over
channels): a full-scale sine on one channel sums to 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

THIRD_OCTAVE_CENTERS_HZ: tuple[float, ...] = tuple(1000.0 * 10.0 ** (n / 10.0) for n in range(-17, 14))
NOMINAL_CENTERS_HZ: tuple[float, ...] = (
    20, 25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800,
    1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000,
)  # fmt: skip


def band_edges_hz(centers: npt.ArrayLike = THIRD_OCTAVE_CENTERS_HZ) -> npt.NDArray[np.float64]:
    """Lower and upper edges (bands, 2) of 1/3-octave bands."""
    c = np.asarray(centers, dtype=np.float64)
    return np.stack([c * 10.0 ** (-1 / 20), c * 10.0 ** (1 / 20)], axis=1)


def hann_from_rectangular(spectrum: npt.NDArray[np.complex64]) -> npt.NDArray[np.complex64]:
    """The spectrum of the Hann-windowed frame, from the rfft of the unwindowed one (axis -1)."""
    padded = np.concatenate([np.conj(spectrum[..., 1:2]), spectrum, np.conj(spectrum[..., -2:-1])], axis=-1)
    return 0.5 * padded[..., 1:-1] - 0.25 * (padded[..., :-2] + padded[..., 2:])


class LongTermSpectrum:
    """Accumulates frame spectra (channels, fft_size // 2 + 1) into a long-term power spectrum."""

    def __init__(self, fft_size: int, sample_rate_hz: int) -> None:
        self.fft_size = fft_size
        self.freqs_hz: npt.NDArray[np.float64] = np.fft.rfftfreq(fft_size, 1.0 / sample_rate_hz).astype(np.float64)
        self._sum = np.zeros(fft_size // 2 + 1)
        self._frames = 0
        one_sided = np.full(fft_size // 2 + 1, 2.0)
        one_sided[[0, -1]] = 1.0
        window_energy = 3.0 * fft_size / 8.0  # sum of the squared periodic Hann window
        self._scale = one_sided / (fft_size * window_energy)

    def add(self, spectrum: npt.NDArray[np.complex64]) -> None:
        windowed = hann_from_rectangular(spectrum)
        self._sum += (np.square(windowed.real, dtype=np.float64) + np.square(windowed.imag, dtype=np.float64)).sum(
            axis=0
        )
        self._frames += 1

    def power(self) -> npt.NDArray[np.float64]:
        """Mean square per frequency bin (one-sided, summed over channels)."""
        return self._sum * self._scale / max(self._frames, 1)


@dataclass(frozen=True)
class Bands:
    """Energy per 1/3-octave band and what follows from it."""

    centers_hz: tuple[float, ...]
    energy: npt.NDArray[np.float64]  # mean square per band

    @classmethod
    def of(cls, freqs_hz: npt.NDArray[np.float64], power: npt.NDArray[np.float64]) -> Bands:
        edges = band_edges_hz()
        index = np.searchsorted(edges[:, 0], freqs_hz, side="right") - 1
        inside = (index >= 0) & (freqs_hz < edges[np.clip(index, 0, None), 1])
        energy = np.bincount(index[inside], weights=power[inside], minlength=len(edges)).astype(np.float64)
        return cls(NOMINAL_CENTERS_HZ, energy)

    @property
    def shares(self) -> npt.NDArray[np.float64]:
        """Each band's share of the energy in 20 Hz - 20 kHz (all zero in silence)."""
        total = self.energy.sum()
        return self.energy / total if total > 0 else np.zeros_like(self.energy)

    @property
    def tilt_db_per_octave(self) -> float | None:
        """Slope of the band levels against frequency (least squares): pink noise reads 0,
        white noise +3 dB per octave, a dark mix negative. None in silence."""
        used = self.energy > 0
        if used.sum() < 2:
            return None
        octaves = np.log2(np.asarray(THIRD_OCTAVE_CENTERS_HZ)[used])
        return float(np.polyfit(octaves, 10.0 * np.log10(self.energy[used]), 1)[0])


def centroid_hz(freqs_hz: npt.NDArray[np.float64], power: npt.NDArray[np.float64]) -> float | None:
    """Power-weighted mean frequency over 20 Hz - 20 kHz; None in silence."""
    audible = (freqs_hz >= 20.0) & (freqs_hz <= 20000.0)
    total = power[audible].sum()
    return float((freqs_hz[audible] * power[audible]).sum() / total) if total > 0 else None
