"""Dynamics: what a compressor setting would do to a signal.

The crest factor (sample peak over RMS) is in AudioAnalysis; the musical dynamic range is the
loudness range of EBU Tech 3342 (analyzers.loudness.loudness_range_lu): the spread of short-term
loudness between the loud (95th percentile) and the quiet (10th) musical passages, with silence
excluded by its absolute and relative gates.

The gain reduction follows Giannoulis, Massberg and Reiss, "Digital Dynamic Range Compressor
Design - A Tutorial and Analysis" (JAES 60(6), 2012): a feed-forward compressor with a peak
detector linked across channels, the soft-knee gain computer (eq. 4) and the smooth branching
attack/release detector in the log domain (eq. 17), evaluated on 1 ms steps (the peak of each
millisecond), which resolves attack times from 1 ms up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

from analyzers.audio import ArraySource, AudioSource, Planar, pack_arrays, refuse_non_finite, unpack_arrays
from analyzers.loudness import Loudness

STEP_S = 0.001
SEGMENT_S = 0.1  # the 100 ms segments of BS.1770's gating blocks (analyzers.loudness)
_NEPERS_PER_DB_POWER = math.log(10.0) / 10.0
SILENCE_DBFS = -120.0


def _computed_reduction(over_db: float, ratio: float, knee_db: float) -> float:
    """The gain computer (Giannoulis et al. eq. 4) as the reduction it asks for (dB), for a level
    `over_db` above the threshold: none under it, (1 - 1/ratio) of the excess over it, and a
    quadratic across a soft knee `knee_db` wide."""
    if knee_db > 0.0 and abs(over_db) <= knee_db / 2.0:
        return (1.0 - 1.0 / ratio) * (over_db + knee_db / 2.0) ** 2 / (2.0 * knee_db)
    if over_db > 0.0:
        return over_db - over_db / ratio
    return 0.0


# One gain computer, compiled twice: for the detector's loop, and as a ufunc over arrays.
_reduction_at = numba.njit(cache=True, nogil=True)(_computed_reduction)
_reduction_of = numba.vectorize(cache=True)(_computed_reduction)  # compiled at its first call


def static_curve_db(
    level_db: npt.ArrayLike, threshold_db: float, ratio: float, knee_db: float
) -> npt.NDArray[np.float64]:
    """Output level of the gain computer for input levels (dB), soft knee of width `knee_db`."""
    x = np.asarray(level_db, dtype=np.float64)
    return np.asarray(x - _reduction_of(x - threshold_db, float(ratio), float(knee_db)), dtype=np.float64)


@dataclass(frozen=True)
class GainReduction:
    """Gain reduction (dB, >= 0) every millisecond, its maximum and its mean while compressing."""

    reduction_db: npt.NDArray[np.float64]
    step_s: float

    @property
    def max_db(self) -> float:
        return float(self.reduction_db.max(initial=0.0))

    @property
    def mean_active_db(self) -> float:
        """Mean over the steps where it reduces by more than 0.1 dB (0 when it never does)."""
        active = self.reduction_db[self.reduction_db > 0.1]
        return float(active.mean()) if len(active) else 0.0

    @property
    def active_share(self) -> float:
        """Share of the time the compressor reduces by more than 0.1 dB."""
        return float((self.reduction_db > 0.1).mean()) if len(self.reduction_db) else 0.0


@dataclass(frozen=True)
class StepPeaks:
    """The sample peak of every millisecond step (linked across channels), in dBFS floored at
    SILENCE_DBFS: all a feed-forward peak compressor's detector sees of a signal, so the gain
    reduction of any setting can be computed from it without the samples."""

    peaks_dbfs: npt.NDArray[np.float64]
    step_s: float

    def to_bytes(self) -> bytes:
        """A compact serialization for caches (float16 dB: within 0.03 dB above -64 dBFS)."""
        return pack_arrays(peaks=self.peaks_dbfs.astype(np.float16), step_s=np.array([self.step_s]))

    @classmethod
    def from_bytes(cls, data: bytes) -> StepPeaks:
        arrays = unpack_arrays(data)
        return cls(arrays["peaks"].astype(np.float64), float(arrays["step_s"][0]))


def step_peaks(source: AudioSource) -> StepPeaks:
    """A signal's StepPeaks, streamed (steps of round(rate x 1 ms) samples; a last partial step
    is dropped)."""
    step = max(1, round(source.info.sample_rate_hz * STEP_S))
    chunks, carry = [], np.zeros((source.info.channels, 0), dtype=np.float32)
    for block in source.blocks(step * 1024):
        x = np.concatenate([carry, block], axis=1) if carry.shape[1] else block
        whole = x.shape[1] // step * step
        if whole:
            chunks.append(np.abs(x[:, :whole]).reshape(x.shape[0], -1, step).max(axis=(0, 2)))
        carry = x[:, whole:]
    peaks = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    refuse_non_finite(peaks, source)
    with np.errstate(divide="ignore"):
        level = np.maximum(20.0 * np.log10(peaks.astype(np.float64)), SILENCE_DBFS)
    return StepPeaks(level, step / source.info.sample_rate_hz)


def gain_reduction(
    samples: Planar,
    sample_rate_hz: int,
    threshold_db: float,
    ratio: float,
    knee_db: float = 0.0,
    attack_ms: float = 10.0,
    release_ms: float = 100.0,
) -> GainReduction:
    """The gain reduction a compressor with this setting would apply to `samples`."""
    peaks = step_peaks(ArraySource(np.atleast_2d(np.asarray(samples, dtype=np.float32)), sample_rate_hz))
    reduction, _, _ = _compressor(peaks, threshold_db, ratio, knee_db, attack_ms, release_ms)
    return GainReduction(reduction, peaks.step_s)


def _compressor(
    peaks: StepPeaks, threshold_db: float, ratio: float, knee_db: float, attack_ms: float, release_ms: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]:
    """The gain reduction of every step, the mean power gain of every 100 ms segment and the
    highest peak after the reduction, in one compiled pass."""
    if ratio < 1.0:
        raise ValueError(f"a compressor ratio is at least 1, not {ratio}")
    attack = math.exp(-1.0 / max(attack_ms / 1000.0 / peaks.step_s, 1e-9))
    release = math.exp(-1.0 / max(release_ms / 1000.0 / peaks.step_s, 1e-9))
    steps = max(1, round(SEGMENT_S / peaks.step_s))
    level = np.ascontiguousarray(peaks.peaks_dbfs, dtype=np.float64)
    reduction, gains, peak = _detector(level, threshold_db, ratio, knee_db, attack, release, steps)
    return reduction, gains, float(peak)


@numba.njit(cache=True, nogil=True)  # type: ignore[misc]
def _detector(
    level: npt.NDArray[np.float64],
    threshold_db: float,
    ratio: float,
    knee_db: float,
    attack: float,
    release: float,
    steps_per_segment: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]:
    """Per step: the gain computer (`static_curve_db`, soft knee), then the smooth branching
    detector: toward the wanted reduction with the attack coefficient while it rises, the
    release one while it falls. The branch depends on the state, so the loop does not vectorize;
    numba compiles it (a 3-minute track's 180,000 steps take under a millisecond, against 15 in
    Python). Also sums each segment's power gain and keeps the highest peak after the reduction."""
    n = level.shape[0]
    count = n // steps_per_segment
    reduction = np.empty(n)
    gains = np.zeros(count)
    peak = SILENCE_DBFS
    state = 0.0
    for i in range(n):
        x = level[i]
        wanted = _reduction_at(x - threshold_db, ratio, knee_db)
        if wanted > state:
            state = attack * state + (1.0 - attack) * wanted
        else:
            state = release * state + (1.0 - release) * wanted
        reduction[i] = state
        if x - state > peak:
            peak = x - state
        segment = i // steps_per_segment
        if segment < count:
            gains[segment] += math.exp(-state * _NEPERS_PER_DB_POWER) if state > 0.0 else 1.0  # 10^(-state/10)
    return reduction, gains / steps_per_segment, peak


