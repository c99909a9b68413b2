"""Clip prevention: a gain cut or a limiter setting that keeps the true peak at or under -1 dBTP
where it was over.

Reasoning: a signal whose inter-sample peaks pass 0 dBFS clips in the converter or in the lossy
encode after it; EBU R128 and the streaming platforms' delivery specs ask for true peaks at or
under -1 dBTP (ITU-R BS.1770-4 Annex 2 measurement; EBU R128 s1 / Tech 3343 for the -1 dBTP
ceiling). A track's peak at the fader is its dry signal's true peak (analyzers) plus the fader.

- A fader cut is justified when the peak was over CEILING_DBTP before and is at or under it
  after.
- A limiter's ceiling (`limiter.ceiling_db`) set to CEILING_DBTP or lower is justified when the
  track's peak at the fader is over CEILING_DBTP (the limiter keeps it under).
Confidence: 0.9; 0.75 for a limiter, whose own overshoot (a sample-peak limiter lets inter-sample
peaks through) is not measured here. Partial: compressor changes are not judged yet
(analyzers.dynamics.gain_reduction can measure what a setting does).
"""

from __future__ import annotations

from daemon.store import LoggedEvent
from profiles.justify import SaveChanges, Verdict

RULE = "clip-prevention"
CEILING_DBTP = -1.0


def judge(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    payload = change.payload
    parameter, before, after = payload.get("parameter"), payload.get("before"), payload.get("after")
    if change.type != "parameter-changed" or not isinstance(after, int | float):
        return None
    track = str(payload.get("track"))
    measured = save.measured(track)
    if measured is None or measured.true_peak_dbtp == float("-inf"):
        return None
    if parameter == "volume_db" and not payload.get("device") and isinstance(before, int | float):
        peak_before, peak_after = measured.true_peak_dbtp + before, measured.true_peak_dbtp + after
        if not (after < before and peak_before > CEILING_DBTP >= peak_after):
            return None
        reason = (
            f"You pulled {track}'s fader from {before:+.1f} to {after:+.1f} dB: its true peak goes from "
            f"{peak_before:+.1f} to {peak_after:+.1f} dBTP, under the {CEILING_DBTP:g} dBTP ceiling."
        )
        evidence: dict[str, float | str] = {
            "true_peak_before_dbtp": round(peak_before, 2),
            "true_peak_after_dbtp": round(peak_after, 2),
        }
        return Verdict(RULE, reason, 0.9, {"dry_true_peak_dbtp": round(measured.true_peak_dbtp, 2), **evidence})
    if parameter == "limiter.ceiling_db" and after <= CEILING_DBTP:
        fader = save.after.track(track).channel.volume_db or 0.0
        peak = measured.true_peak_dbtp + fader
        if peak <= CEILING_DBTP:
            return None
        reason = (
            f"You set the limiter's ceiling on {track} to {after:g} dB: the track peaks at {peak:+.1f} dBTP, and the "
            f"limiter now holds it at or under {CEILING_DBTP:g} dBTP."
        )
        return Verdict(RULE, reason, 0.75, {"true_peak_dbtp": round(peak, 2), "ceiling_db": float(after)})
    return None
