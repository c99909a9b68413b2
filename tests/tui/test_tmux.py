"""`tapeop ask` end to end in a real terminal (tmux): the questions show, a key answers one, and
after a restart the answered question is gone and the others remain."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from daemon.log.store import Store, sqlite_url
from tests.tui import tmux
from tests.tui.conftest import USER

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def test_answer_in_tmux_then_restart(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    shutil.copy(demo_db, db)
    session = f"tapeop-e2e-{os.getpid()}"
    try:
        tmux.ask(session, db, USER)
        pane = tmux.wait_for(session, "question 1 of 5")
        first = tmux.why(pane)
        assert len(first) > 20 and first in pane
        tmux.keys(session, "t")
        tmux.wait_for(session, "question 1 of 4")
        tmux.keys(session, "q")
        tmux.wait_gone(session)
        tmux.ask(session, db, USER)
        pane = tmux.wait_for(session, "question 1 of 5")
        assert first not in pane  # answered: gone; the others remain, one more comes up
        tmux.keys(session, "q")
    finally:
        tmux.kill(session)
    store = Store.open(sqlite_url(db))
    try:
        (said,) = [e.payload for e in store.events(types=("question-answered",))]
        assert said["answer"] == "taste"
    finally:
        store.close()
