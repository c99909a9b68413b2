"""What really changed between two saves, read without the project's readers, and how well the
differ says so: precision and recall of `daemon.sessions.diff` against an independent reference
over every consecutive pair of the real histories in ../shared/corpus/histories.

Run from the repo root: `python bench/differ_truth.py [--history NAME] [--show-misses]
[--show-facts] [--min 0.97]`. It prints, per history and in total: pairs, reference facts, our
facts, true positives, false positives and negatives, ours that the reference allows (implied or
undecided, below), precision tp/(tp+fp) and recall tp/(tp+fn), on the mix facts, then on the clip
facts. `--show-misses` lists every false positive and negative by pair, `--show-facts` the
reference's facts. It exits 0 (it is a measurement) unless `--min` is given and the total
precision or recall of the mix facts is below it.

THE REFERENCE reads each file on its own, importing nothing of daemon.formats or daemon.sessions
(the readers, the RPP tokenizer, the model, the differ), and compares the two parses:

- REAPER (.RPP, .rpp-bak): parsed by the PyPI `rpp` package (its own ply lexer and grammar, not
  daemon.formats.rpp). A track is its `TRACKID {GUID}` (the master is "master"); a plug-in is its
  `FXID {GUID}`. Fader and pan from VOLPAN fields 0-1 (the master's MASTER_VOLUME), mute and solo
  from MUTESOLO (MASTERMUTESOLO bits), MAINSEND field 0, NCHAN, the folder tree from ISBUS, sends
  from each receiver's AUXRECV (source index -> that track's GUID; mode, level, pan, mute, mono,
  phase, channels), per plug-in BYPASS (bypass, offline), its alias (a rename) and its identity
  (the display name with its format prefix and the numeric id; the <...> or {...} spelling after
  the id and the binary's file name differ by platform), the track's `FX` line (a chain's bypass),
  envelopes (VOLENV2, PANENV2, ... and PARMENV after a plug-in) as PT points while ACT is on, <ITEM>
  blocks (position, length, mute, fades, gains, offsets, takes, source files, MIDI events) as clips,
  TEMPO and <TEMPOENVEX>, MARKER lines.
- Ardour (.ardour): lxml on the XML. A route is its `id`, a processor its `id`: the Amp's
  gaincontrol, the Pannable's pan-azimuth (0..1, compared as it is), the mute and solo
  controllables, intsend processors by target route id, the routes the output ports connect to,
  plug-in, trim and port-insert processors in chain order with their Controllable and Port values,
  AutomationList events, the regions of the route's playlist, the TempoMap, IsMark locations.
  Ardour 2 files: the route IO's gain and outputs, StreamPanner x, <Insert> and <Send> redirects.
- Ableton Live (.als): gzip, then lxml. A track is its `Id` attribute (the master "master"), a
  device the path of tags and `Id` attributes down its racks. Mixer Volume/Pan/Speaker `Manual`
  values and SoloSink, TrackSendHolder sends (to the i-th return track), the output routing target,
  every `Manual` value inside a device (its branches' devices apart) and its On, its UserName (a
  rename), plug-in state buffers, envelopes by the AutomationTarget their PointeeId names,
  arrangement audio and MIDI clips (time, start, end, loop, sample, gain, fades, warp markers,
  notes), the master's Tempo and TimeSignature, Locators. A track's name is its EffectiveName.
- DAWproject (.dawproject): zipfile, then lxml on project.xml. Exporters regenerate every id at each
  save, so a track is its name (the n-th of a name is "name#n") with RENAMES and AMBIGUOUS below,
  hand-checked by reading the files; a device is its deviceID (else its tag and deviceName) with its
  rank among the devices of that id on the track. The channel's Volume, Pan, Mute, solo,
  audioChannels and destination, Sends, a device's `name` (a rename), Enabled, state file bytes and
  every other element's attributes (ids, names, ranges apart), Points lanes by the element their
  target id names, the clips of each track's Lanes (ids stripped), Transport, Markers,
  TempoAutomation.

Floats are compared with a tolerance for re-printing: 1e-3 dB for gains (linear values are compared
in dB, silence equals silence), 1e-6 absolute for pan, 1e-6 relative (1e-9 absolute) elsewhere.

THE FACTS it emits, one per thing that changed (tracks and devices by the ids above):
("track-added"|"track-removed"|"track-renamed"|"track-moved", track), ("fader"|"pan"|"mute"|
"solo"|"main-send"|"channels"|"output", track), ("send"|"send-added"|"send-removed", track,
target), ("fx-bypass", track), ("device-added"|"device-removed"|"device-renamed"|"device-replaced"|
"device-toggled"|"device-moved", track, device), ("device-params", track, device) when a parameter
value the file holds in the open changed, ("plugin-state", track, device) when only an opaque state
changed and in a way judged a sound change (below), ("automation", track, lane), ("tempo"),
("markers"), and ("clip", track), scored apart. A moved track is one whose parent changed, or one
outside a longest run of its siblings that kept their order; when ours names another set of the
same, minimal size that leaves the rest in order (a swap of two), ours is taken; devices likewise.
A device's parameters and its state are one slot in the scoring: ours may say either.
Besides the facts it says what is IMPLIED, true but following from another fact, so neither
required nor wrong: a send to or from an added or removed track, a rename by Live (the EffectiveName
changed while the UserName stays empty: Live names a track after its instrument), the per-device
toggles of a chain bypass, the parameters and state of a replaced plug-in, a lane of an added or
removed plug-in, the state of a plug-in whose parameters changed, the output of a REAPER track
whose folder or main send changed. And what it cannot DECIDE, listed and never scored.

Opaque plug-in states (REAPER's base64 blocks; Ardour's chunks; Live's and DAWproject's state
buffers and files): REAPER's own header (plug-in id, magic, pin masks, chunk size, flags) and the
program-name trailer after the chunk are cut away; the plug-in's chunk is then judged:
- JSON (ReaLearn/Helgobox): parsed, keys named "version" dropped at any depth, compared (so the
  order of keys is no change). Every other difference counts, mappings and controller choices too:
  the reference cannot tell a sound setting from a control setting there.
- XML inside the chunk (JUCE's "VC2!" states, IK's presets, AU plists): parsed and flattened;
  attributes that name an instance, a version or the editor's view (GUID, *uid, *version, window,
  editor, zoom, scroll, selectedSection/Tab/Page, presetChanged) are dropped; a difference in what
  is left is a change; one only in base64 blobs or in the bytes around the XML is undecided.
- Cockos plug-ins (the name says "(Cockos)"): the chunk's bytes are their parameters, but a
  length-prefixed path to a .reabank file (ReaControlMIDI keeps the machine's own) is cut; ReaEQ is
  compared on its band records and output gain (version, band count, 33 bytes a band, 16 after),
  not on the editor's size that follows.
- u-he presets ("#pgm=", key=value lines by module, then an encoded binary copy): the values are
  compared, but for the preset name, the browser's place (PProj, PFold, PFile, GFile), the versions
  and the editor's page (UI_*, PAGE); a difference only there or in the binary copy is undecided.
- Anything else (other binaries, Live's buffers): equal is no change, different is undecided.
A JS effect's slider values are parameters (its preset name is not); a <JS_SER> difference alone is
undecided.

NOT COVERED (no fact either way): pan law, width and dual pan, REAPER's plug-in pin routing and
hardware outputs, the play-rate envelope, record arming, monitoring, MIDI routing, phase, colours
and heights, Live's session-view clips and the mixers of rack chains, Ardour's pan width, DAWproject
scenes and the rest of the transport; a bare DAWproject <Channel> with no name is "(unnamed)".

OURS: `daemon.formats.read_session` and `daemon.sessions.diff.diff` on the same pair; each Change
becomes a fact from what it carries, with the reference's own parse: `where["old"]` is the track's
place in the old save's depth-first order (REAPER: the master, then the <TRACK> blocks in file
order; Ardour: routes by PresentationInfo order or editor order key, the master last; Live: the
Tracks in file order, each group's members after it, the master last; DAWproject: Structure
depth-first), `where["new"]` its place in the new save, `where["device"]` a device's index in the
old chain (Live: a rack, then its branches' devices, depth-first), `where["index"]` in the new one.
A send or a lane names its target track: that name's place among the reader's tracks of the new
save (else the old) is the target's place in the reference's. A lane names its device: its place
in the reader's old chain (else its name) gives the reference's device. Changes of `role`,
`content_types` and `time_unit` are derived by the readers and counted apart ("not scored"); a
change of a type not known here is unmatched and listed; `device-renamed`, `main_send` and note-clip
changes map to their facts. Limits: the mapping trusts that the reader and the reference walk the
tracks and chains in one order; where the track count, a name the reference has, or a chain's
length differs, the pair is flagged ("places may mislead"). The reader's default names ("Track 3")
resolve only through places; two tracks of one name resolve to the first.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import gzip
import json
import math
import re
import struct
import sys
import zipfile
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import rpp  # type: ignore[import-untyped]
from lxml import etree

REPO = Path(__file__).resolve().parents[1]
HISTORIES = REPO.parent / "shared" / "corpus" / "histories"

DB_TOLERANCE = 1e-3
PAN_TOLERANCE = 1e-6
REL_TOLERANCE = 1e-6
ABS_TOLERANCE = 1e-9

Value = float | int | str | bool | None
Param = Value | tuple[Any, ...]  # a parameter: a value, or an element's attributes


# -- facts -------------------------------------------------------------------------------------------
class Fact(NamedTuple):
    kind: str
    track: str = ""
    device: str = ""
    detail: str = ""


CLIP_KINDS = frozenset({"clip"})
# Ours may say a device's settings changed through its parameters or through its state: one slot.
SETTINGS_KINDS = frozenset({"device-params", "plugin-state"})
MOVE_KINDS = frozenset({"track-moved", "device-moved"})


def scoring_key(fact: Fact) -> Fact:
    return fact._replace(kind="device-settings") if fact.kind in SETTINGS_KINDS else fact


# -- comparing values --------------------------------------------------------------------------------
def to_db(gain: float | None) -> float | None:
    """A linear gain in dB; None for silence."""
    if gain is None or gain <= 0.0:
        return None
    return 20.0 * math.log10(gain)


def same(a: Value, b: Value, unit: str = "") -> bool:
    """Equal within re-printing: dB to 1e-3, pan to 1e-6, else 1e-6 relative."""
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return a == b
    if a is None or b is None:
        return a is None and b is None
    if unit == "db":
        return abs(a - b) <= DB_TOLERANCE
    if unit == "pan":
        return abs(a - b) <= PAN_TOLERANCE
    return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)


def same_seq(a: Sequence[Any], b: Sequence[Any], unit: str = "") -> bool:
    """Equal sequences of values or nested tuples, floats within re-printing."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, tuple | list) and isinstance(y, tuple | list):
            if not same_seq(x, y, unit):
                return False
        elif not same(x, y, unit):
            return False
    return True


def same_param(a: Param, b: Param) -> bool:
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and same_seq(a, b)
    return same(a, b)


