"""Plug-in state compared as it sounds (daemon.formats.plugin_state, docs/formats.md "Plug-in state:
what is compared"). Each rule is shown on the real saves of ../shared/corpus it was found in: (a) two
saves whose states differ only in what the rule drops now give the same hash (they did not before),
(b) a real parameter changed inside that real state still changes the hash. And the ids the formats
keep for a device instance (REAPER's FXID, Ardour's processor id) land in Device.uid; Ardour's unity
trim and polarity processors are no devices.

What each save holds was found by decoding its base64 blocks and comparing them byte by byte.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from pathlib import Path

import pytest

from daemon.formats.ardour import read_ardour
from daemon.formats.plugin_state import (
    canonical_chunk,
    reaper_vst_canonical,
    split_reaper_vst,
    uhe_decode,
)
from daemon.formats.reaper import read_reaper
from daemon.formats.rpp import Node, parse_rpp
from daemon.sessions.diff import diff
from daemon.sessions.model import Device, Session

pytestmark = pytest.mark.corpus

GLUTONES = "histories/glutones-toast-band-session"
GLUTONES_BAK = "histories/glutones-toast-band-session-rpp-bak"
ISSUE_161 = "histories/helgobox-issue-161-instance-track"
ISSUE_221 = "histories/helgobox-issue-221-nks"
STUDIOLINK = "histories/ultraschall-studiolink"


# -- helpers -----------------------------------------------------------------------------------
def _save(corpus: Path, history: str, number: int) -> Path:
    (path,) = (corpus / history).glob(f"{number:03d}_*")
    return path


def _device(session: Session, track: str, name: str, nth: int = 0) -> Device:
    return [d for d in session.track(track).devices if d.name == name][nth]


def _blocks(path: Path) -> list[Node]:
    """The plug-in blocks (VST, JS) and <JS_SER> blocks of a REAPER file, in file order."""
    found: list[Node] = []

    def walk(node: Node) -> None:
        for child in node.children():
            if child.tag in ("VST", "JS", "JS_SER"):
                found.append(child)
            else:
                walk(child)

    walk(parse_rpp(path.read_text(encoding="utf-8", errors="replace"), path))
    return found


def _state(path: Path, plugin: str, nth: int = 0) -> bytes:
    """The decoded state of the nth block whose first argument names `plugin`."""
    block = [b for b in _blocks(path) if b.args and plugin in b.args[0]][nth]
    return b"".join(base64.b64decode(line) for line in block.items if isinstance(line, str))


def _canonical(name: str, vendor: str, state: bytes) -> bytes:
    return reaper_vst_canonical(name, vendor, state)


def _with_chunk(state: bytes, chunk: bytes) -> bytes:
    """A REAPER VST state with its chunk replaced (size field and trailer kept as REAPER lays them)."""
    parts = split_reaper_vst(state)
    assert parts is not None
    return parts.head + struct.pack("<i", len(chunk)) + parts.flags + chunk + parts.trailer


def _chunk(state: bytes) -> bytes:
    parts = split_reaper_vst(state)
    assert parts is not None
    return parts.chunk


def _raw_sha(state: bytes) -> str:
    return hashlib.sha256(state).hexdigest()


# -- REAPER's wrapper and Cockos plug-ins --------------------------------------------------------
def test_reaper_trailer_is_dropped_readelay_and_reasynth(corpus: Path) -> None:
    # 161 saves 5 -> 6: ReaDelay's state only lost its trailer's preset name "Program 1";
    # saves 10 -> 11: ReaSynth 1's only gained it back.
    for first, plugin, device, track in (
        (5, "ReaDelay", "ReaDelay", "ReaDelay"),
        (10, "ReaSynth", "ReaSynth 1", "ReaSynth"),
    ):
        old, new = _save(corpus, ISSUE_161, first), _save(corpus, ISSUE_161, first + 1)
        a, b = _state(old, plugin), _state(new, plugin)
        assert _raw_sha(a) != _raw_sha(b)
        assert _chunk(a) == _chunk(b)
        assert (
            _device(read_reaper(old), track, device).state_sha256
            == _device(read_reaper(new), track, device).state_sha256
        )
    # ReaDelay's chunk holds its parameters as floats: the one at byte 44 (1/64) set to 0.5 is heard.
    state = _state(_save(corpus, ISSUE_161, 5), "ReaDelay")
    chunk = _chunk(state)
    assert struct.unpack_from("<f", chunk, 44)[0] == pytest.approx(1 / 64)
    mutated = chunk[:44] + struct.pack("<f", 0.5) + chunk[48:]
    assert _canonical("ReaDelay", "Cockos", _with_chunk(state, mutated)) != _canonical("ReaDelay", "Cockos", state)


def test_reasynth_attack_change_is_still_a_state_change(corpus: Path) -> None:
    # 161 saves 6 -> 7: both ReaSynths' first parameter moved (0.006 -> 2.47 and 1.5): heard.
    old, new = read_reaper(_save(corpus, ISSUE_161, 6)), read_reaper(_save(corpus, ISSUE_161, 7))
    for name in ("ReaSynth 1", "ReaSynth 2"):
        assert _device(old, "ReaSynth", name).state_sha256 != _device(new, "ReaSynth", name).state_sha256


def test_reaeq_hash_is_none_once_its_bands_are_params(corpus: Path) -> None:
    # glutones saves 1 -> 2: Track 1's second ReaEQ differs only in its trailer ("" -> "Program 1").
    old, new = _save(corpus, GLUTONES, 1), _save(corpus, GLUTONES, 2)
    assert _raw_sha(_state(old, "ReaEQ", 1)) != _raw_sha(_state(new, "ReaEQ", 1))
    a, b = _device(read_reaper(old), "Track 1", "ReaEQ", 1), _device(read_reaper(new), "Track 1", "ReaEQ", 1)
    assert a.state_sha256 is None and b.state_sha256 is None
    assert a.params == b.params and a.param("eq.band1.type") == "lowshelf"


def test_reaeq_rule_drops_the_editor_size_not_a_band(corpus: Path) -> None:
    # The ReaEQ of ultraschall-portable/test.rpp: 5 bands, then 1, 1, output 1.0, 0, the editor's
    # 596 x 368 and REAPER 7's 2; glutones' ReaEQs are shown at 576 x 363.
    state = _state(corpus / "reaper/ultraschall-portable/test.rpp", "ReaEQ")
    chunk = _chunk(state)
    window = 8 + 5 * 33 + 20
    assert struct.unpack_from("<ii", chunk, window) == (596, 368)
    resized = chunk[:window] + struct.pack("<ii", 576, 363) + chunk[window + 8 :]
    assert canonical_chunk("ReaEQ", "Cockos", resized) == canonical_chunk("ReaEQ", "Cockos", chunk)
    band2_hz = 8 + 33 + 8
    moved = chunk[:band2_hz] + struct.pack("<d", 1000.0) + chunk[band2_hz + 8 :]
    assert canonical_chunk("ReaEQ", "Cockos", moved) != canonical_chunk("ReaEQ", "Cockos", chunk)


def test_reacontrolmidi_bank_folder_is_dropped(corpus: Path) -> None:
    # glutones save 1 (macOS) -> 2 (Windows): ReaControlMIDI's chunk differs only in where GM.reabank
    # lives: /Users/keith.byrne/Library/Application Support/REAPER/Data vs C:\Users\keith\AppData\...
    old, new = _save(corpus, GLUTONES, 1), _save(corpus, GLUTONES, 2)
    a, b = _state(old, "ReaControlMIDI"), _state(new, "ReaControlMIDI")
    assert b"/Users/keith.byrne/" in _chunk(a) and b"C:\\Users\\keith\\" in _chunk(b)
    assert _device(read_reaper(old), "Track 1", "ReaControlMIDI").state_sha256 == (
        _device(read_reaper(new), "Track 1", "ReaControlMIDI").state_sha256
    )
    # Another bank file, or another value after the path, is another state.
    other_bank = _chunk(b).replace(b"GM.reabank", b"XG.reabank")
    assert _canonical("ReaControlMIDI", "Cockos", _with_chunk(b, other_bank)) != _canonical(
        "ReaControlMIDI", "Cockos", b
    )
    chunk = _chunk(b)
    at = chunk.index(b"GM.reabank") + len(b"GM.reabank") + 4  # the int32 1 after the path
    assert chunk[at] == 1
    flipped = chunk[:at] + b"\x00" + chunk[at + 1 :]
    assert _canonical("ReaControlMIDI", "Cockos", _with_chunk(b, flipped)) != _canonical("ReaControlMIDI", "Cockos", b)


# -- JSON states: ReaLearn / Helgobox ------------------------------------------------------------
def test_realearn_json_key_order_is_not_a_change(corpus: Path) -> None:
    # 161 saves 7 -> 8: the ReaLearn JSON holds the same values, its keys written in another order.
    old, new = _save(corpus, ISSUE_161, 7), _save(corpus, ISSUE_161, 8)
    a, b = _chunk(_state(old, "ReaLearn")), _chunk(_state(new, "ReaLearn"))
    assert a != b and json.loads(a) == json.loads(b)
    assert _device(read_reaper(old), "ReaLearn", "ReaLearn").state_sha256 == (
        _device(read_reaper(new), "ReaLearn", "ReaLearn").state_sha256
    )


def test_realearn_version_stamp_is_not_a_change(corpus: Path) -> None:
    # 221 saves 10 -> 11: the Instrument track's ReaLearn differs only in "version" 2.14.0-pre.8 -> pre.9.
    old, new = _save(corpus, ISSUE_221, 10), _save(corpus, ISSUE_221, 11)
    a, b = json.loads(_chunk(_state(old, "ReaLearn", 1))), json.loads(_chunk(_state(new, "ReaLearn", 1)))
    assert (a["version"], b["version"]) == ("2.14.0-pre.8", "2.14.0-pre.9")
    assert {**a, "version": ""} == {**b, "version": ""}
    assert _device(read_reaper(old), "Instrument", "ReaLearn").state_sha256 == (
        _device(read_reaper(new), "Instrument", "ReaLearn").state_sha256
    )
    # A mapping's target moved to another FX parameter is another state.
    state = _state(new, "ReaLearn", 1)
    data = json.loads(_chunk(state))
    data["mappings"][0]["target"]["paramExpression"] = "mapped_fx_parameter_indexes[7]"
    mutated = _with_chunk(state, json.dumps(data).encode())
    assert _canonical("ReaLearn", "Helgoboss", mutated) != _canonical("ReaLearn", "Helgoboss", state)


def test_helgobox_2_16_units_drop_their_version_only(corpus: Path) -> None:
    # Helgobox 2.16 (glutones save 4) nests the unit in "mainUnit": its version goes, its mappings stay.
    state = _state(_save(corpus, GLUTONES, 4), "Helgobox")
    data = json.loads(_chunk(state))
    assert data["mainUnit"]["version"] == "2.16.14"
    canonical = json.loads(canonical_chunk("Helgobox - ReaLearn & Playtime", "Helgoboss", _chunk(state)))
    assert "version" not in canonical["mainUnit"] and canonical["mainUnit"]["mappings"] == data["mainUnit"]["mappings"]


# -- u-he Zebra2 text preset ---------------------------------------------------------------------
def test_zebra2_counters_are_not_a_change(corpus: Path) -> None:
    # 221 saves 5 -> 6: the same preset (HS Wool March); PCore's PProj 1 -> 2 and UI_op 1 -> 2 and,
    # in the binary data, one 32-bit counter 129664 -> 4162400: nothing else.
    old, new = _save(corpus, ISSUE_221, 5), _save(corpus, ISSUE_221, 6)
    a, b = _chunk(_state(old, "Zebra2")), _chunk(_state(new, "Zebra2"))
    assert b"PProj=1\n" in a and b"PProj=2\n" in b and b"UI_op=1\n" in a and b"UI_op=2\n" in b
    blob_a, blob_b = uhe_decode(a[a.index(b"$$$$") :]), uhe_decode(b[b.index(b"$$$$") :])
    assert blob_a is not None and blob_b is not None and len(blob_a) == 77340
    assert [i for i in range(len(blob_a)) if blob_a[i] != blob_b[i]] == [528, 529, 530]
    assert struct.unpack_from("<I", blob_a, 528)[0] == 129664
    assert _device(read_reaper(old), "Instrument", "Zebra2").state_sha256 == (
        _device(read_reaper(new), "Instrument", "Zebra2").state_sha256
    )


def test_zebra2_parameters_and_binary_data_still_count(corpus: Path) -> None:
    state = _state(_save(corpus, ISSUE_221, 6), "Zebra2")
    chunk = _chunk(state)
    base = canonical_chunk("Zebra2", "u-he", chunk)
    # A filter cutoff (the first VCF1 section's Cut=0.00) is heard.
    at = chunk.index(b"#cm=VCF1\n")
    cut = chunk.index(b"Cut=", at)
    cutoff = chunk[:cut] + chunk[cut:].replace(b"Cut=", b"Cut=1", 1)
    assert canonical_chunk("Zebra2", "u-he", cutoff) != base
    # One byte of the binary data (wavetables, curves) changed, its checksum kept right: heard too.
    binary = chunk.index(b"$$$$")
    body = chunk[binary:]
    data_at = body.index(b"!") + 1
    letter = next(
        i for i in range(data_at, len(body)) if body[i : i + 1] == b"a" and body[i + 1 : i + 2] in b"abcdefghijklmnop"
    )
    edited = body[:letter] + b"b" + body[letter + 1 :]
    end = edited.rindex(b"=")
    digits = re.match(rb"\s*(\d+)", edited[end + 1 :])
    assert digits is not None
    edited = edited[: end + 1] + b"%d" % (int(digits.group(1)) + 1) + edited[end + 1 + digits.end() :]
    assert uhe_decode(edited) is not None
    assert canonical_chunk("Zebra2", "u-he", chunk[:binary] + edited) != base


# -- JSFX -----------------------------------------------------------------------------------------
def _js_lines(text: str, effect: str) -> tuple[int, int]:
    """The line numbers of the slider line and of the first <JS_SER> line of `effect`'s first block."""
    lines = text.split("\n")
    block = next(i for i, line in enumerate(lines) if line.strip().startswith(f"<JS {effect}"))
    serial = next(i for i in range(block, len(lines)) if lines[i].strip() == "<JS_SER")
    return block + 1, serial + 1


