"""Loudness per ITU-R BS.1770-4 and EBU R128: integrated (gated) loudness, momentary and
short-term series, and loudness range per EBU Tech 3342.

- K-weighting: the BS.1770 pre-filter (high shelf) and RLB high-pass, re-derived for any sample
  rate from the analog prototype of the 48 kHz coefficients, as libebur128 does. It is applied as
  its impulse response, truncated where the remaining tail sums to under 1e-8 of the whole
  (84 ms at any rate), by FFT overlap-save (analyzers.overlap); the truncation changes a loudness
  reading by less than 1e-7 LU.
- The stream is cut into 100 ms segments of channel-weighted mean square (weights: 1.0 for
  L, R, C; 1.41 for the surrounds; 0 for the LFE of a 5.1 file). A 400 ms gating block is four
  segments (75 % overlap); a 3 s short-term window is thirty (updated every 100 ms, which EBU
  Tech 3342 (2016) asks for: at least 10 Hz).
- Integrated: blocks above the absolute gate (-70 LUFS), then above the relative gate (10 LU
  under the loudness of those blocks). BS.1770-4 runs the block index j up to (T - Tg)/(Tg step)
  (its eq. 3), which is rarely a whole number. We round it to the nearest, as pyloudnorm does:
  a stream that ends more than half way into a 100 ms segment gets one last gating block over
  its final samples, the missing ones counted as silence. libebur128 and ffmpeg count complete
  blocks only (`integrated_lufs(segments)` without the tail reads as they do). The two readings
  differ by a few tenths of a LU on a file of a second or two, by under 0.01 LU past 30 s.
- Loudness range: short-term values above -70 LUFS and above the relative gate (20 LU under
  their energy mean), from the 10th to the 95th percentile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.signal

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LRA_RELATIVE_GATE_LU = -20.0
LRA_PERCENTILES = (10.0, 95.0)
SEGMENT_S = 0.1
MOMENTARY_SEGMENTS = 4
SHORT_TERM_SEGMENTS = 30
_OFFSET = -0.691
_TAIL = 1e-8


def k_weighting_sos(sample_rate_hz: int) -> npt.NDArray[np.float64]:
    """The two K-weighting biquads (second-order sections) for a sample rate."""
    # Stage 1, the high shelf (head effects).
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / sample_rate_hz)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = [(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]
    shelf_a = [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    # Stage 2, the RLB high-pass.
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / sample_rate_hz)
    a0 = 1.0 + k / q + k * k
    highpass_a = [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf + shelf_a, [1.0, -2.0, 1.0, *highpass_a]])


def k_weighting_taps(sample_rate_hz: int) -> npt.NDArray[np.float64]:
    """The K-weighting impulse response, cut where its remaining tail is negligible."""
    impulse = np.zeros(int(0.2 * sample_rate_hz) + 1)
    impulse[0] = 1.0
    h = scipy.signal.sosfilt(k_weighting_sos(sample_rate_hz), impulse)
    tail = np.cumsum(np.abs(h)[::-1])[::-1]
    return h[: int(np.argmax(tail < _TAIL * tail[0])) + 1]


def channel_weights(channels: int) -> npt.NDArray[np.float64]:
    """BS.1770 channel weights: 5 channels are L R C Ls Rs, 6 are L R C LFE Ls Rs."""
    if channels == 5:
        return np.array([1.0, 1.0, 1.0, 1.41, 1.41])
    if channels == 6:
        return np.array([1.0, 1.0, 1.0, 0.0, 1.41, 1.41])
    return np.ones(channels)


def lufs(mean_square: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Channel-weighted mean square to LUFS (-inf for silence)."""
    with np.errstate(divide="ignore"):
        return _OFFSET + 10.0 * np.log10(np.asarray(mean_square, dtype=np.float64))


