"""Dynamics: a compressor change that brings the track's musical dynamic range toward a target:
the other tracks' (their median), or a stated one.

Reasoning: a part whose loud and quiet passages swing much further than the parts it sits with
jumps out and drops under them; compression narrows the swing until it rides with the mix. The
musical dynamic range is the loudness range of EBU Tech 3342 (analyzers.loudness: the spread of
short-term loudness between the quiet and loud passages, silence excluded). The compressor's
effect is reckoned without rendering: its gain reduction for the setting (analyzers.dynamics:
soft-knee gain computer, attack/release smoothing, on the track's dry signal) is averaged over
each 100 ms loudness segment and taken off that segment's energy; the range of the result is
compared for the settings before and after the change.

Thresholds: the change must bring the range at least MIN_IMPROVEMENT_LU (0.5 LU) closer to the
target; the target is `target_lu` when given, else the median dry loudness range of the other
tracks that have audio (at least one is needed). Confidence from 0.6, growing with the share of
the distance closed. Settings are the standard terms comp.threshold_db, comp.ratio,
comp.knee_db, comp.attack_ms and comp.release_ms (profiles.justify.compressor fills in defaults).
"""

from __future__ import annotations

import statistics

from daemon.log.records import LoggedEvent
from profiles.justify import SaveChanges, Verdict
from profiles.justify.compressor import compressed, setting

RULE = "dynamics"
MIN_IMPROVEMENT_LU = 0.5


def judge(change: LoggedEvent, save: SaveChanges, target_lu: float | None = None) -> Verdict | None:
    payload = change.payload
    parameter = str(payload.get("parameter", ""))
    if change.type != "parameter-changed" or not parameter.startswith("comp.") or save.before is None:
        return None
    track, device = str(payload.get("track")), payload.get("device")
    old, new = setting(save.before, track, device), setting(save.after, track, device)
    measured = save.measured(track)
    if old is None or new is None or measured is None:
        return None
    target = target_lu if target_lu is not None else _others(save, track)
    if target is None:
        return None
    compressed_before, compressed_after = compressed(save, track, old), compressed(save, track, new)
    if compressed_before is None or compressed_after is None:
        return None
    range_before, range_after = compressed_before.loudness_range_lu, compressed_after.loudness_range_lu
    closed = abs(range_before - target) - abs(range_after - target)
    if closed < MIN_IMPROVEMENT_LU:
        return None
    confidence = round(min(1.0, 0.6 + 0.4 * closed / max(abs(range_before - target), 1.0)), 2)
    reason = (
        f"Your compressor change on {track} takes its dynamic range from {range_before:.1f} to {range_after:.1f} LU, "
        f"closer to the {target:.1f} LU of the tracks it sits with."
    )
    evidence: dict[str, float | str] = {
        "range_before_lu": round(range_before, 2),
        "range_after_lu": round(range_after, 2),
        "target_lu": round(target, 2),
    }
    return Verdict(RULE, reason, confidence, evidence)


def _others(save: SaveChanges, track: str) -> float | None:
    ranges = []
    for other in save.after.all_tracks():
        if other.name != track and other.clips:
            measured = save.measured(other.name)
            if measured is not None and measured.integrated_lufs is not None:
                ranges.append(measured.loudness.loudness_range_lu)
    return statistics.median(ranges) if ranges else None
