"""The Ardour reader: every Ardour file of the corpus reads into a session or is refused with a
clear reason, real histories diff into what a person finds by reading them, and small written
sessions pin the mapping of Ardour 3+ and Ardour 7 (ACE EQ / ACE Compressor, sends, pan,
automation, timepos strings) that the corpus (Ardour 2 and 3 test sessions) does not exercise.

Expectations were taken by opening each file and reading its XML.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pytest

from daemon.errors import ParseError
from daemon.formats.ardour import read_ardour, session_name
from daemon.sessions.diff import diff
from daemon.sessions.model import Session


@dataclass(frozen=True)
class Reads:
    tempo_bpm: float
    tracks: int
    devices: int
    first: str
    sample_rate: int = 48_000
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refused:
    reason: str


THIRTY_TWO = Reads(120.0, 33, 0, "Audio 1", 44_100)
EXPECTED: dict[str, Reads | Refused] = {
    "ardour/ardour-repo/0tracks/0tracks.ardour": Reads(120.0, 1, 0, "master"),
    "ardour/ardour-repo/1region/1region.ardour.bak": Reads(120.0, 2, 0, "MIDI 1"),
    "ardour/ardour-repo/32tracks/32tracks.ardour.bak": THIRTY_TWO,
    "ardour/ardour-repo/rec_enabled/rec_enabled.ardour": Reads(120.0, 2, 0, "Audio 1"),
    "ardour/ardour-repo/rec_enabled/rec_enabled.ardour.bak": Reads(120.0, 2, 0, "Audio 1"),
    "ardour/ardour-repo/TestSession.ardour": Reads(145.0, 10, 19, "Vocal1", 44_100),
    "ardour/ardour-repo/templates-2005/2 Track.template": Reads(
        120.0, 3, 0, "Audio 1", problems=("session: no usable sample-rate; positions read at 48000 Hz",)
    ),
    "ardour/ardour-repo/1region/1region.history": Refused("not an Ardour session: the root element is <UndoHistory>"),
    "ardour/ardour-repo/rec_enabled/rec_enabled.history": Refused("the root element is <UndoHistory>"),
    "histories/ardour-1region/001_a8773900_1region.ardour": Reads(120.0, 2, 0, "MIDI 1"),
    "histories/ardour-1region/002_3d3fa9ae_1region.ardour": Reads(120.0, 2, 0, "MIDI 1"),
    "histories/ardour-1region/003_a4d7b45f_1region.ardour": Reads(120.0, 2, 0, "MIDI 1"),
    "histories/ardour-32tracks/001_d9998950_32tracks.ardour": THIRTY_TWO,
    "histories/ardour-32tracks/002_8fc86630_32tracks.ardour": THIRTY_TWO,
    "histories/ardour-32tracks/003_a4d7b45f_32tracks.ardour": THIRTY_TWO,
}


def _ardour_files(corpus: Path) -> list[str]:
    found = [p for p in (corpus / "ardour").rglob("*") if p.is_file()]
    found += [p for p in (corpus / "histories").glob("ardour-*/*") if p.name != "HISTORY.md"]
    return sorted(p.relative_to(corpus).as_posix() for p in found)


def test_every_ardour_file_of_the_corpus_has_an_expectation(corpus: Path) -> None:
    assert _ardour_files(corpus) == sorted(EXPECTED)


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_corpus_file(corpus: Path, relative: str) -> None:
    expected = EXPECTED[relative]
    if isinstance(expected, Refused):
        with pytest.raises(ParseError) as caught:
            read_ardour(corpus / relative)
        assert expected.reason in caught.value.reason
        assert relative.rsplit("/", 1)[-1] in str(caught.value)
        return
    session = read_ardour(corpus / relative)
    assert session.application == "Ardour"
    assert session.tempo_bpm == expected.tempo_bpm
    assert session.time_unit == "seconds"
    assert len(session.tracks) == expected.tracks
    assert sum(len(t.devices) for t in session.tracks) == expected.devices
    assert session.tracks[0].name == expected.first
    assert session.tracks[-1].role == "master"
    assert session.problems == expected.problems


def test_the_ardour_2_session_reads_its_mix(corpus: Path) -> None:
    """BookPoint25Jan2008 (Ardour 2): gains on the IO, StreamPanner positions, mutes, the
    vocal subgroup, five post-fader sends to Reverb, LADSPA and VST inserts, regions and marks."""
    session = read_ardour(corpus / "ardour/ardour-repo/TestSession.ardour")
    assert [t.name for t in session.tracks] == [
        "Vocal1", "Vocal2", "Vocals", "Sax", "Sax Analog", "Guitar", "Guitar clean", "Keyboard", "Reverb", "master",
    ]  # fmt: skip
    assert session.time_signature == (5, 4)
    vocal1, vocals, sax = session.track("Vocal1"), session.track("Vocals"), session.track("Sax")
    assert vocal1.channel.volume_db == pytest.approx(20 * math.log10(1.259130716324))
    assert vocal1.channel.output == "Vocals"
    assert vocals.role == "group" and session.track("Reverb").role == "return"
    assert sax.channel.mute and session.track("Guitar clean").channel.mute
    assert session.track("Guitar").channel.pan == pytest.approx(2 * 0.212121218443 - 1, abs=1e-6)
    sends = {t.name: t.sends for t in session.tracks if t.sends}
    assert sorted(sends) == ["Guitar", "Keyboard", "Sax", "Sax Analog", "Vocals"]
    assert sends["Sax"][0].target == "Reverb"
    assert sends["Sax"][0].level_db == pytest.approx(20 * math.log10(0.2049292624))
    assert not sends["Sax"][0].pre_fader
    eq = vocal1.devices[0]
    assert (eq.name, eq.kind, eq.format, eq.plugin_id, eq.enabled) == ("DJ EQ (mono)", "eq", "ladspa", "1907", True)
    assert eq.param("param.Hi gain (dB)") == pytest.approx(-10.969069)
    assert not session.track("Vocal2").devices[0].enabled  # Redirect active="no"
    amp = session.track("Guitar clean").devices[0]
    assert (amp.name, amp.format, amp.param("param.param_2")) == ("Boss DS-1", "vst2", 0.8125)
    assert [m.name for m in session.markers] == ["Verse", "Thema", "Thema"]
    assert session.markers[0].time == pytest.approx(201648010 / 44100)
    clip = session.track("Keyboard").clips[0]
    assert (clip.file, clip.name) == ("Keyboard-2%L.wav", "Keyboard-2.1")
    assert clip.position == pytest.approx(1999229 / 44100)
    assert clip.duration == pytest.approx(22435212 / 44100)


# -- histories -----------------------------------------------------------------------------
def _history(corpus: Path, folder: str) -> list[Session]:
    return [read_ardour(f, name=folder) for f in sorted((corpus / "histories" / folder).glob("*.ardour"))]


def test_1region_history_the_midi_region_moves_earlier_and_grows(corpus: Path) -> None:
    """001 -> 002 ("Fix up profiling"): the region MIDI 1-1 moved from sample 1633716 (bar 18)
    to 529680 (bar 6) and its length went from 484432 to 559470 samples at 48 kHz; the track's
    midi-thru attribute and the GUI colours changed too, which the model does not hold."""
    first, second, third = _history(corpus, "ardour-1region")
    (change,) = diff(first, second)
    assert (change.type, change.track, change.parameter) == ("clip-changed", "MIDI 1", "MIDI 1-1.mid")
    assert change.before == pytest.approx({"position": 1633716 / 48000, "duration": 484432 / 48000})
    assert change.after == pytest.approx({"position": 529680 / 48000, "duration": 559470 / 48000})
    # 002 -> 003 ("remove destructive/tape mode tracks"): a hand edit dropped one config option.
    assert diff(second, third) == []


def test_32tracks_history_resaves_change_nothing_in_the_mix(corpus: Path) -> None:
    """001 -> 002: re-saved by Ardour 3 (version 3.0.0 -> 3001): input connections dropped, master
    inputs reordered, playlists reordered, the click got an Amp, config options changed; no
    route's gain, pan, mute, solo, plug-in or region changed. 002 -> 003: a hand edit dropping
    one config option."""
    first, second, third = _history(corpus, "ardour-32tracks")
    assert (first.application_version, second.application_version) == ("3.0.0", "3001")
    assert diff(first, second) == []
    assert diff(second, third) == []


# -- written sessions ----------------------------------------------------------------------
def _controllable(name: str, value: float, **extra: str) -> str:
    attrs = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in extra.items())
    return f'<Controllable name="{name}" id="1" flags="" value="{value}"{attrs}/>'


def _events(ident: str, events: str) -> str:
    return f'<Automation><AutomationList automation-id="{ident}" id="9" state="Play"><events>{events}</events></AutomationList></Automation>'


A_EQ_PORTS = {
    0: ("Low Shelf", "shelftogl", 0.0), 1: ("Frequency L", "freql", 80.0), 2: ("Gain L", "gl", 0.0),
    3: ("Frequency 1", "freq1", 400.0), 4: ("Gain 1", "g1", -4.5), 5: ("Bandwidth 1", "bw1", 1.0),
    15: ("High Shelf", "shelftogh", 1.0), 16: ("Frequency H", "freqh", 9000.0), 17: ("Gain H", "gh", 2.0),
    18: ("Master Gain", "master", -1.0), 20: ("Filter 1", "filtog1", 1.0), 25: ("Enable", "enable", 1.0),
}  # fmt: skip


EQ_LANE = _events("parameter-4", "a0 -4.5\na282240000 -6")
FADER_LANE = _events("gain", "a0 1\na564480000 0.5")


def _a_eq() -> str:
    ports = "".join(
        _controllable(name, value, parameter=str(index), symbol=symbol)
        for index, (name, symbol, value) in A_EQ_PORTS.items()
    )
    return (
        '<Processor id="50" name="ACE EQ" active="1" type="lv2" unique-id="urn:ardour:a-eq" count="1">'
        f'<lv2 last-preset-uri=""/>{ports}{EQ_LANE}</Processor>'
    )


def _a_comp(active: str = "1") -> str:
    ports = "".join(
        _controllable(name, value, parameter=str(i))
        for i, (name, value) in enumerate(
            [("Attack", 10.0), ("Release", 80.0), ("Knee", 0.0), ("Ratio", 4.0), ("Threshold", -18.0), ("Makeup", 3.0)]
        )
    )
    return (
        f'<Processor id="51" name="ACE Compressor" active="{active}" type="lv2" '
        f'unique-id="urn:ardour:a-comp#stereo" count="1">{ports}</Processor>'
    )


def _route(ident: int, name: str, flags: str, body: str, gain: float = 1.0, azimuth: float = 0.5) -> str:
    playlist = f' audio-playlist="{ident + 1000}"' if "Track" in flags else ""
    return (
        f'<Route version="7003" id="{ident}" name="{name}" default-type="audio" active="1" '
        f"{playlist}>"
        f'<PresentationInfo order="{ident}" flags="{flags}"/>'
        f"{_controllable('solo', 0, self_solo='0')}{_controllable('mute', 0)}"
        '<IO name="x" id="2" direction="Output" default-type="audio">'
        f'<Port type="audio" name="{name}/audio_out 1"><Connection other="Master/audio_in 1"/></Port></IO>'
        f"<Pannable>{_controllable('pan-azimuth', azimuth)}{_events('pan-azimuth', 'a0 0.5')}</Pannable>"
        '<Processor id="3" name="Trim" active="1" type="trim">'
        f"{_controllable('trimcontrol', 2.0)}</Processor>"
        f"{body}"
        f'<Processor id="4" name="Fader" active="1" type="amp">{FADER_LANE}'
        f"{_controllable('gaincontrol', gain)}</Processor>"
        '<Processor id="5" name="Master" active="1" type="main-outs" role="Main"/></Route>'
    )


def _session(routes: str, playlists: str = "", tempo: str = "120") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Session version="7003" name="Song" sample-rate="48000">'
        '<Sources><Source name="kick.wav" type="audio" id="700"/></Sources>'
        '<Locations><Location id="8" name="Chorus" start="a1411200000" end="a1411200000" flags="IsMark"/></Locations>'
        f"<Routes>{routes}</Routes><Playlists>{playlists}</Playlists>"
        '<TempoMap superclocks-per-second="282240000"><Tempos>'
        f'<Tempo npm="{tempo}" enpm="{tempo}" note-type="4" type="Constant" active="1"/></Tempos>'
        '<Meters><Meter note-value="4" divisions-per-bar="3"/></Meters></TempoMap></Session>'
    ).encode()


SEND = (
    '<Processor id="60" name="Verb" active="1" type="intsend" role="Aux" target="30">'
    '<Processor id="61" name="Amp" active="1" type="amp">'
    + _controllable("gaincontrol", 0.5)
    + _events("gain", "b0 0.5\nb3840 0.25")
    + "</Processor></Processor>"
)
ROUTES = (
    _route(10, "Kick", "AudioTrack,OrderSet", _a_eq() + _a_comp() + SEND, gain=0.5, azimuth=0.0)
    + _route(30, "Verb", "AudioBus,OrderSet", "")
    + _route(99, "Master", "MasterOut", "")
)
PLAYLIST = (
    '<Playlist id="1010" name="Kick.1" type="audio" orig-track-id="10">'
    '<Region name="kick" position="a282240000" length="a141120000" start="a0" muted="0" '
    'scale-gain="0.5" source-0="700" id="800"/></Playlist>'
)


def _write(tmp_path: Path, data: bytes, name: str = "Song.ardour") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_ardour_7_session_maps_channel_sends_and_order(tmp_path: Path) -> None:
    session = read_ardour(_write(tmp_path, _session(ROUTES, PLAYLIST)))
    assert (session.name, session.tempo_bpm, session.time_signature) == ("Song", 120.0, (3, 4))
    assert [(t.name, t.role) for t in session.tracks] == [("Kick", "audio"), ("Verb", "return"), ("Master", "master")]
    kick = session.track("Kick")
    assert kick.channel.volume_db == pytest.approx(-6.0206, abs=1e-3)
    assert kick.channel.pan == -1.0  # azimuth 0 is hard left
    assert kick.channel.output is None  # feeds the master
    (send,) = kick.sends
    assert (send.target, send.pre_fader, send.enabled) == ("Verb", True, True)  # before the Fader
    assert send.level_db == pytest.approx(-6.0206, abs=1e-3)
    assert [d.name for d in kick.devices] == ["Trim", "ACE EQ", "ACE Compressor"]
    assert kick.devices[0].param("param.trim_db") == pytest.approx(6.0206, abs=1e-3)
    assert session.markers[0].name == "Chorus" and session.markers[0].time == pytest.approx(5.0)
    (clip,) = kick.clips
    assert (clip.file, clip.position, clip.duration) == ("kick.wav", 1.0, 0.5)
    assert clip.gain_db == pytest.approx(-6.0206, abs=1e-3)


def test_ace_eq_and_compressor_map_to_standard_terms(tmp_path: Path) -> None:
    kick = read_ardour(_write(tmp_path, _session(ROUTES))).track("Kick")
    eq, comp = kick.devices[1], kick.devices[2]
    assert (eq.kind, eq.format, eq.plugin_id, eq.enabled) == ("eq", "lv2", "urn:ardour:a-eq", True)
    p = eq.param_dict
    assert p["eq.band1.type"] == "highpass" and p["eq.band1.slope_db_oct"] == 12.0  # shelf toggle off
    assert p["eq.band1.freq_hz"] == 80.0 and "eq.band1.gain_db" not in p
    assert (p["eq.band2.type"], p["eq.band2.freq_hz"], p["eq.band2.gain_db"]) == ("bell", 400.0, -4.5)
    assert p["eq.band2.q"] == pytest.approx(2.0)  # a-eq.c: 2^(1/1) / (2^1 - 1)
    assert p["eq.band2.enabled"] is True
    assert (p["eq.band6.type"], p["eq.band6.gain_db"]) == ("highshelf", 2.0)
    assert p["eq.output_gain_db"] == -1.0
    assert not any(k.startswith("param.") for k in p)
    assert comp.kind == "compressor" and comp.param_dict == {
        "comp.attack_ms": 10.0, "comp.release_ms": 80.0, "comp.knee_db": 0.0,
        "comp.ratio": 4.0, "comp.threshold_db": -18.0, "comp.makeup_db": 3.0,
    }  # fmt: skip


def test_automation_lanes_in_seconds_and_standard_units(tmp_path: Path) -> None:
    kick = read_ardour(_write(tmp_path, _session(ROUTES))).track("Kick")
    lanes = {(lane.device or "", lane.target): lane for lane in kick.automation}
    volume = lanes[("", "volume_db")].points
    assert volume[0] == (0.0, 0.0) and volume[1][0] == 2.0 and volume[1][1] == pytest.approx(-6.0206, abs=1e-3)
    assert lanes[("", "pan")].points == ((0.0, 0.0),)
    assert lanes[("ACE EQ", "eq.band2.gain_db")].points == ((0.0, -4.5), (1.0, -6.0))
    send = lanes[("", "send.Verb.level_db")].points  # beat ticks at 120 BPM: 3840 ticks = 2 beats = 1 s
    assert send[1][0] == pytest.approx(1.0) and send[1][1] == pytest.approx(-12.04, abs=1e-2)


def test_a_mix_change_diffs_to_standard_terms(tmp_path: Path) -> None:
    before = read_ardour(_write(tmp_path, _session(ROUTES), "a.ardour"), name="Song")
    changed = ROUTES.replace(
        'name="Threshold" id="1" flags="" value="-18.0"', 'name="Threshold" id="1" flags="" value="-24.0"'
    )
    changed = changed.replace(
        '<Processor id="51" name="ACE Compressor" active="1"', '<Processor id="51" name="ACE Compressor" active="0"'
    )
    after = read_ardour(_write(tmp_path, _session(changed, tempo="96"), "b.ardour"), name="Song")
    found = [(c.type, c.track, c.device, c.parameter, c.before, c.after) for c in diff(before, after)]
    assert ("parameter-changed", "Kick", "ACE Compressor", "comp.threshold_db", -18.0, -24.0) in found
    assert ("device-toggled", "Kick", "ACE Compressor", "enabled", True, False) in found
    assert ("tempo-changed", None, None, "tempo_bpm", 120.0, 96.0) in found


def test_bad_values_are_problems_not_crashes(tmp_path: Path) -> None:
    fader = FADER_LANE + _controllable("gaincontrol", 0.5)
    bad_fader = _events("gain", "a0 nan\nxyz 1") + _controllable("gaincontrol", math.inf)
    broken = ROUTES.replace(fader, bad_fader, 1)
    session = read_ardour(_write(tmp_path, _session(broken)))
    assert session.track("Kick").channel.volume_db == 0.0
    assert any("is not a finite number" in p for p in session.problems)
    assert any("2 event(s)" in p for p in session.problems)


# -- hostile and wrong input ---------------------------------------------------------------
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Session [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Session version="3001" name="&lol3;" sample-rate="48000"><Routes/></Session>
"""