def test_jsfx_hash_is_its_serialized_memory_only(corpus: Path, tmp_path: Path) -> None:
    # ultraschall-studiolink save 5: Ultraschall_Dynamics's sliders are params; its preset name
    # closes the slider line ("Basic"; save 6 calls it "-20 LUFS") and is a label; its <JS_SER>
    # (@serialize: tab.size 250, the 250-point gain table, db_top, db_bottom) is what is hashed.
    path = _save(corpus, STUDIOLINK, 5)
    text = path.read_text(encoding="utf-8", errors="replace")
    before = _device(read_reaper(path), "StudioLink", "dynamics/Ultraschall_Dynamics")
    sliders, serial = _js_lines(text, "dynamics/Ultraschall_Dynamics")
    lines = text.split("\n")
    assert lines[sliders].rstrip().endswith(" Basic") and before.param("param.slider14") == -16.0
    table = base64.b64decode(lines[serial].strip())
    assert struct.unpack_from("<f", table, 0)[0] == 250.0

    renamed = list(lines)
    renamed[sliders] = lines[sliders].rstrip().removesuffix("Basic") + '"-20 LUFS"'
    (tmp_path / "renamed.RPP").write_text("\n".join(renamed), encoding="utf-8")
    after = _device(read_reaper(tmp_path / "renamed.RPP"), "StudioLink", "dynamics/Ultraschall_Dynamics")
    assert after.state_sha256 == before.state_sha256 and after.params == before.params

    # One point of the gain table (the third float, -0.434 dB) set to -6 dB is heard.
    edited = bytearray(table)
    struct.pack_into("<f", edited, 8, -6.0)
    changed_lines = list(lines)
    changed_lines[serial] = lines[serial].replace(lines[serial].strip(), base64.b64encode(bytes(edited)).decode())
    (tmp_path / "edited.RPP").write_text("\n".join(changed_lines), encoding="utf-8")
    changed = _device(read_reaper(tmp_path / "edited.RPP"), "StudioLink", "dynamics/Ultraschall_Dynamics")
    assert changed.state_sha256 != before.state_sha256


