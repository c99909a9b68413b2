"""The command line: the demo, `diff`, and the one error boundary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.demo.session import first_session
from daemon.demo.simulator import simulate_archive
from daemon.formats.dawproject_writer import write_dawproject
from daemon.log.events import JUDGED_TYPES


def test_demo_finds_every_move_the_simulated_engineer_made(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--songs", "2", "--saves", "3"]) == 0
    out = capsys.readouterr().out
    assert "Song A v1" in out and "Song B v3" in out
    assert "NOT FOUND" not in out


def test_diff_prints_the_changes_as_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saves = simulate_archive(tmp_path, songs=1, saves=2, seed=3)
    assert main(["diff", str(saves[0].path), str(saves[1].path), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    moved = {(c.get("track"), c.get("parameter")) for c in lines}
    assert {(i.track, i.parameter) for i in saves[1].intents} <= moved
    assert all("type" in line and "before" in line and "after" in line for line in lines)


def test_an_unreadable_file_is_one_error_line_with_a_hint_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "Song.dawproject"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    good = write_dawproject(first_session("Song", __import__("random").Random(1)), tmp_path / "Good.dawproject")
    assert main(["diff", str(good), str(bad)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and str(bad) in err[0]
    assert "(hint: " in err[0]


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_shows_the_traceback_given_before_or_after_the_command(tmp_path: Path, where: str) -> None:
    files = [str(tmp_path / "a.dawproject"), str(tmp_path / "b.dawproject")]
    argv = ["--verbose", "diff", *files] if where == "before" else ["diff", *files, "--verbose"]
    with pytest.raises(Exception, match="cannot be opened"):
        main(argv)


def test_db_and_user_are_taken_before_or_after_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from daemon.log.store import Store, sqlite_url

    simulate_archive(tmp_path / "a", songs=1, saves=2, seed=0, render_audio=False)
    simulate_archive(tmp_path / "b", songs=1, saves=1, seed=5, render_audio=False)
    db = str(tmp_path / "t.db")
    assert main(["--db", db, "--user", "anna", "ingest", str(tmp_path / "a"), "--jobs", "1"]) == 0
    assert main(["ingest", str(tmp_path / "b"), "--jobs", "1", "--db", db, "--user", "greg"]) == 0
    store = Store.open(sqlite_url(db))
    by_user = {e.user for e in store.events(types=("session-saved",))}
    assert by_user == {"anna", "greg"}
    capsys.readouterr()
    for argv in (
        ["events", "--db", db, "--user", "greg", "--json"],
        ["--user", "greg", "--db", db, "events", "--json"],
    ):
        assert main(argv) == 0
        shown = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert shown and {e["user"] for e in shown} == {"greg"}  # filtered: only greg's
    assert main(["events", "--db", db, "--json"]) == 0
    assert {json.loads(line)["user"] for line in capsys.readouterr().out.splitlines()} == {"anna", "greg"}
    with pytest.raises(SystemExit) as usage:
        main(["analyze", str(tmp_path), "--user", "greg"])  # a user does not matter to measuring a file
    assert usage.value.code == 2


def test_when_ingest_returns_every_change_has_one_verdict_and_events_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from daemon.log.events import JUDGED_TYPES, VERDICT_TYPES
    from daemon.log.store import Store, sqlite_url

    simulate_archive(tmp_path / "a", songs=2, saves=4, seed=0, seconds=8.0)
    db = tmp_path / "t.db"
    assert main(["ingest", str(tmp_path / "a"), "--db", str(db), "--jobs", "1", "--user", "greg"]) == 0
    summary = capsys.readouterr().out
    store = Store.open(sqlite_url(db))
    changes = [e for e in store.events() if e.type in JUDGED_TYPES]
    verdicts = [e for e in store.events() if e.type in VERDICT_TYPES]
    store.close()
    assert changes and sorted(v.payload["refers_to"] for v in verdicts) == [c.position for c in changes]
    justified = sum(v.type == "change-justified" for v in verdicts)
    assert 0 < justified < len(verdicts)  # the simulated engineer makes objective moves and moves by taste
    assert f"judged {len(changes)} change(s): {justified} justified" in summary
    # A second ingest of the same archive adds nothing and judges nothing twice.
    assert main(["ingest", str(tmp_path / "a"), "--db", str(db), "--jobs", "1", "--user", "greg"]) == 0
    assert "judged 0 change(s)" in capsys.readouterr().out

    assert main(["events", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    under = [lines[i + 1].strip() for i in range(len(lines) - 1) if lines[i + 1].startswith(" " * 8)]
    audio = [s for s in under if s.startswith("audio: ")]  # under each save: its tracks' audio
    shown = [s for s in under if not s.startswith("audio: ")]
    assert len(shown) == len(changes)  # one line under each change, and the verdicts not listed again
    saves = sum(" saved " in line for line in lines)
    assert audio == ["audio: 5 of 5 track(s)' audio found"] * saves
    assert len(lines) == len(under) + len(changes) + saves + 2  # + session-started x2
    assert sum(s.startswith("justified (") for s in shown) == justified
    assert sum(s.startswith("unexplained") for s in shown) == len(changes) - justified
    assert any("LUFS" in s or "Hz" in s for s in shown if s.startswith("justified"))  # the reasons quote numbers


@pytest.mark.parametrize(
    ("db", "said"),
    [
        ("foo://bar", "is not a database URL"),
        ("/dev/null/tapeop.db", "cannot open the database"),
        ("postgresql://nobody@127.0.0.1:1/tapeop", "cannot open the database"),
        ("corrupt", "cannot open the database"),
    ],
)
def test_a_database_that_cannot_be_opened_is_one_error_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], db: str, said: str
) -> None:
    if db == "corrupt":
        db = str(tmp_path / "corrupt.db")
        Path(db).write_text("this is not a database, but a text file with enough bytes to look at " * 20)
    for command in (["events"], ["ingest", str(tmp_path)]):
        assert main([*command, "--db", db]) == 1
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and err[0].startswith("error: ") and said in err[0] and "(hint: " in err[0], err


@pytest.mark.parametrize("option", [["--quiet", "nan"], ["--quiet", "0"], ["--rescan", "inf"]])
def test_watch_refuses_timings_that_are_not_positive_finite_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str]
) -> None:
    assert main(["watch", str(tmp_path), "--db", str(tmp_path / "w.db"), *option]) == 1
    assert capsys.readouterr().err.startswith("error: --quiet and --rescan must be positive numbers")


@pytest.mark.parametrize(
    "arguments", [["ingest", "--jobs", "0", "x"], ["ingest", "--jobs", "-3", "x"], ["demo", "--songs", "0"]]
)
def test_counts_under_one_are_usage_errors(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(arguments)
    assert stopped.value.code == 2 and "is not 1 or more" in capsys.readouterr().err


def test_events_of_a_session_show_its_namesakes_told_apart_by_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for client in ("Client A", "Client B"):
        simulate_archive(tmp_path / client, songs=1, saves=2, seed=len(client), render_audio=False)
    db = str(tmp_path / "t.db")
    assert main(["ingest", "--db", db, str(tmp_path / "Client A"), str(tmp_path / "Client B")]) == 0
    capsys.readouterr()
    assert main(["events", "--db", db, "--session", "Song A", "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {e["session"] for e in events} == {"Song A (Client A)", "Song A (Client B)"}
    changes = [e for e in events if e["type"] in JUDGED_TYPES]
    assert changes and all(set(e) >= {"track", "device", "parameter", "before", "after", "unit"} for e in changes)
    assert main(["events", "--db", db, "--session", "Song A (Client B)", "--json"]) == 0
    sessions = {json.loads(line)["session"] for line in capsys.readouterr().out.splitlines()}
    assert sessions == {"Song A (Client B)"}  # a full name is that session alone