def number(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def token_value(text: str) -> Value:
    """A token as a number where it is one, so that re-printed numbers compare equal."""
    value = number(text)
    return text if value is None else value


# -- the reference model -----------------------------------------------------------------------------
@dataclass(frozen=True)
class StateView:
    """An opaque plug-in state as the reference judges it: `clear` is compared as settings, `murky`
    (blobs, bytes around parsed text) only tells that something changed; `decidable` False means
    a difference in `clear` cannot be judged either."""

    kind: str
    clear: Any
    murky: Any = None
    decidable: bool = True


@dataclass
class RDevice:
    key: str
    name: str
    plugin: str  # the plug-in's identity: a change of it under one key is a replacement
    enabled: bool
    label: str = ""  # the name the user gave it ("" for none): a change of it is a rename
    params: dict[str, Param] = field(default_factory=dict)
    state: StateView | None = None


@dataclass
class Lane:
    points: tuple[tuple[Value, ...], ...]
    unit: str = ""


@dataclass
class RTrack:
    key: str
    name: str
    parent: str | None = None
    user_name: str | None = None  # Live: the name the user typed ("" when Live names the track)
    fader: float | None = 0.0  # dB, None for silence
    pan: float = 0.0
    mute: bool = False
    solo: bool = False
    main_send: bool | None = None
    channels: str | None = None
    output: str | None = None  # a track key, or a raw target the format names
    chain_on: bool = True
    sends: dict[str, tuple[Value, ...]] = field(default_factory=dict)  # target key[#n] -> values
    devices: list[RDevice] = field(default_factory=list)
    lanes: dict[str, Lane] = field(default_factory=dict)
    clips: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class RSession:
    fmt: str
    tracks: list[RTrack]  # in the reader's depth-first order
    tempo: tuple[Any, ...] = ()
    markers: tuple[Any, ...] = ()

    def by_key(self) -> dict[str, RTrack]:
        return {t.key: t for t in self.tracks}


def send_target(key: str) -> str:
    """The track key of a send key ("target#2" -> "target")."""
    return key.split("#", 1)[0] if "#" in key and not key.startswith("#") else key


def numbered(keys: Iterable[str]) -> list[str]:
    """Keys made unique by occurrence: a, a#2, a#3 ..."""
    seen: Counter[str] = Counter()
    out = []
    for key in keys:
        seen[key] += 1
        out.append(key if seen[key] == 1 else f"{key}#{seen[key]}")
    return out


# -- opaque plug-in states ---------------------------------------------------------------------------
_VOLATILE_ATTR = re.compile(
    r"(?i)guid|uid$|version|window|editor|zoom|scroll|^selected(section|tab|page)$|^presetchanged$"
)
_BLOB_TEXT = re.compile(r"^[A-Za-z0-9+/=\s]{64,}$")
_REABANK = re.compile(rb"[^\x00]{0,1024}\.reabank", re.IGNORECASE)
_FEED = (0xFEED5EEE, 0xFEED5EEF)


def reaper_chunk(blob: bytes) -> bytes:
    """The plug-in's own chunk inside REAPER's state header (4CC, magic FEED5EEE, input and output
    pin counts each with 8-byte masks, chunk size, 8 bytes of flags); the whole blob if it has no
    such header (AU, LV2)."""
    try:
        if struct.unpack_from("<I", blob, 4)[0] not in _FEED:
            return blob
        offset = 8
        for _ in range(2):
            pins = struct.unpack_from("<i", blob, offset)[0]
            if not 0 <= pins <= 4096:
                return blob
            offset += 4 + 8 * pins
        size = struct.unpack_from("<i", blob, offset)[0]
        start = offset + 12
        if size < 0 or start + size > len(blob):
            return blob
        return blob[start : start + size]
    except struct.error:
        return blob


def drop_versions(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: drop_versions(v) for k, v in value.items() if k.lower() != "version"}
    if isinstance(value, list):
        return [drop_versions(v) for v in value]
    return value


def json_view(chunk: bytes) -> StateView | None:
    text = chunk.strip(b"\x00 \r\n\t")
    if not text.startswith(b"{"):
        return None
    try:
        return StateView("json", drop_versions(json.loads(text.decode("utf-8"))))
    except (UnicodeDecodeError, ValueError):
        return None


def flatten_xml(root: etree._Element) -> tuple[dict[str, str], dict[str, str]]:
    """An XML tree as path -> value: (clear settings, base64 blobs); volatile attributes dropped."""
    clear: dict[str, str] = {}
    blobs: dict[str, str] = {}

    def walk(el: etree._Element, path: str) -> None:
        for name, value in el.attrib.items():
            if not _VOLATILE_ATTR.search(str(name)):
                clear[f"{path}@{name}"] = str(value)
        text = (el.text or "").strip()
        if text:
            (blobs if _BLOB_TEXT.match(text) else clear)[f"{path}#text"] = text
        counts: Counter[str] = Counter()
        for child in el:
            if isinstance(child.tag, str):
                counts[child.tag] += 1
                walk(child, f"{path}/{child.tag}[{counts[child.tag]}]")

    walk(root, str(root.tag))
    return clear, blobs


_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def xml_view(chunk: bytes) -> StateView | None:
    """The XML documents inside a chunk (JUCE's VC2!, IK's presets, AU plists), flattened, and the
    bytes around them."""
    starts = [m.start() for m in re.finditer(rb"<\?xml", chunk)]
    if not starts:
        return None
    clear: list[dict[str, str]] = []
    blobs: list[dict[str, str]] = []
    rest = bytearray()
    cursor = 0
    for start in starts:
        if start < cursor:
            continue
        end = chunk.find(b"\x00", start)
        end = len(chunk) if end < 0 else end
        close = chunk.rfind(b">", start, end)
        if close < 0:
            return None
        try:
            root = etree.fromstring(chunk[start : close + 1], _XML_PARSER)
        except etree.XMLSyntaxError:
            return None
        c, b = flatten_xml(root)
        clear.append(c)
        blobs.append(b)
        rest += chunk[cursor:start]
        cursor = close + 1
    rest += chunk[cursor:]
    return StateView("xml", clear, (blobs, bytes(rest)))


# u-he's text presets: the preset's name, the browser's place and the editor's page are no sound.
_UHE_NOT_SOUND = re.compile(r"^(#pgm|#Vers$|UI_|PAGE|PagesOn$|PProj$|PFold$|PFile$|GFile$|Rev$)")


def uhe_view(chunk: bytes) -> StateView | None:
    """A u-he preset ("#pgm=name", a /*@Meta*/ comment, `key=value` lines in `#cm=module`
    sections, then "$$$$" and an encoded binary copy): the values are settings, the binary copy and
    the browser's and editor's keys only tell that something changed."""
    if not chunk.startswith(b"#pgm="):
        return None
    text, _, binary = chunk.partition(b"$$$$")
    clear: dict[str, str] = {}
    murky: dict[str, str] = {"binary": binary.hex()}
    section = ""
    counts: Counter[str] = Counter()
    in_comment = False
    for line in text.decode("latin-1").splitlines():
        if line.startswith("/*"):
            in_comment = True
        if in_comment:
            in_comment = "*/" not in line
            continue
        key, eq, value = line.partition("=")
        if not eq:
            continue
        if key == "#cm":
            section = value
        counts[f"{section}/{key}"] += 1
        where = f"{section}/{key}#{counts[f'{section}/{key}']}"
        (murky if _UHE_NOT_SOUND.match(key) else clear)[where] = value
    return StateView("u-he", clear, murky)


def cockos_view(plugin: str, chunk: bytes) -> StateView:
    """A Cockos plug-in's chunk: its parameters, without a .reabank path; ReaEQ's bands and gain."""
    if plugin.startswith("ReaEQ"):
        try:
            count = struct.unpack_from("<i", chunk, 4)[0]
        except struct.error:
            return StateView("cockos", chunk)
        if 0 <= count <= 1024 and 8 + 33 * count + 16 <= len(chunk):
            return StateView("cockos", chunk[: 8 + 33 * count + 16])
        return StateView("cockos", chunk)
    cut = chunk
    for match in _REABANK.finditer(chunk):
        start = match.start()
        # the path is a length-prefixed string: the int32 before it counts its bytes (with its NUL)
        cut = cut.replace(chunk[max(0, start - 4) : match.end() + 1], b"<reabank>")
    return StateView("cockos", cut)


def plugin_state(display: str, blob: bytes) -> StateView:
    chunk = reaper_chunk(blob)
    if "(Cockos)" in display:
        name = re.sub(r"^[A-Z0-9]+i?:\s*", "", display)
        return cockos_view(name, chunk)
    return json_view(chunk) or xml_view(chunk) or uhe_view(chunk) or StateView("opaque", chunk, decidable=False)


def state_verdict(a: StateView | None, b: StateView | None) -> str:
    """The judgement of a state's change: "same", "changed" or "undecided"."""
    if a is None and b is None:
        return "same"
    if a is None or b is None or a.kind != b.kind:
        return "undecided"
    if a.clear != b.clear:
        return "changed" if a.decidable else "undecided"
    return "same" if a.murky == b.murky else "undecided"


# -- REAPER ------------------------------------------------------------------------------------------
RppItem = Any  # an rpp Element, a token list or a single token


def rpp_tokens(item: RppItem) -> list[str]:
    if isinstance(item, list):
        return [str(t) for t in item]
    if isinstance(item, str):
        return [item]
    return []


def rpp_blocks(el: Any, tag: str | None = None) -> Iterator[Any]:
    for item in el.children:
        if isinstance(item, rpp.Element) and (tag is None or item.tag == tag):
            yield item


def rpp_line(el: Any, key: str) -> list[str] | None:
    """The arguments of the first line of `el` that starts with `key`."""
    for item in el.children:
        words = rpp_tokens(item)
        if words and words[0] == key:
            return words[1:]
    return None


def rpp_field(args: list[str] | None, index: int) -> float | None:
    return number(args[index]) if args is not None and index < len(args) else None


_REAPER_LANES = {
    "VOLENV2": ("volume", "db"),
    "PANENV2": ("pan", ""),
    "MUTEENV": ("mute", ""),
    "VOLENV": ("pre-fx-volume", "db"),
    "PANENV": ("pre-fx-pan", ""),
    "VOLENV3": ("trim", "db"),
    "WIDTHENV": ("pre-fx-width", ""),
    "WIDTHENV2": ("width", ""),
}
_REAPER_SEND_LANES = {"AUXVOLENV": ("level", "db"), "AUXPANENV": ("pan", ""), "AUXMUTEENV": ("mute", "")}
_PLUGIN_TAGS = ("VST", "AU", "CLAP", "JS", "LV2", "DX")


def reaper_lane(env: Any) -> Lane | None:
    """An envelope's points (time, value, shape) while it is active; volume envelopes in dB unless
    fader-scaled (VOLTYPE 1)."""
    act = rpp_line(env, "ACT")
    if act and act[0] == "0":
        return None
    unit = ""
    if env.tag in ("VOLENV", "VOLENV2", "VOLENV3", "AUXVOLENV") or env.tag.startswith("MASTERVOLENV"):
        voltype = rpp_line(env, "VOLTYPE")
        unit = "" if voltype and voltype[0] == "1" else "db"
    points = []
    for item in env.children:
        words = rpp_tokens(item)
        if words and words[0] == "PT" and len(words) >= 3:
            value = number(words[2])
            points.append(
                (number(words[1]), to_db(value) if unit == "db" else value, words[3] if len(words) > 3 else "0")
            )
    return Lane(tuple(points), unit) if points else None


def reaper_session(path: Path) -> RSession:
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    root = rpp.loads(text)
    tracks = [reaper_master(root)]
    blocks = list(rpp_blocks(root, "TRACK"))
    guids = [reaper_track_key(el, n) for n, el in enumerate(blocks)]
    folders: list[str] = []
    for el, key in zip(blocks, guids):
        track = reaper_track(el, key, folders[-1] if folders else None)
        tracks.append(track)
        isbus = rpp_line(el, "ISBUS") or []
        delta = int(isbus[1]) if len(isbus) > 1 and re.fullmatch(r"-?\d+", isbus[1]) else 0
        if delta > 0:
            folders.append(key)
        elif delta < 0:
            del folders[max(0, len(folders) + delta) :]
    reaper_receives(blocks, guids, tracks)
    tempo = rpp_line(root, "TEMPO") or []
    tempo_env = [reaper_lane(env) for env in rpp_blocks(root, "TEMPOENVEX")]
    markers = []
    for item in root.children:
        words = rpp_tokens(item)
        if words and words[0] == "MARKER" and len(words) > 2:
            flags = int(words[4]) if len(words) > 4 and words[4].isdigit() else 0
            markers.append((number(words[2]), words[3] if len(words) > 3 else "", flags & 1))
    return RSession(
        fmt="reaper",
        tracks=tracks,
        tempo=(
            number(tempo[0]) if tempo else None,
            tuple(tempo[1:3]),
            tuple(lane.points for lane in tempo_env if lane is not None),
        ),
        markers=tuple(sorted(markers, key=repr)),
    )


def reaper_track_key(el: Any, number_: int) -> str:
    ident = rpp_line(el, "TRACKID")
    if ident:
        return ident[0]
    return el.attrib[0] if el.attrib else f"#track{number_}"


def reaper_master(root: Any) -> RTrack:
    volpan = rpp_line(root, "MASTER_VOLUME")
    mutesolo = (rpp_line(root, "MASTERMUTESOLO") or ["0"])[0]
    flags = int(mutesolo) if mutesolo.isdigit() else 0
    nch = rpp_line(root, "MASTER_NCH")
    fx = rpp_line(root, "MASTER_FX")
    track = RTrack(
        key="master",
        name="Master",
        fader=to_db(rpp_field(volpan, 0) if volpan else 1.0),
        pan=rpp_field(volpan, 1) or 0.0,
        mute=bool(flags & 1),
        solo=bool(flags & 2),
        channels=" ".join(nch) if nch else None,
        chain_on=not fx or fx[0] != "0",
    )
    for chain in rpp_blocks(root, "MASTERFXLIST"):
        reaper_chain(chain, track)
    for env in rpp_blocks(root):
        tag = env.tag.removeprefix("MASTER")
        if env.tag.startswith("MASTER") and tag in _REAPER_LANES:
            lane = reaper_lane(env)
            if lane is not None:
                track.lanes[_REAPER_LANES[tag][0]] = lane
    return track


def reaper_track(el: Any, key: str, parent: str | None) -> RTrack:
    name = rpp_line(el, "NAME")
    volpan = rpp_line(el, "VOLPAN")
    mutesolo = rpp_line(el, "MUTESOLO") or []
    mainsend = rpp_line(el, "MAINSEND")
    nchan = rpp_line(el, "NCHAN")
    fx = rpp_line(el, "FX")
    track = RTrack(
        key=key,
        name=name[0] if name else "",
        parent=parent,
        fader=to_db(rpp_field(volpan, 0) if volpan else 1.0),
        pan=rpp_field(volpan, 1) or 0.0,
        mute=bool(mutesolo) and mutesolo[0] not in ("0", ""),
        solo=len(mutesolo) > 1 and mutesolo[1] not in ("0", ""),
        main_send=not mainsend or mainsend[0] != "0",
        channels=nchan[0] if nchan else None,
        chain_on=not fx or fx[0] != "0",
    )
    for block in rpp_blocks(el):
        if block.tag == "FXCHAIN":
            reaper_chain(block, track)
        elif block.tag in _REAPER_LANES:
            lane = reaper_lane(block)
            if lane is not None:
                track.lanes[_REAPER_LANES[block.tag][0]] = lane
        elif block.tag == "ITEM":
            track.clips.append(reaper_item(block))
    track.clips.sort(key=repr)
    return track


def reaper_chain(chain: Any, track: RTrack) -> None:
    """The plug-ins of an FX chain: each BYPASS line, then its block, JS_SER, FXID and PARMENVs."""
    bypass: list[str] = []
    pending: RDevice | None = None
    js_ser: bytes | None = None

    def close() -> None:
        nonlocal pending, js_ser
        if pending is not None:
            if js_ser is not None and pending.state is not None:
                pending.state = StateView("js", pending.state.clear, js_ser)
            track.devices.append(pending)
        pending, js_ser = None, None

    for item in chain.children:
        words = rpp_tokens(item)
        if words and words[0] == "BYPASS":
            close()
            bypass = words[1:]
        elif words and words[0] == "FXID" and pending is not None and len(words) > 1:
            pending.key = words[1]
        elif isinstance(item, rpp.Element) and item.tag in _PLUGIN_TAGS:
            close()
            pending = reaper_device(item, bypass, len(track.devices))
        elif isinstance(item, rpp.Element) and item.tag == "JS_SER":
            js_ser = b"".join(rpp_tokens(line)[0].encode() for line in item.children if rpp_tokens(line))
        elif isinstance(item, rpp.Element) and item.tag == "PARMENV" and pending is not None:
            lane = reaper_lane(item)
            if lane is not None:
                ident = item.attrib[0] if item.attrib else "?"
                track.lanes[f"device:{pending.key}:{ident}"] = lane
    close()
    # PARMENV lanes were keyed by the device before its FXID line was read: re-key them
    for lane_key in [k for k in track.lanes if k.startswith("device:#fx")]:
        index = int(lane_key.split(":")[1][3:])
        if index < len(track.devices):
            rest = lane_key.split(":", 2)[2]
            track.lanes[f"device:{track.devices[index].key}:{rest}"] = track.lanes.pop(lane_key)


def reaper_device(el: Any, bypass: list[str], index: int) -> RDevice:
    args = [str(a) for a in el.attrib]
    display = args[0] if args else el.tag
    enabled = not any(flag not in ("0", "") for flag in bypass[:2])
    if el.tag == "JS":
        alias = args[1] if len(args) > 1 else ""
        sliders: dict[str, Param] = {}
        first = next((rpp_tokens(i) for i in el.children if rpp_tokens(i)), [])
        for slot, text in enumerate(first[:64], start=1):
            value = number(text)
            if text != "-" and value is None:
                break  # the preset's name, written bare by REAPER 5 where a JS has few sliders
            if value is not None:
                sliders[f"slider{slot}"] = value
        return RDevice(
            key=f"#fx{index}",
            name=alias or display,
            label=alias,
            plugin=f"JS:{display}",
            enabled=enabled,
            params=sliders,
            state=StateView("js", None),
        )
    alias_at = 3 if el.tag == "VST" else 2
    alias = args[alias_at] if len(args) > alias_at else ""
    ident_at = 4 if el.tag == "VST" else 1
    ident = re.split(r"[<{]", args[ident_at])[0] if len(args) > ident_at else ""
    lines = [rpp_tokens(i)[0] for i in el.children if len(rpp_tokens(i)) == 1]
    try:
        blob = b"".join(base64.b64decode(line, validate=True) for line in lines)
        state = plugin_state(display, blob)
    except (binascii.Error, ValueError):
        state = StateView("text", tuple(lines), decidable=False)
    return RDevice(
        key=f"#fx{index}",
        name=alias or display,
        label=alias,
        plugin=f"{display}|{ident}",
        enabled=enabled,
        state=state,
    )


def reaper_receives(blocks: list[Any], guids: list[str], tracks: list[RTrack]) -> None:
    """Each AUXRECV (on the receiving track) as a send of its source; its envelopes as lanes of the
    source, keyed by the receiver."""
    by_key = {t.key: t for t in tracks}
    for el, target in zip(blocks, guids):
        current: str | None = None
        counts: Counter[str] = Counter()
        for item in el.children:
            words = rpp_tokens(item)
            if words and words[0] == "AUXRECV" and len(words) > 1 and words[1].isdigit():
                source_index = int(words[1])
                if source_index >= len(guids):
                    current = None
                    continue
                source = by_key[guids[source_index]]
                counts[source.key] += 1
                key = target if counts[source.key] == 1 else f"{target}#{counts[source.key]}"
                fields = words[2:10]
                values: list[Value] = [token_value(w) for w in fields]
                if len(values) > 1 and isinstance(values[1], float):
                    values[1] = to_db(values[1])  # the level, compared in dB
                source.sends[key] = tuple(values)
                current = source.key
            elif isinstance(item, rpp.Element) and item.tag in _REAPER_SEND_LANES and current is not None:
                lane = reaper_lane(item)
                if lane is not None:
                    by_key[current].lanes[f"send:{target}:{_REAPER_SEND_LANES[item.tag][0]}"] = lane


_ITEM_FIELDS = {"POSITION", "LENGTH", "LOOP", "MUTE", "FADEIN", "FADEOUT", "VOLPAN", "SOFFS", "PLAYRATE", "CHANMODE"}
_SOURCE_FIELDS = {"FILE", "HASDATA", "E", "e", "X", "x", "Em", "em"}


def reaper_item(el: Any) -> tuple[Any, ...]:
    """An item as the values that sound: place, length, gains, fades, takes and their sources."""
    out: list[Any] = []
    for item in el.children:
        words = rpp_tokens(item)
        if words and (words[0] in _ITEM_FIELDS or words[0] == "TAKE"):
            out.append(tuple(token_value(w) for w in words))
        elif isinstance(item, rpp.Element) and item.tag == "SOURCE":
            out.append(("SOURCE", *reaper_source(item)))
    return tuple(out)


def reaper_source(el: Any) -> tuple[Any, ...]:
    out: list[Any] = [tuple(str(a) for a in el.attrib[:1])]
    for item in el.children:
        words = rpp_tokens(item)
        if words and words[0] in _SOURCE_FIELDS:
            out.append(tuple(token_value(w) for w in words))
        elif isinstance(item, rpp.Element) and item.tag == "SOURCE":
            out.append(reaper_source(item))
    return tuple(out)


# -- XML helpers -------------------------------------------------------------------------------------
def parse_xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, _XML_PARSER)


