"""Changes as sentences an engineer reads: each change type, in their words and units."""

from __future__ import annotations

from typing import Any

import pytest

from daemon.sessions.changes import Change
from daemon.sessions.sentences import outline, sentence
from daemon.sessions.timeline import note_summary
from daemon.sessions.wording import db, hz, pan, q, ratio


def param(parameter: str, before: Any, after: Any, device: str | None = None, **where: Any) -> Change:
    return Change(
        "parameter-changed", track="Kick", device=device, parameter=parameter, before=before, after=after, where=where
    )


def band(number: int, **fields: tuple[Any, Any]) -> list[Change]:
    return [param(f"eq.band{number}.{leaf}", a, b, device="EQ") for leaf, (a, b) in fields.items()]


SENTENCES = {
    # the channel strip
    "fader from silence": (param("volume_db", None, -20.94), "Kick: fader -inf -> -20.9 dB"),
    "fader to the floor reads -inf": (param("volume_db", -3.0, -150.0), "Kick: fader -3 dB -> -inf"),
    "fader at -144 dB is silence": (param("volume_db", -144.0, 0.0), "Kick: fader -inf -> 0 dB"),
    "fader boost has its sign": (param("volume_db", 0.0, 2.06), "Kick: fader 0 dB -> +2.1 dB"),
    "pan from centre": (param("pan", 0.0, -0.1), "Kick: pan centre -> 10 % L"),
    "pan small moves keep a decimal": (param("pan", 0.5, 0.504), "Kick: pan 50 % R -> 50.4 % R"),
    "mute": (param("mute", False, True), "Kick: muted"),
    "unmute": (param("mute", True, False), "Kick: unmuted"),
    "solo": (param("solo", False, True), "Kick: soloed"),
    "master send off": (param("main_send", True, False), "Kick: master send off"),
    "master send on": (param("main_send", False, True), "Kick: master send on"),
    "output": (param("output", None, "Drums"), 'Kick: output default (master) -> "Drums"'),
    "channels": (param("audio_channels", 1, 2), "Kick: channels mono -> stereo"),
    "role": (param("role", "return", "audio"), "Kick: return track -> audio track"),
    "content": (param("content_types", [], ["audio"]), "Kick: now holds audio (held nothing)"),
    "send level": (param("send.Reverb.level_db", -12.0, -9.0), 'Kick: send to "Reverb" -12 dB -> -9 dB'),
    "send to a track with dots in its name": (
        param("send.Plate.verb.enabled", True, False),
        'Kick: send to "Plate.verb" switched off',
    ),
    "send pre-fader": (param("send.Reverb.pre_fader", False, True), 'Kick: send to "Reverb" now pre-fader'),
    "label tells same-named tracks apart": (
        Change(
            "parameter-changed", track="ReaLearn", parameter="mute", after=True, where={"label": "ReaLearn (track 3)"}
        ),
        "ReaLearn (track 3): muted",
    ),
    # devices
    "ratio to infinity": (
        param("comp.ratio", 4.0, None, device="Pro-C 2"),
        "Kick: Pro-C 2 compressor ratio 4:1 -> inf:1",
    ),
    "attack in ms": (
        param("comp.attack_ms", 0.5, 12.345, device="Pro-C 2"),
        "Kick: Pro-C 2 compressor attack 0.5 ms -> 12.3 ms",
    ),
    "a switch of a compressor": (
        param("comp.auto_makeup", False, True, device="Comp"),
        "Kick: Comp compressor auto make-up switched on",
    ),
    "gate range": (param("gate.range_db", -40.0, -20.0, device="Gate"), "Kick: Gate gate range -40 dB -> -20 dB"),
    "limiter ceiling": (
        param("limiter.ceiling_db", -0.1, -1.0, device="L2"),
        "Kick: L2 limiter ceiling -0.1 dB -> -1 dB",
    ),
    "delay mix in percent": (param("delay.mix", 0.25, 0.4, device="Echo"), "Kick: Echo delay mix 25 % -> 40 %"),
    "reverb decay in seconds": (
        param("reverb.decay_s", 1.2, 2.5, device="Verb"),
        "Kick: Verb reverb decay 1.2 s -> 2.5 s",
    ),
    "an unnamed slider": (param("param.slider15", -60.0, -56.0, device="JS"), "Kick: JS slider 15 -60 -> -56"),
    "a raw parameter path made readable": (
        param("param.Operator.0/Tune/FixedFrequency", 100.0, 240.22, device="Operator"),
        "Kick: Operator Operator 0 tune fixed frequency 100 -> 240.22",
    ),
    "a raw switch": (
        param("param.Operator.0/Tune/FixedFrequencyOn", False, True, device="Operator"),
        "Kick: Operator Operator 0 tune fixed frequency switched on",
    ),
    "a raw on-switch named IsOn": (
        param("param.Operator.3/IsOn", True, False, device="Operator"),
        "Kick: Operator Operator 3 switched off",
    ),
    "a raw parameter states its unit": (
        param("param.Dry Level [dB]", -6.0, -3.0, device="TAP"),
        "Kick: TAP Dry Level -6 dB -> -3 dB",
    ),
    "a raw text value": (param("param.Mode", "Clean", "Drive", device="Amp"), 'Kick: Amp Mode "Clean" -> "Drive"'),
    "a raw parameter appears": (
        param("param.slider7", None, 1.0, device="Meter", presence="added"),
        "Kick: Meter slider 7 added: 1",
    ),
    "a raw parameter goes": (
        param("param.slider7", 1.0, None, device="Meter", presence="removed"),
        "Kick: Meter slider 7 removed (was 1)",
    ),
    "a plug-in saved as another format is one sentence": (
        param(
            "device.plugin",
            {"format": "au", "plugin_id": "ITSR: StudioLink", "vendor": "ITSR", "state_sha256": "ab"},
            {"format": "vst2", "plugin_id": "1769239410<56>", "vendor": "IT-Service", "state_sha256": "cd"},
            device="StudioLink",
        ),
        'Kick: StudioLink now the VST2 version (was AU), maker "ITSR" -> "IT-Service"',
    ),
    "a plug-in under a new identifier": (
        param("device.plugin", {"plugin_id": "1919247729"}, {"plugin_id": "1919247729<56>"}, device="ReaEQ"),
        "Kick: ReaEQ plug-in identifier changed",
    ),
    "a slider by the name the effect gives it": (
        param("param.slider4", -20.0, -24.0, device="JS", shown="Threshold (dB)"),
        "Kick: JS Threshold -20 dB -> -24 dB",
    ),
    "a setting with no words of its own": (
        param("device.layout", {"a": 1}, {"a": 2}, device="X"),
        "Kick: X layout changed",
    ),
    "format": (param("device.format", "vst2", "vst3", device="Amp"), "Kick: Amp now the VST3 version (was VST2)"),
    "plug-in id": (param("device.plugin_id", "1<ab>", "1{cd}", device="Amp"), "Kick: Amp plug-in identifier changed"),
    "maker": (param("device.vendor", "ITSR", "IT-Service", device="SL"), 'Kick: SL maker "ITSR" -> "IT-Service"'),
    "bypassed": (
        Change("device-toggled", track="Kick", device="EQ", parameter="enabled", before=True, after=False),
        "Kick: EQ bypassed",
    ),
    "switched on": (
        Change("device-toggled", track="Kick", device="EQ", parameter="enabled", before=False, after=True),
        "Kick: EQ switched on",
    ),
    "device added bypassed": (
        Change("device-added", track="Kick", device="EQ", after={"kind": "eq", "name": "EQ", "enabled": False}),
        "Kick: EQ added, bypassed",
    ),
    "device added": (
        Change("device-added", track="Kick", device="EQ", after={"kind": "eq", "name": "EQ", "enabled": True}),
        "Kick: EQ added",
    ),
    "device removed": (Change("device-removed", track="Kick", device="EQ", before={"kind": "eq"}), "Kick: EQ removed"),
    "device renamed": (
        Change("device-renamed", track="Kick", device="Comp", before="Pro-C 2", after="Comp"),
        'Kick: device renamed "Pro-C 2" -> "Comp"',
    ),
    "device moved": (
        Change("device-moved", track="Kick", device="EQ", before=2, after=0),
        "Kick: EQ moved from slot 3 to 1",
    ),
    "plug-in state": (
        Change("plugin-state-changed", track="Kick", device="Serum", before="ab12", after="cd34"),
        "Kick: Serum plug-in settings changed",
    ),
    # tracks and the session
    "track renamed": (
        Change("track-renamed", track="Keith", before="Track 1", after="Keith"),
        'Keith: renamed "Track 1" -> "Keith"',
    ),
    "an unnamed track numbered by its new place": (
        Change("track-renamed", track="Track 3", before="Track 2", after="Track 3", where={"auto_name": True}),
        'Track 3: renumbered "Track 2" -> "Track 3" (an unnamed track)',
    ),
    "track moved in order": (
        Change("track-moved", track="Kick", before={"parent": None, "index": 2}, after={"parent": None, "index": 0}),
        "Kick: moved from position 3 to 1",
    ),
    "track moved into a folder": (
        Change("track-moved", track="Kick", before={"parent": None, "index": 2}, after={"parent": "Drums", "index": 0}),
        'Kick: moved into folder "Drums"',
    ),
    "track moved out of a folder": (
        Change("track-moved", track="Kick", before={"parent": "Drums", "index": 0}, after={"parent": None, "index": 4}),
        'Kick: moved out of folder "Drums"',
    ),
    "track added with its role": (
        Change(
            "track-added", track="W11", after={"role": "instrument", "devices": [{}, {}], "clips": [], "sends": [{}]}
        ),
        "W11: new instrument track with 2 devices and 1 send",
    ),
    "track removed with its role": (
        Change("track-removed", track="Bus", before={"role": "group"}),
        "Bus: group track removed",
    ),
    "tempo": (
        Change("tempo-changed", parameter="tempo_bpm", before=120.0, after=128.0, unit="BPM"),
        "session: tempo 120 -> 128 BPM",
    ),
    "time signature": (
        Change("tempo-changed", parameter="time_signature", before=[4, 4], after=[3, 4]),
        "session: time signature 4/4 -> 3/4",
    ),
    "session started": (
        Change("session-started", after={"tracks": ["Kick", "Snare"], "tempo_bpm": 120.0, "application": "REAPER 7.2"}),
        'session: started in REAPER 7.2 with 2 tracks ("Kick" and "Snare"), 120 BPM',
    ),
    "send added": (
        Change(
            "send-added",
            track="Kick",
            parameter="send.Reverb",
            after={"target": "Reverb", "level_db": -12.0, "pre_fader": True, "enabled": True, "pan": None},
        ),
        'Kick: send to "Reverb" added at -12 dB, pre-fader',
    ),
    "send removed": (
        Change("send-removed", track="Kick", parameter="send.Reverb", before={"target": "Reverb", "level_db": None}),
        'Kick: send to "Reverb" removed (was -inf)',
    ),
    # automation
    "automation edited": (
        Change(
            "automation-changed",
            track="Kick",
            parameter="volume_db",
            before=[[0.0, 0.0]] * 4,
            after=[[0.0, -3.0], [2.0, -1.0], [4.0, 0.0], [6.0, 0.0], [8.0, 0.0], [12.5, 0.0]],
            unit="dB",
            where={"time_unit": "s"},
        ),
        "Kick: volume automation: 4 -> 6 points, 0.0 s to 12.5 s",
    ),
    "automation lane added": (
        Change("automation-changed", track="Kick", parameter="pan", after=[[0.0, 0.0], [4.0, 0.5]], unit="beats"),
        "Kick: pan automation added: 2 points, 0 beats to 4 beats",
    ),
    "automation lane of a device removed": (
        Change(
            "automation-changed",
            track="Kick",
            device="EQ",
            parameter="eq.band2.gain_db",
            before=[[0.0, 0.0]],
            unit="dB",
        ),
        "Kick: EQ band 2 gain automation removed (had 1 point)",
    ),
    "send automation without a time unit": (
        Change(
            "automation-changed",
            track="Kick",
            parameter="send.Verb.level_db",
            before=[[0, 0]],
            after=[[1, 0]],
            unit="dB",
        ),
        'Kick: send to "Verb" level automation edited: 1 point',
    ),
    # clips
    "clip moved and trimmed at its end": (
        Change(
            "clip-changed",
            track="Vox",
            parameter="Just Between Us.wav",
            before={"position": 10.0, "duration": 5.0, "name": "Take 1"},
            after={"position": 11.5, "duration": 4.75, "name": "Just Between Us"},
            unit="s",
        ),
        'Vox: clip "Just Between Us" moved 1.50 s later, trimmed 0.25 s at its end and renamed from "Take 1"',
    ),
    "clip trimmed at its start": (
        Change(
            "clip-changed",
            track="Vox",
            parameter="a.wav",
            before={"position": 10.0, "duration": 5.0, "play_start": 1.0},
            after={"position": 10.25, "duration": 4.75, "play_start": 1.25},
            unit="s",
        ),
        'Vox: clip "a.wav" trimmed 0.25 s at its start',
    ),
    "clip moved in beats": (
        Change(
            "clip-changed",
            track="Vox",
            parameter="a.wav",
            before={"position": 8.0},
            after={"position": 4.0},
            unit="beats",
        ),
        'Vox: clip "a.wav" moved 4 beats earlier',
    ),
    "clip moved with no time unit says which way only": (
        Change("clip-changed", track="Vox", parameter="a.wav", before={"position": 10.0}, after={"position": 8.0}),
        'Vox: clip "a.wav" moved earlier',
    ),
    "clip gain, fade, mute": (
        Change(
            "clip-changed",
            track="Vox",
            parameter="a.wav",
            before={"gain_db": 0.0, "fade_in": 0.0, "enabled": True},
            after={"gain_db": -3.0, "fade_in": 0.5, "enabled": False},
            unit="s",
        ),
        'Vox: clip "a.wav" gain 0 dB -> -3 dB, fade-in of 0.50 s added and muted',
    ),
    "clip plays another file": (
        Change(
            "clip-changed",
            track="Vox",
            parameter="audio/b.wav",
            before={"file": "audio/a.wav"},
            after={"file": "audio/b.wav"},
        ),
        'Vox: clip "a.wav" now plays "b.wav"',
    ),
    "note clip notes": (
        Change(
            "clip-changed",
            track="Bass",
            parameter="Bass riff",
            before={"notes": [[0, 1, 36, 0.8], [1, 1, 38, 0.8], [2, 1, 40, 0.8]]},
            after={"notes": [[0, 1, 36, 0.5], [1.5, 1, 38, 0.8], [3, 1, 43, 0.8], [4, 1, 45, 1], [5, 1, 47, 1]]},
            unit="beats",
        ),
        'Bass: clip "Bass riff": 3 notes added, 1 removed, 1 moved, 1 changed',
    ),
    "a note clip is named by its name even with a slash in it": (
        Change(
            "clip-changed",
            track="Bass",
            parameter="Verse 1/2",
            before={"notes": [[0, 1, 36, 0.8]]},
            after={"notes": []},
            unit="beats",
        ),
        'Bass: clip "Verse 1/2": 1 note removed',
    ),
    "note clip added": (
        Change(
            "clip-added",
            track="Bass",
            parameter="Bass riff",
            after={
                "file": "",
                "position": 4.0,
                "duration": 8.0,
                "name": "Bass riff",
                "enabled": True,
                "notes": [[0, 1, 36, 0.8]],
            },
            unit="beats",
        ),
        'Bass: note clip "Bass riff" added at 4 beats, 8 beats long, 1 note',
    ),
    "audio clip removed": (
        Change(
            "clip-removed",
            track="Vox",
            parameter="a.wav",
            before={"file": "a.wav", "position": 4.0, "duration": 2.0, "name": "", "enabled": True, "notes": []},
            unit="s",
        ),
        'Vox: clip "a.wav" removed from 4.0 s, 2.00 s long',
    ),
    # markers
    "markers": (
        Change(
            "markers-changed",
            before=[["Verse", 0.0], ["Chorus", 30.0], ["Bridge", 60.0], ["Solo", 70.0]],
            after=[["Verse", 0.0], ["Chorus", 32.0], ["Outro", 60.0], ["End", 90.0]],
            unit="s",
        ),
        'session: marker "Chorus" moved 30.0 s -> 32.0 s; marker at 60.0 s renamed "Bridge" -> "Outro"; '
        'marker "Solo" removed (was at 70.0 s); marker "End" added at 90.0 s',
    ),
    "marker added in beats": (
        Change("markers-changed", before=[], after=[["Chorus", 32.0]], unit="beats"),
        'session: marker "Chorus" added at 32 beats',
    ),
    # what no one has taught it yet still reads as words
    "unknown change type": (
        Change("weird-new-type", track="Kick", parameter="foo_bar"),
        "Kick: weird new type foo bar",
    ),
}


