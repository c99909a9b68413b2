"""`tapeop watch`: ingest every save made in the watched folders, once it has settled.

A watchdog observer reports changes; its callbacks only queue paths (mkdocs' livereload). The
working loop (`Watcher.run`) takes each path through: queued -> pending -> settled -> hashed ->
read -> appended through the bulk pipeline's own functions (`daemon.ingest`). Rules, with their
sources (../shared/research/reliability-anchors.md, section 2):

- Events: created, modified, closed-after-write and the DESTINATION of a move, because an atomic
  save (Ardour, most editors) arrives as `FileMovedEvent(src=tmp, dest=real)` (pyscript#872).
  Deletions record nothing; a directory created or moved in is walked.
- What is watched (`is_watched`): discovery's session suffixes minus the backups (`.rpp-bak`,
  `.ardour.bak`); nothing under a backup folder (REAPER's `Backups/`, Ableton's `Backup/`,
  discover.BACKUP_FOLDERS); no hidden or partial name (starting with `.` or `~`: editor and sync
  temp files, `.goutputstream-*`); any other suffix (`.tmp`, `.pending`, `.bak`, `~`, `.part`) is
  ignored.
- Settling (Syncthing's aggregator): a path is looked at once it has had no event for its quiet
  period (`quiet_s`, default 2 s). It is stat'ed again; if its size, mtime or inode changed since
  its last event it waits again, and its quiet period doubles, up to `max(quiet, min(6 x quiet,
  60 s))`. It is hashed, read, and stat'ed once more: a file that changed while it was read is
  read again later (Syncthing's "changed during hashing").
- Content: a path whose size, mtime and inode are those of its last ingest is not read; content
  the session's log holds already (UNIQUE(session, sha256)) is hashed but not parsed.
- A file that fails to read is not rejected while it may still be being written: only once it has
  not changed for `confirm_s` (default 6 x quiet, at most 60 s) does it become a `save-rejected`
  event with its reason, so a half-written `.dawproject` (its ZIP directory comes last) is read
  again when complete. The next valid save of the file is ingested as usual.
- Reconciliation: at start-up every watched file is looked at once (what changed while tapeop
  was stopped: the latest state of each file; unchanged files emit nothing), oldest first. A full
  rescan runs every `rescan_s` (default 10 min) as the backstop for lost events.
- inotify limits: watchdog (>= 7.1) logs a queue overflow on `watchdog.observers.inotify_c` and
  rebuilds its watches, without telling handlers; older versions drop it silently (watchdog#654).
  The log record is caught here and answered by a full rescan after a quiet period. A watch limit
  (`OSError` ENOSPC or EMFILE, watchdog#673) or a tree with more folders than
  `max_user_watches` falls back to polling that root (`PollingObserverVFS` on `lstat`, which
  watchdog#409 recommends for network mounts, as `--poll` does).
- Links: no symbolic link to a folder is followed (inotify, polling and the scans alike), and a
  file is read only when its real path is inside its root, so loops and links out of the tree are
  never read.
- Who: each save carries `user_for(session file)`, asked at the time of the save.
- One watcher per database (`instance_lock`): flock(LOCK_EX|LOCK_NB) on a lock file beside the
  SQLite database (else in the data folder, named by a hash of the URL); the kernel releases it
  on any death, kill -9 included. SIGTERM and SIGINT (`stop_on_signals`) end the loop after the
  save in hand, whose transaction commits or rolls back as a whole.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import queue
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Literal

from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserverVFS

from daemon import config
from daemon.discover import BACKUP_FOLDERS, Candidate, session_name_of, session_suffix
from daemon.errors import AppError
from daemon.hashing import hash_file
from daemon.ingest import ReadResult, append_read, candidate_for, collect_less, parse_candidate
from daemon.store import Store

log = logging.getLogger("tapeop.watch")

DEFAULT_QUIET_S = 2.0
DEFAULT_RESCAN_S = 600.0
POLL_INTERVAL_S = 2.0
MAX_DELAY_S = 60.0  # Syncthing: a path that keeps changing waits up to 6x the delay, 60 s at most
DELAY_FACTOR = 6
HEARTBEAT_S = 0.5
OBSERVER_CHECK_S = 5.0
BACKUP_SUFFIXES = frozenset({".rpp-bak", ".ardour.bak"})
WATCHDOG_INOTIFY_LOGGER = "watchdog.observers.inotify_c"
EVENT_FILTER: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileClosedEvent,
    DirCreatedEvent,
    DirMovedEvent,
]

Sig = tuple[int, int, int, int]  # st_dev, st_ino, st_size, st_mtime_ns


def is_watched(path: Path, root: Path) -> bool:
    """Whether a save of `path` (inside `root`) is ingested: a live session file of a known suffix,
    not a backup, not hidden or partial, and under no backup folder."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    if not parts or any(p.startswith((".", "~")) or p == "__MACOSX" for p in parts):
        return False
    if any(p.casefold() in BACKUP_FOLDERS for p in parts[:-1]):
        return False
    suffix = session_suffix(parts[-1])
    return suffix is not None and suffix not in BACKUP_SUFFIXES


