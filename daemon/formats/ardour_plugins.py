"""Ardour plug-ins: a plug-in processor's (Ardour 2: an `<Insert>`'s) control ports into a Device,
and a port's automation into its lane's term. The mapping, with its sources (the Ardour/ardour
repository):

| Ardour | model |
|---|---|
| plug-in processors (`lv2`, `ladspa`, `luaproc`, `windows-vst`/`lxvst`/`mac-vst`, `vst3`, `audiounit`; Ardour 2: `<Insert>`) in chain order, and hardware inserts (`port`) | Device: name, `unique-id`, enabled from `active` (and an LV2 `enable` port), control ports as `param.<port name>` |
| ACE EQ (`urn:ardour:a-eq`, libs/plugins/a-eq.lv2) | `eq.band1..6`: band 1 low shelf (a 12 dB/oct high-pass when `shelftogl` is off), bands 2..5 bells, band 6 high shelf (or low-pass); bandwidth in octaves to Q as a-eq.c computes it, q = 2^(1/bw) / (2^bw - 1); `master` is `eq.output_gain_db` |
| ACE Compressor (`urn:ardour:a-comp`, `#stereo`; libs/plugins/a-comp.lv2) | `comp.attack_ms`, `release_ms`, `knee_db`, `ratio`, `threshold_db`, `makeup_db` |

Opaque plug-in state is hashed where the file holds it (a VST `<chunk>`, reduced to what can change
the sound by daemon.formats.plugin_state; a Lua `<script>`); LV2 state kept in the session's
plugins/ folder is not read. A device's uid is its processor's `id` (Ardour 2: its Redirect IO's
`id`). Where a device sits in its route's chain, whether it is active and how its automation lists
become lanes is the reader's to say (daemon.formats.ardour).
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass

from lxml import etree

from daemon.formats.plugin_state import canonical_chunk, sha256_of
from daemon.formats.values import finite_or_problem
from daemon.sessions.model import Device, DeviceKind, ParamValue, canonical_params, classify_plugin

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


@dataclass
class Port:
    """One control port of a plug-in: its name, LV2 symbol and value."""

    name: str
    symbol: str
    value: float | None


def processor_ports(
    proc: etree._Element, node: etree._Element | None, where: str, problems: list[str]
) -> dict[int, Port]:
    """A plug-in processor's ports by index (Ardour 3+): from the PluginInsert's controllables
    (name, value, `parameter` index) or, where none are written, from the plug-in's own node."""
    ports: dict[int, Port] = {}
    for c in proc.iterchildren("Controllable"):
        index = c.get("parameter")
        if index is not None and index.isdigit():
            value = finite_or_problem(c.get("value"), f"{where} port {c.get('name')!r}", problems)
            ports[int(index)] = Port(c.get("name") or "", c.get("symbol") or "", value)
    if not ports and node is not None:
        for number, port in enumerate(node.iterchildren("Port", "port")):
            index = port.get("number") or port.get("index")
            key = int(index) if index is not None and index.isdigit() else number
            value = finite_or_problem(port.get("value"), f"{where} port {port.get('symbol') or key}", problems)
            ports[key] = Port("", port.get("symbol") or "", value)
    return ports


def insert_ports(el: etree._Element, node: etree._Element | None, where: str, problems: list[str]) -> dict[int, Port]:
    """An Ardour 2 `<Insert>`'s ports by index: the plug-in node's `<port>` values and its
    `parameters` (`param_N`), named by the Insert's controllables."""
    names = {c.get("parameter"): c.get("name") or "" for c in el.iterfind("controls/controllable")}
    ports: dict[int, Port] = {}
    if node is None:
        return ports
    for port in node.iterchildren("port", "Port"):
        number = port.get("number") or ""
        if number.isdigit():
            value = finite_or_problem(port.get("value"), f"{where} port {number}", problems)
            ports[int(number)] = Port(names.get(number, ""), "", value)
    parameters = node.find("parameters")
    if parameters is not None:
        for key, text in parameters.attrib.items():
            if key.startswith("param_") and key[6:].isdigit():
                value = finite_or_problem(text, f"{where} {key}", problems)
                ports[int(key[6:])] = Port(names.get(key[6:], key), "", value)
    return ports


