"""Resonance: a narrow EQ cut on a sustained spectral peak of the track.

Reasoning: a room mode, a drum's ring or a cheap mic's presence bump shows in the track's
long-term average spectrum as a narrow peak that stands above its neighbourhood whatever is
played; a narrow cut on it evens the tone without touching the rest. A narrow cut where the
spectrum is smooth removes nothing that stands out: that is shaping by ear.

Thresholds: a bell band cutting (gain under 0 dB) with Q at least MIN_Q (4, about a third of an
octave wide: narrower than tone shaping); the long-term spectrum (analyzers, 0.68 s frames, Hann,
averaged over the whole track) holds, within the cut's bandwidth (f0 / Q wide, so f0 / 2Q either
side, and at least a semitone either side: where the cut takes out 3 dB or more of its depth), a
peak at least MIN_PROMINENCE_DB (6 dB) above the median of the spectrum within a
third of an octave of it. Confidence from 0.6 at 6 dB to 1.0 at 18 dB of prominence.
"""

from __future__ import annotations

import numpy as np

from daemon.log.records import LoggedEvent
from profiles.justify import SaveChanges, Verdict

RULE = "resonance"
MIN_Q = 4.0
MIN_PROMINENCE_DB = 6.0


def judge(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    track = str(change.payload.get("track"))
    params = save.touched_band(change)
    kind, freq, gain, q = (params.get(k) for k in ("type", "freq_hz", "gain_db", "q"))
    if kind != "bell" or not all(isinstance(v, int | float) for v in (freq, gain, q)):
        return None
    freq, gain, q = float(freq), float(gain), float(q)  # type: ignore[arg-type]
    if gain >= 0.0 or q < MIN_Q or freq <= 0.0:
        return None
    measured = save.measured(track)
    if measured is None:
        return None
    f, p = measured.freqs_hz, measured.power
    half = max(freq / (2.0 * q), freq * (2 ** (1 / 12) - 1))
    inside = (f >= freq - half) & (f <= freq + half)
    around = (f >= freq * 2 ** (-1 / 3)) & (f <= freq * 2 ** (1 / 3))
    if not inside.any() or around.sum() < 5:
        return None
    peak_index = int(np.flatnonzero(inside)[np.argmax(p[inside])])
    floor = float(np.median(p[around]))
    if floor <= 0.0 or p[peak_index] <= 0.0:
        return None
    prominence = 10.0 * float(np.log10(p[peak_index] / floor))
    if prominence < MIN_PROMINENCE_DB:
        return None
    confidence = round(min(1.0, 0.6 + 0.4 * (prominence - MIN_PROMINENCE_DB) / 12.0), 2)
    reason = (
        f"You cut {-gain:.1f} dB at {freq:g} Hz (Q {q:g}) on {track}: the track rings there, a peak at "
        f"{f[peak_index]:.0f} Hz standing {prominence:.1f} dB above the spectrum around it all through the song."
    )
    evidence: dict[str, float | str] = {
        "cut_hz": freq,
        "cut_db": gain,
        "q": q,
        "peak_hz": round(float(f[peak_index]), 1),
        "prominence_db": round(prominence, 2),
    }
    return Verdict(RULE, reason, confidence, evidence)
