"""What `tapeop diff` and `tapeop events` print about the real histories of the corpus reads as
sentences: no Python repr, no raw parameter term, no -150 dB; the JSON keeps the raw fields."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from daemon.cli import main
from tests.paths import CORPUS

HISTORIES = CORPUS / "histories"
REPR = re.compile(r"(?<![\w])'[^']*'(?![\w])|\b(?:True|False|None)\b|\[")
RAW_TERM = re.compile(
    r"\b(?:volume_db|pan_|eq\.band|comp\.|gate\.|limiter\.|delay\.|reverb\.|send\.[^ ]+\.level_db|param\.)"
)
STORED_TERM = re.compile(
    r"volume_db|pan|mute|solo|main_send|output|role|content_types|audio_channels|time_unit|device\.\w+"
    r"|send\..+\.\w+|(?:eq|comp|gate|limiter|delay|reverb)\.[\w.]+|param\..+"
)
FLOOR = re.compile(r"-(?:150|144)(?:\.0+)? dB")


def _saves(history: Path) -> list[Path]:
    return sorted(p for p in history.iterdir() if p.is_file() and p.name != "HISTORY.md")


def _histories() -> list[Path]:
    return sorted(p for p in HISTORIES.iterdir() if p.is_dir()) if HISTORIES.is_dir() else []


def _pairs() -> list:
    pairs = []
    for history in _histories():
        saves = _saves(history)
        for old, new in zip(saves, saves[1:]):
            pairs.append(pytest.param(old, new, id=f"{history.name}/{new.name[:3]}"))
    return pairs or [pytest.param(None, None, marks=pytest.mark.skip(reason=f"the corpus is not at {CORPUS}"))]


def _by_history() -> list:
    histories = [pytest.param(h, id=h.name) for h in _histories()]
    return histories or [pytest.param(None, marks=pytest.mark.skip(reason=f"the corpus is not at {CORPUS}"))]


def unreadable(lines: list[str]) -> list[str]:
    """The lines that show a Python repr, a raw parameter term or the silence floor as a number."""
    return [line for line in lines if REPR.search(line) or RAW_TERM.search(line) or FLOOR.search(line)]


UNREADABLE = [
    "Keith: track renamed 'Track 1' -> 'Keith'",
    "Kick: mute False -> True",
    "Kick: output None -> Bus",
    "Kick: content_types [] -> ['audio']",
    "Keith / ReaEQ: eq.band2.freq_hz 401.96 Hz -> 363.58 Hz",
    "StudioLink: param.slider15 -60 -> -56",
    "Kick: send.Reverb.level_db -12 dB -> -9 dB",
    "Kick: fader -150 dB -> 0 dB",
    "Kick: fader -144.0 dB -> 0 dB",
]


def test_the_checks_catch_what_they_are_for() -> None:
    assert unreadable(UNREADABLE) == UNREADABLE  # each line of the old output is caught
    assert (
        unreadable(['Keith: renamed "Track 1" -> "Keith"', "Kick: fader -inf -> -20.9 dB", "Keith's Gtr: muted"]) == []
    )


@pytest.mark.corpus
@pytest.mark.parametrize(("old", "new"), _pairs())
def test_diff_of_each_pair_of_saves_reads_as_sentences(
    old: Path, new: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", str(old), str(new)]) == 0
    head, *lines = capsys.readouterr().out.splitlines()
    assert head.startswith(f"{head.split()[0]} change(s) from ")
    assert unreadable(lines) == []
    assert all(line.startswith("  ") and line.strip() for line in lines)  # under the header, headers and sentences
    assert main(["diff", str(old), str(new), "--json"]) == 0
    changes = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(changes) == int(head.split()[0])


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize("history", _by_history())
def test_events_of_an_ingested_history_read_as_sentences(
    history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "h.db")
    assert main(["ingest", str(history), "--db", db, "--jobs", "1", "--user", "greg"]) == 0
    capsys.readouterr()
    assert main(["events", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    shown = [line for line in lines if not line.startswith(" " * 8)]  # not the verdicts, problems, audio
    assert any(" session: started " in line for line in shown)
    assert unreadable(shown) == []
    assert main(["events", "--db", db, "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # The JSON keeps the raw fields: the terms of the contract, as the differ wrote them.
    assert all(set(e) >= {"position", "type", "session"} for e in events)
    terms = {e["parameter"] for e in events if e["type"] == "parameter-changed"}
    assert all(STORED_TERM.fullmatch(t) for t in terms), terms