def _sig(st: os.stat_result) -> Sig:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _stat(path: str) -> os.stat_result | None:
    """The file's stat, following a link; None when it is gone or is not a regular file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def _inside(path: str, root: Path) -> bool:
    real = os.path.realpath(path)
    return real.startswith(str(root) + os.sep)


@dataclass(frozen=True)
class Outcome:
    """What one settled save gave: `saved` (a session-saved batch), `rejected` (a save-rejected
    event) or `unchanged` (content already in the log: nothing appended)."""

    path: Path
    session: str
    sha256: str
    kind: Literal["saved", "rejected", "unchanged"]
    version: int | None = None
    positions: tuple[int, ...] = ()
    changes: int = 0
    reason: str | None = None


@dataclass
class WatchStats:
    saves: int = 0
    rejected: int = 0
    unchanged: int = 0
    scans: int = 0
    last: Outcome | None = None


@dataclass
class _Pending:
    """A path that changed and has not been ingested since."""

    path: str
    root: Path
    changed_at: float  # monotonic time of its last change seen (mapped from mtime for a scan)
    sig: Sig
    delay: float
    due: float = 0.0
    failed: tuple[Sig, ReadResult] | None = None  # the content that could not be read, not yet rejected

    def changed(self, sig: Sig, at: float, grow: bool = False, cap: float = MAX_DELAY_S) -> None:
        if grow:
            self.delay = min(cap, self.delay * 2)
        self.sig, self.changed_at, self.due = sig, at, at + self.delay


class _QueuePaths(FileSystemEventHandler):
    """The observer's callback: queue the path, nothing else (runs on watchdog's thread)."""

    def __init__(self, paths: queue.SimpleQueue[str | None]) -> None:
        self.paths = paths

    def dispatch(self, event: FileSystemEvent) -> None:
        if event.event_type == "moved":
            path = event.dest_path
        elif event.is_directory and event.event_type != "created":
            return
        else:
            path = event.src_path
        self.paths.put(os.fsdecode(path))


class _OverflowAlarm(logging.Handler):
    """watchdog reports an inotify queue overflow only as a warning on its logger: raise the alarm."""

    def __init__(self, alarm: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self.alarm = alarm

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.alarm("inotify queue overflow (events were lost)")


@contextlib.contextmanager
def _overflow_alarm(alarm: Callable[[str], None]) -> Iterator[None]:
    logger = logging.getLogger(WATCHDOG_INOTIFY_LOGGER)
    handler = _OverflowAlarm(alarm)
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _inotify_watch_limit() -> int | None:
    try:
        return int(Path("/proc/sys/fs/inotify/max_user_watches").read_text())
    except (OSError, ValueError):
        return None


def scan_tree(top: Path, root: Path) -> tuple[list[tuple[str, os.stat_result]], int]:
    """The watched files under `top` (in `root`) with their stat, and the number of folders walked.
    Links to folders are not followed; a link to a file only when it stays inside the root."""
    found: list[tuple[str, os.stat_result]] = []
    folders = 0
    stack = [str(top)]
    while stack:
        folder = stack.pop()
        folders += 1
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            log.warning("cannot list %s (%s)", folder, exc.strerror or exc)
            continue
        for entry in entries:
            if entry.name.startswith((".", "~")) or entry.name == "__MACOSX":
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name.casefold() not in BACKUP_FOLDERS:
                        stack.append(entry.path)
                    continue
                if not is_watched(Path(entry.path), root):
                    continue
                if entry.is_symlink() and not _inside(entry.path, root):
                    continue
                st = _stat(entry.path)
            except OSError:
                continue
            if st is not None:
                found.append((entry.path, st))
    return found, folders


class Watcher:
    """Watches `roots` and appends every settled save to `store`.

    Hooks, for the service: `on_ingested(path, outcome)` after each settled save (saved, rejected
    or unchanged); `heartbeat()` from the working loop at least every second while it waits, and
    between files (systemd WATCHDOG pings); `on_ready()` once the observers run and the start-up
    scan is queued. `run()` blocks until `stop()` (any thread, or a signal: `stop_on_signals`)."""

    def __init__(
        self,
        roots: Sequence[Path],
        store: Store,
        user_for: Callable[[Path], str],
        *,
        quiet_s: float = DEFAULT_QUIET_S,
        poll: bool = False,
        poll_interval_s: float = POLL_INTERVAL_S,
        rescan_s: float = DEFAULT_RESCAN_S,
        confirm_s: float | None = None,
        on_ingested: Callable[[Path, Outcome], None] | None = None,
        heartbeat: Callable[[], object] | None = None,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        self.roots = [Path(os.path.realpath(r)) for r in roots]
        self.store = store
        self.user_for = user_for
        self.quiet_s = quiet_s
        self.poll = poll
        self.poll_interval_s = poll_interval_s
        self.rescan_s = rescan_s
        self.max_delay_s = max(quiet_s, min(DELAY_FACTOR * quiet_s, MAX_DELAY_S))
        self.confirm_s = self.max_delay_s if confirm_s is None else confirm_s
        self.on_ingested = on_ingested
        self.heartbeat = heartbeat
        self.on_ready = on_ready
        self.stats = WatchStats()
        self.polled: set[Path] = set()  # roots watched by polling
        self._paths: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._rescan_asked: str | None = None  # set from watchdog's thread: a reason
        self._rescan_at: float | None = None
        self._pending: dict[str, _Pending] = {}
        self._done: dict[str, tuple[Sig, str]] = {}  # path -> (stat, sha256) of its last ingest
        self._names: dict[str, str] = {}  # path -> session
        self._observers: dict[Path, BaseObserver] = {}

    # -- control ---------------------------------------------------------------------------
    def stop(self, why: str = "asked to stop") -> None:
        """End `run()` after the save in hand (callable from any thread or a signal handler)."""
        if not self._stopping.is_set():
            log.info("stopping: %s", why)
        self._stopping.set()
        self._paths.put(None)

    def request_rescan(self, reason: str) -> None:
        """A full rescan of the roots, a quiet period from now (callable from any thread)."""
        self._rescan_asked = reason
        self._paths.put(None)

    def run(self) -> None:
        with _overflow_alarm(self.request_rescan):
            try:
                for root in self.roots:
                    self._observe(root, polling=self.poll)
                self._scan("start-up reconciliation")
                log.info("watching %s", ", ".join(f"{r} ({self._mode(r)})" for r in self.roots))
                if self.on_ready is not None:
                    self.on_ready()
                self._loop()
            finally:
                self._stop_observers()
        log.info("stopped")

    def _loop(self) -> None:
        next_rescan = time.monotonic() + self.rescan_s
        next_check = time.monotonic() + OBSERVER_CHECK_S
        while not self._stopping.is_set():
            self._beat()
            self._drain(self._wait_s())
            now = time.monotonic()
            self._process_due(now)
            if self._rescan_asked is not None and self._rescan_at is None:
                self._rescan_at = now + self.quiet_s
            if (self._rescan_at is not None and now >= self._rescan_at) or now >= next_rescan:
                reason = self._rescan_asked or "periodic rescan"
                self._rescan_asked = self._rescan_at = None
                self._scan(reason)
                next_rescan = time.monotonic() + self.rescan_s
            if now >= next_check:
                self._check_observers()
                next_check = now + OBSERVER_CHECK_S

    def _wait_s(self) -> float:
        wake = time.monotonic() + HEARTBEAT_S
        if self._pending:
            wake = min(wake, min(p.due for p in self._pending.values()))
        if self._rescan_at is not None:
            wake = min(wake, self._rescan_at)
        return max(0.0, wake - time.monotonic())

    def _beat(self) -> None:
        if self.heartbeat is not None:
            try:
                self.heartbeat()
            except Exception:
                log.exception("the heartbeat hook failed")

    # -- observers ---------------------------------------------------------------------------
    def _mode(self, root: Path) -> str:
        return "polling" if root in self.polled else "file events"

    def _observe(self, root: Path, polling: bool) -> None:
        observer: BaseObserver
        if polling:
            observer = PollingObserverVFS(os.lstat, os.scandir, polling_interval=self.poll_interval_s)
        else:
            observer = Observer()
        observer.schedule(_QueuePaths(self._paths), str(root), recursive=True, event_filter=EVENT_FILTER)
        try:
            observer.start()
        except OSError as exc:
            if polling:
                raise AppError(f"cannot watch {root} ({exc.strerror or exc})", "check the folder") from None
            limit = "watch limit" if exc.errno in (errno.ENOSPC, errno.EMFILE) else "cannot watch"
            log.warning("%s for %s (%s): polling it instead", limit, root, exc.strerror or exc)
            self._observe(root, polling=True)
            return
        self._observers[root] = observer
        if polling:
            self.polled.add(root)

    def _fall_back_to_polling(self, root: Path, why: str) -> None:
        log.warning("%s: polling %s instead", why, root)
        old = self._observers.pop(root, None)
        if old is not None:
            old.stop()
            old.join(timeout=5)
        self._observe(root, polling=True)
        self.request_rescan(f"{root} now polled")

    def _check_observers(self) -> None:
        for root, observer in list(self._observers.items()):
            if not observer.is_alive() or not all(e.is_alive() for e in observer.emitters):
                if root in self.polled:
                    log.warning("the poller of %s died: restarting it", root)
                    self.polled.discard(root)
                    self._observers.pop(root)
                    self._observe(root, polling=True)
                else:
                    self._fall_back_to_polling(root, "the file-event watcher died")

    def _stop_observers(self) -> None:
        for observer in self._observers.values():
            observer.stop()
        for observer in self._observers.values():
            observer.join(timeout=5)
        self._observers.clear()

    # -- queue and scans ---------------------------------------------------------------------
    def _drain(self, timeout: float) -> None:
        try:
            first = self._paths.get(timeout=timeout)
        except queue.Empty:
            return
        paths = {first}
        with contextlib.suppress(queue.Empty):
            while len(paths) < 100_000:
                paths.add(self._paths.get_nowait())
        now = time.monotonic()
        for path in sorted(p for p in paths if p is not None):
            self._note_event(path, now)

    def _root_of(self, path: str) -> Path | None:
        inside = [r for r in self.roots if path.startswith(str(r) + os.sep)]
        return max(inside, key=lambda r: len(r.parts)) if inside else None

    def _note_event(self, path: str, now: float) -> None:
        root = self._root_of(path)
        if root is None:
            return
        with contextlib.suppress(OSError):
            if stat.S_ISDIR(os.lstat(path).st_mode):  # a folder created or moved in: what it holds
                parts = Path(path).relative_to(root).parts
                if not any(p.startswith((".", "~")) or p.casefold() in BACKUP_FOLDERS for p in parts):
                    for file, file_st in scan_tree(Path(path), root)[0]:
                        self._note(file, root, file_st, now)
                return
        if not is_watched(Path(path), root):
            return
        st = _stat(path)
        if st is not None:
            self._note(path, root, st, now)
        elif path in self._pending:
            self._pending[path].due = now + self._pending[path].delay

    def _note(self, path: str, root: Path, st: os.stat_result, changed_at: float) -> None:
        pending = self._pending.get(path)
        if pending is None:
            self._pending[path] = pending = _Pending(path, root, changed_at, _sig(st), self.quiet_s)
        pending.changed(_sig(st), changed_at)

    def _scan(self, reason: str) -> None:
        """Look at every watched file under the roots; what changed since its last ingest (or was
        never ingested) becomes pending, its quiet period counted from its mtime."""
        self.stats.scans += 1
        started = time.monotonic()
        noted = 0
        limit = _inotify_watch_limit()
        seen: set[str] = set()
        for root in self.roots:
            found, folders = scan_tree(root, root)
            if limit is not None and folders >= limit and root not in self.polled and not self.poll:
                self._fall_back_to_polling(root, f"watch limit: {folders} folders, max_user_watches is {limit}")
            now, wall = time.monotonic(), time.time()
            for path, st in sorted(found, key=lambda f: (f[1].st_mtime_ns, f[0])):
                seen.add(path)
                done = self._done.get(path)
                if (done is not None and done[0] == _sig(st)) or path in self._pending:
                    continue
                self._note(path, root, st, now - max(0.0, wall - st.st_mtime))
                noted += 1
        self._done = {p: d for p, d in self._done.items() if p in seen}
        log.info("%s: %d file(s) to look at (%.2f s)", reason, noted, time.monotonic() - started)

    # -- settling and ingesting --------------------------------------------------------------
    def _process_due(self, now: float) -> None:
        due = sorted((p for p in self._pending.values() if p.due <= now), key=lambda p: (p.changed_at, p.path))
        for pending in due:
            if self._stopping.is_set():
                return
            try:
                with collect_less():  # bulk ingest's GC thresholds: a large session reads ~1.5x faster
                    self._look(pending)
            except Exception:  # a bad file or a store failure must not stop the watcher
                log.exception("could not ingest %s; will try again", pending.path)
                pending.changed(pending.sig, time.monotonic(), grow=True, cap=MAX_DELAY_S)
            self._beat()

    def _settled(self, pending: _Pending) -> os.stat_result | None:
        """The file's stat if it has not changed since it was last seen; else it waits again."""
        st = _stat(pending.path)
        if st is None:  # moved away or deleted: nothing to record
            self._pending.pop(pending.path, None)
            return None
        if _sig(st) != pending.sig:
            pending.changed(_sig(st), time.monotonic(), grow=True, cap=self.max_delay_s)
            return None
        return st

    def _look(self, pending: _Pending) -> None:
        st = self._settled(pending)
        if st is None:
            return
        path, sig = pending.path, _sig(st)
        if not _inside(path, pending.root):
            log.warning("%s leads outside %s: not read", path, pending.root)
            self._pending.pop(path, None)
            return
        done = self._done.get(path)
        if done is not None and done[0] == sig:
            self._pending.pop(path, None)
            return
        if pending.failed is not None and pending.failed[0] == sig:
            self._conclude(pending, sig, pending.failed[1])
            return
        try:
            sha, size = hash_file(path)
        except FileNotFoundError:
            self._pending.pop(path, None)
            return
        except OSError as exc:
            log.warning("cannot read %s (%s): trying again later", path, exc.strerror or exc)
            pending.changed(sig, time.monotonic(), grow=True, cap=MAX_DELAY_S)
            return
        if self._settled(pending) is None:
            return
        session = self._session_name(path)
        if (done is not None and done[1] == sha) or self.store.known(session, sha):
            self._finish(pending, sig, Outcome(Path(path), session, sha, "unchanged"))
            return
        candidate = candidate_for(Path(path), session)
        if candidate is None:
            pending.changed(sig, time.monotonic(), grow=True, cap=self.max_delay_s)
            return
        result = parse_candidate(candidate, sha, size)
        if self._settled(pending) is None:
            return
        self._conclude(pending, sig, result, candidate)

    def _conclude(self, pending: _Pending, sig: Sig, result: ReadResult, candidate: Candidate | None = None) -> None:
        path = pending.path
        unchanged_for = time.monotonic() - pending.changed_at
        if result.session is None and unchanged_for < self.confirm_s:
            if pending.failed is None:
                log.info("%s cannot be read yet (%s): looking again once it has settled", path, result.reason)
            pending.failed = (sig, result)
            pending.due = pending.changed_at + self.confirm_s
            return
        session = self._session_name(path)
        candidate = candidate or candidate_for(Path(path), session)
        if candidate is None:
            pending.changed(sig, time.monotonic(), grow=True, cap=self.max_delay_s)
            return
        appended = append_read(self.store, candidate, result, self.user_for(Path(path)))
        kind: Literal["saved", "rejected", "unchanged"] = (
            "unchanged" if appended.duplicate else "rejected" if result.session is None else "saved"
        )
        outcome = Outcome(
            Path(path), session, result.sha256, kind, appended.version, appended.positions, appended.changes,
            result.reason if result.session is None else None,
        )  # fmt: skip
        self._finish(pending, sig, outcome)

    def _finish(self, pending: _Pending, sig: Sig, outcome: Outcome) -> None:
        self._pending.pop(pending.path, None)
        self._done[pending.path] = (sig, outcome.sha256)
        if outcome.kind == "saved":
            self.stats.saves += 1
            log.info("%s: %s v%s, %d change(s)", outcome.path, outcome.session, outcome.version, outcome.changes)
        elif outcome.kind == "rejected":
            self.stats.rejected += 1
            log.warning("%s: rejected: %s", outcome.path, outcome.reason)
        else:
            self.stats.unchanged += 1
            log.debug("%s: no new content", outcome.path)
        self.stats.last = outcome
        if self.on_ingested is not None:
            try:
                self.on_ingested(outcome.path, outcome)
            except Exception:
                log.exception("the on_ingested hook failed")

    def _session_name(self, path: str) -> str:
        """The session a file belongs to: the one it was recorded under; else the one a file of
        the same session in its folder was; else its name, with its folder's name added (as
        discovery does) when another folder's session holds that name already."""
        name = self._names.get(path)
        if name is not None:
            return name
        name = self.store.session_of_files([path])
        if name is None:
            file = Path(path)
            plain = session_name_of(file.name)
            siblings = [
                str(p)
                for p in file.parent.iterdir()
                if session_suffix(p.name) and session_name_of(p.name).casefold() == plain.casefold()
            ]
            name = self.store.session_of_files(siblings)
            if name is None:
                name = plain
                if self._taken(plain):
                    name = f"{plain} ({file.parent.name})"
                    if self._taken(name):
                        name = f"{plain} ({file.parent})"
        self._names[path] = name
        return name

    def _taken(self, session: str) -> bool:
        events = self.store.events(session=session)
        try:
            return next(events, None) is not None
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()


