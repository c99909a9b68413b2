"""Ardour reader: a session file (.ardour, its .bak, a .pending or a snapshot) into a Session.

An Ardour session is one XML document, `<Session version=... sample-rate=...>`. Two layouts
are read: Ardour 2 (`version="2.x.y"`), where a route's gain, pan and plug-ins hang off its
`<IO>`, `<Insert>` and `<Send>` elements, and Ardour 3 and later (`version="3.0.0"`, then
"3001" .. "7003"...), where a route is a chain of `<Processor>` elements. The 2005 format of
Ardour 0.x/1.x (`version="0.821.0"`, the old templates) is refused with that reason. The mapping,
with its sources (the Ardour/ardour repository):

| Ardour | model |
|---|---|
| `<Route>` (flags or PresentationInfo MasterOut) | track of role `master`; MonitorOut and Auditioner routes are no mix tracks and are skipped |
| route with a playlist (Diskstream, `audio-playlist`, Ardour 2 `diskstream-id`) | `audio`, or `instrument` for `default-type="midi"` |
| route without one (a bus) | `return` when some aux send feeds it, else `group` |
| Amp processor `gaincontrol` (Ardour 2: IO `gain`), linear | `volume_db` |
| Trim processor `trimcontrol`, linear | a builtin device "Trim" with `param.trim_db` (no standard term) |
| `pan-azimuth` 0..1 (Ardour 2: StreamPanner `x`, averaged over streams) | `pan` = 2 * azimuth - 1: libs/panners/1in2out sets the right gain from the azimuth and the left from 1 - azimuth, so 0 is hard left |
| `mute` / `solo` controllables, `self-solo` (Ardour 2: `muted`, `soloed`) | `mute`, `solo` |
| connections of the route's output to another route's input (not master) | `output` |
| `intsend` processor (role Aux or Foldback, `target` route id; Ardour 2: `<Send>` whose IO outputs feed a route) | Send: its own amp's gain in dB, pre-fader when it sits before the route's Amp (Ardour 2: `placement`), enabled from `active` |
| plug-in processors (`lv2`, `ladspa`, `luaproc`, `windows-vst`/`lxvst`/`mac-vst`, `vst3`, `audiounit`; Ardour 2: `<Insert>`) in chain order, and hardware inserts (`port`) | Device: name, `unique-id`, enabled from `active` (and an LV2 `enable` port), control ports as `param.<port name>` |
| ACE EQ (`urn:ardour:a-eq`, libs/plugins/a-eq.lv2) | `eq.band1..6`: band 1 low shelf (a 12 dB/oct high-pass when `shelftogl` is off), bands 2..5 bells, band 6 high shelf (or low-pass); bandwidth in octaves to Q as a-eq.c computes it, q = 2^(1/bw) / (2^bw - 1); `master` is `eq.output_gain_db` |
| ACE Compressor (`urn:ardour:a-comp`, `#stereo`; libs/plugins/a-comp.lv2) | `comp.attack_ms`, `release_ms`, `knee_db`, `ratio`, `threshold_db`, `makeup_db` |
| `<AutomationList>` events of gain, trim, pan-azimuth, mute, a send's gain, `parameter-N` (Ardour 2: IO, StreamPanner and PortAutomation lists) | AutomationLane, values in the target's standard unit |
| Playlist `<Region>` of the route's playlist, its `source-0` in `<Sources>` | Clip: file name as Ardour wrote it (the file lives in interchange/<session>/audiofiles or midifiles), position, length, `start` as play_start, `scale-gain` in dB, fade lengths, muted as disabled. MIDI regions too, on MIDI tracks |
| `<Location>` flagged IsMark (not session start/end) | Marker |
| TempoMap: first `Tempo` (`beats-per-minute`; Ardour 7: `npm`), first `Meter` | `tempo_bpm`, `time_signature` |

Time: the session's `time_unit` is "seconds". Ardour 2..6 write positions and automation times in
samples at the session's `sample-rate`; Ardour 7 writes timepos strings (libs/temporal
timeline.cc): "a<n>" in superclock ticks (`superclocks-per-second` on the TempoMap, 282240000
where it is absent) and "b<n>" in ticks of 1920 per beat, placed at the first tempo (a tempo map
with several tempos is not followed). Opaque plug-in state is hashed where the file holds it
(a VST `<chunk>`, a Lua `<script>`); LV2 state kept in the session's plugins/ folder is not read.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from lxml import etree

from daemon import units
from daemon.errors import ParseError
from daemon.formats.guard import LIMITS, parse_xml
from daemon.formats.values import finite_or_problem, read_capped, shown
from daemon.model import (
    AutomationLane,
    Channel,
    Clip,
    Device,
    DeviceKind,
    Marker,
    ParamValue,
    Send,
    Session,
    Track,
    TrackRole,
    canonical_clips,
    canonical_lanes,
    canonical_markers,
    canonical_params,
    canonical_sends,
    classify_plugin,
)

SUFFIXES: tuple[str, ...] = (".ardour.bak", ".ardour", ".pending", ".template")

# Processor `type` of plug-ins (Ardour 3+) and Insert `type` (Ardour 2) -> Device.format.
PLUGIN_FORMATS: dict[str, str] = {
    "lv2": "lv2",
    "ladspa": "ladspa",
    "luaproc": "lua",
    "windows-vst": "vst2",
    "lxvst": "vst2",
    "mac-vst": "vst2",
    "vst": "vst2",
    "vst3": "vst3",
    "audiounit": "au",
}

A_EQ = "urn:ardour:a-eq"
A_COMP = ("urn:ardour:a-comp", "urn:ardour:a-comp#stereo")

# a-EQ port symbol -> (band number, leaf); ports also known by their lv2:name.
_A_EQ_BANDS: dict[str, tuple[int, str]] = {
    "freql": (1, "freq_hz"),
    "gl": (1, "gain_db"),
    "filtogl": (1, "enabled"),
    "freqh": (6, "freq_hz"),
    "gh": (6, "gain_db"),
    "filtogh": (6, "enabled"),
    **{f"freq{n}": (n + 1, "freq_hz") for n in range(1, 5)},
    **{f"g{n}": (n + 1, "gain_db") for n in range(1, 5)},
    **{f"bw{n}": (n + 1, "q") for n in range(1, 5)},
    **{f"filtog{n}": (n + 1, "enabled") for n in range(1, 5)},
}
_A_EQ_NAMES: dict[str, str] = {
    "Frequency L": "freql",
    "Gain L": "gl",
    "Filter L": "filtogl",
    "Frequency H": "freqh",
    "Gain H": "gh",
    "Filter H": "filtogh",
    "Master Gain": "master",
    "Enable": "enable",
    "Low Shelf": "shelftogl",
    "High Shelf": "shelftogh",
    **{f"Frequency {n}": f"freq{n}" for n in range(1, 5)},
    **{f"Gain {n}": f"g{n}" for n in range(1, 5)},
    **{f"Bandwidth {n}": f"bw{n}" for n in range(1, 5)},
    **{f"Filter {n}": f"filtog{n}" for n in range(1, 5)},
}
_A_COMP_TERMS: dict[str, str] = {
    "att": "comp.attack_ms",
    "rel": "comp.release_ms",
    "kn": "comp.knee_db",
    "rat": "comp.ratio",
    "thr": "comp.threshold_db",
    "mak": "comp.makeup_db",
}
_A_COMP_NAMES: dict[str, str] = {
    "Attack": "att",
    "Release": "rel",
    "Knee": "kn",
    "Ratio": "rat",
    "Threshold": "thr",
    "Makeup": "mak",
    "Enable": "enable",
    "Sidechain": "sidech",
}

TICKS_PER_BEAT = 1920  # Temporal::ticks_per_beat
DEFAULT_SUPERCLOCK = 282_240_000  # superclock ticks per second where the TempoMap states none
DEFAULT_FADE_SAMPLES = 64  # Ardour's default region fade
_TIME = re.compile(r"^\s*([ab]?)(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)")
_PORT_TARGET = re.compile(r"^(.*)/(?:audio_|midi_)?in(?: |put)?\s*\d*$")


@dataclass(frozen=True)
class _Clock:
    """Turns Ardour's time values into seconds."""

    sample_rate: float
    superclock: float
    tempo_bpm: float | None

    def seconds(self, text: str | None) -> float | None:
        """Seconds from samples ("529680"), superclock ("a282240000") or beat ticks ("b1920");
        None for a missing or unreadable value."""
        match = _TIME.match(text or "")
        if match is None:
            return None
        value = float(match.group(2))
        if not math.isfinite(value):
            return None
        if match.group(1) == "a":
            return value / self.superclock
        if match.group(1) == "b":
            return value / TICKS_PER_BEAT * 60.0 / self.tempo_bpm if self.tempo_bpm else None
        return value / self.sample_rate