def attr_number(el: etree._Element | None, name: str = "value") -> float | None:
    return number(el.get(name)) if el is not None else None


def canonical_xml(el: etree._Element, skip: frozenset[str] = frozenset({"id"})) -> tuple[Any, ...]:
    """An element as nested tuples of (tag, attributes but `skip`, text, children), numbers as
    floats, so that re-printed values compare within tolerance."""
    attrs = tuple(sorted((str(k), token_value(str(v))) for k, v in el.attrib.items() if k not in skip))
    text = (el.text or "").strip()
    children = tuple(canonical_xml(c, skip) for c in el if isinstance(c.tag, str))
    return (str(el.tag), attrs, text, children)


# -- Ardour ------------------------------------------------------------------------------------------
_ARDOUR_PLUGINS = frozenset({"lv2", "ladspa", "luaproc", "windows-vst", "lxvst", "mac-vst", "vst", "vst3", "audiounit"})


def ardour_session(path: Path) -> RSession:
    root = parse_xml(path.read_bytes())
    version = root.get("version") or "0"
    major = int(version.split(".")[0]) if "." in version else int(version) // 1000
    routes_el = root.find("Routes")
    routes = []
    for index, el in enumerate(routes_el.iterchildren("Route") if routes_el is not None else ()):
        info = el.find("PresentationInfo")
        flags = set(re.split(r"[,\s]+", f"{el.get('flags') or ''},{info.get('flags') if info is not None else ''}"))
        io = el.find("IO")
        name = el.get("name") or (io.get("name") if io is not None else None)
        if flags & {"MonitorOut", "Auditioner"} or not name:
            continue
        order = index
        if info is not None and (info.get("order") or "").isdigit():
            order = int(info.get("order") or 0)
        else:
            keys = dict(k.partition("=")[::2] for k in (el.get("order-keys") or "").split(":") if "=" in k)
            if keys.get("editor", "").isdigit():
                order = int(keys["editor"])
        routes.append(("MasterOut" in flags, order, index, el, name))
    routes.sort(key=lambda r: (r[0], r[1], r[2]))
    keys_by_name = {name: el.get("id") or f"#route{index}" for _, _, index, el, name in routes}
    keys_by_id = {el.get("id"): el.get("id") for _, _, _, el, _ in routes if el.get("id")}
    master_names = {name for is_master, _, _, _, name in routes if is_master}
    playlists = ardour_playlists(root)
    tracks = []
    for _, _, index, el, name in routes:
        key = el.get("id") or f"#route{index}"
        track = RTrack(key=key, name=name)
        if major >= 3:
            ardour_route(el, track, keys_by_id)
        else:
            ardour2_route(el, track, keys_by_name)
        fed = sorted(
            {keys_by_name[n] for n in ardour_outputs(el, major) if n in keys_by_name and n not in master_names}
        )
        track.output = ",".join(fed) or None
        track.clips = sorted(ardour_regions(root, el, playlists), key=repr)
        tracks.append(track)
    tempo_map = root.find("TempoMap")
    markers = []
    for loc in root.iterfind("Locations/Location"):
        flags = set((loc.get("flags") or "").split(","))
        if "IsMark" in flags and not flags & {"IsStart", "IsEnd", "IsSessionRange"}:
            markers.append((number(loc.get("start")), loc.get("name") or ""))
    return RSession(
        fmt="ardour",
        tracks=tracks,
        tempo=canonical_xml(tempo_map) if tempo_map is not None else (),
        markers=tuple(sorted(markers, key=repr)),
    )


