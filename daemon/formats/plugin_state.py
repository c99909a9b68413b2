"""Plug-in state as it sounds: the opaque state a session keeps for a plug-in, reduced before it is
hashed to what can change the sound, so that `Device.state_sha256` does not change when a save only
moved an editor window, renamed the preset, reordered the keys of a JSON state or wrote a newer
version string. docs/formats.md ("Plug-in state: what is compared") has the table of the rules and
of the real saves (../shared/corpus) each was found in; tests/daemon/formats/test_plugin_state.py
tests each on those saves.

The host's wrapper first. REAPER keeps a VST2 or VST3 plug-in's state as base64 lines: a header
(4CC, magic 0xFEED5EEE/0xFEED5EEF, input then output pin count each followed by 8-byte pin masks,
the chunk size, 8 bytes of flags), the plug-in's own chunk, then a trailer REAPER writes after it:
two NUL-terminated names (the first empty but for plug-ins without a chunk, StudioLink's
"Default"; the second the preset name, "Program 1" or "" from one save to the next) and four bytes
(0 or 16 in every save of the corpus). The trailer is dropped (the plug-in's sound is its chunk;
the names are labels); the size is dropped because it only restates the chunk's length, which a
rule may change. Ardour keeps a VST's chunk as base64 text with no wrapper.

Then the plug-in's own chunk, by the rules of RULES (name, vendor -> canonical bytes). A plug-in no
rule knows is hashed as its chunk. A rule never drops what it cannot place: a state that does not
have the layout the rule was written from is hashed as it is.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

# -- REAPER's wrapper --------------------------------------------------------------------------
_REAPER_MAGICS = (0xFEED5EEE, 0xFEED5EEF)
_MAX_PINS = 1024


@dataclass(frozen=True)
class ReaperVst:
    """A REAPER VST2/VST3 state split at its parts: `head` is the header up to the chunk size (4CC,
    magic, pins), `flags` the 8 bytes after the size, `chunk` the plug-in's own, `trailer` the rest."""

    head: bytes
    flags: bytes
    chunk: bytes
    trailer: bytes


def split_reaper_vst(state: bytes) -> ReaperVst | None:
    """REAPER's VST state in its parts (module docstring); None when it has not that layout."""
    try:
        if struct.unpack_from("<I", state, 4)[0] not in _REAPER_MAGICS:
            return None
        offset = 8
        for _ in range(2):
            pins = struct.unpack_from("<i", state, offset)[0]
            if not 0 <= pins <= _MAX_PINS:
                return None
            offset += 4 + 8 * pins
        size = struct.unpack_from("<i", state, offset)[0]
    except struct.error:
        return None
    start = offset + 4 + 8
    if size < 0 or start + size > len(state):
        return None
    return ReaperVst(state[:offset], state[offset + 4 : start], state[start : start + size], state[start + size :])


def reaper_vst_canonical(name: str, vendor: str | None, state: bytes) -> bytes:
    """The bytes hashed for a REAPER VST state: head, flags and the canonical chunk; the state as it
    is when it is not REAPER's layout."""
    parts = split_reaper_vst(state)
    if parts is None:
        return state
    return parts.head + parts.flags + canonical_chunk(name, vendor, parts.chunk)


# -- rules -------------------------------------------------------------------------------------
Canonical = Callable[[bytes], bytes]


@dataclass(frozen=True)
class Rule:
    """What one plug-in (or family) drops from its chunk before it is hashed."""

    key: str  # the rule's name in docs/formats.md
    names: tuple[str, ...]  # plug-in names it knows (exact; "*" for any plug-in of `vendor`)
    vendor: str | None  # the vendor REAPER writes in "(Vendor)"; Ardour writes none
    canonical: Canonical

    def applies(self, name: str, vendor: str | None) -> bool:
        if name in self.names:
            return self.vendor is None or vendor is None or vendor == self.vendor
        return "*" in self.names and vendor is not None and vendor == self.vendor


