"""The command line: the demo, `diff`, and the one error boundary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.formats.dawproject_writer import write_dawproject
from daemon.simulator import first_session, simulate_archive


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
    assert err[0].startswith("error: ") and str(bad) in err[0]
    assert err[1].startswith("hint: ")


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="cannot be opened"):
        main(["--verbose", "diff", str(tmp_path / "a.dawproject"), str(tmp_path / "b.dawproject")])