def ardour_control(holder: etree._Element | None, name: str) -> float | None:
    if holder is None:
        return None
    for c in holder.iterchildren("Controllable"):
        if c.get("name") == name:
            return attr_number(c)
    return None


def ardour_events(alist: etree._Element, unit: str) -> Lane | None:
    events = alist.find("events")
    points = []
    for line in (events.text or "").splitlines() if events is not None else ():
        parts = line.split()
        if len(parts) == 2:
            value = number(parts[1])
            points.append((number(parts[0]), to_db(value) if unit == "db" else value))
    return Lane(tuple(points), unit) if points else None


def ardour_lanes(holder: etree._Element, track: RTrack, names: dict[str, tuple[str, str]]) -> None:
    """The AutomationLists directly under `holder`'s <Automation>, by automation-id -> (lane, unit)."""
    automation = holder.find("Automation")
    for alist in automation.iterchildren("AutomationList") if automation is not None else ():
        ident = alist.get("automation-id") or ""
        lane_name, unit = names.get(ident, (ident, ""))
        lane = ardour_events(alist, unit)
        if lane is not None:
            track.lanes[lane_name] = lane


def ardour_route(el: etree._Element, track: RTrack, keys_by_id: dict[str | None, str | None]) -> None:
    processors = list(el.iterchildren("Processor"))
    amp_at = next((i for i, p in enumerate(processors) if p.get("type") == "amp"), len(processors))
    if amp_at < len(processors):
        track.fader = to_db(ardour_control(processors[amp_at], "gaincontrol"))
        ardour_lanes(processors[amp_at], track, {"gain": ("volume", "db")})
    pannable = el.find("Pannable")
    if pannable is None:
        outs = next((p for p in processors if p.get("type") == "main-outs"), None)
        pannable = outs.find("Pannable") if outs is not None else None
    if pannable is not None:
        azimuth = ardour_control(pannable, "pan-azimuth")
        track.pan = 0.5 if azimuth is None else azimuth
        ardour_lanes(pannable, track, {"pan-azimuth": ("pan", "")})
    mute_master = el.find("MuteMaster")
    track.mute = (ardour_control(el, "mute") or 0.0) > 0.5 or (
        mute_master is not None and mute_master.get("muted") in ("yes", "1")
    )
    solo_el = next((c for c in el.iterchildren("Controllable") if c.get("name") == "solo"), None)
    track.solo = el.get("self-solo") in ("yes", "1") or (
        solo_el is not None and (solo_el.get("self-solo") in ("yes", "1") or (attr_number(solo_el) or 0.0) > 0.5)
    )
    ardour_lanes(el, track, {"mute": ("mute", "")})
    counts: Counter[str] = Counter()
    for i, proc in enumerate(processors):
        kind = proc.get("type") or ""
        if kind == "intsend" and proc.get("role") != "Listen":
            target = keys_by_id.get(proc.get("target")) or f"?{proc.get('target')}"
            counts[target] += 1
            send_key = target if counts[target] == 1 else f"{target}#{counts[target]}"
            amp = next((p for p in proc.iterchildren("Processor") if p.get("type") == "amp"), proc)
            level = to_db(ardour_control(amp, "gaincontrol"))
            track.sends[send_key] = (level, proc.get("active"), i < amp_at)
            ardour_lanes(amp, track, {"gain": (f"send:{send_key}:level", "db")})
        elif kind == "trim" or kind in _ARDOUR_PLUGINS or kind == "port":
            track.devices.append(ardour_device(proc, kind, track))


def ardour_device(proc: etree._Element, kind: str, track: RTrack) -> RDevice:
    key = proc.get("id") or f"#proc{len(track.devices)}"
    params: dict[str, Param] = {}
    for c in proc.iterchildren("Controllable"):
        params[f"{c.get('name')}#{c.get('parameter') or ''}"] = attr_number(c)
    node = proc.find(kind) if kind in _ARDOUR_PLUGINS else None
    state: StateView | None = None
    if node is not None:
        for port in node.iterfind("Port"):
            params[f"port:{port.get('symbol') or port.get('number')}"] = attr_number(port)
        chunk = node.find("chunk")
        if chunk is not None and chunk.text:
            try:
                blob = base64.b64decode(chunk.text.strip())
                state = json_view(blob) or xml_view(blob) or StateView("opaque", blob, decidable=False)
            except (binascii.Error, ValueError):
                state = StateView("opaque", chunk.text.strip(), decidable=False)
    names = {"trim": (f"device:{key}:trim", "db")}
    automation = proc.find("Automation")
    for alist in automation.iterchildren("AutomationList") if automation is not None else ():
        ident = alist.get("automation-id") or ""
        lane = ardour_events(alist, names.get(ident, ("", ""))[1])
        if lane is not None:
            track.lanes[f"device:{key}:{ident}"] = lane
    return RDevice(
        key=key,
        name=proc.get("name") or kind,
        label=proc.get("name") or "",
        plugin=f"{kind}|{proc.get('unique-id') or ''}",
        enabled=proc.get("active") in ("yes", "1"),
        params=params,
        state=state,
    )


def ardour2_route(el: etree._Element, track: RTrack, keys_by_name: dict[str, str]) -> None:
    """An Ardour 2 route: gain and panner on its IO, plug-ins in <Insert>, sends in <Send>."""
    io = el.find("IO")
    if io is not None:
        track.fader = to_db(number(io.get("gain")))
        xs = [number(s.get("x")) for s in io.iterfind("Panner/StreamPanner")]
        known = [x for x in xs if x is not None]
        track.pan = sum(known) / len(known) if known else 0.5
    track.mute = el.get("muted") in ("yes", "1")
    track.solo = el.get("soloed") in ("yes", "1")
    counts: Counter[str] = Counter()
    for child in el:
        redirect = child.find("Redirect") if isinstance(child.tag, str) else None
        rio = redirect.find("IO") if redirect is not None else None
        if child.tag == "Insert":
            kind = child.get("type") or ""
            node = child.find(kind) if kind else None
            ports = node.iterfind("Port") if node is not None else iter(())
            params: dict[str, Param] = {f"port:{p.get('number')}": attr_number(p) for p in ports}
            track.devices.append(
                RDevice(
                    key=(rio.get("id") if rio is not None else None) or f"#insert{len(track.devices)}",
                    name=(rio.get("name") if rio is not None else None) or kind,
                    label=(rio.get("name") if rio is not None else None) or "",
                    plugin=f"{kind}|{child.get('unique-id') or ''}",
                    enabled=redirect is None or redirect.get("active") in ("yes", "1"),
                    params=params,
                )
            )
        elif child.tag == "Send" and redirect is not None and rio is not None:
            fed = [keys_by_name[n] for n in ardour_port_routes(rio.get("outputs") or "") if n in keys_by_name]
            if fed:
                counts[fed[0]] += 1
                key = fed[0] if counts[fed[0]] == 1 else f"{fed[0]}#{counts[fed[0]]}"
                track.sends[key] = (to_db(number(rio.get("gain"))), redirect.get("active"), redirect.get("placement"))


def ardour_port_routes(text: str) -> list[str]:
    """Route names of port names ("Bus/audio_in 1"), in order."""
    names: list[str] = []
    for port in re.split(r"[{},]", text):
        match = re.match(r"^(?:ardour:)?(.*)/(?:audio_|midi_)?in(?: |put)?\s*\d*$", port.strip())
        if match and match.group(1) not in names:
            names.append(match.group(1))
    return names


def ardour_outputs(el: etree._Element, major: int) -> list[str]:
    if major < 3:
        io = el.find("IO")
        return ardour_port_routes(io.get("outputs") or "") if io is not None else []
    others = [
        c.get("other") or ""
        for io in el.iterchildren("IO")
        if io.get("direction") == "Output"
        for c in io.iterfind("Port/Connection")
    ]
    return ardour_port_routes(",".join(others))


def ardour_playlists(root: etree._Element) -> dict[str, etree._Element]:
    out: dict[str, etree._Element] = {}
    for pl in root.iterfind("Playlists/Playlist"):
        for key in (pl.get("id"), pl.get("name"), f"orig:{pl.get('orig-track-id')}"):
            if key:
                out.setdefault(key, pl)
    for ds in root.iterfind("DiskStreams/*"):
        if ds.get("id") and ds.get("playlist") in out:
            out.setdefault(f"ds:{ds.get('id')}", out[ds.get("playlist") or ""])
    return out


_REGION_ATTRS = (
    "position",
    "length",
    "start",
    "muted",
    "opaque",
    "scale-gain",
    "envelope-active",
    "fade-in-active",
    "fade-out-active",
    "source-0",
    "source-1",
)


def ardour_regions(root: etree._Element, el: etree._Element, playlists: dict[str, etree._Element]) -> list[Any]:
    diskstream = el.find("Diskstream")
    names = (
        el.get("audio-playlist"),
        el.get("midi-playlist"),
        diskstream.get("playlist") if diskstream is not None else None,
        f"ds:{el.get('diskstream-id')}",
        f"orig:{el.get('id')}",
    )
    playlist = next((playlists[n] for n in names if n and n in playlists), None)
    if playlist is None:
        return []
    out = []
    for region in playlist.iterchildren("Region"):
        values = tuple(token_value(region.get(a) or "") for a in _REGION_ATTRS)
        curves = tuple(
            canonical_xml(c) for c in region if isinstance(c.tag, str) and c.tag in ("FadeIn", "FadeOut", "Envelope")
        )
        out.append((values, curves))
    return out


# -- Ableton Live ------------------------------------------------------------------------------------
_LIVE_TRACKS = ("AudioTrack", "MidiTrack", "GroupTrack", "ReturnTrack")
_LIVE_RACKS = ("AudioEffectGroupDevice", "InstrumentGroupDevice", "DrumGroupDevice", "MidiEffectGroupDevice")
_BEFORE_SONG = -63072000.0


def live_value(el: etree._Element | None, path: str) -> str | None:
    found = el.find(path) if el is not None else None
    return found.get("Value") if found is not None else None


