"""`tapeop watch` as the service runs it: roots and engineers from the config file, the status
file `tapeop service status` reads, a clean stop on SIGTERM; and `tapeop service` end to end as
far as this machine allows (no systemd user instance here: the unit file is written for real)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from daemon.demo.simulator import simulate_archive
from daemon.formats.dawproject_writer import write_dawproject
from daemon.log.events import JUDGED_TYPES, VERDICT_TYPES
from daemon.log.store import Store, sqlite_url
from daemon.service.lock import status_path
from daemon.sessions.model import Channel, Session, Track
from tests.paths import REPO


def wait_for(predicate, timeout: float = 30.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def machine(tmp_path: Path, name: str = "") -> dict[str, str]:
    """The environment of a `tapeop` process with config, log and data folders of its own (`name`
    tells two machines apart)."""
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TAPEOP_CONFIG_DIR": str(tmp_path / f"config{name}"),
        "TAPEOP_LOG_DIR": str(tmp_path / f"logs{name}"),
        "TAPEOP_DATA_DIR": str(tmp_path / f"data{name}"),
    }


def fake_notifier(folder: Path) -> tuple[Path, Path]:
    """A stand-in `desktop_notifier` package in `folder` (the platform's notification server is
    outside our reach), which records each notification it is given as a line "app|title|message"
    of a file: (the folder to put on PYTHONPATH, that file)."""
    fake = folder / "fake"
    (fake / "desktop_notifier").mkdir(parents=True)
    shown = folder / "shown.txt"
    (fake / "desktop_notifier" / "__init__.py").write_text(
        "class DesktopNotifierSync:\n"
        "    def __init__(self, app_name):\n        self.app_name = app_name\n"
        "    def send(self, title, message):\n"
        f"        open({str(shown)!r}, 'a').write(self.app_name + '|' + title + '|' + message + '\\n')\n"
    )
    return fake, shown


def start_watch(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`tapeop watch ARGS` in a subprocess, its stderr to `log`, once it says it is watching."""
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon.cli", "watch", *args], env=env, stdout=subprocess.DEVNULL, stderr=err
        )
    wait_for(lambda: b"watching" in log.read_bytes() or proc.poll() is not None)
    assert proc.poll() is None, log.read_text()
    return proc


def test_watch_takes_its_roots_and_engineers_from_the_config_file(tmp_path: Path) -> None:
    studio, home = tmp_path / "studio", tmp_path / "home"
    studio.mkdir()
    home.mkdir()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        f'[watch]\nquiet_seconds = 0.3\n\n[[watch.roots]]\npath = "{studio}"\nengineer = "greg"\n\n'
        f'[[watch.roots]]\npath = "{home}"\n'
    )
    env = machine(tmp_path)
    db = tmp_path / "t.db"
    proc = start_watch(["--db", str(db), "--user", "anna"], env, tmp_path / "watch.err")
    try:
        simulate_archive(studio / "a", songs=1, saves=2, seed=3, render_audio=False)
        simulate_archive(home / "b", songs=1, saves=1, seed=4, render_audio=False)
        store = Store.open(sqlite_url(db))
        wait_for(lambda: len([e for e in store.events() if e.type == "session-saved"]) == 3)
        users = {
            Path(e.payload["file"]).parent.parent.name: e.user for e in store.events() if e.type == "session-saved"
        }
        assert users == {"studio": "greg", "home": "anna"}  # the bound root's engineer, else --user
        # After the saves settle, the justification processor has judged every change.
        wait_for(lambda: any(e.type in ("change-justified", "change-unexplained") for e in store.events()))
        state = json.loads(status_path(sqlite_url(db)).read_text())
        assert state["state"] == "watching" and state["saves"] == 3 and state["pid"] == proc.pid
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert time.monotonic() - started < 10
        assert json.loads(status_path(sqlite_url(db)).read_text())["state"] == "stopped"
        assert (tmp_path / "logs" / "tapeop.log").read_text().count("watching") >= 1
        store.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_watch_without_folders_says_where_to_give_them(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TAPEOP_CONFIG_DIR": str(tmp_path),
        "TAPEOP_LOG_DIR": str(tmp_path),
        "TAPEOP_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "daemon.cli", "watch", "--db", str(tmp_path / "t.db")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "error: no folders to watch" in result.stderr and "[[watch.roots]]" in result.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="the systemd unit is the Linux service")
def test_service_install_writes_the_unit_even_where_systemd_cannot_start_it(tmp_path: Path) -> None:
    root = tmp_path / "sessions"
    root.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "TAPEOP_CONFIG_DIR": str(tmp_path / "config"),
        "TAPEOP_LOG_DIR": str(tmp_path / "logs"),
        "PATH": str(tmp_path / "no-bin"),  # no systemctl: the file is written, then the error says what to run
    }
    result = subprocess.run(
        [sys.executable, "-m", "daemon.cli", "service", "install", str(root), "--db", str(tmp_path / "t.db")],
        env=env,
        capture_output=True,
        text=True,
    )
    unit = tmp_path / "xdg" / "systemd" / "user" / "tapeop.service"
    assert unit.exists(), result.stderr
    text = unit.read_text()
    assert "Type=notify" in text and "Restart=on-failure" in text and str(root) in text and " watch " in text
    assert result.returncode == 1 and "error:" in result.stderr


