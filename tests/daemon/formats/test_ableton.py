"""The Ableton Live reader: the real sets of the corpus, a small set written here that holds
every mapped element, and hostile files (gzip bombs, entities, non-gzip, truncated gzip)."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest

from daemon.errors import ParseError
from daemon.formats import ableton
from daemon.formats.ableton import read_ableton
from daemon.sessions.changes import Change
from daemon.sessions.diff import diff
from daemon.sessions.model import Session

HISTORY = "tioxy-alp-als"


def _param(target: int, value: str, low: str | None = None, high: str | None = None) -> str:
    rng = f"<MidiControllerRange><Min Value='{low}'/><Max Value='{high}'/></MidiControllerRange>" if low else ""
    return f"<Manual Value='{value}'/>{rng}<AutomationTarget Id='{target}'/>"


def _mixer(base: int, volume: str, pan: str = "0", speaker: str = "true", solo: str = "false", sends: str = "") -> str:
    return (
        f"<Mixer><On>{_param(base, 'true')}</On><Sends>{sends}</Sends>"
        f"<Speaker>{_param(base + 1, speaker)}</Speaker><SoloSink Value='{solo}'/>"
        f"<Pan>{_param(base + 2, pan, '-1', '1')}</Pan>"
        f"<Volume>{_param(base + 3, volume, '0.0003162277571', '1.99526238')}</Volume>"
        "<Tempo><Manual Value='128'/><AutomationTarget Id='8'/></Tempo>"
        "<TimeSignature><Manual Value='200'/><AutomationTarget Id='10'/></TimeSignature></Mixer>"
    )


def _track(tag: str, ident: int, name: str, group: int, mixer: str, devices: str = "", extra: str = "") -> str:
    return (
        f"<{tag} Id='{ident}'><Name><EffectiveName Value='{name}'/><UserName Value=''/></Name>"
        f"<TrackGroupId Value='{group}'/>{extra}<DeviceChain>"
        f"<AudioOutputRouting><Target Value='{'AudioOut/GroupTrack' if group != -1 else 'AudioOut/Master'}'/>"
        f"</AudioOutputRouting>{mixer}<DeviceChain><Devices>{devices}</Devices></DeviceChain>"
        f"{_CLIP if tag == 'AudioTrack' else ''}</DeviceChain></{tag}>"
    )


_EQ8 = (
    "<Eq8><On>" + _param(300, "true") + "</On><UserName Value=''/><Mode Value='0'/>"
    "<GlobalGain>" + _param(301, "0", "-12", "12") + "</GlobalGain>"
    "<Bands.0><ParameterA><IsOn>" + _param(302, "true") + "</IsOn><Mode>" + _param(303, "0") + "</Mode>"
    "<Freq>" + _param(304, "80", "10", "22000") + "</Freq><Gain>" + _param(305, "0", "-15", "15") + "</Gain>"
    "<Q>" + _param(306, "0.71", "0.1", "18") + "</Q></ParameterA>"
    "<ParameterB><IsOn>" + _param(307, "false") + "</IsOn></ParameterB></Bands.0>"
    "<Bands.1><ParameterA><IsOn>" + _param(310, "true") + "</IsOn><Mode>" + _param(311, "3") + "</Mode>"
    "<Freq>" + _param(312, "400", "10", "22000") + "</Freq><Gain>" + _param(313, "-4.5", "-15", "15") + "</Gain>"
    "<Q>" + _param(314, "2", "0.1", "18") + "</Q></ParameterA></Bands.1></Eq8>"
)
_COMP = (
    "<Compressor2><On>" + _param(320, "false") + "</On><UserName Value='Bus Comp'/>"
    "<Threshold>" + _param(321, "0.1", "0.0003162277571", "1.99526238") + "</Threshold>"
    "<Ratio>" + _param(322, "4", "1", "3.4e38") + "</Ratio><Attack>" + _param(323, "10") + "</Attack>"
    "<Release>" + _param(324, "120") + "</Release><Knee>" + _param(325, "6") + "</Knee>"
    "<Gain>" + _param(326, "3") + "</Gain><DryWet>" + _param(327, "nan") + "</DryWet></Compressor2>"
)
_GLUE = (
    "<GlueCompressor><On>" + _param(330, "true") + "</On>"
    "<Threshold>" + _param(331, "-12", "-40", "0") + "</Threshold><Ratio>" + _param(332, "1") + "</Ratio>"
    "<Attack>" + _param(333, "3") + "</Attack><Release>" + _param(334, "6") + "</Release>"
    "<Makeup>" + _param(335, "2") + "</Makeup></GlueCompressor>"
)
_PLUGIN = (
    "<PluginDevice><On>" + _param(340, "true") + "</On><UserName Value=''/><PluginDesc><VstPluginInfo>"
    "<PlugName Value='Pro-Q 3'/><UniqueId Value='1179537753'/><Preset><VstPreset><Buffer>0A0B0C</Buffer>"
    "</VstPreset></Preset></VstPluginInfo></PluginDesc><ParameterList>"
    "<PluginFloatParameter><ParameterName Value='Band 1 Gain'/><ParameterId Value='3'/>"
    "<ParameterValue>" + _param(341, "0.25") + "</ParameterValue></PluginFloatParameter>"
    "<PluginFloatParameter><ParameterName Value=''/><ParameterId Value='-1'/>"
    "<ParameterValue>" + _param(342, "0.5") + "</ParameterValue></PluginFloatParameter>"
    "</ParameterList></PluginDevice>"
)
_RACK = (
    "<AudioEffectGroupDevice><On>" + _param(350, "true") + "</On><UserName Value='Vox Rack'/><Branches>"
    "<AudioEffectBranch><Name><EffectiveName Value='Main'/></Name><DeviceChain><AudioToAudioDeviceChain><Devices>"
    + _GLUE
    + "</Devices></AudioToAudioDeviceChain></DeviceChain></AudioEffectBranch></Branches></AudioEffectGroupDevice>"
)
_CLIP = (
    "<MainSequencer><Sample><ArrangerAutomation><Events><AudioClip Id='0' Time='8'>"
    "<CurrentStart Value='8'/><CurrentEnd Value='24'/><Name Value='Vox take 3'/>"
    "<Loop><LoopStart Value='2'/></Loop><Disabled Value='false'/><SampleVolume Value='0.5'/>"
    "<Fades><FadeInLength Value='0.25'/><FadeOutLength Value='1'/></Fades>"
    "<SampleRef><FileRef><RelativePath Value='Samples/Recorded/Vox 3.wav'/>"
    "<Path Value='/Users/x/Song Project/Samples/Recorded/Vox 3.wav'/></FileRef></SampleRef>"
    "</AudioClip></Events></ArrangerAutomation></Sample></MainSequencer>"
)
_VOLUME_AUTOMATION = (
    "<AutomationEnvelopes><Envelopes>"
    "<AutomationEnvelope><EnvelopeTarget><PointeeId Value='103'/></EnvelopeTarget><Automation><Events>"
    "<FloatEvent Time='-63072000' Value='1'/><FloatEvent Time='0' Value='1'/><FloatEvent Time='16' Value='0.5'/>"
    "</Events></Automation></AutomationEnvelope>"
    "<AutomationEnvelope><EnvelopeTarget><PointeeId Value='313'/></EnvelopeTarget><Automation><Events>"
    "<FloatEvent Time='4' Value='-4.5'/><FloatEvent Time='8' Value='-9'/></Events></Automation></AutomationEnvelope>"
    "<AutomationEnvelope><EnvelopeTarget><PointeeId Value='101'/></EnvelopeTarget><Automation><Events>"
    "<BoolEvent Time='32' Value='false'/></Events></Automation></AutomationEnvelope>"
    "</Envelopes></AutomationEnvelopes>"
)
_MASTER_AUTOMATION = (
    "<AutomationEnvelopes><Envelopes><AutomationEnvelope><EnvelopeTarget><PointeeId Value='8'/></EnvelopeTarget>"
    "<Automation><Events><FloatEvent Time='-63072000' Value='128'/><FloatEvent Time='64' Value='140'/>"
    "</Events></Automation></AutomationEnvelope></Envelopes></AutomationEnvelopes>"
)
_SENDS = (
    "<TrackSendHolder><Send>" + _param(120, "0.5011872", "0.0003162277571", "1") + "</Send><Active Value='true'/>"
    "</TrackSendHolder><TrackSendHolder><Send>" + _param(121, "0.0003162277571", "0.0003162277571", "1") + "</Send>"
    "<Active Value='false'/></TrackSendHolder>"
)

SET_XML = (
    "<?xml version='1.0' encoding='UTF-8'?>"
    "<Ableton MajorVersion='5' MinorVersion='11.0_11300' Creator='Ableton Live 11.3.13'><LiveSet><Tracks>"
    + _track("GroupTrack", 10, "Vocals", -1, _mixer(200, "0.7079458"))
    + _track(
        "AudioTrack",
        11,
        "Lead Vox",
        10,
        _mixer(100, "1.4125375", pan="-0.5", solo="true", sends=_SENDS),
        _EQ8 + _COMP + _RACK + _PLUGIN,
        _VOLUME_AUTOMATION,
    )
    + _track("MidiTrack", 12, "Synth", -1, _mixer(400, "0.0003162277571", speaker="false"))
    + _track("ReturnTrack", 13, "A-Reverb", -1, _mixer(500, "1"))
    + _track("ReturnTrack", 14, "B-Delay", -1, _mixer(600, "1"))
    + "</Tracks>"
    + _track("MasterTrack", 0, "Master", -1, _mixer(700, "1"), extra=_MASTER_AUTOMATION)
    + "</LiveSet></Ableton>"
)


def _write(tmp_path: Path, xml: str | bytes, name: str = "Song.als") -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(xml.encode() if isinstance(xml, str) else xml))
    return path


@pytest.fixture
def song(tmp_path: Path) -> Session:
    return read_ableton(_write(tmp_path, SET_XML))


# -- mapping -----------------------------------------------------------------------------------
def test_tracks_groups_returns_and_master(song: Session) -> None:
    assert (song.name, song.application, song.application_version) == ("Song", "Ableton Live", "11.3.13")
    assert [(t.name, t.role) for t in song.tracks] == [
        ("Vocals", "group"),
        ("Synth", "instrument"),
        ("A-Reverb", "return"),
        ("B-Delay", "return"),
        ("Master", "master"),
    ]
    assert [(t.name, t.role) for t in song.tracks[0].children] == [("Lead Vox", "audio")]
    assert song.tempo_bpm == 128.0
    assert song.time_signature == (3, 4)
    assert song.tempo_automation == ((64.0, 140.0),)  # the value before the song is no point
    assert song.time_unit == "beats"


def test_mixer_in_standard_units(song: Session) -> None:
    vox = song.track("Lead Vox").channel
    assert vox.volume_db == pytest.approx(3.0, abs=1e-4)
    assert (vox.pan, vox.solo, vox.mute, vox.output) == (-0.5, True, False, "Vocals")
    assert song.track("Vocals").channel.volume_db == pytest.approx(-3.0, abs=1e-4)
    synth = song.track("Synth").channel
    assert synth.volume_db is None  # the bottom of Live's fader is -inf
    assert synth.mute is True


def test_sends_go_to_the_returns_in_order(song: Session) -> None:
    sends = {s.target: s for s in song.track("Lead Vox").sends}
    assert sends["A-Reverb"].level_db == pytest.approx(-6.0, abs=1e-4)
    assert sends["A-Reverb"].enabled is True
    assert sends["B-Delay"].level_db is None
    assert sends["B-Delay"].enabled is False


def test_devices_in_chain_order_with_standard_terms(song: Session) -> None:
    devices = song.track("Lead Vox").devices
    assert [(d.name, d.kind, d.format) for d in devices] == [
        ("EQ Eight", "eq", "builtin"),
        ("Bus Comp", "compressor", "builtin"),
        ("Vox Rack", "other", "builtin"),
        ("Vox Rack/Glue Compressor", "compressor", "builtin"),
        ("Pro-Q 3", "plugin", "vst2"),
    ]
    eq = devices[0].param_dict
    assert (eq["eq.band1.type"], eq["eq.band1.slope_db_oct"], eq["eq.band1.freq_hz"]) == ("highpass", 48.0, 80.0)
    assert (eq["eq.band2.type"], eq["eq.band2.gain_db"], eq["eq.band2.q"]) == ("bell", -4.5, 2.0)
    assert eq["eq.band2.enabled"] is True
    assert not any("ParameterB" in term for term in eq)  # the B side is idle in stereo mode
    comp = devices[1]
    assert comp.enabled is False
    assert comp.param("comp.threshold_db") == pytest.approx(-20.0, abs=1e-6)  # linear 0.1
    assert (comp.param("comp.ratio"), comp.param("comp.attack_ms"), comp.param("comp.release_ms")) == (4.0, 10.0, 120.0)
    assert (comp.param("comp.knee_db"), comp.param("comp.makeup_db")) == (6.0, 3.0)
    assert comp.param("param.DryWet") is None
    assert any("param.DryWet" in p and "not a finite number" in p for p in song.problems)
    glue = devices[3].param_dict
    assert glue["comp.threshold_db"] == -12.0  # a dB range: read as dB
    assert (glue["comp.ratio"], glue["comp.attack_ms"], glue["comp.release_ms"]) == (4.0, 1.0, None)
    plugin = devices[4]
    assert plugin.plugin_id == "1179537753"
    assert plugin.params == (("param.Band 1 Gain", 0.25),)
    assert plugin.state_sha256 is not None and len(plugin.state_sha256) == 64


def test_automation_and_clips(song: Session) -> None:
    vox = song.track("Lead Vox")
    lanes = {lane.key: lane for lane in vox.automation}
    volume = lanes[("", "volume_db")]
    assert volume.points[0] == (0.0, 0.0)
    assert volume.points[1][0] == 16.0 and volume.points[1][1] == pytest.approx(-6.02, abs=0.01)
    assert lanes[("EQ Eight", "eq.band2.gain_db")].points == ((4.0, -4.5), (8.0, -9.0))
    mute = lanes[("", "mute")]
    assert (mute.points, mute.interpolation) == (((32.0, 1.0),), "hold")
    (clip,) = vox.clips
    assert clip.file == "Samples/Recorded/Vox 3.wav"
    assert (clip.position, clip.duration, clip.name, clip.play_start) == (8.0, 16.0, "Vox take 3", 2.0)
    assert clip.gain_db == pytest.approx(-6.02, abs=0.01)
    assert (clip.fade_in, clip.fade_out, clip.enabled) == (0.25, 1.0, True)


def test_a_group_that_is_no_group_is_a_problem(tmp_path: Path) -> None:
    xml = SET_XML.replace("<TrackGroupId Value='10'/>", "<TrackGroupId Value='99'/>")
    session = read_ableton(_write(tmp_path, xml), name="Other")
    assert session.name == "Other"
    assert "Lead Vox" in [t.name for t in session.tracks]
    assert any("'99' is no group track" in p for p in session.problems)


# -- hostile files -----------------------------------------------------------------------------
def test_gzip_bomb_is_refused_by_its_ratio(tmp_path: Path) -> None:
    path = tmp_path / "bomb.als"
    path.write_bytes(gzip.compress(b"<Ableton>" + b" " * 200_000_000, compresslevel=9))
    with pytest.raises(ParseError, match=r"inflates over 100:1 .*possible gzip bomb") as info:
        read_ableton(path)
    assert info.value.path == str(path)


def test_inflating_past_the_cap_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ableton, "MAX_INFLATED_BYTES", 1000)
    with pytest.raises(ParseError, match="inflates past the 1,000 byte cap"):
        read_ableton(_write(tmp_path, SET_XML))


def test_entities_are_refused(tmp_path: Path) -> None:
    xml = (
        "<?xml version='1.0'?><!DOCTYPE Ableton [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;'>]>"
        "<Ableton><LiveSet><Tracks/></LiveSet>&b;</Ableton>"
    )
    with pytest.raises(ParseError, match="DTD or entity"):
        read_ableton(_write(tmp_path, xml))


def test_a_set_stored_as_plain_xml_reads_as_its_gzip_form(tmp_path: Path) -> None:
    path = tmp_path / "plain.als"
    path.write_text(SET_XML)
    assert read_ableton(path, name="Song") == read_ableton(_write(tmp_path, SET_XML), name="Song")
    bom = tmp_path / "bom.als"
    bom.write_bytes(b"\xef\xbb\xbf" + SET_XML.encode())
    assert read_ableton(bom).tracks == read_ableton(path).tracks


def test_plain_xml_sets_keep_the_size_cap_and_refuse_entities(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "plain.als"
    path.write_text(SET_XML)
    monkeypatch.setattr(ableton, "MAX_INFLATED_BYTES", 100)
    with pytest.raises(ParseError, match="over the 100 cap"):
        read_ableton(path)
    monkeypatch.undo()
    entity = tmp_path / "entity.als"
    entity.write_text("<?xml version='1.0'?><!DOCTYPE Ableton [<!ENTITY a 'x'>]><Ableton><LiveSet/>&a;</Ableton>")
    with pytest.raises(ParseError, match="DTD or entity"):
        read_ableton(entity)


@pytest.mark.corpus
def test_the_corpus_histories_read_the_same_as_plain_xml(corpus: Path, tmp_path: Path) -> None:
    """A git-based workflow keeps each set as plain XML: every version of the history reads as
    the gzip-compressed original does."""
    sets = sorted((corpus / "histories" / "tioxy-alp-als").glob("*.als"))
    assert sets
    for original in sets:
        plain = tmp_path / original.name
        plain.write_bytes(gzip.decompress(original.read_bytes()))
        assert read_ableton(plain, name="x") == read_ableton(original, name="x"), original.name


def test_truncated_and_corrupt_gzip_are_refused(tmp_path: Path) -> None:
    whole = gzip.compress(SET_XML.encode())
    truncated = tmp_path / "truncated.als"
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ParseError, match="truncated gzip"):
        read_ableton(truncated)
    corrupt = tmp_path / "corrupt.als"
    corrupt.write_bytes(whole[:10] + bytes(b ^ 0xFF for b in whole[10:40]) + whole[40:])
    with pytest.raises(ParseError, match="corrupt gzip|truncated gzip"):
        read_ableton(corrupt)


def test_other_xml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"not an Ableton Live set: the root element is <Project>"):
        read_ableton(_write(tmp_path, "<Project version='1.0'/>"))
    with pytest.raises(ParseError, match="cannot be opened"):
        read_ableton(tmp_path / "missing.als")


def test_raw_deflate_is_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / "deflate.als"
    path.write_bytes(zlib.compress(SET_XML.encode()))
    with pytest.raises(ParseError, match="neither gzip-compressed nor XML"):
        read_ableton(path)


# -- the corpus --------------------------------------------------------------------------------
# Every .als in the corpus: (tracks in order, device count per track, tempo, time signature).
RACK = ["Audio Effect Rack", "Audio Effect Rack/EQ Eight", "Audio Effect Rack/Compressor"]
MASTER_DEVICES = [
    "Audio Effect Rack",
    "Audio Effect Rack/BiP",
    "Audio Effect Rack/MiniMetersServer",
    "Audio Effect Rack/LWT - Auto Track Colors",
    "Audio Effect Rack/ClipGain",
]
EXPECTED: dict[str, dict[str, list[str]]] = {
    "001_b1a27f29_als.als": {"1-MIDI": RACK, "2-Audio": RACK, "Master": MASTER_DEVICES},
    "002_5d4e0ad8_als.als": {"1-Operator": ["Operator", *RACK], "2-Audio": RACK, "Master": MASTER_DEVICES},
    "003_d64e0d81_als.als": {"1-Operator": ["Operator", *RACK], "2-Audio": RACK, "Master": MASTER_DEVICES},
    "004_1340c87f_als.als": {"1-Operator": ["Operator", *RACK], "2-Audio": RACK, "Master": MASTER_DEVICES},
    "005_a14e5455_als.als": {"1-Operator": ["Operator", *RACK], "2-Audio": RACK, "Master": MASTER_DEVICES},
}


def _history(corpus: Path) -> list[Session]:
    return [read_ableton(f, name=HISTORY) for f in sorted((corpus / "histories" / HISTORY).glob("*.als"))]


@pytest.mark.corpus
def test_every_set_in_the_corpus_reads(corpus: Path) -> None:
    files = sorted(corpus.rglob("*.als"))
    assert [f.name for f in files] == [*EXPECTED, "006_b0da92ce_als.als"]
    for path in files:
        session = read_ableton(path)
        assert (session.application_version, session.tempo_bpm, session.time_signature) == ("11.3.13", 120.0, (4, 4))
        assert session.problems == (), path.name
        assert [t.role for t in session.tracks][-1] == "master"
        if path.name in EXPECTED:
            assert {t.name: [d.name for d in t.devices] for t in session.tracks} == EXPECTED[path.name]


@pytest.mark.corpus
def test_the_drum_kit_set(corpus: Path) -> None:
    session = _history(corpus)[-1]
    assert [(t.name, t.role) for t in session.tracks] == [
        ("1-Operator", "instrument"),
        ("2-24_7 Kit", "instrument"),
        ("Master", "master"),
    ]
    kit = session.track("2-24_7 Kit").devices
    assert len(kit) == 29
    # 15 pads hold a Simpler, one pad an Instrument Rack of two: 17 Simplers
    assert sum(1 for d in kit if "Acoustified" in d.name) == 17
    limiter = next(d for d in kit if d.kind == "limiter")
    assert limiter.param("limiter.ceiling_db") == pytest.approx(-0.3, abs=1e-6)
    assert limiter.param("limiter.input_gain_db") == -2.875
    delay = next(d for d in kit if d.name.endswith("/Delay"))
    assert delay.param("delay.mix") == 0.5
    plugin = session.track("Master").devices[2]
    assert (plugin.format, plugin.kind, plugin.plugin_id) == ("vst3", "plugin", "ABCDEF019182FAEB4A6C64726D6D7376")
    assert plugin.state_sha256 is not None


def _one(changes: list[Change], type_: str, **fields: object) -> Change:
    found = [c for c in changes if c.type == type_ and all(getattr(c, k) == v for k, v in fields.items())]
    assert len(found) == 1, f"expected one {type_} {fields}, got {[c.describe() for c in changes]}"
    return found[0]


@pytest.mark.corpus
def test_history_v1_to_v2_operator_added(corpus: Path) -> None:
    # "v1": Operator dropped on the MIDI track; Live renames the unnamed track after it; a clip
    # of four notes drawn.
    versions = _history(corpus)
    changes = diff(versions[0], versions[1])
    assert sorted(c.type for c in changes) == ["clip-added", "device-added", "track-renamed"]
    renamed = _one(changes, "track-renamed")
    assert (renamed.before, renamed.after) == ("1-MIDI", "1-Operator")
    added = _one(changes, "device-added", track="1-Operator")
    assert added.device == "Operator" and added.where["index"] == 0


@pytest.mark.corpus
def test_history_v2_to_v3_oscillator_set_to_a_fixed_frequency(corpus: Path) -> None:
    # "v2": Operator's oscillator A switched to Fixed, its frequency 100 -> 240.224915 Hz.
    versions = _history(corpus)
    changes = diff(versions[1], versions[2])
    assert len(changes) == 2
    on = _one(changes, "parameter-changed", parameter="param.Operator.0/Tune/FixedFrequencyOn")
    assert (on.track, on.device, on.before, on.after) == ("1-Operator", "Operator", False, True)
    freq = _one(changes, "parameter-changed", parameter="param.Operator.0/Tune/FixedFrequency")
    assert (freq.before, freq.after) == (100.0, pytest.approx(240.224915))


@pytest.mark.corpus
def test_history_saves_that_changed_only_the_view_bring_no_change(corpus: Path) -> None:
    # "v3" and "v4" changed only the armed track, selection and play cursor: nothing of the mix.
    versions = _history(corpus)
    assert diff(versions[2], versions[3]) == []
    assert diff(versions[3], versions[4]) == []


@pytest.mark.corpus
def test_history_v5_to_v6_audio_track_replaced_by_a_drum_kit(corpus: Path) -> None:
    # "coloquei drum": the empty audio track is gone and a "24_7 Kit" drum track took its place.
    versions = _history(corpus)
    changes = diff(versions[4], versions[5])
    assert sorted(c.type for c in changes) == ["track-added", "track-removed"]
    assert _one(changes, "track-removed").track == "2-Audio"
    assert _one(changes, "track-added").track == "2-24_7 Kit"


@pytest.mark.corpus
def test_a_midi_clip_is_a_note_clip_and_its_notes_are_diffed(corpus: Path) -> None:
    """tioxy-alp-als v1 -> v2: a one-bar MIDI clip (looped to 16 beats) with four notes was
    drawn on the MIDI track, keys 65 at beats 0, 1, 2 and 62 at beat 3, velocity 100."""
    history = sorted((corpus / "histories" / "tioxy-alp-als").glob("*.als"))
    old, new = read_ableton(history[0]), read_ableton(history[1])
    (clip,) = new.track("1-Operator").clips
    assert (clip.file, clip.position, clip.duration) == ("", 0.0, 16.0)
    assert [(t, d, k) for t, d, k, _ in clip.notes] == [
        (0.0, 0.25, 65),
        (1.0, 0.25, 65),
        (2.0, 0.25, 65),
        (3.0, 0.25, 62),
    ]
    assert {round(v * 127) for *_, v in clip.notes} == {100}
    added = [c for c in diff(old, new) if c.type == "clip-added"]
    assert [(c.track, len(c.after["notes"])) for c in added] == [("1-Operator", 4)]