def ableton_session(path: Path) -> RSession:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    live_set = parse_xml(data).find("LiveSet")
    if live_set is None:
        raise ValueError(f"{path}: no LiveSet")
    tracks_el = live_set.find("Tracks")
    elements = [el for el in (tracks_el if tracks_el is not None else ()) if el.tag in _LIVE_TRACKS]
    master = live_set.find("MasterTrack")
    if master is None:
        master = live_set.find("MainTrack")
    returns = [el.get("Id") or "" for el in elements if el.tag == "ReturnTrack"]
    targets: dict[str, tuple[str, str]] = {}  # AutomationTarget Id -> (track key, lane)
    built: list[tuple[etree._Element, RTrack]] = []
    for el in [*elements, *([master] if master is not None else [])]:
        key = "master" if el is master else el.get("Id") or f"#track{len(built)}"
        built.append((el, live_track(el, key, returns, targets)))
    # depth-first: each group's members after it, the master last (its place in the file order)
    children: dict[str, list[RTrack]] = defaultdict(list)
    top: list[RTrack] = []
    keys = {t.key for _, t in built}
    for el, track in built:
        group = live_value(el, "TrackGroupId")
        if track.key != "master" and group not in (None, "-1") and group in keys and group != track.key:
            track.parent = group
            children[group].append(track)
        else:
            top.append(track)
    ordered: list[RTrack] = []

    def visit(track: RTrack) -> None:
        ordered.append(track)
        for child in children[track.key]:
            visit(child)

    for track in top:
        visit(track)
    tempo_lane: tuple[Any, ...] = ()
    for el, track in built:
        tempo_lane += live_envelopes(el, track, targets, {t.key: t for _, t in built})
    mixer = master.find("DeviceChain/Mixer") if master is not None else None
    markers = tuple(
        sorted(
            (number(live_value(loc, "Time")), live_value(loc, "Name") or "")
            for loc in live_set.iterfind("Locators/Locators/Locator")
        )
    )
    return RSession(
        fmt="ableton",
        tracks=ordered,
        tempo=(
            number(live_value(mixer, "Tempo/Manual")),
            live_value(mixer, "TimeSignature/Manual"),
            tempo_lane,
        ),
        markers=markers,
    )


def live_target(el: etree._Element | None, track: str, lane: str, targets: dict[str, tuple[str, str]]) -> None:
    at = el.find("AutomationTarget") if el is not None else None
    if at is not None and at.get("Id"):
        targets[at.get("Id") or ""] = (track, lane)


def live_track(el: etree._Element, key: str, returns: list[str], targets: dict[str, tuple[str, str]]) -> RTrack:
    track = RTrack(
        key=key,
        name=live_value(el, "Name/EffectiveName") or live_value(el, "Name/UserName") or "",
        user_name=live_value(el, "Name/UserName") or "",
    )
    chain = el.find("DeviceChain")
    mixer = chain.find("Mixer") if chain is not None else None
    if mixer is not None:
        track.fader = to_db(number(live_value(mixer, "Volume/Manual")))
        track.pan = number(live_value(mixer, "Pan/Manual")) or 0.0
        track.mute = (live_value(mixer, "Speaker/Manual") or "true").lower() != "true"
        track.solo = (live_value(mixer, "SoloSink") or "false").lower() == "true"
        live_target(mixer.find("Volume"), key, "volume", targets)
        live_target(mixer.find("Pan"), key, "pan", targets)
        live_target(mixer.find("Speaker"), key, "mute", targets)
        live_target(mixer.find("Tempo"), key, "tempo", targets)
        for number_, holder in enumerate(mixer.iterfind("Sends/TrackSendHolder")):
            target = returns[number_] if number_ < len(returns) else f"#return{number_}"
            track.sends[target] = (
                to_db(number(live_value(holder, "Send/Manual"))),
                (live_value(holder, "Active") or "true").lower(),
            )
            live_target(holder.find("Send"), key, f"send:{target}:level", targets)
    if chain is not None:
        track.output = live_value(chain, "AudioOutputRouting/Target")
        devices = chain.find("DeviceChain/Devices")
        if devices is not None:
            live_devices(devices, "", track, targets)
        for clip in chain.iterfind("MainSequencer/Sample/ArrangerAutomation/Events/AudioClip"):
            track.clips.append(live_clip(clip))
        for clip in chain.iterfind("MainSequencer/ClipTimeable/ArrangerAutomation/Events/MidiClip"):
            track.clips.append(live_clip(clip))
    track.clips.sort(key=repr)
    return track


def live_devices(devices_el: etree._Element, prefix: str, track: RTrack, targets: dict[str, tuple[str, str]]) -> None:
    """The devices of a chain in order; a rack is followed by the devices of its branches."""
    for el in devices_el:
        if not isinstance(el.tag, str):
            continue
        key = f"{prefix}{el.tag}#{el.get('Id')}"
        params: dict[str, Param] = {}
        blobs: dict[str, str] = {}
        live_params(el, "", params, blobs, key, track.key, targets)
        info = next(iter(el.iterfind("PluginDesc/*")), None)
        plugin_name = live_value(info, "PlugName") or live_value(info, "Name") or ""
        track.devices.append(
            RDevice(
                key=key,
                name=live_value(el, "UserName") or el.tag,
                label=live_value(el, "UserName") or "",
                plugin=f"{el.tag}|{plugin_name}|{live_value(info, 'UniqueId') or ''}",
                enabled=(live_value(el, "On/Manual") or "true").lower() == "true",
                params=params,
                state=StateView("opaque", blobs, decidable=False) if blobs else None,
            )
        )
        live_target(el.find("On"), track.key, f"device:{key}:On", targets)
        if el.tag in _LIVE_RACKS:
            for branch in [*el.iterfind("Branches/*"), *el.iterfind("ReturnBranches/*")]:
                inner = branch.find("DeviceChain/*/Devices")
                if inner is not None:
                    live_devices(inner, f"{key}/{branch.tag}#{branch.get('Id')}/", track, targets)


def live_params(
    el: etree._Element,
    path: str,
    params: dict[str, Param],
    blobs: dict[str, str],
    device: str,
    track: str,
    targets: dict[str, tuple[str, str]],
) -> None:
    """Every `Manual` value under a device (its On apart, its branches' devices apart) and the
    hex buffers of a plug-in's state."""
    counts: Counter[str] = Counter()
    for child in el:
        if not isinstance(child.tag, str) or child.tag in ("Branches", "ReturnBranches", "On"):
            continue
        counts[child.tag] += 1
        here = f"{path}/{child.tag}[{counts[child.tag]}]"
        if child.tag == "Manual":
            params[path] = token_value(child.get("Value") or "")
            live_target(el, track, f"device:{device}:{path}", targets)
        elif child.tag in ("Buffer", "ProcessorState", "ControllerState"):
            blobs[here] = "".join((child.text or "").split())
        else:
            live_params(child, here, params, blobs, device, track, targets)


def live_envelopes(
    el: etree._Element, track: RTrack, targets: dict[str, tuple[str, str]], by_key: dict[str, RTrack]
) -> tuple[Any, ...]:
    """The track's envelopes as lanes of the track (or device) their PointeeId names; returns the
    tempo envelope's points."""
    tempo: tuple[Any, ...] = ()
    for env in el.iterfind("AutomationEnvelopes/Envelopes/AutomationEnvelope"):
        ident = live_value(env, "EnvelopeTarget/PointeeId") or ""
        events = env.find("Automation/Events")
        points = tuple(
            (number(e.get("Time")), token_value(e.get("Value") or ""))
            for e in (events if events is not None else ())
            if isinstance(e.tag, str)
        )
        owner, lane = targets.get(ident, (track.key, f"pointee:{ident}"))
        if lane == "tempo":
            tempo = points
        elif points:
            by_key[owner].lanes[lane] = Lane(points)
    return tempo


_LIVE_CLIP_PATHS = (
    "CurrentStart",
    "CurrentEnd",
    "Loop/LoopStart",
    "Loop/LoopEnd",
    "Loop/StartRelative",
    "Loop/LoopOn",
    "Disabled",
    "SampleVolume",
    "PitchCoarse",
    "PitchFine",
    "IsWarped",
    "SampleRef/FileRef/RelativePath",
    "SampleRef/FileRef/Path",
    "SampleRef/FileRef/Name",
)


def live_clip(el: etree._Element) -> tuple[Any, ...]:
    values = [token_value(el.get("Time") or "")]
    values += [token_value(live_value(el, p) or "") for p in _LIVE_CLIP_PATHS]
    fades = tuple(token_value(f.get("Value") or "") for f in el.iterfind("Fades/*"))
    warps = tuple((number(w.get("SecTime")), number(w.get("BeatTime"))) for w in el.iterfind("WarpMarkers/WarpMarker"))
    notes = tuple(
        sorted(
            (
                live_value(kt, "MidiKey"),
                number(n.get("Time")),
                number(n.get("Duration")),
                number(n.get("Velocity")),
                n.get("IsEnabled"),
            )
            for kt in el.iterfind("Notes/KeyTracks/KeyTrack")
            for n in kt.iterfind("Notes/MidiNoteEvent")
        )
    )
    return (tuple(values), fades, warps, notes)


# -- DAWproject --------------------------------------------------------------------------------------
# Track renames found by reading the files (ids are regenerated at every export, so names are the
# identity): history -> number of the NEW file of the pair -> {old name: new name}.
RENAMES: dict[str, dict[str, dict[str, str]]] = {
    "opendaw-test-dawproject": {
        # RK_DTC1_Drum_Loop_125bpm -> Drum Loop: the same colour (#ff5706), the same clip (the
        # sample audio/RK_DTC1_Drum_Loop_125bpm.wav, beats 0-16), fader (1.412538), solo and send
        # (0.100545 to the effect track), first in the Structure; the old name was the sample's.
        "002": {"RK_DTC1_Drum_Loop_125bpm": "Drum Loop"},
    },
}
# Pairs of names the files cannot tell apart as one track renamed or one removed and another added:
# facts that hold either way are facts, the others are undecided.
AMBIGUOUS: dict[str, dict[str, dict[str, str]]] = {
    "opendaw-test-dawproject": {
        # Delay+ -> Aux 1: both the one effect track, fed by Drum Loop's one send, at fader 1.0,
        # between Drum Loop and Master; but Delay+'s device is gone with its name, and the send's
        # level jumps from 0.100545 to 1.0 as a new send's would.
        "004": {"Delay+": "Aux 1"},
    },
}
# Not renames, checked: 005 Pure Sine (#c69f70, an Organ named "Pure Sine", 8 notes, fader 1.201355)
# and Organ (#9549cb, Arpeggiator + Organ + Delay+, 3 notes, fader 0.316228); 007 Organ (#9549cb)
# and Pure Sine (#c69f70, back with 004's colour and device): other colours, devices and notes.

_DEVICE_TAGS = (
    "Equalizer",
    "Compressor",
    "NoiseGate",
    "Limiter",
    "BuiltinDevice",
    "Device",
    "Vst2Plugin",
    "Vst3Plugin",
    "ClapPlugin",
    "AuPlugin",
)


class DawprojectFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.archive: zipfile.ZipFile | None = zipfile.ZipFile(path) if zipfile.is_zipfile(path) else None
        data = self.archive.read("project.xml") if self.archive is not None else path.read_bytes()
        self.root = parse_xml(data)

    def member(self, name: str) -> bytes | None:
        if self.archive is None:
            candidate = self.path.parent / name
            return candidate.read_bytes() if candidate.is_file() else None
        try:
            return self.archive.read(name.replace("\\", "/"))
        except KeyError:
            return None


