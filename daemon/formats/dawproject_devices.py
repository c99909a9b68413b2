"""DAWproject devices: a channel's <Devices> into normalized Devices.

Built-in device elements (Equalizer with its bands, Compressor, NoiseGate, Limiter) are read into
standard terms in standard units; plug-in parameters keep their names (a name that is already a
standard term is converted by its unit). Every parameter id is registered as an automation target,
and a device's state file is hashed.
"""

from __future__ import annotations

import hashlib

from lxml import etree

from daemon.errors import ParseError
from daemon.formats.dawproject_context import ReadContext
from daemon.formats.values import shown
from daemon.sessions.model import STANDARD_TERM, Device, ParamValue, canonical_params, classify_plugin, unit_of

DEVICE_TAGS: dict[str, tuple[str, str]] = {
    "Equalizer": ("eq", "builtin"),
    "Compressor": ("compressor", "builtin"),
    "NoiseGate": ("gate", "builtin"),
    "Limiter": ("limiter", "builtin"),
    "BuiltinDevice": ("other", "builtin"),
    "Device": ("other", "builtin"),
    "Vst2Plugin": ("plugin", "vst2"),
    "Vst3Plugin": ("plugin", "vst3"),
    "ClapPlugin": ("plugin", "clap"),
    "AuPlugin": ("plugin", "au"),
}

BAND_TYPES: dict[str, str] = {
    "highPass": "highpass",
    "lowPass": "lowpass",
    "bandPass": "bandpass",
    "highShelf": "highshelf",
    "lowShelf": "lowshelf",
    "bell": "bell",
    "notch": "notch",
}

# Built-in device elements: child element -> (standard term, kind of value).
BUILTIN_PARAMS: dict[str, dict[str, tuple[str, str]]] = {
    "Equalizer": {"InputGain": ("eq.input_gain_db", "db"), "OutputGain": ("eq.output_gain_db", "db")},
    "Compressor": {
        "Attack": ("comp.attack_ms", "ms"),
        "AutoMakeup": ("comp.auto_makeup", "bool"),
        "InputGain": ("comp.input_gain_db", "db"),
        "OutputGain": ("comp.output_gain_db", "db"),
        "Ratio": ("comp.ratio", "ratio"),
        "Release": ("comp.release_ms", "ms"),
        "Threshold": ("comp.threshold_db", "db"),
    },
    "NoiseGate": {
        "Attack": ("gate.attack_ms", "ms"),
        "Range": ("gate.range_db", "db"),
        "Ratio": ("gate.ratio", "ratio"),
        "Release": ("gate.release_ms", "ms"),
        "Threshold": ("gate.threshold_db", "db"),
    },
    "Limiter": {
        "Attack": ("limiter.attack_ms", "ms"),
        "InputGain": ("limiter.input_gain_db", "db"),
        "OutputGain": ("limiter.output_gain_db", "db"),
        "Release": ("limiter.release_ms", "ms"),
        "Threshold": ("limiter.threshold_db", "db"),
    },
}

BAND_PARAMS: dict[str, tuple[str, str]] = {
    "Freq": ("freq_hz", "hz"),
    "Gain": ("gain_db", "db"),
    "Q": ("q", "plain"),
    "Enabled": ("enabled", "bool"),
}


def read_devices(ctx: ReadContext, el: etree._Element, index: int, track_name: str) -> list[Device]:
    """The devices of a channel element, of track `index` (named `track_name` in problems)."""
    devices_el = el.find("Devices")
    if devices_el is None:
        return []
    return [_device(ctx, d, index, track_name) for d in devices_el if isinstance(d.tag, str) and d.tag in DEVICE_TAGS]


