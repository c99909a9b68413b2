"""What the running service did, for `tapeop service status`: the status file.

- The running service records what it does in `service-status.json` in the data folder
  (`StatusWriter`, written atomically: a temp file renamed over it); `read_status()` reads it back
  for `daemon.service.install.status()`.
- `write_atomically` is also how the service's unit file and plist are written.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from daemon import config

log = logging.getLogger("tapeop.status")

STATUS_FILE = "service-status.json"
STATUS_SCHEMA = "tapeop.service-status/1"


def write_atomically(path: Path, data: bytes) -> None:
    """Write `path` through a temp file renamed over it: a reader sees the old content or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def status_file() -> Path:
    return config.data_dir() / STATUS_FILE


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LastSave:
    path: str
    session: str
    version: int | None
    events: int
    at: datetime


@dataclass(frozen=True)
class LastRejected:
    path: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class RunStatus:
    """What the running service writes about itself (`service-status.json`)."""

    pid: int
    started_at: datetime
    updated_at: datetime
    state: str = "starting"  # starting, scanning, watching, stopping, stopped
    roots: tuple[str, ...] = ()
    last_activity: datetime | None = None
    last_save: LastSave | None = None
    last_rejected: LastRejected | None = None
    saves: int = 0
    events: int = 0
    rejected: int = 0
    judging_error: str | None = None  # the last justification run's failure, until one gets through
    open_questions: int | None = None  # counted after each judging run and at each down-time

    def to_json(self) -> dict[str, Any]:
        def encode(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: encode(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [encode(v) for v in value]
            return value

        return {"schema": STATUS_SCHEMA, **encode(asdict(self))}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunStatus:
        def when(value: Any) -> datetime | None:
            return datetime.fromisoformat(value) if isinstance(value, str) else None

        save, rejected = data.get("last_save"), data.get("last_rejected")
        return cls(
            pid=int(data["pid"]),
            started_at=datetime.fromisoformat(data["started_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            state=str(data.get("state", "?")),
            roots=tuple(map(str, data.get("roots", ()))),
            last_activity=when(data.get("last_activity")),
            last_save=None
            if not save
            else LastSave(
                path=save["path"],
                session=save["session"],
                version=save.get("version"),
                events=int(save.get("events", 0)),
                at=datetime.fromisoformat(save["at"]),
            ),
            last_rejected=None
            if not rejected
            else LastRejected(
                path=rejected["path"], reason=rejected["reason"], at=datetime.fromisoformat(rejected["at"])
            ),
            saves=int(data.get("saves", 0)),
            events=int(data.get("events", 0)),
            rejected=int(data.get("rejected", 0)),
            judging_error=data.get("judging_error") if isinstance(data.get("judging_error"), str) else None,
            open_questions=data.get("open_questions") if isinstance(data.get("open_questions"), int) else None,
        )

    def alive(self) -> bool:
        """Whether the process that wrote this still runs (on this machine)."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def lines(self) -> list[str]:
        def at(moment: datetime | None) -> str:
            return "never" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")

        state = self.state if self.state == "stopped" or self.alive() else f"{self.state}, but pid {self.pid} is gone"
        out = [
            f"last run: pid {self.pid}, started {at(self.started_at)}, {state} (updated {at(self.updated_at)})",
            f"since then: {self.saves} save(s), {self.events} event(s), {self.rejected} rejected file(s); last activity {at(self.last_activity)}",
        ]
        if self.last_save:
            s = self.last_save
            version = f" v{s.version}" if s.version is not None else ""
            out.append(f"last save: {s.session}{version}, {s.events} event(s), at {at(s.at)} ({s.path})")
        if self.last_rejected:
            r = self.last_rejected
            out.append(f"last rejected: {r.path} at {at(r.at)}: {r.reason}")
        if self.judging_error:
            out.append(f"judging stopped: {self.judging_error}")
        if self.open_questions is not None:
            out.append(f"questions: {self.open_questions} open (tapeop ask, tapeop questions)")
        return out


def write_status(run: RunStatus, path: Path | None = None) -> Path:
    """Write the status file atomically (a temp file renamed over it): a reader sees the old or the new."""
    path = path or status_file()
    text = json.dumps(run.to_json(), ensure_ascii=False, allow_nan=False, indent=1)
    write_atomically(path, text.encode("utf-8"))
    return path


def read_status(path: Path | None = None) -> RunStatus | None:
    """The status file's record, or None when there is none or it cannot be read."""
    path = path or status_file()
    try:
        return RunStatus.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("%s cannot be read: %s", path, exc)
        return None


class StatusWriter:
    """Keeps the status file up to date for the running watcher; safe to call from any thread.

    Writing never raises (a full disk must not stop the service): a failure is logged once.
    """

    def __init__(
        self, roots: Sequence[Path] = (), path: Path | None = None, *, clock: Callable[[], datetime] = _now
    ) -> None:
        self.path = path or status_file()
        self._clock = clock
        now = clock()
        self._lock = threading.Lock()
        self._warned = False
        self._run = RunStatus(pid=os.getpid(), started_at=now, updated_at=now, roots=tuple(map(str, roots)))
        self._write()

    @property
    def current(self) -> RunStatus:
        return self._run

    def state(self, state: str) -> None:
        """starting, scanning, watching, stopping or stopped."""
        self._update(state=state)

    def saved(
        self, path: str | Path, session: str, version: int | None, events: int, at: datetime | None = None
    ) -> None:
        """A save was ingested: `events` appended (its session-saved event included)."""
        when = at or self._clock()
        with self._lock:
            run = self._run
            self._set(
                last_activity=when,
                last_save=LastSave(str(path), session, version, events, when),
                saves=run.saves + 1,
                events=run.events + events,
            )

    def rejected(self, path: str | Path, reason: str, events: int = 1, at: datetime | None = None) -> None:
        """A file was refused (recorded as `save-rejected`)."""
        when = at or self._clock()
        with self._lock:
            run = self._run
            self._set(
                last_activity=when,
                last_rejected=LastRejected(str(path), reason, when),
                rejected=run.rejected + 1,
                events=run.events + events,
            )

    def questions(self, count: int) -> None:
        """How many questions are open now."""
        self._update(open_questions=count)

    def judging_failed(self, message: str | None) -> None:
        """The justification run failed (`message`: its error line), or got through (None)."""
        if message != self._run.judging_error:
            self._update(judging_error=message)

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._set(**changes)

    def _set(self, **changes: Any) -> None:
        self._run = replace(self._run, updated_at=self._clock(), **changes)
        self._write()

    def _write(self) -> None:
        try:
            write_status(self._run, self.path)
        except OSError as exc:
            if not self._warned:
                log.warning("cannot write the status file %s: %s", self.path, exc)
                self._warned = True