def dawproject_session(path: Path) -> RSession:
    project = DawprojectFile(path)
    root = project.root
    structure = root.find("Structure")
    elements: list[tuple[etree._Element, str | None]] = []

    def collect(parent: etree._Element, owner: str | None) -> None:
        """Tracks depth-first (a group's tracks after it); a bare Channel of the Structure too."""
        for el in parent:
            if el.tag == "Track" or (el.tag == "Channel" and parent is structure):
                elements.append((el, owner))
                if el.tag == "Track":
                    collect(el, el.get("id"))

    if structure is not None:
        collect(structure, None)
    names = [el.get("name") or "(unnamed)" for el, _ in elements]
    keys = numbered(names)
    by_id: dict[str, str] = {}
    for (el, _), key in zip(elements, keys):
        channel = el.find("Channel") if el.tag == "Track" else el
        for ident in (el.get("id"), channel.get("id") if channel is not None else None):
            if ident:
                by_id[ident] = key
    targets: dict[str, tuple[str, str]] = {}
    tracks = []
    for (el, owner), key in zip(elements, keys):
        channel = el.find("Channel") if el.tag == "Track" else el
        track = RTrack(key=key, name=el.get("name") or "", parent=by_id.get(owner or ""))
        if channel is not None:
            dawproject_channel(channel, track, by_id, targets, project)
        tracks.append(track)
    by_key = {t.key: t for t in tracks}
    arrangement = root.find("Arrangement")
    if arrangement is not None:
        dawproject_arrangement(arrangement, by_id, by_key, targets)
    transport = root.find("Transport")
    tempo_points: tuple[Any, ...] = ()
    for tag in ("TempoAutomation", "TimeSignatureAutomation"):
        found = arrangement.find(tag) if arrangement is not None else None
        if found is not None:
            tempo_points += (canonical_xml(found),)
    signature = transport.find("TimeSignature") if transport is not None else None
    markers = tuple(
        sorted(
            (number(m.get("time")), m.get("name") or "")
            for m in (arrangement.iterfind("Markers/Marker") if arrangement is not None else ())
        )
    )
    return RSession(
        fmt="dawproject",
        tracks=tracks,
        tempo=(
            attr_number(transport.find("Tempo")) if transport is not None else None,
            (signature.get("numerator"), signature.get("denominator")) if signature is not None else None,
            tempo_points,
        ),
        markers=markers,
    )


def dawproject_gain(el: etree._Element | None) -> float | None:
    """A Volume element in dB: linear (unit "linear", the default) or already dB ("decibel")."""
    value = attr_number(el)
    if el is None or value is None:
        return 0.0
    return value if el.get("unit") == "decibel" else to_db(value)


def dawproject_channel(
    channel: etree._Element,
    track: RTrack,
    by_id: dict[str, str],
    targets: dict[str, tuple[str, str]],
    project: DawprojectFile,
) -> None:
    volume, pan, mute = channel.find("Volume"), channel.find("Pan"), channel.find("Mute")
    track.fader = dawproject_gain(volume)
    pan_value = attr_number(pan)
    track.pan = 0.5 if pan_value is None else pan_value
    track.mute = (mute.get("value") if mute is not None else "false") == "true"
    track.solo = (channel.get("solo") or "false") == "true"
    track.channels = channel.get("audioChannels")
    destination = channel.get("destination")
    track.output = by_id.get(destination, f"?{destination}") if destination else None
    for el, lane in ((volume, "volume"), (pan, "pan"), (mute, "mute")):
        if el is not None and el.get("id"):
            targets[el.get("id") or ""] = (track.key, lane)
    counts: Counter[str] = Counter()
    for send in channel.iterfind("Sends/Send"):
        target = by_id.get(send.get("destination") or "", f"?{send.get('destination')}")
        counts[target] += 1
        key = target if counts[target] == 1 else f"{target}#{counts[target]}"
        send_volume, enable = send.find("Volume"), send.find("Enable")
        track.sends[key] = (
            dawproject_gain(send_volume),
            attr_number(send.find("Pan")),
            (enable.get("value") if enable is not None else "true"),
            send.get("type") or "post",
        )
        if send_volume is not None and send_volume.get("id"):
            targets[send_volume.get("id") or ""] = (track.key, f"send:{key}:level")
    devices_el = channel.find("Devices")
    device_keys = numbered(
        d.get("deviceID") or f"{d.tag}:{d.get('deviceName')}"
        for d in (devices_el if devices_el is not None else ())
        if d.tag in _DEVICE_TAGS
    )
    devices = [d for d in (devices_el if devices_el is not None else ()) if d.tag in _DEVICE_TAGS]
    for el, key in zip(devices, device_keys):
        track.devices.append(dawproject_device(el, key, track.key, targets, project))


def dawproject_device(
    el: etree._Element, key: str, track: str, targets: dict[str, tuple[str, str]], project: DawprojectFile
) -> RDevice:
    """A device: its Enabled, its state file, and every other element's attributes (ids, names and
    ranges apart) as its parameters; each parameter id is a lane of the device."""
    params: dict[str, Param] = {}
    enabled = True
    state: StateView | None = None

    def walk(node: etree._Element, path: str) -> None:
        counts: Counter[str] = Counter()
        for child in node:
            if not isinstance(child.tag, str):
                continue
            counts[child.tag] += 1
            here = f"{path}/{child.tag}[{counts[child.tag]}]"
            attrs = tuple(
                sorted((k, token_value(v)) for k, v in child.attrib.items() if k not in ("id", "name", "min", "max"))
            )
            if attrs:
                params[here] = attrs
            if child.get("id"):
                targets[child.get("id") or ""] = (track, f"device:{key}")
            walk(child, here)

    for child in el:
        if child.tag == "Enabled":
            enabled = (child.get("value") or "true") == "true"
            if child.get("id"):
                targets[child.get("id") or ""] = (track, f"device:{key}:enabled")
        elif child.tag == "State":
            data = project.member(child.get("path") or "")
            state = (json_view(data) or xml_view(data) or StateView("opaque", data, decidable=False)) if data else None
    walk(el, "")
    for path in [p for p in params if p.startswith(("/Enabled[", "/State["))]:
        del params[path]
    return RDevice(
        key=key,
        name=el.get("name") or el.get("deviceName") or str(el.tag),
        label=el.get("name") or "",
        plugin=f"{el.tag}|{el.get('deviceID') or ''}|{el.get('deviceName') or ''}",
        enabled=enabled,
        params=params,
        state=state,
    )


def dawproject_arrangement(
    arrangement: etree._Element,
    by_id: dict[str, str],
    by_key: dict[str, RTrack],
    targets: dict[str, tuple[str, str]],
) -> None:
    """Clips of each track's lanes and the automation Points whose target names a parameter."""

    def walk(el: etree._Element, owner: str | None) -> None:
        for child in el:
            if not isinstance(child.tag, str):
                continue
            here = by_id.get(child.get("track") or "", owner)
            if child.tag == "Lanes":
                walk(child, here)
            elif child.tag == "Clips" and here is not None and here in by_key:
                by_key[here].clips.extend(canonical_xml(c) for c in child.iterchildren("Clip"))
            elif child.tag == "Points":
                target = child.find("Target")
                ref = target.get("parameter") if target is not None else None
                if ref and ref in targets:
                    track, lane = targets[ref]
                    by_key[track].lanes[lane] = Lane((canonical_xml(child),))

    lanes = arrangement.find("Lanes")
    if lanes is not None:
        walk(lanes, None)
    for track in by_key.values():
        track.clips.sort(key=repr)


# -- reading a file ----------------------------------------------------------------------------------
READERS: dict[str, Callable[[Path], RSession]] = {
    ".rpp": reaper_session,
    ".rpp-bak": reaper_session,
    ".ardour": ardour_session,
    ".als": ableton_session,
    ".dawproject": dawproject_session,
}


def reference_session(path: Path) -> RSession:
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise ValueError(f"{path}: no reference reader for {suffix!r}")
    return READERS[suffix](path)


# -- the reference's facts ---------------------------------------------------------------------------
@dataclass
class MoveGroup:
    """Siblings (or a chain) whose order changed: any minimal set of moved members is right."""

    kind: str
    track: str
    old_place: dict[str, int]  # member -> old position
    new_order: list[str]  # members in the new order
    size: int  # how many moved, at least


@dataclass
class Truth:
    facts: set[Fact] = field(default_factory=set)
    implied: set[Fact] = field(default_factory=set)
    undecided: set[Fact] = field(default_factory=set)
    moves: list[MoveGroup] = field(default_factory=list)
    names: dict[tuple[str, str], str] = field(default_factory=dict)  # (track, device) -> name


def longest_increasing(values: list[int]) -> set[int]:
    """Positions of one longest strictly increasing subsequence of `values`."""
    tails: list[int] = []
    tail_at: list[int] = []
    previous = [-1] * len(values)
    for i, v in enumerate(values):
        k = bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_at.append(i)
        else:
            tails[k] = v
            tail_at[k] = i
        previous[i] = tail_at[k - 1] if k > 0 else -1
    keep: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        keep.add(i)
        i = previous[i]
    return keep


def moved_members(kind: str, track: str, pairs: list[tuple[str, int]], out: Truth) -> set[str]:
    """Members (in new order, with their old positions) outside one longest run that kept its order."""
    keep = longest_increasing([old for _, old in pairs])
    moved = {key for i, (key, _) in enumerate(pairs) if i not in keep}
    if moved:
        out.moves.append(MoveGroup(kind, track, dict(pairs), [k for k, _ in pairs], len(moved)))
    return moved


def compare(old: RSession, new: RSession, identity: dict[str, str] | None = None) -> Truth:
    """The facts of (old, new); `identity` maps an old track key to its new key where they differ."""
    ident = identity or {}
    out = Truth()
    for session in (old, new):
        for t in session.tracks:
            out.names[(t.key, "")] = out.names.get((t.key, "")) or t.name
            for d in t.devices:
                out.names[(t.key, d.key)] = out.names.get((t.key, d.key)) or d.name
    new_by_key = new.by_key()
    to_new = {t.key: ident.get(t.key, t.key) for t in old.tracks}
    to_old = {v: k for k, v in to_new.items() if v in new_by_key}
    pairs = [(t, new_by_key[to_new[t.key]]) for t in old.tracks if to_new[t.key] in new_by_key]
    removed = {t.key for t in old.tracks if to_new[t.key] not in new_by_key}
    added = {t.key for t in new.tracks if t.key not in to_old}
    for key in removed:
        out.facts.add(Fact("track-removed", key))
    for key in added:
        out.facts.add(Fact("track-added", key))
        name = new_by_key[key].name
        out.names[(key, "")] = name
    gone_or_new = removed | added
    # moves: a new parent, or out of the longest run of siblings that kept their order
    old_place = {t.key: i for i, t in enumerate(old.tracks)}
    siblings: dict[str | None, list[tuple[str, int]]] = defaultdict(list)
    for o, n in pairs:
        parent_then = to_new.get(o.parent) if o.parent is not None else None
        if parent_then != n.parent:
            out.facts.add(Fact("track-moved", o.key))
        else:
            siblings[n.parent].append((o.key, old_place[o.key]))
    new_place = {to_old.get(t.key, t.key): i for i, t in enumerate(new.tracks)}
    for parent, members in siblings.items():
        members.sort(key=lambda m: new_place[m[0]])
        for key in moved_members("track-moved", parent or "", members, out):
            out.facts.add(Fact("track-moved", key))
    for o, n in pairs:
        compare_track(o, n, to_new, to_old, gone_or_new, old.fmt, out)
    if not same_seq(old.tempo, new.tempo):
        out.facts.add(Fact("tempo"))
    if not same_seq(old.markers, new.markers):
        out.facts.add(Fact("markers"))
    return out