@pytest.mark.parametrize(("change", "expected"), list(SENTENCES.values()), ids=list(SENTENCES))
def test_each_change_reads_as_one_sentence(change: Change, expected: str) -> None:
    assert sentence(change) == expected
    assert change.describe() == expected


BANDS = {
    "one band moved in one save is one line named by its type": (
        band(3, type=("bell", "bell"), freq_hz=(556.0, 907.0), gain_db=(-7.8, -4.1), q=(5.0, 10.0)),
        "band 3 bell 556 Hz -7.8 dB Q 5 -> 907 Hz -4.1 dB Q 10",
    ),
    "a band whose type is unknown is named by its number": (
        band(2, freq_hz=(401.96, 363.58), gain_db=(-3.37, -2.38)),
        "band 2 402 Hz -3.4 dB -> 364 Hz -2.4 dB",
    ),
    "a band that changed type shows both": (
        band(4, type=("highshelf", "lowpass"), freq_hz=(5000.0, 11918.95), q=(1.78, 1.23))
        + [param("eq.band4.gain_db", 0.0, None, device="EQ", presence="removed")],
        "band 4 high shelf 5 kHz 0 dB Q 1.8 -> low-pass 11.9 kHz Q 1.2",
    ),
    "a band added": (
        [
            param(f"eq.band6.{leaf}", None, value, device="EQ", presence="added")
            for leaf, value in (("enabled", True), ("freq_hz", 62.04), ("q", 0.67), ("type", "highpass"))
        ],
        "band 6 added: high-pass 62 Hz Q 0.67",
    ),
    "a band removed": (
        [
            param(f"eq.band2.{leaf}", value, None, device="EQ", presence="removed")
            for leaf, value in (("type", "bell"), ("freq_hz", 900.0), ("gain_db", -9.0))
        ],
        "band 2 removed (was bell 900 Hz -9 dB)",
    ),
    "a filter's slope": (
        band(1, slope_db_oct=(12.0, 48.0), q=(1.1, 1.04)),
        "band 1 12 dB/octave Q 1.1 -> 48 dB/octave Q 1",
    ),
    "a band switched off": (band(5, enabled=(True, False)), "band 5 switched off"),
    "close frequencies keep the digits that tell them apart": (
        band(3, freq_hz=(5000.0, 5040.0)),
        "band 3 5 kHz -> 5.04 kHz",
    ),
}


