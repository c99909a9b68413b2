"""The down-time story end to end, as the engineer lives it, in real terminals (tmux): `tapeop watch`
runs in one; the DAW saves a song three times; the engineer stops saving and a notification says
"tapeop: N questions ... tapeop ask"; in another terminal `tapeop ask` shows the first question,
`t` answers it (taste), `m` the next (a mistake), `q` quits; started again, it shows the questions
left and neither answered one, and the log holds those two answers and no other."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from daemon.demo.simulator import simulate_archive
from daemon.log.store import Store, sqlite_url
from tests.daemon.service.test_watch_service import fake_notifier, machine, wait_for
from tests.paths import REPO
from tests.tui import tmux

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

# One song saved three times (seed 2): four unexplained changes to ask about, of four patterns
# (so answering one infers no other), with 6 s of audio in each save for the judging to measure.
SONGS, SAVES, SEED, SECONDS = 1, 3, 2, 6.0
USER = "greg"


def _save_like_a_daw(save: Path, root: Path) -> None:
    """A save into the watched folder: written beside its name, then renamed over it (now: the
    time of the save is the file's modification time)."""
    temp = root / f".{save.name}.tmp"
    shutil.copyfile(save, temp)
    os.replace(temp, root / save.name)


def _open_questions(db: Path, env: dict[str, str]) -> list[dict]:
    """`tapeop questions --json`: the open questions, most worth asking first."""
    listed = subprocess.run(
        tmux.tapeop("questions", "--db", str(db), "--user", USER, "--json"),
        env={**os.environ, **env}, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return [json.loads(line) for line in listed.stdout.splitlines()]


def _shown(pane: str, questions: list[dict]) -> dict:
    """The question whose prompt the pane shows."""
    line = tmux.why(pane)
    (question,) = [q for q in questions if q["prompt"].startswith(line)]
    return question


def test_saves_then_down_time_then_two_answers_in_tapeop_ask_then_a_restart(tmp_path: Path) -> None:
    root, db = tmp_path / "sessions", tmp_path / "t.db"
    root.mkdir()
    daw = simulate_archive(tmp_path / "daw", songs=SONGS, saves=SAVES, seed=SEED, seconds=SECONDS)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("[watch]\nidle_minutes = 0.05\n\n[questions]\nper_break = 10\n")
    fake, shown = fake_notifier(tmp_path)
    # The machine's folders and the stand-in notifier, given to each terminal's command (tmux's
    # server may have another environment).
    own = machine(tmp_path)
    env = {name: own[name] for name in ("TAPEOP_CONFIG_DIR", "TAPEOP_LOG_DIR", "TAPEOP_DATA_DIR")}
    env |= {"PYTHONPATH": os.pathsep.join([str(REPO), str(fake)]), "TAPEOP_NOTIFY": "1"}
    watch, ask = f"tapeop-story-watch-{os.getpid()}", f"tapeop-story-ask-{os.getpid()}"
    stopped = tmp_path / "watch.status"  # the watcher's exit status, once it has ended
    started = time.monotonic()
    try:
        tmux.start(watch, tmux.tapeop("watch", str(root), "--db", str(db), "--quiet", "0.3", "--user", USER), env,
                   status=stopped)  # fmt: skip
        tmux.wait_for(watch, "watching", timeout=60)

        # The DAW saves, one save after the other.
        store = Store.open(sqlite_url(db))
        try:
            for n, save in enumerate(daw, start=1):
                _save_like_a_daw(save.path, root)
                wait_for(lambda n=n: len(list(store.events(types=("session-saved",)))) == n)
        finally:
            store.close()

        # The engineer stops saving: at down-time, the notification.
        wait_for(lambda: shown.exists() and shown.read_text().endswith("\n"), timeout=60)
        app, title, message = shown.read_text().splitlines()[0].split("|")
        questions = _open_questions(db, env)
        count = len(questions)
        assert count >= 3
        assert (app, title) == ("tapeop", f"tapeop: {count} questions")
        assert message == f"{count} questions about Song A: tapeop ask"
        print(f"notified after {time.monotonic() - started:.1f} s: {title}")

        # `tapeop ask`: the first question; t answers it, m the next; q quits.
        tmux.ask(ask, db, USER, env)
        pane = tmux.wait_for(ask, f"question 1 of {count}", timeout=30)
        first, first_line = _shown(pane, questions), tmux.why(pane)
        assert first["id"] == questions[0]["id"]  # the one most worth asking
        tmux.keys(ask, "t")
        pane = tmux.wait_for(ask, f"question 1 of {count - 1}")
        second, second_line = _shown(pane, questions), tmux.why(pane)
        assert second["id"] == questions[1]["id"]
        tmux.keys(ask, "m")
        pane = tmux.wait_for(ask, f"question 1 of {count - 2}")
        assert _shown(pane, questions)["id"] == questions[2]["id"]
        tmux.keys(ask, "q")
        tmux.wait_gone(ask)

        # Again: the answered questions are gone, the others remain.
        tmux.ask(ask, db, USER, env)
        pane = tmux.wait_for(ask, f"question 1 of {count - 2}", timeout=30)
        assert _shown(pane, questions)["id"] == questions[2]["id"]
        assert first_line not in pane and second_line not in pane
        tmux.keys(ask, "q")
        tmux.wait_gone(ask)
        assert [q["id"] for q in _open_questions(db, env)] == [q["id"] for q in questions[2:]]

        # The watcher stops on Ctrl-C, cleanly.
        tmux.keys(watch, "C-c")
        assert tmux.exited(stopped, timeout=20) == 0
        tmux.wait_gone(watch)
    finally:
        tmux.kill(ask)
        tmux.kill(watch)
    store = Store.open(sqlite_url(db))
    try:
        answered = [e.payload for e in store.events(types=("question-answered",))]
    finally:
        store.close()
    assert [(a["question"], a["answer"]) for a in answered] == [(first["id"], "taste"), (second["id"], "mistake")]
    assert len(shown.read_text().splitlines()) == 1  # one down-time, one notification
    print(f"the whole story: {time.monotonic() - started:.1f} s")
