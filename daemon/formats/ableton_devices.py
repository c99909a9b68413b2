"""Ableton Live devices and parameters: the device tables, plug-in identification, the reading of a
track's device chain, and the mapping of parameter values (a `Manual` setting or an automation
event) to standard terms and units. The reader of the set is `ableton.py`.

| Live                                                   | model                                  |
|--------------------------------------------------------|----------------------------------------|
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

A gain parameter is read as linear when its controller range is positive (Compressor's Threshold
runs 0.000316..1.995, i.e. -70..+6 dB) and as dB when it reaches below zero (Limiter's Gain
runs -24..24), so a set of another Live version that stores the other way still reads right.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from lxml import etree

from daemon.formats.values import finite_or_problem, shown
from daemon.sessions import units
from daemon.sessions.model import Device, DeviceKind, ParamValue, canonical_params, classify_plugin

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


@dataclass
class Target:
    """What an AutomationTarget id names: a track's channel term or a device parameter."""

    track: int
    term: str
    device: str | None
    kind: str
    low: float | None


class ParamReader:
    """Reads parameter elements in standard units, recording the problems it meets in `problems`
    and, in `targets`, the term each AutomationTarget id names."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        self.targets: dict[str, Target] = {}

    def number(self, text: str | None, where: str) -> float | None:
        return finite_or_problem(text, where, self.problems)

    def converted(self, el: etree._Element, kind: str, where: str) -> ParamValue:
        """A parameter element's Manual value in the standard unit of `kind`."""
        raw = manual(el)
        if raw is None:
            return None
        if kind == "bool":
            return raw.strip().lower() == "true"
        value = self.number(raw, where)
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

    def target(self, el: etree._Element, index: int, term: str, device: str | None, kind: str) -> None:
        at = el.find("AutomationTarget")
        ident = at.get("Id") if at is not None else None
        if ident:
            self.targets[ident] = Target(index, term, device, kind, _range_low(el))


def point_value(target: Target | None, value: float) -> float:
    """An automation event's value in the standard unit of the term its target names."""
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


def read_devices(values: ParamReader, index: int, track: str, devices_el: etree._Element) -> list[Device]:
    """The devices of track number `index` (named `track`), racks followed by their contents."""
    out: list[Device] = []
    _Chain(values, index, track).devices(devices_el, (), out)
    return out