def test_under_systemd_watch_says_ready_and_keeps_pinging_the_watchdog(tmp_path: Path) -> None:
    root = tmp_path / "sessions"
    root.mkdir()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(30)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TAPEOP_CONFIG_DIR": str(tmp_path),
        "TAPEOP_LOG_DIR": str(tmp_path / "logs"),
        "TAPEOP_DATA_DIR": str(tmp_path / "data"),
        "NOTIFY_SOCKET": str(tmp_path / "notify"),
        "WATCHDOG_USEC": "400000",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "daemon.cli", "watch", str(root), "--db", str(tmp_path / "t.db"), "--quiet", "0.3"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        seen: list[str] = []
        while not ("READY=1" in seen and seen.count("WATCHDOG=1") >= 3):
            seen += sock.recv(4096).decode().splitlines()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        while "STOPPING=1" not in seen:
            seen += sock.recv(4096).decode().splitlines()
    finally:
        sock.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_seconds_after_a_live_save_settles_every_change_has_exactly_one_verdict(tmp_path: Path) -> None:
    root = tmp_path / "sessions"
    root.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TAPEOP_DATA_DIR": str(tmp_path / "data")}
    db = tmp_path / "t.db"
    proc = start_watch([str(root), "--db", str(db), "--quiet", "0.5"], env, tmp_path / "watch.err")
    try:
        simulate_archive(root, songs=1, saves=4, seed=0, seconds=8.0)  # real stems embedded in each save
        store = Store.open(sqlite_url(db))

        def judged() -> bool:
            events = list(store.events())
            changes = [e.position for e in events if e.type in JUDGED_TYPES]
            saves = sum(e.type == "session-saved" for e in events)
            refers = sorted(e.payload["refers_to"] for e in events if e.type in VERDICT_TYPES)
            return saves == 4 and refers == changes

        wait_for(judged, timeout=30)  # the quiet period, the scheduler's settling (the same), the judging
        time.sleep(1.5)  # and nothing is judged twice afterwards
        assert judged()
        assert any(e.type == "change-justified" for e in store.events())
        store.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _saved_atomically(session: Session, path: Path) -> None:
    """Write a save as DAWs do it: a temp file beside it, renamed over it."""
    temp = path.with_name(f".{path.name}.tmp")
    write_dawproject(session, temp)
    os.replace(temp, path)


def _mix(volume_db: float) -> Session:
    tracks = (Track("Kick", role="audio", channel=Channel(volume_db=volume_db)), Track("Bass", role="audio"))
    return Session("Song", tempo_bpm=120.0, tracks=tracks)


def test_two_services_on_one_postgresql_log_record_every_save_once_and_an_undo_as_a_save(
    tmp_path: Path, postgres_server
) -> None:  # noqa: ANN001
    """Two `tapeop watch` processes (two machines of a studio) on one PostgreSQL database and one
    shared folder: the engineer saves A, B, then A again (an undo); the log holds three saves,
    each once, and the third takes the fader back."""
    url = postgres_server.new_database()
    root = tmp_path / "shared"
    root.mkdir()
    procs = []
    try:
        for n in (1, 2):
            env = machine(tmp_path, str(n))
            procs.append(start_watch([str(root), "--db", url, "--quiet", "0.3"], env, tmp_path / f"watch{n}.err"))
        store = Store.open(url)
        song = root / "Song.dawproject"
        for n, volume in enumerate((-6.0, -3.0, -6.0), start=1):
            time.sleep(1.1)  # saves a second or more apart, as an engineer's are
            _saved_atomically(_mix(volume), song)
            wait_for(lambda n=n: len(list(store.events(types=("session-saved",)))) >= n)
        time.sleep(2.0)  # both services have had time to see every save
        saved = list(store.events(types=("session-saved",)))
        assert [e.version for e in saved] == [1, 2, 3]
        moves = [
            (e.version, round(e.payload["before"], 6), round(e.payload["after"], 6))
            for e in store.events(types=("parameter-changed",))
            if e.payload["parameter"] == "volume_db"
        ]
        assert moves == [(2, -6.0, -3.0), (3, -3.0, -6.0)]
        store.close()
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                assert proc.wait(10) == 0
            finally:
                if proc.poll() is None:
                    proc.kill()


