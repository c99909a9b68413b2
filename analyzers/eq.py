"""EQ bands in the standard terms of CONTRACT.md and their magnitude responses, from Robert
Bristow-Johnson's "Cookbook formulae for audio EQ biquad filter coefficients" (the reference
most plug-in EQs follow): bell, low and high shelf, notch and band-pass are one biquad; high- and
low-pass filters are a cascade of biquads with the band's Q, one per 12 dB/octave of slope, and
a first-order section for an odd 6 dB/octave.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.signal

EQ_TYPES = ("highpass", "lowpass", "bell", "lowshelf", "highshelf", "notch", "bandpass")
_BAND_TERM = re.compile(r"eq\.band(\d+)\.(\w+)$")


@dataclass(frozen=True)
class EqBand:
    type: str
    freq_hz: float
    gain_db: float = 0.0
    q: float = 0.7071
    slope_db_oct: float = 12.0
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.type not in EQ_TYPES:
            raise ValueError(f"unknown EQ band type {self.type!r}")
        if not (self.freq_hz > 0 and self.q > 0):
            raise ValueError(f"an EQ band needs a positive frequency and Q, not {self.freq_hz} Hz, Q {self.q}")

    def sos(self, sample_rate_hz: float) -> npt.NDArray[np.float64]:
        """Second-order sections (sections, 6) of this band at a sample rate."""
        w0 = 2.0 * math.pi * min(self.freq_hz, 0.49 * sample_rate_hz) / sample_rate_hz
        cos, alpha = math.cos(w0), math.sin(w0) / (2.0 * self.q)
        a = 10.0 ** (self.gain_db / 40.0)
        if self.type in ("highpass", "lowpass"):
            return _pass_filter(self.type, w0, cos, alpha, self.slope_db_oct)
        if self.type == "bell":
            b = [1 + alpha * a, -2 * cos, 1 - alpha * a]
            den = [1 + alpha / a, -2 * cos, 1 - alpha / a]
        elif self.type == "notch":
            b, den = [1.0, -2 * cos, 1.0], [1 + alpha, -2 * cos, 1 - alpha]
        elif self.type == "bandpass":
            b, den = [alpha, 0.0, -alpha], [1 + alpha, -2 * cos, 1 - alpha]
        else:
            root = 2.0 * math.sqrt(a) * alpha
            sign = 1.0 if self.type == "lowshelf" else -1.0
            b = [
                a * ((a + 1) - sign * (a - 1) * cos + root),
                sign * 2 * a * ((a - 1) - sign * (a + 1) * cos),
                a * ((a + 1) - sign * (a - 1) * cos - root),
            ]
            den = [
                (a + 1) + sign * (a - 1) * cos + root,
                -sign * 2 * ((a - 1) + sign * (a + 1) * cos),
                (a + 1) + sign * (a - 1) * cos - root,
            ]
        return np.array([[*b, *den]]) / den[0]

    def power_gain(self, freqs_hz: npt.ArrayLike, sample_rate_hz: float = 48000.0) -> npt.NDArray[np.float64]:
        """|H(f)|^2 at the given frequencies (1 everywhere when the band is off)."""
        f = np.asarray(freqs_hz, dtype=np.float64)
        if not self.enabled:
            return np.ones_like(f)
        _, h = scipy.signal.sosfreqz(
            self.sos(sample_rate_hz), worN=np.minimum(f, sample_rate_hz / 2), fs=sample_rate_hz
        )
        return np.abs(h) ** 2


def _pass_filter(kind: str, w0: float, cos: float, alpha: float, slope_db_oct: float) -> npt.NDArray[np.float64]:
    sign = 1.0 if kind == "lowpass" else -1.0
    biquad = [(1 - sign * cos) / 2, sign * (1 - sign * cos), (1 - sign * cos) / 2, 1 + alpha, -2 * cos, 1 - alpha]
    biquad = [v / (1 + alpha) for v in biquad]
    order = max(1, round(slope_db_oct / 6.0))
    sections = [biquad] * (order // 2)
    if order % 2:
        k = math.tan(w0 / 2)
        first = [k, k, 0.0] if kind == "lowpass" else [1.0, -1.0, 0.0]
        sections.append([v / (1 + k) for v in first] + [1.0, (k - 1) / (1 + k), 0.0])
    return np.array(sections)


def total_power_gain(
    bands: Iterable[EqBand], freqs_hz: npt.ArrayLike, sample_rate_hz: float = 48000.0
) -> npt.NDArray[np.float64]:
    """|H(f)|^2 of bands in series."""
    gain = np.ones_like(np.asarray(freqs_hz, dtype=np.float64))
    for band in bands:
        gain = gain * band.power_gain(freqs_hz, sample_rate_hz)
    return gain


def bands_from_terms(parameters: Mapping[str, object]) -> list[EqBand]:
    """The EQ bands described by standard terms (`eq.band<N>.type`, `.freq_hz`, `.gain_db`, `.q`,
    `.slope_db_oct`, `.enabled`), in band order; bands without a type or frequency are skipped."""
    fields: dict[int, dict[str, object]] = {}
    for term, value in parameters.items():
        match = _BAND_TERM.match(term)
        if match:
            fields.setdefault(int(match[1]), {})[match[2]] = value
    bands = []
    for number in sorted(fields):
        f = fields[number]
        kind, freq = f.get("type"), f.get("freq_hz")
        if kind not in EQ_TYPES or not isinstance(freq, int | float) or freq <= 0:
            continue
        bands.append(
            EqBand(
                str(kind),
                float(freq),
                gain_db=_number(f.get("gain_db"), 0.0),
                q=_number(f.get("q"), 0.7071) or 0.7071,
                slope_db_oct=_number(f.get("slope_db_oct"), 12.0),
                enabled=f.get("enabled", True) is not False,
            )
        )
    return bands


def _number(value: object, default: float) -> float:
    return (
        float(value)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        else default
    )
