"""Changes made in one save for one purpose, judged together: an EQ cut or a compressor change
on a track, and the make-up gain that gives back the level it took.

Reasoning: a cut takes level off a track, and a compressor takes it off the loud passages; an
engineer then raises the fader, the device's output or the clip's gain by about as much, so that
the track sits where it did and the cut is heard for its tone, the compression for its
dynamics, not as a drop in level. That gain change has no purpose of its own: it shares the
cut's.

- Level taken, per track, from the save's changes to it:
  - EQ: for every EQ device whose `eq.band<N>.*` terms changed, its bands as the save before
    left them and as this save left them (RBJ responses, analyzers.eq) applied to the track's
    long-term spectrum, K-weighted as BS.1770 weighs loudness: the loss of weighted power;
  - compressor: for every compressor whose `comp.*` terms (but the make-up and output gains)
    changed, the track's integrated loudness with the gain reduction of the old and of the new
    setting taken off each 100 ms segment (analyzers.dynamics; no compressor before: none).
- Level restored: the sum of the track's gain raises in the save: its fader (`volume_db`), a
  device's make-up or output gain (`*.makeup_db`, `*.output_gain_db`), a clip's `gain_db`.
- They match when both are at least MIN_LEVEL_DB (0.5 dB: less is no audible level to make up)
  and within MAKEUP_TOLERANCE_DB (1 dB, about the smallest level difference a listener notices)
  of each other.

The processor (profiles.justify.processor) finds the matches first and hands the restored level
to the rules (SaveChanges.makeup_db), so that the masking rule judges a cut with its make-up
(a make-up that undoes the cut makes no room). Each make-up change then gets the verdict of the
most confident justified change it makes up for: the same rule and confidence, its own reason
(the level taken and the level given back). When none of them is justified, the make-up stays
unexplained with them: the question is the cut's, not the gain's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.signal

from analyzers.eq import EqBand, bands_from_terms, total_power_gain
from analyzers.loudness import k_weighting_sos
from daemon.log.records import LoggedEvent
from daemon.sessions.model import Session
from profiles.justify import SaveChanges, Verdict, compressor

MIN_LEVEL_DB = 0.5
MAKEUP_TOLERANCE_DB = 1.0
_EQ_BAND = re.compile(r"eq\.band\d+\.\w+$")
_GAIN_TERM = re.compile(r"\.(makeup_db|output_gain_db)$")


@dataclass(frozen=True)
class MakeUp:
    """The changes of one track in one save made for one purpose: the cut or compressor changes
    (`purposes`, log positions), the gain raises that make up the level they took (`makeups`)."""

    track: str
    purposes: tuple[int, ...]
    makeups: tuple[int, ...]
    taken_db: float
    restored_db: float
    what: str  # "EQ cut", "compression" or "EQ cut and compression"


def find(save: SaveChanges) -> list[MakeUp]:
    """The make-up gains of a save that match the level its cuts and compressor changes took."""
    if save.before is None:
        return []
    by_track: dict[str, list[LoggedEvent]] = {}
    for change in save.changes:
        if change.payload.get("track"):
            by_track.setdefault(str(change.payload["track"]), []).append(change)
    found = []
    for track, changes in by_track.items():
        raises = [(c.position, r) for c in changes if (r := raised_db(c)) is not None]
        eq_devices = {c.payload.get("device") for c in changes if _is_eq(c)}
        comp_devices = {c.payload.get("device") for c in changes if _is_comp(c)}
        if not raises or not (eq_devices or comp_devices):
            continue
        restored = sum(r for _, r in raises)
        taken_eq = _eq_taken(save, track, eq_devices)
        taken_comp = _comp_taken(save, track, comp_devices)
        taken = (taken_eq or 0.0) + (taken_comp or 0.0)
        if min(taken, restored) < MIN_LEVEL_DB or abs(taken - restored) > MAKEUP_TOLERANCE_DB:
            continue
        parts = [name for name, part in (("EQ cut", taken_eq), ("compression", taken_comp)) if part]
        purposes = tuple(c.position for c in changes if _is_eq(c) or _is_comp(c))
        found.append(MakeUp(track, purposes, tuple(p for p, _ in raises), taken, restored, " and ".join(parts)))
    return found


def raised_db(change: LoggedEvent) -> float | None:
    """How much a gain change raises its track (fader, make-up or output gain, clip gain); None
    for any other change or a gain lowered."""
    payload = change.payload
    before, after = payload.get("before"), payload.get("after")
    if change.type == "clip-changed" and isinstance(before, dict) and isinstance(after, dict):
        before, after = before.get("gain_db"), after.get("gain_db")
    elif change.type != "parameter-changed":
        return None
    else:
        parameter = str(payload.get("parameter", ""))
        device = payload.get("device")
        if not ((parameter == "volume_db" and not device) or (device and _GAIN_TERM.search(parameter))):
            return None
    if not isinstance(before, int | float) or not isinstance(after, int | float) or after <= before:
        return None
    return float(after - before)


def verdict(change: LoggedEvent, group: MakeUp, lead: Verdict) -> Verdict:
    """The verdict of a make-up gain change: that of the change it makes up for, its own reason."""
    raised = raised_db(change) or 0.0
    payload = change.payload
    if change.type == "clip-changed":
        what = f"{group.track}'s clip gain"
    elif payload.get("device"):
        what = f"the {payload['parameter']} of {group.track}'s {payload['device']}"
    else:
        what = f"{group.track}'s fader"
    reason = (
        f"You raised {what} by {raised:.1f} dB to make up the level your {group.what} took: it took "
        f"{group.taken_db:.1f} dB off {group.track} and your make-up gives back {group.restored_db:.1f} dB, so the "
        f"track sits where it did and the {group.what} is heard for what it is for ({lead.rule})."
    )
    evidence: dict[str, float | str] = {
        "taken_db": round(group.taken_db, 2),
        "restored_db": round(group.restored_db, 2),
        "made_up_for": lead.rule,
    }
    return Verdict(lead.rule, reason, lead.confidence, evidence)


def _is_eq(change: LoggedEvent) -> bool:
    parameter = str(change.payload.get("parameter", ""))
    return change.type == "parameter-changed" and bool(change.payload.get("device")) and bool(_EQ_BAND.match(parameter))


def _is_comp(change: LoggedEvent) -> bool:
    parameter = str(change.payload.get("parameter", ""))
    return (
        change.type == "parameter-changed"
        and bool(change.payload.get("device"))
        and parameter.startswith("comp.")
        and not _GAIN_TERM.search(parameter)
    )


def _eq_taken(save: SaveChanges, track: str, devices: Iterable[object]) -> float | None:
    """The K-weighted level (dB) the EQ changes of these devices took off the track."""
    assert save.before is not None
    measured = save.measured(track)
    if measured is None or not devices:
        return None
    freqs, power = measured.freqs_hz, measured.power
    _, k = scipy.signal.sosfreqz(k_weighting_sos(measured.sample_rate_hz), worN=freqs, fs=measured.sample_rate_hz)
    weighted = power * np.abs(k) ** 2
    old = total_power_gain(_bands(save.before, track, devices), freqs, measured.sample_rate_hz)
    new = total_power_gain(_bands(save.after, track, devices), freqs, measured.sample_rate_hz)
    before, after = float((weighted * old).sum()), float((weighted * new).sum())
    if before <= 0.0 or after <= 0.0:
        return None
    return 10.0 * float(np.log10(before / after))


def _bands(session: Session, track: str, devices: Iterable[object]) -> list[EqBand]:
    try:
        chain = session.track(track).devices
    except KeyError:
        return []
    return [
        b for d in chain if d.name in devices and d.kind == "eq" and d.enabled for b in bands_from_terms(d.param_dict)
    ]


def _comp_taken(save: SaveChanges, track: str, devices: Iterable[object]) -> float | None:
    """The integrated loudness (LU) the changes of these compressors took off the track."""
    assert save.before is not None
    measured = save.measured(track)
    if measured is None or measured.integrated_lufs is None:
        return None
    taken = 0.0
    for device in devices:
        old, new = compressor.setting(save.before, track, device), compressor.setting(save.after, track, device)
        was = measured.integrated_lufs if old is None else _integrated(save, track, old)
        now = measured.integrated_lufs if new is None else _integrated(save, track, new)
        if was is None or now is None:
            return None
        taken += was - now
    return taken


def _integrated(save: SaveChanges, track: str, setting: dict[str, float]) -> float | None:
    found = compressor.compressed(save, track, setting)
    return None if found is None else found.integrated_lufs
