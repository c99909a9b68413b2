"""The simulated engineer's moves on the channel strip and the clip (see daemon/demo/simulator.py):
- faders: `move_fader` (gain staging, or by ear), `push_fader` (a peaky part pushed over the
  true-peak ceiling) and `pull_under_ceiling` (clip prevention), whose reasons follow the stem's
  level and true peak (`_fader_reason`);
- pan: `pan_guitars` (masking);
- clip edits: `trim_count_in` (non-musical) and `trim_into_music` (taste), on the vocal clip's start.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from daemon.demo.session import NOMINAL_TRUTH, Intent, set_channel
from daemon.demo.synth import INSTRUMENTS, RenderedSong, StemTruth
from daemon.sessions.model import Session

# -- faders: gain staging and clip prevention ---------------------------------------------------

TARGET_LEVEL_DB = -20.0  # the level gain-staging aims at: the stem's integrated loudness (LUFS) + fader
CEILING_DBTP = -1.0  # the true-peak ceiling of EBU R128 that clip prevention keeps a track under
MIN_STAGING_DB = 0.5  # a fader move closer to the target by less is a trim, not staging
MAX_FADER_DB = 6.0


def _fader_reason(stem: StemTruth | None, before: float, after: float) -> tuple[str | None, dict[str, float]]:
    """The reason the numbers give a fader move from `before` to `after` (dB), and the numbers:
    "gain-staging" when it brings the track's level (integrated loudness + fader) at least
    MIN_STAGING_DB closer to TARGET_LEVEL_DB; "clip-prevention" when it is a cut that takes the
    track's true peak at the fader from over CEILING_DBTP to at or under it; "taste" when neither;
    None when both hold (a move two rules justify, which the engineer does not make here). With
    no level known (nothing rendered), "taste" and no numbers."""
    if stem is None or stem.loudness_lufs is None or stem.true_peak_dbtp is None:
        return "taste", {}
    level_before, level_after = stem.loudness_lufs + before, stem.loudness_lufs + after
    peak_before, peak_after = stem.true_peak_dbtp + before, stem.true_peak_dbtp + after
    closed = abs(TARGET_LEVEL_DB - level_before) - abs(TARGET_LEVEL_DB - level_after)
    staging = closed >= MIN_STAGING_DB
    clipping = after < before and peak_before > CEILING_DBTP >= peak_after
    evidence = {
        "loudness_lufs": stem.loudness_lufs,
        "level_before_db": round(level_before, 2),
        "level_after_db": round(level_after, 2),
        "target_db": TARGET_LEVEL_DB,
        "true_peak_dbtp": stem.true_peak_dbtp,
        "peak_before_dbtp": round(peak_before, 2),
        "peak_after_dbtp": round(peak_after, 2),
    }
    if staging and clipping:
        return None, evidence
    return "gain-staging" if staging else "clip-prevention" if clipping else "taste", evidence


def _fader_move(
    session: Session, track: str, before: float, after: float, truth: Mapping[str, StemTruth]
) -> tuple[Session, Intent]:
    reason, evidence = _fader_reason(truth.get(track), before, after)
    if reason is None:
        return session, Intent(track, "volume_db", before, before, "taste")
    return set_channel(session, track, volume_db=after), Intent(
        track, "volume_db", before, after, reason, evidence=evidence
    )


def move_fader(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """Mostly gain-staging: a step of the fader toward TARGET_LEVEL_DB (the stem's integrated
    loudness plus the fader), sometimes a move by ear. The reason follows the numbers
    (`_fader_reason`): "gain-staging" only when the move brings the track at least 0.5 dB closer
    to the target; a cut that also takes a hot track under the ceiling is not made."""
    truth = NOMINAL_TRUTH if truth is None else truth
    track = rng.choice(INSTRUMENTS)[0]
    before = session.track(track).channel.volume_db or 0.0
    loudness = truth[track].loudness_lufs if track in truth else None
    aims, most, by_ear = rng.random() < 0.75, rng.choice([1.5, 2.0, 3.0, 6.0]), rng.choice([-3.0, -1.5, 1.5, 2.0])
    want = 0.0 if loudness is None else TARGET_LEVEL_DB - (loudness + before)
    if aims and abs(want) >= 0.5:  # the same draws whatever is known, so later moves do not shift
        step = round(math.copysign(min(abs(want), most), want) * 2) / 2 or math.copysign(0.5, want)
    else:
        step = by_ear
    after = round(min(MAX_FADER_DB, max(-30.0, before + step)), 1)
    return _fader_move(session, track, before, after, truth)


HOT_TRACKS = ("Kick", "Gtr R")  # the peakiest parts (peak-to-loudness ratio 19-22 dB)


def push_fader(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """A peaky part pushed up to bring out its attack: the kick or the right guitar, whose true
    peaks sit 19 to 22 dB over their loudness, until its true peak at the fader is 0.2 to 1.5 dB
    over CEILING_DBTP (the fader at most +6 dB). Staged at -20 LUFS such a part peaks there: the
    push is gain staging when it brings the level 0.5 dB closer to the target, taste when not
    (the reason follows the numbers). Not knowing the peak (nothing rendered), the fader goes up
    by 4 to 5.5 dB by ear."""
    truth = NOMINAL_TRUTH if truth is None else truth
    track = rng.choice(HOT_TRACKS)
    over_db = rng.uniform(0.2, 1.5)
    before = session.track(track).channel.volume_db or 0.0
    peak = truth[track].true_peak_dbtp if track in truth else None
    wanted = before + 2.5 + over_db if peak is None else CEILING_DBTP + over_db - peak
    after = round(min(MAX_FADER_DB, wanted), 1)
    return _fader_move(session, track, before, after, truth)


def pull_under_ceiling(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """Clip prevention: the track whose true peak at the fader (its stem's true peak, from the
    analyzers, plus the fader) is furthest over CEILING_DBTP is pulled down until it peaks 0.05 to
    1 dB under the ceiling. A cut that also brings the level 0.5 dB or more toward -20 LUFS would
    be gain staging as well: the engineer then pulls further, up to 3 dB more, to a fader where the
    level is no closer to the target (the peaks decide, not the level); when there is none, or no
    track is over the ceiling (or no peak is known), there is no move."""
    truth = NOMINAL_TRUTH if truth is None else truth
    margin_db = rng.uniform(0.05, 1.0)
    over = {
        t.name: (truth[t.name].true_peak_dbtp or 0.0) + (t.channel.volume_db or 0.0)
        for t in session.tracks
        if t.name in truth and truth[t.name].true_peak_dbtp is not None
    }
    hot = {name: peak for name, peak in over.items() if peak > CEILING_DBTP}
    if not hot:
        return session, Intent(INSTRUMENTS[0][0], "volume_db", 0.0, 0.0, "taste")
    track = max(hot, key=lambda name: (hot[name], name))
    before = session.track(track).channel.volume_db or 0.0
    peak = hot[track] - before
    for extra_db in np.arange(0.0, 3.01, 0.1):
        after = math.floor((CEILING_DBTP - margin_db - extra_db - peak) * 10) / 10
        if _fader_reason(truth[track], before, after)[0] == "clip-prevention":
            return _fader_move(session, track, before, after, truth)
    return session, Intent(track, "volume_db", before, before, "taste")


# -- pan: masking --------------------------------------------------------------------------------


def pan_guitars(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """Masking: a guitar panned out to its side (0.5 to 1), away from the other guitar playing
    the same chords in the same range."""
    track = rng.choice(["Gtr L", "Gtr R"])
    before = session.track(track).channel.pan
    width = round(rng.uniform(0.5, 1.0), 2)
    after = -width if track == "Gtr L" else width
    return set_channel(session, track, pan=after), Intent(track, "pan", before, after, "masking")


# -- clip edits: non-musical sections -------------------------------------------------------------


def _trim_start(
    session: Session, start_s: float, reason: str, evidence: dict[str, float], *, from_top: bool = False
) -> tuple[Session, Intent]:
    """The vocal clip's start moved later to `start_s` (its position, length and offset into the
    file together: what is left plays where it did). With `from_top`, only while the clip still
    starts where the recording does."""
    track = session.track("Lead Vox")
    clip = track.clips[0]
    fields = ("position", "duration", "play_start")
    before = {name: getattr(clip, name) for name in fields}
    position = round(start_s * (session.tempo_bpm or 120.0) / 60.0, 4)
    if position <= clip.position or (from_top and clip.position > 0.0):
        return session, Intent(track.name, clip.file, before, before, reason, event_type="clip-changed")
    cut = position - clip.position
    trimmed = replace(clip, position=position, duration=clip.duration - cut, play_start=clip.play_start + cut)
    tracks = tuple(replace(t, clips=(trimmed, *t.clips[1:])) if t.name == track.name else t for t in session.tracks)
    after = {name: getattr(trimmed, name) for name in fields}
    intent = Intent(track.name, clip.file, before, after, reason, evidence=evidence, event_type="clip-changed")
    return replace(session, tracks=tracks), intent


def trim_count_in(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """Non-musical: the vocal clip's start trimmed to 0.2 to 0.4 s before the first sung note,
    cutting away the count-in bar the mic heard (the headphone click, a word or a breath, 20 dB
    and more under the singing): the kept lead-in is longer than the 0.2 s half-window of the
    loudness steps, so no step of the cut span hears the note."""
    truth = NOMINAL_TRUTH if truth is None else truth
    lead_in_s = rng.uniform(0.2, 0.4)
    vocal = truth["Lead Vox"]
    start_s = vocal.count_in_s - lead_in_s
    evidence = {"count_in_s": vocal.count_in_s, "lead_in_s": round(lead_in_s, 3), "removed_s": round(start_s, 3)}
    reason = "non-musical" if vocal.count_in_audible else "taste"
    return _trim_start(session, start_s, reason, evidence, from_top=True)


def trim_into_music(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """The near miss of `trim_count_in`: the vocal clip trimmed to half a beat to a beat and a
    half after the first sung note, which cuts the phrase's first note off (a tidy-up by eye on
    the waveform): it removes music, so "taste"."""
    truth = NOMINAL_TRUTH if truth is None else truth
    beat_s = 60.0 / (session.tempo_bpm or 120.0)
    late_s = rng.uniform(0.5, 1.5) * beat_s
    vocal = truth["Lead Vox"]
    evidence = {"count_in_s": vocal.count_in_s, "into_music_s": round(late_s, 3)}
    return _trim_start(session, vocal.count_in_s + late_s, "taste", evidence)
