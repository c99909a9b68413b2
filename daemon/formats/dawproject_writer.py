"""DAWproject writer: a normalized Session to a .dawproject archive that validates against
../shared/specs/dawproject/Project.xsd. Tests and the demo build their sessions with it.

Values are written in the units DAW importers expect (linear volume, normalized pan, seconds,
hertz), except where the model cannot be expressed otherwise: automation points are written in
the unit of the target term (decibel for volumes) and a clip's gain as a constant `gain`
expression lane inside the clip, which the reader reads back. Opaque plug-in state is written
from the bytes the caller passes in `states` (keyed by their sha256), so a read gives the same hash.
"""

from __future__ import annotations

import hashlib
import itertools
import zipfile
from collections.abc import Mapping
from pathlib import Path

from lxml import etree

from daemon.errors import WriteError
from daemon.sessions import units
from daemon.sessions.model import AutomationLane, Channel, Clip, Device, ParamValue, Send, Session, Track

BAND_TAGS = {
    "highpass": "highPass",
    "lowpass": "lowPass",
    "bandpass": "bandPass",
    "highshelf": "highShelf",
    "lowshelf": "lowShelf",
    "bell": "bell",
    "notch": "notch",
}

ROLE_OUT = {
    "audio": "regular",
    "instrument": "regular",
    "group": "submix",
    "return": "effect",
    "master": "master",
    "vca": "vca",
}
PLUGIN_TAGS = {"vst2": "Vst2Plugin", "vst3": "Vst3Plugin", "clap": "ClapPlugin", "au": "AuPlugin"}
BUILTIN_TAGS = {"eq": "Equalizer", "compressor": "Compressor", "gate": "NoiseGate", "limiter": "Limiter"}

# Dedicated child elements of the built-in devices, in schema order: (element, term, how).
BUILTIN_CHILDREN: dict[str, tuple[tuple[str, str, str], ...]] = {
    "Equalizer": (("InputGain", "eq.input_gain_db", "db"), ("OutputGain", "eq.output_gain_db", "db")),
    "Compressor": (
        ("Attack", "comp.attack_ms", "ms"),
        ("AutoMakeup", "comp.auto_makeup", "bool"),
        ("InputGain", "comp.input_gain_db", "db"),
        ("OutputGain", "comp.output_gain_db", "db"),
        ("Ratio", "comp.ratio", "ratio"),
        ("Release", "comp.release_ms", "ms"),
        ("Threshold", "comp.threshold_db", "db"),
    ),
    "NoiseGate": (
        ("Attack", "gate.attack_ms", "ms"),
        ("Range", "gate.range_db", "db"),
        ("Ratio", "gate.ratio", "linear"),
        ("Release", "gate.release_ms", "ms"),
        ("Threshold", "gate.threshold_db", "db"),
    ),
    "Limiter": (
        ("Attack", "limiter.attack_ms", "ms"),
        ("InputGain", "limiter.input_gain_db", "db"),
        ("OutputGain", "limiter.output_gain_db", "db"),
        ("Release", "limiter.release_ms", "ms"),
        ("Threshold", "limiter.threshold_db", "db"),
    ),
}

METADATA_XML = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<MetaData/>\n'


PRECOMPRESSED_AUDIO = frozenset({".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac"})


def write_dawproject(
    session: Session,
    path: str | Path,
    states: Mapping[str, bytes] | None = None,
    media: Mapping[str, bytes] | None = None,
) -> Path:
    """Write `session` to a .dawproject archive at `path`. `states` maps a device's state_sha256
    to the state's bytes; `media` maps a clip's file reference to bytes to embed under that name."""
    path = Path(path)
    states = dict(states or {})
    project, state_files = project_xml(session, states)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.xml", project)
        archive.writestr("metadata.xml", METADATA_XML)
        for name, data in state_files.items():
            archive.writestr(name, data)
        for name, data in (media or {}).items():
            # Audio that is compressed already (FLAC, Ogg, MP3, ...) is stored as it is: deflate
            # gains a percent or two on it and costs every reader an inflate pass.
            stored = Path(name).suffix.lower() in PRECOMPRESSED_AUDIO
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return path


