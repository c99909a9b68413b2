"""The service: the unit file and plist for real, the service manager's commands through a fake
runner (systemd and launchd are outside our reach here), the status file, the logs, and the systemd
notifications on a real datagram socket."""

from __future__ import annotations

import getpass
import json
import logging
import os
import plistlib
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon import config
from daemon.errors import AppError
from daemon.log.store import Store, sqlite_url
from daemon.service import install, logs
from daemon.service.install import ServiceSpec
from daemon.service.notify import Notifier
from daemon.service.status import RunStatus, StatusWriter, read_status, status_file, write_status


class FakeRunner:
    """Records the commands; answers from a table of (command prefix -> result)."""

    def __init__(self, answers: dict[tuple[str, ...], tuple[int, str, str]] | None = None) -> None:
        self.calls: list[list[str]] = []
        self.answers = answers or {}

    def __call__(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(args))
        for prefix, (code, out, err) in self.answers.items():
            if tuple(args[: len(prefix)]) == prefix:
                return subprocess.CompletedProcess(list(args), code, out, err)
        return subprocess.CompletedProcess(list(args), 0, "", "")


@pytest.fixture(autouse=True)
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("TAPEOP_DB", raising=False)
    monkeypatch.setenv("TAPEOP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TAPEOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TAPEOP_LOG_DIR", str(tmp_path / "logs"))
    (tmp_path / "sessions").mkdir()
    return tmp_path


def exec_start(unit: str) -> list[str]:
    """The ExecStart argv, undoing systemd's escapes (for the subset we write, as POSIX shell words)."""
    line = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    return [word.replace("%%", "%").replace("$$", "$") for word in shlex.split(line.removeprefix("ExecStart="))]


# --- the unit file and the plist ---------------------------------------------------------------------


def test_the_systemd_unit_runs_the_watcher_as_a_notify_service_with_a_watchdog(folders: Path) -> None:
    roots = [folders / "sessions", folders / 'My "Songs" 100% $HOME']
    spec = ServiceSpec(
        command=tuple(install.service_command(roots, db="/x/t.db", extra_args=["--poll"])),
        environment={"TAPEOP_DATA_DIR": "/a b/%c$x"},
        watchdog_seconds=30,
    )
    unit = install.systemd_unit(spec)
    lines = unit.splitlines()
    for expected in (
        "Type=notify",
        "WatchdogSec=30",
        "Restart=on-failure",
        "KillMode=mixed",
        "TimeoutStopSec=15",
        "WantedBy=default.target",
        'Environment="TAPEOP_DATA_DIR=/a b/%%c$x"',
    ):
        assert expected in lines
    assert exec_start(unit) == [
        sys.executable,
        "-m",
        "daemon.cli",
        "watch",
        "--poll",
        "--db",
        "sqlite:////x/t.db",
        *map(str, roots),
    ]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_the_unit(folders: Path) -> None:
    spec = ServiceSpec(
        command=tuple(install.service_command([folders / "odd 'name' \"x\" %n $y \\z"])),
        environment=install.service_environment(),
    )
    path = folders / install.UNIT
    path.write_text(install.systemd_unit(spec))
    result = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_a_line_break_cannot_reach_the_unit_file(folders: Path) -> None:
    with pytest.raises(AppError, match="line break"):
        install.systemd_unit(ServiceSpec(command=("/bin/true", "a\nExecStartPre=/bin/rm")))


def test_the_launchd_agent_keeps_the_watcher_alive_in_the_foreground(folders: Path) -> None:
    spec = ServiceSpec(
        command=tuple(install.service_command([folders / "sessions"])),
        environment={"TAPEOP_DB": "/x.db"},
        log_dir=folders / "logs",
    )
    agent = plistlib.loads(install.launchd_plist(spec))
    assert agent["Label"] == install.LABEL
    assert agent["ProgramArguments"] == [sys.executable, "-m", "daemon.cli", "watch", str(folders / "sessions")]
    assert agent["RunAtLoad"] is True
    assert agent["KeepAlive"] == {"SuccessfulExit": False}
    assert agent["EnvironmentVariables"] == {"TAPEOP_DB": "/x.db"}
    assert agent["ExitTimeOut"] == 15
    assert agent["StandardErrorPath"].startswith(str(folders / "logs"))
    assert "OnDemand" not in agent and "inetdCompatibility" not in agent


def test_the_tapeop_variables_are_passed_on_to_the_service(folders: Path) -> None:
    env = install.service_environment()
    assert env == {
        "TAPEOP_CONFIG_DIR": str(folders / "config"),
        "TAPEOP_DATA_DIR": str(folders / "data"),
        "TAPEOP_LOG_DIR": str(folders / "logs"),
    }


# --- install, uninstall, status ------------------------------------------------------------------------


