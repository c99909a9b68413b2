"""DAWproject reader: a .dawproject archive or a bare project.xml into a normalized Session.

Follows ../shared/specs/dawproject/Project.xsd (version 1.0) for everything that bears on mixing:
Transport, Structure (tracks, nested groups, channels of every role, sends, devices with their
parameters and state), Arrangement lanes (audio clips, automation points with their target,
markers, tempo automation). Small schema breaks seen in real exporters are read past: openDAW's
UUID ids (not xs:ID), a converter's element order, clips that name their track on <Clips>.
The pre-1.0 format (JSON inside the ZIP, 2020) is refused with that reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from lxml import etree

from daemon import units
from daemon.errors import ParseError
from daemon.formats.guard import LIMITS, SafeArchive, parse_xml, read_inside
from daemon.formats.values import finite_or_problem, shown
from daemon.model import (
    STANDARD_TERM,
    AutomationLane,
    Channel,
    Clip,
    Device,
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
    unit_of,
)

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

TEMPO = -1  # automation target key of the transport tempo

_POINT_TIMES = etree.XPath("RealPoint/@time", smart_strings=False)
_POINT_VALUES = etree.XPath("RealPoint/@value", smart_strings=False)

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


def read_dawproject(path: str | Path, name: str | None = None) -> Session:
    """Read a .dawproject archive or a bare project.xml. Raises ParseError naming the file."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
        size = path.stat().st_size
    except OSError as exc:
        raise ParseError(path, f"cannot be opened ({exc.strerror or exc})") from None
    session_name = name if name is not None else path.stem
    if magic.startswith(b"PK"):
        with SafeArchive(path) as archive:
            if not archive.has("project.xml"):
                if archive.has("project.json"):
                    raise ParseError(
                        path, "pre-1.0 DAWproject (JSON, not supported): it holds project.json, not project.xml"
                    )
                raise ParseError(path, "not a DAWproject archive: it holds no project.xml")
            data = archive.read("project.xml", cap=LIMITS.max_xml_bytes)
            root = parse_xml(data, f"{path}!project.xml")
            return _Reader(path, root, session_name, _archive_state(archive)).session()
    if size > LIMITS.max_xml_bytes:
        raise ParseError(path, f"{size:,} bytes is over the {LIMITS.max_xml_bytes:,} cap for project XML")
    data = path.read_bytes()
    root = parse_xml(data, path)
    return _Reader(path, root, session_name, lambda ref: read_inside(path.parent, ref)).session()


def parse_project_xml(data: bytes, source: str | Path, name: str) -> Session:
    """Read project.xml bytes already in memory (state files are not available)."""
    root = parse_xml(data, source)
    return _Reader(Path(str(source)), root, name, lambda ref: None).session()


def _archive_state(archive: SafeArchive) -> Callable[[str], bytes | None]:
    def read(reference: str) -> bytes | None:
        ref = reference.replace("\\", "/")
        return archive.read(ref) if archive.has(ref) else None

    return read


@dataclass
class _Target:
    """What an automation target id points at."""

    track_key: int
    term: str
    device: str | None
    unit: str
    low: float | None = None
    high: float | None = None
    kind: str = "plain"


# An id's entry until automation asks for it: track key, term, device, kind, unit, min, max.
_TargetEntry = tuple[int, str, str | None, str, str, str | None, str | None]


@dataclass
class _TrackBuild:
    el: etree._Element
    name: str
    role: TrackRole
    content_types: tuple[str, ...]
    channel: Channel = field(default_factory=Channel)
    sends: list[Send] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    lanes: dict[tuple[str, str], AutomationLane] = field(default_factory=dict)
    clips: list[Clip] = field(default_factory=list)
    children: list[int] = field(default_factory=list)