def test_jsfx_without_serialized_memory_has_no_state(corpus: Path) -> None:
    session = read_reaper(_save(corpus, GLUTONES, 1))
    solo = _device(session, "Track 1", "Solo Booster")
    assert solo.state_sha256 is None and solo.param("param.slider1") is not None


# -- plug-ins whose chunk holds XML ---------------------------------------------------------------
def test_amplitube_program_guid_is_not_a_change(corpus: Path) -> None:
    # rpp-bak saves 1 -> 2: AmpliTube 5's program XML got a new GUID; nothing else changed.
    old, new = _save(corpus, GLUTONES_BAK, 1), _save(corpus, GLUTONES_BAK, 2)
    a, b = _state(old, "AmpliTube"), _state(new, "AmpliTube")
    guid = re.compile(rb'GUID="[^"]*"')
    assert a != b and guid.sub(b"", a, count=1) == guid.sub(b"", b, count=1)
    assert _device(read_reaper(old), "Amplitube", "AmpliTube 5").state_sha256 == (
        _device(read_reaper(new), "Amplitube", "AmpliTube 5").state_sha256
    )
    bass = b'Bass_JCM800AT4="6.28616"'
    assert bass in b
    louder = b.replace(bass, b'Bass_JCM800AT4="7.28616"')
    assert _canonical("AmpliTube 5", "IK Multimedia", louder) != _canonical("AmpliTube 5", "IK Multimedia", b)