def project_xml(session: Session, states: Mapping[str, bytes] | None = None) -> tuple[bytes, dict[str, bytes]]:
    """The project.xml bytes of `session`, and the state files it refers to (name -> bytes)."""
    writer = _Writer(session, dict(states or {}))
    root = writer.project()
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True, pretty_print=True)
    return data, writer.state_files


def _num(value: float) -> str:
    return repr(float(value))


class _Writer:
    def __init__(self, session: Session, states: dict[str, bytes]) -> None:
        self.session = session
        self.states = states
        self.state_files: dict[str, bytes] = {}
        self._ids = itertools.count()
        self.track_ids: dict[int, str] = {}
        self.channel_by_name: dict[str, str] = {}
        self.param_ids: dict[tuple[int, str, str], str] = {}  # (track, device name, term) -> id

    def new_id(self) -> str:
        return f"id{next(self._ids)}"

    def project(self) -> etree._Element:
        s = self.session
        root = etree.Element("Project", version="1.0")
        etree.SubElement(root, "Application", name=s.application, version=s.application_version)
        transport = etree.SubElement(root, "Transport")
        tempo_id = None
        if s.tempo_bpm is not None:
            tempo_id = self.new_id()
            etree.SubElement(transport, "Tempo", unit="bpm", value=_num(s.tempo_bpm), id=tempo_id, name="Tempo")
        if s.time_signature is not None:
            etree.SubElement(
                transport, "TimeSignature", numerator=str(s.time_signature[0]), denominator=str(s.time_signature[1])
            )
        tracks = list(s.walk())
        for index, (_, track) in enumerate(tracks):
            self.track_ids[index] = self.new_id()
            channel_id = self.new_id()
            self.channel_by_name.setdefault(track.name, channel_id)
        structure = etree.SubElement(root, "Structure")
        counter = itertools.count()
        for track in s.tracks:
            self._track(structure, track, counter)
        self._arrangement(root, [t for _, t in tracks], tempo_id)
        return root

    # -- structure ---------------------------------------------------------------------------
    def _track(self, parent: etree._Element, track: Track, counter: itertools.count[int]) -> None:
        index = next(counter)
        attrs = {"loaded": "true", "id": self.track_ids[index], "name": track.name}
        if track.content_types:
            attrs = {"contentType": " ".join(track.content_types), **attrs}
        el = etree.SubElement(parent, "Track", attrs)
        self._channel(el, track, index)
        for child in track.children:
            self._track(el, child, counter)

    def _channel(self, parent: etree._Element, track: Track, index: int) -> None:
        ch: Channel = track.channel
        attrs: dict[str, str] = {}
        if ch.audio_channels is not None:
            attrs["audioChannels"] = str(ch.audio_channels)
        if ch.output is not None:
            if ch.output not in self.channel_by_name:
                raise WriteError(f"track {track.name!r} feeds {ch.output!r}, which is no track of the session")
            attrs["destination"] = self.channel_by_name[ch.output]
        attrs["role"] = ROLE_OUT[track.role]
        attrs["solo"] = "true" if ch.solo else "false"
        attrs["id"] = self.channel_by_name[track.name] if self._first_of_name(track, index) else self.new_id()
        el = etree.SubElement(parent, "Channel", attrs)
        if track.devices:
            devices = etree.SubElement(el, "Devices")
            for device in track.devices:
                self._device(devices, device, index)
        self._bool_param(el, "Mute", ch.mute, (index, "", "mute"))
        self._real(el, "Pan", "normalized", (ch.pan + 1.0) / 2.0, (index, "", "pan"), low=0.0, high=1.0)
        if track.sends:
            sends = etree.SubElement(el, "Sends")
            for send in track.sends:
                self._send(sends, send, index)
        self._real(
            el, "Volume", "linear", units.db_to_linear(ch.volume_db), (index, "", "volume_db"), low=0.0, high=2.0
        )

    def _first_of_name(self, track: Track, index: int) -> bool:
        names = [t.name for _, t in self.session.walk()]
        return names.index(track.name) == index

    def _send(self, parent: etree._Element, send: Send, index: int) -> None:
        if send.target not in self.channel_by_name:
            raise WriteError(f"a send goes to {send.target!r}, which is no track of the session")
        el = etree.SubElement(
            parent,
            "Send",
            destination=self.channel_by_name[send.target],
            type="pre" if send.pre_fader else "post",
            id=self.new_id(),
        )
        self._bool_param(el, "Enable", send.enabled, None)
        if send.pan is not None:
            self._real(el, "Pan", "normalized", (send.pan + 1.0) / 2.0, None, low=0.0, high=1.0)
        self._real(
            el, "Volume", "linear", units.db_to_linear(send.level_db), (index, "", f"send.{send.target}.level_db")
        )

    def _real(
        self,
        parent: etree._Element,
        tag: str,
        unit: str,
        value: float | None,
        key: tuple[int, str, str] | None,
        low: float | None = None,
        high: float | None = None,
        name: str | None = None,
    ) -> etree._Element:
        attrs: dict[str, str] = {}
        if high is not None:
            attrs["max"] = _num(high)
        if low is not None:
            attrs["min"] = _num(low)
        attrs["unit"] = unit
        if value is not None:
            attrs["value"] = _num(value)
        attrs["id"] = self._param_id(key)
        if name is not None:
            attrs["name"] = name
        return etree.SubElement(parent, tag, attrs)

    def _bool_param(
        self,
        parent: etree._Element,
        tag: str,
        value: bool | None,
        key: tuple[int, str, str] | None,
        name: str | None = None,
    ) -> None:
        attrs = {} if value is None else {"value": "true" if value else "false"}
        attrs["id"] = self._param_id(key)
        if name is not None:
            attrs["name"] = name
        etree.SubElement(parent, tag, attrs)

    def _param_id(self, key: tuple[int, str, str] | None) -> str:
        ident = self.new_id()
        if key is not None:
            self.param_ids.setdefault(key, ident)
        return ident

    # -- devices -----------------------------------------------------------------------------
    def _device(self, parent: etree._Element, device: Device, index: int) -> None:
        if device.format == "builtin":
            tag = BUILTIN_TAGS.get(device.kind, "BuiltinDevice")
        elif device.format in PLUGIN_TAGS:
            tag = PLUGIN_TAGS[device.format]
        else:
            raise WriteError(f"device {device.name!r} has format {device.format!r}, which DAWproject cannot hold")
        attrs: dict[str, str] = {}
        if device.plugin_id is not None:
            attrs["deviceID"] = device.plugin_id
        attrs["deviceName"] = device.name
        attrs["deviceRole"] = device.role
        if device.vendor is not None:
            attrs["deviceVendor"] = device.vendor
        attrs["loaded"] = "true"
        attrs["id"] = self.new_id()
        el = etree.SubElement(parent, tag, attrs)
        dedicated = {term for _, term, _ in BUILTIN_CHILDREN.get(tag, ())}
        params = device.param_dict
        if tag == "Equalizer":
            dedicated |= {t for t in params if t.startswith("eq.band")}
        parameters = etree.SubElement(el, "Parameters")
        for term, value in device.params:
            if term not in dedicated:
                self._plugin_param(parameters, term, value, (index, device.name, term))
        self._bool_param(el, "Enabled", device.enabled, (index, device.name, "enabled"), name="On/Off")
        if device.state_sha256 is not None:
            data = self.states.get(device.state_sha256)
            if data is None or hashlib.sha256(data).hexdigest() != device.state_sha256:
                raise WriteError(f"device {device.name!r}: no state bytes given for sha256 {device.state_sha256}")
            name = f"plugins/{device.state_sha256}.state"
            self.state_files[name] = data
            etree.SubElement(el, "State", path=name, external="false")
        if tag == "Equalizer":
            self._bands(el, params, index, device.name)
        for child, term, how in BUILTIN_CHILDREN.get(tag, ()):
            if term in params:
                self._typed(el, child, params[term], how, (index, device.name, term))

    def _typed(self, parent: etree._Element, tag: str, value: ParamValue, how: str, key: tuple[int, str, str]) -> None:
        if how == "bool":
            self._bool_param(parent, tag, None if value is None else bool(value), key)
        elif how == "db":
            self._real(parent, tag, "decibel", _float(value), key)
        elif how == "ms":
            self._real(parent, tag, "seconds", None if value is None else _float(value) / 1000.0, key)  # type: ignore[operator]
        elif how == "hz":
            self._real(parent, tag, "hertz", _float(value), key)
        elif how == "ratio":
            self._real(parent, tag, "percent", units.ratio_to_percent(_float(value)), key)
        else:
            self._real(parent, tag, "linear", _float(value), key)

    def _bands(self, el: etree._Element, params: dict[str, ParamValue], index: int, device: str) -> None:
        numbers = sorted({int(t.split(".")[1][4:]) for t in params if t.startswith("eq.band")})
        for position, number in enumerate(numbers, start=1):
            if position != number:
                raise WriteError(f"EQ {device!r}: bands must be numbered 1..N, band {number} breaks the run")
            prefix = f"eq.band{number}"
            band_type = params.get(f"{prefix}.type")
            if not isinstance(band_type, str) or band_type not in BAND_TAGS:
                raise WriteError(f"EQ {device!r} band {number}: type {band_type!r} is not a band type")
            attrs = {"type": BAND_TAGS[band_type]}
            slope = params.get(f"{prefix}.slope_db_oct")
            if slope is not None:
                attrs["order"] = str(round(_float(slope) / 6.0))  # type: ignore[operator]
            band = etree.SubElement(el, "Band", attrs)
            self._typed(band, "Freq", params.get(f"{prefix}.freq_hz"), "hz", (index, device, f"{prefix}.freq_hz"))
            for tag, leaf, how in (("Gain", "gain_db", "db"), ("Q", "q", "linear"), ("Enabled", "enabled", "bool")):
                term = f"{prefix}.{leaf}"
                if term in params:
                    self._typed(band, tag, params[term], how, (index, device, term))

    def _plugin_param(self, parent: etree._Element, term: str, value: ParamValue, key: tuple[int, str, str]) -> None:
        name = term[len("param.") :] if term.startswith("param.") else term
        if isinstance(value, bool):
            self._bool_param(parent, "BoolParameter", value, key, name=name)
        elif isinstance(value, int):
            etree.SubElement(parent, "IntegerParameter", value=str(value), id=self._param_id(key), name=name)
        elif isinstance(value, str):
            numerator, _, denominator = value.partition("/")
            if not (numerator.isdigit() and denominator.isdigit()):
                raise WriteError(f"parameter {term!r}: text value {value!r} has no DAWproject form")
            etree.SubElement(
                parent,
                "TimeSignatureParameter",
                denominator=denominator,
                numerator=numerator,
                id=self._param_id(key),
                name=name,
            )
        else:
            unit, written = _standard_unit(term, value)
            self._real(parent, "RealParameter", unit, written, key, name=name)

    # -- arrangement -------------------------------------------------------------------------
    def _arrangement(self, root: etree._Element, tracks: list[Track], tempo_id: str | None) -> None:
        s = self.session
        arrangement = etree.SubElement(root, "Arrangement", id=self.new_id())
        lanes = etree.SubElement(arrangement, "Lanes", timeUnit=s.time_unit, id=self.new_id())
        for index, track in enumerate(tracks):
            if not track.clips and not track.automation:
                continue
            lane = etree.SubElement(lanes, "Lanes", track=self.track_ids[index], id=self.new_id())
            if track.clips:
                clips = etree.SubElement(lane, "Clips", id=self.new_id())
                for clip in track.clips:
                    self._clip(clips, clip)
            for automation in track.automation:
                self._points(lane, automation, index, track.name)
        if s.tempo_automation and tempo_id is not None:
            points = etree.SubElement(lanes, "Points", unit="bpm", id=self.new_id())
            etree.SubElement(points, "Target", parameter=tempo_id)
            for time, value in s.tempo_automation:
                etree.SubElement(points, "RealPoint", time=_num(time), value=_num(value), interpolation="linear")
        if s.markers:
            markers = etree.SubElement(arrangement, "Markers", id=self.new_id())
            for marker in s.markers:
                etree.SubElement(markers, "Marker", time=_num(marker.time), name=marker.name)

    def _clip(self, parent: etree._Element, clip: Clip) -> None:
        attrs = {
            "time": _num(clip.position),
            "duration": _num(clip.duration),
            "playStart": _num(clip.play_start),
            "fadeTimeUnit": self.session.time_unit,
            "fadeInTime": _num(clip.fade_in),
            "fadeOutTime": _num(clip.fade_out),
            "enable": "true" if clip.enabled else "false",
            "name": clip.name,
        }
        el = etree.SubElement(parent, "Clip", attrs)
        if not clip.file:
            notes = etree.SubElement(el, "Notes", id=self.new_id())
            for time, length, key, velocity in clip.notes:
                etree.SubElement(
                    notes, "Note", time=_num(time), duration=_num(length), key=str(key), channel="0", vel=_num(velocity)
                )
            return
        holder = el
        if clip.gain_db != 0.0:
            holder = etree.SubElement(el, "Lanes", id=self.new_id())
        audio = etree.SubElement(
            holder, "Audio", channels="2", sampleRate="48000", duration=_num(clip.duration), id=self.new_id()
        )
        etree.SubElement(audio, "File", path=clip.file)
        if clip.gain_db != 0.0:
            points = etree.SubElement(holder, "Points", unit="decibel", id=self.new_id())
            etree.SubElement(points, "Target", expression="gain")
            etree.SubElement(points, "RealPoint", time="0.0", value=_num(clip.gain_db), interpolation="hold")

    def _points(self, parent: etree._Element, lane: AutomationLane, index: int, track: str) -> None:
        key = (index, lane.device or "", lane.target)
        target = self.param_ids.get(key)
        if target is None:
            where = f"device {lane.device!r} " if lane.device else ""
            raise WriteError(f"track {track!r}: automation of {where}{lane.target!r}, which the track does not have")
        is_bool = lane.target in ("mute", "enabled") or lane.target.endswith(".enabled")
        is_pan = lane.target == "pan"
        unit = "normalized" if is_pan else _standard_unit(lane.target, 0.0)[0]
        attrs = {"unit": unit} if not is_bool else {}
        points = etree.SubElement(parent, "Points", {**attrs, "id": self.new_id()})
        etree.SubElement(points, "Target", parameter=target)
        for time, value in lane.points:
            if is_bool:
                etree.SubElement(points, "BoolPoint", time=_num(time), value="true" if value >= 0.5 else "false")
            else:
                written = (value + 1.0) / 2.0 if is_pan else _standard_unit(lane.target, value)[1]
                etree.SubElement(
                    points, "RealPoint", time=_num(time), value=_num(written or 0.0), interpolation=lane.interpolation
                )


def _float(value: ParamValue) -> float | None:
    if value is None:
        return None
    return float(value)


def _standard_unit(term: str, value: ParamValue) -> tuple[str, float | None]:
    """The DAWproject unit a term's value is written in, with the value in that unit."""
    leaf = term.rsplit(".", 1)[-1]
    number = _float(value)
    if term.startswith("param."):
        return "linear", number
    if leaf.endswith("_db") or leaf == "volume_db":
        return "decibel", number
    if leaf.endswith("_hz"):
        return "hertz", number
    if leaf.endswith("_ms"):
        return "seconds", None if number is None else number / 1000.0
    if leaf == "pan":
        return "linear", number
    return "linear", number
