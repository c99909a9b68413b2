"""A simulated engineer: builds sessions of a few songs and saves them again and again with mix
moves made for known reasons, written as real .dawproject files with the DAWproject writer.

It serves the demo and the tests: every move is recorded as an `Intent` (which track, which
parameter, before and after, why: the objective rule it follows or "taste", and the numbers that
rule looked at), so what tapeop finds in the files can be checked against what the engineer meant.

Each song also has real audio, rendered here with numpy: a score (`score_song`: who plays which
note when) gives each stem's ground truth (`StemTruth`: lowest note, rumble a mic picked up, the
count-in before the music), and `render_song` plays it into one mono stem per instrument track,
so the audio analysis can measure what each move did. The stems are embedded in every save's
archive as 16-bit FLAC, the files its clips refer to; `load_stem` reads one back.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soundfile as sf

from daemon.band import (
    AUDIO_FORMATS,
    INSTRUMENTS,
    StemTruth,
    audio_rng,
    encode_stem,
    render_song,
    score_song,
)
from daemon.formats.dawproject_writer import write_dawproject
from daemon.formats.guard import LIMITS, SafeArchive
from daemon.model import Channel, Clip, Device, Send, Session, Track, canonical_params


@dataclass(frozen=True)
class Intent:
    """One move of the simulated engineer, why it was made, and the numbers behind the reason
    (`evidence`: a stem's lowest note, its level before and after, ...)."""

    track: str
    parameter: str
    before: object
    after: object
    reason: str  # "gain-staging", "de-guffing", "masking", ... or "taste"
    device: str | None = None
    evidence: dict[str, float] = field(default_factory=dict, hash=False)


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
    }
    return Device(kind="eq", name="EQ", params=canonical_params(params))  # type: ignore[arg-type]


def _compressor() -> Device:
    params = {"comp.threshold_db": -12.0, "comp.ratio": 2.0, "comp.attack_ms": 10.0, "comp.release_ms": 120.0}
    return Device(kind="compressor", name="Compressor", params=canonical_params(params))  # type: ignore[arg-type]