def test_archetype_editor_page_is_not_a_change(corpus: Path) -> None:
    # glutones saves 4 -> 5: Archetype Nolly X's appModel selectedSection 4 -> 1 (the editor page).
    old, new = _save(corpus, GLUTONES, 4), _save(corpus, GLUTONES, 5)
    a, b = _state(old, "Archetype"), _state(new, "Archetype")
    assert a.replace(b'selectedSection="4"', b'selectedSection="1"') == b
    assert _device(read_reaper(old), "Track 1", "Archetype Nolly X").state_sha256 == (
        _device(read_reaper(new), "Track 1", "Archetype Nolly X").state_sha256
    )
    gain = b'inputGain="-14.3575"'
    assert gain in b
    hotter = b.replace(gain, b'inputGain="-10.3575"')
    assert _canonical("Archetype Nolly X", "Neural DSP", hotter) != _canonical("Archetype Nolly X", "Neural DSP", b)


# -- the histories as a whole --------------------------------------------------------------------
# (history, save, track, device): the plug-in state changes reported between that save and the next
# before these rules, whose states differed only in what the rules drop.
PHANTOMS = [
    (ISSUE_161, 5, "ReaDelay", "ReaDelay"),  # preset-name trailer
    (ISSUE_161, 6, "ReaDelay", "ReaDelay"),  # preset-name trailer
    (ISSUE_161, 7, "ReaLearn", "ReaLearn"),  # JSON key order
    (ISSUE_161, 10, "ReaSynth", "ReaSynth 1"),  # preset-name trailer
    (ISSUE_221, 5, "Instrument", "Zebra2"),  # PProj, UI_op, the binary counter
    (ISSUE_221, 10, "Instrument", "ReaLearn"),  # "version"
    (ISSUE_221, 11, "Instrument", "ReaSynth"),  # preset-name trailer
    (GLUTONES, 1, "Track 1", "ReaControlMIDI"),  # the bank file's folder (macOS -> Windows)
    (GLUTONES, 1, "Track 1", "ReaEQ"),  # trailer; the bands are params
    (GLUTONES, 3, "Track 1", "ReaEQ"),  # trailer; the bands are params
    (GLUTONES, 4, "Track 1", "Archetype Nolly X"),  # the editor page
    (GLUTONES_BAK, 1, "Amplitube", "AmpliTube 5"),  # the program GUID
    (GLUTONES_BAK, 3, "Keith", "ReaControlMIDI"),  # preset-name trailer
    (GLUTONES_BAK, 5, "Amplitube", "AmpliTube 5"),  # the program GUID
]


