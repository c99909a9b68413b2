"""Ableton Live reader: a .als set (gzip-compressed XML, also its Backup/ copies) into a Session.

The file is inflated with hard caps checked while inflating (a gzip bomb stops at the cap, not
after), then parsed by the hardened `guard.parse_xml`. What is read, and how (element names as
Live 9-12 write them; facts checked against the sets in ../shared/corpus/histories/tioxy-alp-als
and public readers of the format):

| Live                                                   | model                                  |
|--------------------------------------------------------|----------------------------------------|
| `Tracks/AudioTrack`, `MidiTrack`, `GroupTrack`,        | roles audio, instrument, group, return,|
| `ReturnTrack`, `MasterTrack` (Live 12: `MainTrack`)    | master; `TrackGroupId` nests in groups |
| `Name/EffectiveName` (else `UserName`)                 | track name                             |
| `Mixer/Volume/Manual` (linear gain, 1 = 0 dB; the      | `volume_db`; the bottom of the range   |
| bottom of the range, 0.000316 = -70 dB, shows -inf)    | is silence (None)                      |
| `Mixer/Pan/Manual` (-1..+1), `Speaker` off, `SoloSink` | `pan`, `mute`, `solo`                  |
| `Mixer/Sends/TrackSendHolder[i]` (`Send` linear,       | `send.<i-th return>.level_db`, enabled |
| `Active`), in the order of the return tracks           |                                        |
| `AudioOutputRouting/Target` (`AudioOut/GroupTrack`,    | `Channel.output`                       |
| `AudioOut/Track.<id>`)                                 |                                        |
| `Mixer/Tempo`, `Mixer/TimeSignature` (enum: numerator  | `tempo_bpm`, `time_signature`          |
| - 1 + 99 * log2(denominator), so 201 is 4/4)           |                                        |
| devices in chain order; racks (`*GroupDevice`) are a   | Device; `On` is `enabled`              |
| device followed by their branches' devices, named      |                                        |
| "<rack>/<branch>/<device>"                             |                                        |
| `Eq8` `Bands.N/ParameterA` IsOn/Mode/Freq/Gain/Q;      | eq.band<N+1>.*; modes 0-7: highpass 48,|
| `GlobalGain`                                           | highpass 12, lowshelf, bell, notch,    |
|                                                        | highshelf, lowpass 12, lowpass 48      |
| `Compressor2` Threshold (linear), Ratio, Attack,       | comp.threshold_db, ratio, attack_ms,   |
| Release, Knee, Gain, GainCompensation                  | release_ms, knee_db, makeup_db,        |
|                                                        | auto_makeup                            |
| `GlueCompressor` Threshold, Makeup, Ratio/Attack/      | comp.*; the switch positions read as   |
| Release switch positions                               | 2/4/10:1, 0.01-30 ms, 0.1-1.2 s / auto |
| `Gate` Threshold, Attack, Release, Floor               | gate.threshold_db, attack_ms,          |
|                                                        | release_ms, range_db                   |
| `Limiter` Gain, Ceiling, Release                       | limiter.input_gain_db, ceiling_db,     |
|                                                        | release_ms                             |
| `Delay` Feedback, DryWet                               | delay.feedback, delay.mix              |
| `PluginDevice` with `VstPluginInfo`/`Vst3PluginInfo`/  | plugin (kind from its name), format,   |
| `AuPluginInfo`; `PluginFloatParameter` name/value;     | id; param.<name> raw; state_sha256 of  |
| preset buffers                                         | the buffers                            |
| any other parameter (an element holding `Manual`)      | param.<path under the device>, raw     |
| `AutomationEnvelopes` (`PointeeId` -> the parameter's  | AutomationLane (times in beats; the    |
| `AutomationTarget Id`; Float/Bool/EnumEvent)           | value-before-the-song event dropped)   |
| arrangement `AudioClip` (Time, CurrentStart/End,       | Clip (beats); the reference is data,   |
| `SampleRef/FileRef` RelativePath/Path, SampleVolume,   | never opened                           |
| `Fades`, `Disabled`)                                   |                                        |

A gain parameter is read as linear when its controller range is positive (Compressor's Threshold
runs 0.000316..1.995, i.e. -70..+6 dB) and as dB when it reaches below zero (Limiter's Gain
runs -24..24), so a set of another Live version that stores the other way still reads right.
"""

from __future__ import annotations

import hashlib
import math
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree

from daemon import units
from daemon.errors import ParseError
from daemon.formats.guard import LIMITS, parse_xml
from daemon.formats.values import finite_or_problem, shown
from daemon.model import (
    AutomationLane,
    Channel,
    Clip,
    Device,
    DeviceKind,
    ParamValue,
    Send,
    Session,
    Track,
    TrackRole,
    canonical_clips,
    canonical_lanes,
    canonical_params,
    canonical_sends,
    classify_plugin,
)