def first_session(song: str, rng: random.Random, *, seconds: float = 20.0, audio_format: str = "flac") -> Session:
    """The first save of `song`: five instrument tracks, each with one clip of `seconds` (its
    duration in beats, the session's time unit) referring to `audio/<song> <track>.<format>`."""
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
                devices=(_eq(30.0), _compressor()),
                clips=(
                    Clip(file=f"audio/{song} {name}.{audio_format}", position=0.0, duration=duration_beats, name=name),
                ),
            )
        )
    verb = Track(
        name="Verb", role="return", content_types=("audio",), channel=Channel(volume_db=-6.0, output="Mix Bus")
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
    nominal `NOMINAL_TRUTH` when not given)."""

    def __call__(
        self, session: Session, rng: random.Random, truth: Mapping[str, StemTruth] | None = None, /
    ) -> tuple[Session, Intent]: ...


# The lowest notes the moves assume when they are not told what the stems hold; no level known.
NOMINAL_TRUTH: dict[str, StemTruth] = {
    "Kick": StemTruth("kick", 55.0, "A1", False),
    "Bass DI": StemTruth("bass", 41.2, "E1", False),
    "Gtr L": StemTruth("guitar", 82.41, "E2", True),
    "Gtr R": StemTruth("guitar", 82.41, "E2", True),
    "Lead Vox": StemTruth("vocal", 110.0, "A2", True),
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


def move_fader(
    session: Session, rng: random.Random, truth: Mapping[str, StemTruth] | None = None
) -> tuple[Session, Intent]:
    """Mostly gain-staging: a step of the fader toward TARGET_LEVEL_DB (the stem's integrated
    loudness plus the fader), sometimes a move by ear. The reason follows the numbers:
    "gain-staging" only when the move brings the track closer to the target."""
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
    after = round(min(6.0, max(-30.0, before + step)), 1)
    if loudness is None:
        return _set_channel(session, track, volume_db=after), Intent(track, "volume_db", before, after, "taste")
    level_before, level_after = loudness + before, loudness + after
    toward = abs(TARGET_LEVEL_DB - level_after) < abs(TARGET_LEVEL_DB - level_before)
    evidence = {
        "loudness_lufs": loudness,
        "level_before_db": round(level_before, 2),
        "level_after_db": round(level_after, 2),
        "target_db": TARGET_LEVEL_DB,
    }
    intent = Intent(track, "volume_db", before, after, "gain-staging" if toward else "taste", evidence=evidence)
    return _set_channel(session, track, volume_db=after), intent


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
    session: Session, rng: random.Random, truth: Mapping[str, StemTruth] | None = None
) -> tuple[Session, Intent]:
    """De-guffing: the high-pass just under the stem's lowest note (objective: it removes what is
    below the music, rumble included, and no note)."""
    truth = NOMINAL_TRUTH if truth is None else truth
    track = rng.choice(["Bass DI", "Gtr L", "Gtr R", "Lead Vox"])
    lowest = truth[track].lowest_note_hz
    after = round(lowest * 0.9, 1) if lowest else 0.0
    return _high_pass(session, track, truth, after, "de-guffing")


def move_high_pass_too_high(
    session: Session, rng: random.Random, truth: Mapping[str, StemTruth] | None = None
) -> tuple[Session, Intent]:
    """Thinning out by ear: a high-pass well above the stem's lowest note (7 to 14 semitones), which
    cuts into the notes; nothing objective justifies it, so it is "taste"."""
    truth = NOMINAL_TRUTH if truth is None else truth
    track = rng.choice(["Bass DI", "Gtr L", "Gtr R", "Lead Vox"])
    lowest = truth[track].lowest_note_hz
    after = round(lowest * 2 ** (rng.uniform(7.0, 14.0) / 12), 1) if lowest else 0.0
    return _high_pass(session, track, truth, after, "taste")


def cut_boxiness(
    session: Session, rng: random.Random, truth: Mapping[str, StemTruth] | None = None
) -> tuple[Session, Intent]:
    before = session.track("Kick").devices[0].param("eq.band2.gain_db")
    after = -round(rng.uniform(3.0, 5.0), 1)
    return _set_param(session, "Kick", "EQ", "eq.band2.gain_db", after), Intent(
        "Kick", "eq.band2.gain_db", before, after, "taste", "EQ"
    )


def pan_guitars(
    session: Session, rng: random.Random, truth: Mapping[str, StemTruth] | None = None
) -> tuple[Session, Intent]:
    track = rng.choice(["Gtr L", "Gtr R"])
    before = session.track(track).channel.pan
    width = round(rng.uniform(0.5, 1.0), 2)
    after = -width if track == "Gtr L" else width
    return _set_channel(session, track, pan=after), Intent(track, "pan", before, after, "masking")


MOVES: tuple[Move, ...] = (move_fader, move_high_pass, cut_boxiness, pan_guitars, move_high_pass_too_high)


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
    levels, and fader moves, having no level to aim at, are "taste"."""
    if audio_format not in AUDIO_FORMATS:
        raise ValueError(f"audio_format {audio_format!r} is not one of {sorted(AUDIO_FORMATS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    out: list[SimulatedSave] = []
    for s in range(songs):
        song = f"Song {chr(ord('A') + s)}"
        session = first_session(song, rng, seconds=seconds, audio_format=audio_format)
        tempo = session.tempo_bpm or 120.0
        media: dict[str, bytes] = {}
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
                for move in rng.sample(MOVES, k=rng.randint(1, 3)):
                    moved, intent = move(session, rng, truth)
                    if intent.before == intent.after:
                        continue
                    if any((i.track, i.parameter) == (intent.track, intent.parameter) for i in moves):
                        continue  # one intent per parameter and save: the file shows only the last
                    session = moved
                    moves.append(intent)
                intents = tuple(moves)
            path = write_dawproject(session, folder / f"{song} v{version}.dawproject", media=media)
            out.append(SimulatedSave(song, version, path, session, intents, dict(truth)))
    return out
