"""Diffing successive saves of real histories gives the changes a person finds by reading the
files (each expectation below was found by diffing the two project.xml files by eye)."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.formats.dawproject import read_dawproject
from daemon.sessions.apply import apply_changes
from daemon.sessions.changes import Change
from daemon.sessions.diff import diff
from daemon.sessions.model import Session

pytestmark = pytest.mark.corpus


def _history(corpus: Path, folder: str) -> list[Session]:
    files = sorted((corpus / "histories" / folder).glob("*.dawproject"))
    return [read_dawproject(f, name=folder) for f in files]


@pytest.fixture(scope="module")
def test_history(corpus: Path) -> list[Session]:
    return _history(corpus, "opendaw-test-dawproject")


def _one(changes: list[Change], type_: str, **fields: object) -> Change:
    found = [c for c in changes if c.type == type_ and all(getattr(c, k) == v for k, v in fields.items())]
    assert len(found) == 1, f"expected one {type_} {fields}, got {found} in {[c.describe() for c in changes]}"
    return found[0]


def test_rename_and_removal_between_the_first_two_saves(test_history: list[Session]) -> None:
    # v1 -> v2: "RK_DTC1_Drum_Loop_125bpm" became "Drum Loop" (same clip, same send), "Audio 2"
    # was deleted; every id in the file was regenerated, which is not a change.
    changes = diff(test_history[0], test_history[1])
    assert sorted(c.type for c in changes) == ["track-removed", "track-renamed"]
    renamed = _one(changes, "track-renamed")
    assert (renamed.before, renamed.after) == ("RK_DTC1_Drum_Loop_125bpm", "Drum Loop")
    assert _one(changes, "track-removed").track == "Audio 2"


def test_fader_solo_and_send_changes_between_saves_three_and_four(test_history: list[Session]) -> None:
    # v3 -> v4: Drum Loop fader 1.412538 -> 0.752098 linear (+3.0 -> -2.47 dB), solo off;
    # Master fader 1.0 -> 0.308036 (0 -> -10.23 dB); the "Delay+" return was replaced by a
    # "Pure Sine" instrument and an "Aux 1" return, and Drum Loop's send now goes to Aux 1 at 0 dB.
    changes = diff(test_history[2], test_history[3])
    fader = _one(changes, "parameter-changed", track="Drum Loop", parameter="volume_db")
    assert fader.before == pytest.approx(3.0, abs=1e-3)
    assert fader.after == pytest.approx(-2.474, abs=1e-3)
    assert fader.unit == "dB"
    solo = _one(changes, "parameter-changed", track="Drum Loop", parameter="solo")
    assert (solo.before, solo.after) == (True, False)
    master = _one(changes, "parameter-changed", track="Master", parameter="volume_db")
    assert master.after == pytest.approx(-10.227, abs=1e-3)
    assert _one(changes, "track-removed").track == "Delay+"
    assert {c.track for c in changes if c.type == "track-added"} == {"Pure Sine", "Aux 1"}
    assert _one(changes, "send-removed", track="Drum Loop").before["target"] == "Delay+"
    added = _one(changes, "send-added", track="Drum Loop").after
    assert added["target"] == "Aux 1"
    assert added["level_db"] == pytest.approx(0.0, abs=1e-6)


def test_tempo_change_and_a_track_replaced_in_the_last_save(test_history: list[Session]) -> None:
    # v6 -> v7: tempo 125 -> 110 BPM; the instrument track "Organ" (arpeggiator, organ, delay,
    # a 16-beat chord clip) is gone and "Pure Sine" (the organ alone under a preset name, another
    # colour, an 8-beat line sharing one note of nine) is there: a track replaced, not renamed.
    changes = diff(test_history[5], test_history[6])
    tempo = _one(changes, "tempo-changed", parameter="tempo_bpm")
    assert (tempo.before, tempo.after) == (125.0, 110.0)
    assert [c.track for c in changes if c.type == "track-removed"] == ["Organ"]
    assert "Pure Sine" in [c.track for c in changes if c.type == "track-added"]
    assert not [c for c in changes if c.type == "track-renamed"]


def test_eq_history_shows_the_bands_the_engineer_added(corpus: Path) -> None:
    # eq v1 -> v2: band 1 high-pass steepened from order 2 to 8 (12 -> 48 dB/oct), its Q
    # 1.096478 -> 1.037528, and five bands were added (band 2: bell at 900 Hz, -9 dB).
    before, after = _history(corpus, "opendaw-eq-dawproject")
    changes = diff(before, after)
    slope = _one(changes, "parameter-changed", parameter="eq.band1.slope_db_oct")
    assert (slope.before, slope.after, slope.track, slope.device) == (12.0, 48.0, "EQ+", "EQ+")
    q = _one(changes, "parameter-changed", parameter="eq.band1.q")
    assert (q.before, q.after) == (1.096478, 1.037528)
    gain = _one(changes, "parameter-changed", parameter="eq.band2.gain_db")
    assert gain.after == -9.0 and gain.where["presence"] == "added"
    freq = _one(changes, "parameter-changed", parameter="eq.band2.freq_hz")
    assert freq.after == pytest.approx(900.0, rel=1e-5)
    assert {c.type for c in changes} == {"parameter-changed"}


def test_every_save_diffed_against_itself_yields_nothing(corpus: Path, test_history: list[Session]) -> None:
    for session in [*test_history, *_history(corpus, "opendaw-eq-dawproject")]:
        assert diff(session, session) == []


def test_a_save_read_twice_yields_nothing(corpus: Path) -> None:
    path = sorted((corpus / "histories" / "opendaw-test-dawproject").glob("*.dawproject"))[3]
    assert diff(read_dawproject(path), read_dawproject(path)) == []


def test_applying_each_real_diff_gives_the_next_save(test_history: list[Session]) -> None:
    for old, new in zip(test_history, test_history[1:]):
        assert apply_changes(old, diff(old, new)) == new


def test_first_save_is_a_session_start(test_history: list[Session]) -> None:
    (change,) = diff(None, test_history[0])
    assert change.type == "session-started"
    assert change.after["tracks"] == ["RK_DTC1_Drum_Loop_125bpm", "Audio 2", "Delay+", "Master"]
