"""tmux for the end-to-end tests: a command in a detached session of its own (120 x 32, TERM
xterm-256color), what its pane shows, the keys an engineer presses, and the session's end.

The tmux server may be one that others started, with an environment of its own: a session's
command gets the variables it needs on its command line (`env`), never from the server."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from tests.paths import REPO

WIDTH, HEIGHT = 120, 32


def _tmux(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=check, env={**os.environ, "TMUX": ""})


def start(session: str, argv: list[str], env: Mapping[str, str] | None = None, *, status: Path | None = None) -> None:
    """Run `argv` (from the repository's folder) in a new detached session `session`, with `env`
    set besides TERM. With `status`, a shell runs it and writes its exit status to that file when
    it ends (Ctrl-C included: the shell waits for it)."""
    variables = {"TERM": "xterm-256color", **(env or {})}
    argv = ["env", *(f"{k}={v}" for k, v in variables.items()), *argv]
    if status is not None:
        argv = ["sh", "-c", 'trap : INT; "$@"; echo $? >"$0"', str(status), *argv]
    _tmux("new-session", "-d", "-s", session, "-x", str(WIDTH), "-y", str(HEIGHT), "-c", str(REPO), shlex.join(argv))


def tapeop(*args: str) -> list[str]:
    """The command line of `tapeop ARGS` from the repository's folder."""
    return [sys.executable, "-m", "daemon.cli", *args]


def ask(session: str, db: Path, user: str, env: Mapping[str, str] | None = None) -> None:
    """`tapeop ask --db DB --user USER` in a new session."""
    start(session, tapeop("ask", "--db", str(db), "--user", user), env)


def pane(session: str) -> str:
    """What the session's pane shows now."""
    return _tmux("capture-pane", "-t", session, "-p", check=False).stdout


def wait_for(session: str, text: str, timeout: float = 20.0) -> str:
    """The pane once it shows `text` (an AssertionError with the pane after `timeout` seconds, or
    at once when the session has ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = pane(session)
        if text in shown:
            return shown
        assert alive(session), f"{text!r} never showed: the session ended"
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never showed:\n{pane(session)}")


def why(shown: str) -> str:
    """The first line of the question on the Questions screen (a long prompt wraps), without the
    column beside it (the track's numbers, three or more spaces away)."""
    line = next(line.strip() for line in shown.splitlines() if line.strip().startswith("Why"))
    return re.split(r"\s{3,}", line)[0]


def keys(session: str, *pressed: str) -> None:
    """Press keys in the session's pane (tmux key names: "t", "C-c", "Enter")."""
    _tmux("send-keys", "-t", session, *pressed)


def alive(session: str) -> bool:
    return _tmux("has-session", "-t", session, check=False).returncode == 0


def wait_gone(session: str, timeout: float = 10.0) -> None:
    """Wait for the session to end (its command has ended)."""
    deadline = time.monotonic() + timeout
    while alive(session):
        assert time.monotonic() < deadline, f"the session did not end:\n{pane(session)}"
        time.sleep(0.2)


def exited(status: Path, timeout: float = 10.0) -> int:
    """The exit status a command started with `status` wrote, once it has ended."""
    deadline = time.monotonic() + timeout
    while not status.exists() or not status.read_text().strip():
        assert time.monotonic() < deadline, "the command did not end"
        time.sleep(0.2)
    return int(status.read_text())


def kill(session: str) -> None:
    """End the session, if it is still there."""
    _tmux("kill-session", "-t", session, check=False)
