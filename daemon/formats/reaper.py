"""REAPER reader: a .RPP project (or an .rpp-bak backup, the same text) into a normalized Session.

An RPP file is line-oriented text: `<TAG args` opens a block, a line `>` closes it, any other
line is `KEY args`. Arguments are separated by spaces; one that holds spaces is quoted with `"`,
`'` or a backtick, whichever the value does not contain. Plug-in state is base64 inside the plug-in's
block. The `rpp` package on PyPI (0.5, 2023) was looked at and not used: it is a PLY grammar whose
recursion follows the nesting, with no cap on line length or depth, over a dependency (ply) last
released in 2018; the tokenizer here is a loop with an explicit stack.

Caps (hostile input, ../shared/research/reliability-anchors.md section 1), each a ParseError:
- a file over MAX_FILE_BYTES (256 MiB);
- a line over MAX_LINE_CHARS (1 MiB; REAPER wraps base64 at 128 characters, its longest lines
  are notes and JS parameter lines of a few KB);
- blocks nested deeper than MAX_DEPTH (64; REAPER writes at most about 6 levels);
- a first line that is not `<REAPER_PROJECT`, a `>` with no open block, a file that ends inside a
  block (a truncated save), or text after the project's closing `>`.
Bytes that are not UTF-8 (REAPER before 4.x wrote the system code page) are read as Windows-1252,
with a problem saying so. A number that is NaN, infinite or not a number is a problem of the
session and the value is left at its default.

Mapping (field layouts as REAPER 5-7 write them; the corpus under ../shared/corpus/reaper shows each):
- `TEMPO bpm num den` -> tempo_bpm, time_signature; `<TEMPOENVEX` points -> tempo_automation.
  REAPER's timeline is in seconds: time_unit "seconds" (items, envelope points, markers).
- `MARKER idx time name flags ...` -> markers (a region, flags bit 1, is one marker at its start).
- The master (MASTER_VOLUME, MASTERMUTESOLO, MASTER_FX, <MASTERFXLIST>, master envelopes) ->
  a track "Master" of role master, first.
- `<TRACK`: NAME (an unnamed track is "Track N", as REAPER lists it), `VOLPAN vol pan ...` (linear
  gain -> volume_db, pan -1..+1), `MUTESOLO mute solo ...`, NCHAN, `ISBUS mode delta` (delta > 0
  opens a folder: later tracks nest in it as children; delta < 0 closes that many) -> role group.
  A folder's children feed it (Channel.output) while MAINSEND is on. The pan law (VOLPAN's 4th
  field) has no place in the model and is not kept.
- `AUXRECV src mode vol pan mute ...` on the receiving track -> a Send on track `src` (0-based
  track index) to this track: level_db, pre_fader for mode 1 (pre-FX) and 3 (pre-fader), enabled
  = not muted, pan. A receiving track with no items of its own that is no folder is a return.
- `<FXCHAIN` (`<MASTERFXLIST` for the master): each `BYPASS bypass offline` line, then the
  plug-in block <VST (VST2; "VST3:" in its name is VST3; "VSTi:" an instrument), <AU, <CLAP, <JS,
  <LV2, <DX -> a Device: name (the user's alias where set), vendor from "(Vendor)", format
  vst2/vst3/au/clap (JS is REAPER's own: builtin), kind from the name (classify_plugin), enabled
  = not bypassed, not offline, and the chain not bypassed (`FX 0`), state_sha256 = sha256 of the
  decoded base64 state (JS: of <JS_SER>). JS slider values are kept as param.slider<N>.
  ReaEQ's state is documented by third-party converters (REW-to-ReaEQ presets: int32 version,
  int32 band count, per band int32 type, int32 enabled, f64 Hz, f64 linear gain, f64 bandwidth in
  octaves, u8) and is mapped to eq.band<N>.* (bandwidth -> Q) and eq.output_gain_db. ReaComp's
  state is its VST parameters as normalized floats whose curves Cockos does not document: it is
  hashed, not read; its threshold envelope (a linear amplitude) maps to comp.threshold_db.
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

import base64
import binascii
import hashlib
import math
import re
import struct
from dataclasses import dataclass, field, replace
from pathlib import Path

from daemon import units
from daemon.errors import ParseError
from daemon.formats.values import finite_or_problem, read_capped, shown
from daemon.model import (
    AutomationLane,
    Channel,
    Clip,
    Device,
    DeviceKind,
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
)

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_LINE_CHARS = 1024 * 1024
MAX_DEPTH = 64

_TOKEN = re.compile(r'"([^"]*)"|\'([^\']*)\'|`([^`]*)`|(\S+)')
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
_REAEQ_MAX_BANDS = 256
_JS_SLIDERS = 64
_VST2_MAGICS = (0xFEED5EEE, 0xFEED5EEF)

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


# -- the tokenizer ---------------------------------------------------------------------------------
@dataclass
class Node:
    """A block: its tag, the arguments of its opening line, and what it holds in file order:
    raw lines (stripped, not yet split) and child blocks."""

    tag: str
    args: list[str]
    items: list[str | Node] = field(default_factory=list)

    def lines(self) -> list[list[str]]:
        """The block's own lines, split into tokens."""
        return [tokens(item) for item in self.items if isinstance(item, str)]

    def first(self, key: str) -> list[str] | None:
        """The arguments of the first line starting with `key`, or None."""
        prefix = key + " "
        for item in self.items:
            if isinstance(item, str) and (item == key or item.startswith(prefix)):
                return tokens(item)[1:]
        return None

    def children(self, tag: str | None = None) -> list[Node]:
        return [item for item in self.items if isinstance(item, Node) and (tag is None or item.tag == tag)]