def canonical_chunk(name: str, vendor: str | None, chunk: bytes) -> bytes:
    """A plug-in's own chunk reduced by the first rule that knows it; the chunk when none does."""
    rule = rule_for(name, vendor)
    return chunk if rule is None else rule.canonical(chunk)


def rule_for(name: str, vendor: str | None) -> Rule | None:
    return next((r for r in RULES if r.applies(name, vendor)), None)


def sha256_of(data: bytes | None) -> str | None:
    """sha256 of the canonical bytes; None for no state (nothing left to compare)."""
    return hashlib.sha256(data).hexdigest() if data else None


# -- ReaEQ (Cockos) -----------------------------------------------------------------------------
# Its chunk: int32 version, int32 band count, per band 33 bytes (int32 type, int32 enabled, f64 Hz,
# f64 linear gain, f64 bandwidth in octaves, u8), then int32 1, int32 1, f64 output gain (linear),
# int32 0 (the four fields a REW-to-ReaEQ converter writes), the editor's width and height (int32
# each, which REAPER appends), and in REAPER 7 an int32 2 more.
REAEQ_BAND_SIZE = 33
REAEQ_MAX_BANDS = 256


def reaeq_band_count(chunk: bytes) -> int | None:
    """The band count of a ReaEQ chunk when its bands fit in it; None when it has not that layout."""
    if len(chunk) < 8:
        return None
    count = struct.unpack_from("<i", chunk, 4)[0]
    if not 0 <= count <= REAEQ_MAX_BANDS or 8 + count * REAEQ_BAND_SIZE > len(chunk):
        return None
    return int(count)


def _reaeq(chunk: bytes) -> bytes:
    """ReaEQ without its editor's width and height (the 8 bytes 4 after the output gain)."""
    count = reaeq_band_count(chunk)
    if count is None:
        return chunk
    window = 8 + count * REAEQ_BAND_SIZE + 20
    if len(chunk) < window + 8:
        return chunk
    return chunk[:window] + chunk[window + 8 :]


# -- ReaControlMIDI (Cockos) --------------------------------------------------------------------
# Its chunk holds, at byte 44, an int32 length and that many bytes of the path of the .reabank file
# whose names it shows (REAPER 7.14/win64 and 7.26/macOS-arm64 write the same layout).
_BANK_AT = 44


def _reacontrolmidi(chunk: bytes) -> bytes:
    """ReaControlMIDI with its bank file's folder dropped: the same GM.reabank lives under the user's
    folder of each machine; the bank and program it sends are numbers elsewhere in the chunk."""
    if len(chunk) < _BANK_AT + 4:
        return chunk
    length = struct.unpack_from("<i", chunk, _BANK_AT)[0]
    end = _BANK_AT + 4 + length
    if length < 1 or end > len(chunk):
        return chunk
    path = chunk[_BANK_AT + 4 : end]
    if not path.lower().endswith(b".reabank"):
        return chunk
    base = re.split(rb"[\\/]", path)[-1]
    return chunk[:_BANK_AT] + struct.pack("<i", len(base)) + base + chunk[end:]


# -- ReaLearn / Helgobox (Helgoboss) ------------------------------------------------------------
# Their VST chunk is the unit's settings as UTF-8 JSON (no header, not compressed, ReaLearn 2.13 to
# Helgobox 2.16 in the corpus); Helgobox 2.16 nests the unit in "mainUnit" and "additionalUnits".
_VERSION_KEYS = ("version",)


def _helgoboss(chunk: bytes) -> bytes:
    """The JSON with its keys sorted and the version the writing release stamps on a unit dropped."""
    if not chunk.lstrip().startswith(b"{"):
        return chunk
    try:
        data = json.loads(chunk.decode("utf-8"))
    except (ValueError, RecursionError):
        return chunk
    if not isinstance(data, dict):
        return chunk
    units = [data, data.get("mainUnit")]
    extra = data.get("additionalUnits")
    units += extra if isinstance(extra, list) else []
    for unit in units:
        if isinstance(unit, dict):
            for key in _VERSION_KEYS:
                unit.pop(key, None)
    try:
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        return chunk