class _Reader:
    def __init__(self, path: Path, root: etree._Element, name: str, read_state: Callable[[str], bytes | None]) -> None:
        self.path = path
        self.root = root
        self.name = name
        self.read_state = read_state
        self.problems: list[str] = []
        self.builds: list[_TrackBuild] = []
        self.top: list[int] = []
        self.slot_of: dict[etree._Element, int] = {}
        self.id_to_track: dict[str, int] = {}
        self.targets: dict[str, _TargetEntry] = {}
        self.tempo_bpm: float | None = None
        self.tempo_points: list[tuple[float, float]] = []

    # -- entry -------------------------------------------------------------------------------
    def session(self) -> Session:
        root = self.root
        if not isinstance(root.tag, str) or root.tag != "Project":
            raise ParseError(self.path, f"not a DAWproject: the root element is <{_tag_name(root)}>, not <Project>")
        version = root.get("version")
        if version is None:
            raise ParseError(self.path, "not a DAWproject: <Project> has no version")
        if version.split(".")[0] not in ("0", "1"):
            # A newer major version: read what this reader knows and say so.
            self.problems.append(f"written as DAWproject version {shown(version)}; read as version 1.0")
        app = root.find("Application")
        tempo, signature = self._transport(root.find("Transport"))
        self.tempo_bpm = tempo
        structure = root.find("Structure")
        if structure is not None:
            self._index_ids(structure)
            for child in structure:
                if child.tag in ("Track", "Channel"):
                    self.top.append(self._track(child))
        time_unit, markers, tempo_points = self._arrangement(root.find("Arrangement"))
        return Session(
            name=self.name,
            application=(app.get("name") or "") if app is not None else "",
            application_version=(app.get("version") or "") if app is not None else "",
            tempo_bpm=tempo,
            time_signature=signature,
            time_unit=time_unit,
            tracks=tuple(self._freeze(i) for i in self.top),
            markers=markers,
            tempo_automation=tempo_points,
            problems=tuple(self.problems),
        )

    # -- values ------------------------------------------------------------------------------
    def _number(self, el: etree._Element, where: str, attr: str = "value") -> float | None:
        text = el.get(attr)
        return finite_or_problem(text, where, self.problems)

    def _bool(self, el: etree._Element | None, default: bool) -> bool:
        if el is None:
            return default
        value = el.get("value")
        if value is None:
            return default
        return value.strip().lower() in ("true", "1")

    def _converted(self, el: etree._Element, kind: str, where: str) -> ParamValue:
        """A parameter element's value in the standard unit of `kind`."""
        if kind == "bool":
            return None if el.get("value") is None else self._bool(el, False)
        value = self._number(el, where)
        if value is None:
            return None
        unit = el.get("unit") or ""
        try:
            if kind == "db":
                return units.to_db(value, unit or "decibel")
            if kind == "hz":
                return units.to_hz(value, unit or "hertz")
            if kind == "ms":
                return units.to_ms(value, unit or "seconds", self.tempo_bpm)
            if kind == "ratio":
                return units.to_ratio(value, unit or "linear")
            if kind == "pan":
                return units.to_pan(value, unit or "normalized", _float(el.get("min")), _float(el.get("max")))
        except units.UnconvertibleError as exc:
            self.problems.append(f"{where}: {exc} cannot be converted; ignored")
            return None
        return value

    # -- structure ---------------------------------------------------------------------------
    def _transport(self, el: etree._Element | None) -> tuple[float | None, tuple[int, int] | None]:
        if el is None:
            return None, None
        tempo_el = el.find("Tempo")
        tempo = self._number(tempo_el, "Transport tempo") if tempo_el is not None else None
        if tempo_el is not None and tempo_el.get("id"):
            self._target(tempo_el, TEMPO, "tempo_bpm", None, "plain")
        sig_el = el.find("TimeSignature")
        signature = None
        if sig_el is not None:
            try:
                signature = (int(sig_el.get("numerator", "")), int(sig_el.get("denominator", "")))
            except ValueError:
                self.problems.append("Transport time signature: not two whole numbers; ignored")
        return tempo, signature

    def _index_ids(self, structure: etree._Element) -> None:
        """Give every Track and Channel element its build slot, so references resolve in any order."""
        for el in structure.iter("Track", "Channel"):
            if el.tag == "Channel" and el.getparent() is not None and el.getparent().tag == "Track":
                continue
            index = len(self.builds)
            track_el = el
            channel = el.find("Channel") if el.tag == "Track" else el
            name = el.get("name") or (channel.get("name") if channel is not None else None) or "(unnamed)"
            self.slot_of[track_el] = index
            self.builds.append(_TrackBuild(el=track_el, name=name, role="audio", content_types=()))
            for ident in (el.get("id"), channel.get("id") if channel is not None else None):
                if ident:
                    self.id_to_track[ident] = index

    def _track(self, el: etree._Element) -> int:
        index = self.slot_of[el]
        build = self.builds[index]
        channel_el = el.find("Channel") if el.tag == "Track" else el
        content = tuple((el.get("contentType") or "").split()) if el.tag == "Track" else ()
        child_tracks = [c for c in el if c.tag == "Track"] if el.tag == "Track" else []
        build.content_types = content
        build.role = _role(channel_el.get("role") if channel_el is not None else None, content, bool(child_tracks))
        if channel_el is not None:
            build.channel = self._channel(channel_el, index)
            build.sends = self._sends(channel_el, index)
            build.devices = self._devices(channel_el, index)
        build.children = [self._track(c) for c in child_tracks]
        return index

    def _channel(self, el: etree._Element, index: int) -> Channel:
        where = f"track {self.builds[index].name!r}"
        volume_db: float | None = 0.0
        vol = el.find("Volume")
        if vol is not None:
            volume = self._converted(vol, "db", f"{where} volume")
            volume_db = volume if isinstance(volume, float) or volume is None else float(volume)
            self._target(vol, index, "volume_db", None, "db")
        pan = 0.0
        pan_el = el.find("Pan")
        if pan_el is not None:
            value = self._converted(pan_el, "pan", f"{where} pan")
            pan = float(value) if isinstance(value, float) else 0.0
            self._target(pan_el, index, "pan", None, "pan")
        mute_el = el.find("Mute")
        if mute_el is not None:
            self._target(mute_el, index, "mute", None, "bool")
        channels = el.get("audioChannels")
        return Channel(
            volume_db=volume_db,
            pan=pan,
            mute=self._bool(mute_el, False),
            solo=(el.get("solo") or "").lower() in ("true", "1"),
            output=self._track_ref(el.get("destination"), where, "output"),
            audio_channels=int(channels) if channels and channels.isdigit() else None,
        )

    def _track_ref(self, ref: str | None, where: str, what: str) -> str | None:
        if not ref:
            return None
        index = self.id_to_track.get(ref)
        if index is None:
            self.problems.append(f"{where} {what}: refers to {shown(ref)}, which is no track; ignored")
            return None
        return self.builds[index].name

    def _sends(self, el: etree._Element, index: int) -> list[Send]:
        sends_el = el.find("Sends")
        if sends_el is None:
            return []
        where = f"track {self.builds[index].name!r}"
        sends = []
        for send_el in sends_el.iterchildren("Send"):
            target = self._track_ref(send_el.get("destination"), where, "send")
            if target is None:
                continue
            level: float | None = 0.0
            vol = send_el.find("Volume")
            if vol is not None:
                value = self._converted(vol, "db", f"{where} send to {target!r}")
                level = float(value) if isinstance(value, float) else None
                self._target(vol, index, f"send.{target}.level_db", None, "db")
            pan_el = send_el.find("Pan")
            pan = None
            if pan_el is not None:
                value = self._converted(pan_el, "pan", f"{where} send pan")
                pan = float(value) if isinstance(value, float) else None
            sends.append(
                Send(
                    target=target,
                    level_db=level,
                    pre_fader=send_el.get("type") == "pre",
                    enabled=self._bool(send_el.find("Enable"), True),
                    pan=pan,
                )
            )
        return sends

    # -- devices -----------------------------------------------------------------------------
    def _devices(self, el: etree._Element, index: int) -> list[Device]:
        devices_el = el.find("Devices")
        if devices_el is None:
            return []
        return [self._device(d, index) for d in devices_el if isinstance(d.tag, str) and d.tag in DEVICE_TAGS]

    def _device(self, el: etree._Element, index: int) -> Device:
        kind, fmt = DEVICE_TAGS[el.tag]
        name = el.get("deviceName") or el.get("name") or el.tag
        if kind in ("plugin", "other"):
            kind = classify_plugin(name) if kind == "plugin" or fmt == "builtin" else kind
            if kind == "plugin" and fmt == "builtin":
                kind = "other"
        where = f"track {self.builds[index].name!r}, device {name!r}"
        params: dict[str, ParamValue] = {}
        children = _children(el)
        parameters = children.get("Parameters")
        if parameters is not None:
            for p in parameters:
                if isinstance(p.tag, str):
                    self._plugin_param(p, params, index, name, where)
        if el.tag == "Equalizer":
            for number, band in enumerate(el.iterchildren("Band"), start=1):
                self._band(band, number, params, index, name, where)
        for child_tag, (term, value_kind) in BUILTIN_PARAMS.get(el.tag, {}).items():
            child = children.get(child_tag)
            if child is not None and (child.get("value") is not None or value_kind == "bool"):
                params[term] = self._converted(child, value_kind, f"{where} {term}")
                self._target(child, index, term, name, value_kind)
        enabled_el = children.get("Enabled")
        if enabled_el is not None:
            self._target(enabled_el, index, "enabled", name, "bool")
        return Device(
            kind=kind,  # type: ignore[arg-type]
            name=name,
            format=fmt,
            plugin_id=el.get("deviceID"),
            vendor=el.get("deviceVendor"),
            role=el.get("deviceRole") or "audioFX",
            enabled=self._bool(enabled_el, True),
            params=canonical_params(params),
            state_sha256=self._state_hash(children.get("State"), where),
        )

    def _plugin_param(
        self, p: etree._Element, params: dict[str, ParamValue], index: int, device: str, where: str
    ) -> None:
        raw_name = p.get("name") or p.get("parameterID") or p.get("id") or f"#{len(params) + 1}"
        standard = STANDARD_TERM.match(raw_name) is not None
        term = raw_name if standard else f"param.{raw_name}"
        if term in params:
            term = f"{term}#{p.get('parameterID') or len(params) + 1}"
        kind = "plain"
        if p.tag == "BoolParameter":
            kind = "bool"
            value: ParamValue = None if p.get("value") is None else self._bool(p, False)
        elif p.tag in ("IntegerParameter", "EnumParameter"):
            number = self._number(p, f"{where} parameter {raw_name!r}")
            value = None if number is None else int(number)
        elif p.tag == "TimeSignatureParameter":
            value = f"{p.get('numerator')}/{p.get('denominator')}"
        elif standard:
            kind = _term_kind(term)
            value = self._converted(p, kind, f"{where} parameter {raw_name!r}")
        else:
            value = self._number(p, f"{where} parameter {raw_name!r}")
        params[term] = value
        self._target(p, index, term, device, kind)

    def _band(
        self, band: etree._Element, number: int, params: dict[str, ParamValue], index: int, device: str, where: str
    ) -> None:
        prefix = f"eq.band{number}"
        band_type = BAND_TYPES.get(band.get("type") or "")
        if band_type is None:
            self.problems.append(f"{where} band {number}: unknown type {shown(band.get('type'))}; read as bell")
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
            params[term] = self._converted(child, kind, f"{where} {term}")
            self._target(child, index, term, device, kind)

    def _state_hash(self, state: etree._Element | None, where: str) -> str | None:
        if state is None:
            return None
        reference = state.get("path")
        if not reference or (state.get("external") or "").lower() == "true":
            return None
        try:
            data = self.read_state(reference)
        except ParseError as exc:
            self.problems.append(f"{where} state: {exc.reason}; ignored")
            return None
        return hashlib.sha256(data).hexdigest() if data is not None else None

    def _target(self, el: etree._Element, index: int, term: str, device: str | None, kind: str) -> None:
        """Remember what an id names, for automation, with the unit and range the element states.
        Kept as strings in a flat tuple, not the element: tens of thousands of parameters, of which
        a few are automated, would otherwise keep as many element proxies alive for the collector
        to walk."""
        ident = el.get("id")
        if ident:
            self.targets[ident] = (index, term, device, kind, el.get("unit") or "", el.get("min"), el.get("max"))

    def _resolve(self, ref: str) -> _Target | None:
        entry = self.targets.get(ref)
        if entry is None:
            return None
        index, term, device, kind, unit, low, high = entry
        return _Target(index, term, device, unit, _float(low), _float(high), kind)

    # -- arrangement -------------------------------------------------------------------------
    def _arrangement(
        self, el: etree._Element | None
    ) -> tuple[str, tuple[Marker, ...], tuple[tuple[float, float], ...]]:
        if el is None:
            return "beats", (), ()
        lanes = el.find("Lanes")
        time_unit = "beats"
        if lanes is not None:
            time_unit = lanes.get("timeUnit") or _first_time_unit(lanes) or "beats"
            self._lanes(lanes, None)
        markers: list[Marker] = []
        markers_el = el.find("Markers")
        if markers_el is not None:
            for m in markers_el.iterchildren("Marker"):
                time = self._number(m, "marker", "time")
                if time is not None:
                    markers.append(Marker(name=m.get("name") or "", time=time))
        tempo_el = el.find("TempoAutomation")
        if tempo_el is not None:
            self.tempo_points.extend(self._points(tempo_el, None, "tempo automation"))
        return time_unit, canonical_markers(markers), tuple(sorted(self.tempo_points))

    def _lanes(self, el: etree._Element, track: int | None) -> None:
        ref = el.get("track")
        if ref:
            track = self.id_to_track.get(ref, track)
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if child.tag == "Lanes":
                self._lanes(child, track)
            elif child.tag == "Clips":
                owner = self.id_to_track.get(child.get("track") or "", track)
                if owner is not None:
                    for clip_el in child.iterchildren("Clip"):
                        clip = self._clip(clip_el)
                        if clip is not None:
                            self.builds[owner].clips.append(clip)
            elif child.tag == "Points":
                self._automation(child)

    def _automation(self, el: etree._Element) -> None:
        target_el = el.find("Target")
        ref = target_el.get("parameter") if target_el is not None else None
        if not ref:
            return
        target = self._resolve(ref)
        if target is None:
            self.problems.append(f"automation: target {shown(ref)} is no parameter of this session; ignored")
            return
        unit = el.get("unit") or target.unit
        if target.track_key == TEMPO:
            self.tempo_points.extend(self._points(el, None, "tempo automation"))
            return
        where = f"track {self.builds[target.track_key].name!r} automation of {target.term}"
        points = self._points(el, target, where, unit)
        first = el.find("RealPoint")
        if first is None:  # switches and steps (BoolPoint, IntegerPoint, EnumPoint) hold
            interpolation = "hold" if points else "linear"
        else:
            interpolation = "hold" if first.get("interpolation") == "hold" else "linear"
        lane = AutomationLane(target=target.term, device=target.device, points=points, interpolation=interpolation)
        self.builds[target.track_key].lanes[lane.key] = lane

    def _points(
        self, el: etree._Element, target: _Target | None, where: str, unit: str = "bpm"
    ) -> tuple[tuple[float, float], ...]:
        fast = self._real_points_at_once(el, target, unit)
        if fast is not None:
            return fast
        switches: list[tuple[float, float]] = []  # BoolPoints: 1.0 / 0.0, nothing to convert
        numbers: list[tuple[float, float]] = []
        bad = 0
        for p in el:
            tag = p.tag
            if tag not in ("RealPoint", "BoolPoint", "IntegerPoint", "EnumPoint"):
                continue
            try:
                time = units.finite(p.get("time"))
                raw = p.get("value")
                if tag == "BoolPoint":
                    value = 1.0 if (raw or "").lower() in ("true", "1") else 0.0
                else:
                    value = units.finite(raw)  # type: ignore[assignment]
            except ValueError:
                bad += 1
                continue
            if value is None:
                bad += 1
                continue
            if time is None:
                continue
            (switches if tag == "BoolPoint" else numbers).append((time, value))
        try:
            converted = self._convert(target, unit, np.array([v for _, v in numbers], dtype=float)).tolist()
        except units.UnconvertibleError:
            bad, converted = bad + len(numbers), []
            numbers = []
        if bad:
            self.problems.append(
                f"{where}: {bad} point(s) with a missing or non-finite time or value, or a unit that does not convert; ignored"
            )
        merged = switches + [(t, v) for (t, _), v in zip(numbers, converted)]
        return tuple(sorted(merged, key=lambda point: point[0])) if switches and numbers else tuple(merged)

    def _real_points_at_once(
        self, el: etree._Element, target: _Target | None, unit: str
    ) -> tuple[tuple[float, float], ...] | None:
        """All points of a lane of RealPoints, parsed and converted as arrays (automation is most
        of a session's bulk). None where the slow path must look point by point: other point
        kinds, a missing, non-finite or malformed number, a unit that does not convert."""
        times = _POINT_TIMES(el)
        values = _POINT_VALUES(el)
        others = len(el) - len(times) - (1 if el.find("Target") is not None else 0)
        if not times or len(times) != len(values) or others != 0:
            return None
        try:
            t, v = np.array((times, values), dtype=float)  # float() of each string, in C
            if not np.isfinite(t).all() or not np.isfinite(v).all():
                return None
            v = self._convert(target, unit, v)
        except (ValueError, units.UnconvertibleError):
            return None
        return tuple(zip(t.tolist(), v.tolist()))

    def _convert(self, target: _Target | None, unit: str, values: np.ndarray) -> np.ndarray:
        """Automation values into the target's standard unit, all at once."""
        if target is None or target.kind not in ("db", "pan", "hz", "ms"):
            return values
        return units.convert_array(target.kind, unit, values, target.low, target.high, self.tempo_bpm)

    def _clip(self, el: etree._Element) -> Clip | None:
        audio = next(el.iter("Audio"), None)
        if audio is None:
            return None
        file_el = audio.find("File")
        reference = file_el.get("path") if file_el is not None else None
        if not reference:
            return None
        where = f"clip {reference!r}"
        position = self._number(el, where, "time") or 0.0
        duration = self._number(el, where, "duration")
        if duration is None:
            duration = self._number(audio, where, "duration") or 0.0
        return Clip(
            file=reference,
            position=position,
            duration=duration,
            name=el.get("name") or "",
            gain_db=self._clip_gain(el),
            fade_in=self._number(el, where, "fadeInTime") or 0.0,
            fade_out=self._number(el, where, "fadeOutTime") or 0.0,
            play_start=self._number(el, where, "playStart") or 0.0,
            enabled=(el.get("enable") or "true").lower() != "false",
        )

    def _clip_gain(self, el: etree._Element) -> float:
        """A clip's gain, written as a constant `gain` expression lane inside the clip."""
        for points in el.iter("Points"):
            target = points.find("Target")
            if target is None or target.get("expression") != "gain":
                continue
            first = points.find("RealPoint")
            if first is None:
                continue
            try:
                value = units.finite(first.get("value"))
                gain = units.to_db(value or 0.0, points.get("unit") or "linear")
            except (ValueError, units.UnconvertibleError):
                continue
            return units.SILENCE_DB if gain is None else gain
        return 0.0

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
            automation=canonical_lanes(list(b.lanes.values())),
            clips=canonical_clips(b.clips),
            children=tuple(self._freeze(i) for i in b.children),
        )


def _role(role: str | None, content: tuple[str, ...], has_children: bool) -> TrackRole:
    if role in ("submix",) or has_children or content == ("tracks",):
        return "group" if role != "vca" else "vca"
    if role == "master":
        return "master"
    if role == "effect":
        return "return"
    if role == "vca":
        return "vca"
    if "notes" in content and "audio" not in content:
        return "instrument"
    return "audio"


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


def _first_time_unit(lanes: etree._Element) -> str | None:
    for el in lanes.iter("Lanes", "Clips"):
        unit = el.get("timeUnit")
        if unit:
            return unit
    return None


def _float(text: str | None) -> float | None:
    try:
        return units.finite(text)
    except ValueError:
        return None


def _tag_name(el: etree._Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else "?"
    if tag.startswith("{"):
        namespace, local = tag[1:].split("}", 1)
        return f"{local} xmlns={namespace!r}"
    return tag