def _device(ctx: ReadContext, el: etree._Element, index: int, track_name: str) -> Device:
    kind, fmt = DEVICE_TAGS[el.tag]
    # `deviceName` is the plug-in's own name, `name` what the user called this instance (a rename):
    # the kind comes from the first, the device is shown and matched by the second.
    plugin_name = el.get("deviceName") or el.get("name") or el.tag
    name = el.get("name") or plugin_name
    if kind in ("plugin", "other"):
        kind = classify_plugin(plugin_name) if kind == "plugin" or fmt == "builtin" else kind
        if kind == "plugin" and fmt == "builtin":
            kind = "other"
    where = f"track {track_name!r}, device {name!r}"
    params: dict[str, ParamValue] = {}
    children = _children(el)
    parameters = children.get("Parameters")
    if parameters is not None:
        for p in parameters:
            if isinstance(p.tag, str):
                _plugin_param(ctx, p, params, index, name, where)
    if el.tag == "Equalizer":
        for number, band in enumerate(el.iterchildren("Band"), start=1):
            _band(ctx, band, number, params, index, name, where)
    for child_tag, (term, value_kind) in BUILTIN_PARAMS.get(el.tag, {}).items():
        child = children.get(child_tag)
        if child is not None and (child.get("value") is not None or value_kind == "bool"):
            params[term] = ctx.converted(child, value_kind, f"{where} {term}")
            ctx.add_target(child, index, term, name, value_kind)
    enabled_el = children.get("Enabled")
    if enabled_el is not None:
        ctx.add_target(enabled_el, index, "enabled", name, "bool")
    return Device(
        kind=kind,  # type: ignore[arg-type]
        name=name,
        format=fmt,
        plugin_id=el.get("deviceID"),
        vendor=el.get("deviceVendor"),
        role=el.get("deviceRole") or "audioFX",
        enabled=ctx.boolean(enabled_el, True),
        params=canonical_params(params),
        state_sha256=_state_hash(ctx, children.get("State"), where),
    )


def _plugin_param(
    ctx: ReadContext, p: etree._Element, params: dict[str, ParamValue], index: int, device: str, where: str
) -> None:
    raw_name = p.get("name") or p.get("parameterID") or p.get("id") or f"#{len(params) + 1}"
    standard = STANDARD_TERM.match(raw_name) is not None
    term = raw_name if standard else f"param.{raw_name}"
    if term in params:
        term = f"{term}#{p.get('parameterID') or len(params) + 1}"
    kind = "plain"
    if p.tag == "BoolParameter":
        kind = "bool"
        value: ParamValue = None if p.get("value") is None else ctx.boolean(p, False)
    elif p.tag in ("IntegerParameter", "EnumParameter"):
        number = ctx.number(p, f"{where} parameter {raw_name!r}")
        value = None if number is None else int(number)
    elif p.tag == "TimeSignatureParameter":
        value = f"{p.get('numerator')}/{p.get('denominator')}"
    elif standard:
        kind = _term_kind(term)
        value = ctx.converted(p, kind, f"{where} parameter {raw_name!r}")
    else:
        value = ctx.number(p, f"{where} parameter {raw_name!r}")
    params[term] = value
    ctx.add_target(p, index, term, device, kind)


def _band(
    ctx: ReadContext,
    band: etree._Element,
    number: int,
    params: dict[str, ParamValue],
    index: int,
    device: str,
    where: str,
) -> None:
    prefix = f"eq.band{number}"
    band_type = BAND_TYPES.get(band.get("type") or "")
    if band_type is None:
        ctx.problems.append(f"{where} band {number}: unknown type {shown(band.get('type'))}; read as bell")
        band_type = "bell"
    params[f"{prefix}.type"] = band_type
    order = band.get("order")
    if band_type in ("highpass", "lowpass") and order and order.isdigit():
        params[f"{prefix}.slope_db_oct"] = 6.0 * int(order)
    children = _children(band)
    for child_tag, (leaf, kind) in BAND_PARAMS.items():
        child = children.get(child_tag)
        if child is None:
            continue
        term = f"{prefix}.{leaf}"
        params[term] = ctx.converted(child, kind, f"{where} {term}")
        ctx.add_target(child, index, term, device, kind)


def _state_hash(ctx: ReadContext, state: etree._Element | None, where: str) -> str | None:
    if state is None:
        return None
    reference = state.get("path")
    if not reference or (state.get("external") or "").lower() == "true":
        return None
    try:
        data = ctx.read_state(reference)
    except ParseError as exc:
        ctx.problems.append(f"{where} state: {exc.reason}; ignored")
        return None
    return hashlib.sha256(data).hexdigest() if data is not None else None


_KIND_OF_UNIT = {"dB": "db", "Hz": "hz", "ms": "ms", ":1": "ratio"}


def _term_kind(term: str) -> str:
    """How a standard term's value is converted: by its unit, or as a switch."""
    if term.rsplit(".", 1)[-1] in ("enabled", "auto_makeup"):
        return "bool"
    return _KIND_OF_UNIT.get(unit_of(term), "plain")


def _children(el: etree._Element) -> dict[str, etree._Element]:
    """The first child element of each tag, as find(tag) would return it, from one pass over the
    children: for elements whose children are looked up by tag many times over."""
    return {child.tag: child for child in reversed(el)}