@pytest.mark.parametrize(("history", "first", "track", "device"), PHANTOMS)
def test_phantom_state_changes_of_the_histories_are_gone(
    corpus: Path, history: str, first: int, track: str, device: str
) -> None:
    old, new = read_reaper(_save(corpus, history, first)), read_reaper(_save(corpus, history, first + 1))
    changed = [(c.track, c.device) for c in diff(old, new) if c.type == "plugin-state-changed"]
    assert (track, device) not in changed, changed


# -- ids the formats keep ------------------------------------------------------------------------
def test_reaper_fxid_is_the_device_uid(corpus: Path) -> None:
    session = read_reaper(_save(corpus, ISSUE_161, 6))
    synth = _device(session, "ReaSynth", "ReaSynth 1")
    assert synth.uid == "{CEDF7363-C598-104C-8A59-BBCEBEA07986}"
    assert _device(session, "ReaSynth", "ReaSynth 2").uid == "{50D55363-824E-3648-8401-893D8284842E}"
    js = _device(read_reaper(_save(corpus, STUDIOLINK, 5)), "StudioLink", "dynamics/Ultraschall_Dynamics")
    assert js.uid == "{C02CC51B-C5C4-1B4F-B62E-59EFCD66B826}"  # after its <JS_SER>


def test_a_plugin_without_fxid_has_no_uid(tmp_path: Path) -> None:
    text = (
        '<REAPER_PROJECT 0.1 "7.27/linux-x86_64" 0\n<TRACK\nNAME A\n<FXCHAIN\nBYPASS 0 0 0\n'
        '<VST "VST: ReaComp (Cockos)" reacomp.so 0 "" 1919247213<56535472636D7072656163>\nAQID\n>\n'
        "BYPASS 0 0 0\n<UNKNOWN_FX\n>\nFXID {00000000-0000-0000-0000-000000000001}\n>\n>\n>\n"
    )
    path = tmp_path / "a.RPP"
    path.write_text(text)
    (device,) = read_reaper(path).track("A").devices
    assert device.uid is None  # the FXID belongs to the block REAPER wrote before it, not known here


