"""De-guffing: a high-pass filter at or just under the lowest musically useful frequency of the
track, taking out real energy below it.

Reasoning: below a track's lowest note there is nothing musical, only rumble, handling noise,
the low end of spill and breath; a high-pass just under the note removes all of that and none of
the music, and leaves the low end to the instruments that own it. A high-pass above the lowest
note cuts into the notes: that is shaping by ear (taste), not de-guffing.

Thresholds: the filter's frequency at most HEADROOM_SEMITONES (0.5) above the measured lowest
note (analyzers.pitch: the lowest fundamental with a real share of the track) and no more than
MAX_BELOW_OCTAVES (1.5) under it, where a filter is too low to do the job; the energy below the
note must be at least MIN_ENERGY_BELOW (0.05 % of the track's energy, about -33 dB), or there is
nothing to take out. Confidence: 0.9 just under the note, less as the filter moves away from it.
"""

from __future__ import annotations

import math

from daemon.log.records import LoggedEvent
from profiles.justify import SaveChanges, Verdict

RULE = "de-guffing"
HEADROOM_SEMITONES = 0.5
MAX_BELOW_OCTAVES = 1.5
MIN_ENERGY_BELOW = 0.0005


def judge(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    payload = change.payload
    after = payload.get("after")
    if not str(payload.get("parameter", "")).endswith(".freq_hz") or not isinstance(after, int | float) or after <= 0:
        return None
    track = str(payload.get("track"))
    if save.touched_band(change).get("type") != "highpass":
        return None
    measured = save.measured(track)
    lowest = None if measured is None else measured.lowest
    if lowest is None or lowest.energy_below < MIN_ENERGY_BELOW:
        return None
    semitones = 12.0 * math.log2(after / lowest.freq_hz)
    if semitones > HEADROOM_SEMITONES or semitones < -12.0 * MAX_BELOW_OCTAVES:
        return None
    confidence = round(0.9 - 0.3 * max(0.0, -semitones - 2.0) / (12.0 * MAX_BELOW_OCTAVES - 2.0), 2)
    where = "at" if abs(semitones) <= HEADROOM_SEMITONES else f"{-semitones:.1f} semitones under"
    reason = (
        f"You put {track}'s high-pass at {after:g} Hz, {where} its lowest note, {lowest.note} at "
        f"{lowest.freq_hz:.1f} Hz: it takes out the {100 * lowest.energy_below:.1f} % of the track's energy below the music."
    )
    evidence: dict[str, float | str] = {
        "high_pass_hz": float(after),
        "lowest_note": lowest.note,
        "lowest_note_hz": lowest.freq_hz,
        "semitones_from_note": round(semitones, 2),
        "energy_below": round(lowest.energy_below, 5),
    }
    return Verdict(RULE, reason, confidence, evidence)