# -- Zebra2 (u-he) ------------------------------------------------------------------------------
# Its chunk is u-he's text preset: "#pgm=<name>", a /*@Meta ... */ comment (bank, author, tags),
# "#cm=<module>" sections of key=value lines, then "$$$$<size>" and the "ugly compressed binary data"
# (see _uhe_binary).
_UHE_BINARY = b"$$$$"
_UHE_COUNTERS = {("PCore", "PProj"), ("PCore", "UI_op")}
_UHE_MAX_BINARY = 16 * 1024 * 1024
_MAX_DIGITS = 12  # a count or checksum longer than this is no u-he data (and int() refuses 4300 digits)


def _zebra2(chunk: bytes) -> bytes:
    """The preset without its name and meta comment, without PCore's PProj and UI_op (counters that
    only grow from save to save), and with its binary data decoded and its running counter blanked."""
    at = chunk.find(b"\n" + _UHE_BINARY)
    text, binary = (chunk, b"") if at < 0 else (chunk[: at + 1], chunk[at + 1 :])
    text = _without_meta(text)
    kept: list[bytes] = []
    section = b""
    for line in text.split(b"\n"):
        if line.startswith(b"#cm="):
            section = line[4:]
        key = line.split(b"=", 1)[0]
        if line.startswith(b"#pgm=") or (section.decode("latin-1"), key.decode("latin-1")) in _UHE_COUNTERS:
            continue
        kept.append(line)
    return b"\n".join(kept) + _uhe_binary(binary)


def _without_meta(text: bytes) -> bytes:
    """The preset text without its first "/*@Meta" ... "*/" comment; as it is when that is unclosed."""
    if text.startswith(b"/*@Meta\n"):
        start = 0
    elif (at := text.find(b"\n/*@Meta\n")) >= 0:
        start = at + 1
    else:
        return text
    end = text.find(b"\n*/\n", start)
    return text if end < 0 else text[:start] + text[end + 4 :]


def _uhe_binary(binary: bytes) -> bytes:
    """The binary section decoded, with Zebra2's running counter blanked; as it is when it does not
    decode to the size it declares."""
    blob = uhe_decode(binary)
    if blob is None:
        return binary
    return _UHE_BINARY + _blank_uhe_counter(blob)


def uhe_decode(binary: bytes) -> bytes | None:
    """u-he's binary section: "$$$$<size>", then "?" a dictionary of ':'-separated hex strings written
    with the letters a..p (10 four-byte words, then 26 bytes), "!", the data, "=" the sum of the
    characters from "?" to the data's end. In the data q..z are the words, A..Z the bytes, two letters
    a..p any other byte, and a decimal number repeats the unit before it that many more times. None
    when the section is not that, or decodes to other than its size."""
    try:
        head, _, body = binary.decode("ascii").partition("\n")
        size = int(head.removeprefix("$$$$"))
    except (UnicodeDecodeError, ValueError):
        return None
    data, _, checksum = "".join(body.split()).rstrip("\0").rpartition("=")
    if not 0 < size <= _UHE_MAX_BINARY or not data.startswith("?") or "!" not in data:
        return None
    if not checksum.isdigit() or len(checksum) > _MAX_DIGITS or int(checksum) != sum(map(ord, data)):
        return None
    table, _, payload = data[1:].partition("!")
    words = [_nibbles(entry) for entry in table.split(":")]
    if len(words) != 36 or any(w is None for w in words):
        return None
    return _uhe_expand(payload, [w for w in words if w is not None], size)