def test_ardour_insert_and_processor_ids_are_the_device_uid(corpus: Path) -> None:
    session = read_ardour(corpus / "ardour/ardour-repo/TestSession.ardour")
    uids = [d.uid for t in session.tracks for d in t.devices]
    assert uids and all(uids) and "38875" in uids  # the DJ EQ insert's Redirect IO id


# -- Ardour: unity trim and polarity --------------------------------------------------------------
TRIM = (
    '<Processor id="{id}" name="Trim" active="1" user-latency="0" type="trim">'
    '<Controllable name="trimcontrol" id="{cid}" flags="" value="{value}"/></Processor>'
)
POLARITY = '<Processor id="{id}" name="Polarity" active="1" user-latency="0" type="polarity"/>'
PHASE = '<Controllable name="phase" id="{cid}" flags="" value="{value}" phase-invert="{bits}"/>'


def _upgraded(source: str, trim: str, bits: str) -> str:
    """The real Ardour 3 session with, on each route, what Ardour 4+ (trim) and 7 (polarity) add when
    they open it: a Trim and a Polarity processor before the Amp, the route's phase control."""
    count = iter(range(90000, 99999, 2))

    def add(match: re.Match[str]) -> str:
        n = next(count)
        value = int(bits, 2) if bits else 0
        phase = PHASE.format(cid=n + 1, value=value, bits=bits)
        return phase + TRIM.format(id=n, cid=n + 1, value=trim) + POLARITY.format(id=n + 100000) + match.group(0)

    return re.sub(r'<Processor id="\d+" name="Amp"', add, source)


def test_ardour_unity_trim_and_polarity_are_no_devices(corpus: Path, tmp_path: Path) -> None:
    source = corpus / "histories/ardour-32tracks/002_8fc86630_32tracks.ardour"
    original = read_ardour(source)
    upgraded_path = tmp_path / "32tracks.ardour"
    upgraded_path.write_text(_upgraded(source.read_text(), "1", "00"))
    upgraded = read_ardour(upgraded_path)
    assert sum(len(t.devices) for t in upgraded.tracks) == 0
    assert [c for c in diff(original, upgraded) if c.type.startswith("device")] == []


def test_ardour_trim_and_inverted_polarity_are_devices(corpus: Path, tmp_path: Path) -> None:
    source = corpus / "histories/ardour-32tracks/002_8fc86630_32tracks.ardour"
    path = tmp_path / "32tracks.ardour"
    path.write_text(_upgraded(source.read_text(), "2", "01"))
    track = read_ardour(path).track("Audio 1")
    trim, polarity = track.devices
    assert (trim.name, trim.kind, trim.enabled) == ("Trim", "other", True)
    assert trim.param("param.trim_db") == pytest.approx(6.0206, abs=1e-3)  # linear 2
    assert polarity.name == "Polarity" and polarity.param_dict == {"param.invert_ch1": True, "param.invert_ch2": False}
    assert trim.uid and polarity.uid and int(polarity.uid) == int(trim.uid) + 100000  # their processor ids
