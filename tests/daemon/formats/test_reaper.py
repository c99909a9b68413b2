"""The REAPER reader: every .RPP / .rpp-bak of the corpus, real histories diffed, hostile input,
and the mapping of each RPP line the reader knows on a small project written here."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from daemon.errors import ParseError
from daemon.formats.reaper import read_reaper
from daemon.formats.rpp import MAX_DEPTH, MAX_LINE_CHARS
from daemon.sessions.diff import diff
from daemon.sessions.model import Session

# file under corpus/ -> (tracks without the master, devices on all tracks with the master, tempo)
CORPUS_FILES: dict[str, tuple[int, int, float]] = {
    "reaper/foglabs-one-button-device/monitor.RPP": (1, 0, 120.0),
    "reaper/griffinsauce-reaper-project-parser/empty.rpp": (0, 0, 120.0),
    "reaper/griffinsauce-reaper-project-parser/with-external-files.rpp": (19, 9, 205.0),
    "reaper/kmjbyrne-glutones/Untitled.RPP": (1, 0, 120.0),
    "reaper/kristjankruus-rpp-editor/examples_test3.rpp": (1, 2, 135.0),
    "reaper/kristjankruus-rpp-editor/test1.rpp": (1, 2, 135.0),
    "reaper/perlence-rpp/empty.RPP": (2, 0, 120.0),
    "reaper/perlence-rpp/with_empty_lines.RPP": (0, 0, 120.0),
    "reaper/ultraschall-portable/test.rpp": (1, 5, 120.0),
}
# history folder -> per version (tracks without the master, devices, tempo)
HISTORIES: dict[str, list[tuple[int, int, float]]] = {
    "glutones-toast-band-session": [
        (4, 12, 120.0),
        (4, 9, 120.0),
        (3, 8, 128.0),
        (3, 8, 128.0),
        (3, 8, 128.0),
        (4, 12, 128.0),
    ],
    "glutones-toast-band-session-rpp-bak": [(4, 12, 120.0), (4, 12, 120.0), (3, 8, 120.0), (3, 8, 120.0), (4, 9, 120.0)]
    + [(4, 9, 120.0), (4, 12, 128.0), (4, 12, 128.0), (4, 12, 128.0)],
    "helgobox-issue-161-instance-track": [(1, 1, 120.0)] * 3 + [(2, 1, 120.0)] + [(4, 4, 120.0)] * 7,
    "helgobox-issue-221-nks": [(1, 1, 120.0), (2, 2, 120.0), (2, 2, 120.0)] + [(2, 3, 120.0)] * 9,
    "knpwrs-reaper-experiments": [(0, 0, 120.0), (1, 0, 120.0), (2, 0, 120.0), (3, 0, 120.0)] + [(4, 0, 120.0)] * 3,
    "ultraschall-studiolink": [(2, 5, 120.0)] * 4 + [(2, 6, 120.0)] + [(2, 12, 120.0)] * 6,
}


def _counts(session: Session) -> tuple[int, int, float | None]:
    tracks = session.all_tracks()
    return len(tracks) - 1, sum(len(t.devices) for t in tracks), session.tempo_bpm


def _history(corpus: Path, name: str) -> list[Path]:
    return sorted(p for p in (corpus / "histories" / name).iterdir() if p.name != "HISTORY.md")


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS_FILES))
def test_corpus_file_reads(corpus: Path, relative: str) -> None:
    session = read_reaper(corpus / relative)
    assert _counts(session) == CORPUS_FILES[relative]
    assert session.application == "REAPER"
    assert session.time_unit == "seconds"
    assert session.tracks[0].role == "master"
    assert session.problems == ()


@pytest.mark.corpus
def test_every_reaper_file_of_the_corpus_is_listed(corpus: Path) -> None:
    found = {
        str(p.relative_to(corpus)) for p in (corpus / "reaper").rglob("*") if p.suffix.lower() in (".rpp", ".rpp-bak")
    }
    assert found == set(CORPUS_FILES)


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(HISTORIES))
def test_history_versions_read(corpus: Path, name: str) -> None:
    files = _history(corpus, name)
    assert [_counts(read_reaper(f)) for f in files] == HISTORIES[name]


def _changes(corpus: Path, name: str, before: int, after: int) -> list[tuple[object, ...]]:
    files = _history(corpus, name)
    old, new = read_reaper(files[before - 1]), read_reaper(files[after - 1])
    return [(c.type, c.track, c.device, c.parameter, c.before, c.after) for c in diff(old, new)]


@pytest.mark.corpus
def test_knpwrs_sub_track_added_into_a_new_folder(corpus: Path) -> None:
    """Version 4, "Add sub track to first track": ISBUS 1 1 on track 1 makes it a folder and a new
    track {07BBE635-...} is inserted into it, second. The old second track keeps its TRACKID
    {0E275B8D-...}: it is the same track, now listed third, so REAPER shows it as "Track 3" (no
    name of its own). By position it would read as track 2 moved into the folder and a track 3 added."""
    files = _history(corpus, "knpwrs-reaper-experiments")
    old, new = read_reaper(files[2]), read_reaper(files[3])
    changes = diff(old, new)
    summary = [(c.type, c.track, c.parameter, c.before, c.after) for c in changes]
    assert ("parameter-changed", "Track 1", "role", "audio", "group") in summary
    (added,) = [c for c in changes if c.type == "track-added"]
    assert added.track == "Track 2" and added.after["uid"] == "{07BBE635-D2E6-0F45-A678-250959D5DFE6}"
    assert added.where["parent"] == {"old": 1} and added.after["channel"]["output"] == "Track 1"
    (renamed,) = [c for c in changes if c.type == "track-renamed"]
    assert (renamed.before, renamed.after, renamed.where["auto_name"]) == ("Track 2", "Track 3", True)
    assert old.all_tracks()[renamed.where["old"]].uid == "{0E275B8D-CEA3-A345-8E59-8CEE08E9A065}"
    assert not [c for c in changes if c.type == "track-moved"]


@pytest.mark.corpus
def test_knpwrs_tracks_named(corpus: Path) -> None:
    """Version 6, "Give the tracks names": four renames and nothing else."""
    changes = _changes(corpus, "knpwrs-reaper-experiments", 5, 6)
    assert sorted((c[0], c[4], c[5]) for c in changes) == [
        ("track-renamed", "Track 1", "Foo"),
        ("track-renamed", "Track 2", "Banana"),
        ("track-renamed", "Track 3", "Bar"),
        ("track-renamed", "Track 4", "Apple"),
    ]


@pytest.mark.corpus
def test_knpwrs_offset_item_added(corpus: Path) -> None:
    """Version 7, "Add offset track item": the same mp3 on Banana at 0 s and on Bar at 20 s."""
    changes = _changes(corpus, "knpwrs-reaper-experiments", 6, 7)
    clips = {c[1]: c[5] for c in changes if c[0] == "clip-added"}
    assert clips["Banana"]["position"] == 0.0
    assert clips["Bar"]["position"] == 20.0
    assert clips["Bar"]["file"] == "tracks/bensound-summer.mp3"
    assert clips["Bar"]["duration"] == pytest.approx(217.3585034)


@pytest.mark.corpus
def test_glutones_tempo_eq_and_bypass(corpus: Path) -> None:
    """Versions 2 -> 3: TEMPO 120 -> 128, the Amplitube track deleted, "Solo Booster" bypassed
    (BYPASS 0 -> 1), and the second ReaEQ on Track 1 reshaped: band 2 moved down and cut less,
    band 4 turned from a high shelf into a low-pass, two bands added (a high-pass at 62 Hz)."""
    changes = _changes(corpus, "glutones-toast-band-session", 2, 3)
    assert ("tempo-changed", None, None, "tempo_bpm", 120.0, 128.0) in changes
    assert [c[1] for c in changes if c[0] == "track-removed"] == ["Amplitube"]
    assert ("device-toggled", "Track 1", "Solo Booster", "enabled", True, False) in changes
    eq = {c[3]: (c[4], c[5]) for c in changes if c[0] == "parameter-changed" and c[2] == "ReaEQ"}
    before, after = eq["eq.band2.freq_hz"]
    assert (before, after) == (pytest.approx(401.958, abs=1e-3), pytest.approx(363.583, abs=1e-3))
    before, after = eq["eq.band2.gain_db"]
    assert (before, after) == (pytest.approx(-3.372, abs=1e-3), pytest.approx(-2.380, abs=1e-3))
    assert eq["eq.band4.type"] == ("highshelf", "lowpass")
    assert eq["eq.band6.type"] == (None, "highpass")
    assert eq["eq.band6.freq_hz"][1] == pytest.approx(62.036, abs=1e-3)


@pytest.mark.corpus
def test_ultraschall_reaeq_bands_read_from_state(corpus: Path) -> None:
    session = read_reaper(corpus / "reaper/ultraschall-portable/test.rpp")
    track = session.track("trss-mr-death")
    eq = next(d for d in track.devices if d.name == "ReaEQ")
    assert (eq.kind, eq.format, eq.vendor, eq.enabled) == ("eq", "vst2", "Cockos", False)
    assert eq.param("eq.band1.type") == "bell"
    assert eq.param("eq.band1.gain_db") == pytest.approx(5.8)
    assert eq.param("eq.band5.type") == "highshelf"
    assert eq.param("eq.band5.gain_db") == pytest.approx(6.0)
    comp = next(d for d in track.devices if d.name == "DeEsser")  # ReaComp under its alias
    assert comp.state_sha256 and comp.params == ()
    assert [m.name for m in session.markers] == ["Test", "Test2", "Alles Ohne Irgendwas", "Hurtz", "Letzter Marker"]
    assert track.clips[0].file == "Recordings\\trss-mr-death.mp3"


@pytest.mark.corpus
def test_envelopes_of_the_corpus(corpus: Path) -> None:
    track = read_reaper(corpus / "reaper/kristjankruus-rpp-editor/examples_test3.rpp").track("Track1")
    lanes = {lane.key: lane for lane in track.automation}
    volume = lanes[("", "volume_db")].points
    assert volume[1] == (pytest.approx(10.66666667), pytest.approx(-28.8, abs=1e-3))
    threshold = lanes[("ReaComp", "comp.threshold_db")].points
    assert threshold[0][1] == pytest.approx(20 * math.log10(0.12513964))
    assert ("ReaComp", "param.Attack") in lanes


# -- the mapping, on a project written here ------------------------------------------------------
SMALL = """<REAPER_PROJECT 0.1 "7.27/linux-x86_64" 1734702480
  TEMPO 96 3 4
  MARKER 1 2.5 Verse 0 0 1
  MARKER 2 10 "Chorus A" 1 0 1
  MARKER 2 20 "" 1
  MASTER_VOLUME 0.5 0 -1 -1 1
  <TEMPOENVEX
    ACT 1 -1
    PT 0 96 1
    PT 30 120 1
  >
  <TRACK {A}
    NAME Drums
    VOLPAN 1 0 -1 -1 1
    MUTESOLO 0 0 0
    ISBUS 1 1
  >
  <TRACK {B}
    NAME Kick
    VOLPAN 0.5 -0.25 -1 -1 1
    MUTESOLO 1 2 0
    ISBUS 2 -1
    <FXCHAIN
      BYPASS 0 0 0
      <JS "utility/volume" "Kick Gain"
        -3 0 - - 0 - "preset"
      >
      <PARMENV 0 -150 12 0
        ACT 1 -1
        PT 0 -3 0
        PT 4 -6 0
      >
      BYPASS 1 0 0
      <VST "VST3: Pro-Q 3 (FabFilter)" "FabFilter Pro-Q 3.vst3" 0 "" 1{ABC} ""
        AQID
      >
    >
    <VOLENV2
      ACT 1 -1
      PT 0 1 0
      PT 8 0.5 1
    >
    <PANENV2
      ACT 1 -1
      PT 0 1 0
    >
    <ITEM
      POSITION 1.5
      LENGTH 4
      FADEIN 1 0.25 0 1 0 0 0
      FADEOUT 1 0.5 0.75 1 0 0 0
      MUTE 0 0
      NAME "kick take 1"
      VOLPAN 0.5 0 0.5 -1
      SOFFS 0.125
      <SOURCE WAVE
        FILE "audio/kick.wav"
      >
      TAKE SEL
      NAME "kick take 2"
      VOLPAN 1 0 1 -1
      SOFFS 0.5
      <SOURCE SECTION
        LENGTH 3
        <SOURCE WAVE
          FILE "audio/kick2.wav"
        >
      >
    >
  >
  <TRACK {C}
    NAME Verb
    VOLPAN 1 0 -1 -1 1
    AUXRECV 1 3 0.5 0 0 0 0 0 0 -1:U 0 -1 ''
    <AUXVOLENV
      ACT 1 -1
      PT 0 0.25 0
    >
  >