@pytest.mark.parametrize(("changes", "expected"), list(BANDS.values()), ids=list(BANDS))
def test_the_fields_of_one_eq_band_read_as_one_line(changes: list[Change], expected: str) -> None:
    assert outline(changes) == [(0, "Kick"), (1, "EQ"), (2, expected)]


def test_each_event_of_a_band_shows_its_field_of_the_band() -> None:
    changes = band(3, freq_hz=(556.0, 907.0), gain_db=(-7.8, -4.1), q=(5.0, 10.0))
    assert [sentence(c) for c in changes] == [
        "Kick: EQ band 3 556 Hz -> 907 Hz",
        "Kick: EQ band 3 -7.8 dB -> -4.1 dB",
        "Kick: EQ band 3 Q 5 -> Q 10",
    ]


def test_outline_puts_each_track_and_device_over_its_changes() -> None:
    changes = [
        Change("tempo-changed", parameter="tempo_bpm", before=120.0, after=128.0, unit="BPM"),
        Change("track-renamed", track="Keith", before="Track 1", after="Keith"),
        Change("parameter-changed", track="Keith", parameter="pan", before=0.0, after=-0.38),
        Change(
            "device-toggled",
            track="Keith",
            device="Booster",
            parameter="enabled",
            before=True,
            after=False,
            where={"device": 1},
        ),
        Change("plugin-state-changed", track="Keith", device="ReaEQ", before="a", after="b", where={"device": 2}),
        Change(
            "parameter-changed",
            track="Keith",
            device="ReaEQ",
            parameter="eq.band2.freq_hz",
            before=401.96,
            after=363.58,
            where={"device": 2},
        ),
        Change(
            "parameter-changed",
            track="Keith",
            device="ReaEQ",
            parameter="eq.band2.gain_db",
            before=-3.37,
            after=-2.38,
            where={"device": 2},
        ),
        Change("plugin-state-changed", track="Keith", device="ReaEQ", before="c", after="d", where={"device": 5}),
        Change(
            "automation-changed",
            track="Keith",
            device="ReaEQ",
            parameter="eq.band2.gain_db",
            before=None,
            after=[[0.0, 1.0]],
        ),
        Change("parameter-changed", track="Master", parameter="volume_db", before=0.0, after=2.06, unit="dB"),
    ]
    assert outline(changes) == [
        (0, "session"),
        (1, "tempo 120 -> 128 BPM"),
        (0, "Keith"),
        (1, 'renamed "Track 1" -> "Keith"'),
        (1, "pan centre -> 38 % L"),
        (1, "Booster"),
        (2, "bypassed"),
        (1, "ReaEQ (slot 3)"),
        (2, "plug-in settings changed"),
        (2, "band 2 402 Hz -3.4 dB -> 364 Hz -2.4 dB"),
        (2, "band 2 gain automation added: 1 point"),
        (1, "ReaEQ (slot 6)"),
        (2, "plug-in settings changed"),
        (0, "Master"),
        (1, "fader 0 dB -> +2.1 dB"),
    ]


