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

import numpy as np
import numpy.typing as npt

from analyzers.audio import Planar

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
    if ratio < 1.0:
        raise ValueError(f"a compressor ratio is at least 1, not {ratio}")
    step = max(1, round(sample_rate_hz * STEP_S))
    x = np.atleast_2d(np.asarray(samples, dtype=np.float32))
    steps = x.shape[1] // step
    peaks = np.abs(x[:, : steps * step]).reshape(x.shape[0], steps, step).max(axis=(0, 2))
    with np.errstate(divide="ignore"):
        level = np.maximum(20.0 * np.log10(peaks), SILENCE_DBFS)
    wanted = level - static_curve_db(level, threshold_db, ratio, knee_db)
    attack = math.exp(-1.0 / max(attack_ms / 1000.0 / STEP_S, 1e-9))
    release = math.exp(-1.0 / max(release_ms / 1000.0 / STEP_S, 1e-9))
    out = np.empty(steps)
    state = 0.0
    for i, target in enumerate(wanted.tolist()):
        coefficient = attack if target > state else release
        state = coefficient * state + (1.0 - coefficient) * target
        out[i] = state
    return GainReduction(out, step / sample_rate_hz)