@dataclass
class _Port:
    """One control port of a plug-in: its name, LV2 symbol and value."""

    name: str
    symbol: str
    value: float | None


@dataclass
class _RouteBuild:
    el: etree._Element
    ident: str
    name: str
    master: bool
    track: bool
    midi: bool
    order: tuple[int, int]
    sends: list[Send] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    lanes: list[AutomationLane] = field(default_factory=list)
    channel: Channel = field(default_factory=Channel)
    outputs: list[str] = field(default_factory=list)


def read_ardour(path: str | Path, name: str | None = None) -> Session:
    """Read an Ardour session file. Raises ParseError naming the file and the reason."""
    path = Path(path)
    root = parse_xml(read_capped(path, LIMITS.max_xml_bytes, "session XML"), path)
    return _Reader(path, root, name if name is not None else session_name(path.name)).session()


def session_name(filename: str) -> str:
    """The session's name from a file name: "Song.ardour.bak" and "Song.pending" are "Song"."""
    lower = filename.lower()
    for suffix in SUFFIXES:
        if lower.endswith(suffix):
            return filename[: -len(suffix)]
    return Path(filename).stem


def format_version(text: str) -> int:
    """Ardour's session format as one number: "2.0.0" is 2000, "3.0.0" 3000, "3001" 3001."""
    if "." in text:
        major, _, rest = text.partition(".")
        minor = rest.partition(".")[0]
        return int(major) * 1000 + (int(minor) if minor.isdigit() else 0)
    return int(text)