GZIP_MAGIC = b"\x1f\x8b"
MAX_INFLATED_BYTES = LIMITS.max_xml_bytes  # 256 MB of XML
MAX_RATIO = LIMITS.max_ratio  # Live's XML inflates ~15:1; past 100:1 it is a bomb
RATIO_GRACE_BYTES = 1024 * 1024
_CHUNK = 64 * 1024

# Live writes the value a parameter has before the song starts as an event at this time.
BEFORE_SONG = -63072000.0

TRACK_ROLES: dict[str, tuple[TrackRole, tuple[str, ...]]] = {
    "AudioTrack": ("audio", ("audio",)),
    "MidiTrack": ("instrument", ("notes",)),
    "GroupTrack": ("group", ("tracks",)),
    "ReturnTrack": ("return", ("audio",)),
}
MASTER_TAGS = ("MasterTrack", "MainTrack")
RACK_TAGS = ("AudioEffectGroupDevice", "InstrumentGroupDevice", "DrumGroupDevice", "MidiEffectGroupDevice")

DEVICE_NAMES: dict[str, str] = {
    "Eq8": "EQ Eight",
    "Compressor2": "Compressor",
    "GlueCompressor": "Glue Compressor",
    "Gate": "Gate",
    "Limiter": "Limiter",
    "StereoGain": "Utility",
    "AutoFilter": "Auto Filter",
    "Delay": "Delay",
    "AudioEffectGroupDevice": "Audio Effect Rack",
    "InstrumentGroupDevice": "Instrument Rack",
    "DrumGroupDevice": "Drum Rack",
    "MidiEffectGroupDevice": "MIDI Effect Rack",
    "OriginalSimpler": "Simpler",
    "FilterEQ3": "EQ Three",
    "Reverb": "Reverb",
    "Saturator": "Saturator",
    "Operator": "Operator",
    "MultiSampler": "Sampler",
}
DEVICE_KINDS: dict[str, DeviceKind] = {
    "Eq8": "eq",
    "Compressor2": "compressor",
    "GlueCompressor": "compressor",
    "Gate": "gate",
    "Limiter": "limiter",
}
INSTRUMENT_TAGS = ("InstrumentGroupDevice", "DrumGroupDevice", "OriginalSimpler", "MultiSampler", "Operator")

# Built-in devices: parameter element -> (standard term, how its value converts).
# "gain": linear or dB by its controller range; "db", "ms", "plain", "bool" as they are.
BUILTIN_PARAMS: dict[str, dict[str, tuple[str, str]]] = {
    "Eq8": {"GlobalGain": ("eq.output_gain_db", "db")},
    "Compressor2": {
        "Threshold": ("comp.threshold_db", "gain"),
        "Ratio": ("comp.ratio", "ratio"),
        "Attack": ("comp.attack_ms", "plain"),
        "Release": ("comp.release_ms", "plain"),
        "Knee": ("comp.knee_db", "db"),
        "Gain": ("comp.makeup_db", "db"),
        "GainCompensation": ("comp.auto_makeup", "bool"),
    },
    "GlueCompressor": {
        "Threshold": ("comp.threshold_db", "gain"),
        "Makeup": ("comp.makeup_db", "db"),
        "Ratio": ("comp.ratio", "glue_ratio"),
        "Attack": ("comp.attack_ms", "glue_attack"),
        "Release": ("comp.release_ms", "glue_release"),
    },
    "Gate": {
        "Threshold": ("gate.threshold_db", "gain"),
        "Attack": ("gate.attack_ms", "plain"),
        "Release": ("gate.release_ms", "plain"),
        "Floor": ("gate.range_db", "db"),
    },
    "Limiter": {
        "Gain": ("limiter.input_gain_db", "gain"),
        "Ceiling": ("limiter.ceiling_db", "gain"),
        "Release": ("limiter.release_ms", "plain"),
    },
    "Delay": {"Feedback": ("delay.feedback", "plain"), "DryWet": ("delay.mix", "plain")},
}
# Glue Compressor's stepped knobs: switch position -> value (ratio N:1, attack ms, release ms).
GLUE_STEPS: dict[str, tuple[float | None, ...]] = {
    "glue_ratio": (2.0, 4.0, 10.0),
    "glue_attack": (0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0),
    "glue_release": (100.0, 200.0, 400.0, 600.0, 800.0, 1200.0, None),  # the last is Auto
}

