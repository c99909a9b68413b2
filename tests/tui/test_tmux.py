"""`tapeop ask` end to end in a real terminal (tmux): the questions show, a key answers one, and
after a restart the answered question is gone and the others remain."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from daemon.log.store import Store, sqlite_url
from tests.paths import REPO
from tests.tui.conftest import USER

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _pane(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True, text=True).stdout


def _wait_for(session: str, text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pane = _pane(session)
        if text in pane:
            return pane
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never showed:\n{_pane(session)}")


def _ask(session: str, db: Path) -> None:
    command = f"cd {REPO} && TERM=xterm-256color {sys.executable} -m daemon.cli ask --db {db} --user {USER}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "32", command], check=True,
                   env={**os.environ, "TMUX": ""})  # fmt: skip


def test_answer_in_tmux_then_restart(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    shutil.copy(demo_db, db)
    session = f"tapeop-e2e-{os.getpid()}"
    try:
        _ask(session, db)
        pane = _wait_for(session, "question 1 of 5")
        first = next(line.strip() for line in pane.splitlines() if line.strip().startswith("Why"))
        subprocess.run(["tmux", "send-keys", "-t", session, "t"], check=True)
        _wait_for(session, "question 1 of 4")
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        deadline = time.monotonic() + 10
        while subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode == 0:
            assert time.monotonic() < deadline, "q did not quit"
            time.sleep(0.2)
        _ask(session, db)
        pane = _wait_for(session, "question 1 of 5")
        assert first not in pane  # answered: gone; the others remain, one more comes up
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    store = Store.open(sqlite_url(db))
    try:
        (said,) = [e.payload for e in store.events(types=("question-answered",))]
        assert said["answer"] == "taste"
    finally:
        store.close()