class _Chain:
    """Reads the device chain of one track; its parameters' automation targets name the track."""

    def __init__(self, values: ParamReader, index: int, track: str) -> None:
        self.values = values
        self.problems = values.problems
        self.index = index
        self.track = track

    def devices(
        self, devices_el: etree._Element, path: tuple[str, ...], out: list[Device], ids: tuple[str, ...] = ()
    ) -> None:
        """Every device of a chain in order; a rack is followed by the devices of its chains,
        named by the rack, the chain (where the rack has several) and the device. A device's uid
        is the path of Ids down to it (Live keeps Ids in a chain across saves; a rack's chains
        count their own from 0)."""
        for el in devices_el:
            if not isinstance(el.tag, str):
                continue
            own_ids = (*ids, el.get("Id") or "?")
            own = (*path, _device_name(el))
            name = "/".join(_collapse(own))
            unique, count = name, 1
            while any(d.name == unique for d in out):
                count += 1
                unique = f"{name} #{count}"
            device = self._device(el, unique)
            out.append(replace(device, uid=None if "?" in own_ids else "/".join(own_ids)))
            if el.tag not in RACK_TAGS:
                continue
            branches = [b for b in el.iterfind("Branches/*")] + [b for b in el.iterfind("ReturnBranches/*")]
            for branch in branches:
                inner = branch.find("DeviceChain/*/Devices")
                if inner is not None:
                    chain = (track_name(branch, branch.tag),) if len(branches) > 1 else ()
                    self.devices(inner, (*own, *chain), out, (*own_ids, branch.get("Id") or "?"))

    def _device(self, el: etree._Element, name: str) -> Device:
        where = f"track {self.track!r}, device {name!r}"
        params: dict[str, ParamValue] = {}
        kind: DeviceKind = DEVICE_KINDS.get(el.tag, "other")
        fmt, plugin_id, state = "builtin", None, None
        mapped = BUILTIN_PARAMS.get(el.tag, {})
        for child in el:
            if not isinstance(child.tag, str) or child.tag in _NOT_PARAMS:
                continue
            if el.tag == "Eq8" and child.tag.startswith("Bands."):
                self._eq8_band(el, child, name, where, params)
            elif child.tag in mapped:
                term, value_kind = mapped[child.tag]
                params[term] = self.values.converted(child, value_kind, f"{where} {term}")
                self.values.target(child, self.index, term, name, value_kind)
            else:
                self._raw_params(child, child.tag, name, where, params)
        if el.tag == "PluginDevice":
            kind, fmt, plugin_id, state = self._plugin(el, name, where, params)
        on = el.find("On")
        enabled = True
        if on is not None:
            enabled = self.values.converted(on, "bool", f"{where} on") is not False
            self.values.target(on, self.index, "enabled", name, "bool")
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
                raw = manual(mode_el)
                mode = self.values.number(raw, f"{where} {prefix}.type")
                band_type, slope = EQ8_MODES.get(int(mode) if mode is not None else -1, ("bell", None))
                if mode is None or int(mode) not in EQ8_MODES:
                    self.problems.append(f"{where} {prefix}: unknown mode {shown(raw)}; read as bell")
                params[f"{prefix}.type"] = band_type
                if slope is not None:
                    params[f"{prefix}.slope_db_oct"] = slope
                self.values.target(mode_el, self.index, f"{prefix}.type", name, "plain")
            for tag, (leaf, value_kind) in EQ8_BAND.items():
                child = side_a.find(tag)
                if child is not None:
                    term = f"{prefix}.{leaf}"
                    params[term] = self.values.converted(child, value_kind, f"{where} {term}")
                    self.values.target(child, self.index, term, name, value_kind)
        # The B side works only in L/R or M/S mode (Eq8 Mode 1 or 2): kept raw then.
        side_b = band.find("ParameterB")
        if side_b is not None and (value_of(device.find("Mode")) or "0") != "0":
            self._raw_params(side_b, f"{band.tag}/ParameterB", name, where, params)

    def _raw_params(
        self, el: etree._Element, path: str, device: str, where: str, params: dict[str, ParamValue]
    ) -> None:
        """An element holding a Manual value is a parameter, kept as param.<path>; others are
        walked for the parameters they hold."""
        manual_el = el.find("Manual")
        if manual_el is not None:
            raw = manual_el.get("Value")
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
            self.values.target(el, self.index, term, device, "bool" if isinstance(value, bool) else "plain")
            return
        for child in el:
            if isinstance(child.tag, str) and len(child):
                self._raw_params(child, f"{path}/{child.tag}", device, where, params)

    def _plugin(
        self, el: etree._Element, name: str, where: str, params: dict[str, ParamValue]
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
            raw_name = value_of(p.find("ParameterName")) or ""
            ident = value_of(p.find("ParameterId")) or "-1"
            if not raw_name and ident == "-1":
                continue  # an unassigned slot of Live's "Configure" list
            term = f"param.{raw_name or '#' + ident}"
            if term in params:
                term = f"{term}#{ident}"
            value_el = p.find("ParameterValue")
            if value_el is None:
                continue
            params[term] = self.values.converted(value_el, "plain", f"{where} {term}")
            self.values.target(value_el, self.index, term, name, "plain")
        kind = classify_plugin(name.rsplit("/", 1)[-1])  # by its own name, not the racks it sits in
        return kind, fmt, plugin_id, digest.hexdigest() if found else None


def _device_name(el: etree._Element) -> str:
    user = value_of(el.find("UserName"))
    if user:
        return user
    if el.tag.startswith("MxDevice"):  # Max for Live: the patch's file name
        patch = value_of(el.find("PatchSlot/Value/MxDPatchRef/FileRef/RelativePath")) or value_of(
            el.find("PatchSlot/Value/MxDPatchRef/FileRef/Path")
        )
        if patch:
            return PurePosixPath(patch.replace("\\", "/")).stem
    if el.tag == "PluginDevice":
        info = _plugin_info(el)
        if info is not None:
            plug = value_of(info.find("PlugName")) or value_of(info.find("Name"))
            if plug:
                return plug
    return DEVICE_NAMES.get(el.tag, el.tag)


def track_name(el: etree._Element, default: str = "(unnamed)") -> str:
    """The name of a track or a rack's chain: the effective name, else the user's, else `default`."""
    for tag in ("Name/EffectiveName", "Name/UserName"):
        value = value_of(el.find(tag))
        if value:
            return value
    return default


def value_of(el: etree._Element | None) -> str | None:
    """The Value attribute of an element; None when there is no element."""
    return el.get("Value") if el is not None else None


def manual(el: etree._Element | None) -> str | None:
    """A parameter element's setting: the Value of its Manual child."""
    if el is None:
        return None
    manual_el = el.find("Manual")
    return manual_el.get("Value") if manual_el is not None else None


def _collapse(segments: tuple[str, ...]) -> list[str]:
    """A device's path without repeats: a Drum Rack pad and its Simpler share their name."""
    out: list[str] = []
    for segment in segments:
        if not out or out[-1] != segment:
            out.append(segment)
    return out


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
        return value_of(info.find("UniqueId"))
    if info.tag == "Vst3PluginInfo":
        fields = [value_of(info.find(f"Uid/Fields.{i}")) for i in range(4)]
        try:
            return "".join(f"{int(f or '') & 0xFFFFFFFF:08X}" for f in fields)
        except ValueError:
            return None
    parts = [value_of(info.find(tag)) for tag in ("ComponentType", "ComponentSubType", "ComponentManufacturer")]
    return "/".join(p for p in parts if p) or None


def _is_instrument(el: etree._Element) -> bool:
    """A VST3 plug-in whose DeviceType says instrument (1; audio effects are 2)."""
    info = _plugin_info(el)
    return info is not None and value_of(info.find("DeviceType")) == "1"


def _non_finite(text: str | None) -> bool:
    """True for a number that is NaN or infinite ("nan", "inf"), False for any other text."""
    try:
        return text is not None and not math.isfinite(float(text))
    except ValueError:
        return False