def test_install_on_systemd_writes_the_unit_then_enables_and_starts_it(folders: Path) -> None:
    runner = FakeRunner()
    result = install.install([folders / "sessions"], platform="systemd", runner=runner)
    path = folders / "home" / ".config" / "systemd" / "user" / "tapeop.service"
    assert result.path == path and path.is_file()
    assert exec_start(path.read_text())[-1] == str(folders / "sessions")
    assert runner.calls == [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", "tapeop.service"],
        ["systemctl", "--user", "restart", "tapeop.service"],
        ["loginctl", "enable-linger", getpass.getuser()],
    ]
    assert result.warnings == []
    assert any("started" in line for line in result.lines())


def test_install_honours_xdg_config_home_and_takes_the_roots_from_the_config_file(
    folders: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folders / "xdg"))
    config.config_file().parent.mkdir(parents=True)
    config.config_file().write_text(f'[[watch.roots]]\npath = "{folders / "sessions"}"\nengineer = "greg"\n')
    result = install.install(platform="systemd", runner=FakeRunner(), linger=False, start=False)
    assert result.path == folders / "xdg" / "systemd" / "user" / "tapeop.service"
    assert result.command[-1] == str(folders / "sessions")


def test_install_without_any_root_is_a_user_error(folders: Path) -> None:
    with pytest.raises(AppError, match="no folders to watch") as caught:
        install.install(platform="systemd", runner=FakeRunner())
    assert "config.toml" in caught.value.hint


def test_install_reports_a_service_manager_that_cannot_be_reached(folders: Path) -> None:
    runner = FakeRunner({("systemctl",): (1, "", "Failed to connect to bus: No medium found\n")})
    with pytest.raises(AppError, match="Failed to connect to bus") as caught:
        install.install([folders / "sessions"], platform="systemd", runner=runner)
    assert "wrote" in caught.value.message and "systemctl --user enable --now" in caught.value.hint


def test_a_refused_linger_is_only_a_warning(folders: Path) -> None:
    runner = FakeRunner({("loginctl",): (1, "", "Access denied\n")})
    result = install.install([folders / "sessions", folders / "later"], platform="systemd", runner=runner)
    assert any("Access denied" in w for w in result.warnings)
    assert any("does not exist" in w and "later" in w for w in result.warnings)


def test_install_on_launchd_writes_the_plist_and_bootstraps_it(folders: Path) -> None:
    runner = FakeRunner({("launchctl", "bootout"): (3, "", "Boot-out failed: 3: No such process")})
    result = install.install([folders / "sessions"], platform="launchd", runner=runner)
    path = folders / "home" / "Library" / "LaunchAgents" / f"{install.LABEL}.plist"
    assert result.path == path and plistlib.loads(path.read_bytes())["Label"] == install.LABEL
    domain = f"gui/{os.getuid()}"
    assert runner.calls == [
        ["launchctl", "bootout", f"{domain}/{install.LABEL}"],
        ["launchctl", "enable", f"{domain}/{install.LABEL}"],
        ["launchctl", "bootstrap", domain, str(path)],
    ]


@pytest.mark.parametrize("platform", ["systemd", "launchd"])
def test_uninstall_stops_and_removes_and_a_second_time_is_harmless(folders: Path, platform: install.Platform) -> None:
    install.install([folders / "sessions"], platform=platform, runner=FakeRunner())
    runner = FakeRunner()
    result = install.uninstall(platform=platform, runner=runner)
    assert not result.path.exists()
    stop = (
        ["systemctl", "--user", "disable", "--now", "tapeop.service"]
        if platform == "systemd"
        else ["launchctl", "bootout", f"gui/{os.getuid()}/{install.LABEL}"]
    )
    assert runner.calls[0] == stop
    again = install.uninstall(platform=platform, runner=FakeRunner())
    assert again.lines() == [f"not installed (no {result.path})"]


def test_status_on_systemd_says_installed_running_and_what_it_did_last(folders: Path) -> None:
    install.install([folders / "sessions"], platform="systemd", runner=FakeRunner())
    writer = StatusWriter([folders / "sessions"])
    writer.state("watching")
    writer.saved(folders / "sessions" / "Song.dawproject", "Song", 3, 12)
    shown = "LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=4242\nResult=success\n"
    runner = FakeRunner({("systemctl", "--user", "show"): (0, shown, "")})
    status = install.status(platform="systemd", runner=runner)
    assert runner.calls == [
        ["systemctl", "--user", "show", "tapeop.service", "--property=LoadState,ActiveState,SubState,MainPID,Result"]
    ]
    assert status.installed and status.running is True and status.pid == 4242
    assert status.run is not None and status.run.last_save is not None
    assert status.run.last_save.session == "Song" and status.run.last_save.version == 3
    text = "\n".join(status.lines())
    assert "installed" in text and "active (running) (pid 4242)" in text
    assert "last save: Song v3, 12 event(s)" in text and "1 save(s), 12 event(s)" in text
    assert str(folders / "logs" / "tapeop.log") in text