def tokens(line: str) -> list[str]:
    """A line's tokens, quotes removed. An unterminated quote runs to the next space."""
    return [next(g for g in m.groups() if g is not None) for m in _TOKEN.finditer(line)]


def parse_rpp(text: str, source: str | Path) -> Node:
    """Split RPP text into its block tree (caps in the module docstring). Raises ParseError."""
    root: Node | None = None
    stack: list[Node] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        if len(raw) > MAX_LINE_CHARS:
            raise ParseError(source, f"line {number} is {len(raw):,} characters, over the {MAX_LINE_CHARS:,} cap")
        line = raw.strip()
        if not line:
            continue
        if root is not None and not stack:
            raise ParseError(source, f"line {number}: text after the project's closing '>'")
        if line[0] == "<":
            parts = tokens(line[1:])
            node = Node(parts[0] if parts else "", parts[1:])
            if root is None:
                if node.tag != "REAPER_PROJECT":
                    raise ParseError(source, f"not a REAPER project: the first block is <{shown(node.tag)}>")
                root = node
            else:
                if len(stack) >= MAX_DEPTH:
                    raise ParseError(source, f"line {number}: blocks nested deeper than {MAX_DEPTH}")
                stack[-1].items.append(node)
            stack.append(node)
        elif root is None:
            raise ParseError(source, f"not a REAPER project: it starts with {shown(line)}, not <REAPER_PROJECT")
        elif line == ">":
            stack.pop()
        else:
            stack[-1].items.append(line)
    if root is None:
        raise ParseError(source, "empty: no <REAPER_PROJECT block")
    if stack:
        raise ParseError(source, f"ends inside <{stack[-1].tag}> (a truncated save?)")
    return root


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
        build = _TrackBuild(name="Master", role="master")
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
            self._fx_chain(chain, index, chain_on)
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
        build = _TrackBuild(name=name)
        index = self._add(build)
        where = f"track {name!r}"
        volpan = el.first("VOLPAN") or []
        mutesolo = el.first("MUTESOLO") or []
        nchan = el.first("NCHAN")
        main_send = el.first("MAINSEND")
        build.main_send = not main_send or main_send[0] != "0"
        build.channel = Channel(
            volume_db=self._volume(volpan, 0, f"{where} volume"),
            pan=self._number(volpan, 1, f"{where} pan") or 0.0,
            mute=bool(mutesolo) and mutesolo[0] not in ("0", ""),
            solo=len(mutesolo) > 1 and mutesolo[1] not in ("0", ""),
            audio_channels=int(nchan[0]) if nchan and nchan[0].isdigit() else None,
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
                self._fx_chain(item, index, chain_on)
            elif item.tag == "ITEM":
                self._item(item, index)
            elif item.tag in _TRACK_ENVELOPES:
                term, kind = _TRACK_ENVELOPES[item.tag]
                self._lane(index, item, term, None, kind)
            elif item.tag in _SEND_ENVELOPES and receive is not None:
                receive[1].append(item)
        if any(tag.startswith(("VSTi", "VST3i", "AUi", "CLAPi")) for tag in _plugin_names(el)):
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
            if build.parent is not None and build.main_send:
                build.channel = replace(build.channel, output=self.builds[build.parent].name)

    # -- devices -------------------------------------------------------------------------------
    def _fx_chain(self, chain: Node, index: int, chain_on: bool) -> None:
        bypass: list[str] = []
        current: Device | None = None
        plugin = ""
        position = -1
        for item in chain.items:
            if isinstance(item, str):
                if item.startswith("BYPASS"):
                    bypass = tokens(item)[1:]
                continue
            if item.tag in _PLUGIN_TAGS:
                enabled = chain_on and not any(flag not in ("0", "") for flag in bypass[:2])
                current = self._device(item, index, enabled)
                plugin = _plugin_name(item)
                self.builds[index].devices.append(current)
                position = len(self.builds[index].devices) - 1
                bypass = []
            elif current is not None and item.tag == "JS_SER":
                current = replace(current, state_sha256=self._state_hash(item, index, current.name))
                self.builds[index].devices[position] = current
            elif current is not None and item.tag == "PARMENV":
                self._param_envelope(item, index, current, plugin)

    def _device(self, el: Node, index: int, enabled: bool) -> Device:
        where = f"track {self.builds[index].name!r}"
        if el.tag == "JS":
            path = el.args[0] if el.args else "(unnamed JS)"
            alias = el.args[1] if len(el.args) > 1 else ""
            name = alias or path
            lines = el.lines()
            sliders = self._js_params(lines[0] if lines else [], f"{where}, device {name!r}")
            return Device(
                kind=_kind(path, name),
                name=name,
                format="builtin",
                plugin_id=path,
                vendor=None,
                enabled=enabled,
                params=canonical_params(sliders),
            )
        full = el.args[0] if el.args else el.tag
        prefix = _PREFIX.match(full)
        kind_word = prefix.group("kind") if prefix else el.tag
        plugin, vendor = _split_vendor(el)
        alias_index = {"VST": 3, "AU": 2, "CLAP": 2, "LV2": 2, "DX": 2}.get(el.tag, 2)
        alias = el.args[alias_index] if len(el.args) > alias_index else ""
        name = alias or plugin
        ident = el.args[4] if el.tag == "VST" and len(el.args) > 4 else (el.args[1] if len(el.args) > 1 else None)
        state = _decode_state(el)
        where = f"{where}, device {name!r}"
        if state is None:
            self.problems.append(f"{where}: plug-in state is not valid base64; hashed as text")
        params: dict[str, ParamValue] = {}
        if plugin == "ReaEQ" and state is not None:
            self._reaeq(state, params, where)
        raw = state if state is not None else "\n".join(i for i in el.items if isinstance(i, str)).encode()
        return Device(
            kind=_kind(plugin, name),
            name=name,
            format=_FORMATS.get(kind_word[:-1] if kind_word.endswith("i") else kind_word, "vst2"),
            plugin_id=ident or None,
            vendor=vendor,
            role="instrument" if kind_word.endswith("i") else "audioFX",
            enabled=enabled,
            params=canonical_params(params),
            state_sha256=hashlib.sha256(raw).hexdigest() if raw else None,
        )

    def _js_params(self, values: list[str], where: str) -> dict[str, ParamValue]:
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
                self.problems.append(f"{where} slider{slot}: value {shown(text)} is not a finite number; ignored")
        return params

    def _reaeq(self, state: bytes, params: dict[str, ParamValue], where: str) -> None:
        chunk = _vst2_chunk(state)
        if chunk is None or len(chunk) < 8:
            self.problems.append(f"{where}: ReaEQ state has no readable chunk; bands not read")
            return
        count = struct.unpack_from("<i", chunk, 4)[0]
        band_size = 33
        if not 0 <= count <= _REAEQ_MAX_BANDS or 8 + count * band_size > len(chunk):
            self.problems.append(f"{where}: ReaEQ state claims {count} bands in {len(chunk)} bytes; bands not read")
            return
        for number in range(1, count + 1):
            offset = 8 + (number - 1) * band_size
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
                self.problems.append(f"{where} band {number}: a value is not a finite number; band values ignored")
                continue
            params[f"{prefix}.freq_hz"] = freq
            if type_name not in ("lowpass", "highpass", "bandpass", "notch"):
                params[f"{prefix}.gain_db"] = units.linear_to_db(gain)
            if bandwidth > 0.0:
                ratio = 2.0**bandwidth
                params[f"{prefix}.q"] = math.sqrt(ratio) / (ratio - 1.0)
        tail = 8 + count * band_size
        if len(chunk) >= tail + 16:
            output = struct.unpack_from("<d", chunk, tail + 8)[0]
            if math.isfinite(output):
                params["eq.output_gain_db"] = units.linear_to_db(output)

    def _state_hash(self, el: Node, index: int, device: str) -> str:
        state = _decode_state(el)
        if state is None:
            self.problems.append(f"track {self.builds[index].name!r}, device {device!r}: state is not base64")
            state = "\n".join(i for i in el.items if isinstance(i, str)).encode()
        return hashlib.sha256(state).hexdigest()

    def _param_envelope(self, el: Node, index: int, device: Device, plugin: str) -> None:
        ident = el.args[0] if el.args else ""
        number, _, raw_name = ident.partition(":")
        display = el.args[4] if len(el.args) > 4 else ""
        label = display.split(" / ")[0] if display else raw_name.lstrip("_")
        kind = "plain"
        if plugin == "ReaComp" and number == "0":  # Thresh, a linear amplitude (range 0..2)
            term, kind = "comp.threshold_db", "volume"
        elif device.format == "builtin" and not label and number.isdigit():
            sliders = sorted(int(k.removeprefix("param.slider")) for k, _ in device.params)
            term = f"param.slider{sliders[int(number)]}" if int(number) < len(sliders) else f"param.{number}"
        else:
            term = f"param.{label or number}"
        self._lane(index, el, term, device.name, kind)

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
        )


