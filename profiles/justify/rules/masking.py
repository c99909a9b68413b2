"""Masking: an EQ cut or a pan move on one track that reduces how much it and another track
playing at the same time cover each other.

Reasoning: two sources with energy in the same critical bands at the same time mask each other;
cutting one of them where the other lives, or panning them apart (spatial release from masking),
lets the ear hear both. The measure is the masking index of analyzers.masking (the masker's share
of each critical band's energy, weighted by the target's energy, over the steps where both play,
reckoned per side with a -3 dB pan law), for the track against each other track, in both
directions, before and after the change; the other tracks as the save left them (their pan, their
EQ). The change is justified by the other track whose masking it reduces most, when that
reduction is at least MIN_REDUCTION (0.05 of the index, a twentieth of the band energy changing
hands) and the two play together at least MIN_BOTH_PLAYING (10 %) of the time: a change that
makes room for a track silent while this one plays reduces nothing.

- Pan (`pan` of the channel): the overall index, with the track at its old and its new pan.
- EQ cut (a change to an `eq.band<N>.*` term whose band is, as the save left it, a bell or shelf
  with negative gain or a notch): the track's band energies through its whole EQ chain (every
  enabled EQ device's bands, RBJ responses) as the save before left it and as this save left it,
  plus the make-up gain matched to the cut in the same save (SaveChanges.makeup_db, see
  profiles.justify.together): a cut that the make-up undoes does not make room. The index is
  taken over the critical bands where the change lowers the track's energy by at least
  AFFECTED_DB (1 dB), weighted by the target's energy there: a narrow cut is judged where it
  works, not diluted by the rest of the spectrum; there it must fall by at least
  MIN_EQ_REDUCTION (0.15: what a 3 dB cut does where the two are equally loud, 0.5 to 0.33; a
  few dB of presence taken off a vocal that stands 5 dB over a guitar there moves it by 0.1, a
  shaping by ear more than making room). Those bands must hold at least
  MIN_TARGET_SHARE (0.1 %, -30 dB) of the target's energy: a cut where the other track has no
  energy, or only a faint click or leakage, makes room for nothing it plays (measured on
  generated mixes: a kick's beater click at 3-6 kHz lies 34 dB and more under its whole, a
  vocal's presence at 2-4 kHz about 19 dB). All EQ changes of a track in one save are evaluated
  once, together.

Confidence: 0.6 at the minimum reduction, 1.0 at 0.2 more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analyzers.eq import EqBand, bands_from_terms
from analyzers.masking import BARK_EDGES_HZ, BandFrames, Masking, MaskingPair, masking_many, pan_gains
from daemon.log.records import LoggedEvent
from daemon.sessions.model import Session
from profiles.justify import SaveChanges, Verdict

RULE = "masking"
MIN_REDUCTION = 0.05
MIN_BOTH_PLAYING = 0.1
AFFECTED_DB = 1.0
MIN_EQ_REDUCTION = 0.15
MIN_TARGET_SHARE = 10.0 ** (-30.0 / 10.0)
NOT_MIXED = ("group", "return", "master")


def judge(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    if change.type != "parameter-changed" or not change.payload.get("track"):
        return None
    if change.payload.get("parameter") == "pan" and not change.payload.get("device"):
        payload = change.payload
        key = ("pan-masking", payload.get("track"), payload.get("before"), payload.get("after"))
        return save.memo(key, lambda: _pan(change, save))
    cut = _cut(save.touched_band(change))
    return None if cut is None else _eq_cut(change, save, cut)


def _pan(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    payload = change.payload
    before, after = payload.get("before"), payload.get("after")
    if not isinstance(before, int | float) or not isinstance(after, int | float):
        return None
    track = str(payload.get("track"))
    mine = equalized(save, track)
    if mine is None:
        return None
    # Where the two tracks mask each other now, in both directions, with this track at its old pan.
    # Each side's term of the index, (m gm)(t gt) / (m gm + t gt), grows with either gain and
    # scales with both, so moving this track's gain on a side by a factor k leaves that side's
    # part of the index at least min(k, 1) of what it was: the index can fall by at most the sum
    # over the sides of (1 - min(k, 1)) times their parts (MaskingPair.index_by_side). Only the
    # pairs where that bound reaches MIN_REDUCTION, and the best reduction found so far, are
    # weighed at the new pan, the largest bound first (the same answer as weighing them all, for
    # less).
    kept = [min(1.0, new / old) if old > 0 else 1.0 for old, new in zip(pan_gains(before), pan_gains(after))]
    weighed = []
    for other, theirs in _others(save, track):
        pan = pan_of(save.after, other)
        covering = _pair(save, (other, theirs), (track, mine))  # it covering this track
        covered = _pair(save, (track, mine), (other, theirs))  # this track covering it
        if covering.both_playing < MIN_BOTH_PLAYING:
            continue
        for pair, pans in ((covering, (pan, None)), (covered, (None, pan))):
            sides = pair.index_by_side(*(before if p is None else p for p in pans))
            if sides is not None:
                most = sum((1.0 - k) * side for k, side in zip(kept, sides, strict=True))
                weighed.append((most, sum(sides), other, pair, pans))
    best: tuple[float, str, float, float] | None = None
    for most, old_index, other, pair, pans in sorted(weighed, key=lambda w: -w[0]):
        if most < max(MIN_REDUCTION, best[0] if best else MIN_REDUCTION):
            break
        new = pair.index_at(*(after if p is None else p for p in pans))
        if new is not None and (best is None or old_index - new > best[0]):
            best = (old_index - new, other, old_index, new)
    if best is None or best[0] < MIN_REDUCTION:
        return None
    reduction, partner, old_index, new_index = best
    reason = (
        f"Panning {track} from {before:+.2f} to {after:+.2f} moves it away from {partner}, which plays at the same "
        f"time in the same bands: their masking index falls from {old_index:.2f} to {new_index:.2f}."
    )
    evidence: dict[str, float | str] = {
        "other_track": partner,
        "masking_before": round(old_index, 3),
        "masking_after": round(new_index, 3),
        "pan_before": float(before),
        "pan_after": float(after),
    }
    return Verdict(RULE, reason, _confidence(reduction), evidence)


def _pair(save: SaveChanges, masker: tuple[str, BandFrames], target: tuple[str, BandFrames]) -> MaskingPair:
    """Two tracks (through their EQ) set against each other, once per save: the pan moves of
    either weigh the same pair."""
    return save.memo(("masking-pair", masker[0], target[0]), lambda: MaskingPair(masker[1], target[1]))


@dataclass(frozen=True)
class _Room:
    """What a track's EQ changes of one save do to its masking of (or by) its best partner."""

    partner: str
    masker: str
    target: str
    before: float
    after: float
    low_hz: float
    high_hz: float
    both_playing: float