# EQ Eight band modes: (type, slope in dB/oct for the cuts).
EQ8_MODES: dict[int, tuple[str, float | None]] = {
    0: ("highpass", 48.0),
    1: ("highpass", 12.0),
    2: ("lowshelf", None),
    3: ("bell", None),
    4: ("notch", None),
    5: ("highshelf", None),
    6: ("lowpass", 12.0),
    7: ("lowpass", 48.0),
}
EQ8_BAND = {"IsOn": ("enabled", "bool"), "Freq": ("freq_hz", "plain"), "Gain": ("gain_db", "db"), "Q": ("q", "plain")}

PLUGIN_FORMATS = {"VstPluginInfo": "vst2", "Vst3PluginInfo": "vst3", "AuPluginInfo": "au"}
_PRESET_BUFFERS = ("Buffer", "ProcessorState", "ControllerState")
# Device children that hold no parameters, or that the reader walks on its own.
_NOT_PARAMS = frozenset(
    {"On", "Branches", "ReturnBranches", "PluginDesc", "ParameterList", "LastPresetRef", "SourceContext", "SideChain"}
)
_CREATOR = re.compile(r"^Ableton Live\s*(.*)$")


def read_ableton(path: str | Path, name: str | None = None) -> Session:
    """Read an Ableton Live set (.als, gzip-compressed XML). Raises ParseError naming the file."""
    path = Path(path)
    data = inflate(path)
    root = parse_xml(data, path)
    if not isinstance(root.tag, str) or root.tag != "Ableton" or root.find("LiveSet") is None:
        tag = root.tag if isinstance(root.tag, str) else "?"
        raise ParseError(path, f"not an Ableton Live set: the root element is <{tag}>, not <Ableton> with a <LiveSet>")
    return _Reader(path, root, name if name is not None else path.stem).session()


def inflate(path: Path) -> bytes:
    """The XML inside a gzip file, inflated chunk by chunk with the size and ratio caps checked
    as it grows: a bomb is refused at the cap, never inflated whole."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise ParseError(path, f"cannot be opened ({exc.strerror or exc})") from None
    with fh:
        if fh.read(2) != GZIP_MAGIC:
            raise ParseError(path, "not gzip-compressed (an Ableton Live set is gzip-compressed XML)")
        fh.seek(0)
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        parts: list[bytes] = []
        total = consumed = 0
        try:
            while not inflater.eof:
                chunk = inflater.unconsumed_tail or fh.read(_CHUNK)
                if not chunk:
                    raise ParseError(path, "truncated gzip data (the file ends before the compressed stream does)")
                if not inflater.unconsumed_tail:
                    consumed += len(chunk)
                out = inflater.decompress(chunk, MAX_INFLATED_BYTES + 1 - total)
                total += len(out)
                parts.append(out)
                if total > MAX_INFLATED_BYTES:
                    raise ParseError(path, f"inflates past the {MAX_INFLATED_BYTES:,} byte cap (possible gzip bomb)")
                if total > RATIO_GRACE_BYTES and total > MAX_RATIO * consumed:
                    raise ParseError(
                        path,
                        f"inflates over {MAX_RATIO:.0f}:1 ({total:,} bytes from {consumed:,}; possible gzip bomb)",
                    )
        except zlib.error as exc:
            raise ParseError(path, f"corrupt gzip data ({exc})") from None
        except OSError as exc:
            raise ParseError(path, f"cannot be read ({exc.strerror or exc})") from None
    return b"".join(parts)


@dataclass
class _Target:
    """What an AutomationTarget id names: a track's channel term or a device parameter."""

    track: int
    term: str
    device: str | None
    kind: str
    low: float | None


@dataclass
class _TrackBuild:
    el: etree._Element
    name: str
    role: TrackRole
    content_types: tuple[str, ...]
    channel: Channel = field(default_factory=Channel)
    sends: list[Send] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    lanes: list[AutomationLane] = field(default_factory=list)
    clips: list[Clip] = field(default_factory=list)
    children: list[int] = field(default_factory=list)


