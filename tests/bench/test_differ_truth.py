"""The reference of bench/differ_truth.py says what really changed: on pairs of real saves checked
by eye, and on real files mutated by hand (two <TRACK> blocks swapped, one VOLPAN changed, a plug-in
bypassed, a JS slider moved), it gives exactly the expected facts, and nothing for what only
re-prints or only moves a window. The scoring and the mapping of the differ's changes are checked on
made-up cases."""

from __future__ import annotations

import base64
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.paths import REPO

pytest.importorskip("rpp", reason="the reference reads REAPER projects with the rpp package (the test extra)")


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("differ_truth", REPO / "bench" / "differ_truth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["differ_truth"] = module  # dataclasses look their module up while they are built
    spec.loader.exec_module(module)
    return module


dt = _load()
Fact = dt.Fact

MASTER = "master"
REALEARN_TRACK = "{BD51F5E8-2D72-574A-B9F7-949B3E6E376E}"
REALEARN_FX = "{EDBFF6B4-4379-6E41-AAE0-F50E005517AE}"


@pytest.fixture(scope="module")
def histories(corpus: Path) -> Path:
    return corpus / "histories"


def _pair(histories: Path, history: str, old: str, new: str) -> tuple[Path, Path]:
    folder = histories / history
    return next(folder.glob(f"{old}_*")), next(folder.glob(f"{new}_*"))


def _truth(old: Path, new: Path, renames: dict[str, str] | None = None) -> Any:
    return dt.truth_of(dt.reference_session(old), dt.reference_session(new), renames or {}, {})


def _mutant(tmp_path: Path, original: Path, text: str) -> Path:
    path = tmp_path / f"mutant{original.suffix}"
    path.write_text(text, encoding="utf-8")
    return path


def _track_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line of each top-level <TRACK ...> block."""
    blocks = []
    start = None
    for i, line in enumerate(lines):
        if line.startswith("  <TRACK"):
            start = i
        elif start is not None and line == "  >":
            blocks.append((start, i))
            start = None
    return blocks


# -- real pairs, checked by eye -----------------------------------------------------------------------
@pytest.mark.corpus
def test_a_fader_moved_on_a_real_reaper_pair(histories: Path) -> None:
    # 001 -> 002: VOLPAN 0.62218279116455 -> 0.02201682931373 on "ReaLearn", MASTER_VOLUME 1 ->
    # 0.58746335025704, and ReaLearn's JSON gained mappings and parameters.
    truth = _truth(*_pair(histories, "helgobox-issue-161-instance-track", "001", "002"))
    assert truth.facts == {
        Fact("fader", MASTER),
        Fact("fader", REALEARN_TRACK),
        Fact("plugin-state", REALEARN_TRACK, REALEARN_FX),
    }


@pytest.mark.corpus
def test_what_only_reprints_or_moves_a_window_is_no_change(histories: Path) -> None:
    # 004 -> 005 of the band session: the only plug-in whose bytes changed is Archetype Nolly X,
    # and its XML differs in selectedSection (the editor's tab) alone.
    assert not _truth(*_pair(histories, "glutones-toast-band-session", "004", "005")).facts
    # 003 -> 004: ReaControlMIDI and ReaEQ only lost their "Program 1" trailer; ReaLearn's JSON
    # changed its mainUnit.
    truth = _truth(*_pair(histories, "glutones-toast-band-session", "003", "004"))
    assert truth.facts == {
        Fact("plugin-state", "{5C01959E-23C8-D843-B24E-F173CD3F2909}", "{FB27C91D-1B0A-7542-AD4D-5F3153FFBB00}")
    }
    # an Ardour save whose connections and playlists were only written in another order
    assert not _truth(*_pair(histories, "ardour-32tracks", "001", "002")).facts


@pytest.mark.corpus
def test_plug_ins_are_told_apart_by_fxid_not_by_name(histories: Path) -> None:
    # 004 -> 005: Zebra2 {7A8E...} is gone and another Zebra2 {D2B6...} is there in its place.
    truth = _truth(*_pair(histories, "helgobox-issue-221-nks", "004", "005"))
    instrument = next(
        t.key
        for t in dt.reference_session(_pair(histories, "helgobox-issue-221-nks", "004", "005")[1]).tracks
        if t.name == "Instrument"
    )
    assert Fact("device-removed", instrument, "{7A8E2865-3C5A-4948-B7FD-D5C4033ACE91}") in truth.facts
    assert Fact("device-added", instrument, "{D2B6CCE3-7FD4-0549-811F-2D4AC11453BB}") in truth.facts


@pytest.mark.corpus
def test_other_formats_on_real_pairs(histories: Path) -> None:
    # Live: Operator's FixedFrequencyOn false -> true and FixedFrequency 100 -> 240.224915
    truth = _truth(*_pair(histories, "tioxy-alp-als", "002", "003"))
    assert truth.facts == {Fact("device-params", "29", "Operator#4")}
    # DAWproject: the EQ+ of track "EQ+" gained bands
    truth = _truth(*_pair(histories, "opendaw-eq-dawproject", "001", "002"))
    assert truth.facts == {Fact("device-params", "EQ+", "e4815188-ba6f-4d14-bcfc-2dcb8f778ccb")}
    # DAWproject, with its hand-checked rename
    old, new = _pair(histories, "opendaw-test-dawproject", "001", "002")
    renames = dt.RENAMES["opendaw-test-dawproject"]["002"]
    assert _truth(old, new, renames).facts == {
        Fact("track-removed", "Audio 2"),
        Fact("track-renamed", "RK_DTC1_Drum_Loop_125bpm"),
    }
    # Ardour: the MIDI region moved (position 1633716 -> 529680)
    assert _truth(*_pair(histories, "ardour-1region", "001", "002")).facts == {Fact("clip", "88")}


@pytest.mark.corpus
def test_renamed_and_replaced_plug_ins(histories: Path) -> None:
    # 001 -> 002: the unnamed JS utility/volume {3B67...} is aliased "Muter" (and moved last);
    # AmpliTube 5 {4524...} turned from VST to VST3 under the same FXID: replaced, not renamed.
    truth = _truth(*_pair(histories, "glutones-toast-band-session", "001", "002"))
    keith, amplitube = "{A0883E74-9574-7841-9C71-BC65E741F577}", "{F79D5A58-1606-8847-A14F-708E3129A503}"
    muter, amp = "{3B677EA7-59AD-F340-AD15-8990D79A6E7F}", "{45246127-9EF1-B943-A5D8-C03C0A25D175}"
    assert {Fact("device-renamed", keith, muter), Fact("device-moved", keith, muter)} <= truth.facts
    assert Fact("device-replaced", amplitube, amp) in truth.facts
    assert Fact("device-renamed", amplitube, amp) not in truth.facts
    assert Fact("plugin-state", amplitube, amp) in truth.implied


@pytest.mark.corpus
def test_an_ambiguous_rename_leaves_only_what_holds_both_ways(histories: Path) -> None:
    old, new = _pair(histories, "opendaw-test-dawproject", "003", "004")
    truth = dt.truth_of(
        dt.reference_session(old), dt.reference_session(new), {}, dt.AMBIGUOUS["opendaw-test-dawproject"]["004"]
    )
    assert truth.facts == {
        Fact("clip", "Drum Loop"),
        Fact("fader", "Drum Loop"),
        Fact("fader", "Master"),
        Fact("solo", "Drum Loop"),
        Fact("track-added", "Pure Sine"),
    }
    assert {Fact("track-renamed", "Delay+"), Fact("track-removed", "Delay+"), Fact("track-added", "Aux 1")} <= (
        truth.undecided
    )


# -- real files mutated by hand ------------------------------------------------------------------------
@pytest.mark.corpus
def test_two_swapped_tracks_are_one_move(histories: Path, tmp_path: Path) -> None:
    original = next((histories / "helgobox-issue-161-instance-track").glob("011_*"))
    text = original.read_text(encoding="utf-8")
    assert "AUXRECV" not in text  # receives count tracks by place: a swap would change them too
    lines = text.splitlines()
    (a0, a1), (b0, b1) = _track_blocks(lines)[1:3]
    swapped = lines[:a0] + lines[b0 : b1 + 1] + lines[a1 + 1 : b0] + lines[a0 : a1 + 1] + lines[b1 + 1 :]
    mutant = _mutant(tmp_path, original, "\n".join(swapped) + "\n")
    truth = _truth(original, mutant)
    keys = {"{03032DEA-6332-9141-A48E-948017A4EEB6}", "{9AD8990D-3AC2-3C42-8B78-EAF177577712}"}
    assert len(truth.facts) == 1
    (fact,) = truth.facts
    assert fact.kind == "track-moved" and fact.track in keys
    # either of the two is a right answer
    other = Fact("track-moved", (keys - {fact.track}).pop())
    assert dt.accept_moves(truth.facts, truth.moves, {other}) == {other}


@pytest.mark.corpus
def test_one_volpan_changed(histories: Path, tmp_path: Path) -> None:
    original = next((histories / "helgobox-issue-161-instance-track").glob("011_*"))
    text = original.read_text(encoding="utf-8")
    line = "    VOLPAN 0.45309238622556 0 -1 -1 1"
    assert text.count(line) == 1
    track = "{03032DEA-6332-9141-A48E-948017A4EEB6}"

    def facts(replacement: str) -> set[Any]:
        return _truth(original, _mutant(tmp_path, original, text.replace(line, replacement))).facts

    assert facts("    VOLPAN 0.9 0 -1 -1 1") == {Fact("fader", track)}
    assert facts("    VOLPAN 0.45309238622556 -0.25 -1 -1 1") == {Fact("pan", track)}
    assert facts("    VOLPAN 0.4530923862255600001 0.0 -1 -1 1") == set()  # re-printed
    assert facts("    VOLPAN 0.45309239 0 -1 -1 1") == set()  # 1.6e-7 dB


@pytest.mark.corpus
def test_a_bypass_a_slider_and_a_preset_name(histories: Path, tmp_path: Path) -> None:
    original = next((histories / "ultraschall-studiolink").glob("011_*"))
    text = original.read_text(encoding="utf-8")
    session = dt.reference_session(original)
    track = next(t for t in session.tracks if t.key == "{B5CCB37D-8330-BC49-A200-BF6833038012}")
    first = track.devices[0]
    lines = text.splitlines()
    start = lines.index("  <TRACK {B5CCB37D-8330-BC49-A200-BF6833038012}")
    bypass = next(i for i in range(start, len(lines)) if lines[i].strip().startswith("BYPASS"))
    toggled = lines[:bypass] + [lines[bypass].replace("BYPASS 1", "BYPASS 0")] + lines[bypass + 1 :]
    truth = _truth(original, _mutant(tmp_path, original, "\n".join(toggled) + "\n"))
    assert truth.facts == {Fact("device-toggled", track.key, first.key)}

    dynamics = next(d for d in track.devices if d.name == "dynamics/Ultraschall_Dynamics")
    at = next(i for i in range(start, len(lines)) if lines[i].strip().startswith("<JS dynamics/Ultraschall_Dynamics"))
    sliders = lines[at + 1]  # the same line is in the other track's chain: replace this one only

    def with_sliders(line: str) -> Path:
        return _mutant(tmp_path, original, "\n".join([*lines[: at + 1], line, *lines[at + 2 :]]) + "\n")

    moved = re.sub(r"^(\s*)(\S+)", r"\g<1>-3.000000", sliders, count=1)
    assert moved != sliders
    assert _truth(original, with_sliders(moved)).facts == {Fact("device-params", track.key, dynamics.key)}
    named = re.sub(r'"[^"]*"\s*$', '"Another preset name"', sliders)
    assert named != sliders
    assert not _truth(original, with_sliders(named)).facts


@pytest.mark.corpus
def test_cockos_state_without_its_reabank_path(histories: Path) -> None:
    original = next((histories / "glutones-toast-band-session").glob("001_*"))
    session = dt.reference_session(original)
    device = next(d for t in session.tracks for d in t.devices if "ReaControlMIDI" in d.name)
    chunk = device.state.clear
    assert b"<reabank>" in chunk  # the machine's path to GM.reabank is cut away
    text = original.read_text(encoding="utf-8")
    block = text[text.index('<VST "VST: ReaControlMIDI') :]
    blob = base64.b64decode("".join(block.split("\n", 1)[1].split(">", 1)[0].split()))
    moved = blob.replace(b"/Users/", b"/Volume/")
    assert (
        dt.state_verdict(
            dt.plugin_state("VST: ReaControlMIDI (Cockos)", blob),
            dt.plugin_state("VST: ReaControlMIDI (Cockos)", moved),
        )
        == "same"
    )
    at = blob.index(dt.reaper_chunk(blob)) + len(dt.reaper_chunk(blob)) - 1
    flipped = blob[:at] + bytes([blob[at] ^ 0x01]) + blob[at + 1 :]  # the chunk's last byte
    verdict = dt.state_verdict(
        dt.plugin_state("VST: ReaControlMIDI (Cockos)", blob), dt.plugin_state("VST: ReaControlMIDI (Cockos)", flipped)
    )
    assert verdict == "changed"


# -- states, scoring and mapping on made-up cases ---------------------------------------------------
def test_json_and_xml_states() -> None:
    a = dt.plugin_state("VSTi: X (Y)", b'{"version":"1.0","gain":1}')
    assert dt.state_verdict(a, dt.plugin_state("VSTi: X (Y)", b'{"version":"2.0", "gain":1}')) == "same"
    assert dt.state_verdict(a, dt.plugin_state("VSTi: X (Y)", b'{"version":"1.0","gain":2}')) == "changed"
    x = b'VC2!\x10\x00\x00\x00<?xml version="1.0"?><m selectedSection="1" GUID="a"><p gain="0.5"/></m>\x00'
    y = x.replace(b'selectedSection="1" GUID="a"', b'selectedSection="4" GUID="b"')
    z = x.replace(b'gain="0.5"', b'gain="0.7"')
    assert dt.state_verdict(dt.plugin_state("VST3: X (Y)", x), dt.plugin_state("VST3: X (Y)", y)) == "same"
    assert dt.state_verdict(dt.plugin_state("VST3: X (Y)", x), dt.plugin_state("VST3: X (Y)", z)) == "changed"
    assert (
        dt.state_verdict(dt.plugin_state("VST: X (Y)", b"\x01\x02"), dt.plugin_state("VST: X (Y)", b"\x01\x03"))
        == "undecided"
    )


def test_a_device_that_changed_both_ways_is_one_fact_scored_once() -> None:
    truth = dt.Truth(facts={Fact("device-params", "t", "d"), Fact("fader", "t")})
    ours = dt.Ours(facts={Fact("plugin-state", "t", "d"), Fact("device-params", "t", "d"), Fact("mute", "t")})
    score = dt.score("x", truth, ours, clips=False)
    assert len(score.tp) == 1 and len(score.fp) == 1 and len(score.fn) == 1


def test_implied_and_undecided_facts_are_neither_required_nor_wrong() -> None:
    truth = dt.Truth(
        facts={Fact("track-added", "n")},
        implied={Fact("send-added", "t", "", "n")},
        undecided={Fact("plugin-state", "t", "d")},
    )
    ours = dt.Ours(facts={Fact("track-added", "n"), Fact("send-added", "t", "", "n"), Fact("plugin-state", "t", "d")})
    score = dt.score("x", truth, ours, clips=False)
    assert (len(score.tp), len(score.fp), len(score.fn), len(score.allowed)) == (1, 0, 0, 2)


def test_the_mapping_of_changes_by_place_and_name() -> None:
    from daemon.sessions.changes import Change
    from daemon.sessions.model import Device, Session, Track

    def ref(keys: list[str], devices: list[str]) -> Any:
        tracks = [dt.RTrack(key=k, name=f"T{k}") for k in keys]
        tracks[1].devices = [dt.RDevice(key=d, name=d, plugin="p", enabled=True) for d in devices]
        return dt.RSession(fmt="reaper", tracks=tracks)

    old, new = ref(["m", "a", "b"], ["fx1", "fx2"]), ref(["m", "a", "c"], ["fx2", "fx3"])
    read = Session(
        name="s", tracks=(Track("Tm"), Track("Ta", devices=(Device("eq", "fx1"), Device("eq", "fx2"))), Track("Tb"))
    )
    read_new = Session(name="s", tracks=(Track("Tm"), Track("Ta"), Track("Tc")))
    mapper = dt.Mapper(old, new, {}, read, read_new)
    cases = [
        (Change("parameter-changed", track="Ta", parameter="volume_db", where={"old": 1}), Fact("fader", "a")),
        (Change("parameter-changed", track="Ta", parameter="main_send", where={"old": 1}), Fact("main-send", "a")),
        (Change("track-removed", track="Tb", where={"old": 2}), Fact("track-removed", "b")),
        (Change("track-added", track="Tc", where={"new": 2}), Fact("track-added", "c")),
        (
            Change("device-removed", track="Ta", device="fx1", where={"old": 1, "device": 0}),
            Fact("device-removed", "a", "fx1"),
        ),
        (
            Change("device-added", track="Ta", device="fx3", where={"old": 1, "index": 1}),
            Fact("device-added", "a", "fx3"),
        ),
        (
            Change("device-renamed", track="Ta", device="fx2", where={"old": 1, "device": 1}),
            Fact("device-renamed", "a", "fx2"),
        ),
        (
            Change("plugin-state-changed", track="Ta", device="fx2", where={"old": 1, "device": 1}),
            Fact("plugin-state", "a", "fx2"),
        ),
        (Change("send-added", track="Ta", parameter="send.Tc", where={"old": 1}), Fact("send-added", "a", "", "c")),
        (
            Change("parameter-changed", track="Ta", parameter="send.Tb.level_db", where={"old": 1}),
            Fact("send", "a", "", "b"),
        ),
        (Change("clip-added", track="Ta", where={"old": 1}), Fact("clip", "a")),
        (Change("tempo-changed", parameter="tempo_bpm"), Fact("tempo")),
    ]
    for change, expected in cases:
        assert mapper.fact(change) == expected, change
    assert mapper.fact(Change("parameter-changed", track="Ta", parameter="role", where={"old": 1})) == "role"
    assert mapper.fact(Change("something-new", track="Ta", where={"old": 1})) is None


@pytest.mark.corpus
def test_the_differ_meets_the_reference_on_every_history(histories: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's acceptance: precision and recall of at least 0.97 on the non-clip facts of the
    corpus histories (the table is printed; `--min` makes the run fail below it)."""
    assert dt.main(["--min", "0.97"]) == 0
    total = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("TOTAL"))
    precision, recall = (float(x) for x in total.split()[-2:])
    assert precision >= 0.97 and recall >= 0.97
