"""The service: installing the watcher as a user service, and asking how it is doing.

`tapeop service install|uninstall|status` (CONTRACT.md) is `install()`, `uninstall()` and `status()`.
What the running service writes about itself is in `daemon.service.status`; its logs, `daemon.service.logs`.

- Linux, systemd (systemd.service(5), systemd.kill(5), sd_notify(3)): a user unit
  `$XDG_CONFIG_HOME/systemd/user/tapeop.service` (`~/.config` without it) with `Type=notify` (the
  watcher sends READY=1 once it serves, see `daemon.service.notify`), `WatchdogSec=` (it pings at half of
  it from its loop), `Restart=on-failure`, `KillMode=mixed` (SIGTERM to the main process, then
  SIGKILL to what is left after `TimeoutStopSec=`). Installed with `systemctl --user daemon-reload`,
  `enable`, `restart`, and `loginctl enable-linger` so that it runs without a login session
  (a failure of the last is only a warning).
- macOS, launchd (launchd.plist(5)): a LaunchAgent `~/Library/LaunchAgents/org.tapeop.watch.plist`
  written with plistlib: `RunAtLoad`, `KeepAlive = {SuccessfulExit = false}` (restart unless it
  exited cleanly), `ExitTimeOut`; the watcher runs in the foreground and never daemonises.
  Loaded with `launchctl bootstrap gui/<uid>` after `enable`.
- The command run is `<this Python> -m daemon.cli watch [ARGS] PATH...`: the interpreter that runs
  the install, so a virtual environment is kept. The `TAPEOP_*` variables set at install time
  (database, config, data and log folders) are passed on to the service.
- Every call of systemctl, loginctl and launchctl goes through one `Runner`, so tests check the
  commands without a service manager; the unit file and plist are plain files, tested for real.
- `status()` adds what the running service last recorded (`daemon.service.status.read_status`).
"""

from __future__ import annotations

import getpass
import logging
import os
import plistlib
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from daemon import config
from daemon.errors import AppError
from daemon.service.logs import LOG_FILE
from daemon.service.status import RunStatus, read_status, write_atomically

log = logging.getLogger("tapeop.install")

UNIT = "tapeop.service"
LABEL = "org.tapeop.watch"
PASSED_ON = ("TAPEOP_DB", "TAPEOP_CONFIG_DIR", "TAPEOP_DATA_DIR", "TAPEOP_LOG_DIR")

