"""Every DAWproject file of the real corpus reads into a session, or is refused with a clear reason.

Each expectation was taken by opening the file and reading its XML: the track names in order
(depth-first), the devices (track, kind, name) and the tempo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from daemon.errors import ParseError
from daemon.formats.dawproject import read_dawproject

pytestmark = pytest.mark.corpus


@dataclass(frozen=True)
class Reads:
    tempo_bpm: float
    tracks: tuple[str, ...]
    devices: tuple[tuple[str, str, str], ...] = ()
    device_count: int | None = None  # for files with too many devices to list
    clips: int | None = None
    roles: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Refused:
    reason: str


MASKS = ("masks-bass.wav", "masks-chord.wav", "masks-kick.wav")
EXPECTED: dict[str, Reads | Refused] = {
    "dawproject/andremichelle-openDAW/Untitled.dawproject": Reads(
        120.0,
        ("Vaporisateur", "Output"),
        (
            ("Vaporisateur", "other", "Arpeggio"),
            ("Vaporisateur", "other", "Pitch"),
            ("Vaporisateur", "other", "Vaporisateur"),
            ("Vaporisateur", "other", "Delay"),
            ("Vaporisateur", "other", "Reverb"),
            ("Vaporisateur", "other", "Revamp"),
            ("Output", "other", "Output"),
        ),
        roles={"Vaporisateur": "instrument", "Output": "master"},
    ),
    "dawproject/andremichelle-openDAW/audio-regions.dawproject": Reads(110.0, ("cw_154_Hash", "Master"), clips=1),
    "dawproject/andremichelle-openDAW/fx.dawproject": Reads(
        148.0, ("cw_148_Rust", "Delay+", "Master"), (("Delay+", "other", "Delay+"),), roles={"Delay+": "return"}
    ),
    "dawproject/andremichelle-openDAW/groups.dawproject": Reads(
        160.0,
        (
            "Main Group",
            "Synth Group",
            "FM-4",
            "Polysynth",
            "cw_160_Incoming",
            "Empty Group",
            "Faulty Group",
            "Aux Effect",
            "Master",
        ),
        device_count=5,
        roles={
            "Main Group": "group",
            "Synth Group": "group",
            "FM-4": "instrument",
            "Aux Effect": "return",
            "Master": "master",
        },
    ),
    "dawproject/andremichelle-openDAW/regions.dawproject": Reads(110.0, ("Inst 1", "Master")),
    "dawproject/bitwig-dawproject/README-example-project.xml": Reads(
        149.0, ("Bass", "Drumloop", "Master"), (("Bass", "plugin", "Surge XT"),), clips=1
    ),
    "dawproject/bitwig-dawproject/early-0.1/77f3d89_sends.dawproject": Refused(
        "pre-1.0 DAWproject (JSON, not supported)"
    ),
    "dawproject/bitwig-dawproject/early-0.1/77f3d89_test3x.dawproject": Refused(
        "pre-1.0 DAWproject (JSON, not supported)"
    ),
    "dawproject/hifa-lang-dawproject/canon.dawproject": Reads(
        150.0,
        ("Acoustic Piano (Nektar)", "canon_guitar_150bpm", "FX 1", "Master"),
        (("Acoustic Piano (Nektar)", "other", "Acoustic Piano (Nektar)"),),
    ),
    "dawproject/hifa-lang-dawproject/copied_canon.dawproject": Reads(
        150.0,
        ("Acoustic Piano (Nektar)", "canon_guitar_150bpm", "FX 1", "Master"),
        (("Acoustic Piano (Nektar)", "other", "Acoustic Piano (Nektar)"),),
    ),
    "dawproject/perivar-dawproject-typescript/dawproject_bitwig_serialized.xml": Reads(
        120.0,
        ("Master", *MASKS, "masks-percussion.wav", "masks-synth.wav"),
        (("masks-bass.wav", "eq", "Eq_1"), ("masks-bass.wav", "compressor", "Compressor_1")),
        device_count=10,
        clips=5,
    ),
    "dawproject/perivar-dawproject-typescript/dawproject_complex_serialized.xml": Reads(
        120.0, ("Master", "Track 1", "Track 2", "Track 3"), (("Master", "limiter", "Limiter"),)
    ),
    "dawproject/perivar-dawproject-typescript/dawproject_dummy_automation.xml": Reads(120.0, ("Master", "Track 1")),
    "dawproject/perivar-dawproject-typescript/dawproject_dummy_basic.xml": Reads(
        120.0, ("Master", "Track 1", "Track 2", "Track 3")
    ),
    "dawproject/perivar-dawproject-typescript/dawproject_dummy_clips_notes.xml": Reads(120.0, ("Master", "Track 1")),
    "dawproject/perivar-dawproject-typescript/dawproject_simple_serialized.xml": Reads(
        120.0, ("Master", "Track 1", "Track 2")
    ),
    "dawproject/perivar-dawproject-typescript/test-complex.dawproject": Reads(
        120.0, ("Master", "Track 1", "Track 2", "Track 3"), (("Master", "limiter", "Limiter"),)
    ),
    "dawproject/perivar-dawproject-typescript/testfile.dawproject": Reads(
        120.0, ("Master", "Track 1", "Track 2", "Track 3", "Track 4", "Track 5")
    ),
    "dawproject/perivar-dawproject-typescript/testfile2.dawproject": Reads(
        120.0, ("Master", "Track 1", "Track 2", "Track 3", "Track 4", "Track 5"), (("Master", "limiter", "Limiter"),)
    ),
    "dawproject/poznas-flp-to-dawproject/example_correct_metadata.xml": Refused(
        "not a DAWproject: the root element is <MetaData>"
    ),
    "dawproject/poznas-flp-to-dawproject/example_correct_project.xml": Reads(
        180.0,
        ("Master", "All Drums Buss", "All Drums Buss Master", "drum crush", "Drums Submix", "Drums Submix Master"),
        device_count=122,
    ),
    "dawproject/poznas-flp-to-dawproject/our-so-far-correct-sample-project_eddb8a0.xml": Reads(
        150.0, ("NAGRYWKI_MAIN", "NAGRYWKI_CHOREK")
    ),
    "dawproject/roex-dawproject-py/RoEx_Automix.xml": Reads(
        120.0,
        ("Master", *MASKS, "masks-percssion.wav", "masks-synth.wav"),
        (("masks-bass.wav", "eq", "Eq_1"), ("masks-bass.wav", "compressor", "Compressor_1")),
        device_count=10,
        clips=5,
    ),
    "histories/opendaw-eq-dawproject/001_392e8011_eq.dawproject": Reads(
        110.0, ("Inst 1", "EQ+", "Master"), (("EQ+", "eq", "EQ+"),)
    ),
    "histories/opendaw-eq-dawproject/002_3049a21c_eq.dawproject": Reads(
        110.0, ("Inst 1", "EQ+", "Master"), (("EQ+", "eq", "EQ+"),)
    ),
    "histories/opendaw-test-dawproject/001_b892bb86_test.dawproject": Reads(
        125.0, ("RK_DTC1_Drum_Loop_125bpm", "Audio 2", "Delay+", "Master"), (("Delay+", "other", "Delay+"),), clips=1
    ),
    "histories/opendaw-test-dawproject/002_547b25a9_test.dawproject": Reads(
        125.0, ("Drum Loop", "Delay+", "Master"), (("Delay+", "other", "Delay+"),)
    ),
    "histories/opendaw-test-dawproject/003_4572633d_test.dawproject": Reads(
        125.0, ("Drum Loop", "Delay+", "Master"), (("Delay+", "other", "Delay+"),), clips=2
    ),
    "histories/opendaw-test-dawproject/004_09922a30_test.dawproject": Reads(
        125.0, ("Drum Loop", "Pure Sine", "Aux 1", "Master"), (("Pure Sine", "other", "Pure Sine"),)
    ),
    "histories/opendaw-test-dawproject/005_0b29811e_test.dawproject": Reads(
        125.0,
        ("Organ", "Master"),
        (
            ("Organ", "other", "Arpeggiator"),
            ("Organ", "other", "Organ"),
            ("Organ", "other", "Delay+"),
            ("Master", "other", "Synth 4th"),
        ),
    ),
    "histories/opendaw-test-dawproject/006_a7dad9c9_test.dawproject": Reads(
        125.0, ("Organ", "FX 1", "Master"), device_count=4
    ),
    "histories/opendaw-test-dawproject/007_81b25351_test.dawproject": Reads(
        110.0, ("Khrns - Drum - 01", "Pure Sine", "FX 1", "Master"), (("Pure Sine", "other", "Pure Sine"),), clips=1
    ),
}


def _corpus_files(corpus: Path) -> set[str]:
    found = set()
    for pattern in ("dawproject/**/*.dawproject", "dawproject/**/*.xml", "histories/opendaw-*/*.dawproject"):
        found |= {str(p.relative_to(corpus)) for p in corpus.glob(pattern)}
    return found


def test_every_dawproject_file_of_the_corpus_has_an_expectation(corpus: Path) -> None:
    assert _corpus_files(corpus) == set(EXPECTED)


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_corpus_file_reads_or_is_refused_as_expected(corpus: Path, relative: str) -> None:
    path = corpus / relative
    expected = EXPECTED[relative]
    if isinstance(expected, Refused):
        with pytest.raises(ParseError) as caught:
            read_dawproject(path)
        assert expected.reason in caught.value.reason
        assert str(path) in str(caught.value)
        return
    session = read_dawproject(path)
    tracks = session.all_tracks()
    assert session.tempo_bpm == expected.tempo_bpm
    assert tuple(t.name for t in tracks)[: len(expected.tracks)] == expected.tracks
    devices = [(t.name, d.kind, d.name) for t in tracks for d in t.devices]
    assert devices[: len(expected.devices)] == list(expected.devices)
    if expected.device_count is not None:
        assert len(devices) == expected.device_count
    elif not expected.devices:
        assert devices == []
    if expected.clips is not None:
        assert sum(1 for t in tracks for c in t.clips if c.file) == expected.clips  # audio clips
    for name, role in expected.roles.items():
        assert session.track(name).role == role
    assert session.problems == ()


def test_bitwig_eq_reads_bands_in_hertz_with_slopes(corpus: Path) -> None:
    session = read_dawproject(corpus / "histories/opendaw-eq-dawproject/002_3049a21c_eq.dawproject")
    eq = session.track("EQ+").devices[0]
    # Band 1: highPass order 8 at 58.506371 semitones (MIDI note numbers) = 227.2 Hz, 48 dB/oct.
    assert eq.param("eq.band1.type") == "highpass"
    assert eq.param("eq.band1.freq_hz") == pytest.approx(440.0 * 2 ** ((58.506371 - 69) / 12))
    assert eq.param("eq.band1.slope_db_oct") == 48.0
    assert eq.param("eq.band2.gain_db") == -9.0
    assert eq.param("eq.band4.q") == 2.0
    assert eq.param("eq.band6.gain_db") == pytest.approx(-5.589767)


def test_bitwig_channel_units_are_converted_once(corpus: Path) -> None:
    session = read_dawproject(corpus / "histories/opendaw-test-dawproject/001_b892bb86_test.dawproject")
    drums = session.track("RK_DTC1_Drum_Loop_125bpm")
    assert drums.channel.volume_db == pytest.approx(3.0, abs=1e-4)  # linear 1.412538
    assert drums.channel.solo is True
    audio2 = session.track("Audio 2")
    assert audio2.channel.pan == pytest.approx(-0.5)  # normalized 0.25
    assert audio2.channel.mute is True
    assert audio2.channel.volume_db == pytest.approx(-10.0, abs=1e-4)
    send = drums.sends[0]
    assert (send.target, send.pre_fader, send.enabled) == ("Delay+", False, True)
    assert send.level_db == pytest.approx(-19.953, abs=1e-3)  # linear 0.100545
    assert audio2.sends[0].level_db is None  # linear 0: silence
    assert audio2.sends[0].enabled is False


def test_roex_compressor_reads_standard_terms(corpus: Path) -> None:
    session = read_dawproject(corpus / "dawproject/roex-dawproject-py/RoEx_Automix.xml")
    comp = session.track("masks-bass.wav").devices[1]
    assert comp.param("comp.attack_ms") == pytest.approx(75.0)
    assert comp.param("comp.release_ms") == pytest.approx(44.0)
    assert comp.param("comp.threshold_db") == -2.12
    assert comp.param("comp.ratio") == pytest.approx(1 / (1 - 0.5260663507109005))  # 52.6 % -> 2.11:1
    assert comp.param("comp.auto_makeup") is True
    clip = session.track("masks-bass.wav").clips[0]
    assert clip.file.endswith("masks-bass.wav")  # an absolute external path, kept as data
    assert session.time_unit == "seconds"


def test_note_clips_are_read_with_their_notes(corpus: Path) -> None:
    """A note clip is a clip with no file and its notes (time, duration, key, velocity), however
    its content nests: the TypeScript port's clip of eight kicks, Bitwig's README example."""
    session = read_dawproject(corpus / "dawproject/perivar-dawproject-typescript/dawproject_dummy_clips_notes.xml")
    (clip,) = session.track("Track 1").clips
    assert (clip.file, clip.name, clip.position, clip.duration) == ("", "Clip 0", 0.0, 4.0)
    assert clip.notes == tuple((i * 0.5, 0.5, 36, 0.8) for i in range(8))
    readme = read_dawproject(corpus / "dawproject/bitwig-dawproject/README-example-project.xml")
    note_clips = [c for t in readme.all_tracks() for c in t.clips if not c.file]
    assert note_clips and all(c.notes for c in note_clips)
