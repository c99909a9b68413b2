"""A simulated engineer: builds sessions of a few songs and saves them again and again with mix
moves made for known reasons, written as real .dawproject files with the DAWproject writer.

It serves the demo and the tests: every move is recorded as an `Intent` (which track, which
parameter, before and after, why: the objective rule it follows or "taste", and the numbers that
rule looked at), so what tapeop finds in the files can be checked against what the engineer meant.

Each song also has real audio, rendered here with numpy: a score (`score_song`: who plays which
note when) gives each stem's ground truth (`StemTruth`: lowest note, rumble a mic picked up, the
count-in before the music, the kick's ring, the singer's "s"), and `render_song` plays it into one
mono stem per instrument track, so the audio analysis can measure what each move did. The stems
are embedded in every save's archive as 16-bit FLAC, the files its clips refer to; `load_stem`
reads one back.

The moves, one per rule with its near miss or matter of taste (`MOVES`):
- gain-staging: `move_fader` (a step toward -20 LUFS, or a move by ear);
- clip-prevention: `push_fader` (a part pushed up until it peaks over -1 dBTP: staging or taste)
  and `pull_under_ceiling` (the fader of the hottest track pulled until it peaks under it);
- de-guffing: `move_high_pass` and `move_high_pass_too_high` (taste);
- masking: `pan_guitars`; taste: `cut_boxiness`;
- tempo: `set_time_on_grid` and `set_time_off_grid` (taste: 5-10 % off every subdivision);
- dynamics: `compress_guitar` and `tweak_attack` (reason from the loudness ranges);
- resonance: `cut_ring` and `cut_where_nothing_rings` (taste), narrow cuts on the kick;
- sibilance: `cut_sibilants` and `cut_air` (taste: on a guitar, or on the vocal under 5 kHz);
- non-musical: `trim_count_in` and `trim_into_music` (taste), edits of the vocal clip's start.
The reason of a move follows the numbers it was made on: where they support another rule or
none, the intent says so; a move that two rules would both justify is not made.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import soundfile as sf

from analyzers.analysis import analyze
from analyzers.audio import ArraySource
from analyzers.dynamics import compressed_loudness, compressor_effect, step_peaks
from analyzers.tempo import grid_fit, subdivisions_ms
from daemon.band import (
    AUDIO_FORMATS,
    INSTRUMENTS,
    RenderedSong,
    StemTruth,
    audio_rng,
    encode_stem,
    render_song,
    score_song,
)
from daemon.formats.dawproject_writer import write_dawproject
from daemon.formats.guard import LIMITS, SafeArchive
from daemon.model import Channel, Clip, Device, Send, Session, Track, canonical_params

if TYPE_CHECKING:
    from daemon.store import LoggedEvent


@dataclass(frozen=True)
class Intent:
    """One move of the simulated engineer, why it was made, and the numbers behind the reason
    (`evidence`: a stem's lowest note, its level before and after, ...).

    A parameter move names its standard term (`volume_db`, `eq.band3.gain_db`, ...) and, on a
    device, the device; `touches` lists the other terms of the same device the move set with it
    (a bell's frequency and Q with its gain). A clip edit (`event_type` "clip-changed") names the
    clip's file as its parameter, and its before and after are the clip's changed fields."""

    track: str
    parameter: str
    before: object
    after: object
    reason: str  # "gain-staging", "de-guffing", "masking", ... or "taste"
    device: str | None = None
    evidence: dict[str, float] = field(default_factory=dict, hash=False)
    touches: tuple[str, ...] = ()
    event_type: str = "parameter-changed"

    def matches(self, event: LoggedEvent) -> bool:
        """Whether a logged change event is the change this move made: a `parameter-changed` of
        the same track and parameter (and device, when the move was on one), or, for a clip edit,
        a `clip-changed` of the same track."""
        payload = event.payload
        if event.type != self.event_type or payload.get("track") != self.track:
            return False
        if self.event_type == "clip-changed":
            return True
        return payload.get("parameter") == self.parameter and (
            self.device is None or payload.get("device") == self.device
        )

    def conflicts(self, other: Intent) -> bool:
        """Whether two moves would leave one change in the file: the same track's parameter, the
        same device (the rules judge a compressor's or an EQ band's whole setting as the save
        left it) or the same clip."""
        if self.track != other.track:
            return False
        if self.event_type != other.event_type:
            return False
        if self.device is not None and self.device == other.device:
            return True
        return self.parameter == other.parameter


@dataclass(frozen=True)
class SimulatedSave:
    """One save written: its file, the session in it, the moves made since the save before, and
    the truth of the song's stems (track name -> StemTruth)."""

    song: str
    version: int
    path: Path
    session: Session
    intents: tuple[Intent, ...]
    stems: dict[str, StemTruth] = field(default_factory=dict, hash=False)


TARGET_LEVEL_DB = -20.0  # the level gain-staging aims at: the stem's integrated loudness (LUFS) + fader


def load_stem(save: SimulatedSave, track: str) -> tuple[np.ndarray, int]:
    """The audio of `track` read back from the save's archive, as (frames, channels) float32,
    and its sample rate. The member is the one the track's clip refers to."""
    clips = save.session.track(track).clips
    if not clips:
        raise LookupError(f"{track!r} has no clip in {save.path}")
    with SafeArchive(save.path) as archive:
        if not archive.has(clips[0].file):
            raise LookupError(f"{save.path} holds no {clips[0].file!r} (simulated without audio?)")
        data = archive.read(clips[0].file, cap=LIMITS.max_member_bytes)
    audio, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return audio, int(rate)


# -- sessions and moves -----------------------------------------------------------------------


def _eq(high_pass_hz: float) -> Device:
    params = {
        "eq.band1.type": "highpass",
        "eq.band1.freq_hz": high_pass_hz,
        "eq.band1.slope_db_oct": 12.0,
        "eq.band1.q": 0.71,
        "eq.band1.enabled": True,
        "eq.band2.type": "bell",
        "eq.band2.freq_hz": 400.0,
        "eq.band2.gain_db": 0.0,
        "eq.band2.q": 1.0,
        "eq.band2.enabled": True,
        "eq.band3.type": "bell",  # the narrow band, flat until a move uses it
        "eq.band3.freq_hz": 5000.0,
        "eq.band3.gain_db": 0.0,
        "eq.band3.q": 4.0,
        "eq.band3.enabled": True,
    }
    return Device(kind="eq", name="EQ", params=canonical_params(params))  # type: ignore[arg-type]


def _compressor() -> Device:
    params = {"comp.threshold_db": -12.0, "comp.ratio": 2.0, "comp.attack_ms": 10.0, "comp.release_ms": 120.0}
    return Device(kind="compressor", name="Compressor", params=canonical_params(params))  # type: ignore[arg-type]


ECHO, REVERB = "Echo", "Reverb"


def _echo() -> Device:
    params = {"delay.time_ms": 300.0, "delay.feedback": 0.3, "delay.mix": 0.2}
    return Device(kind="other", name=ECHO, params=canonical_params(params))  # type: ignore[arg-type]


def _reverb() -> Device:
    params = {"reverb.predelay_ms": 20.0, "reverb.decay_s": 1.8, "reverb.mix": 1.0}
    return Device(kind="other", name=REVERB, params=canonical_params(params))  # type: ignore[arg-type]


def first_session(song: str, rng: random.Random, *, seconds: float = 20.0, audio_format: str = "flac") -> Session:
    """The first save of `song`: five instrument tracks, each with one clip of `seconds` (its
    duration in beats, the session's time unit) referring to `audio/<song> <track>.<format>`,
    an EQ (high-pass, a bell at 400 Hz, a narrow bell left flat) and a compressor on each, an
    echo on the vocal and a reverb on the Verb return."""
    volumes = [round(rng.uniform(-6.0, 0.0), 1) for _ in INSTRUMENTS]
    tempo = float(rng.choice([92, 108, 120, 128]))
    duration_beats = seconds * tempo / 60.0
    tracks = []
    for (name, role), volume in zip(INSTRUMENTS, volumes):
        tracks.append(
            Track(
                name=name,
                role=role,  # type: ignore[arg-type]
                content_types=("audio",),
                channel=Channel(volume_db=volume, output="Mix Bus"),
                sends=(Send("Verb", level_db=-18.0),) if name in ("Lead Vox", "Gtr L", "Gtr R") else (),
                devices=(_eq(30.0), _compressor(), _echo()) if name == "Lead Vox" else (_eq(30.0), _compressor()),
                clips=(
                    Clip(file=f"audio/{song} {name}.{audio_format}", position=0.0, duration=duration_beats, name=name),
                ),
            )
        )
    verb = Track(
        name="Verb",
        role="return",
        content_types=("audio",),
        channel=Channel(volume_db=-6.0, output="Mix Bus"),
        devices=(_reverb(),),
    )
    bus = Track(name="Mix Bus", role="group", content_types=("tracks",), channel=Channel(output="Master"))
    master = Track(name="Master", role="master", content_types=("audio",))
    return Session(
        name=song,
        application="tapeop simulator",
        application_version="1",
        tempo_bpm=tempo,
        time_signature=(4, 4),
        tracks=(*tracks, verb, bus, master),
    )


class Move(Protocol):
    """A mix move: the session after it, and the intent. `truth` is what the stems hold (the
    nominal `NOMINAL_TRUTH` when not given); `song` the rendered audio, for the moves whose
    reason depends on what a setting does to it (None: nothing rendered). A move draws the same
    numbers from `rng` whatever it is told, so a song's moves do not shift with the audio; one
    that finds nothing to do returns an intent whose before equals its after."""

    def __call__(
        self,
        session: Session,
        rng: random.Random,
        truth: Mapping[str, StemTruth] | None = None,
        song: RenderedSong | None = None,
        /,
    ) -> tuple[Session, Intent]: ...


# The lowest notes the moves assume when they are not told what the stems hold; no level known.
NOMINAL_TRUTH: dict[str, StemTruth] = {
    "Kick": StemTruth("kick", 55.0, "A1", False, resonance_hz=500.0),
    "Bass DI": StemTruth("bass", 41.2, "E1", False),
    "Gtr L": StemTruth("guitar", 82.41, "E2", True),
    "Gtr R": StemTruth("guitar", 82.41, "E2", True),
    "Lead Vox": StemTruth("vocal", 110.0, "A2", True, count_in_s=2.0, count_in_audible=True, sibilant_hz=7000.0),
}


def _set_channel(session: Session, name: str, **values: Any) -> Session:
    return replace(
        session,
        tracks=tuple(replace(t, channel=replace(t.channel, **values)) if t.name == name else t for t in session.tracks),
    )


def _set_param(session: Session, track: str, device: str, term: str, value: object) -> Session:
    def edit(t: Track) -> Track:
        if t.name != track:
            return t
        devices = tuple(
            replace(d, params=canonical_params({**d.param_dict, term: value})) if d.name == device else d  # type: ignore[dict-item]
            for d in t.devices
        )
        return replace(t, devices=devices)

    return replace(session, tracks=tuple(edit(t) for t in session.tracks))


def _device(session: Session, track: str, device: str) -> Device:
    return next(d for d in session.track(track).devices if d.name == device)


# -- faders: gain staging and clip prevention ---------------------------------------------------

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
    return _set_channel(session, track, volume_db=after), Intent(
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


# -- EQ: de-guffing, resonance, sibilance ---------------------------------------------------------


def _high_pass(
    session: Session, track: str, truth: Mapping[str, StemTruth], after: float, reason: str
) -> tuple[Session, Intent]:
    stem = truth[track]
    before = session.track(track).devices[0].param("eq.band1.freq_hz")
    lowest = stem.lowest_note_hz
    if lowest is None:  # nothing played: no move
        return session, Intent(track, "eq.band1.freq_hz", before, before, reason, "EQ")
    evidence = {
        "lowest_note_hz": lowest,
        "high_pass_hz": after,
        "semitones_above_lowest_note": round(12 * math.log2(after / lowest), 2),
        "rumble": 1.0 if stem.has_rumble else 0.0,
    }
    return _set_param(session, track, "EQ", "eq.band1.freq_hz", after), Intent(
        track, "eq.band1.freq_hz", before, after, reason, "EQ", evidence
    )


def move_high_pass(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """De-guffing: the high-pass just under the stem's lowest note (objective: it removes what is
    below the music, rumble included, and no note)."""
    truth = NOMINAL_TRUTH if truth is None else truth
    track = rng.choice(["Bass DI", "Gtr L", "Gtr R", "Lead Vox"])
    lowest = truth[track].lowest_note_hz
    after = round(lowest * 0.9, 1) if lowest else 0.0
    return _high_pass(session, track, truth, after, "de-guffing")


def move_high_pass_too_high(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """Thinning out by ear: a high-pass well above the stem's lowest note (7 to 14 semitones), which
    cuts into the notes; nothing objective justifies it, so it is "taste"."""
    truth = NOMINAL_TRUTH if truth is None else truth
    track = rng.choice(["Bass DI", "Gtr L", "Gtr R", "Lead Vox"])
    lowest = truth[track].lowest_note_hz
    after = round(lowest * 2 ** (rng.uniform(7.0, 14.0) / 12), 1) if lowest else 0.0
    return _high_pass(session, track, truth, after, "taste")


def cut_boxiness(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """A broad cut (Q 1) of 3 to 5 dB at 400 Hz on the kick, by ear: too wide to be a resonance
    cut (Q under 4), so "taste"."""
    before = session.track("Kick").devices[0].param("eq.band2.gain_db")
    after = -round(rng.uniform(3.0, 5.0), 1)
    return _set_param(session, "Kick", "EQ", "eq.band2.gain_db", after), Intent(
        "Kick", "eq.band2.gain_db", before, after, "taste", "EQ"
    )


def _bell(
    session: Session, track: str, freq_hz: float, gain_db: float, q: float, reason: str, evidence: dict[str, float]
) -> tuple[Session, Intent]:
    """Band 3 of a track's EQ set to a bell cut; the intent names the gain, or the frequency
    when the gain stays (the term whose change the file shows), and touches the rest."""
    eq = _device(session, track, "EQ")
    values = {"eq.band3.freq_hz": freq_hz, "eq.band3.gain_db": gain_db, "eq.band3.q": q}
    changed = [term for term, value in values.items() if eq.param(term) != value]
    if not changed:
        return session, Intent(track, "eq.band3.gain_db", gain_db, gain_db, reason, "EQ")
    main = "eq.band3.gain_db" if "eq.band3.gain_db" in changed else changed[0]
    for term, value in values.items():
        session = _set_param(session, track, "EQ", term, value)
    others = tuple(term for term in changed if term != main)
    return session, Intent(track, main, eq.param(main), values[main], reason, "EQ", evidence, others)


def cut_ring(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """Resonance: a narrow cut (Q 4 to 10, 3 to 8 dB) on the kick's shell ring, found by sweeping:
    within 2 % of the ring's frequency (a third of a semitone), typed to whole Hz. The ring is a
    peak 15 dB and more over the kick's smooth spectrum around it (band.py), well over the 6 dB a
    resonance needs."""
    truth = NOMINAL_TRUTH if truth is None else truth
    ring = truth["Kick"].resonance_hz or 500.0
    freq_hz = float(round(ring * (1 + rng.uniform(-0.02, 0.02))))
    q, gain_db = float(rng.choice([4, 5, 6, 8, 10])), -round(rng.uniform(3.0, 8.0), 1)
    evidence = {
        "resonance_hz": ring,
        "cut_hz": freq_hz,
        "q": q,
        "semitones_off": round(12 * math.log2(freq_hz / ring), 2),
    }
    return _bell(session, "Kick", freq_hz, gain_db, q, "resonance", evidence)


def cut_where_nothing_rings(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """The near miss of `cut_ring`: the same narrow cut on the kick 0.6 to 1.1 octaves above its
    ring (450 Hz to 1.5 kHz, where the kick holds only its beater's smooth click): nothing stands
    out there to cut, so "taste"."""
    truth = NOMINAL_TRUTH if truth is None else truth
    ring = truth["Kick"].resonance_hz or 500.0
    freq_hz = float(round(ring * 2 ** rng.uniform(0.6, 1.1)))
    q, gain_db = float(rng.choice([4, 5, 6, 8, 10])), -round(rng.uniform(3.0, 8.0), 1)
    evidence = {"resonance_hz": ring, "cut_hz": freq_hz, "q": q, "octaves_off": round(math.log2(freq_hz / ring), 2)}
    return _bell(session, "Kick", freq_hz, gain_db, q, "taste", evidence)


SIBILANT_BAND_HZ = (5000.0, 10000.0)


def cut_sibilants(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """Sibilance: a cut of 3 to 6 dB, Q 2 to 3.5 (wide enough to take the whole 2 kHz of the "s",
    narrower than a shelf; under the Q 4 of a resonance cut) within 5 % of the vocal's sibilant
    centre, rounded to 10 Hz. The "s" bursts stand 40 dB and more over the rest of the line's
    5-10 kHz (band.py); the cut takes 2 dB or more off them."""
    truth = NOMINAL_TRUTH if truth is None else truth
    centre = truth["Lead Vox"].sibilant_hz or 7000.0
    freq_hz = float(round(centre * (1 + rng.uniform(-0.05, 0.05)), -1))
    q, gain_db = round(rng.uniform(2.0, 3.5), 1), -round(rng.uniform(3.0, 6.0), 1)
    evidence = {"sibilant_hz": centre, "cut_hz": freq_hz, "q": q, "cut_db": gain_db}
    return _bell(session, "Lead Vox", freq_hz, gain_db, q, "sibilance", evidence)


def cut_air(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """The near miss of `cut_sibilants`, the same kind of cut where there is no "s" to tame:
    either on a guitar in 5-9 kHz (a guitar has no sibilants: its 5-10 kHz energy is steady), or
    on the vocal at 3-4.5 kHz, under the sibilant band (presence, shaped by ear). "taste"."""
    truth = NOMINAL_TRUTH if truth is None else truth
    on_guitar, track = rng.random() < 0.5, rng.choice(["Gtr L", "Gtr R"])
    freq_hz = float(round(rng.uniform(5000.0, 9000.0) if on_guitar else rng.uniform(3000.0, 4500.0), -1))
    q, gain_db = round(rng.uniform(2.0, 3.5), 1), -round(rng.uniform(3.0, 6.0), 1)
    track = track if on_guitar else "Lead Vox"
    sibilant = truth[track].sibilant_hz
    in_band = SIBILANT_BAND_HZ[0] <= freq_hz <= SIBILANT_BAND_HZ[1]
    evidence = {"cut_hz": freq_hz, "q": q, "cut_db": gain_db, "has_sibilants": float(sibilant is not None)}
    reason = "sibilance" if sibilant is not None and in_band else "taste"
    return _bell(session, track, freq_hz, gain_db, q, reason, evidence)


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
    return _set_channel(session, track, pan=after), Intent(track, "pan", before, after, "masking")


# -- time-based effects: tempo ------------------------------------------------------------------

ON_GRID_PCT, ON_GRID_MS = 1.5, 2.0  # how near a subdivision a time counts as on the grid
ECHO_SUBDIVISIONS = ("1/2", "1/4 dotted", "1/4", "1/8 dotted", "1/8", "1/8 triplet", "1/16")
PREDELAY_SUBDIVISIONS = ("1/16 triplet", "1/32 dotted", "1/32", "1/64 dotted", "1/64")


def _timed(rng: random.Random) -> tuple[str, str, str, tuple[str, ...]]:
    """Which time the engineer sets: the vocal's echo (60 %) or the reverb's pre-delay."""
    if rng.random() < 0.6:
        return "Lead Vox", ECHO, "delay.time_ms", ECHO_SUBDIVISIONS
    return "Verb", REVERB, "reverb.predelay_ms", PREDELAY_SUBDIVISIONS


def _set_time(
    session: Session, track: str, device: str, term: str, after: float, reason: str, evidence: dict[str, float]
) -> tuple[Session, Intent]:
    before = _device(session, track, device).param(term)
    return _set_param(session, track, device, term, after), Intent(track, term, before, after, reason, device, evidence)


def set_time_on_grid(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """Tempo: the vocal's echo on a note value (a half to a sixteenth, dotted or triplet) or the
    reverb's pre-delay on a short one (a 1/16 triplet to a 1/64) at the session's tempo
    (60000/BPM ms a beat): half the time as a tempo-synced plug-in sets it, to 0.01 ms, half typed
    from a calculator to whole ms (0.5 ms off at most, inside the 2 ms a time on the grid may be)."""
    track, device, term, names = _timed(rng)
    subdivision, typed = rng.choice(names), rng.random() < 0.5
    tempo = session.tempo_bpm or 120.0
    grid_ms = subdivisions_ms(tempo)[subdivision]
    after = float(round(grid_ms)) if typed else round(grid_ms, 2)
    evidence = {"tempo_bpm": tempo, "grid_ms": round(grid_ms, 3), "error_ms": round(after - grid_ms, 3)}
    return _set_time(session, track, device, term, after, "tempo", evidence)


def set_time_off_grid(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """The near miss of `set_time_on_grid`: a note value 5 to 10 % off (the tempo it was worked
    out for has changed since, or it was set by ear), typed to whole ms. Kept only when it is off
    every subdivision (whole note to 1/64, dotted and triplet: analyzers.tempo) by more than twice
    the window a time on the grid may be off (the larger of 2 ms and 1.5 %); a value that lands
    near another subdivision is tried the other way, then with the next draw. "taste"."""
    track, device, term, names = _timed(rng)
    subdivision = rng.choice(names)
    offsets = [rng.uniform(0.05, 0.10) * rng.choice((-1.0, 1.0)) for _ in range(3)]
    tempo = session.tempo_bpm or 120.0
    grid_ms = subdivisions_ms(tempo)[subdivision]
    for offset in (o for first in offsets for o in (first, -first)):
        after = float(round(grid_ms * (1 + offset)))
        fit = grid_fit(after, tempo)
        window_ms = max(ON_GRID_MS, fit.grid_ms * ON_GRID_PCT / 100)
        if abs(fit.error_ms) > 2 * window_ms:
            evidence = {
                "tempo_bpm": tempo,
                "meant_grid_ms": round(grid_ms, 3),
                "nearest_grid_ms": round(fit.grid_ms, 3),
                "error_pct": round(fit.error_pct, 2),
            }
            return _set_time(session, track, device, term, after, "taste", evidence)
    before = _device(session, track, device).param(term)
    return session, Intent(track, term, before, before, "taste", device)


# -- compressors: dynamics ------------------------------------------------------------------------

MIN_RANGE_CLOSED_LU = 0.5  # a compressor change bringing the range closer by less evens out nothing


def _range_lu(song: RenderedSong, track: str, setting: Mapping[str, float]) -> float:
    """The loudness range (EBU Tech 3342) of a stem through a compressor setting, reckoned as the
    dynamics rule does it: the gain reduction of the setting (analyzers.dynamics) averaged over
    each 100 ms loudness segment (analyzers' K-weighted energies) and taken off its energy."""
    source = ArraySource(song.stems[track][:, 0], song.sample_rate_hz)
    effect = compressor_effect(
        step_peaks(source),
        threshold_db=setting["comp.threshold_db"],
        ratio=max(1.0, setting["comp.ratio"]),
        knee_db=setting.get("comp.knee_db", 0.0),
        attack_ms=setting["comp.attack_ms"],
        release_ms=setting["comp.release_ms"],
    )
    return compressed_loudness(analyze(source).loudness, effect).loudness_range_lu


def _compressor_move(
    session: Session, track: str, values: Mapping[str, float], truth: Mapping[str, StemTruth], song: RenderedSong | None
) -> tuple[Session, Intent]:
    """The track's compressor set to `values`; the reason from the numbers: "dynamics" when the
    new setting brings the stem's loudness range at least MIN_RANGE_CLOSED_LU closer to the median
    dry range of the other instrument stems than the old one did, "taste" when not (or when
    nothing was rendered to reckon it on)."""
    old = {term: float(value) for term, value in _device(session, track, "Compressor").params}  # type: ignore[arg-type]
    changed = [term for term, value in values.items() if old.get(term) != value]
    if not changed:
        return session, Intent(track, next(iter(values)), 0.0, 0.0, "taste", "Compressor")
    new = {**old, **values}
    reason, evidence = "taste", {}
    others = [t.loudness_range_lu for name, t in truth.items() if name != track and t.loudness_range_lu is not None]
    if song is not None and others:
        target = float(np.median(others))
        range_before, range_after = _range_lu(song, track, old), _range_lu(song, track, new)
        closed = abs(range_before - target) - abs(range_after - target)
        reason = "dynamics" if closed >= MIN_RANGE_CLOSED_LU else "taste"
        evidence = {
            "range_before_lu": round(range_before, 2),
            "range_after_lu": round(range_after, 2),
            "target_lu": round(target, 2),
            "closed_lu": round(closed, 2),
        }
    for term, value in values.items():
        session = _set_param(session, track, "Compressor", term, value)
    main, rest = changed[0], tuple(changed[1:])
    return session, Intent(track, main, old[main], new[main], reason, "Compressor", evidence, rest)


def compress_guitar(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """Dynamics: Gtr L's compressor down to a threshold of -22 to -32 dB at 3:1 to 6:1. The
    guitarist backs off every other pass through the progression (6 to 9 dB softer), so the part's
    loudness range is the widest of the band's; compressing the loud passes harder than the soft
    ones narrows it toward the others' (the reason from the numbers, `_compressor_move`)."""
    truth = NOMINAL_TRUTH if truth is None else truth
    threshold_db = -float(rng.choice([22, 24, 26, 28, 30, 32]))
    ratio = float(rng.choice([3.0, 4.0, 6.0]))
    return _compressor_move(session, "Gtr L", {"comp.threshold_db": threshold_db, "comp.ratio": ratio}, truth, song)


def tweak_attack(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """A compressor's attack changed by ear (1 to 50 ms, letting the transients through or
    catching them) on any instrument: it shapes the attack more than the range, so mostly
    "taste"; the reason from the numbers all the same (`_compressor_move`)."""
    truth = NOMINAL_TRUTH if truth is None else truth
    track = rng.choice(INSTRUMENTS)[0]
    attack_ms = float(rng.choice([1, 3, 5, 20, 30, 50]))
    return _compressor_move(session, track, {"comp.attack_ms": attack_ms}, truth, song)


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


MOVES: tuple[Move, ...] = (
    move_fader,
    move_high_pass,
    cut_boxiness,
    pan_guitars,
    move_high_pass_too_high,
    push_fader,
    pull_under_ceiling,
    set_time_on_grid,
    set_time_off_grid,
    compress_guitar,
    tweak_attack,
    cut_ring,
    cut_where_nothing_rings,
    cut_sibilants,
    cut_air,
    trim_count_in,
    trim_into_music,
)
MOVES_PER_SAVE = (2, 4)  # how many moves the engineer tries between two saves (at least, at most)
CHECK_PEAKS_SHARE = 0.5  # of the saves before which the engineer also checks the true-peak meters


def song_name(index: int) -> str:
    """ "Song A" to "Song Z", then "Song AA", "Song AB", ... (letters only: safe in file names)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"Song {letters}"


def simulate_archive(
    folder: str | Path,
    songs: int = 2,
    saves: int = 4,
    seed: int = 0,
    *,
    render_audio: bool = True,
    sample_rate_hz: int = 48000,
    seconds: float = 20.0,
    audio_format: str = "flac",
) -> list[SimulatedSave]:
    """Write `songs` songs with `saves` saves each into `folder` ("Song A v1.dawproject", ...).

    Each song is scored once, from `audio_rng(seed, song)`, and the truth of its stems steers the
    moves. With `render_audio` the stems are rendered (`render_song`) and every save embeds them,
    encoded once, as `audio/<song> <track>.<audio_format>`, the files its clips refer to. Without
    it nothing is rendered: the clips refer to members that are not there, the truth has no
    levels, fader and compressor moves, having no level to reckon with, are "taste", and there
    is no pull under the true-peak ceiling (no peak is known)."""
    if audio_format not in AUDIO_FORMATS:
        raise ValueError(f"audio_format {audio_format!r} is not one of {sorted(AUDIO_FORMATS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    out: list[SimulatedSave] = []
    for s in range(songs):
        song = song_name(s)
        session = first_session(song, rng, seconds=seconds, audio_format=audio_format)
        tempo = session.tempo_bpm or 120.0
        media: dict[str, bytes] = {}
        rendered: RenderedSong | None = None
        if render_audio:
            rendered = render_song(song, tempo, seconds, sample_rate_hz, audio_rng(seed, song))
            truth = rendered.truth
            for name, _ in INSTRUMENTS:
                reference = session.track(name).clips[0].file
                media[reference] = encode_stem(rendered.stems[name], sample_rate_hz, audio_format)
        else:
            score = score_song(song, tempo, seconds, sample_rate_hz, audio_rng(seed, song))
            truth = {name: score.truth(name) for name, _ in INSTRUMENTS}
        intents: tuple[Intent, ...] = ()
        for version in range(1, saves + 1):
            if version > 1:
                moves: list[Intent] = []
                tried = rng.sample(MOVES, k=rng.randint(*MOVES_PER_SAVE))
                if rng.random() < CHECK_PEAKS_SHARE:
                    tried.append(pull_under_ceiling)  # a last look at the meters: whatever peaks over comes down
                for move in tried:
                    moved, intent = move(session, rng, truth, rendered)
                    if intent.before == intent.after:
                        continue
                    if any(intent.conflicts(i) for i in moves):
                        continue  # one move per parameter, device and clip a save: the file shows only the last
                    session = moved
                    moves.append(intent)
                intents = tuple(moves)
            path = write_dawproject(session, folder / f"{song} v{version}.dawproject", media=media)
            out.append(SimulatedSave(song, version, path, session, intents, dict(truth)))
    return out
