"""Clip prevention: a gain cut, a limiter or a compressor setting that keeps the true peak at or
under -1 dBTP where it was over.

Reasoning: a signal whose inter-sample peaks pass 0 dBFS clips in the converter or in the lossy
encode after it; EBU R128 and the streaming platforms' delivery specs ask for true peaks at or
under -1 dBTP (ITU-R BS.1770-4 Annex 2 measurement; EBU R128 s1 / Tech 3343 for the -1 dBTP
ceiling). A track's peak at the fader is its dry signal's true peak (analyzers) plus the fader.

- A fader cut is justified when the peak was over CEILING_DBTP before and is at or under it
  after.
- A clip-gain cut (a `clip-changed` whose `gain_db` went down) likewise: the track's true peak is
  measured with the clips as the save before placed them and as this save placed them, plus the
  fader as this save left it.
- A limiter change (its ceiling, or its threshold where the format has no ceiling, as DAWproject's
  Limiter; its input or output gain) is judged on the channel as it plays: the limiter is an
  insert, before the fader. Its output peaks at the lower of the track's peak (plus the input
  gain) and its ceiling or threshold, plus its output gain; the fader comes after. Justified when
  the track's peak at the fader was over CEILING_DBTP with the setting before and is at or under
  it with this one: a ceiling of -1 dB under a +3 dB fader still peaks at +2 dBTP.
- A compressor change (any `comp.*` term but the make-up and output gains, which only raise the
  peak) is justified when the track's peak at the fader was over CEILING_DBTP with the setting
  and the fader the save before left, and is at or under it with this save's. The compressed peak
  is reckoned without rendering: the compressor's gain reduction (analyzers.dynamics, 1 ms steps)
  is taken off each millisecond's sample peak, the highest result plus the dry signal's
  inter-sample overshoot (true peak minus sample peak), plus the compressor's make-up and output
  gain and the fader: a make-up gain added in the same save counts against the change.
Confidence: 0.9 for gain cuts; 0.75 for a limiter, whose own overshoot (a sample-peak limiter
lets inter-sample peaks through) is not measured here, and for a compressor, whose detector is
modelled (peak, no look-ahead), not the plug-in's own.
"""

from __future__ import annotations

import numpy as np

from daemon.log.records import LoggedEvent
from daemon.sessions.model import Session
from profiles.justify import SaveChanges, Verdict, compressor

RULE = "clip-prevention"
CEILING_DBTP = -1.0
_OUTPUT_TERMS = ("comp.makeup_db", "comp.output_gain_db")
_LIMITER_TERMS = ("limiter.ceiling_db", "limiter.threshold_db", "limiter.input_gain_db", "limiter.output_gain_db")