class _Reader:
    def __init__(self, path: Path, root: etree._Element, name: str) -> None:
        self.path = path
        self.root = root
        self.live_set: etree._Element = root.find("LiveSet")
        self.name = name
        self.problems: list[str] = []
        self.builds: list[_TrackBuild] = []
        self.by_id: dict[str, int] = {}
        self.targets: dict[str, _Target] = {}
        self.returns: list[str] = []
        self.tempo_id: str | None = None

    # -- entry -------------------------------------------------------------------------------
    def session(self) -> Session:
        live_set = self.live_set
        tracks_el = live_set.find("Tracks")
        elements = [el for el in (tracks_el if tracks_el is not None else ()) if el.tag in TRACK_ROLES]
        master = next((m for tag in MASTER_TAGS if (m := live_set.find(tag)) is not None), None)
        for el in elements:
            role, content = TRACK_ROLES[el.tag]
            self._add_build(el, self._track_name(el), role, content)
        self.returns = [b.name for b in self.builds if b.role == "return"]
        if master is not None:
            self._add_build(master, self._track_name(master, "Master"), "master", ("audio",))
        top = self._nest()
        for index, build in enumerate(self.builds):
            self._fill(index, build)
        tempo, signature = self._transport(master)
        tempo_points: tuple[tuple[float, float], ...] = ()
        for build in self.builds:
            tempo_points += self._automation(build.el)
        creator = self.root.get("Creator") or ""
        match = _CREATOR.match(creator)
        return Session(
            name=self.name,
            application="Ableton Live",
            application_version=match.group(1) if match else creator,
            tempo_bpm=tempo,
            time_signature=signature,
            time_unit="beats",
            tracks=tuple(self._freeze(i) for i in top),
            tempo_automation=tempo_points,
            problems=tuple(self.problems),
        )

    def _add_build(self, el: etree._Element, name: str, role: TrackRole, content: tuple[str, ...]) -> int:
        index = len(self.builds)
        self.builds.append(_TrackBuild(el=el, name=name, role=role, content_types=content))
        ident = el.get("Id")
        if ident is not None:
            self.by_id[ident] = index
        return index

    def _track_name(self, el: etree._Element, default: str = "(unnamed)") -> str:
        for tag in ("Name/EffectiveName", "Name/UserName"):
            value = _value(el.find(tag))
            if value:
                return value
        return default

    def _nest(self) -> list[int]:
        """Put each track in the group its TrackGroupId names; the others are at the top."""
        top = []
        for index, build in enumerate(self.builds):
            group = _value(build.el.find("TrackGroupId"))
            if build.role == "master" or group in (None, "-1"):
                top.append(index)
                continue
            parent = self.by_id.get(group or "")
            if parent is None or self.builds[parent].role != "group" or parent == index:
                self.problems.append(f"track {build.name!r}: its group {group!r} is no group track; read at the top")
                top.append(index)
            else:
                self.builds[parent].children.append(index)
        return top

    # -- values ------------------------------------------------------------------------------
    def _number(self, text: str | None, where: str) -> float | None:
        return finite_or_problem(text, where, self.problems)

    def _manual(self, el: etree._Element | None) -> str | None:
        if el is None:
            return None
        manual = el.find("Manual")
        return manual.get("Value") if manual is not None else None

    def _converted(self, el: etree._Element, kind: str, where: str) -> ParamValue:
        """A parameter element's Manual value in the standard unit of `kind`."""
        raw = self._manual(el)
        if raw is None:
            return None
        if kind == "bool":
            return raw.strip().lower() == "true"
        value = self._number(raw, where)
        if value is None:
            return None
        if kind == "gain":
            low = _range_low(el)
            if low is None or low >= 0.0:
                return units.linear_to_db(value)
            return value
        if kind == "fader":
            low = _range_low(el)
            if low is not None and low > 0.0 and value <= low * (1.0 + 1e-6):
                return None
            return units.linear_to_db(value)
        if kind == "ratio":
            return units.to_ratio(value, "linear")
        if kind in GLUE_STEPS:
            steps = GLUE_STEPS[kind]
            step = int(value)
            if step != value or not 0 <= step < len(steps):
                self.problems.append(f"{where}: switch position {shown(raw)} is out of range; ignored")
                return None
            return steps[step]
        return value

    def _target(self, el: etree._Element, index: int, term: str, device: str | None, kind: str) -> None:
        at = el.find("AutomationTarget")
        ident = at.get("Id") if at is not None else None
        if ident:
            self.targets[ident] = _Target(index, term, device, kind, _range_low(el))

    # -- tracks ------------------------------------------------------------------------------
    def _fill(self, index: int, build: _TrackBuild) -> None:
        chain = build.el.find("DeviceChain")
        if chain is None:
            self.problems.append(f"track {build.name!r}: no DeviceChain; read as an empty track")
            return
        mixer = chain.find("Mixer")
        if mixer is not None:
            build.channel = self._channel(index, mixer, chain)
            build.sends = self._sends(index, mixer)
        devices_el = chain.find("DeviceChain/Devices")
        if devices_el is not None:
            self._devices(index, devices_el, (), build.devices)
        events = chain.find("MainSequencer/Sample/ArrangerAutomation/Events")
        if events is not None:
            for clip_el in events.iterchildren("AudioClip"):
                clip = self._clip(clip_el, build.name)
                if clip is not None:
                    build.clips.append(clip)

    def _channel(self, index: int, mixer: etree._Element, chain: etree._Element) -> Channel:
        where = f"track {self.builds[index].name!r}"
        volume: float | None = 0.0
        vol_el = mixer.find("Volume")
        if vol_el is not None:
            value = self._converted(vol_el, "fader", f"{where} volume")
            volume = value if isinstance(value, float) or value is None else 0.0
            self._target(vol_el, index, "volume_db", None, "fader")
        pan = 0.0
        pan_el = mixer.find("Pan")
        if pan_el is not None:
            value = self._converted(pan_el, "plain", f"{where} pan")
            pan = max(-1.0, min(1.0, value)) if isinstance(value, float) else 0.0
            self._target(pan_el, index, "pan", None, "plain")
        speaker = mixer.find("Speaker")
        mute = False
        if speaker is not None:
            mute = self._converted(speaker, "bool", f"{where} speaker") is False
            self._target(speaker, index, "mute", None, "mute")
        return Channel(
            volume_db=volume,
            pan=pan,
            mute=mute,
            solo=(_value(mixer.find("SoloSink")) or "").lower() == "true",
            output=self._output(index, chain),
        )

    def _output(self, index: int, chain: etree._Element) -> str | None:
        target = _value(chain.find("AudioOutputRouting/Target")) or ""
        if target == "AudioOut/GroupTrack":
            for parent, build in enumerate(self.builds):
                if index in build.children:
                    return self.builds[parent].name
            return None
        match = re.match(r"^AudioOut/Track\.(-?\d+)", target)
        if match:
            other = self.by_id.get(match.group(1))
            if other is None:
                self.problems.append(f"track {self.builds[index].name!r} output: {target!r} is no track; ignored")
                return None
            return self.builds[other].name
        return None

    def _sends(self, index: int, mixer: etree._Element) -> list[Send]:
        holders = mixer.find("Sends")
        if holders is None:
            return []
        where = f"track {self.builds[index].name!r}"
        sends = []
        for number, holder in enumerate(holders.iterchildren("TrackSendHolder")):
            if number >= len(self.returns):
                self.problems.append(f"{where}: send {number + 1} has no return track; ignored")
                continue
            target = self.returns[number]
            send_el = holder.find("Send")
            level: float | None = None
            if send_el is not None:
                value = self._converted(send_el, "fader", f"{where} send to {target!r}")
                level = value if isinstance(value, float) else None
                self._target(send_el, index, f"send.{target}.level_db", None, "fader")
            active = (_value(holder.find("Active")) or "true").lower() == "true"
            sends.append(Send(target=target, level_db=level, enabled=active))
        return sends

    # -- devices -----------------------------------------------------------------------------
    def _devices(self, index: int, devices_el: etree._Element, path: tuple[str, ...], out: list[Device]) -> None:
        """Every device of a chain in order; a rack is followed by the devices of its chains,
        named by the rack, the chain (where the rack has several) and the device."""
        for el in devices_el:
            if not isinstance(el.tag, str):
                continue
            own = (*path, self._device_name(el))
            name = "/".join(_collapse(own))
            unique, count = name, 1
            while any(d.name == unique for d in out):
                count += 1
                unique = f"{name} #{count}"
            out.append(self._device(index, el, unique))
            if el.tag not in RACK_TAGS:
                continue
            branches = [b for b in el.iterfind("Branches/*")] + [b for b in el.iterfind("ReturnBranches/*")]
            for branch in branches:
                inner = branch.find("DeviceChain/*/Devices")
                if inner is not None:
                    chain = (self._track_name(branch, branch.tag),) if len(branches) > 1 else ()
                    self._devices(index, inner, (*own, *chain), out)

    def _device_name(self, el: etree._Element) -> str:
        user = _value(el.find("UserName"))
        if user:
            return user
        if el.tag.startswith("MxDevice"):  # Max for Live: the patch's file name
            patch = _value(el.find("PatchSlot/Value/MxDPatchRef/FileRef/RelativePath")) or _value(
                el.find("PatchSlot/Value/MxDPatchRef/FileRef/Path")
            )
            if patch:
                return PurePosixPath(patch.replace("\\", "/")).stem
        if el.tag == "PluginDevice":
            info = _plugin_info(el)
            if info is not None:
                plug = _value(info.find("PlugName")) or _value(info.find("Name"))
                if plug:
                    return plug
        return DEVICE_NAMES.get(el.tag, el.tag)

    def _device(self, index: int, el: etree._Element, name: str) -> Device:
        where = f"track {self.builds[index].name!r}, device {name!r}"
        params: dict[str, ParamValue] = {}
        kind: DeviceKind = DEVICE_KINDS.get(el.tag, "other")
        fmt, plugin_id, state = "builtin", None, None
        mapped = BUILTIN_PARAMS.get(el.tag, {})
        for child in el:
            if not isinstance(child.tag, str) or child.tag in _NOT_PARAMS:
                continue
            if el.tag == "Eq8" and child.tag.startswith("Bands."):
                self._eq8_band(index, el, child, name, where, params)
            elif child.tag in mapped:
                term, value_kind = mapped[child.tag]
                params[term] = self._converted(child, value_kind, f"{where} {term}")
                self._target(child, index, term, name, value_kind)
            else:
                self._raw_params(index, child, child.tag, name, where, params)
        if el.tag == "PluginDevice":
            kind, fmt, plugin_id, state = self._plugin(index, el, name, where, params)
        on = el.find("On")
        enabled = True
        if on is not None:
            enabled = self._converted(on, "bool", f"{where} on") is not False
            self._target(on, index, "enabled", name, "bool")
        role = "instrument" if el.tag in INSTRUMENT_TAGS or (fmt != "builtin" and _is_instrument(el)) else "audioFX"
        return Device(
            kind=kind,
            name=name,
            format=fmt,
            plugin_id=plugin_id,
            role=role,
            enabled=enabled,
            params=canonical_params(params),
            state_sha256=state,
        )

    def _eq8_band(
        self,
        index: int,
        device: etree._Element,
        band: etree._Element,
        name: str,
        where: str,
        params: dict[str, ParamValue],
    ) -> None:
        number = int(band.tag.split(".", 1)[1]) + 1 if band.tag.split(".", 1)[1].isdigit() else None
        if number is None:
            self.problems.append(f"{where}: band element <{band.tag}> has no number; ignored")
            return
        prefix = f"eq.band{number}"
        side_a = band.find("ParameterA")
        if side_a is not None:
            mode_el = side_a.find("Mode")
            if mode_el is not None:
                raw = self._manual(mode_el)
                mode = self._number(raw, f"{where} {prefix}.type")
                band_type, slope = EQ8_MODES.get(int(mode) if mode is not None else -1, ("bell", None))
                if mode is None or int(mode) not in EQ8_MODES:
                    self.problems.append(f"{where} {prefix}: unknown mode {shown(raw)}; read as bell")
                params[f"{prefix}.type"] = band_type
                if slope is not None:
                    params[f"{prefix}.slope_db_oct"] = slope
                self._target(mode_el, index, f"{prefix}.type", name, "plain")
            for tag, (leaf, value_kind) in EQ8_BAND.items():
                child = side_a.find(tag)
                if child is not None:
                    term = f"{prefix}.{leaf}"
                    params[term] = self._converted(child, value_kind, f"{where} {term}")
                    self._target(child, index, term, name, value_kind)
        # The B side works only in L/R or M/S mode (Eq8 Mode 1 or 2): kept raw then.
        side_b = band.find("ParameterB")
        if side_b is not None and (_value(device.find("Mode")) or "0") != "0":
            self._raw_params(index, side_b, f"{band.tag}/ParameterB", name, where, params)

    def _raw_params(
        self, index: int, el: etree._Element, path: str, device: str, where: str, params: dict[str, ParamValue]
    ) -> None:
        """An element holding a Manual value is a parameter, kept as param.<path>; others are
        walked for the parameters they hold."""
        manual = el.find("Manual")
        if manual is not None:
            raw = manual.get("Value")
            term = f"param.{path}"
            value: ParamValue
            if raw in ("true", "false"):
                value = raw == "true"
            else:
                try:
                    value = units.finite(raw)
                except ValueError:
                    value = None if _non_finite(raw) else raw  # Live keeps a few text settings
                    if value is None:
                        self.problems.append(f"{where} {term}: value {shown(raw)} is not a finite number; ignored")
            params[term] = value
            self._target(el, index, term, device, "bool" if isinstance(value, bool) else "plain")
            return
        for child in el:
            if isinstance(child.tag, str) and len(child):
                self._raw_params(index, child, f"{path}/{child.tag}", device, where, params)

    def _plugin(
        self, index: int, el: etree._Element, name: str, where: str, params: dict[str, ParamValue]
    ) -> tuple[DeviceKind, str, str | None, str | None]:
        info = _plugin_info(el)
        if info is None:
            self.problems.append(f"{where}: a plug-in device with no plug-in description")
            return "plugin", "builtin", None, None
        fmt = PLUGIN_FORMATS[info.tag]
        plugin_id = _plugin_id(info)
        digest = hashlib.sha256()
        found = False
        for buffer in info.iter(*_PRESET_BUFFERS):
            text = "".join((buffer.text or "").split())
            if text:
                digest.update(buffer.tag.encode() + b"\0" + text.encode() + b"\0")
                found = True
        plist = el.find("ParameterList")
        for p in plist if plist is not None else ():
            if not isinstance(p.tag, str):
                continue
            raw_name = _value(p.find("ParameterName")) or ""
            ident = _value(p.find("ParameterId")) or "-1"
            if not raw_name and ident == "-1":
                continue  # an unassigned slot of Live's "Configure" list
            term = f"param.{raw_name or '#' + ident}"
            if term in params:
                term = f"{term}#{ident}"
            value_el = p.find("ParameterValue")
            if value_el is None:
                continue
            params[term] = self._converted(value_el, "plain", f"{where} {term}")
            self._target(value_el, index, term, name, "plain")
        kind = classify_plugin(name.rsplit("/", 1)[-1])  # by its own name, not the racks it sits in
        return kind, fmt, plugin_id, digest.hexdigest() if found else None

    # -- transport and automation -----------------------------------------------------------
    def _transport(self, master: etree._Element | None) -> tuple[float | None, tuple[int, int] | None]:
        mixer = master.find("DeviceChain/Mixer") if master is not None else None
        if mixer is None:
            return None, None
        tempo = None
        tempo_el = mixer.find("Tempo")
        if tempo_el is not None:
            tempo = self._number(self._manual(tempo_el), "tempo")
            at = tempo_el.find("AutomationTarget")
            self.tempo_id = at.get("Id") if at is not None else None
        signature = None
        sig_el = mixer.find("TimeSignature")
        if sig_el is not None:
            code = self._number(self._manual(sig_el), "time signature")
            if code is not None:
                signature = _time_signature(int(code))
                if signature is None:
                    self.problems.append(f"time signature: code {code:g} is no time signature; ignored")
        return tempo, signature

    def _automation(self, track_el: etree._Element) -> tuple[tuple[float, float], ...]:
        """The track's envelopes as lanes; returns the tempo envelope's points (on the master)."""
        envelopes = track_el.find("AutomationEnvelopes/Envelopes")
        tempo: tuple[tuple[float, float], ...] = ()
        for env in envelopes if envelopes is not None else ():
            ref = _value(env.find("EnvelopeTarget/PointeeId"))
            events = env.find("Automation/Events")
            if ref is None or events is None:
                continue
            if ref == self.tempo_id:
                tempo = self._points(events, None, "tempo automation")
                continue
            target = self.targets.get(ref)
            if target is None:
                continue  # a parameter this reader does not keep (time signature, crossfader, ...)
            where = f"track {self.builds[target.track].name!r} automation of {target.term}"
            points = self._points(events, target, where)
            if not points:
                continue
            hold = any(e.tag in ("BoolEvent", "EnumEvent") for e in events)
            lane = AutomationLane(
                target=target.term,
                device=target.device,
                points=points,
                interpolation="hold" if hold else "linear",
            )
            self.builds[target.track].lanes.append(lane)
        return tempo

    def _points(self, events: etree._Element, target: _Target | None, where: str) -> tuple[tuple[float, float], ...]:
        points: list[tuple[float, float]] = []
        bad = 0
        for event in events:
            if not isinstance(event.tag, str):
                continue
            raw = event.get("Value")
            try:
                time = units.finite(event.get("Time"))
                if event.tag == "BoolEvent":
                    value: float | None = 1.0 if (raw or "").lower() == "true" else 0.0
                else:
                    value = units.finite(raw)
            except ValueError:
                bad += 1
                continue
            if time is None or value is None:
                bad += 1
                continue
            if time <= BEFORE_SONG:
                continue
            points.append((time, self._point_value(target, value)))
        if bad:
            self.problems.append(f"{where}: {bad} event(s) with a missing or non-finite time or value; ignored")
        return tuple(sorted(points))

    def _point_value(self, target: _Target | None, value: float) -> float:
        if target is None:
            return value
        if target.kind == "mute":
            return 0.0 if value else 1.0  # the Speaker switch is on when the track sounds
        if target.kind == "fader" or (target.kind == "gain" and (target.low is None or target.low >= 0.0)):
            db = units.linear_to_db(value)
            return units.SILENCE_DB if db is None else max(units.SILENCE_DB, db)
        if target.kind in GLUE_STEPS:
            steps = GLUE_STEPS[target.kind]
            step = int(value)
            chosen = steps[step] if 0 <= step < len(steps) else None
            return chosen if chosen is not None else value
        return value

    # -- clips -------------------------------------------------------------------------------
    def _clip(self, el: etree._Element, track: str) -> Clip | None:
        file_ref = el.find("SampleRef/FileRef")
        reference = _file_reference(file_ref) if file_ref is not None else None
        if not reference:
            self.problems.append(f"track {track!r}: an audio clip with no sample reference; ignored")
            return None
        where = f"track {track!r} clip {reference!r}"
        start = self._number(_value(el.find("CurrentStart")), where)
        end = self._number(_value(el.find("CurrentEnd")), where)
        if start is None:
            start = self._number(el.get("Time"), where) or 0.0
        duration = (end - start) if end is not None else 0.0
        gain = self._number(_value(el.find("SampleVolume")), f"{where} gain")
        gain_db = units.SILENCE_DB if gain is not None and gain <= 0.0 else units.linear_to_db(gain or 1.0)
        return Clip(
            file=reference,
            position=start,
            duration=duration,
            name=_value(el.find("Name")) or "",
            gain_db=gain_db if gain_db is not None else units.SILENCE_DB,
            fade_in=self._number(_value(el.find("Fades/FadeInLength")), f"{where} fade in") or 0.0,
            fade_out=self._number(_value(el.find("Fades/FadeOutLength")), f"{where} fade out") or 0.0,
            play_start=self._number(_value(el.find("Loop/LoopStart")), f"{where} start") or 0.0,
            enabled=(_value(el.find("Disabled")) or "false").lower() != "true",
        )

    # -- freezing ----------------------------------------------------------------------------
    def _freeze(self, index: int) -> Track:
        b = self.builds[index]
        return Track(
            name=b.name,
            role=b.role,
            content_types=b.content_types,
            channel=b.channel,
            sends=canonical_sends(b.sends),
            devices=tuple(b.devices),
            automation=canonical_lanes(b.lanes),
            clips=canonical_clips(b.clips),
            children=tuple(self._freeze(i) for i in b.children),
        )


