"""Sibilance: de-essing, or a narrow cut between 5 and 10 kHz, that reduces a vocal's sibilant
peaks.

Reasoning: "s", "sh" and "t" sounds put short bursts of energy between about 5 and 10 kHz that
stand far above the rest of a voice there; a de-esser or a narrow cut tames those bursts. Over
the 0.17 s steps where the track plays (analyzers.masking.BandFrames), its bursts are the steps
whose 5-10 kHz energy stands at least MIN_PEAK_OVER_MEDIAN_DB (10 dB) above the median step's.
A track has sibilant peaks when at least MIN_BURST_SHARE (5 %) of its steps burst: bursts, not
a steady hiss or a stray click. Its sibilant level is the energy mean of its bursts, so the
loudest of them weigh most, however few (an earlier 95th-percentile level read the edges of
sparse bursts instead of the bursts).

- A bell or notch cut centred in 5-10 kHz with Q at least MIN_Q (2) is justified when it lowers
  the sibilant level by at least MIN_REDUCTION_DB (1 dB) over the same steps, evaluated on the
  band energies through the band's RBJ response (nothing rendered).
- A change to a de-esser (a device named "de-ess...") on a track with sibilant peaks is
  justified with confidence 0.7: how much it reduces them is not modelled.
Sources: the sibilant band of 5-10 kHz and de-essing practice (Izhaki, "Mixing Audio", ch. on
de-essers); the thresholds are this module's, tested on generated voices with and without
sibilants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analyzers.eq import EqBand
from analyzers.masking import BandFrames
from daemon.log.records import LoggedEvent
from profiles.justify import SaveChanges, Verdict

RULE = "sibilance"
LOW_HZ, HIGH_HZ = 5000.0, 10000.0
MIN_Q = 2.0
MIN_REDUCTION_DB = 1.0
MIN_PEAK_OVER_MEDIAN_DB = 10.0
MIN_BURST_SHARE = 0.05
_DE_ESSER = re.compile(r"de-?ess", re.IGNORECASE)


@dataclass(frozen=True)
class Sibilants:
    """A track's sibilant bursts: which steps, their level and the median step's (dB)."""

    steps: npt.NDArray[np.intp]
    level_db: float
    median_db: float


def sibilants(frames: BandFrames) -> Sibilants | None:
    """The bursts of a track that has sibilant peaks (see the module's docstring), or None."""
    energy = _sibilant_energy(frames)
    total = frames.energy.sum(axis=1)
    playing = np.flatnonzero(total > 1e-8 * float(total.max(initial=0.0)))
    if not len(playing) or not (energy[playing] > 0).any():
        return None
    levels = 10.0 * np.log10(np.maximum(energy[playing], 1e-30))
    median = float(np.median(levels))
    bursts = playing[levels >= median + MIN_PEAK_OVER_MEDIAN_DB]
    if len(bursts) < MIN_BURST_SHARE * len(playing):
        return None
    return Sibilants(bursts, _mean_db(energy, bursts), median)


def sibilant_level_db(frames: BandFrames, steps: npt.NDArray[np.intp]) -> float:
    """The energy mean, in dB, of the track's 5-10 kHz energy over these steps."""
    return _mean_db(_sibilant_energy(frames), steps)


def _mean_db(energy: npt.NDArray[np.float64], steps: npt.NDArray[np.intp]) -> float:
    return 10.0 * float(np.log10(max(float(energy[steps].mean()), 1e-30)))


def _sibilant_energy(frames: BandFrames) -> npt.NDArray[np.float64]:
    centers = frames.centers_hz
    return np.asarray(frames.energy[:, (centers >= LOW_HZ) & (centers <= HIGH_HZ)].sum(axis=1), dtype=np.float64)


def judge(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    payload = change.payload
    track, device = str(payload.get("track")), payload.get("device")
    de_esser = isinstance(device, str) and bool(_DE_ESSER.search(device))
    cut = None if de_esser else _narrow_cut(change, save)
    if not de_esser and cut is None:
        return None
    frames = save.frames(track)
    found = None if frames is None else sibilants(frames)
    if frames is None or found is None:
        return None
    peak, median = found.level_db, found.median_db
    if cut is None:
        reason = (
            f"You worked the de-esser on {track}: its sibilants burst {peak - median:.0f} dB above the rest of "
            "its 5-10 kHz range, which is what a de-esser is for."
        )
        return Verdict(RULE, reason, 0.7, {"sibilant_peak_over_median_db": round(peak - median, 2)})
    reduction = peak - sibilant_level_db(frames.with_eq([cut]), found.steps)
    if reduction < MIN_REDUCTION_DB:
        return None
    confidence = round(min(1.0, 0.6 + 0.4 * (reduction - MIN_REDUCTION_DB) / 5.0), 2)
    reason = (
        f"Your {-cut.gain_db:.1f} dB cut at {cut.freq_hz:g} Hz (Q {cut.q:g}) on {track} lowers its sibilant peaks by "
        f"{reduction:.1f} dB: they burst {peak - median:.0f} dB above the rest of its 5-10 kHz range."
    )
    evidence: dict[str, float | str] = {
        "cut_hz": cut.freq_hz,
        "cut_db": cut.gain_db,
        "q": cut.q,
        "sibilant_peak_reduction_db": round(reduction, 2),
        "sibilant_peak_over_median_db": round(peak - median, 2),
    }
    return Verdict(RULE, reason, confidence, evidence)


def _narrow_cut(change: LoggedEvent, save: SaveChanges) -> EqBand | None:
    """The EQ band a change touched, when it is a narrow cut (bell or notch) in 5-10 kHz."""
    band = save.touched_band(change)
    kind, freq, gain, q = (band.get(k) for k in ("type", "freq_hz", "gain_db", "q"))
    if kind not in ("bell", "notch") or not isinstance(freq, int | float) or not isinstance(q, int | float):
        return None
    gain = float(gain) if isinstance(gain, int | float) else 0.0
    if not LOW_HZ <= freq <= HIGH_HZ or q < MIN_Q or (kind == "bell" and gain >= 0.0):
        return None
    return EqBand(str(kind), float(freq), gain_db=gain, q=float(q))
