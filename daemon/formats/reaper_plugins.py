"""REAPER plug-ins: an FX chain's plug-in blocks into Devices, its PARMENVs into automation terms.

An <FXCHAIN> (<MASTERFXLIST> for the master) holds, per plug-in, a `BYPASS bypass offline` line,
then the plug-in block, then optionally <JS_SER> (a JS effect's state) and PARMENV envelopes.
The plug-in block is <VST (VST2; "VST3:" in its name is VST3; "VSTi:" an instrument), <AU, <CLAP,
<JS, <LV2 or <DX -> a Device: name (the user's alias where set), vendor from "(Vendor)", format
vst2/vst3/au/clap (JS is REAPER's own: builtin), plugin_id the VST2 unique id (without the
"<hex>" REAPER 6+ appends to it) or the VST3 class id, kind from the name (classify_plugin),
state_sha256
= sha256 of the decoded base64 state reduced to what can change the sound (plugin_state: REAPER's
preset-name trailer and each known plug-in's editor, name and version fields dropped; none for a
ReaEQ whose bands are read, the params carry them; JS: of <JS_SER> only), uid = the `FXID {GUID}`
line REAPER writes after the block, enabled = not bypassed, not offline, and the chain not bypassed
(`FX 0` on the track, the reader's to pass). JS slider values are kept as param.slider<N>, each
with the name the effect's source gives it where this machine has the source (daemon.formats.jsfx:
Device.param_names, for people only).
ReaEQ's state is documented by third-party converters (REW-to-ReaEQ presets: int32 version,
int32 band count, per band int32 type, int32 enabled, f64 Hz, f64 linear gain, f64 bandwidth in
octaves, u8) and is mapped to eq.band<N>.* (bandwidth -> Q) and eq.output_gain_db. ReaComp's
state is its VST parameters as normalized floats whose curves Cockos does not document: it is
hashed, not read; its threshold envelope (a linear amplitude) maps to comp.threshold_db.
A PARMENV after a plug-in is a lane of that device named by the parameter's name (raw values); a
JS effect's unnamed parameter N is its Nth slider. The reader turns its points into the lane.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from collections.abc import Callable
from dataclasses import replace

from daemon.formats.jsfx import slider_names
from daemon.formats.plugin_state import (
    REAEQ_BAND_SIZE,
    js_state,
    reaeq_band_count,
    reaper_vst_canonical,
    sha256_of,
    split_reaper_vst,
)
from daemon.formats.rpp import Node, tokens
from daemon.formats.values import shown
from daemon.sessions import units
from daemon.sessions.model import Device, DeviceKind, ParamValue, canonical_params, classify_plugin

_PLUGIN_TAGS = ("VST", "AU", "CLAP", "JS", "LV2", "DX")
_VENDOR = re.compile(r"^(?P<name>.*\S)\s*\((?P<vendor>[^()]*)\)$")
_CHANNELS = re.compile(r"\s*\(\d+\s*(?:out|ch)\)$|\s*\(mono\)$", re.IGNORECASE)
_PREFIX = re.compile(r"^(?P<kind>VST3i|VST3|VSTi|VST|AUi|AU|CLAPi|CLAP|LV2i|LV2|DXi|DX|JS):\s*")
_FORMATS = {"VST": "vst2", "VST3": "vst3", "AU": "au", "CLAP": "clap", "LV2": "lv2", "DX": "dx", "JS": "builtin"}

# ReaEQ band types as its state stores them (see the module docstring).
_REAEQ_TYPES = {0: "lowshelf", 1: "highshelf", 2: "bell", 3: "lowpass", 4: "highpass", 6: "notch", 7: "bandpass"}
_REAEQ_TYPES.update({8: "bell", 9: "bell"})
_COCKOS_KINDS: dict[str, DeviceKind] = {
    "ReaComp": "compressor",
    "ReaXcomp": "compressor",
    "ReaGate": "gate",
    "ReaLimit": "limiter",
    "ReaEQ": "eq",
}
MAX_BANDWIDTH_OCT = 64.0  # far past any EQ (ReaEQ stops at 4 octaves): 2**bw stays a number
_JS_SLIDERS = 64

# add_lane(envelope block, term, device name, kind of value): the reader's, to build a lane.
AddLane = Callable[[Node, str, str | None, str], None]


# -- names and kinds -------------------------------------------------------------------------------
def _split_vendor(el: Node) -> tuple[str, str | None]:
    """A plug-in block's (name, vendor): "VST: ReaEQ (Cockos)" -> ("ReaEQ", "Cockos"); an AU's
    "AU: Vendor: Name" -> ("Name", "Vendor"); a JS effect's path, no vendor."""
    full = el.args[0] if el.args else el.tag
    if el.tag == "JS":
        return full, None
    prefix = _PREFIX.match(full)
    bare = _CHANNELS.sub("", full[prefix.end() :] if prefix else full)
    match = _VENDOR.match(bare)
    if match:
        return match.group("name"), match.group("vendor")
    if el.tag == "AU" and ":" in bare:
        vendor, name = bare.split(":", 1)
        return name.strip(), vendor.strip()
    return bare, None