def compare_track(
    o: RTrack,
    n: RTrack,
    to_new: dict[str, str],
    to_old: dict[str, str],
    gone_or_new: set[str],
    fmt: str,
    out: Truth,
) -> None:
    k = o.key
    if o.name != n.name:
        # Live names a track after its instrument while the user has not named it
        auto = o.user_name is not None and o.user_name == n.user_name == ""
        (out.implied if auto else out.facts).add(Fact("track-renamed", k))
    for kind, a, b, unit in (
        ("fader", o.fader, n.fader, "db"),
        ("pan", o.pan, n.pan, "pan"),
        ("mute", o.mute, n.mute, ""),
        ("solo", o.solo, n.solo, ""),
        ("main-send", o.main_send, n.main_send, ""),
        ("channels", o.channels, n.channels, ""),
    ):
        if not same(a, b, unit):
            out.facts.add(Fact(kind, k))
    old_output = to_new.get(o.output, o.output) if o.output is not None else None
    if old_output != n.output:
        out.facts.add(Fact("output", k))
    if fmt == "reaper" and (o.parent != to_old.get(n.parent or "", n.parent) or o.main_send != n.main_send):
        out.implied.add(Fact("output", k))  # REAPER's output is the folder while MAINSEND is on
    # sends, by target key
    old_sends = {to_new.get(send_target(s), send_target(s)) + s[len(send_target(s)) :]: v for s, v in o.sends.items()}
    for key in old_sends.keys() | n.sends.keys():
        target = to_old.get(send_target(key), send_target(key))
        fact_target = target + key[len(send_target(key)) :]
        if key not in n.sends:
            implied = target in gone_or_new
            (out.implied if implied else out.facts).add(Fact("send-removed", k, "", fact_target))
        elif key not in old_sends:
            implied = send_target(key) in gone_or_new or target in gone_or_new
            (out.implied if implied else out.facts).add(Fact("send-added", k, "", fact_target))
        elif not same_seq(old_sends[key], n.sends[key], "db"):
            out.facts.add(Fact("send", k, "", fact_target))
    compare_devices(o, n, out)
    for lane in o.lanes.keys() | n.lanes.keys():
        before, after = o.lanes.get(lane), n.lanes.get(lane)
        if (
            before is not None
            and after is not None
            and same_seq(before.points, after.points, before.unit if before.unit == after.unit else "")
        ):
            continue
        fact = Fact("automation", k, "", lane)
        device = lane.split(":")[1] if lane.startswith("device:") else None
        gone_device = device is not None and (
            not any(d.key == device for d in o.devices) or not any(d.key == device for d in n.devices)
        )
        (out.implied if gone_device else out.facts).add(fact)
    if not same_seq(o.clips, n.clips):
        out.facts.add(Fact("clip", k))


_FORMAT_WORD = re.compile(r"^(?P<format>VST3|VST|AU|CLAP|LV2|DX|JS)i?:\s*")
_VENDOR_TAIL = re.compile(r"\s*\([^()]*\)\s*$")


def plugin_parts(plugin: str) -> tuple[str, str]:
    """(format word, bare name) of a plug-in as REAPER names it: "AU: ITSR: StudioLink" and
    "VST: StudioLink (IT-Service Sebastian Reimers)" are ("AU", "studiolink") and ("VST", "studiolink")."""
    plugin = plugin.split("|", 1)[0]  # the REAPER display name, before the unique id
    match = _FORMAT_WORD.match(plugin)
    word = match.group("format") if match else ""
    bare = plugin[match.end() :] if match else plugin
    if word == "AU" and ":" in bare:
        bare = bare.split(":", 1)[1]
    return word, _VENDOR_TAIL.sub("", bare).strip().casefold()


def format_swaps(o: RTrack, n: RTrack) -> dict[str, str]:
    """new key -> old key for a plug-in taken out and the same plug-in put in under another
    format (AU <-> VST, VST2 -> VST3) in the same save: the issue counts it as one plug-in, so it
    is a replacement, not a removal and an addition, whatever its instance id."""
    new_keys = {d.key for d in n.devices}
    old_keys = {d.key for d in o.devices}
    gone = [d for d in o.devices if d.key not in new_keys]
    swaps: dict[str, str] = {}
    for d in n.devices:
        if d.key in old_keys:
            continue
        word, bare = plugin_parts(d.plugin)
        for g in gone:
            g_word, g_bare = plugin_parts(g.plugin)
            if g.key not in swaps.values() and g_bare == bare and g_word != word:
                swaps[d.key] = g.key
                break
    return swaps


def compare_devices(o: RTrack, n: RTrack, out: Truth) -> None:
    k = o.key
    swaps = format_swaps(o, n)
    new_devices = {swaps.get(d.key, d.key): d for d in n.devices}
    old_keys = {d.key for d in o.devices}
    for d in o.devices:
        if d.key not in new_devices:
            out.facts.add(Fact("device-removed", k, d.key))
    for d in n.devices:
        if d.key not in old_keys and d.key not in swaps:
            out.facts.add(Fact("device-added", k, d.key))
    new_place = {swaps.get(d.key, d.key): i for i, d in enumerate(n.devices)}
    kept = sorted(((d.key, i) for i, d in enumerate(o.devices) if d.key in new_devices), key=lambda m: new_place[m[0]])
    for key in moved_members("device-moved", k, kept, out):
        out.facts.add(Fact("device-moved", k, key))
    chain_toggled = o.chain_on != n.chain_on
    if chain_toggled:
        out.facts.add(Fact("fx-bypass", k))
    for a in o.devices:
        b = new_devices.get(a.key)
        if b is None:
            continue
        if a.label != b.label:
            out.facts.add(Fact("device-renamed", k, a.key))
        if a.enabled != b.enabled:
            out.facts.add(Fact("device-toggled", k, a.key))
        elif chain_toggled:
            out.implied.add(Fact("device-toggled", k, a.key))
        if a.plugin != b.plugin:
            out.facts.add(Fact("device-replaced", k, a.key))
            out.implied.update({Fact("device-params", k, a.key), Fact("plugin-state", k, a.key)})
            continue
        params_changed = a.params.keys() != b.params.keys() or any(
            not same_param(v, b.params[p]) for p, v in a.params.items()
        )
        verdict = state_verdict(a.state, b.state)
        if params_changed:
            out.facts.add(Fact("device-params", k, a.key))
            if verdict != "same":
                out.implied.add(Fact("plugin-state", k, a.key))
        elif verdict == "changed":
            out.facts.add(Fact("plugin-state", k, a.key))
        elif verdict == "undecided":
            out.undecided.add(Fact("plugin-state", k, a.key))


def truth_of(old: RSession, new: RSession, renames: dict[str, str], ambiguous: dict[str, str]) -> Truth:
    """The facts of a pair; where a rename is ambiguous, what holds both ways is a fact and what
    holds only one way is undecided."""
    first = compare(old, new, renames)
    if not ambiguous:
        return first
    second = compare(old, new, {**renames, **ambiguous})
    for part in ("facts", "implied", "undecided"):
        a, b = getattr(first, part), getattr(second, part)
        setattr(first, part, a & b)
        first.undecided |= a ^ b
    first.undecided -= first.implied
    first.moves = [m for m in first.moves if m in second.moves]
    first.names.update(second.names)
    return first


# -- ours: the differ's changes as facts ------------------------------------------------------------
# Properties the readers derive (a folder's role, a track's content, the timeline's unit): counted
# apart, never scored.
DERIVED = frozenset({"role", "content_types", "time_unit"})
CHANNEL_TERMS = {
    "volume_db": "fader",
    "pan": "pan",
    "mute": "mute",
    "solo": "solo",
    "main_send": "main-send",
    "audio_channels": "channels",
    "output": "output",
}
LANE_TERMS = {
    "volume_db": "volume",
    "pan": "pan",
    "mute": "mute",
    "pre_fx.volume_db": "pre-fx-volume",
    "pre_fx.pan": "pre-fx-pan",
    "trim.volume_db": "trim",
}
SEND_LEAVES = {"level_db": "level", "pan": "pan", "enabled": "mute"}
DEVICE_KINDS = frozenset({"device-removed", "device-moved", "device-toggled", "device-renamed", "device-replaced"})


@dataclass
class Ours:
    facts: set[Fact] = field(default_factory=set)
    derived: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    error: str | None = None


class Mapper:
    """Turns the differ's changes into reference facts, from the places and names they carry."""

    def __init__(self, old: RSession, new: RSession, identity: dict[str, str], read_old: Any, read_new: Any) -> None:
        self.old, self.new = old, new
        self.to_new = {t.key: identity.get(t.key, t.key) for t in old.tracks}
        self.to_old = {v: k for k, v in self.to_new.items()}
        # the reader's saves, in the same depth-first order: a name a change carries is found there
        self.read_old = read_old.all_tracks()
        self.read_new = read_new.all_tracks()

    def old_track(self, where: dict[str, Any]) -> RTrack | None:
        index = where.get("old")
        return self.old.tracks[index] if isinstance(index, int) and 0 <= index < len(self.old.tracks) else None

    def new_track_of(self, old: RTrack) -> RTrack | None:
        return self.new.by_key().get(self.to_new.get(old.key, old.key))

    def track_key_by_name(self, name: str) -> str | None:
        """The track a change names (a send's or lane's target): its place among the reader's
        tracks of the new save, else of the old, is its place in the reference's."""
        for read, ref in ((self.read_new, self.new), (self.read_old, self.old)):
            names = [t.name for t in read]
            if name in names and len(read) == len(ref.tracks):
                key = ref.tracks[names.index(name)].key
                return self.to_old.get(key, key) if ref is self.new else key
        return None

    def device_by_name(self, index: int, track: RTrack, name: str) -> str | None:
        """The device a lane names: its place in the reader's old chain, else a device of the
        reference's of that name (old, then new)."""
        if 0 <= index < len(self.read_old):
            names = [d.name for d in self.read_old[index].devices]
            if name in names and names.index(name) < len(track.devices):
                return track.devices[names.index(name)].key
        partner = self.new_track_of(track)
        for devices in (track.devices, partner.devices if partner else []):
            for d in devices:
                if d.name == name:
                    return d.key
        return None

    def fact(self, change: Any) -> Fact | str | None:
        """The fact of a change; a string for a derived property; None when it cannot be mapped."""
        kind: str = change.type
        where: dict[str, Any] = dict(change.where or {})
        parameter: str = change.parameter or ""
        if kind == "tempo-changed" or (kind == "automation-changed" and change.track is None and "tempo" in parameter):
            return Fact("tempo")
        if kind == "markers-changed":
            return Fact("markers")
        if kind == "track-added":
            index = where.get("new")
            if not isinstance(index, int) or not 0 <= index < len(self.new.tracks):
                return None
            return Fact("track-added", self.to_old.get(self.new.tracks[index].key, self.new.tracks[index].key))
        if kind == "parameter-changed" and change.track is None:
            return parameter if parameter in DERIVED else None
        track = self.old_track(where)
        if track is None:
            return None
        k = track.key
        if kind == "track-renamed" and where.get("auto_name"):
            return "number of an unnamed track"  # REAPER's "Track N" label followed the track's place
        if kind in ("track-removed", "track-renamed", "track-moved"):
            return Fact(kind, k)
        if "clip" in kind or "note" in kind:
            return Fact("clip", k)
        if kind in ("send-added", "send-removed"):
            target = self.track_key_by_name(parameter.removeprefix("send."))
            return Fact(kind, k, "", target) if target else None
        if kind == "automation-changed":
            return self.lane_fact(where["old"], track, change.device, parameter)
        if kind == "device-added":
            partner = self.new_track_of(track)
            index = where.get("index")
            if partner is None or not isinstance(index, int) or not 0 <= index < len(partner.devices):
                return None
            return Fact("device-added", k, partner.devices[index].key)
        device = where.get("device")
        if not isinstance(device, int) and isinstance(where.get("index"), int) and kind.startswith("device-"):
            partner = self.new_track_of(track)  # a change that names its device in the new chain only
            index = where["index"]
            if partner is None or not 0 <= index < len(partner.devices):
                return None
            return Fact(kind, k, partner.devices[index].key) if kind in DEVICE_KINDS else None
        if isinstance(device, int):
            if not 0 <= device < len(track.devices):
                return None
            d = track.devices[device].key
            if kind in DEVICE_KINDS:
                return Fact(kind, k, d)
            if kind == "plugin-state-changed":
                return Fact("plugin-state", k, d)
            if kind == "parameter-changed":
                if parameter == "enabled":
                    return Fact("device-toggled", k, d)
                if parameter in ("device.plugin", "device.format", "device.plugin_id", "device.vendor", "device.role"):
                    return Fact("device-replaced", k, d)
                if parameter == "name":
                    return Fact("device-renamed", k, d)
                return Fact("device-params", k, d)
            return None
        if kind == "parameter-changed":
            if parameter in DERIVED:
                return parameter
            if parameter in CHANNEL_TERMS:
                return Fact(CHANNEL_TERMS[parameter], k)
            if parameter.startswith("send."):
                target = self.track_key_by_name(parameter[5:].rsplit(".", 1)[0])
                return Fact("send", k, "", target) if target else None
        return None

    def lane_fact(self, index: int, track: RTrack, device: str | None, term: str) -> Fact | None:
        k = track.key
        if device:
            d = self.device_by_name(index, track, device)
            if d is None:
                return None
            lanes = [
                lane
                for t in (track, self.new_track_of(track))
                if t
                for lane in t.lanes
                if lane.startswith(f"device:{d}")
            ]
            return Fact("automation", k, "", lanes[0] if len(set(lanes)) == 1 else f"device:{d}")
        if term.startswith("send."):
            name, _, leaf = term[5:].rpartition(".")
            target = self.track_key_by_name(name)
            return Fact("automation", k, "", f"send:{target}:{SEND_LEAVES.get(leaf, leaf)}") if target else None
        return Fact("automation", k, "", LANE_TERMS.get(term, term))