class _Reader:
    def __init__(self, path: Path, root: etree._Element, name: str) -> None:
        self.path = path
        self.root = root
        self.name = name
        self.problems: list[str] = []
        self.version = 0
        self.clock = _Clock(48_000.0, float(DEFAULT_SUPERCLOCK), None)
        self.routes: list[_RouteBuild] = []
        self.by_id: dict[str, _RouteBuild] = {}
        self.by_name: dict[str, _RouteBuild] = {}
        self.sources: dict[str, str] = {}

    # -- entry -------------------------------------------------------------------------------
    def session(self) -> Session:
        root = self.root
        if not isinstance(root.tag, str) or root.tag != "Session":
            tag = root.tag if isinstance(root.tag, str) else "?"
            raise ParseError(self.path, f"not an Ardour session: the root element is <{tag}>, not <Session>")
        version = root.get("version")
        if not version:
            raise ParseError(self.path, "not an Ardour session: <Session> has no version")
        try:
            self.version = format_version(version)
        except ValueError:
            raise ParseError(self.path, f"not an Ardour session: version {shown(version)} is no number") from None
        if self.version < 2000:
            raise ParseError(
                self.path,
                f"Ardour session format {shown(version)} (Ardour 0.x/1.x, 2005) is not supported: "
                "only sessions saved by Ardour 2 and later are read",
            )
        tempo, signature, superclock = self._tempo_map(root.find("TempoMap"))
        self.clock = _Clock(self._sample_rate(root), superclock, tempo)
        self.sources = {s.get("id", ""): s.get("name", "") for s in root.iterfind("Sources/Source")}
        routes_el = root.find("Routes")
        route_els = [] if routes_el is None else [r for r in routes_el.iterchildren("Route")]
        for index, el in enumerate(route_els):
            build = self._index_route(el, index)
            if build is not None:
                self.routes.append(build)
                self.by_id[build.ident] = build
                self.by_name[build.name] = build
        for build in self.routes:
            if self.version < 3000:
                self._route_v2(build)
            else:
                self._route(build)
        fed = {s.target for b in self.routes for s in b.sends}
        clips = self._playlists()
        tracks = [
            self._freeze(b, fed, clips.get(b.ident, [])) for b in sorted(self.routes, key=lambda b: (b.master, b.order))
        ]
        return Session(
            name=self.name,
            application="Ardour",
            application_version=version,
            tempo_bpm=tempo,
            time_signature=signature,
            time_unit="seconds",
            tracks=tuple(tracks),
            markers=self._markers(),
            problems=tuple(self.problems),
        )

    # -- session level -----------------------------------------------------------------------
    def _sample_rate(self, root: etree._Element) -> float:
        rate = self._number(root.get("sample-rate"), "session sample-rate")
        if rate is None or rate <= 0:
            self.problems.append("session: no usable sample-rate; positions read at 48000 Hz")
            return 48_000.0
        return rate

    def _tempo_map(self, el: etree._Element | None) -> tuple[float | None, tuple[int, int] | None, float]:
        superclock = float(DEFAULT_SUPERCLOCK)
        if el is None:
            return None, None, superclock
        stated = self._number(el.get("superclocks-per-second"), "TempoMap superclocks-per-second")
        if stated is not None and stated > 0:
            superclock = stated
        tempo_el = el.find("Tempos/Tempo") if el.find("Tempos") is not None else el.find("Tempo")
        tempo = None
        if tempo_el is not None:
            tempo = self._number(tempo_el.get("npm") or tempo_el.get("beats-per-minute"), "tempo")
            if tempo is not None and tempo <= 0:
                self.problems.append(f"tempo: {tempo} BPM is not positive; ignored")
                tempo = None
        meter_el = el.find("Meters/Meter") if el.find("Meters") is not None else el.find("Meter")
        signature = None
        if meter_el is not None:
            beats = self._number(meter_el.get("divisions-per-bar") or meter_el.get("beats-per-bar"), "meter")
            note = self._number(meter_el.get("note-value") or meter_el.get("note-type"), "meter")
            if beats and note and beats.is_integer() and note.is_integer():
                signature = (int(beats), int(note))
        return tempo, signature, superclock

    def _markers(self) -> tuple[Marker, ...]:
        markers = []
        for loc in self.root.iterfind("Locations/Location"):
            flags = set((loc.get("flags") or "").split(","))
            if "IsMark" not in flags or flags & {"IsStart", "IsEnd", "IsSessionRange"}:
                continue
            time = self.clock.seconds(loc.get("start"))
            if time is None:
                self.problems.append(f"marker {shown(loc.get('name'))}: unreadable start; ignored")
                continue
            markers.append(Marker(name=loc.get("name") or "", time=time))
        return canonical_markers(markers)

    # -- routes ------------------------------------------------------------------------------
    def _index_route(self, el: etree._Element, index: int) -> _RouteBuild | None:
        io = el.find("IO")
        name = el.get("name") or (io.get("name") if io is not None else None)
        info = el.find("PresentationInfo")
        flags = set(
            re.split(r"[,\s]+", (el.get("flags") or "") + "," + (info.get("flags") if info is not None else ""))
        )
        if flags & {"MonitorOut", "Auditioner"}:
            return None
        if not name:
            self.problems.append(f"route #{index + 1}: no name; skipped")
            return None
        track = bool(
            el.get("diskstream-id")
            or el.get("audio-playlist")
            or el.get("midi-playlist")
            or el.find("Diskstream") is not None
            or flags & {"AudioTrack", "MidiTrack"}
        )
        midi = el.get("default-type") == "midi" or "MidiTrack" in flags or "MidiBus" in flags
        return _RouteBuild(
            el=el,
            ident=el.get("id") or (io.get("id") if io is not None else None) or f"#{index}",
            name=name,
            master="MasterOut" in flags,
            track=track,
            midi=midi,
            order=(_order(el, info, index), index),
        )

    def _route(self, b: _RouteBuild) -> None:
        """An Ardour 3+ route: controllables, pannable and the processor chain."""
        el = b.el
        where = f"track {b.name!r}"
        controls = {c.get("name"): c for c in el.iterchildren("Controllable")}
        processors = [p for p in el.iterchildren("Processor")]
        amp_at = next((i for i, p in enumerate(processors) if p.get("type") == "amp"), None)
        volume_db: float | None = 0.0
        if amp_at is not None:
            amp = processors[amp_at]
            volume_db = self._gain(amp, "gaincontrol", where)
            self._lane(b, amp, "gain", "volume_db", None, "db")
        pannable = el.find("Pannable")
        if pannable is None:
            outs = next((p for p in processors if p.get("type") == "main-outs"), None)
            pannable = outs.find("Pannable") if outs is not None else None
        pan = 0.0
        if pannable is not None:
            azimuth = next((c for c in pannable.iterchildren("Controllable") if c.get("name") == "pan-azimuth"), None)
            if azimuth is not None:
                value = self._number(azimuth.get("value"), f"{where} pan")
                pan = 0.0 if value is None else 2.0 * min(max(value, 0.0), 1.0) - 1.0
            self._lane(b, pannable, "pan-azimuth", "pan", None, "pan")
        self._lane(b, el, "mute", "mute", None, "bool")
        mute_el, solo_el = controls.get("mute"), controls.get("solo")
        muted = mute_el is not None and (self._number(mute_el.get("value"), f"{where} mute") or 0.0) > 0.5
        master = el.find("MuteMaster")
        muted = muted or (master is not None and _yes(master.get("muted")))
        soloed = _yes(el.get("self-solo")) or (solo_el is not None and _yes(solo_el.get("self-solo")))
        if solo_el is not None and not soloed:
            soloed = (self._number(solo_el.get("value"), f"{where} solo") or 0.0) > 0.5
        b.channel = Channel(volume_db=volume_db, pan=pan, mute=muted, solo=soloed)
        b.outputs = self._connections(el)
        for i, proc in enumerate(processors):
            kind = proc.get("type") or ""
            if kind == "intsend" and proc.get("role") != "Listen":
                self._intsend(b, proc, pre_fader=amp_at is not None and i < amp_at)
            elif kind == "trim":
                b.devices.append(self._trim(b, proc))
            elif kind in PLUGIN_FORMATS or kind == "port":
                b.devices.append(self._plugin(b, proc, kind))

    def _connections(self, el: etree._Element) -> list[str]:
        """Names of the routes this route's output ports connect to, in order."""
        names: list[str] = []
        for io in el.iterchildren("IO"):
            if io.get("direction") != "Output":
                continue
            for conn in io.iterfind("Port/Connection"):
                target = _port_route(conn.get("other") or "")
                if target and target not in names:
                    names.append(target)
        return names

    def _intsend(self, b: _RouteBuild, proc: etree._Element, pre_fader: bool) -> None:
        target = self.by_id.get(proc.get("target") or "")
        if target is None:
            self.problems.append(f"track {b.name!r} send {shown(proc.get('name'))}: its target is no route; ignored")
            return
        holder = next((p for p in proc.iterchildren("Processor") if p.get("type") == "amp"), proc)
        level = self._gain(holder, "gaincontrol", f"track {b.name!r} send to {target.name!r}")
        term = f"send.{target.name}.level_db"
        self._lane(b, holder, "gain", term, None, "db")
        if holder is not proc:
            self._lane(b, proc, "gain", term, None, "db")
        b.sends.append(Send(target=target.name, level_db=level, pre_fader=pre_fader, enabled=_yes(proc.get("active"))))

    def _trim(self, b: _RouteBuild, proc: etree._Element) -> Device:
        where = f"track {b.name!r} trim"
        trim = self._gain(proc, "trimcontrol", where)
        self._lane(b, proc, "trim", "param.trim_db", "Trim", "db")
        return Device(
            kind="other",
            name="Trim",
            enabled=_yes(proc.get("active")),
            params=canonical_params({"param.trim_db": trim}),
        )

    def _plugin(self, b: _RouteBuild, proc: etree._Element, kind: str) -> Device:
        """A plug-in processor: its ports from the PluginInsert's controllables (name, value,
        `parameter` index) or, where none are written, from the plug-in's own node."""
        name = proc.get("name") or kind
        ports: dict[int, _Port] = {}
        for c in proc.iterchildren("Controllable"):
            index = c.get("parameter")
            if index is not None and index.isdigit():
                value = self._number(c.get("value"), f"track {b.name!r}, device {name!r} port {c.get('name')!r}")
                ports[int(index)] = _Port(c.get("name") or "", c.get("symbol") or "", value)
        node = proc.find(kind) if kind in PLUGIN_FORMATS else None
        if not ports and node is not None:
            for number, port in enumerate(node.iterchildren("Port", "port")):
                index = port.get("number") or port.get("index")
                key = int(index) if index is not None and index.isdigit() else number
                where = f"track {b.name!r}, device {name!r} port {port.get('symbol') or key}"
                ports[key] = _Port("", port.get("symbol") or "", self._number(port.get("value"), where))
        device = self._device(b, name, kind, proc.get("unique-id"), _yes(proc.get("active")), ports, _state_hash(node))
        automation = proc.find("Automation")
        if automation is not None:
            for alist in automation.iterchildren("AutomationList"):
                ident = alist.get("automation-id") or ""
                if ident.startswith("parameter-") and ident[10:].isdigit():
                    self._port_lane(b, device, ports, int(ident[10:]), alist)
        return device

    def _device(
        self,
        b: _RouteBuild,
        name: str,
        kind: str,
        plugin_id: str | None,
        active: bool,
        ports: dict[int, _Port],
        state: str | None,
    ) -> Device:
        device_kind: DeviceKind = "other" if kind == "port" else classify_plugin(name)
        params: dict[str, ParamValue] = {}
        enabled = active
        mapping = _mapping(plugin_id, name)
        if mapping == "eq":
            device_kind = "eq"
        elif mapping == "compressor":
            device_kind = "compressor"
        shelves = {"shelftogl": True, "shelftogh": True}
        for index in sorted(ports):
            port = ports[index]
            symbol = _symbol(mapping, port)
            if symbol in shelves:
                shelves[symbol] = port.value is None or port.value > 0.5
                continue
            if mapping and symbol == "enable":
                enabled = enabled and (port.value is None or port.value > 0.5)
                continue
            term, value = _port_term(mapping, symbol, port, index)
            params[term] = value
        if mapping == "eq":
            params["eq.band1.type"] = "lowshelf" if shelves["shelftogl"] else "highpass"
            params["eq.band6.type"] = "highshelf" if shelves["shelftogh"] else "lowpass"
            for band in range(2, 6):
                params[f"eq.band{band}.type"] = "bell"
            for band, on in ((1, shelves["shelftogl"]), (6, shelves["shelftogh"])):
                if not on:
                    params[f"eq.band{band}.slope_db_oct"] = 12.0
                    params.pop(f"eq.band{band}.gain_db", None)
        return Device(
            kind=device_kind,
            name=name,
            format=PLUGIN_FORMATS.get(kind, "builtin"),
            plugin_id=plugin_id,
            enabled=enabled,
            params=canonical_params(params),
            state_sha256=state,
        )

    # -- Ardour 2 ----------------------------------------------------------------------------
    def _route_v2(self, b: _RouteBuild) -> None:
        """An Ardour 2 route: gain and panner on its IO, plug-ins in <Insert>, sends in <Send>."""
        el = b.el
        where = f"track {b.name!r}"
        io = el.find("IO")
        volume_db: float | None = 0.0
        pan = 0.0
        if io is not None:
            volume_db = self._linear_db(io.get("gain"), f"{where} gain")
            self._lane_v2(b, io.find("Automation/AutomationList"), "volume_db", None, "db")
            streams = list(io.iterfind("Panner/StreamPanner"))
            xs = [x for x in (self._number(s.get("x"), f"{where} pan") for s in streams) if x is not None]
            if xs:
                pan = 2.0 * min(max(sum(xs) / len(xs), 0.0), 1.0) - 1.0
            if len(streams) == 1:
                self._lane_v2(b, streams[0].find("Automation/AutomationList"), "pan", None, "pan")
            b.outputs = [t for t in _v2_targets(io.get("outputs")) if t != b.name]
        b.channel = Channel(volume_db=volume_db, pan=pan, mute=_yes(el.get("muted")), solo=_yes(el.get("soloed")))
        for child in el:
            if child.tag == "Insert":
                b.devices.append(self._insert_v2(b, child))
            elif child.tag == "Send":
                self._send_v2(b, child)

    def _insert_v2(self, b: _RouteBuild, el: etree._Element) -> Device:
        kind = el.get("type") or ""
        redirect = el.find("Redirect")
        io = redirect.find("IO") if redirect is not None else None
        name = (io.get("name") if io is not None else None) or kind or "Insert"
        names = {c.get("parameter"): c.get("name") or "" for c in el.iterfind("controls/controllable")}
        node = el.find(kind) if kind else None
        ports: dict[int, _Port] = {}
        if node is not None:
            for port in node.iterchildren("port", "Port"):
                number = port.get("number") or ""
                if number.isdigit():
                    where = f"track {b.name!r}, device {name!r} port {number}"
                    ports[int(number)] = _Port(names.get(number, ""), "", self._number(port.get("value"), where))
            parameters = node.find("parameters")
            if parameters is not None:
                for key, text in parameters.attrib.items():
                    if key.startswith("param_") and key[6:].isdigit():
                        where = f"track {b.name!r}, device {name!r} {key}"
                        ports[int(key[6:])] = _Port(names.get(key[6:], key), "", self._number(text, where))
        active = redirect is None or _yes(redirect.get("active"))
        device = self._device(b, name, kind, el.get("unique-id"), active, ports, _state_hash(node))
        for port_el in el.iterfind("PortAutomation/port"):
            number = port_el.get("number") or ""
            alist = port_el.find("AutomationList")
            if number.isdigit() and alist is not None:
                self._port_lane(b, device, ports, int(number), alist)
        return device

    def _send_v2(self, b: _RouteBuild, el: etree._Element) -> None:
        redirect = el.find("Redirect")
        io = redirect.find("IO") if redirect is not None else None
        if redirect is None or io is None:
            return
        targets = [t for t in _v2_targets(io.get("outputs")) if t in self.by_name]
        if not targets:
            self.problems.append(f"track {b.name!r} send {shown(io.get('name'))}: feeds no route; ignored")
            return
        target = targets[0]
        level = self._linear_db(io.get("gain"), f"track {b.name!r} send to {target!r}")
        self._lane_v2(b, io.find("Automation/AutomationList"), f"send.{target}.level_db", None, "db")
        b.sends.append(
            Send(
                target=target,
                level_db=level,
                pre_fader=redirect.get("placement") == "PreFader",
                enabled=_yes(redirect.get("active")),
            )
        )

    # -- values ------------------------------------------------------------------------------
    def _number(self, text: str | None, where: str) -> float | None:
        return finite_or_problem(text, where, self.problems)

    def _linear_db(self, text: str | None, where: str) -> float | None:
        """A linear gain in dB; None for silence; 0 dB where the value is missing or bad."""
        value = self._number(text, where)
        if value is None:
            return 0.0
        return units.linear_to_db(value)

    def _gain(self, holder: etree._Element, control: str, where: str) -> float | None:
        el = next((c for c in holder.iterchildren("Controllable") if c.get("name") == control), None)
        return 0.0 if el is None else self._linear_db(el.get("value"), where)

    # -- automation --------------------------------------------------------------------------
    def _lists(self, holder: etree._Element, ident: str) -> Iterator[etree._Element]:
        automation = holder.find("Automation")
        if automation is not None:
            for alist in automation.iterchildren("AutomationList"):
                if alist.get("automation-id") == ident:
                    yield alist

    def _lane(
        self, b: _RouteBuild, holder: etree._Element, ident: str, term: str, device: str | None, kind: str
    ) -> None:
        for alist in self._lists(holder, ident):
            self._lane_v2(b, alist, term, device, kind)

    def _lane_v2(self, b: _RouteBuild, alist: etree._Element | None, term: str, device: str | None, kind: str) -> None:
        if alist is None:
            return
        points = self._events(alist, f"track {b.name!r} automation of {term}", kind)
        if points:
            interpolation = "hold" if kind == "bool" or alist.get("interpolation-style") == "Discrete" else "linear"
            b.lanes.append(AutomationLane(target=term, device=device, points=points, interpolation=interpolation))

    def _port_lane(
        self, b: _RouteBuild, device: Device, ports: dict[int, _Port], index: int, alist: etree._Element
    ) -> None:
        mapping = _mapping(device.plugin_id, device.name)
        port = ports.get(index, _Port("", "", None))
        symbol = _symbol(mapping, port)
        if mapping and symbol in ("enable", "shelftogl", "shelftogh"):
            return
        term, _ = _port_term(mapping, symbol, port, index)
        kind = "q" if term.endswith(".q") and mapping == "eq" else "plain"
        self._lane_v2(b, alist, term, device.name, kind)

    def _events(self, alist: etree._Element, where: str, kind: str) -> tuple[tuple[float, float], ...]:
        """An AutomationList's events ("time value" lines) in seconds and standard units."""
        events = alist.find("events")
        text = events.text if events is not None else None
        if not text or not text.strip():
            return ()
        times: list[float] = []
        values: list[float] = []
        bad = 0
        for line in text.splitlines():
            parts = line.split()
            if not parts:
                continue
            time = self.clock.seconds(parts[0]) if len(parts) == 2 else None
            try:
                value = units.finite(parts[1]) if time is not None else None
            except ValueError:
                value = None
            if time is None or value is None:
                bad += 1
                continue
            times.append(time)
            values.append(value)
        if bad:
            self.problems.append(f"{where}: {bad} event(s) with an unreadable time or value; ignored")
        array = np.array(values, dtype=float)
        if kind == "db":
            array = units.convert_array("db", "linear", array, None, None, None)
        elif kind == "pan":
            array = 2.0 * np.clip(array, 0.0, 1.0) - 1.0
        elif kind == "bool":
            array = (array > 0.5).astype(float)
        elif kind == "q":
            array = np.array([_bandwidth_to_q(v) for v in array.tolist()], dtype=float)
        return tuple(zip(times, array.tolist()))

    # -- regions -----------------------------------------------------------------------------
    def _playlists(self) -> dict[str, list[Clip]]:
        """Clips per route id, from the playlist each track plays."""
        playlists = self.root.find("Playlists")
        if playlists is None:
            return {}
        by_key: dict[str, etree._Element] = {}
        for pl in playlists.iterchildren("Playlist"):
            for key in (pl.get("id"), pl.get("name")):
                if key:
                    by_key.setdefault(key, pl)
        streams = {d.get("id"): d.get("playlist") for d in self.root.iterfind("DiskStreams/*")}
        out: dict[str, list[Clip]] = {}
        for b in self.routes:
            if not b.track:
                continue
            diskstream = b.el.find("Diskstream")
            key = (
                b.el.get("audio-playlist")
                or b.el.get("midi-playlist")
                or (diskstream.get("playlist") if diskstream is not None else None)
                or streams.get(b.el.get("diskstream-id"))
            )
            playlist = by_key.get(key or "")
            if playlist is None:
                playlist = next(
                    (
                        pl
                        for pl in playlists.iterchildren("Playlist")
                        if pl.get("orig-track-id") == b.ident
                        or (b.el.get("diskstream-id") and pl.get("orig_diskstream_id") == b.el.get("diskstream-id"))
                    ),
                    None,
                )
            if playlist is not None:
                out[b.ident] = [c for c in (self._clip(r, b.name) for r in playlist.iterchildren("Region")) if c]
        return out

    def _clip(self, el: etree._Element, track: str) -> Clip | None:
        where = f"track {track!r} region {shown(el.get('name'))}"
        source = self.sources.get(el.get("source-0") or "")
        if not source:
            self.problems.append(f"{where}: names no source; ignored")
            return None
        position = self.clock.seconds(el.get("position"))
        length = self.clock.seconds(el.get("length"))
        if position is None or length is None:
            self.problems.append(f"{where}: unreadable position or length; ignored")
            return None
        gain = self._linear_db(el.get("scale-gain"), f"{where} gain")
        return Clip(
            file=source,
            position=position,
            duration=length,
            name=el.get("name") or "",
            gain_db=units.SILENCE_DB if gain is None else gain,
            fade_in=self._fade(el.find("FadeIn"), el.get("fade-in-active")),
            fade_out=self._fade(el.find("FadeOut"), el.get("fade-out-active")),
            play_start=self.clock.seconds(el.get("start")) or 0.0,
            enabled=not _yes(el.get("muted")),
        )

    def _fade(self, el: etree._Element | None, active: str | None) -> float:
        """A fade's length in seconds: the last point of its curve; Ardour's default of 64
        samples where the region keeps the default."""
        if el is None or (active is not None and not _yes(active)) or el.get("active") in ("no", "0"):
            return 0.0
        events = el.find("AutomationList/events")
        if events is not None and events.text:
            times = [self.clock.seconds(line.split()[0]) for line in events.text.splitlines() if line.split()]
            known = [t for t in times if t is not None]
            if known:
                return max(known)
        return DEFAULT_FADE_SAMPLES / self.clock.sample_rate if _yes(el.get("default")) else 0.0

    # -- freezing ----------------------------------------------------------------------------
    def _freeze(self, b: _RouteBuild, fed: set[str], clips: list[Clip]) -> Track:
        role: TrackRole
        if b.master:
            role = "master"
        elif b.track:
            role = "instrument" if b.midi else "audio"
        else:
            role = "return" if b.name in fed else "group"
        others = [t for t in b.outputs if t in self.by_name and not self.by_name[t].master]
        channel = b.channel
        if len(others) == 1:
            channel = Channel(channel.volume_db, channel.pan, channel.mute, channel.solo, output=others[0])
        return Track(
            name=b.name,
            role=role,
            content_types=("notes",) if b.midi else ("audio",),
            channel=channel,
            sends=canonical_sends(b.sends),
            devices=tuple(b.devices),
            automation=canonical_lanes(b.lanes),
            clips=canonical_clips(clips),
        )


