"""Ableton Live reader: a .als set (gzip-compressed XML, also its Backup/ copies) into a Session.

The file is inflated with hard caps checked while inflating (a gzip bomb stops at the cap, not
after), then parsed by the hardened `guard.parse_xml`. A set stored as plain XML (as git-based
workflows for Live keep them, and Live opens) is read the same way, under the same size cap. What is read, and how (element names as
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
| `AutomationEnvelopes` (`PointeeId` -> the parameter's  | AutomationLane (times in beats; the    |
| `AutomationTarget Id`; Float/Bool/EnumEvent)           | value-before-the-song event dropped)   |
| arrangement `AudioClip` (Time, CurrentStart/End,       | Clip (beats); the reference is data,   |
| `SampleRef/FileRef` RelativePath/Path, SampleVolume,   | never opened                           |
| `Fades`, `Disabled`)                                   |                                        |
| arrangement `MidiClip` (its KeyTracks' MidiKey and     | Clip with no file and its notes        |
| MidiNoteEvents: Time, Duration, Velocity, IsEnabled)   | (velocity / 127)                       |

Devices, their parameters and how parameter values map to standard terms are read by
`ableton_devices.py`.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from daemon.errors import ParseError
from daemon.formats.ableton_devices import (
    ParamReader,
    Target,
    manual,
    point_value,
    read_devices,
    track_name,
    value_of,
)
from daemon.formats.guard import LIMITS, parse_xml
from daemon.formats.values import read_capped
from daemon.sessions import units
from daemon.sessions.model import (
    AutomationLane,
    Channel,
    Clip,
    Device,
    Send,
    Session,
    Track,
    TrackRole,
    canonical_clips,
    canonical_lanes,
    canonical_sends,
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
_CREATOR = re.compile(r"^Ableton Live\s*(.*)$")


def read_ableton(path: str | Path, name: str | None = None) -> Session:
    """Read an Ableton Live set (.als: gzip-compressed XML, or plain XML). Raises ParseError naming
    the file."""
    path = Path(path)
    data = read_capped(path, MAX_INFLATED_BYTES, "an Ableton Live set") if _plain_xml(path) else inflate(path)
    root = parse_xml(data, path)
    if not isinstance(root.tag, str) or root.tag != "Ableton" or root.find("LiveSet") is None:
        tag = root.tag if isinstance(root.tag, str) else "?"
        raise ParseError(path, f"not an Ableton Live set: the root element is <{tag}>, not <Ableton> with a <LiveSet>")
    return _Reader(path, root, name if name is not None else path.stem).session()


def _plain_xml(path: Path) -> bool:
    """Whether the file starts as XML does (a BOM and white space allowed), not as gzip."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise ParseError(path, f"cannot be opened ({exc.strerror or exc})") from None
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def inflate(path: Path) -> bytes:
    """The XML inside a gzip file, inflated chunk by chunk with the size and ratio caps checked
    as it grows: a bomb is refused at the cap, never inflated whole."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise ParseError(path, f"cannot be opened ({exc.strerror or exc})") from None
    with fh:
        if fh.read(2) != GZIP_MAGIC:
            raise ParseError(path, "neither gzip-compressed nor XML (an Ableton Live set is gzip-compressed XML)")
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
        self.values = ParamReader(self.problems)
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
            self._add_build(el, track_name(el), role, content)
        self.returns = [b.name for b in self.builds if b.role == "return"]
        if master is not None:
            self._add_build(master, track_name(master, "Master"), "master", ("audio",))
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

    def _nest(self) -> list[int]:
        """Put each track in the group its TrackGroupId names; the others are at the top."""
        top = []
        for index, build in enumerate(self.builds):
            group = value_of(build.el.find("TrackGroupId"))
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
            build.devices = read_devices(self.values, index, build.name, devices_el)
        events = chain.find("MainSequencer/Sample/ArrangerAutomation/Events")
        if events is not None:
            for clip_el in events.iterchildren("AudioClip"):
                clip = self._clip(clip_el, build.name)
                if clip is not None:
                    build.clips.append(clip)
        notes = chain.find("MainSequencer/ClipTimeable/ArrangerAutomation/Events")
        if notes is not None:
            build.clips.extend(self._note_clip(clip_el, build.name) for clip_el in notes.iterchildren("MidiClip"))

    def _channel(self, index: int, mixer: etree._Element, chain: etree._Element) -> Channel:
        where = f"track {self.builds[index].name!r}"
        volume: float | None = 0.0
        vol_el = mixer.find("Volume")
        if vol_el is not None:
            value = self.values.converted(vol_el, "fader", f"{where} volume")
            volume = value if isinstance(value, float) or value is None else 0.0
            self.values.target(vol_el, index, "volume_db", None, "fader")
        pan = 0.0
        pan_el = mixer.find("Pan")
        if pan_el is not None:
            value = self.values.converted(pan_el, "plain", f"{where} pan")
            pan = max(-1.0, min(1.0, value)) if isinstance(value, float) else 0.0
            self.values.target(pan_el, index, "pan", None, "plain")
        speaker = mixer.find("Speaker")
        mute = False
        if speaker is not None:
            mute = self.values.converted(speaker, "bool", f"{where} speaker") is False
            self.values.target(speaker, index, "mute", None, "mute")
        return Channel(
            volume_db=volume,
            pan=pan,
            mute=mute,
            solo=(value_of(mixer.find("SoloSink")) or "").lower() == "true",
            output=self._output(index, chain),
        )

    def _output(self, index: int, chain: etree._Element) -> str | None:
        target = value_of(chain.find("AudioOutputRouting/Target")) or ""
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
                value = self.values.converted(send_el, "fader", f"{where} send to {target!r}")
                level = value if isinstance(value, float) else None
                self.values.target(send_el, index, f"send.{target}.level_db", None, "fader")
            active = (value_of(holder.find("Active")) or "true").lower() == "true"
            sends.append(Send(target=target, level_db=level, enabled=active))
        return sends

    # -- transport and automation -----------------------------------------------------------
    def _transport(self, master: etree._Element | None) -> tuple[float | None, tuple[int, int] | None]:
        mixer = master.find("DeviceChain/Mixer") if master is not None else None
        if mixer is None:
            return None, None
        tempo = None
        tempo_el = mixer.find("Tempo")
        if tempo_el is not None:
            tempo = self.values.number(manual(tempo_el), "tempo")
            at = tempo_el.find("AutomationTarget")
            self.tempo_id = at.get("Id") if at is not None else None
        signature = None
        sig_el = mixer.find("TimeSignature")
        if sig_el is not None:
            code = self.values.number(manual(sig_el), "time signature")
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
            ref = value_of(env.find("EnvelopeTarget/PointeeId"))
            events = env.find("Automation/Events")
            if ref is None or events is None:
                continue
            if ref == self.tempo_id:
                tempo = self._points(events, None, "tempo automation")
                continue
            target = self.values.targets.get(ref)
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

    def _points(self, events: etree._Element, target: Target | None, where: str) -> tuple[tuple[float, float], ...]:
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
            points.append((time, point_value(target, value)))
        if bad:
            self.problems.append(f"{where}: {bad} event(s) with a missing or non-finite time or value; ignored")
        return tuple(sorted(points))

    # -- clips -------------------------------------------------------------------------------
    def _clip(self, el: etree._Element, track: str) -> Clip | None:
        file_ref = el.find("SampleRef/FileRef")
        reference = _file_reference(file_ref) if file_ref is not None else None
        if not reference:
            self.problems.append(f"track {track!r}: an audio clip with no sample reference; ignored")
            return None
        where = f"track {track!r} clip {reference!r}"
        start = self.values.number(value_of(el.find("CurrentStart")), where)
        end = self.values.number(value_of(el.find("CurrentEnd")), where)
        if start is None:
            start = self.values.number(el.get("Time"), where) or 0.0
        duration = (end - start) if end is not None else 0.0
        gain = self.values.number(value_of(el.find("SampleVolume")), f"{where} gain")
        gain_db = units.SILENCE_DB if gain is not None and gain <= 0.0 else units.linear_to_db(gain or 1.0)
        return Clip(
            file=reference,
            position=start,
            duration=duration,
            name=value_of(el.find("Name")) or "",
            gain_db=gain_db if gain_db is not None else units.SILENCE_DB,
            fade_in=self.values.number(value_of(el.find("Fades/FadeInLength")), f"{where} fade in") or 0.0,
            fade_out=self.values.number(value_of(el.find("Fades/FadeOutLength")), f"{where} fade out") or 0.0,
            play_start=self.values.number(value_of(el.find("Loop/LoopStart")), f"{where} start") or 0.0,
            enabled=(value_of(el.find("Disabled")) or "false").lower() != "true",
        )

    def _note_clip(self, el: etree._Element, track: str) -> Clip:
        """An arrangement MidiClip: its place and its notes (KeyTrack's MidiKey, each enabled
        MidiNoteEvent's Time from the clip's start, Duration, Velocity 0..127 as 0..1)."""
        name = value_of(el.find("Name")) or ""
        where = f"track {track!r} note clip {name!r}"
        start = self.values.number(value_of(el.find("CurrentStart")), where)
        end = self.values.number(value_of(el.find("CurrentEnd")), where)
        if start is None:
            start = self.values.number(el.get("Time"), where) or 0.0
        notes: list[tuple[float, float, int, float]] = []
        for key_track in el.iterfind("Notes/KeyTracks/KeyTrack"):
            key = self.values.number(value_of(key_track.find("MidiKey")), f"{where} key")
            if key is None:
                continue
            for event in key_track.iterfind("Notes/MidiNoteEvent"):
                if (event.get("IsEnabled") or "true").lower() == "false":
                    continue
                time = self.values.number(event.get("Time"), f"{where} note time")
                length = self.values.number(event.get("Duration"), f"{where} note duration")
                velocity = self.values.number(event.get("Velocity"), f"{where} note velocity")
                if time is not None and length is not None:
                    notes.append((time, length, int(key), (velocity if velocity is not None else 100.0) / 127.0))
        return Clip(
            file="",
            position=start,
            duration=(end - start) if end is not None else 0.0,
            name=name,
            play_start=self.values.number(value_of(el.find("Loop/LoopStart")), f"{where} start") or 0.0,
            enabled=(value_of(el.find("Disabled")) or "false").lower() != "true",
            notes=tuple(sorted(notes)),
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
            uid=b.el.get("Id"),
        )


def _file_reference(file_ref: etree._Element) -> str | None:
    """The sample a clip plays, as written: RelativePath as a Value (Live 11+) or as Dir
    elements with a Name (Live 9-10); else the absolute Path."""
    rel = file_ref.find("RelativePath")
    if rel is not None:
        if rel.get("Value"):
            return rel.get("Value")
        dirs = [d.get("Dir") or "" for d in rel.iterchildren("RelativePathElement")]
        file_name = value_of(file_ref.find("Name"))
        if file_name:
            return "/".join([*dirs, file_name])
    return value_of(file_ref.find("Path")) or value_of(file_ref.find("Name"))


def _time_signature(code: int) -> tuple[int, int] | None:
    """Live's time-signature enum: numerator - 1 + 99 * log2(denominator)."""
    if code < 0:
        return None
    power, numerator = divmod(code, 99)
    return (numerator + 1, 2**power) if power <= 5 else None