def test_status_says_when_it_failed_or_cannot_ask(folders: Path) -> None:
    shown = "LoadState=loaded\nActiveState=failed\nSubState=failed\nMainPID=0\nResult=watchdog\n"
    failed = install.status(platform="systemd", runner=FakeRunner({("systemctl",): (0, shown, "")}))
    assert failed.running is False and failed.pid is None and "last result: watchdog" in failed.state
    assert not failed.installed and failed.run is None
    assert "last activity: none recorded" in failed.lines()
    unknown = install.status(
        platform="systemd", runner=FakeRunner({("systemctl",): (1, "", "Failed to connect to bus")})
    )
    assert unknown.running is None and "Failed to connect to bus" in unknown.state


def test_status_on_launchd_reads_launchctl_print(folders: Path) -> None:
    printed = (
        f"gui/501/{install.LABEL} = {{\n\tactive count = 1\n\tstate = running\n\tpid = 777\n\tlast exit code = 0\n}}\n"
    )
    status = install.status(platform="launchd", runner=FakeRunner({("launchctl", "print"): (0, printed, "")}))
    assert status.running is True and status.pid == 777 and status.state == "running, last exit code 0"
    gone = install.status(platform="launchd", runner=FakeRunner({("launchctl",): (113, "", "Could not find service")}))
    assert gone.running is False and gone.state == "not loaded"


def test_the_platform_follows_the_system() -> None:
    assert install.detect_platform("linux") == "systemd"
    assert install.detect_platform("darwin") == "launchd"
    with pytest.raises(AppError, match="win32"):
        install.detect_platform("win32")


def test_the_default_runner_turns_a_missing_program_into_a_failed_result() -> None:
    result = install.run_command(["tapeop-no-such-program-here"])
    assert result.returncode == 127 and "not found" in result.stderr


# --- the status file -------------------------------------------------------------------------------------


def test_the_status_file_round_trips_and_is_replaced_whole(folders: Path) -> None:
    started = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    moments = iter(started + timedelta(seconds=i) for i in range(100))
    writer = StatusWriter([folders / "sessions"], clock=lambda: next(moments))
    path = folders / "data" / "service-status.json"
    assert writer.path == path
    assert read_status() == writer.current and writer.current.state == "starting"
    writer.state("watching")
    writer.saved("/s/Song.dawproject", "Song", 1, 5)
    writer.rejected("/s/Bad.dawproject", "not a zip")
    writer.saved("/s/Song.dawproject", "Song", 2, 3, at=started + timedelta(hours=1))
    run = read_status()
    assert run == writer.current
    assert run is not None
    assert (run.saves, run.events, run.rejected, run.state) == (2, 9, 1, "watching")
    assert run.last_activity == started + timedelta(hours=1)
    assert run.last_rejected is not None and run.last_rejected.reason == "not a zip"
    data = json.loads(path.read_text())
    assert data["schema"] == "tapeop.service-status/1" and data["pid"] == os.getpid()
    assert data["last_save"] == {
        "path": "/s/Song.dawproject",
        "session": "Song",
        "version": 2,
        "events": 3,
        "at": "2026-11-24T11:00:00+00:00",
    }
    assert [p.name for p in path.parent.iterdir()] == ["service-status.json"]  # no temp file left


def test_a_judging_failure_is_in_the_status_until_a_run_gets_through(folders: Path) -> None:
    writer = StatusWriter([folders / "sessions"])
    line = "error: justify/1 stopped at Song v3 (event 41): ValueError: bad (hint: run again with --verbose)"
    writer.judging_failed(line)
    run = read_status()
    assert run is not None and run.judging_error == line
    assert f"judging stopped: {line}" in run.lines()
    writer.judging_failed(None)
    run = read_status()
    assert run is not None and run.judging_error is None
    assert not any("judging" in shown for shown in run.lines())


def test_a_missing_or_broken_status_file_reads_as_none(folders: Path) -> None:
    assert read_status() is None
    path = status_file()
    path.parent.mkdir(parents=True)
    path.write_text('{"pid": ')
    assert read_status() is None


def test_a_status_whose_process_is_gone_says_so(folders: Path) -> None:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    now = datetime.now(UTC)
    write_status(RunStatus(pid=int(child.stdout), started_at=now, updated_at=now, state="watching"))
    run = read_status()
    assert run is not None and not run.alive()
    assert "but pid" in run.lines()[0]


def test_a_status_file_that_cannot_be_written_does_not_stop_the_service(folders: Path) -> None:
    blocker = folders / "blocker"
    blocker.write_text("a file where a folder should be")
    writer = StatusWriter(path=blocker / "service-status.json")
    writer.saved("/s/a.dawproject", "a", 1, 1)
    assert writer.current.saves == 1