# -- one instance per database, and signals -------------------------------------------------


@dataclass
class InstanceLock:
    """An flock held on `path` for the life of this process (released on any death)."""

    path: Path
    fd: int = field(repr=False)

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def lock_path(url: str) -> Path:
    """The lock file of a database: beside an SQLite file, else in the data folder."""
    if url.startswith("sqlite") and "///" in url:
        db = url.split("///", 1)[1].split("?", 1)[0]
        if db and db != ":memory:":
            file = Path(db)
            return file.with_name(file.name + ".watch.lock")
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return config.data_dir() / "locks" / f"watch-{digest}.lock"


def status_path(url: str) -> Path:
    """The status file of a database's watcher (what `tapeop service status` reads), beside its lock."""
    return lock_path(url).with_suffix(".json")


@contextlib.contextmanager
def instance_lock(url: str) -> Iterator[InstanceLock]:
    """Hold the database's watcher lock, or raise AppError("already running (pid N)")."""
    path = lock_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise AppError(f"cannot lock {path} ({exc.strerror or exc})", "check the folder's permissions") from None
        raise AppError(
            f"already running (pid {_holder(path)})",
            f"one tapeop watch per database; stop that one first, or give another --db (lock: {path})",
        ) from None
    lock = InstanceLock(path, fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield lock
    finally:
        lock.release()


def _holder(path: Path) -> str:
    """The pid written by the lock's holder (it writes it right after locking)."""
    for _ in range(20):
        with contextlib.suppress(OSError, ValueError):
            return str(int(path.read_text().strip()))
        time.sleep(0.05)
    return "unknown"


def stop_on_signals(watcher: Watcher) -> None:
    """SIGTERM and SIGINT stop the watcher after the save in hand (main thread only)."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        watcher.stop(f"signal {signal.Signals(signum).name}")

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
