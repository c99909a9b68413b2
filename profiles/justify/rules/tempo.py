"""Tempo: a delay time or a reverb pre-delay set on a musical subdivision of the session's tempo.

Reasoning: an echo that repeats on the beat's grid (a quarter, a dotted eighth, a sixteenth
triplet ...) locks with the groove instead of smearing it; a pre-delay on the grid keeps the
reverb's onset in time. Tempo-synced plug-ins land exactly on the grid; an engineer typing
milliseconds or using a calculator lands within a millisecond or two.

Thresholds: on the grid when the time is within ON_GRID_PCT (1.5 %) of the nearest subdivision
(analyzers.tempo: whole note to 1/64, straight, dotted, triplet) or within ON_GRID_MS (2 ms) of
it, whichever is wider: 2 ms is a rounding of a calculator's value to whole milliseconds twice
over, 1.5 % keeps a 7 % miss (a tempo that changed since) well outside. Confidence falls from
1.0 on the grid to 0.6 at the edge of the window. Times under MIN_TIME_MS (10 ms) say nothing
about the grid (a doubling delay, a short slap) and are not judged. Sources: the subdivision
tables of delay calculators and tempo-synced delays (note values at 60000/BPM ms per beat).
"""

from __future__ import annotations

from analyzers.tempo import grid_fit
from daemon.log.records import LoggedEvent
from profiles.justify import SaveChanges, Verdict

RULE = "tempo"
TERMS = {"delay.time_ms": "delay", "reverb.predelay_ms": "pre-delay"}
ON_GRID_PCT = 1.5
ON_GRID_MS = 2.0
MIN_TIME_MS = 10.0


def judge(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    what = TERMS.get(str(change.payload.get("parameter", "")))
    after = change.payload.get("after")
    tempo = save.after.tempo_bpm
    if change.type != "parameter-changed" or what is None or not isinstance(after, int | float) or not tempo:
        return None
    if after < MIN_TIME_MS:
        return None
    fit = grid_fit(float(after), tempo)
    window_ms = max(ON_GRID_MS, fit.grid_ms * ON_GRID_PCT / 100)
    if abs(fit.error_ms) > window_ms:
        return None
    confidence = round(1.0 - 0.4 * abs(fit.error_ms) / window_ms, 2)
    device = change.payload.get("device") or "the device"
    off = "right on it" if abs(fit.error_ms) < 0.05 else f"{abs(fit.error_ms):.1f} ms off it"
    reason = (
        f"You set the {what} on {change.payload.get('track')}'s {device} to {after:g} ms: a {fit.subdivision} at "
        f"{tempo:g} BPM is {fit.grid_ms:.1f} ms, so it sits on the tempo grid ({off})."
    )
    evidence: dict[str, float | str] = {
        "time_ms": float(after),
        "tempo_bpm": tempo,
        "subdivision": fit.subdivision,
        "grid_ms": round(fit.grid_ms, 3),
        "error_ms": round(fit.error_ms, 3),
        "error_pct": round(fit.error_pct, 3),
    }
    return Verdict(RULE, reason, confidence, evidence)