# --- logging ------------------------------------------------------------------------------------------------


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    for noisy in ("apscheduler", "watchdog", "alembic"):
        logging.getLogger(noisy).setLevel(logging.NOTSET)


@pytest.mark.usefixtures("restore_logging")
def test_logs_go_to_a_rotated_file_in_the_log_folder_and_to_stderr(
    folders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = logs.setup_logging(max_bytes=2_000, backups=2)
    path = logs.setup_logging(max_bytes=2_000, backups=2)  # again: the handlers are replaced, not doubled
    assert path == folders / "logs" / "tapeop.log"
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_tapeop_handler", False)]
    assert len(ours) == 2
    logger = logging.getLogger("tapeop.test")
    logger.info("first line")
    logger.debug("not shown without --verbose")
    for i in range(100):
        logger.info("filler %03d %s", i, "x" * 40)
    for handler in ours:
        handler.flush()
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["tapeop.log", "tapeop.log.1", "tapeop.log.2"]
    assert all(p.stat().st_size <= 2_000 for p in path.parent.iterdir())
    err = capsys.readouterr().err
    assert "INFO tapeop.test: first line" in err and "not shown" not in err
    assert logging.getLogger("apscheduler").level == logging.WARNING
    Store.open(sqlite_url(folders / "quiet.db")).close()  # Alembic's plugin and migration lines
    assert "alembic" not in capsys.readouterr().err


# --- systemd notifications on a real socket ----------------------------------------------------------------


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = tmp_path / "notify.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(5)
    yield server, str(path)
    server.close()


def test_notifications_reach_the_socket(notify_socket: tuple[socket.socket, str]) -> None:
    server, address = notify_socket
    notifier = Notifier.from_env({"NOTIFY_SOCKET": address})
    assert notifier.enabled and notifier.watchdog_interval is None
    assert notifier.ready("watching 2 folders\nsecond line")
    assert server.recv(4096) == b"READY=1\nSTATUS=watching 2 folders second line"
    assert notifier.status("ingested Song v3")
    assert server.recv(4096) == b"STATUS=ingested Song v3"
    assert notifier.extend_timeout(30)
    assert server.recv(4096) == b"EXTEND_TIMEOUT_USEC=30000000"
    assert notifier.stopping()
    assert server.recv(4096) == b"STOPPING=1"
    assert not notifier.ping()  # no watchdog asked for
    notifier.close()


def test_an_abstract_socket_name_is_used(tmp_path: Path) -> None:
    name = f"tapeop-test-{os.getpid()}-{tmp_path.name}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        server.bind(b"\0" + name.encode())
    except OSError as exc:  # pragma: no cover - abstract sockets are Linux only
        pytest.skip(f"no abstract unix sockets here: {exc}")
    server.settimeout(5)
    with server, Notifier.from_env({"NOTIFY_SOCKET": "@" + name}) as notifier:
        assert notifier.watchdog()
        assert server.recv(4096) == b"WATCHDOG=1"


def test_the_watchdog_pings_at_half_its_interval(notify_socket: tuple[socket.socket, str]) -> None:
    server, address = notify_socket
    now = [100.0]
    notifier = Notifier(address, 10_000_000, clock=lambda: now[0])  # WatchdogSec=10
    assert notifier.watchdog_interval == 5.0
    assert notifier.ping()
    assert server.recv(4096) == b"WATCHDOG=1"
    now[0] += 4.9
    assert not notifier.ping()
    now[0] += 0.1
    assert notifier.ping()
    assert server.recv(4096) == b"WATCHDOG=1"


def test_the_watchdog_is_for_the_process_systemd_named(notify_socket: tuple[socket.socket, str]) -> None:
    _, address = notify_socket
    mine = Notifier.from_env({"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "4000000", "WATCHDOG_PID": str(os.getpid())})
    assert mine.watchdog_interval == 2.0
    other = Notifier.from_env({"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "1"})
    assert other.watchdog_interval is None


def test_without_systemd_notifications_do_nothing(tmp_path: Path) -> None:
    notifier = Notifier.from_env({})
    assert not notifier.enabled
    assert not notifier.ready() and not notifier.ping() and not notifier.stopping()
    assert notifier.watchdog_interval is None
    gone = Notifier(str(tmp_path / "no-such.sock"))
    assert gone.enabled and not gone.status("x")  # an unreachable socket is logged, never raised


def test_from_env_can_unset_the_variables_for_children(
    notify_socket: tuple[socket.socket, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, address = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", address)
    monkeypatch.setenv("WATCHDOG_USEC", "2000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    notifier = Notifier.from_env(unset=True)
    assert notifier.enabled and notifier.watchdog_interval == 1.0
    assert "NOTIFY_SOCKET" not in os.environ and "WATCHDOG_USEC" not in os.environ