def test_entity_attack_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="DTD or entity"):
        read_ardour(_write(tmp_path, BILLION_LAUGHS, "laughs.ardour"))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'<Project version="1.0"/>', "not an Ardour session: the root element is <Project>, not <Session>"),
        (b'<Session name="x"/>', "not an Ardour session: <Session> has no version"),
        (b'<Session version="new"/>', "version 'new' is no number"),
        (b"<Session", "malformed XML"),
    ],
)
def test_wrong_files_are_refused_with_the_reason(tmp_path: Path, data: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        read_ardour(_write(tmp_path, data, "x.ardour"))
    assert reason in caught.value.reason and "x.ardour" in str(caught.value)


def test_missing_file_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot be opened"):
        read_ardour(tmp_path / "gone.ardour")


@pytest.mark.parametrize(
    ("filename", "name"),
    [("Song.ardour", "Song"), ("Song.ardour.bak", "Song"), ("Song.pending", "Song"), ("mix 2.ardour", "mix 2")],
)
def test_session_name_from_the_file_name(filename: str, name: str) -> None:
    assert session_name(filename) == name


def test_an_ardour_0_8_template_reads_with_its_master(corpus: Path) -> None:
    """Ardour 0.821 (2005) writes Ardour 2's layout with hex route flags: 0x2 is the master, and
    the two tracks feed it (no output of their own)."""
    session = read_ardour(corpus / "ardour/ardour-repo/templates-2005/2 Track.template")
    assert sorted((t.name, t.role, t.channel.output) for t in session.tracks) == [
        ("Audio 1", "audio", None),
        ("Audio 2", "audio", None),
        ("master", "master", None),
    ]