def _mapping(plugin_id: str | None, name: str) -> str | None:
    """Which of Ardour's own plug-ins this is: "eq" (ACE EQ), "compressor" (ACE Compressor), or None."""
    if plugin_id == A_EQ or name in ("ACE EQ", "a-EQ"):
        return "eq"
    if plugin_id in A_COMP or name in ("ACE Compressor", "ACE Compressor (stereo)", "a-Compressor"):
        return "compressor"
    return None


def _symbol(mapping: str | None, port: _Port) -> str:
    """A port's LV2 symbol, from its name where the file writes only the name."""
    if port.symbol or mapping is None:
        return port.symbol
    names = _A_EQ_NAMES if mapping == "eq" else _A_COMP_NAMES
    return names.get(port.name, "")


def _port_term(mapping: str | None, symbol: str, port: _Port, index: int) -> tuple[str, ParamValue]:
    """The standard term and value of a port of ACE EQ / ACE Compressor, else `param.<name>`."""
    if mapping == "eq":
        if symbol == "master":
            return "eq.output_gain_db", port.value
        band = _A_EQ_BANDS.get(symbol)
        if band is not None:
            number, leaf = band
            term = f"eq.band{number}.{leaf}"
            if leaf == "enabled":
                return term, None if port.value is None else port.value > 0.5
            if leaf == "q":
                return term, None if port.value is None else _bandwidth_to_q(port.value)
            return term, port.value
    if mapping == "compressor" and symbol in _A_COMP_TERMS:
        return _A_COMP_TERMS[symbol], port.value
    return f"param.{port.name or port.symbol or f'#{index}'}", port.value