def _plugin_name(el: Node) -> str:
    """A plug-in block's name without its format prefix, vendor and channel suffix."""
    return _split_vendor(el)[0]


def plugin_names(track: Node) -> list[str]:
    """The full names (format prefix included) of the plug-ins in a track's <FXCHAIN>s."""
    return [
        p.args[0] for chain in track.children("FXCHAIN") for p in chain.children() if p.tag in _PLUGIN_TAGS and p.args
    ]


def _kind(plugin: str, name: str) -> DeviceKind:
    """What a plug-in does: REAPER's own by name, others by the words of their name or alias."""
    if plugin in _COCKOS_KINDS:
        return _COCKOS_KINDS[plugin]
    kind = classify_plugin(plugin)
    return kind if kind != "plugin" else classify_plugin(name)


# -- devices ---------------------------------------------------------------------------------------
def read_fx_chain(chain: Node, chain_on: bool, where: str, problems: list[str], add_lane: AddLane) -> list[Device]:
    """The Devices of an FX chain in order; each PARMENV goes to add_lane as it is met, so problems
    keep file order. `where` names the track in problems; chain_on is False for a bypassed chain."""
    devices: list[Device] = []
    bypass: list[str] = []
    plugin = ""
    current = False  # whether the last plug-in block is the one the lines now read belong to
    for item in chain.items:
        if isinstance(item, str):
            if item.startswith("BYPASS"):
                bypass, current = tokens(item)[1:], False
            elif current and item.startswith("FXID "):
                devices[-1] = replace(devices[-1], uid=_fx_id(item))
            continue
        if item.tag in _PLUGIN_TAGS:
            enabled = chain_on and not any(flag not in ("0", "") for flag in bypass[:2])
            devices.append(_read_device(item, enabled, where, problems))
            plugin = _plugin_name(item)
            bypass, current = [], True
        elif devices and item.tag == "JS_SER":
            device_where = f"{where}, device {devices[-1].name!r}"
            devices[-1] = replace(devices[-1], state_sha256=_state_sha256(item, device_where, problems))
        elif devices and item.tag == "PARMENV":
            term, kind = _param_lane_target(item, devices[-1], plugin)
            add_lane(item, term, devices[-1].name, kind)
    return devices


