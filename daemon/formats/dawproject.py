"""DAWproject reader: a .dawproject archive or a bare project.xml into a normalized Session.

Follows ../shared/specs/dawproject/Project.xsd (version 1.0) for everything that bears on mixing:
Transport, Structure (tracks, nested groups, channels of every role, sends, devices with their
parameters and state), Arrangement lanes (audio clips, automation points with their target,
markers, tempo automation). Small schema breaks seen in real exporters are read past: openDAW's
UUID ids (not xs:ID), a converter's element order, clips that name their track on <Clips>.
The pre-1.0 format (JSON inside the ZIP, 2020) is refused with that reason.

This module holds the entry points and the walk over tracks, channels, sends, lanes and clips.
Devices and their parameters are read in dawproject_devices, automation points in
dawproject_automation; what the parts share (problems, values in standard units, automation
target ids) is the ReadContext of dawproject_context, which the reader extends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from daemon.errors import ParseError
from daemon.formats.dawproject_automation import automation_lane, read_points
from daemon.formats.dawproject_context import TEMPO, ReadContext
from daemon.formats.dawproject_devices import read_devices
from daemon.formats.guard import LIMITS, SafeArchive, parse_xml, read_inside
from daemon.formats.values import shown
from daemon.sessions import units
from daemon.sessions.model import (
    AutomationLane,
    Channel,
    Clip,
    Device,
    Marker,
    Send,
    Session,
    Track,
    TrackRole,
    canonical_clips,
    canonical_lanes,
    canonical_markers,
    canonical_sends,
)


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


class _Reader(ReadContext):
    def __init__(self, path: Path, root: etree._Element, name: str, read_state: Callable[[str], bytes | None]) -> None:
        super().__init__(read_state)
        self.path = path
        self.root = root
        self.name = name
        self.builds: list[_TrackBuild] = []
        self.top: list[int] = []
        self.slot_of: dict[etree._Element, int] = {}
        self.id_to_track: dict[str, int] = {}
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

    # -- structure ---------------------------------------------------------------------------
    def _transport(self, el: etree._Element | None) -> tuple[float | None, tuple[int, int] | None]:
        if el is None:
            return None, None
        tempo_el = el.find("Tempo")
        tempo = self.number(tempo_el, "Transport tempo") if tempo_el is not None else None
        if tempo_el is not None and tempo_el.get("id"):
            self.add_target(tempo_el, TEMPO, "tempo_bpm", None, "plain")
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
            build.devices = read_devices(self, channel_el, index, build.name)
        build.children = [self._track(c) for c in child_tracks]
        return index

    def _channel(self, el: etree._Element, index: int) -> Channel:
        where = f"track {self.builds[index].name!r}"
        volume_db: float | None = 0.0
        vol = el.find("Volume")
        if vol is not None:
            volume = self.converted(vol, "db", f"{where} volume")
            volume_db = volume if isinstance(volume, float) or volume is None else float(volume)
            self.add_target(vol, index, "volume_db", None, "db")
        pan = 0.0
        pan_el = el.find("Pan")
        if pan_el is not None:
            value = self.converted(pan_el, "pan", f"{where} pan")
            pan = float(value) if isinstance(value, float) else 0.0
            self.add_target(pan_el, index, "pan", None, "pan")
        mute_el = el.find("Mute")
        if mute_el is not None:
            self.add_target(mute_el, index, "mute", None, "bool")
        channels = el.get("audioChannels")
        return Channel(
            volume_db=volume_db,
            pan=pan,
            mute=self.boolean(mute_el, False),
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
                value = self.converted(vol, "db", f"{where} send to {target!r}")
                level = float(value) if isinstance(value, float) else None
                self.add_target(vol, index, f"send.{target}.level_db", None, "db")
            pan_el = send_el.find("Pan")
            pan = None
            if pan_el is not None:
                value = self.converted(pan_el, "pan", f"{where} send pan")
                pan = float(value) if isinstance(value, float) else None
            sends.append(
                Send(
                    target=target,
                    level_db=level,
                    pre_fader=send_el.get("type") == "pre",
                    enabled=self.boolean(send_el.find("Enable"), True),
                    pan=pan,
                )
            )
        return sends

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
                time = self.number(m, "marker", "time")
                if time is not None:
                    markers.append(Marker(name=m.get("name") or "", time=time))
        tempo_el = el.find("TempoAutomation")
        if tempo_el is not None:
            self.tempo_points.extend(read_points(self, tempo_el, None, "tempo automation"))
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
        target = self.resolve(ref)
        if target is None:
            self.problems.append(f"automation: target {shown(ref)} is no parameter of this session; ignored")
            return
        if target.track_key == TEMPO:
            self.tempo_points.extend(read_points(self, el, None, "tempo automation"))
            return
        build = self.builds[target.track_key]
        lane = automation_lane(self, el, target, f"track {build.name!r} automation of {target.term}")
        build.lanes[lane.key] = lane

    def _clip(self, el: etree._Element) -> Clip | None:
        """An audio clip (its first <Audio> file) or a note clip (its <Notes>, however nested)."""
        audio = next(el.iter("Audio"), None)
        notes: tuple[tuple[float, float, int, float], ...] = ()
        if audio is None:
            if next(el.iter("Notes"), None) is None:
                return None
            reference = ""
            where = f"note clip {el.get('name') or ''!r} at {el.get('time')}"
            notes = tuple(sorted(self._notes(el, 0.0, where)))
        else:
            file_el = audio.find("File")
            reference = (file_el.get("path") if file_el is not None else None) or ""
            if not reference:
                return None
            where = f"clip {reference!r}"
        position = self.number(el, where, "time") or 0.0
        duration = self.number(el, where, "duration")
        if duration is None:
            duration = (self.number(audio, where, "duration") if audio is not None else None) or 0.0
        return Clip(
            file=reference,
            position=position,
            duration=duration,
            name=el.get("name") or "",
            gain_db=self._clip_gain(el),
            fade_in=self.number(el, where, "fadeInTime") or 0.0,
            fade_out=self.number(el, where, "fadeOutTime") or 0.0,
            play_start=self.number(el, where, "playStart") or 0.0,
            enabled=(el.get("enable") or "true").lower() != "false",
            notes=notes,
        )

    def _notes(self, el: etree._Element, offset: float, where: str) -> Iterator[tuple[float, float, int, float]]:
        """The notes under a clip's content, times from the outer clip's start: a nested <Clip>
        inside the content shifts what it holds by its own time."""
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if child.tag == "Note":
                time = self.number(child, where, "time")
                length = self.number(child, where, "duration")
                key = self.number(child, where, "key")
                if time is None or length is None or key is None:
                    continue
                velocity = self.number(child, where, "vel")
                yield (offset + time, length, int(key), 0.8 if velocity is None else velocity)
            elif child.tag == "Clip":
                yield from self._notes(child, offset + (self.number(child, where, "time") or 0.0), where)
            else:
                yield from self._notes(child, offset, where)

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


def _first_time_unit(lanes: etree._Element) -> str | None:
    for el in lanes.iter("Lanes", "Clips"):
        unit = el.get("timeUnit")
        if unit:
            return unit
    return None


def _tag_name(el: etree._Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else "?"
    if tag.startswith("{"):
        namespace, local = tag[1:].split("}", 1)
        return f"{local} xmlns={namespace!r}"
    return tag