def _eq_cut(change: LoggedEvent, save: SaveChanges, cut: EqBand) -> Verdict | None:
    track = str(change.payload.get("track"))
    makeup = save.makeup_db.get(track, 0.0)
    room = save.memo(("eq-masking", track, makeup), lambda: _room(save, track))
    if room is None or room.before - room.after < MIN_EQ_REDUCTION:
        return None
    if cut.type == "notch":
        what = f"notch at {cut.freq_hz:g} Hz (Q {cut.q:g})"
    else:
        shape = {"bell": "cut", "lowshelf": "low-shelf cut", "highshelf": "high-shelf cut"}[cut.type]
        what = f"{-cut.gain_db:.1f} dB {shape} at {cut.freq_hz:g} Hz" + (
            f" (Q {cut.q:g})" if cut.type == "bell" else ""
        )
    covering = f"{room.masker} covers {room.target}"
    reason = (
        f"Your {what} on {track} makes room for {room.partner}, which plays at the same time in that band: between "
        f"{room.low_hz:g} and {room.high_hz:g} Hz, where the cut works{_with_makeup(makeup)}, {covering} less, the "
        f"masking index falling from {room.before:.2f} to {room.after:.2f}."
    )
    evidence: dict[str, float | str] = {
        "other_track": room.partner,
        "masker": room.masker,
        "masking_before": round(room.before, 3),
        "masking_after": round(room.after, 3),
        "band_low_hz": room.low_hz,
        "band_high_hz": room.high_hz,
        "both_playing": round(room.both_playing, 3),
        "cut_hz": cut.freq_hz,
        "cut_db": cut.gain_db,
        "q": cut.q,
    }
    if makeup:
        evidence["makeup_db"] = round(makeup, 2)
    return Verdict(RULE, reason, _confidence(room.before - room.after - MIN_EQ_REDUCTION + MIN_REDUCTION), evidence)


def _with_makeup(makeup: float) -> str:
    return f" even with the {makeup:.1f} dB of make-up gain" if makeup else ""