def _read_device(el: Node, enabled: bool, where: str, problems: list[str]) -> Device:
    """The Device of a plug-in block; `where` names its track in problems."""
    if el.tag == "JS":
        return _js_device(el, enabled, where, problems)
    full = el.args[0] if el.args else el.tag
    prefix = _PREFIX.match(full)
    kind_word = prefix.group("kind") if prefix else el.tag
    plugin, vendor = _split_vendor(el)
    alias_index = {"VST": 3, "AU": 2, "CLAP": 2, "LV2": 2, "DX": 2}.get(el.tag, 2)
    alias = el.args[alias_index] if len(el.args) > alias_index else ""
    name = alias or plugin
    ident = el.args[4] if el.tag == "VST" and len(el.args) > 4 else (el.args[1] if len(el.args) > 1 else None)
    fmt = _FORMATS.get(kind_word[:-1] if kind_word.endswith("i") else kind_word, "vst2")
    if fmt == "vst2" and ident:
        # REAPER 6 and later append "<16-byte id in hex>" to a VST2's unique id (1919247729 ->
        # 1919247729<5653...>): the same plug-in, one id.
        ident = ident.split("<", 1)[0]
    state = _decode_state(el)
    where = f"{where}, device {name!r}"
    if state is None:
        problems.append(f"{where}: plug-in state is not valid base64; hashed as text")
    params: dict[str, ParamValue] = {}
    if plugin == "ReaEQ" and state is not None:
        params = _reaeq_params(state, where, problems)
    return Device(
        kind=_kind(plugin, name),
        name=name,
        format=fmt,
        plugin_id=ident or None,
        vendor=vendor,
        role="instrument" if kind_word.endswith("i") else "audioFX",
        enabled=enabled,
        params=canonical_params(params),
        state_sha256=_vst_state_sha256(el, state, plugin, vendor, bool(params)),
    )


def _vst_state_sha256(el: Node, state: bytes | None, plugin: str, vendor: str | None, bands: bool) -> str | None:
    """A plug-in block's state hash: of its text when it is not base64; none for a ReaEQ whose bands
    were read (a change is in the params); else of the state reduced by daemon.formats.plugin_state."""
    if state is None:
        return sha256_of("\n".join(i for i in el.items if isinstance(i, str)).encode())
    if plugin == "ReaEQ" and bands:
        return None
    return sha256_of(reaper_vst_canonical(plugin, vendor, state))


def _fx_id(line: str) -> str | None:
    """The GUID of an `FXID {GUID}` line, braces kept as REAPER writes them."""
    parts = tokens(line)
    return parts[1] if len(parts) > 1 and parts[1] else None


def _js_device(el: Node, enabled: bool, where: str, problems: list[str]) -> Device:
    """A JS effect: its path (or alias) and slider values; its state is hashed from <JS_SER>."""
    path = el.args[0] if el.args else "(unnamed JS)"
    alias = el.args[1] if len(el.args) > 1 else ""
    name = alias or path
    lines = el.lines()
    sliders = _js_params(lines[0] if lines else [], f"{where}, device {name!r}", problems)
    names = slider_names(path)  # from the effect's source, where this machine has it
    shown = tuple((f"param.slider{n}", names[n]) for n in sorted(names) if f"param.slider{n}" in sliders)
    return Device(
        kind=_kind(path, name),
        name=name,
        format="builtin",
        plugin_id=path,
        vendor=None,
        enabled=enabled,
        params=canonical_params(sliders),
        param_names=shown,
    )


def _js_params(values: list[str], where: str, problems: list[str]) -> dict[str, ParamValue]:
    """JS slider values: one token per slider, "-" for a slider the effect does not have.
    The preset name closes the line (quoted, or bare in REAPER 5): the first token after
    the 64 sliders, or the last token, that is not a number."""
    params: dict[str, ParamValue] = {}
    for slot, text in enumerate(values, start=1):
        if text == "-":
            continue
        try:
            params[f"param.slider{slot}"] = units.finite(text)
        except ValueError:
            if slot > _JS_SLIDERS or slot == len(values):
                break
            problems.append(f"{where} slider{slot}: value {shown(text)} is not a finite number; ignored")
    return params


def _state_sha256(el: Node, where: str, problems: list[str]) -> str | None:
    """The sha256 of a JS effect's <JS_SER> (plugin_state.js_state); of its text, with a problem, if
    not base64."""
    state = _decode_state(el)
    if state is None:
        problems.append(f"{where}: state is not base64")
        state = "\n".join(i for i in el.items if isinstance(i, str)).encode()
    return sha256_of(js_state(state))