def _bandwidth_to_q(bandwidth: float) -> float:
    """a-eq.c's Q of a bell from its bandwidth in octaves: 2^(1/bw) / (2^bw - 1)."""
    if bandwidth <= 0.0:
        return math.inf if bandwidth == 0.0 else 0.0
    return float(2.0 ** (1.0 / bandwidth) / (2.0**bandwidth - 1.0))


def _state_hash(node: etree._Element | None) -> str | None:
    """sha256 of the opaque state the file holds for a plug-in: a VST chunk, a Lua script."""
    if node is None:
        return None
    for tag in ("chunk", "script"):
        el = node.find(tag)
        if el is not None and el.text and el.text.strip():
            return hashlib.sha256(el.text.strip().encode()).hexdigest()
    return None


def _order(el: etree._Element, info: etree._Element | None, index: int) -> int:
    """A route's place: PresentationInfo order (Ardour 5+), else its editor order key."""
    if info is not None and (info.get("order") or "").isdigit():
        return int(info.get("order") or 0)
    for key in (el.get("order-keys") or "").split(":"):
        label, _, value = key.partition("=")
        if label == "editor" and value.isdigit():
            return int(value)
    return index


def _port_route(port: str) -> str | None:
    """The route a port name belongs to when it is a route input: "Bus/audio_in 1" -> "Bus"."""
    match = _PORT_TARGET.match(port.removeprefix("ardour:"))
    return match.group(1) if match else None


def _v2_targets(outputs: str | None) -> list[str]:
    """Routes an Ardour 2 IO feeds, from `outputs="{Reverb/in 1,master/in 1}{...}"`."""
    names: list[str] = []
    for group in re.findall(r"\{([^}]*)\}", outputs or ""):
        for port in group.split(","):
            target = _port_route(port.strip())
            if target and target not in names:
                names.append(target)
    return names


def _yes(text: str | None) -> bool:
    return (text or "").strip().lower() in ("yes", "1", "true")