def _nibbles(text: str) -> bytes | None:
    if len(text) % 2 or any(not "a" <= c <= "p" for c in text):
        return None
    return bytes((ord(text[i]) - 97) * 16 + ord(text[i + 1]) - 97 for i in range(0, len(text), 2))


def _uhe_expand(payload: str, words: list[bytes], size: int) -> bytes | None:
    out = bytearray()
    unit = b""
    i = 0
    while i < len(payload):
        c = payload[i]
        if c.isdigit():
            j = i
            while j < len(payload) and payload[j].isdigit():
                j += 1
            if j - i > _MAX_DIGITS:
                return None
            repeat = int(payload[i:j])
            if len(out) + repeat * len(unit) > size:
                return None
            out += unit * repeat
            i = j
            continue
        if "q" <= c <= "z":
            unit, i = words[ord(c) - 113], i + 1
        elif "A" <= c <= "Z":
            unit, i = words[10 + ord(c) - 65], i + 1
        elif "a" <= c <= "p" and i + 1 < len(payload) and "a" <= payload[i + 1] <= "p":
            unit, i = bytes([(ord(c) - 97) * 16 + ord(payload[i + 1]) - 97]), i + 2
        else:
            return None
        out += unit
        if len(out) > size:
            return None
    return bytes(out) if len(out) == size else None


def _blank_uhe_counter(blob: bytes) -> bytes:
    """Zebra2's binary data is a run of blocks ("cbMA", u32 size, 8 bytes, the data); the fifth is 4
    bytes that count up between saves (183776, 1221792, 129664, 4162400, ... in helgobox-issue-221-nks,
    the only binary difference of saves 5 and 6) and are blanked. Another layout is left as it is."""
    offset = 0
    for index in range(5):
        if blob[offset : offset + 4] != b"cbMA" or offset + 16 > len(blob):
            return blob
        size = struct.unpack_from("<I", blob, offset + 4)[0]
        if index == 4:
            if size != 4 or offset + 20 > len(blob):
                return blob
            return blob[: offset + 16] + bytes(4) + blob[offset + 20 :]
        offset += 16 + size
    return blob


# -- Neural DSP Archetype and AmpliTube 5: XML in the chunk ------------------------------------
_ARCHETYPE_PAGE = re.compile(rb'(<appModel\b[^>]*?\bselectedSection=")[^"]*(")')
_AMPLITUBE_GUID = re.compile(rb'(<Program\b[^>]*?\bGUID=")[^"]*(")')


def _archetype(chunk: bytes) -> bytes:
    """An Archetype without the editor page it was left on (appModel's selectedSection)."""
    return _ARCHETYPE_PAGE.sub(rb"\1\2", chunk, count=1)


def _amplitube(chunk: bytes) -> bytes:
    """AmpliTube 5 without the GUID it gives its program anew at every save."""
    return _AMPLITUBE_GUID.sub(rb"\1\2", chunk, count=1)


# -- JSFX (REAPER JS effects) -------------------------------------------------------------------
def js_state(serialized: bytes | None) -> bytes | None:
    """What is hashed of a JS effect: its slider line is read as param.slider<N> and its preset name
    is a label, so only the <JS_SER> block (the effect's @serialize memory, whose meaning is the
    effect's own code) is left; None without one."""
    return serialized or None


RULES: tuple[Rule, ...] = (
    Rule("reaeq", ("ReaEQ",), "Cockos", _reaeq),
    Rule("reacontrolmidi", ("ReaControlMIDI",), "Cockos", _reacontrolmidi),
    Rule("helgoboss-json", ("*", "ReaLearn", "Helgobox", "Helgobox - ReaLearn & Playtime"), "Helgoboss", _helgoboss),
    Rule("zebra2", ("Zebra2",), "u-he", _zebra2),
    Rule("archetype", ("*",), "Neural DSP", _archetype),
    Rule("amplitube5", ("AmpliTube 5",), "IK Multimedia", _amplitube),
)