# -- helpers ---------------------------------------------------------------------------------------
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
    return _split_vendor(el)[0]


def _plugin_names(track: Node) -> list[str]:
    return [
        p.args[0] for chain in track.children("FXCHAIN") for p in chain.children() if p.tag in _PLUGIN_TAGS and p.args
    ]


def _kind(plugin: str, name: str) -> DeviceKind:
    """What a plug-in does: REAPER's own by name, others by the words of their name or alias."""
    if plugin in _COCKOS_KINDS:
        return _COCKOS_KINDS[plugin]
    kind = classify_plugin(plugin)
    return kind if kind != "plugin" else classify_plugin(name)


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


def _vst2_chunk(state: bytes) -> bytes | None:
    """The plug-in's own chunk inside REAPER's VST2 state header: 4CC, magic, input and output
    pin counts each followed by 8-byte pin masks, the chunk size, 8 bytes of flags, the chunk."""
    try:
        magic = struct.unpack_from("<I", state, 4)[0]
        if magic not in _VST2_MAGICS:
            return None
        offset = 8
        for _ in range(2):
            pins = struct.unpack_from("<i", state, offset)[0]
            if not 0 <= pins <= 1024:
                return None
            offset += 4 + 8 * pins
        size = struct.unpack_from("<i", state, offset)[0]
        start = offset + 4 + 8
        if size < 0 or start + size > len(state):
            return None
        return state[start : start + size]
    except struct.error:
        return None


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
