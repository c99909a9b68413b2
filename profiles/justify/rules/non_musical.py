"""Non-musical sections: a clip edit that cuts away a count-in, chatter or noise at the start or
the end of a track's part, and nothing of the music.

Reasoning: what a mic hears before the first note and after the last (the headphone click, a
breath, a word to the control room, the chair) is not part of the performance; in the mix it
adds mud and noise for nothing, so engineers trim or mute it. It is told from the music by its
level: the 100 ms steps of the part's momentary loudness (BS.1770, analyzers) that are audible
(above -70 LUFS) but more than QUIET_LU (15 LU) under the track's integrated loudness; music
plays within MUSIC_LU (10 LU) of it.

Thresholds: a trim of a clip's start (its position moves later) or end (its end moves earlier),
measured on the track's dry signal as the save before placed it, is justified when at least
MIN_NOISE_SHARE (half) of the removed span is audible non-musical sound and at most
MAX_MUSIC_SHARE (5 %) of it is music. A trim of silence takes nothing out; a trim into the music
cuts the performance: neither is justified. Confidence 0.8, less as music nears the limit.
Partial: mute automation over such spans is not judged yet.
"""

from __future__ import annotations

import numpy as np

from daemon.audio import seconds_per_unit
from daemon.store import LoggedEvent
from profiles.justify import SaveChanges, Verdict

RULE = "non-musical"
QUIET_LU = 15.0
MUSIC_LU = 10.0
SILENCE_LUFS = -70.0
MIN_NOISE_SHARE = 0.5
MAX_MUSIC_SHARE = 0.05
STEP_S = 0.1  # momentary loudness steps (400 ms windows every 100 ms)


def judge(change: LoggedEvent, save: SaveChanges) -> Verdict | None:
    payload = change.payload
    if change.type != "clip-changed" or save.before is None:
        return None
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
    new_position = float(after_fields.get("position", position))
    new_duration = float(after_fields.get("duration", duration))
    spans = []
    if new_position > position:
        spans.append((position * scale, new_position * scale, "start"))
    if new_position + new_duration < position + duration:
        spans.append(((new_position + new_duration) * scale, (position + duration) * scale, "end"))
    if not spans:
        return None
    measured = save.measured(track, before=True)
    if measured is None or measured.integrated_lufs is None:
        return None
    level = measured.integrated_lufs
    momentary = measured.loudness.momentary_lufs
    times = np.arange(len(momentary)) * STEP_S + 0.2  # the centre of each 400 ms window
    noise = music = total = 0
    for start, end, _ in spans:
        inside = (times >= start) & (times <= end)
        values = momentary[inside]
        total += len(values)
        music += int((values >= level - MUSIC_LU).sum())
        noise += int(((values > SILENCE_LUFS) & (values < level - QUIET_LU)).sum())
    if total == 0 or noise / total < MIN_NOISE_SHARE or music / total > MAX_MUSIC_SHARE:
        return None
    where = " and ".join(f"{kind} ({start:.1f}-{end:.1f} s)" for start, end, kind in spans)
    seconds = sum(end - start for start, end, _ in spans)
    reason = (
        f"You trimmed {seconds:.1f} s off the {where} of {track}'s clip: what was there plays more than {QUIET_LU:g} LU "
        f"under the part's {level:.1f} LUFS, a count-in, chatter or noise, and no music."
    )
    confidence = round(0.8 - 2.0 * music / total, 2)
    evidence: dict[str, float | str] = {
        "removed_s": round(seconds, 2),
        "noise_share": round(noise / total, 3),
        "music_share": round(music / total, 3),
        "track_lufs": round(level, 2),
    }
    return Verdict(RULE, reason, confidence, evidence)