Platform = Literal["systemd", "launchd"]
Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_command(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run a service manager's command; a missing program or a hang is a failed result, not an exception."""
    try:
        return subprocess.run(list(args), capture_output=True, text=True, check=False, timeout=60)
    except FileNotFoundError:
        return subprocess.CompletedProcess(list(args), 127, "", f"{args[0]}: command not found")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(list(args), 124, "", f"{' '.join(args)}: no answer in 60 s")


def detect_platform(system: str | None = None) -> Platform:
    system = system or sys.platform
    if system.startswith("linux"):
        return "systemd"
    if system == "darwin":
        return "launchd"
    raise AppError(f"tapeop cannot install a service on {system}", "run `tapeop watch PATH...` in a terminal instead")


def unit_path(platform: Platform) -> Path:
    """Where the unit file (systemd) or the agent's plist (launchd) goes."""
    if platform == "systemd":
        xdg = os.environ.get("XDG_CONFIG_HOME")
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
        return base / "systemd" / "user" / UNIT
    return Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"


# --- what the service runs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceSpec:
    """Everything the unit file or plist says."""

    command: tuple[str, ...]
    environment: Mapping[str, str] = field(default_factory=dict)
    log_dir: Path = field(default_factory=config.log_dir)
    watchdog_seconds: int = 60
    stop_timeout_seconds: int = 15
    start_timeout_seconds: int = 300
    restart_seconds: int = 5


def service_command(roots: Sequence[Path], *, db: str | None = None, extra_args: Sequence[str] = ()) -> list[str]:
    """`<python> -m daemon.cli watch [--db URL] [extra args] ROOT...` with absolute roots."""
    command = [sys.executable, "-m", "daemon.cli", "watch", *extra_args]
    if db:
        command += ["--db", config.db_url(db)]
    return command + [str(Path(os.path.abspath(root))) for root in roots]


def service_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The `TAPEOP_*` variables set now, which the service must see too."""
    env = os.environ if environ is None else environ
    return {key: env[key] for key in PASSED_ON if env.get(key)}


_PLAIN = re.compile(r"^[\w./:=+@,-]+$")


def _systemd_word(text: str, *, dollar: bool = True) -> str:
    """One argument of a unit file's command line or assignment (systemd.service(5), "Command lines";
    systemd.unit(5), "Specifiers"): `%` doubled, `$` doubled where variables are expanded, and
    double-quoted with `\\` and `"` escaped unless it is plain."""
    if any(c in text for c in "\n\r\0"):
        raise AppError(f"{text!r} cannot go into a unit file (a line break or NUL)", "rename the folder")
    text = text.replace("%", "%%")
    if dollar:
        text = text.replace("$", "$$")
    if _PLAIN.match(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_unit(spec: ServiceSpec) -> str:
    """The text of the systemd user unit."""
    environment = "".join(
        f"Environment={_systemd_word(f'{key}={value}', dollar=False)}\n" for key, value in spec.environment.items()
    )
    return (
        "# Written by `tapeop service install`; `tapeop service uninstall` removes it.\n"
        "[Unit]\n"
        "Description=tapeop: logs every save of the DAW sessions in the watched folders\n"
        "\n"
        "[Service]\n"
        "Type=notify\n"
        "NotifyAccess=main\n"
        f"ExecStart={' '.join(_systemd_word(arg) for arg in spec.command)}\n"
        "WorkingDirectory=%h\n"
        f"{environment}"
        "Restart=on-failure\n"
        f"RestartSec={spec.restart_seconds}\n"
        f"WatchdogSec={spec.watchdog_seconds}\n"
        f"TimeoutStartSec={spec.start_timeout_seconds}\n"
        "KillMode=mixed\n"
        f"TimeoutStopSec={spec.stop_timeout_seconds}\n"
        "\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def launchd_plist(spec: ServiceSpec) -> bytes:
    """The LaunchAgent's property list."""
    agent: dict[str, Any] = {
        "Label": LABEL,
        "ProgramArguments": list(spec.command),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ExitTimeOut": spec.stop_timeout_seconds,
        "ThrottleInterval": max(spec.restart_seconds, 1),
        "WorkingDirectory": str(Path.home()),
        "StandardOutPath": str(spec.log_dir / "launchd.out.log"),
        "StandardErrorPath": str(spec.log_dir / "launchd.err.log"),
    }
    if spec.environment:
        agent["EnvironmentVariables"] = dict(spec.environment)
    return plistlib.dumps(agent, sort_keys=False)


# --- install, uninstall, status ----------------------------------------------------------------------


@dataclass
class ServiceResult:
    """What install or uninstall did: lines for a person, in order, and warnings."""

    platform: Platform
    path: Path
    done: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    command: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return self.done + [f"warning: {w}" for w in self.warnings]


def _first_line(result: subprocess.CompletedProcess[str]) -> str:
    text = (result.stderr or result.stdout or "").strip()
    return text.splitlines()[0] if text else f"exit code {result.returncode}"


def _must(runner: Runner, args: list[str], path: Path, hint: str) -> subprocess.CompletedProcess[str]:
    result = runner(args)
    if result.returncode != 0:
        raise AppError(f"wrote {path}, but `{' '.join(args)}` failed: {_first_line(result)}", hint)
    return result