>
"""


def _write(tmp_path: Path, text: str | bytes, name: str = "song.RPP") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_small_project_mapping(tmp_path: Path) -> None:
    session = read_reaper(_write(tmp_path, SMALL))
    assert (session.name, session.application_version) == ("song", "7.27/linux-x86_64")
    assert (session.tempo_bpm, session.time_signature) == (96.0, (3, 4))
    assert session.tempo_automation == ((0.0, 96.0), (30.0, 120.0))
    assert [(m.name, m.time) for m in session.markers] == [("Verse", 2.5), ("Chorus A", 10.0)]
    assert session.problems == ()
    master, drums, verb = session.tracks
    assert master.channel.volume_db == pytest.approx(-6.0206, abs=1e-4)
    assert drums.role == "group" and [t.name for t in drums.children] == ["Kick"]
    kick = drums.children[0]
    assert kick.channel.volume_db == pytest.approx(-6.0206, abs=1e-4)
    assert (kick.channel.pan, kick.channel.mute, kick.channel.solo, kick.channel.output) == (-0.25, True, True, "Drums")
    js, proq = kick.devices
    assert (js.name, js.format, js.plugin_id, js.enabled) == ("Kick Gain", "builtin", "utility/volume", True)
    assert js.param_dict == {"param.slider1": -3.0, "param.slider2": 0.0, "param.slider5": 0.0}
    assert (proq.name, proq.format, proq.vendor, proq.kind, proq.enabled) == (
        "Pro-Q 3",
        "vst3",
        "FabFilter",
        "plugin",
        False,
    )
    assert proq.state_sha256 == "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81"  # sha256(01 02 03)
    lanes = {lane.key: lane for lane in kick.automation}
    assert lanes[("Kick Gain", "param.slider1")].points == ((0.0, -3.0), (4.0, -6.0))
    volume = lanes[("", "volume_db")]
    assert volume.points == ((0.0, 0.0), (8.0, pytest.approx(-6.0206, abs=1e-4)))
    assert lanes[("", "pan")].points == ((0.0, -1.0),)  # REAPER's pan envelope: +1 is left
    (clip,) = kick.clips
    assert (clip.file, clip.name, clip.position, clip.duration) == ("audio/kick2.wav", "kick take 2", 1.5, 4.0)
    assert (clip.fade_in, clip.fade_out, clip.play_start) == (0.25, 0.75, 0.5)
    assert clip.gain_db == pytest.approx(-6.0206, abs=1e-4)  # item 0.5 x take 1
    (send,) = kick.sends
    assert (send.target, send.pre_fader, send.enabled) == ("Verb", True, True)
    assert send.level_db == pytest.approx(-6.0206, abs=1e-4)
    send_lane = lanes[("", "send.Verb.level_db")]
    assert send_lane.points == ((0.0, pytest.approx(-12.0412, abs=1e-4)),)
    assert verb.role == "return"


def test_a_mix_change_diffs_to_standard_terms(tmp_path: Path) -> None:
    old = read_reaper(_write(tmp_path, SMALL, "a.RPP"))
    new = read_reaper(_write(tmp_path, SMALL.replace("VOLPAN 0.5 -0.25", "VOLPAN 0.25 -0.25"), "b.RPP"))
    changes = [(c.type, c.track, c.parameter, c.unit) for c in diff(old, new)]
    assert changes == [("parameter-changed", "Kick", "volume_db", "dB")]


# -- hostile input -------------------------------------------------------------------------------
def test_a_100_mb_line_is_refused(tmp_path: Path) -> None:
    text = '<REAPER_PROJECT 0.1 "7.0" 0\n  NOTES ' + "x" * 100_000_000 + "\n>\n"
    with pytest.raises(ParseError, match=f"over the {MAX_LINE_CHARS:,} cap"):
        read_reaper(_write(tmp_path, text))


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    depth = 100_000
    text = '<REAPER_PROJECT 0.1 "7.0" 0\n' + "<A\n" * depth + ">\n" * (depth + 1)
    with pytest.raises(ParseError, match=f"nested deeper than {MAX_DEPTH}"):
        read_reaper(_write(tmp_path, text))


def test_nan_and_garbage_values_are_problems(tmp_path: Path) -> None:
    text = SMALL.replace("VOLPAN 0.5 -0.25", "VOLPAN nan -0.25").replace("PT 4 -6 0", "PT 4 inf 0")
    text = text.replace("TEMPO 96 3 4", "TEMPO banana 3 4")
    session = read_reaper(_write(tmp_path, text))
    kick = session.track("Kick")
    assert kick.channel.volume_db == 0.0 and session.tempo_bpm is None
    assert any("track 'Kick' volume: value 'nan'" in p for p in session.problems)
    assert any("TEMPO: value 'banana'" in p for p in session.problems)
    assert any("1 point(s)" in p for p in session.problems)


def test_non_utf8_is_read_as_windows_1252(tmp_path: Path) -> None:
    data = SMALL.replace("NAME Drums", "NAME Dr\u00fcms").encode("cp1252")
    session = read_reaper(_write(tmp_path, data))
    assert session.tracks[1].name == "Dr\u00fcms"
    assert any("not UTF-8" in p for p in session.problems)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("<Project version='1.0'>\n", "not a REAPER project"),
        ("hello\n", "not a REAPER project"),
        ('<REAPER_PROJECT 0.1 "7.0" 0\n  <TRACK\n', "ends inside <TRACK>"),
        ('<REAPER_PROJECT 0.1 "7.0" 0\n>\n>\n', "after the project's closing"),
    ],
)
def test_broken_files_are_refused(tmp_path: Path, text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason) as info:
        read_reaper(_write(tmp_path, text))
    assert info.value.path.endswith("song.RPP")


def test_missing_file_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot be opened"):
        read_reaper(tmp_path / "absent.RPP")


# -- a large project, for the benchmark ----------------------------------------------------------
def make_rpp(tracks: int, points: int = 16) -> str:
    """A REAPER project of `tracks` tracks, each with a VOLPAN, a ReaComp VST with state and a
    threshold envelope, a JS effect with sliders, a volume envelope (both envelopes of `points`
    points) and one item. Values differ per track, so a change to one track is a change."""
    lines = ['<REAPER_PROJECT 0.1 "7.27/linux-x86_64" 1734702480', "  TEMPO 120 4 4"]
    for n in range(tracks):
        lines += [
            f"  <TRACK {{{n:08X}-0000-0000-0000-000000000000}}",
            f"    NAME Track{n}",
            f"    VOLPAN {0.5 + (n % 10) / 20} {((n % 21) - 10) / 10} -1 -1 1",
            "    MUTESOLO 0 0 0",
            "    ISBUS 0 0",
            "    <FXCHAIN",
            "      BYPASS 0 0 0",
            '      <VST "VST: ReaComp (Cockos)" reacomp.dll 0 "" 1919247213<5653547265636D726561636F6D700000> ""',
            f"        {'AAAA' * 30}",
            "      >",
            '      <PARMENV 0:_Threshold 0 2 1 "Threshold / ReaComp"',
            "        ACT 1 -1",
            *(f"        PT {p * 0.5} {0.1 + ((n + p) % 9) / 10} 0" for p in range(points)),
            "      >",
            "      BYPASS 0 0 0",
            '      <JS utility/volume ""',
            f"        {-(n % 12)} 0 - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -",
            "      >",
            "    >",
            "    <VOLENV2",
            "      ACT 1 -1",
            *(f"      PT {p * 0.5} {0.5 + ((n + p) % 5) / 10} 0" for p in range(points)),
            "    >",
            "    <ITEM",
            f"      POSITION {n % 8}",
            "      LENGTH 4",
            "      <SOURCE WAVE",
            f'        FILE "audio/track{n}.wav"',
            "      >",
            "    >",
            "  >",
        ]
    lines.append(">")
    return "\n".join(lines) + "\n"


def test_generated_project_reads(tmp_path: Path) -> None:
    session = read_reaper(_write(tmp_path, make_rpp(200)))
    assert len(session.tracks) == 201 and session.problems == ()
    track = session.track("Track7")
    assert [d.kind for d in track.devices] == ["compressor", "plugin"]
    assert {lane.target for lane in track.automation} == {"volume_db", "comp.threshold_db"}