def _collapse(segments: tuple[str, ...]) -> list[str]:
    """A device's path without repeats: a Drum Rack pad and its Simpler share their name."""
    out: list[str] = []
    for segment in segments:
        if not out or out[-1] != segment:
            out.append(segment)
    return out


def _value(el: etree._Element | None) -> str | None:
    return el.get("Value") if el is not None else None


def _range_low(el: etree._Element) -> float | None:
    low = el.find("MidiControllerRange/Min")
    try:
        return units.finite(low.get("Value")) if low is not None else None
    except ValueError:
        return None


def _plugin_info(el: etree._Element) -> etree._Element | None:
    desc = el.find("PluginDesc")
    if desc is None:
        return None
    return next((child for child in desc if child.tag in PLUGIN_FORMATS), None)


def _plugin_id(info: etree._Element) -> str | None:
    """VST2: the unique id; VST3: the class id from its four signed 32-bit fields, in hex; AU:
    type/subtype/manufacturer."""
    if info.tag == "VstPluginInfo":
        return _value(info.find("UniqueId"))
    if info.tag == "Vst3PluginInfo":
        fields = [_value(info.find(f"Uid/Fields.{i}")) for i in range(4)]
        try:
            return "".join(f"{int(f or '') & 0xFFFFFFFF:08X}" for f in fields)
        except ValueError:
            return None
    parts = [_value(info.find(tag)) for tag in ("ComponentType", "ComponentSubType", "ComponentManufacturer")]
    return "/".join(p for p in parts if p) or None