def order_mismatch(read: list[Any], ref: RSession) -> str | None:
    """Whether the reader's depth-first tracks and chains line up with the reference's: the same
    count, the same name where the reference has one, the same number of devices."""
    if len(read) != len(ref.tracks):
        return f"the reader has {len(read)} tracks, the reference {len(ref.tracks)}"
    for index, (t, r) in enumerate(zip(read, ref.tracks)):
        if r.name and t.name != r.name:
            return f"track {index} is {t.name!r} to the reader, {r.name!r} to the reference"
        if len(t.devices) != len(r.devices):
            return f"track {index} ({t.name!r}) has {len(t.devices)} devices to the reader, {len(r.devices)} to the reference"
    return None


def our_facts(old_path: Path, new_path: Path, old: RSession, new: RSession, identity: dict[str, str]) -> Ours:
    from daemon.formats import read_session
    from daemon.sessions.diff import diff

    out = Ours()
    try:
        a, b = read_session(old_path), read_session(new_path)
        changes = diff(a, b)
    except Exception as exc:  # noqa: BLE001 - a failing differ is a measured outcome, not a crash
        out.error = f"{type(exc).__name__}: {exc}"
        return out
    for session, ref in ((a, old), (b, new)):
        warning = order_mismatch(session.all_tracks(), ref)
        if warning:
            out.unmatched.append(f"({warning}: places may mislead)")
    mapper = Mapper(old, new, identity, a, b)
    for change in changes:
        fact = mapper.fact(change)
        if isinstance(fact, Fact):
            out.facts.add(fact)
        elif isinstance(fact, str):
            out.derived.append(f"{change.track}: {fact}")
        else:
            out.unmatched.append(
                f"{change.type} {change.track!r} {change.device or ''} {change.parameter or ''} {change.where}"
            )
    return out


# -- scoring -----------------------------------------------------------------------------------------
@dataclass
class PairScore:
    name: str
    reference: set[Fact]
    ours: set[Fact]
    tp: set[Fact]
    fp: set[Fact]
    fn: set[Fact]
    allowed: set[Fact]  # ours that the reference holds implied or undecided


def accept_moves(reference: set[Fact], moves: list[MoveGroup], ours: set[Fact]) -> set[Fact]:
    """Where ours moved another minimal set of members than the reference chose, take ours."""
    out = set(reference)
    for group in moves:

        def member(f: Fact, g: MoveGroup = group, members: frozenset[str] = frozenset(group.new_order)) -> str | None:
            if f.kind != g.kind:
                return None
            if g.kind == "track-moved":
                return f.track if f.track in members else None
            return f.device if f.track == g.track and f.device in members else None

        theirs = {m for f in ours if (m := member(f)) is not None}
        kept = [group.old_place[m] for m in group.new_order if m not in theirs]
        if len(theirs) == group.size and all(x < y for x, y in zip(kept, kept[1:])):
            out = {f for f in out if member(f) is None}
            out |= {f for f in ours if member(f) is not None}
    return out


def score(name: str, truth: Truth, ours: Ours, clips: bool) -> PairScore:
    """Scores one pair on the mix facts (clips False) or on the clip facts."""

    def pick(facts: Iterable[Fact]) -> set[Fact]:
        return {scoring_key(f) for f in facts if (f.kind in CLIP_KINDS) == clips}

    reference = pick(accept_moves(truth.facts, truth.moves, ours.facts))
    mine = pick(ours.facts)
    allowed = pick(truth.implied | truth.undecided) - reference
    return PairScore(
        name=name,
        reference=reference,
        ours=mine,
        tp=mine & reference,
        fp=mine - reference - allowed,
        fn=reference - mine,
        allowed=mine & allowed,
    )


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def describe(fact: Fact, truth: Truth) -> str:
    """A fact as a person reads it: "fx-bypass: 'Amplitube'", "send: 'Keith' -> 'Bastien'"."""
    track = truth.names.get((fact.track, ""), "") or f"(unnamed {fact.track[:9]})"
    text = f"{fact.kind}"
    if fact.track:
        text += f": {track!r}"
    if fact.device:
        text += f" / {truth.names.get((fact.track, fact.device), fact.device)!r} [{fact.device}]"
    if fact.detail:
        target = send_target(fact.detail.split(":")[1] if ":" in fact.detail else fact.detail)
        label = truth.names.get((target, ""))
        text += f" -> {fact.detail}" + (f" ({label!r})" if label else "")
    return text


# -- the command -------------------------------------------------------------------------------------
@dataclass
class PairResult:
    name: str
    truth: Truth
    ours: Ours
    mix: PairScore
    clips: PairScore


def history_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name != "HISTORY.md")


def run_history(folder: Path) -> Iterator[PairResult]:
    files = history_files(folder)
    cache: dict[Path, RSession] = {}
    for old_path, new_path in zip(files, files[1:]):
        number_ = new_path.name.split("_", 1)[0]
        name = f"{folder.name}/{old_path.name.split('_', 1)[0]}-{number_}"
        for p in (old_path, new_path):
            if p not in cache:
                cache[p] = reference_session(p)
        old, new = cache[old_path], cache[new_path]
        renames = RENAMES.get(folder.name, {}).get(number_, {})
        ambiguous = AMBIGUOUS.get(folder.name, {}).get(number_, {})
        truth = truth_of(old, new, renames, ambiguous)
        ours = our_facts(old_path, new_path, old, new, renames)
        yield PairResult(name, truth, ours, score(name, truth, ours, False), score(name, truth, ours, True))


ROW = "{:<40} {:>5} {:>6} {:>6} {:>5} {:>5} {:>5} {:>7} {:>9} {:>7}"


def table(title: str, rows: list[tuple[str, int, list[PairScore]]]) -> list[str]:
    lines = [title, ROW.format("history", "pairs", "ref", "ours", "tp", "fp", "fn", "allowed", "precision", "recall")]
    for label, pairs, scores in rows:
        ref = sum(len(s.reference) for s in scores)
        mine = sum(len(s.ours) for s in scores)
        tp = sum(len(s.tp) for s in scores)
        fp = sum(len(s.fp) for s in scores)
        fn = sum(len(s.fn) for s in scores)
        allowed = sum(len(s.allowed) for s in scores)
        lines.append(
            ROW.format(
                label, pairs, ref, mine, tp, fp, fn, allowed, f"{ratio(tp, tp + fp):.3f}", f"{ratio(tp, tp + fn):.3f}"
            )
        )
    return lines


def totals(scores: list[PairScore]) -> tuple[float, float]:
    tp = sum(len(s.tp) for s in scores)
    return ratio(tp, tp + sum(len(s.fp) for s in scores)), ratio(tp, tp + sum(len(s.fn) for s in scores))


def misses(results: list[PairResult]) -> list[str]:
    lines = []
    for r in results:
        parts = []
        for label, facts in (
            ("false positive", r.mix.fp | r.clips.fp),
            ("false negative", r.mix.fn | r.clips.fn),
            ("undecided", {scoring_key(f) for f in r.truth.undecided}),
        ):
            parts += [f"    {label}: {describe(f, r.truth)}" for f in sorted(facts)]
        parts += [f"    unmatched change: {u}" for u in r.ours.unmatched]
        if r.ours.derived:
            parts.append(f"    not scored ({len(r.ours.derived)}): {'; '.join(r.ours.derived)}")
        if r.ours.error:
            parts.append(f"    the differ failed: {r.ours.error}")
        if parts:
            lines += [f"  {r.name}", *parts]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--history", action="append", help="only this history (a folder name); repeatable")
    parser.add_argument("--show-misses", action="store_true", help="list every false positive and negative")
    parser.add_argument("--show-facts", action="store_true", help="list the reference's facts of every pair")
    parser.add_argument("--min", type=float, default=None, help="exit 1 when total precision or recall is below")
    args = parser.parse_args(argv)
    if not HISTORIES.is_dir():
        print(f"the histories are not at {HISTORIES} (../shared is absent)")
        return 0
    folders = sorted(p for p in HISTORIES.iterdir() if p.is_dir())
    if args.history:
        unknown = set(args.history) - {p.name for p in folders}
        if unknown:
            parser.error(f"no such history: {', '.join(sorted(unknown))}")
        folders = [p for p in folders if p.name in args.history]
    results: list[PairResult] = []
    mix_rows, clip_rows = [], []
    for folder in folders:
        pairs = list(run_history(folder))
        results += pairs
        mix_rows.append((folder.name, len(pairs), [r.mix for r in pairs]))
        clip_rows.append((folder.name, len(pairs), [r.clips for r in pairs]))
    mix_rows.append(("TOTAL", len(results), [r.mix for r in results]))
    clip_rows.append(("TOTAL", len(results), [r.clips for r in results]))
    print("\n".join(table("Mix facts (clips apart)", mix_rows)))
    print()
    print("\n".join(table("Clip facts", clip_rows)))
    failures = [r for r in results if r.ours.error]
    undecided = sum(len(r.truth.undecided) for r in results)
    unmatched = sum(len([u for u in r.ours.unmatched if not u.startswith("(")]) for r in results)
    derived = sum(len(r.ours.derived) for r in results)
    print()
    print(
        f"{undecided} fact(s) the reference cannot decide; {unmatched} change(s) of ours unmatched; "
        f"{derived} derived change(s) not scored; the differ failed on {len(failures)} pair(s)"
        + (f": {', '.join(r.name for r in failures)}" if failures else "")
    )
    if args.show_facts:
        print()
        for r in results:
            print(f"  {r.name}")
            for label, facts in (
                ("fact", r.truth.facts),
                ("implied", r.truth.implied),
                ("undecided", r.truth.undecided),
            ):
                for f in sorted(facts):
                    print(f"    {label}: {describe(f, r.truth)}")
    if args.show_misses:
        print()
        print("\n".join(misses(results)))
    precision, recall = totals([r.mix for r in results])
    if args.min is not None and (precision < args.min or recall < args.min):
        print(f"below --min {args.min}: precision {precision:.3f}, recall {recall:.3f}")
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