class SegmentMeter:
    """Takes K-weighted planar samples as they stream and keeps the 100 ms segment energies."""

    def __init__(self, sample_rate_hz: int, channels: int) -> None:
        self.segment_frames = max(1, round(sample_rate_hz * SEGMENT_S))
        self._weights = channel_weights(channels)
        self._segments: list[npt.NDArray[np.float64]] = []
        self._partial = 0.0
        self._fill = 0

    def add(self, weighted: npt.NDArray[np.float32]) -> None:
        """Adds K-weighted samples (channels, n)."""
        power = self._weights @ np.square(weighted, dtype=np.float64)
        size = self.segment_frames
        need = size - self._fill
        if len(power) < need:
            self._partial += float(power.sum())
            self._fill += len(power)
            return
        first = (self._partial + float(power[:need].sum())) / size
        rest = power[need:]
        whole = len(rest) // size
        self._segments.append(np.array([first]))
        self._segments.append(rest[: whole * size].reshape(whole, size).sum(axis=1) / size)
        tail = rest[whole * size :]
        self._partial = float(tail.sum())
        self._fill = len(tail)

    def segments(self) -> npt.NDArray[np.float64]:
        """Mean square of every complete 100 ms segment so far."""
        return np.concatenate(self._segments) if self._segments else np.zeros(0)

    def tail(self) -> float | None:
        """The mean square of the last, incomplete segment, zero-padded to a whole one, when
        the stream ends more than half way into it; None otherwise (see integrated_lufs)."""
        return self._partial / self.segment_frames if 2 * self._fill > self.segment_frames else None


def windows(segments: npt.NDArray[np.float64], length: int) -> npt.NDArray[np.float64]:
    """Mean square of every window of `length` segments, one per segment step."""
    if len(segments) < length:
        return np.zeros(0)
    sums = np.cumsum(np.concatenate(([0.0], segments)))
    return (sums[length:] - sums[:-length]) / length


def integrated_lufs(segments: npt.NDArray[np.float64], tail: float | None = None) -> float | None:
    """Gated integrated loudness (BS.1770-4) from 100 ms segment energies; None for silence.
    With a `tail` (SegmentMeter.tail), a stream holding at least one whole block gets one more
    block over its end: the block index rounded to the nearest (see the module's docstring)."""
    if tail is not None and len(segments) >= MOMENTARY_SEGMENTS:
        segments = np.append(segments, tail)
    blocks = windows(segments, MOMENTARY_SEGMENTS)
    loud = blocks[lufs(blocks) > ABSOLUTE_GATE_LUFS]
    if not len(loud):
        return None
    relative = float(lufs(loud.mean())) + RELATIVE_GATE_LU
    gated = loud[lufs(loud) > relative]
    return float(lufs(gated.mean())) if len(gated) else None


def loudness_range_lu(short_term: npt.NDArray[np.float64]) -> float:
    """Loudness range (EBU Tech 3342) from short-term window energies; 0 with under two values."""
    loud = short_term[lufs(short_term) > ABSOLUTE_GATE_LUFS]
    if len(loud) < 2:
        return 0.0
    relative = float(lufs(loud.mean())) + LRA_RELATIVE_GATE_LU
    levels = lufs(loud)
    levels = levels[levels > relative]
    if len(levels) < 2:
        return 0.0
    low, high = np.percentile(levels, LRA_PERCENTILES)
    return float(high - low)


@dataclass(frozen=True)
class Loudness:
    """The loudness of a stream: integrated, range, and the 10 Hz series (LUFS, -inf in silence),
    all from the 100 ms segment energies it keeps and the tail past the last whole segment
    (SegmentMeter.tail), which only the integrated loudness counts."""

    segments: npt.NDArray[np.float64]
    tail: float | None
    integrated_lufs: float | None
    loudness_range_lu: float
    momentary_lufs: npt.NDArray[np.float64]
    short_term_lufs: npt.NDArray[np.float64]

    @classmethod
    def of_segments(cls, segments: npt.NDArray[np.float64], tail: float | None = None) -> Loudness:
        short_term = windows(segments, SHORT_TERM_SEGMENTS)
        return cls(
            segments,
            tail,
            integrated_lufs(segments, tail),
            loudness_range_lu(short_term),
            lufs(windows(segments, MOMENTARY_SEGMENTS)),
            lufs(short_term),
        )
