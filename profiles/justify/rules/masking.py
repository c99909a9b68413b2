"""Masking: a pan move on one track that reduces how much it and another track playing at the
same time cover each other.

Reasoning: two sources with energy in the same critical bands at the same time mask each other;
panning them apart lets the ear separate them by place (spatial release from masking). The
masking index of analyzers.masking (the masker's share of each critical band's energy, weighted
by the target's energy, over the steps where both play, reckoned per side with a -3 dB pan law)
is computed for the track against each other track, in both directions, with the track at its
old and its new pan (the other tracks where they are now). The move is justified by the other
track whose masking it reduces most, when that reduction is at least MIN_REDUCTION (0.05 of the
index, a twentieth of the band energy changing hands) and the two play together at least
MIN_BOTH_PLAYING (10 %) of the time: a move away from a track that is silent while this one plays
reduces nothing.

Confidence: 0.6 at MIN_REDUCTION, 1.0 at 0.25 or more. Partial: EQ cuts for masking are not judged
yet (analyzers.masking can already evaluate them: BandFrames.with_eq).
"""

from __future__ import annotations

from analyzers.masking import masking
from daemon.store import LoggedEvent
from profiles.justify import SaveChanges, Verdict

RULE = "masking"
MIN_REDUCTION = 0.05
MIN_BOTH_PLAYING = 0.1


def judge(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    payload = change.payload
    before, after = payload.get("before"), payload.get("after")
    if change.type != "parameter-changed" or payload.get("parameter") != "pan" or payload.get("device"):
        return None
    if not isinstance(before, int | float) or not isinstance(after, int | float):
        return None
    track = str(payload.get("track"))
    mine = save.frames(track)
    if mine is None:
        return None
    best: tuple[float, str, float, float] | None = None
    for other in save.after.all_tracks():
        if other.name == track or other.role in ("group", "return", "master"):
            continue
        theirs = save.frames(other.name)
        if theirs is None:
            continue
        pan = other.channel.pan or 0.0
        for old, new in (
            (masking(theirs, mine, pan, before), masking(theirs, mine, pan, after)),  # it covering this track
            (masking(mine, theirs, before, pan), masking(mine, theirs, after, pan)),  # this track covering it
        ):
            if old.index is None or new.index is None or old.both_playing < MIN_BOTH_PLAYING:
                continue
            reduction = old.index - new.index
            if best is None or reduction > best[0]:
                best = (reduction, other.name, old.index, new.index)
    if best is None or best[0] < MIN_REDUCTION:
        return None
    reduction, partner, old_index, new_index = best
    confidence = round(min(1.0, 0.6 + 0.4 * (reduction - MIN_REDUCTION) / 0.2), 2)
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
    return Verdict(RULE, reason, confidence, evidence)
