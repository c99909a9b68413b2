"""The simulated engineer's starting point and the vocabulary its moves share (daemon/demo/simulator.py
drives them; the moves are in daemon/demo/channel_moves.py and daemon/demo/device_moves.py).

- `Intent`: one move, why it was made, and the numbers behind the reason;
- `first_session`: a song's first save, five instrument tracks with their devices (an EQ and a
  compressor on each, the vocal's `ECHO`, the Verb return's `REVERB`), which the moves address by name;
- `Move`: what every move takes and returns, and `NOMINAL_TRUTH`, what the moves assume the stems
  hold when they are not told;
- `set_channel`, `set_param`, `find_device`: the session edits the moves make.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from daemon.demo.synth import INSTRUMENTS, RenderedSong, StemTruth
from daemon.sessions.model import Channel, Clip, Device, Send, Session, Track, canonical_params

if TYPE_CHECKING:
    from daemon.log.records import LoggedEvent


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


# -- the first session and its devices --------------------------------------------------------


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


# -- moves: their signature, the truth they assume, the edits they make ------------------------


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


def set_channel(session: Session, name: str, **values: Any) -> Session:
    """The session with track `name`'s channel fields set to `values`."""
    return replace(
        session,
        tracks=tuple(replace(t, channel=replace(t.channel, **values)) if t.name == name else t for t in session.tracks),
    )


def set_param(session: Session, track: str, device: str, term: str, value: object) -> Session:
    """The session with the term `term` of `track`'s device named `device` set to `value`."""

    def edit(t: Track) -> Track:
        if t.name != track:
            return t
        devices = tuple(
            replace(d, params=canonical_params({**d.param_dict, term: value})) if d.name == device else d  # type: ignore[dict-item]
            for d in t.devices
        )
        return replace(t, devices=devices)

    return replace(session, tracks=tuple(edit(t) for t in session.tracks))


def find_device(session: Session, track: str, device: str) -> Device:
    """`track`'s device named `device`."""
    return next(d for d in session.track(track).devices if d.name == device)