def install(
    roots: Sequence[Path] = (),
    *,
    db: str | None = None,
    extra_args: Sequence[str] = (),
    platform: Platform | None = None,
    runner: Runner = run_command,
    start: bool = True,
    linger: bool = True,
    watchdog_seconds: int = 60,
) -> ServiceResult:
    """Write the unit (or plist) that runs `tapeop watch` on `roots` (default: the config file's roots),
    then enable and (re)start it. Installing again replaces the file and restarts the service."""
    platform = platform or detect_platform()
    roots = _roots_to_watch(roots)
    spec = ServiceSpec(
        command=tuple(service_command(roots, db=db, extra_args=extra_args)),
        environment=service_environment(),
        log_dir=config.log_dir(),
        watchdog_seconds=watchdog_seconds,
    )
    path = unit_path(platform)
    result = ServiceResult(platform, path, command=list(spec.command))
    result.warnings += [
        f"{root} does not exist (yet): it is watched once it does" for root in roots if not root.exists()
    ]
    if platform == "systemd":
        _install_systemd(spec, path, result, runner, start=start, linger=linger)
    else:
        _install_launchd(spec, path, result, runner, start=start)
    log.info("installed the %s service at %s: %s", platform, path, " ".join(spec.command))
    return result


def _roots_to_watch(roots: Sequence[Path]) -> Sequence[Path]:
    """The roots given, else the config file's; none at all is an error."""
    if not roots:
        roots = [root.path for root in config.load_config().watch.roots]
    if not roots:
        raise AppError(
            "no folders to watch",
            f"name them (`tapeop service install PATH...`) or add [[watch.roots]] to {config.config_file()}",
        )
    return roots


def _install_systemd(
    spec: ServiceSpec, path: Path, result: ServiceResult, runner: Runner, *, start: bool, linger: bool
) -> None:
    """Write the user unit, reload the user manager, enable (and restart) the unit, and ask for lingering."""
    write_atomically(path, systemd_unit(spec).encode())
    result.done.append(f"wrote {path}")
    hint = f"systemd's user manager must be running (log in, or `loginctl enable-linger`); then `systemctl --user enable --now {UNIT}`"
    _must(runner, ["systemctl", "--user", "daemon-reload"], path, hint)
    _must(runner, ["systemctl", "--user", "enable", UNIT], path, hint)
    result.done.append(f"enabled {UNIT} (starts with your user session)")
    if start:
        _must(runner, ["systemctl", "--user", "restart", UNIT], path, hint)
        result.done.append(f"started {UNIT}")
    if linger:
        _enable_linger(result, runner)


def _enable_linger(result: ServiceResult, runner: Runner) -> None:
    """`loginctl enable-linger`, so that the unit runs without a login session; a failure is a warning."""
    lingered = runner(["loginctl", "enable-linger", getpass.getuser()])
    if lingered.returncode == 0:
        result.done.append("lingering enabled: it runs also when you are not logged in")
    else:
        result.warnings.append(
            f"`loginctl enable-linger` failed ({_first_line(lingered)}): it runs only while you are logged in"
        )


def _install_launchd(spec: ServiceSpec, path: Path, result: ServiceResult, runner: Runner, *, start: bool) -> None:
    """Write the agent's plist, unload an older version, enable it and (with `start`) bootstrap it."""
    spec.log_dir.mkdir(parents=True, exist_ok=True)  # launchd opens the stdout/stderr files there
    write_atomically(path, launchd_plist(spec))
    result.done.append(f"wrote {path}")
    domain = f"gui/{os.getuid()}"
    runner(["launchctl", "bootout", f"{domain}/{LABEL}"])  # an older version, if loaded; else it fails: fine
    hint = f"check the file with `plutil -lint {path}`, then `launchctl bootstrap {domain} {path}`"
    _must(runner, ["launchctl", "enable", f"{domain}/{LABEL}"], path, hint)
    result.done.append(f"enabled {LABEL} (loads at login)")
    if start:
        _must(runner, ["launchctl", "bootstrap", domain, str(path)], path, hint)
        result.done.append(f"started {LABEL}")


