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

import io
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analyzers.audio import ArraySource, AudioSource, Planar

STEP_S = 0.001
SILENCE_DBFS = -120.0


def static_curve_db(
    level_db: npt.ArrayLike, threshold_db: float, ratio: float, knee_db: float
) -> npt.NDArray[np.float64]:
    """Output level of the gain computer for input levels (dB), soft knee of width `knee_db`."""
    x = np.asarray(level_db, dtype=np.float64)
    over = x - threshold_db
    y = np.where(over > 0, threshold_db + over / ratio, x)
    if knee_db > 0:
        inside = np.abs(over) <= knee_db / 2
        soft = x + (1.0 / ratio - 1.0) * (over + knee_db / 2) ** 2 / (2.0 * knee_db)
        y = np.where(inside, soft, np.where(over < -knee_db / 2, x, threshold_db + over / ratio))
    return y


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
        buffer = io.BytesIO()
        np.savez_compressed(buffer, peaks=self.peaks_dbfs.astype(np.float16), step_s=np.array([self.step_s]))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> StepPeaks:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
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
    return peaks_gain_reduction(peaks, threshold_db, ratio, knee_db, attack_ms, release_ms)


def peaks_gain_reduction(
    peaks: StepPeaks,
    threshold_db: float,
    ratio: float,
    knee_db: float = 0.0,
    attack_ms: float = 10.0,
    release_ms: float = 100.0,
) -> GainReduction:
    """The gain reduction a compressor with this setting would apply to the signal whose
    StepPeaks these are (the same as `gain_reduction` on its samples)."""
    if ratio < 1.0:
        raise ValueError(f"a compressor ratio is at least 1, not {ratio}")
    level = peaks.peaks_dbfs
    wanted = level - static_curve_db(level, threshold_db, ratio, knee_db)
    attack = math.exp(-1.0 / max(attack_ms / 1000.0 / peaks.step_s, 1e-9))
    release = math.exp(-1.0 / max(release_ms / 1000.0 / peaks.step_s, 1e-9))
    return GainReduction(np.array(_smoothed(wanted.tolist(), attack, release)), peaks.step_s)


def _smoothed(wanted: list[float], attack: float, release: float) -> list[float]:
    """The smooth branching detector: toward each step's wanted reduction with the attack
    coefficient while it rises, the release one while it falls (a plain loop over Python floats:
    the branch depends on the state, so it does not vectorize)."""
    out: list[float] = []
    append = out.append
    rest_attack, rest_release = 1.0 - attack, 1.0 - release
    state = 0.0
    for target in wanted:
        if target > state:
            state = attack * state + rest_attack * target
        else:
            state = release * state + rest_release * target
        append(state)
    return out
