"""What a reader read past is said: a NaN fader, a value out of range, text where a number belongs
is named (file, track, parameter, the value as found, the reason) in ingest's summary, in the
save's `session-saved` event and in `tapeop events`, and read as missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.log.store import Store, sqlite_url
from daemon.sessions.checked import checked
from daemon.sessions.model import Channel, Clip, Device, Session, Track
from daemon.sessions.problems import structured
from tests.daemon.formats import hostile_files as hf


def _client_file(folder: Path, volume: str) -> Path:
    xml = hf.MINIMAL_XML.replace('value="0.5"', f'value="{volume}"')
    return hf.dawproject(folder / "Client Mix.dawproject", [("project.xml", xml)])


def test_a_nan_fader_is_named_in_the_summary_the_log_and_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _client_file(tmp_path / "in", "NaN")
    db = tmp_path / "t.db"
    assert main(["ingest", str(tmp_path / "in"), "--db", str(db), "--jobs", "1"]) == 0
    summary = capsys.readouterr().out
    assert "1 problem(s) read past" in summary
    assert "problem: " in summary and "Client Mix.dawproject" in summary and "'Kick' volume" in summary
    store = Store.open(sqlite_url(db))
    (saved,) = store.events(types=("session-saved",))
    (problem,) = saved.payload["problems"]
    assert {k: problem[k] for k in ("track", "device", "parameter", "value")} == {
        "track": "Kick", "device": None, "parameter": "volume_db", "value": "NaN",
    }  # fmt: skip
    assert "not a finite number" in problem["reason"]
    assert main(["events", "--db", str(db)]) == 0
    assert "problem: track 'Kick' volume: value 'NaN'" in capsys.readouterr().out
    assert main(["events", "--db", str(db), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["problems"][0]["value"] == "NaN"


def test_numbers_out_of_range_are_problems_and_read_as_missing() -> None:
    eq = Device(kind="eq", name="EQ", params=(("eq.band1.freq_hz", float("inf")), ("eq.band1.gain_db", -3.0)))
    clips = (Clip("a.wav", -1e308, 4.0), Clip("b.wav", 8.0, float("nan")), Clip("c.wav", 0.0, 4.0, gain_db=1e300))
    track = Track("Kick", channel=Channel(volume_db=float("nan"), pan=7.0), devices=(eq,), clips=clips)
    session = checked(Session("Song", tempo_bpm=float("inf"), time_signature=(4, 0), tracks=(track,)))
    (kick,) = session.tracks
    assert session.tempo_bpm is None and session.time_signature is None
    assert (kick.channel.volume_db, kick.channel.pan) == (0.0, 0.0)
    assert kick.devices[0].params == (("eq.band1.gain_db", -3.0),)
    assert [c.file for c in kick.clips] == ["c.wav"] and kick.clips[0].gain_db == 0.0
    found = [structured(p) for p in session.problems]
    assert len(found) == 8
    assert {(p["track"], p["device"], p["parameter"]) for p in found} >= {
        ("Kick", None, "volume_db"), ("Kick", None, "pan"), ("Kick", "EQ", "eq.band1.freq_hz"), (None, None, "tempo_bpm"),
    }  # fmt: skip
    assert checked(checked(session)) == checked(session)  # nothing left to find


def test_a_session_with_nothing_wrong_is_returned_as_it_is() -> None:
    session = Session("Song", tempo_bpm=120.0, tracks=(Track("Kick", channel=Channel(volume_db=None)),))
    assert checked(session) is session
