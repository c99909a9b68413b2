"""Gain staging: a fader move that brings the track toward the session's nominal loudness.

Reasoning: a mix starts from tracks at a common working level, so that each one's faders and
plug-ins sit in their sweet spot and the mix bus keeps its headroom; the fader is moved until the
track plays at that level. The track's level is its dry signal's integrated loudness (BS.1770,
analyzers) plus the fader; a move that leaves the track closer to the nominal level than before,
by at least MIN_IMPROVEMENT_DB, is gain staging.

Thresholds: NOMINAL_LUFS -20 (the working level engineers stage to in a 24-bit session, the
reference level of K-20/-20 dBFS RMS metering and of the issue's default); MIN_IMPROVEMENT_DB 0.5
(below the 1 dB a listener notices, a move closer by less is a trim by ear, not staging).
Confidence grows from 0.6 with how much of the distance the move closed (1.0 when it closed 3 dB
or all of it). Partial: the level of the tracks a track sits with is not yet a second target, and
clip-gain moves are not judged yet.
"""

from __future__ import annotations

from daemon.store import LoggedEvent
from profiles.justify import SaveChanges, Verdict

RULE = "gain-staging"
NOMINAL_LUFS = -20.0
MIN_IMPROVEMENT_DB = 0.5


def judge(change: LoggedEvent, save: SaveChanges, nominal_lufs: float = NOMINAL_LUFS) -> Verdict | None:
    payload = change.payload
    before, after = payload.get("before"), payload.get("after")
    if change.type != "parameter-changed" or payload.get("parameter") != "volume_db" or payload.get("device"):
        return None
    if not isinstance(before, int | float) or not isinstance(after, int | float):
        return None
    track = str(payload.get("track"))
    measured = save.measured(track)
    if measured is None or measured.integrated_lufs is None:
        return None
    level_before = measured.integrated_lufs + before
    level_after = measured.integrated_lufs + after
    distance_before, distance_after = abs(level_before - nominal_lufs), abs(level_after - nominal_lufs)
    closed = distance_before - distance_after
    if closed < MIN_IMPROVEMENT_DB:
        return None
    confidence = round(min(1.0, 0.6 + 0.4 * closed / min(3.0, distance_before)), 2)
    reason = (
        f"You moved {track}'s fader from {before:+.1f} to {after:+.1f} dB, which brings it from "
        f"{level_before:.1f} to {level_after:.1f} LUFS, {closed:.1f} dB closer to the session's {nominal_lufs:g} LUFS."
    )
    evidence: dict[str, float | str] = {
        "dry_lufs": round(measured.integrated_lufs, 2),
        "level_before_lufs": round(level_before, 2),
        "level_after_lufs": round(level_after, 2),
        "nominal_lufs": nominal_lufs,
    }
    return Verdict(RULE, reason, confidence, evidence)
