"""A simulated engineer: builds sessions of a few songs and saves them again and again with mix
moves made for known reasons, written as real .dawproject files with the DAWproject writer.

It serves the demo and the tests: every move is recorded as an `Intent` (which track, which
parameter, before and after, and why: the objective rule it follows or "taste"), so what tapeop
finds in the files can be checked against what the engineer meant.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from daemon.formats.dawproject_writer import write_dawproject
from daemon.model import Channel, Clip, Device, Send, Session, Track, canonical_params


@dataclass(frozen=True)
class Intent:
    """One move of the simulated engineer, and why it was made."""

    track: str
    parameter: str
    before: object
    after: object
    reason: str  # "gain-staging", "de-guffing", "masking", ... or "taste"
    device: str | None = None


@dataclass(frozen=True)
class SimulatedSave:
    song: str
    version: int
    path: Path
    session: Session
    intents: tuple[Intent, ...]


INSTRUMENTS = (("Kick", "audio"), ("Bass DI", "audio"), ("Gtr L", "audio"), ("Gtr R", "audio"), ("Lead Vox", "audio"))


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


def first_session(song: str, rng: random.Random) -> Session:
    tracks = []
    for name, role in INSTRUMENTS:
        tracks.append(
            Track(
                name=name,
                role=role,  # type: ignore[arg-type]
                content_types=("audio",),
                channel=Channel(volume_db=round(rng.uniform(-6.0, 0.0), 1), output="Mix Bus"),
                sends=(Send("Verb", level_db=-18.0),) if name in ("Lead Vox", "Gtr L", "Gtr R") else (),
                devices=(_eq(30.0), _compressor()),
                clips=(Clip(file=f"audio/{song} {name}.wav", position=0.0, duration=128.0, name=name),),
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
        tempo_bpm=float(rng.choice([92, 108, 120, 128])),
        time_signature=(4, 4),
        tracks=(*tracks, verb, bus, master),
    )


Move = Callable[[Session, random.Random], tuple[Session, Intent]]


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


def move_fader(session: Session, rng: random.Random) -> tuple[Session, Intent]:
    track = rng.choice(INSTRUMENTS)[0]
    before = session.track(track).channel.volume_db or 0.0
    after = round(before + rng.choice([-3.0, -1.5, 1.5, 2.0]), 1)
    return _set_channel(session, track, volume_db=after), Intent(track, "volume_db", before, after, "gain-staging")


def move_high_pass(session: Session, rng: random.Random) -> tuple[Session, Intent]:
    track = rng.choice(["Bass DI", "Gtr L", "Gtr R", "Lead Vox"])
    lowest = {"Bass DI": 41.2, "Gtr L": 82.4, "Gtr R": 82.4, "Lead Vox": 110.0}[track]
    before = session.track(track).devices[0].param("eq.band1.freq_hz")
    after = round(lowest * 0.9, 1)
    return _set_param(session, track, "EQ", "eq.band1.freq_hz", after), Intent(
        track, "eq.band1.freq_hz", before, after, "de-guffing", "EQ"
    )


def cut_boxiness(session: Session, rng: random.Random) -> tuple[Session, Intent]:
    before = session.track("Kick").devices[0].param("eq.band2.gain_db")
    after = -round(rng.uniform(3.0, 5.0), 1)
    return _set_param(session, "Kick", "EQ", "eq.band2.gain_db", after), Intent(
        "Kick", "eq.band2.gain_db", before, after, "taste", "EQ"
    )


def pan_guitars(session: Session, rng: random.Random) -> tuple[Session, Intent]:
    track = rng.choice(["Gtr L", "Gtr R"])
    before = session.track(track).channel.pan
    width = round(rng.uniform(0.5, 1.0), 2)
    after = -width if track == "Gtr L" else width
    return _set_channel(session, track, pan=after), Intent(track, "pan", before, after, "masking")


MOVES: tuple[Move, ...] = (move_fader, move_high_pass, cut_boxiness, pan_guitars)


def simulate_archive(folder: str | Path, songs: int = 2, saves: int = 4, seed: int = 0) -> list[SimulatedSave]:
    """Write `songs` songs with `saves` saves each into `folder` ("Song A v1.dawproject", ...)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    out: list[SimulatedSave] = []
    for s in range(songs):
        song = f"Song {chr(ord('A') + s)}"
        session = first_session(song, rng)
        intents: tuple[Intent, ...] = ()
        for version in range(1, saves + 1):
            if version > 1:
                moves = []
                for move in rng.sample(MOVES, k=rng.randint(1, 3)):
                    session, intent = move(session, rng)
                    if intent.before != intent.after:
                        moves.append(intent)
                intents = tuple(moves)
            path = write_dawproject(session, folder / f"{song} v{version}.dawproject")
            out.append(SimulatedSave(song, version, path, session, intents))
    return out