def judge(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    payload = change.payload
    parameter, before, after = payload.get("parameter"), payload.get("before"), payload.get("after")
    if change.type == "clip-changed":
        return _clip_gain(change, save)
    if change.type != "parameter-changed":
        return None
    if str(parameter).startswith("comp.") and parameter not in _OUTPUT_TERMS and payload.get("device"):
        return _compressor(change, save)
    if not isinstance(after, int | float):
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
    if parameter in _LIMITER_TERMS and payload.get("device") and isinstance(before, int | float):
        return _limiter(change, save, measured.true_peak_dbtp)
    return None


def _limiter(change: LoggedEvent, save: SaveChanges, dry_peak_dbtp: float) -> Verdict | None:
    payload = change.payload
    track, device, term = str(payload.get("track")), payload.get("device"), str(payload["parameter"])
    setting = _limiter_setting(save.after, track, device)
    if setting is None or not np.isfinite(dry_peak_dbtp):
        return None
    fader = _fader(save.after, track)
    peak_before = _limited_peak(dry_peak_dbtp, {**setting, term: float(payload["before"])}) + fader
    peak_after = _limited_peak(dry_peak_dbtp, {**setting, term: float(payload["after"])}) + fader
    if not peak_before > CEILING_DBTP >= peak_after:
        return None
    what = term.removeprefix("limiter.").removesuffix("_db").replace("_", " ")
    reason = (
        f"You set the {what} of {track}'s {device} to {payload['after']:g} dB: with the fader after it at "
        f"{fader:+.1f} dB, the track peaked at {peak_before:+.1f} dBTP and now at {peak_after:+.1f} dBTP, under the "
        f"{CEILING_DBTP:g} dBTP ceiling."
    )
    return Verdict(RULE, reason, 0.75, _peaks(peak_before, peak_after, dry_peak_dbtp, fader_db=round(fader, 2)))


def _limiter_setting(session: Session, track: str, device: object) -> dict[str, float] | None:
    """The limiter `device`'s limiter.* settings on the track, None when it is not an enabled limiter."""
    try:
        devices = session.track(track).devices
    except KeyError:
        return None
    for found in devices:
        if found.name == device and found.kind == "limiter" and found.enabled:
            return {k: float(v) for k, v in found.params if k in _LIMITER_TERMS and isinstance(v, int | float)}
    return None


def _limited_peak(peak_dbtp: float, setting: dict[str, float]) -> float:
    """The peak out of a limiter: the input (plus its input gain) held to its ceiling and its
    threshold, whichever it has (both: the lower), plus its output gain."""
    level = peak_dbtp + setting.get("limiter.input_gain_db", 0.0)
    for term in ("limiter.ceiling_db", "limiter.threshold_db"):
        if term in setting:
            level = min(level, setting[term])
    return level + setting.get("limiter.output_gain_db", 0.0)


def _clip_gain(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    payload = change.payload
    track, before, after = str(payload.get("track")), payload.get("before"), payload.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None
    old_gain, new_gain = before.get("gain_db"), after.get("gain_db")
    if not isinstance(old_gain, int | float) or not isinstance(new_gain, int | float) or new_gain >= old_gain:
        return None
    was, now = save.measured(track, before=True), save.measured(track)
    if was is None or now is None or not np.isfinite(was.true_peak_dbtp) or now.true_peak_dbtp == float("-inf"):
        return None
    fader = _fader(save.after, track)
    peak_before, peak_after = was.true_peak_dbtp + fader, now.true_peak_dbtp + fader
    if not peak_before > CEILING_DBTP >= peak_after:
        return None
    reason = (
        f"You took {track}'s clip gain from {old_gain:+.1f} to {new_gain:+.1f} dB: its true peak at the fader goes from "
        f"{peak_before:+.1f} to {peak_after:+.1f} dBTP, under the {CEILING_DBTP:g} dBTP ceiling."
    )
    evidence: dict[str, float | str] = {
        "true_peak_before_dbtp": round(peak_before, 2),
        "true_peak_after_dbtp": round(peak_after, 2),
        "clip_gain_before_db": float(old_gain),
        "clip_gain_after_db": float(new_gain),
    }
    return Verdict(RULE, reason, 0.9, evidence)


def _compressor(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    track, device = str(change.payload.get("track")), change.payload.get("device")
    if save.before is None:
        return None
    new = compressor.setting(save.after, track, device)
    measured = save.measured(track)
    if new is None or measured is None or not np.isfinite(measured.true_peak_dbtp):
        return None
    old = compressor.setting(save.before, track, device)
    if measured.true_peak_dbtp + _output_db(old) + _fader(save.before, track) <= CEILING_DBTP:
        return None  # under the ceiling before, whatever the compressor did: nothing to prevent
    peak_before = _compressed_peak(save, track, old, _fader(save.before, track))
    peak_after = _compressed_peak(save, track, new, _fader(save.after, track))
    if peak_before is None or peak_after is None or not peak_before > CEILING_DBTP >= peak_after:
        return None
    reason = (
        f"Your compressor change on {track} ({new['comp.ratio']:g}:1 from {new['comp.threshold_db']:g} dB) holds its "
        f"peaks down: at the fader it peaked at {peak_before:+.1f} dBTP and now at {peak_after:+.1f} dBTP, under the "
        f"{CEILING_DBTP:g} dBTP ceiling."
    )
    return Verdict(RULE, reason, 0.75, _peaks(peak_before, peak_after, measured.true_peak_dbtp))


def _peaks(before_dbtp: float, after_dbtp: float, dry_dbtp: float, **more: float) -> dict[str, float | str]:
    """The evidence of a peak brought under the ceiling: at the fader before and after, and dry."""
    return {
        "true_peak_before_dbtp": round(before_dbtp, 2),
        "true_peak_after_dbtp": round(after_dbtp, 2),
        "dry_true_peak_dbtp": round(dry_dbtp, 2),
        **more,
    }


def _compressed_peak(save: SaveChanges, track: str, setting: dict[str, float] | None, fader: float) -> float | None:
    """The track's true peak at the fader through a compressor setting (None: no compressor):
    its highest millisecond peak after the gain reduction, plus the dry signal's inter-sample
    overshoot, the compressor's make-up and output gains and the fader."""
    measured = save.measured(track)
    if measured is None:
        return None
    if setting is None:
        return measured.true_peak_dbtp + fader
    effect = save.compressor_effect(track, setting)
    if effect is None:
        return None
    overshoot = max(0.0, measured.true_peak_dbtp - measured.sample_peak_dbfs)
    return effect.peak_dbfs + overshoot + _output_db(setting) + fader


def _fader(session: Session, track: str) -> float:
    try:
        volume = session.track(track).channel.volume_db
    except KeyError:
        return 0.0
    return -120.0 if volume is None else volume


def _output_db(setting: dict[str, float] | None) -> float:
    """The gain a compressor setting adds after its gain reduction (make-up and output)."""
    return 0.0 if setting is None else sum(setting.get(term, 0.0) for term in _OUTPUT_TERMS)
