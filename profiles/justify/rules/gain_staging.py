"""Gain staging: a fader or clip-gain move that brings the track toward the session's nominal
loudness, or toward the level of the tracks it sits with.

Reasoning: a mix starts from tracks at a common working level, so that each one's faders and
plug-ins sit in their sweet spot and the mix bus keeps its headroom; the fader (or the clip's
gain, before the plug-ins) is moved until the track plays at that level. The track's level is its
dry signal's integrated loudness (BS.1770, analyzers) plus its fader:

- a fader move (`volume_db` of the channel) changes the fader on the dry signal as the save left
  it;
- a clip-gain move (a `clip-changed` whose fields hold `gain_db`) changes the dry signal itself:
  its loudness is measured with the clips as the save before placed them and as this save placed
  them (other clips of the track play on unchanged), the fader as this save left it.

Two targets, either of which justifies the move:
- the session's nominal loudness, NOMINAL_LUFS (-20) unless configured (`[justify] nominal_lufs`
  in the config file, passed by the processor as `SaveChanges.nominal_lufs`): the working level
  engineers stage to in a 24-bit session, the reference level of K-20/-20 dBFS RMS metering and
  the issue's default;
- the tracks it sits with: the median level (dry loudness plus fader, as the save left them) of
  the session's other tracks that have audio, when there are at least MIN_PEERS (2) of them and
  they agree on a level: their levels lie within PEER_SPREAD_DB (3 dB) of their median. A session
  staged hotter or cooler than nominal is staged to its own working level; tracks scattered over
  a wide range state no such level.
A move that leaves the track closer to a target than before by at least MIN_IMPROVEMENT_DB (0.5,
below the 1 dB a listener notices: a move closer by less is a trim by ear, not staging) is gain
staging; the nominal target is reported when both apply. Confidence grows from 0.6 with how
much of the distance the move closed (1.0 when it closed 3 dB or all of it).
"""

from __future__ import annotations

import statistics

from daemon.log.records import LoggedEvent
from profiles.justify import SaveChanges, Verdict

RULE = "gain-staging"
MIN_IMPROVEMENT_DB = 0.5
MIN_PEERS = 2
PEER_SPREAD_DB = 3.0


def judge(change: LoggedEvent, save: SaveChanges, nominal_lufs: float | None = None) -> Verdict | None:
    nominal = save.nominal_lufs if nominal_lufs is None else nominal_lufs
    move = _move(change, save)
    if move is None:
        return None
    track, what, level_before, level_after, dry_lufs = move
    evidence: dict[str, float | str] = {
        "dry_lufs": round(dry_lufs, 2),
        "level_before_lufs": round(level_before, 2),
        "level_after_lufs": round(level_after, 2),
        "nominal_lufs": nominal,
    }
    closed = abs(level_before - nominal) - abs(level_after - nominal)
    target, to_what = nominal, f"the session's {nominal:g} LUFS"
    if closed < MIN_IMPROVEMENT_DB:
        peers = peer_level(save, track)
        if peers is None:
            return None
        target, count = peers
        closed = abs(level_before - target) - abs(level_after - target)
        if closed < MIN_IMPROVEMENT_DB:
            return None
        to_what = f"the {target:.1f} LUFS the {count} tracks it sits with play at"
        evidence |= {"peer_level_lufs": round(target, 2), "peer_tracks": float(count)}
    confidence = round(min(1.0, 0.6 + 0.4 * closed / min(3.0, abs(level_before - target))), 2)
    reason = (
        f"You moved {what}, which brings it from {level_before:.1f} to {level_after:.1f} LUFS, "
        f"{closed:.1f} dB closer to {to_what}."
    )
    return Verdict(RULE, reason, confidence, evidence)


def _move(change: LoggedEvent, save: SaveChanges) -> tuple[str, str, float, float, float] | None:
    """(track, what moved as words, level before, level after, dry loudness after) of a fader or
    clip-gain move, or None when the change is neither or the track is not measured."""
    payload = change.payload
    track = str(payload.get("track"))
    before, after = payload.get("before"), payload.get("after")
    if change.type == "parameter-changed" and payload.get("parameter") == "volume_db" and not payload.get("device"):
        if not isinstance(before, int | float) or not isinstance(after, int | float):
            return None
        measured = save.measured(track)
        if measured is None or measured.integrated_lufs is None:
            return None
        dry = measured.integrated_lufs
        return track, f"{track}'s fader from {before:+.1f} to {after:+.1f} dB", dry + before, dry + after, dry
    if change.type != "clip-changed" or not isinstance(before, dict) or not isinstance(after, dict):
        return None
    old_gain, new_gain = before.get("gain_db"), after.get("gain_db")
    if not isinstance(old_gain, int | float) or not isinstance(new_gain, int | float):
        return None
    was, now = save.measured(track, before=True), save.measured(track)
    if was is None or now is None or was.integrated_lufs is None or now.integrated_lufs is None:
        return None
    fader = _fader(save, track)
    what = f"the gain of {track}'s clip from {old_gain:+.1f} to {new_gain:+.1f} dB"
    return track, what, was.integrated_lufs + fader, now.integrated_lufs + fader, now.integrated_lufs


def peer_level(save: SaveChanges, track: str) -> tuple[float, int] | None:
    """The median level (dry loudness plus fader) of the other tracks with audio, and how many
    they are, when at least MIN_PEERS agree within PEER_SPREAD_DB of it; else None."""

    def compute() -> tuple[float, int] | None:
        levels = []
        for other in save.after.all_tracks():
            if other.name == track or other.role in ("group", "return", "master") or not other.clips:
                continue
            measured = save.measured(other.name)
            if measured is not None and measured.integrated_lufs is not None:
                levels.append(measured.integrated_lufs + _fader(save, other.name))
        if len(levels) < MIN_PEERS:
            return None
        median = statistics.median(levels)
        if max(abs(level - median) for level in levels) > PEER_SPREAD_DB:
            return None
        return median, len(levels)

    return save.memo(("peer-level", track), compute)


def _fader(save: SaveChanges, track: str) -> float:
    try:
        volume = save.after.track(track).channel.volume_db
    except KeyError:
        return 0.0
    return -120.0 if volume is None else volume