def test_a_removed_track_and_a_new_one_of_the_same_name_are_told_apart() -> None:
    changes = [
        Change("track-removed", track="Track 3", before={"role": "return"}),
        Change("track-added", track="Track 3", after={"role": "audio"}),
    ]
    assert outline(changes) == [(0, "Track 3"), (1, "return track removed"), (0, "Track 3"), (1, "new audio track")]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ([[0, 1, 36, 0.8]], [[0, 1, 36, 0.8], [1, 1, 38, 0.8]], "1 note added"),
        ([[0, 1, 36, 0.8], [1, 1, 38, 0.8]], [[0, 1, 36, 0.8]], "1 note removed"),
        ([[0, 1, 36, 0.8], [1, 1, 38, 0.8]], [[0.5, 1, 36, 0.8], [2, 1, 38, 0.8]], "2 notes moved"),
        ([[0, 1, 36, 0.8]], [[0, 1, 36, 1.0]], "1 note changed"),
        ([[0, 1, 36, 0.8]], [[0, 2, 36, 0.8]], "1 note changed"),
        ([], [[0, 1, 36, 0.8], [1, 1, 38, 0.8], [2, 1, 40, 0.8]], "3 notes added"),
    ],
)
def test_notes_are_matched_by_key_and_time(before: list, after: list, expected: str) -> None:
    assert note_summary(before, after) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (62.04, "62 Hz"),
        (401.96, "402 Hz"),
        (999.7, "1 kHz"),
        (1173.43, "1.2 kHz"),
        (11918.95, "11.9 kHz"),
        (20.0, "20 Hz"),
    ],
)
def test_frequencies_have_three_digits_under_a_kilohertz_and_kilohertz_above(value: float, expected: str) -> None:
    assert hz(value) == expected