def _is_instrument(el: etree._Element) -> bool:
    """A VST3 plug-in whose DeviceType says instrument (1; audio effects are 2)."""
    info = _plugin_info(el)
    return info is not None and _value(info.find("DeviceType")) == "1"


def _file_reference(file_ref: etree._Element) -> str | None:
    """The sample a clip plays, as written: RelativePath as a Value (Live 11+) or as Dir
    elements with a Name (Live 9-10); else the absolute Path."""
    rel = file_ref.find("RelativePath")
    if rel is not None:
        if rel.get("Value"):
            return rel.get("Value")
        dirs = [d.get("Dir") or "" for d in rel.iterchildren("RelativePathElement")]
        file_name = _value(file_ref.find("Name"))
        if file_name:
            return "/".join([*dirs, file_name])
    return _value(file_ref.find("Path")) or _value(file_ref.find("Name"))


def _time_signature(code: int) -> tuple[int, int] | None:
    """Live's time-signature enum: numerator - 1 + 99 * log2(denominator)."""
    if code < 0:
        return None
    power, numerator = divmod(code, 99)
    return (numerator + 1, 2**power) if power <= 5 else None


def _non_finite(text: str | None) -> bool:
    """True for a number that is NaN or infinite ("nan", "inf"), False for any other text."""
    try:
        return text is not None and not math.isfinite(float(text))
    except ValueError:
        return False