def build_device(
    name: str,
    kind: str,
    plugin_id: str | None,
    active: bool,
    ports: dict[int, Port],
    state: str | None,
    uid: str | None = None,
) -> Device:
    """A plug-in (or hardware insert, `kind` "port") as a Device: ACE EQ and ACE Compressor ports
    as standard terms (their `enable` port folded into `enabled`), other ports as `param.<name>`."""
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
        _eq_band_types(params, shelves["shelftogl"], shelves["shelftogh"])
    return Device(
        kind=device_kind,
        name=name,
        format=PLUGIN_FORMATS.get(kind, "builtin"),
        plugin_id=plugin_id,
        enabled=enabled,
        params=canonical_params(params),
        state_sha256=state,
        uid=uid,
    )


def _eq_band_types(params: dict[str, ParamValue], low_shelf: bool, high_shelf: bool) -> None:
    """ACE EQ's band types: shelves at the ends (a 12 dB/oct high-/low-pass without gain where a
    shelf toggle is off), bells between."""
    params["eq.band1.type"] = "lowshelf" if low_shelf else "highpass"
    params["eq.band6.type"] = "highshelf" if high_shelf else "lowpass"
    for band in range(2, 6):
        params[f"eq.band{band}.type"] = "bell"
    for band, on in ((1, low_shelf), (6, high_shelf)):
        if not on:
            params[f"eq.band{band}.slope_db_oct"] = 12.0
            params.pop(f"eq.band{band}.gain_db", None)


def port_lane(device: Device, ports: dict[int, Port], index: int) -> tuple[str, str] | None:
    """The term of the automation lane of a device's port `index` and the kind of its values
    ("q" for an ACE EQ bandwidth, else "plain"); None for an ACE switch that is no parameter."""
    mapping = _mapping(device.plugin_id, device.name)
    port = ports.get(index, Port("", "", None))
    symbol = _symbol(mapping, port)
    if mapping and symbol in ("enable", "shelftogl", "shelftogh"):
        return None
    term, _ = _port_term(mapping, symbol, port, index)
    kind = "q" if term.endswith(".q") and mapping == "eq" else "plain"
    return term, kind


def _mapping(plugin_id: str | None, name: str) -> str | None:
    """Which of Ardour's own plug-ins this is: "eq" (ACE EQ), "compressor" (ACE Compressor), or None."""
    if plugin_id == A_EQ or name in ("ACE EQ", "a-EQ"):
        return "eq"
    if plugin_id in A_COMP or name in ("ACE Compressor", "ACE Compressor (stereo)", "a-Compressor"):
        return "compressor"
    return None


def _symbol(mapping: str | None, port: Port) -> str:
    """A port's LV2 symbol, from its name where the file writes only the name."""
    if port.symbol or mapping is None:
        return port.symbol
    names = _A_EQ_NAMES if mapping == "eq" else _A_COMP_NAMES
    return names.get(port.name, "")


def _port_term(mapping: str | None, symbol: str, port: Port, index: int) -> tuple[str, ParamValue]:
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
                return term, None if port.value is None else bandwidth_to_q(port.value)
            return term, port.value
    if mapping == "compressor" and symbol in _A_COMP_TERMS:
        return _A_COMP_TERMS[symbol], port.value
    return f"param.{port.name or port.symbol or f'#{index}'}", port.value


def bandwidth_to_q(bandwidth: float) -> float:
    """a-eq.c's Q of a bell from its bandwidth in octaves: 2^(1/bw) / (2^bw - 1)."""
    if bandwidth <= 0.0:
        return math.inf if bandwidth == 0.0 else 0.0
    try:
        return float(2.0 ** (1.0 / bandwidth) / (2.0**bandwidth - 1.0))
    except (OverflowError, ZeroDivisionError):  # a bandwidth no EQ has: not finite, so a problem (sessions.checked)
        return math.inf


def state_hash(node: etree._Element | None, name: str) -> str | None:
    """sha256 of the opaque state the file holds for a plug-in: a VST chunk (base64, decoded and
    reduced by the rule daemon.formats.plugin_state has for the plug-in of that name; its text when
    it is not base64), a Lua script."""
    if node is None:
        return None
    chunk = node.find("chunk")
    if chunk is not None and chunk.text and chunk.text.strip():
        text = chunk.text.strip()
        try:
            data = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            return sha256_of(text.encode())
        return sha256_of(canonical_chunk(name, None, data) if data else text.encode())
    script = node.find("script")
    if script is not None and script.text and script.text.strip():
        return sha256_of(script.text.strip().encode())
    return None
