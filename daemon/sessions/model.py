"""The normalized session model: what a DAW session says about the mix, in standard units.

Every format reader produces these immutable objects and nothing else reads a DAW file, so the
differ, the store and the learning code never see a DAW's native units. Units are converted once,
in the reader: volumes in dB (`None` for silence, i.e. -inf dB), pan in -1 (left) .. +1 (right),
frequencies in Hz, times of plug-in parameters in ms. Positions on the timeline (clips, automation
points, markers) are in the session's `time_unit` ("beats" or "seconds").

Collections whose order carries no meaning in a DAW (sends, automation lanes, clips, markers,
device parameters) are kept in one canonical order, so that a file written in another order reads
into an equal session. Track order and device (chain) order do carry meaning and are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

ParamValue = float | int | bool | str | None

TrackRole = Literal["audio", "instrument", "group", "return", "master", "vca"]
TRACK_ROLES: tuple[str, ...] = ("audio", "instrument", "group", "return", "master", "vca")

DeviceKind = Literal["eq", "compressor", "gate", "limiter", "plugin", "other"]
DEVICE_KINDS: tuple[str, ...] = ("eq", "compressor", "gate", "limiter", "plugin", "other")

# Where a device comes from: a plug-in format, or "builtin" for the DAW's own devices.
DEVICE_FORMATS: tuple[str, ...] = ("builtin", "vst2", "vst3", "clap", "au")
DEVICE_ROLES: tuple[str, ...] = ("audioFX", "instrument", "noteFX", "analyzer")
TIME_UNITS: tuple[str, ...] = ("beats", "seconds")

# Standard parameter terms (../shared/CONTRACT.md). A device parameter that maps to none of them
# is kept as `param.<raw name>`.
STANDARD_TERM = re.compile(
    r"^(?:eq\.band\d+\.(?:type|freq_hz|gain_db|q|enabled|slope_db_oct)"
    r"|eq\.(?:input_gain_db|output_gain_db)"
    r"|comp\.(?:threshold_db|ratio|attack_ms|release_ms|knee_db|makeup_db|input_gain_db"
    r"|output_gain_db|auto_makeup)"
    r"|gate\.(?:threshold_db|range_db|ratio|attack_ms|release_ms)"
    r"|limiter\.(?:threshold_db|ceiling_db|release_ms|attack_ms|input_gain_db|output_gain_db)"
    r"|delay\.(?:time_ms|feedback|mix)"
    r"|reverb\.(?:predelay_ms|decay_s|mix))$"
)

# Keywords that name what a third-party plug-in does, for plug-ins whose format says nothing.
_PLUGIN_KIND_WORDS: tuple[tuple[DeviceKind, re.Pattern[str]], ...] = (
    ("eq", re.compile(r"\beq\b|equali[sz]er|\beq\d|\w+eq\b", re.IGNORECASE)),
    ("compressor", re.compile(r"compress|\bcomp(\b|\d)", re.IGNORECASE)),
    ("gate", re.compile(r"\bgate\b|noise ?gate", re.IGNORECASE)),
    ("limiter", re.compile(r"limit", re.IGNORECASE)),
)


def classify_plugin(name: str) -> DeviceKind:
    """The kind of a third-party plug-in from its name ("ReaEQ" is an eq, "Pro-C 2" is not known)."""
    for kind, pattern in _PLUGIN_KIND_WORDS:
        if pattern.search(name):
            return kind
    return "plugin"


def unit_of(term: str) -> str:
    """The unit of a standard term, as shown beside a value ("dB", "Hz", "ms", ...)."""
    leaf = term.rsplit(".", 1)[-1]
    if leaf.endswith("_db") or leaf == "volume_db":
        return "dB"
    if leaf.endswith("_hz"):
        return "Hz"
    if leaf.endswith("_ms"):
        return "ms"
    if leaf.endswith("_s"):
        return "s"
    if leaf == "slope_db_oct":
        return "dB/octave"
    if leaf == "tempo_bpm":
        return "BPM"
    if leaf in ("ratio",):
        return ":1"
    if leaf == "q":
        return "Q"
    return ""


@dataclass(frozen=True, slots=True)
class Channel:
    """A track's mixer strip. `volume_db` is None for silence (a linear gain of 0)."""

    volume_db: float | None = 0.0
    pan: float = 0.0
    mute: bool = False
    solo: bool = False
    output: str | None = None  # name of the track this one feeds; None: the default (master)
    audio_channels: int | None = None
    main_send: bool = True  # feeds its parent (the master, or its folder); REAPER's MAINSEND


@dataclass(frozen=True, slots=True)
class Send:
    """A send to a return or group track, addressed by that track's name."""

    target: str
    level_db: float | None = 0.0
    pre_fader: bool = False
    enabled: bool = True
    pan: float | None = None


