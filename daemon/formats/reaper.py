"""REAPER reader: a .RPP project (or an .rpp-bak backup, the same text) into a normalized Session.

The RPP text syntax (tokenizer, block tree, the caps on size, line length and depth) is in
daemon.formats.rpp; plug-in blocks become Devices in daemon.formats.reaper_plugins.
Bytes that are not UTF-8 (REAPER before 4.x wrote the system code page) are read as Windows-1252,
with a problem saying so. A number that is NaN, infinite or not a number is a problem of the
session and the value is left at its default.

Mapping (field layouts as REAPER 5-7 write them; the corpus under ../shared/corpus/reaper shows each):
- `TEMPO bpm num den` -> tempo_bpm, time_signature; `<TEMPOENVEX` points -> tempo_automation.
  REAPER's timeline is in seconds: time_unit "seconds" (items, envelope points, markers).
- `MARKER idx time name flags ...` -> markers (a region, flags bit 1, is one marker at its start).
- The master (MASTER_VOLUME, MASTERMUTESOLO, MASTER_FX, <MASTERFXLIST>, master envelopes) ->
  a track "Master" of role master, first.
- `<TRACK`: TRACKID (the GUID REAPER keeps for the track across saves, also the block's argument)
  -> uid, NAME (an unnamed track is "Track N", as REAPER lists it), `VOLPAN vol pan ...` (linear
  gain -> volume_db, pan -1..+1), `MUTESOLO mute solo ...`, NCHAN, `ISBUS mode delta` (delta > 0
  opens a folder: later tracks nest in it as children; delta < 0 closes that many) -> role group.
  `MAINSEND on offset` -> Channel.main_send (the master/parent send; REAPER keeps no level of its
  own for it: the fader is its level). A folder's children name it as their output (Channel.output),
  their MAINSEND saying whether that send is on. The pan law (VOLPAN's 4th
  field) has no place in the model and is not kept.
- `AUXRECV src mode vol pan mute ...` on the receiving track -> a Send on track `src` (0-based
  track index) to this track: level_db, pre_fader for mode 1 (pre-FX) and 3 (pre-fader), enabled
  = not muted, pan. A receiving track with no items of its own that is no folder is a return.
- `<FXCHAIN` (`<MASTERFXLIST` for the master): each `BYPASS bypass offline` line, then the
  plug-in block <VST, <AU, <CLAP, <JS, <LV2, <DX -> a Device (read_fx_chain in reaper_plugins),
  enabled = not bypassed, not offline, and the chain not bypassed (`FX 0`).
- Envelopes: VOLENV2/PANENV2/MUTEENV -> volume_db/pan/mute lanes; VOLENV/PANENV (pre-FX) ->
  pre_fx.volume_db/pre_fx.pan; VOLENV3 (trim) -> trim.volume_db; AUXVOLENV/AUXPANENV/
  AUXMUTEENV after an AUXRECV -> send.<this track>.level_db/pan/enabled on the sending track;
  PARMENV after a plug-in -> a lane of that device, named by the parameter's name (raw values).
  `PT time value shape ...` points: volume as linear gain to dB (a VOLTYPE 1, fader-scaled,
  envelope whose values exceed 2 is not converted: a problem), pan negated (REAPER's pan
  envelopes run +1 left .. -1 right), mute 1 = muted. An envelope switched off (ACT 0) is skipped.
  Interpolation is "hold" when every point is square (shape 1).
- `<ITEM`: POSITION, LENGTH, MUTE, FADEIN/FADEOUT (the auto-crossfade length where set), the
  active take's NAME, SOFFS and <SOURCE ... FILE "path"> (nested sources such as SECTION are
  followed), VOLPAN item gain x take gain -> a Clip. Sources without a file (MIDI, EMPTY) make no clip.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from daemon.errors import ParseError
from daemon.formats.reaper_plugins import plugin_names, read_fx_chain
from daemon.formats.rpp import MAX_FILE_BYTES, Node, parse_rpp, tokens
from daemon.formats.values import finite_or_problem, read_capped, shown
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

MASTER_UID = "master"  # the master has no TRACKID: there is one per project

# Track envelope blocks -> (term, kind of value).
_TRACK_ENVELOPES: dict[str, tuple[str, str]] = {
    "VOLENV2": ("volume_db", "volume"),
    "PANENV2": ("pan", "pan"),
    "MUTEENV": ("mute", "mute"),
    "VOLENV": ("pre_fx.volume_db", "volume"),
    "PANENV": ("pre_fx.pan", "pan"),
    "VOLENV3": ("trim.volume_db", "volume"),
}
_MASTER_ENVELOPES = {f"MASTER{tag}": value for tag, value in _TRACK_ENVELOPES.items()}
_SEND_ENVELOPES: dict[str, tuple[str, str]] = {
    "AUXVOLENV": ("level_db", "volume"),
    "AUXPANENV": ("pan", "pan"),
    "AUXMUTEENV": ("enabled", "mute"),
}


# -- the reader ------------------------------------------------------------------------------------
def read_reaper(path: str | Path, name: str | None = None) -> Session:
    """Read a REAPER .RPP project or .rpp-bak backup. Raises ParseError naming the file."""
    path = Path(path)
    data = read_capped(path, MAX_FILE_BYTES, "a REAPER project")
    return parse_reaper_bytes(data, path, name if name is not None else path.stem)


def parse_reaper_bytes(data: bytes, source: str | Path, name: str) -> Session:
    """Read RPP bytes already in memory."""
    if len(data) > MAX_FILE_BYTES:
        raise ParseError(source, f"{len(data):,} bytes is over the {MAX_FILE_BYTES:,} cap for a REAPER project")
    problems: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("cp1252", errors="replace")
        problems.append(f"not UTF-8 (byte {exc.start:,}); read as Windows-1252")
    return _Reader(parse_rpp(text, source), name, problems).session()


@dataclass
class _TrackBuild:
    name: str
    role: TrackRole = "audio"
    channel: Channel = field(default_factory=Channel)
    devices: list[Device] = field(default_factory=list)
    lanes: dict[tuple[str, str], AutomationLane] = field(default_factory=dict)
    clips: list[Clip] = field(default_factory=list)
    content: set[str] = field(default_factory=set)
    sends: list[Send] = field(default_factory=list)
    children: list[int] = field(default_factory=list)
    parent: int | None = None
    receives: list[tuple[list[str], list[Node]]] = field(default_factory=list)
    main_send: bool = True
    uid: str | None = None
    auto_name: bool = False


@dataclass
class _Take:
    name: str | None = None
    volpan: list[str] | None = None
    soffs: list[str] | None = None
    source: Node | None = None


class _Reader:
    def __init__(self, root: Node, name: str, problems: list[str]) -> None:
        self.root = root
        self.name = name
        self.problems = problems
        self.builds: list[_TrackBuild] = []

    def session(self) -> Session:
        root = self.root
        tempo_bpm, signature = None, None
        tempo = root.first("TEMPO")
        if tempo:
            tempo_bpm = self._number(tempo, 0, "TEMPO")
            if len(tempo) >= 3 and tempo[1].isdigit() and tempo[2].isdigit():
                signature = (int(tempo[1]), int(tempo[2]))
        tempo_points: tuple[tuple[float, float], ...] = ()
        for env in root.children("TEMPOENVEX"):
            lane = self._envelope(env, "tempo_bpm", None, "plain", "tempo envelope")
            tempo_points = lane.points if lane is not None else ()
        master = self._master()
        top = self._tracks()
        self._resolve_sends()
        return Session(
            name=self.name,
            application="REAPER",
            application_version=root.args[1] if len(root.args) > 1 else "",
            tempo_bpm=tempo_bpm,
            time_signature=signature,
            time_unit="seconds",
            tracks=(self._freeze(master), *(self._freeze(i) for i in top)),
            markers=self._markers(),
            tempo_automation=tempo_points,
            problems=tuple(self.problems),
        )

    # -- values --------------------------------------------------------------------------------
    def _number(self, args: list[str], index: int, where: str) -> float | None:
        """The finite number at args[index]; None (and a problem) for NaN, inf or junk."""
        if index >= len(args):
            return None
        return finite_or_problem(args[index], where, self.problems)

    def _volume(self, args: list[str], index: int, where: str) -> float | None:
        gain = self._number(args, index, where)
        if gain is None:
            return 0.0
        return units.linear_to_db(gain)

    # -- session level -------------------------------------------------------------------------
    def _markers(self) -> tuple[Marker, ...]:
        markers: list[Marker] = []
        regions: set[str] = set()
        for item in self.root.items:
            if not isinstance(item, str) or not item.startswith("MARKER "):
                continue
            args = tokens(item)[1:]
            time = self._number(args, 1, "MARKER")
            if time is None:
                continue
            flags = int(args[3]) if len(args) > 3 and args[3].isdigit() else 0
            if flags & 1:
                if args[0] in regions:  # a region's end line
                    continue
                regions.add(args[0])
            markers.append(Marker(name=args[2] if len(args) > 2 else "", time=time))
        return canonical_markers(markers)

    def _master(self) -> int:
        root = self.root
        build = _TrackBuild(name="Master", role="master", uid=MASTER_UID)
        index = self._add(build)
        where = "track 'Master'"
        volpan = root.first("MASTER_VOLUME") or []
        mutesolo = root.first("MASTERMUTESOLO") or []
        flags = int(mutesolo[0]) if mutesolo and mutesolo[0].isdigit() else 0
        nch = root.first("MASTER_NCH")
        build.channel = Channel(
            volume_db=self._volume(volpan, 0, f"{where} volume"),
            pan=self._number(volpan, 1, f"{where} pan") or 0.0,
            mute=bool(flags & 1),
            solo=bool(flags & 2),
            audio_channels=int(nch[0]) if nch and nch[0].isdigit() else None,
        )
        fx = root.first("MASTER_FX")
        chain_on = not fx or fx[0] != "0"
        for chain in root.children("MASTERFXLIST"):
            self._devices(chain, index, chain_on)
        for env in root.children():
            if env.tag in _MASTER_ENVELOPES:
                term, kind = _MASTER_ENVELOPES[env.tag]
                self._lane(index, env, term, None, kind)
        return index

    # -- tracks --------------------------------------------------------------------------------
    def _add(self, build: _TrackBuild) -> int:
        self.builds.append(build)
        return len(self.builds) - 1

    def _tracks(self) -> list[int]:
        """Read every <TRACK> in order and nest them by their ISBUS folder depth."""
        top: list[int] = []
        open_folders: list[int] = []
        for number, el in enumerate(self.root.children("TRACK"), start=1):
            index = self._track(el, number)
            build = self.builds[index]
            if open_folders:
                build.parent = open_folders[-1]
                self.builds[open_folders[-1]].children.append(index)
            else:
                top.append(index)
            isbus = el.first("ISBUS") or []
            delta = int(isbus[1]) if len(isbus) > 1 and _is_int(isbus[1]) else 0
            if delta > 0:
                build.role = "group"
                open_folders.append(index)
                if delta > 1:
                    self.problems.append(f"track {build.name!r}: ISBUS opens {delta} folders at once; read as one")
            elif delta < 0:
                if -delta > len(open_folders):
                    self.problems.append(
                        f"track {build.name!r}: ISBUS closes {-delta} folder(s), {len(open_folders)} open; closed all"
                    )
                del open_folders[max(0, len(open_folders) + delta) :]
        return top

    def _track(self, el: Node, number: int) -> int:
        name_args = el.first("NAME")
        name = name_args[0] if name_args and name_args[0] else f"Track {number}"
        build = _TrackBuild(name=name, auto_name=not (name_args and name_args[0]))
        index = self._add(build)
        where = f"track {name!r}"
        volpan = el.first("VOLPAN") or []
        mutesolo = el.first("MUTESOLO") or []
        nchan = el.first("NCHAN")
        main_send = el.first("MAINSEND")
        build.main_send = not main_send or main_send[0] != "0"
        track_id = el.first("TRACKID")
        build.uid = track_id[0] if track_id and track_id[0] else (el.args[0] if el.args else None)
        build.channel = Channel(
            volume_db=self._volume(volpan, 0, f"{where} volume"),
            pan=self._number(volpan, 1, f"{where} pan") or 0.0,
            mute=bool(mutesolo) and mutesolo[0] not in ("0", ""),
            solo=len(mutesolo) > 1 and mutesolo[1] not in ("0", ""),
            audio_channels=int(nchan[0]) if nchan and nchan[0].isdigit() else None,
            main_send=build.main_send,
        )
        fx = el.first("FX")
        chain_on = not fx or fx[0] != "0"
        receive: tuple[list[str], list[Node]] | None = None
        for item in el.items:
            if isinstance(item, str):
                if item.startswith("AUXRECV "):
                    receive = (tokens(item)[1:], [])
                    build.receives.append(receive)
                continue
            if item.tag == "FXCHAIN":
                self._devices(item, index, chain_on)
            elif item.tag == "ITEM":
                self._item(item, index)
            elif item.tag in _TRACK_ENVELOPES:
                term, kind = _TRACK_ENVELOPES[item.tag]
                self._lane(index, item, term, None, kind)
            elif item.tag in _SEND_ENVELOPES and receive is not None:
                receive[1].append(item)
        if any(tag.startswith(("VSTi", "VST3i", "AUi", "CLAPi")) for tag in plugin_names(el)):
            build.role = "instrument"
        elif build.receives and not build.clips:
            build.role = "return"
        return index

    def _resolve_sends(self) -> None:
        """Turn each AUXRECV (a receive on the target) into a Send on its source track."""
        tracks = self.builds[1:]  # AUXRECV counts tracks from 0, the master not included
        for target in tracks:
            where = f"track {target.name!r}"
            for args, envelopes in target.receives:
                source_index = int(args[0]) if args and args[0].isdigit() else -1
                if not 0 <= source_index < len(tracks):
                    self.problems.append(
                        f"{where}: a receive from track {shown(args[0] if args else None)}, no track; ignored"
                    )
                    continue
                source = tracks[source_index]
                mode = args[1] if len(args) > 1 else "0"
                muted = len(args) > 4 and args[4] not in ("0", "")
                pan = self._number(args, 3, f"{where} receive pan")
                source.sends.append(
                    Send(
                        target=target.name,
                        level_db=self._volume(args, 2, f"{where} receive level"),
                        pre_fader=mode in ("1", "3"),
                        enabled=not muted,
                        pan=pan,
                    )
                )
                for env in envelopes:
                    leaf, kind = _SEND_ENVELOPES[env.tag]
                    self._lane(source_index + 1, env, f"send.{target.name}.{leaf}", None, kind)
        for build in self.builds:
            if build.parent is not None:  # whether the send to it is on is Channel.main_send
                build.channel = replace(build.channel, output=self.builds[build.parent].name)

    # -- devices -------------------------------------------------------------------------------
    def _devices(self, chain: Node, index: int, chain_on: bool) -> None:
        """An FX chain's devices onto the track, its parameter envelopes as lanes of the track."""
        where = f"track {self.builds[index].name!r}"
        devices = read_fx_chain(chain, chain_on, where, self.problems, partial(self._lane, index))
        self.builds[index].devices.extend(devices)

    # -- automation ----------------------------------------------------------------------------
    def _lane(self, index: int, el: Node, term: str, device: str | None, kind: str) -> None:
        where = f"track {self.builds[index].name!r} envelope {el.tag}"
        lane = self._envelope(el, term, device, kind, where)
        if lane is not None:
            self.builds[index].lanes[lane.key] = lane

    def _envelope(self, el: Node, term: str, device: str | None, kind: str, where: str) -> AutomationLane | None:
        act = el.first("ACT")
        if act and act[0] == "0":
            return None
        times: list[float] = []
        values: list[float] = []
        shapes: list[str] = []
        bad = 0
        for item in el.items:
            if not isinstance(item, str) or not item.startswith("PT "):
                continue
            parts = item.split()
            try:
                time, value = units.finite(parts[1]), units.finite(parts[2])
            except (ValueError, IndexError):
                bad += 1
                continue
            if time is None or value is None:
                bad += 1
                continue
            times.append(time)
            values.append(value)
            shapes.append(parts[3] if len(parts) > 3 else "0")
        if bad:
            self.problems.append(f"{where}: {bad} point(s) with a missing or non-finite time or value; ignored")
        if not times:
            return None
        voltype = el.first("VOLTYPE")
        if kind == "volume":
            if voltype and voltype[0] == "1" and max(values) > 2.0:
                self.problems.append(
                    f"{where}: fader-scaled volume envelope (VOLTYPE 1); values not converted, ignored"
                )
                return None
            converted = [_db_floor(v) for v in values]
        elif kind == "pan":
            converted = [-v for v in values]
        elif kind == "mute":
            converted = [1.0 if v >= 0.5 else 0.0 for v in values]
        else:
            converted = values
        if term.endswith(".enabled"):  # a send's mute envelope: 1 = muted = not enabled
            converted = [1.0 - v for v in converted]
        hold = kind == "mute" or all(shape == "1" for shape in shapes)
        points = tuple(sorted(zip(times, converted), key=lambda p: p[0]))
        return AutomationLane(target=term, device=device, points=points, interpolation="hold" if hold else "linear")

    # -- items ---------------------------------------------------------------------------------
    def _item(self, el: Node, index: int) -> None:
        where = f"track {self.builds[index].name!r} item"
        takes = [_Take()]
        active = 0
        for item in el.items:
            if isinstance(item, Node):
                if item.tag == "SOURCE" and takes[-1].source is None:
                    takes[-1].source = item
                continue
            key, _, rest = item.partition(" ")
            if key == "TAKE":
                takes.append(_Take())
                if "SEL" in rest.split():
                    active = len(takes) - 1
            elif key == "NAME" and takes[-1].name is None:
                parts = tokens(rest)
                takes[-1].name = parts[0] if parts else ""
            elif key == "VOLPAN" and takes[-1].volpan is None:
                takes[-1].volpan = tokens(rest)
            elif key == "SOFFS" and takes[-1].soffs is None:
                takes[-1].soffs = tokens(rest)
        take = takes[active]
        if take.source is None:
            return
        reference, source_type = _source_file(take.source)
        if reference is None:
            if source_type == "MIDI":
                self.builds[index].content.add("notes")
            return
        self.builds[index].content.add("audio")
        # The item's VOLPAN holds the item gain, then the first take's pan, gain and pan law;
        # a later take's own VOLPAN starts with its gain.
        item_gain = self._number(takes[0].volpan or [], 0, f"{where} volume")
        take_gain = self._number(take.volpan or [], 2 if active == 0 else 0, f"{where} take volume")
        gain = (1.0 if item_gain is None else item_gain) * (1.0 if take_gain is None else take_gain)
        mute = el.first("MUTE")
        self.builds[index].clips.append(
            Clip(
                file=reference,
                position=self._number(el.first("POSITION") or [], 0, f"{where} position") or 0.0,
                duration=self._number(el.first("LENGTH") or [], 0, f"{where} length") or 0.0,
                name=take.name or "",
                gain_db=_db_floor(gain),
                fade_in=self._fade(el.first("FADEIN"), f"{where} fade-in"),
                fade_out=self._fade(el.first("FADEOUT"), f"{where} fade-out"),
                play_start=self._number(take.soffs or [], 0, f"{where} start offset") or 0.0,
                enabled=not mute or mute[0] == "0",
            )
        )

    def _fade(self, args: list[str] | None, where: str) -> float:
        if not args:
            return 0.0
        length = self._number(args, 1, where) or 0.0
        auto = self._number(args, 2, where) if len(args) > 2 else None
        return auto if auto is not None and auto > 0.0 else length

    # -- freezing ------------------------------------------------------------------------------
    def _freeze(self, index: int) -> Track:
        b = self.builds[index]
        return Track(
            name=b.name,
            role=b.role,
            content_types=tuple(sorted(b.content)),
            channel=b.channel,
            sends=canonical_sends(b.sends),
            devices=tuple(b.devices),
            automation=canonical_lanes(list(b.lanes.values())),
            clips=canonical_clips(b.clips),
            children=tuple(self._freeze(i) for i in b.children),
            uid=b.uid,
            auto_name=b.auto_name,
        )


# -- helpers ---------------------------------------------------------------------------------------
def _source_file(source: Node) -> tuple[str | None, str]:
    """The FILE of a <SOURCE>, following nested sources (SECTION, REVERSE) to the first file."""
    stack = [source]
    kind = source.args[0] if source.args else ""
    while stack:
        node = stack.pop()
        file_args = node.first("FILE")
        if file_args:
            return file_args[0], kind
        stack.extend(reversed(node.children("SOURCE")))
    return None, kind


def _db_floor(gain: float) -> float:
    """Linear gain in dB, floored at SILENCE_DB (as automation points and clip gains are)."""
    db = units.linear_to_db(gain)
    return units.SILENCE_DB if db is None else max(db, units.SILENCE_DB)


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()