def test_levels_pans_qs_and_ratios_carry_their_units() -> None:
    assert [db(None), db(-150.0), db(-144.0), db(-0.04), db(6.0), db(-7.84)] == [
        "-inf",
        "-inf",
        "-inf",
        "0 dB",
        "+6 dB",
        "-7.8 dB",
    ]
    assert [pan(0.0), pan(-1.0), pan(0.38)] == ["centre", "100 % L", "38 % R"]
    assert [q(0.667), q(10.0), q(1.78)] == ["Q 0.67", "Q 10", "Q 1.8"]
    assert [ratio(4.0), ratio(2.5), ratio(None)] == ["4:1", "2.5:1", "inf:1"]


def test_a_band_whose_type_did_not_change_is_named_by_the_type_the_differ_states() -> None:
    where = {"old": 1, "device": 2, "band_type": "bell"}
    changes = [
        Change("parameter-changed", "Keith", "ReaEQ", "eq.band2.freq_hz", 401.96, 363.58, "Hz", dict(where)),
        Change("parameter-changed", "Keith", "ReaEQ", "eq.band2.gain_db", -3.37, -2.38, "dB", dict(where)),
    ]
    assert outline(changes) == [(0, "Keith"), (1, "ReaEQ"), (2, "band 2 bell 402 Hz -3.4 dB -> 364 Hz -2.4 dB")]
    assert changes[0].describe() == "Keith: ReaEQ band 2 bell 402 Hz -> 364 Hz"