@dataclass(frozen=True)
class CompressorEffect:
    """What a compressor setting does to a signal, as loudness and peaks need it: the mean power
    gain (10^(-reduction/10)) over each 100 ms segment, aligned with the loudness segments, and
    the highest millisecond peak after the gain reduction (dBFS; make-up and output gains not
    included)."""

    segment_gain: npt.NDArray[np.float64]
    peak_dbfs: float

    def to_bytes(self) -> bytes:
        return pack_arrays(gain=self.segment_gain.astype(np.float32), peak=np.array([self.peak_dbfs]))

    @classmethod
    def from_bytes(cls, data: bytes) -> CompressorEffect:
        arrays = unpack_arrays(data)
        return cls(arrays["gain"].astype(np.float64), float(arrays["peak"][0]))


def compressor_effect(
    peaks: StepPeaks,
    threshold_db: float,
    ratio: float,
    knee_db: float = 0.0,
    attack_ms: float = 10.0,
    release_ms: float = 100.0,
) -> CompressorEffect:
    """The CompressorEffect of a setting on the signal whose StepPeaks these are."""
    _, gains, peak = _compressor(peaks, threshold_db, ratio, knee_db, attack_ms, release_ms)
    return CompressorEffect(gains, peak)


def compressed_loudness(loudness: Loudness, effect: CompressorEffect) -> Loudness:
    """A signal's loudness (its 100 ms segment energies, analyzers.loudness) with a compressor's
    effect taken off each segment: the loudness range a compressor setting leaves. The tail past
    the last whole segment takes the last segment's gain."""
    segments = loudness.segments
    count = min(len(segments), len(effect.segment_gain))
    gain = effect.segment_gain[:count]
    tail = loudness.tail if count and count == len(segments) else None
    return Loudness.of_segments(segments[:count] * gain, None if tail is None else tail * float(gain[-1]))