def _room(save: SaveChanges, track: str) -> _Room | None:
    """The best reduction of masking a track's EQ changes in this save bring, over the critical
    bands where they lower its energy, against any other track playing with it."""
    mine = save.frames(track)
    if mine is None or save.before is None:
        return None
    old_chain, new_chain = eq_chain(save.before, track), eq_chain(save.after, track)
    if old_chain == new_chain:
        return None
    before = mine.with_eq(old_chain)
    after = mine.with_eq(new_chain)
    makeup = save.makeup_db.get(track, 0.0)
    if makeup:
        after = BandFrames(after.energy * 10.0 ** (makeup / 10.0), after.step_s, after.edges_hz)
    lowered = after.critical_totals < before.critical_totals * 10.0 ** (-AFFECTED_DB / 10.0)
    if not lowered.any():
        return None
    where = np.flatnonzero(lowered)
    low_hz, high_hz = float(BARK_EDGES_HZ[where[0]]), float(BARK_EDGES_HZ[where[-1] + 1])
    my_pan = pan_of(save.after, track)
    # Every other track in both directions, weighed in batches over the lowered bands: first with
    # this track's EQ as the save before left it; then, with its EQ as this save left it, only the
    # pairs whose index there is at least MIN_EQ_REDUCTION (a cut can lower an index by at most
    # all of it).
    candidates, pairs, pans = [], [], []
    for other, theirs in _others(save, track):
        pan = pan_of(save.after, other)
        for masker, target, old_pair, new_pair, weights, mp_tp in (
            (track, other, (before, theirs), (after, theirs), theirs.critical_totals, (my_pan, pan)),
            (other, track, (theirs, before), (theirs, after), before.critical_totals, (pan, my_pan)),
        ):
            if weights[lowered].sum() >= MIN_TARGET_SHARE * weights.sum():
                candidates.append((other, masker, target, weights, new_pair, mp_tp))
                pairs.append(old_pair)
                pans.append(mp_tp)
    olds = []
    for candidate, old in zip(candidates, masking_many(pairs, pans, bands=lowered), strict=True):
        old_index = _index_over(old, lowered, candidate[3])
        if old.both_playing >= MIN_BOTH_PLAYING and old_index is not None and old_index >= MIN_EQ_REDUCTION:
            olds.append((candidate, old, old_index))
    news = masking_many([c[4] for c, _, _ in olds], [c[5] for c, _, _ in olds], bands=lowered)
    best: _Room | None = None
    for ((other, masker, target, weights, _, _), old, old_index), new in zip(olds, news, strict=True):
        new_index = _index_over(new, lowered, weights)
        if new_index is None:
            continue
        if best is None or old_index - new_index > best.before - best.after:
            best = _Room(other, masker, target, old_index, new_index, low_hz, high_hz, old.both_playing)
    return best


def _index_over(found: Masking, bands: npt.NDArray[np.bool_], weights: npt.NDArray[np.float64]) -> float | None:
    """The index over `bands`, each band's weighted by the target's energy there; None where the
    target has no energy in any of them."""
    total = weight = 0.0
    for band in np.flatnonzero(bands):
        index = found.band_index[band]
        if index is not None:
            total += index * float(weights[band])
            weight += float(weights[band])
    return total / weight if weight > 0 else None


def eq_chain(session: Session, track: str) -> list[EqBand]:
    """The bands of every enabled EQ device of a track, in chain order."""
    try:
        devices = session.track(track).devices
    except KeyError:
        return []
    return [band for d in devices if d.kind == "eq" and d.enabled for band in bands_from_terms(d.param_dict)]


def _cut(band: Mapping[str, object]) -> EqBand | None:
    """The touched band as an EqBand when it cuts: a bell or shelf with negative gain, or a notch."""
    kind, freq, gain, q = (band.get(k) for k in ("type", "freq_hz", "gain_db", "q"))
    if kind not in ("bell", "lowshelf", "highshelf", "notch") or not isinstance(freq, int | float) or freq <= 0:
        return None
    gain = float(gain) if isinstance(gain, int | float) else 0.0
    q = float(q) if isinstance(q, int | float) and q > 0 else 0.7071
    if kind != "notch" and gain >= 0.0 or band.get("enabled") is False:
        return None
    return EqBand(str(kind), float(freq), gain_db=gain, q=q)


def equalized(save: SaveChanges, track: str) -> BandFrames | None:
    """A track's band energies through its EQ chain as the save left it (once per save)."""

    def compute() -> BandFrames | None:
        frames = save.frames(track)
        return None if frames is None else frames.with_eq(eq_chain(save.after, track))

    return save.memo(("equalized", track), compute)


def _others(save: SaveChanges, track: str) -> list[tuple[str, BandFrames]]:
    """The other tracks that play (not buses), with their band energies through their own EQ."""
    found = []
    for other in save.after.all_tracks():
        if other.name != track and other.role not in NOT_MIXED:
            frames = equalized(save, other.name)
            if frames is not None:
                found.append((other.name, frames))
    return found


def pan_of(session: Session, track: str) -> float:
    try:
        return session.track(track).channel.pan or 0.0
    except KeyError:
        return 0.0


def _confidence(reduction: float) -> float:
    return round(min(1.0, 0.6 + 0.4 * (reduction - MIN_REDUCTION) / 0.2), 2)