def uninstall(*, platform: Platform | None = None, runner: Runner = run_command) -> ServiceResult:
    """Stop and disable the service and remove its file; nothing to do is not an error."""
    platform = platform or detect_platform()
    path = unit_path(platform)
    result = ServiceResult(platform, path)
    if not path.exists():
        result.done.append(f"not installed (no {path})")
        return result
    if platform == "systemd":
        stopped = runner(["systemctl", "--user", "disable", "--now", UNIT])
        if stopped.returncode == 0:
            result.done.append(f"stopped and disabled {UNIT}")
        else:
            result.warnings.append(f"`systemctl --user disable --now {UNIT}` failed: {_first_line(stopped)}")
        path.unlink()
        result.done.append(f"removed {path}")
        reloaded = runner(["systemctl", "--user", "daemon-reload"])
        if reloaded.returncode != 0:
            result.warnings.append(f"`systemctl --user daemon-reload` failed: {_first_line(reloaded)}")
    else:
        stopped = runner(["launchctl", "bootout", f"gui/{os.getuid()}/{LABEL}"])
        result.done.append(f"stopped {LABEL}" if stopped.returncode == 0 else f"{LABEL} was not loaded")
        path.unlink()
        result.done.append(f"removed {path}")
    return result


@dataclass
class ServiceStatus:
    """What `tapeop service status` says: installed, running, and what the service did last."""

    platform: Platform
    path: Path
    installed: bool
    running: bool | None  # None: the service manager could not be asked
    state: str
    pid: int | None
    run: RunStatus | None
    log_file: Path

    def lines(self) -> list[str]:
        where = f"{'systemd user unit' if self.platform == 'systemd' else 'launchd agent'} {self.path}"
        out = [f"service: {'installed' if self.installed else 'not installed'} ({where})"]
        if self.installed or self.running:
            running = {True: "running", False: "not running", None: "unknown"}[self.running]
            out.append(f"state: {running}, {self.state}" + (f" (pid {self.pid})" if self.pid else ""))
        out += self.run.lines() if self.run else ["last activity: none recorded"]
        out.append(f"log: {self.log_file}")
        return out


def status(
    *, platform: Platform | None = None, runner: Runner = run_command, status_path: Path | None = None
) -> ServiceStatus:
    """Whether the service is installed and running (asked of the service manager), and what it
    last recorded in its status file (`status_path`, default: the data folder's)."""
    platform = platform or detect_platform()
    path = unit_path(platform)
    running, state, pid = _systemd_state(runner) if platform == "systemd" else _launchd_state(runner)
    return ServiceStatus(
        platform=platform,
        path=path,
        installed=path.exists(),
        running=running,
        state=state,
        pid=pid,
        run=read_status(status_path),
        log_file=config.log_dir() / LOG_FILE,
    )


def _systemd_state(runner: Runner) -> tuple[bool | None, str, int | None]:
    """(running, state, main pid) of the unit, from `systemctl --user show`; running is None when
    systemctl cannot tell."""
    shown = runner(["systemctl", "--user", "show", UNIT, "--property=LoadState,ActiveState,SubState,MainPID,Result"])
    props = dict(line.split("=", 1) for line in shown.stdout.splitlines() if "=" in line)
    if shown.returncode != 0 or "ActiveState" not in props:
        return None, f"systemctl --user cannot tell: {_first_line(shown)}", None
    running = props["ActiveState"] in ("active", "reloading", "deactivating")
    state = f"{props['ActiveState']} ({props.get('SubState', '?')})"
    if props.get("Result", "success") not in ("success", ""):
        state += f", last result: {props['Result']}"
    pid = int(props["MainPID"]) if props.get("MainPID", "0").isdigit() and props["MainPID"] != "0" else None
    return running, state, pid


def _launchd_state(runner: Runner) -> tuple[bool | None, str, int | None]:
    """(running, state, pid) of the agent, from `launchctl print`."""
    printed = runner(["launchctl", "print", f"gui/{os.getuid()}/{LABEL}"])
    if printed.returncode != 0:
        return False, "not loaded", None
    found = dict(re.findall(r"^\s*(state|pid|last exit code) = (.+?)\s*$", printed.stdout, re.MULTILINE))
    running = found.get("state") == "running"
    state = found.get("state", "loaded")
    if "last exit code" in found:
        state += f", last exit code {found['last exit code']}"
    pid = int(found["pid"]) if found.get("pid", "").isdigit() else None
    return running, state, pid