@dataclass(frozen=True, slots=True)
class Device:
    """One device in a chain. `params` holds (term, value) pairs sorted by term."""

    kind: DeviceKind
    name: str
    format: str = "builtin"
    plugin_id: str | None = None
    vendor: str | None = None
    role: str = "audioFX"
    enabled: bool = True
    params: tuple[tuple[str, ParamValue], ...] = ()
    state_sha256: str | None = None  # hash of the opaque plug-in state, when the file holds one
    uid: str | None = None  # the id the format gives this instance (REAPER FXID, Ardour processor id)
    # (term, name the plug-in shows) where the term does not say it (a JSFX's "slider4"): for
    # people only, so no part of what the device is.
    param_names: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def param(self, term: str) -> ParamValue:
        for key, value in self.params:
            if key == term:
                return value
        return None

    @property
    def param_dict(self) -> dict[str, ParamValue]:
        return dict(self.params)


@dataclass(frozen=True, slots=True)
class AutomationLane:
    """Automation of one target: a channel term (`volume_db`, `pan`, `mute`, `send.<t>.level_db`)
    or, with `device` set, a parameter term of the device of that name on the same track.

    Points are (time, value) pairs in the session's time unit and the target's standard unit.
    """

    target: str
    device: str | None = None
    points: tuple[tuple[float, float], ...] = ()
    interpolation: str = "linear"  # "linear" or "hold"

    @property
    def key(self) -> tuple[str, str]:
        return (self.device or "", self.target)


@dataclass(frozen=True, slots=True)
class Clip:
    """A clip on the timeline. `file` is the audio reference as the session wrote it: data, never
    opened outside the session's own folder. A note (MIDI) clip has no file ("") and its notes:
    (time, duration, key, velocity 0..1) in the session's time unit, from the clip's start."""

    file: str
    position: float
    duration: float
    name: str = ""
    gain_db: float = 0.0
    fade_in: float = 0.0
    fade_out: float = 0.0
    play_start: float = 0.0
    enabled: bool = True
    notes: tuple[tuple[float, float, int, float], ...] = ()

    @property
    def sort_key(self) -> tuple[float, str, float, str]:
        return (self.position, self.file, self.duration, self.name)


@dataclass(frozen=True, slots=True)
class Marker:
    name: str
    time: float


@dataclass(frozen=True, slots=True)
class Track:
    """A track, bus, return or master, with the tracks nested inside it (groups, folders)."""

    name: str
    role: TrackRole = "audio"
    content_types: tuple[str, ...] = ()
    channel: Channel = field(default_factory=Channel)
    sends: tuple[Send, ...] = ()
    devices: tuple[Device, ...] = ()
    automation: tuple[AutomationLane, ...] = ()
    clips: tuple[Clip, ...] = ()
    children: tuple[Track, ...] = ()
    uid: str | None = None  # the id the format keeps for this track across saves (REAPER TRACKID, ...)
    auto_name: bool = False  # the DAW shows a name made from the track's position ("Track 3"): unnamed


@dataclass(frozen=True, slots=True)
class Session:
    """One saved state of a session.

    `problems` lists what the reader found wrong but could read past (a NaN parameter value, a
    reference to a missing track); each names where it is and why.
    """

    name: str
    application: str = ""
    application_version: str = ""
    tempo_bpm: float | None = None
    time_signature: tuple[int, int] | None = None
    time_unit: str = "beats"
    tracks: tuple[Track, ...] = ()
    markers: tuple[Marker, ...] = ()
    tempo_automation: tuple[tuple[float, float], ...] = ()
    problems: tuple[str, ...] = ()
    # Tracks by name, built at the first lookup (the first of a name, depth-first, as a search
    # would find it): the rules look tracks up thousands of times a save.
    _by_name: dict[str, Track] | None = field(default=None, init=False, repr=False, compare=False, hash=False)

    def walk(self) -> Iterator[tuple[tuple[str, ...], Track]]:
        """Every track depth-first, with the names of the groups it sits in."""
        yield from _walk(self.tracks, ())

    def all_tracks(self) -> list[Track]:
        return [track for _, track in self.walk()]

    def track(self, name: str) -> Track:
        index = self._by_name
        if index is None:
            index = {}
            for _, track in self.walk():
                index.setdefault(track.name, track)
            object.__setattr__(self, "_by_name", index)  # a cache: the session itself does not change
        try:
            return index[name]
        except KeyError:
            raise KeyError(name) from None


def _walk(tracks: tuple[Track, ...], parents: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Track]]:
    for track in tracks:
        yield parents, track
        yield from _walk(track.children, (*parents, track.name))


def canonical_params(pairs: dict[str, ParamValue]) -> tuple[tuple[str, ParamValue], ...]:
    return tuple(sorted(pairs.items()))


def canonical_sends(sends: list[Send]) -> tuple[Send, ...]:
    return tuple(sorted(sends, key=lambda s: (s.target, s.pre_fader)))


def canonical_lanes(lanes: list[AutomationLane]) -> tuple[AutomationLane, ...]:
    return tuple(sorted(lanes, key=lambda lane: lane.key))


def canonical_clips(clips: list[Clip]) -> tuple[Clip, ...]:
    return tuple(sorted(clips, key=lambda c: c.sort_key))


def canonical_markers(markers: list[Marker]) -> tuple[Marker, ...]:
    return tuple(sorted(markers, key=lambda m: (m.time, m.name)))
