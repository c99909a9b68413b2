"""Non-musical sections: a clip edit or mute automation that takes away a count-in, chatter or
noise at the start, the end or between the parts of a track, and nothing of the music.

Reasoning: what a mic hears before the first note, after the last and in the gaps (the headphone
click, a breath, a word to the control room, the chair) is not part of the performance; in the
mix it adds mud and noise for nothing, so engineers trim, remove or mute it. It is told from the
music by its level: the 100 ms steps of the part's momentary loudness (BS.1770, analyzers) that
are audible (above -70 LUFS) but more than QUIET_LU (15 LU) under the track's integrated
loudness; music plays within MUSIC_LU (10 LU) of it. The track is measured as the save before
placed its clips (what the edit took away is still there).

The spans an edit takes away:
- a clip trim: the clip's start moving later, or its end earlier;
- a clip removed, or switched off (`enabled` false): the whole clip;
- automation of the channel's `mute` or `volume_db` (an `automation-changed` of the track, no
  device): the steps where the new lane mutes the track, or holds it at least MIN_DUCK_DB (10 dB,
  the track then sits well under the others) under where the old lane (or the fader, or the
  mute switch, when there was no lane) had it. Lanes are read at the centres of the momentary
  windows, linear between points or held for `hold` lanes and for mute.
Thresholds: the edit is justified when at least MIN_NOISE_SHARE (half) of the span it takes away
is audible non-musical sound and at most MAX_MUSIC_SHARE (5 %) of it is music. Taking away
silence takes nothing out; taking away music cuts the performance: neither is justified.
Confidence 0.8, less as music nears the limit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from analyzers.audio import AudioError
from daemon.audio.session import seconds_per_unit
from daemon.log.records import LoggedEvent
from profiles.justify import SaveChanges, Verdict

RULE = "non-musical"
QUIET_LU = 15.0
MUSIC_LU = 10.0
SILENCE_LUFS = -70.0
MIN_NOISE_SHARE = 0.5
MAX_MUSIC_SHARE = 0.05
MIN_DUCK_DB = 10.0
STEP_S = 0.1  # momentary loudness steps (400 ms windows every 100 ms)


def judge(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    if save.before is None:
        return None
    if change.type == "automation-changed":
        return _automation(change, save)
    if change.type in ("clip-changed", "clip-removed"):
        return _clip(change, save)
    return None


def _clip(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    assert save.before is not None
    payload = change.payload
    track = str(payload.get("track"))
    index = (payload.get("where") or {}).get("clip")
    before_fields, after_fields = payload.get("before") or {}, payload.get("after") or {}
    if not isinstance(index, int):
        return None
    try:
        clip = save.before.track(track).clips[index]
    except (KeyError, IndexError):
        return None
    scale = seconds_per_unit(save.before)
    position = float(before_fields.get("position", clip.position))
    duration = float(before_fields.get("duration", clip.duration))
    if change.type == "clip-removed" or (before_fields.get("enabled") is True and after_fields.get("enabled") is False):
        verb = "removed" if change.type == "clip-removed" else "switched off"
        return _judge_spans(
            save, track, [(position * scale, (position + duration) * scale)], f"You {verb} {track}'s clip"
        )
    new_position = float(after_fields.get("position", position))
    new_duration = float(after_fields.get("duration", duration))
    spans = []
    if new_position > position:
        spans.append((position * scale, new_position * scale))
    if new_position + new_duration < position + duration:
        spans.append(((new_position + new_duration) * scale, (position + duration) * scale))
    if not spans:
        return None
    seconds = sum(end - start for start, end in spans)
    return _judge_spans(save, track, spans, f"You trimmed {seconds:.1f} s off {track}'s clip")


def _automation(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    assert save.before is not None
    payload = change.payload
    target, track = payload.get("parameter"), str(payload.get("track"))
    if target not in ("mute", "volume_db") or payload.get("device"):
        return None
    measured = save.measured(track, before=True)
    try:
        old_channel, new_channel = save.before.track(track).channel, save.after.track(track).channel
        scale = seconds_per_unit(save.after)
    except (KeyError, AudioError):
        return None
    if measured is None:
        return None
    times = _centres(len(measured.loudness.momentary_lufs)) / scale  # in the session's time unit
    hold = (payload.get("where") or {}).get("interpolation") == "hold"
    if target == "mute":
        old = _lane(payload.get("before"), times, True, _mute_db(old_channel.mute))
        new = _lane(payload.get("after"), times, True, _mute_db(new_channel.mute))
    else:
        old = _lane(payload.get("before"), times, hold, _volume_db(old_channel.volume_db), volume=True)
        new = _lane(payload.get("after"), times, hold, _volume_db(new_channel.volume_db), volume=True)
    ducked = np.isfinite(old) & (new <= old - MIN_DUCK_DB)
    if not ducked.any():
        return None
    spans = _runs(ducked)
    what = "muted" if target == "mute" or not np.isfinite(new[ducked]).any() else "automated the fader down on"
    return _judge_spans(save, track, spans, f"You {what} {track}", steps=ducked)


def _judge_spans(
    save: SaveChanges,
    track: str,
    spans: list[tuple[float, float]],
    done: str,
    steps: npt.NDArray[np.bool_] | None = None,
) -> Verdict | None:
    """The verdict on taking away `spans` (seconds) of a track, or the momentary `steps` given."""
    measured = save.measured(track, before=True)
    if measured is None or measured.integrated_lufs is None:
        return None
    level = measured.integrated_lufs
    momentary = measured.loudness.momentary_lufs
    if steps is None:
        times = _centres(len(momentary))
        steps = np.zeros(len(momentary), dtype=bool)
        for start, end in spans:
            steps |= (times >= start) & (times <= end)
    values = momentary[steps]
    total = len(values)
    music = int((values >= level - MUSIC_LU).sum())
    noise = int(((values > SILENCE_LUFS) & (values < level - QUIET_LU)).sum())
    if total == 0 or noise / total < MIN_NOISE_SHARE or music / total > MAX_MUSIC_SHARE:
        return None
    where = ", ".join(f"{start:.1f}-{end:.1f} s" for start, end in spans)
    seconds = sum(end - start for start, end in spans)
    reason = (
        f"{done} over {where}: what plays there sits more than {QUIET_LU:g} LU under the part's {level:.1f} LUFS, "
        "a count-in, chatter or noise, and no music."
    )
    confidence = round(0.8 - 2.0 * music / total, 2)
    evidence: dict[str, float | str] = {
        "removed_s": round(float(seconds), 2),
        "noise_share": round(noise / total, 3),
        "music_share": round(music / total, 3),
        "track_lufs": round(level, 2),
    }
    return Verdict(RULE, reason, confidence, evidence)


def _centres(count: int) -> npt.NDArray[np.float64]:
    """The centre (s) of each 400 ms momentary window, one every 100 ms."""
    return np.arange(count, dtype=np.float64) * STEP_S + 0.2


def _lane(
    points: object, times: npt.NDArray[np.float64], hold: bool, default: float, volume: bool = False
) -> npt.NDArray[np.float64]:
    """A lane's gain (dB, -inf muted) at `times`; `default` everywhere when there is no lane."""
    if not isinstance(points, list) or not points:
        return np.full(len(times), default)
    at = np.array([float(p[0]) for p in points])
    values = np.array([float(p[1]) for p in points])
    if not volume:
        values = np.where(values >= 0.5, -np.inf, 0.0)
        hold = True
    elif not hold:
        return np.asarray(np.interp(times, at, values), dtype=np.float64)
    return np.asarray(values[np.clip(np.searchsorted(at, times, side="right") - 1, 0, len(values) - 1)])


def _mute_db(muted: bool) -> float:
    return -np.inf if muted else 0.0


def _volume_db(volume: float | None) -> float:
    return -np.inf if volume is None else volume


def _runs(steps: npt.NDArray[np.bool_]) -> list[tuple[float, float]]:
    """The spans (s) of consecutive true steps, each step its 100 ms around its window's centre
    (the first window's from the start)."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], steps.astype(int), [0]))))
    centres = _centres(len(steps))
    return [
        (0.0 if a == 0 else float(centres[a]) - STEP_S / 2, float(centres[b - 1]) + STEP_S / 2)
        for a, b in zip(edges[::2], edges[1::2], strict=True)
    ]