def _param_lane_target(el: Node, device: Device, plugin: str) -> tuple[str, str]:
    """A PARMENV's (term, kind of value): by the parameter's name, ReaComp's threshold in dB, a
    JS effect's unnamed parameter N as its Nth slider."""
    ident = el.args[0] if el.args else ""
    number, _, raw_name = ident.partition(":")
    display = el.args[4] if len(el.args) > 4 else ""
    label = display.split(" / ")[0] if display else raw_name.lstrip("_")
    if plugin == "ReaComp" and number == "0":  # Thresh, a linear amplitude (range 0..2)
        return "comp.threshold_db", "volume"
    if device.format == "builtin" and not label and number.isdigit():
        sliders = sorted(int(k.removeprefix("param.slider")) for k, _ in device.params)
        term = f"param.slider{sliders[int(number)]}" if int(number) < len(sliders) else f"param.{number}"
        return term, "plain"
    return f"param.{label or number}", "plain"


# -- state -----------------------------------------------------------------------------------------
def _decode_state(el: Node) -> bytes | None:
    """The base64 lines of a plug-in block, decoded and joined (each line is padded on its own)."""
    out = bytearray()
    for item in el.items:
        if isinstance(item, str):
            try:
                out += base64.b64decode(item, validate=True)
            except (binascii.Error, ValueError):
                return None
    return bytes(out)


def _reaeq_params(state: bytes, where: str, problems: list[str]) -> dict[str, ParamValue]:
    """ReaEQ's bands and output gain from its VST2 state (layout in the module docstring)."""
    params: dict[str, ParamValue] = {}
    parts = split_reaper_vst(state)
    if parts is None or len(parts.chunk) < 8:
        problems.append(f"{where}: ReaEQ state has no readable chunk; bands not read")
        return params
    chunk = parts.chunk
    count = reaeq_band_count(chunk)
    if count is None:
        claimed = struct.unpack_from("<i", chunk, 4)[0]
        problems.append(f"{where}: ReaEQ state claims {claimed} bands in {len(chunk)} bytes; bands not read")
        return params
    for number in range(1, count + 1):
        _reaeq_band(chunk, 8 + (number - 1) * REAEQ_BAND_SIZE, number, params, where, problems)
    tail = 8 + count * REAEQ_BAND_SIZE
    if len(chunk) >= tail + 16:
        output = struct.unpack_from("<d", chunk, tail + 8)[0]
        if math.isfinite(output):
            params["eq.output_gain_db"] = units.linear_to_db(output)
    return params


def _reaeq_band(
    chunk: bytes, offset: int, number: int, params: dict[str, ParamValue], where: str, problems: list[str]
) -> None:
    """One ReaEQ band at `offset` into params as eq.band<number>.*."""
    band_type, enabled = struct.unpack_from("<ii", chunk, offset)
    freq, gain, bandwidth = struct.unpack_from("<ddd", chunk, offset + 8)
    prefix = f"eq.band{number}"
    type_name = _REAEQ_TYPES.get(band_type)
    if type_name is None:
        params[f"param.band{number}.type"] = band_type
    else:
        params[f"{prefix}.type"] = type_name
    params[f"{prefix}.enabled"] = enabled != 0
    if not all(math.isfinite(v) for v in (freq, gain, bandwidth)):
        problems.append(f"{where} band {number}: a value is not a finite number; band values ignored")
        return
    params[f"{prefix}.freq_hz"] = freq
    if type_name not in ("lowpass", "highpass", "bandpass", "notch"):
        params[f"{prefix}.gain_db"] = units.linear_to_db(gain)
    if 0.0 < bandwidth < MAX_BANDWIDTH_OCT and (ratio := 2.0**bandwidth) > 1.0:
        params[f"{prefix}.q"] = math.sqrt(ratio) / (ratio - 1.0)
    elif bandwidth > 0.0:
        problems.append(f"{where} band {number}: a bandwidth of {bandwidth!r} octaves is no EQ's; Q ignored")