@pytest.mark.slow
def test_sigterm_while_judging_stops_within_10_s_and_the_next_start_judges_the_rest_once(tmp_path: Path) -> None:
    """The first judging of a new archive measures every track's audio, which takes a while: a
    SIGTERM in the middle of it ends the service within 10 s (no further track is measured), the
    saves judged so far keep their verdicts, and the next start judges the rest, each change once."""
    root = tmp_path / "sessions"
    simulate_archive(root / "a", songs=3, saves=2, seed=5, seconds=150)
    env = machine(tmp_path)
    db = tmp_path / "t.db"
    args = [str(root), "--db", str(db), "--quiet", "0.3"]
    log = tmp_path / "watch.err"
    proc = start_watch(args, env, log)
    try:
        wait_for(lambda: b"judging the changes" in log.read_bytes(), timeout=120)
        time.sleep(1.0)  # in the middle of measuring the first tracks
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert time.monotonic() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    store = Store.open(sqlite_url(db))
    changes = sorted(e.position for e in store.events(types=tuple(JUDGED_TYPES)))
    first = [e.payload["refers_to"] for e in store.events(types=VERDICT_TYPES)]
    assert len(first) < len(changes), "judging ended before the signal: make the archive's audio longer"
    again = start_watch(args, env, tmp_path / "watch2.err")
    try:
        wait_for(lambda: len(list(store.events(types=VERDICT_TYPES))) >= len(changes), timeout=300)
        time.sleep(1.0)
        verdicts = sorted(e.payload["refers_to"] for e in store.events(types=VERDICT_TYPES))
        assert verdicts == changes  # the rest judged, each change exactly once
    finally:
        again.send_signal(signal.SIGTERM)
        assert again.wait(10) == 0
    store.close()


def test_at_down_time_the_open_questions_are_counted_and_offered_in_a_notification(tmp_path: Path) -> None:
    """No save for idle_minutes: a `down-time` event, the open count in the status file and in
    `tapeop service status`, and a desktop notification through desktop-notifier (the platform's
    notification server is outside our reach: a stand-in module records what it was given)."""
    root = tmp_path / "sessions"
    root.mkdir()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("[watch]\nidle_minutes = 0.05\n\n[questions]\nper_break = 2\n")
    fake, shown = fake_notifier(tmp_path)
    env = {**machine(tmp_path), "PYTHONPATH": os.pathsep.join([str(REPO), str(fake)])}
    db = tmp_path / "t.db"
    proc = start_watch([str(root), "--db", str(db), "--quiet", "0.3", "--user", "greg"], env, tmp_path / "watch.err")
    try:
        simulate_archive(root, songs=1, saves=3, seed=5, seconds=6.0)
        store = Store.open(sqlite_url(db))
        wait_for(lambda: any(e.type == "down-time" for e in store.events()), timeout=60)
        wait_for(shown.exists, timeout=10)
        app, title, message = shown.read_text().splitlines()[0].split("|")
        assert app == "tapeop" and title in ("tapeop: 1 question", "tapeop: 2 questions")
        assert message.endswith(": tapeop ask") and "Song A" in message
        state = json.loads(status_path(sqlite_url(db)).read_text())
        assert isinstance(state["open_questions"], int) and state["open_questions"] >= 1
        offered = int(title.split()[1])
        wait_for(lambda: len([e for e in store.events() if e.type == "question-asked"]) == offered)
        out = subprocess.run(
            [sys.executable, "-m", "daemon.cli", "service", "status", "--db", str(db)],
            env=env, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert f"questions: {state['open_questions']} open" in out.stdout, out.stdout + out.stderr
        store.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
