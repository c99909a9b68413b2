"""`tapeop watch`: ingest every save made in the watched folders, once it has settled.

A watchdog observer reports changes; its callbacks only queue paths (mkdocs' livereload). The
working loop (`Watcher.run`) takes each path through: queued -> pending -> settled -> hashed ->
read -> appended through the bulk pipeline's own functions (`daemon.ingest.bulk`). Which paths are
watched and when one has settled: `daemon.service.settle`; inotify's limits: `daemon.service.inotify`;
one watcher per database, and the signals that stop it: `daemon.service.lock`. Rules, with their
sources (../shared/research/reliability-anchors.md, section 2):

- Events: created, modified, closed-after-write and the DESTINATION of a move, because an atomic
  save (Ardour, most editors) arrives as `FileMovedEvent(src=tmp, dest=real)` (pyscript#872).
  Deletions record nothing; a directory created or moved in is walked.
- Content: a path whose size, mtime and inode are those of its last ingest is not read; one whose
  content is that of its last ingest (touched, not changed), or a save the log holds already
  (the same name, save time and content: another service on the same database got it first), is
  hashed but not parsed. The same content saved again later (an undo) is a new save.
- A file that fails to read is not rejected while it may still be being written: only once it has
  not changed for `confirm_s` (default 6 x quiet, at most 60 s) does it become a `save-rejected`
  event with its reason, so a half-written `.dawproject` (its ZIP directory comes last) is read
  again when complete. The next valid save of the file is ingested as usual.
- Reconciliation: at start-up every watched file is looked at once (what changed while tapeop
  was stopped: the latest state of each file; unchanged files emit nothing), oldest first; a
  file whose stat is the one it had at its last ingest, remembered across restarts
  (`daemon.service.seen`), is not read. A full rescan runs every `rescan_s` (default 10 min) as the
  backstop for lost events.
- Memory: once saves have paused for a minute, the heap's free pages go back to the system
  (`daemon.service.heap`).
- inotify limits: a queue overflow (seen on watchdog's log) is answered by a full rescan after a
  quiet period. A watch limit (`OSError` ENOSPC or EMFILE, watchdog#673) or a tree with more
  folders than `max_user_watches` falls back to polling that root (`PollingObserverVFS` on
  `lstat`, which watchdog#409 recommends for network mounts, as `--poll` does).
- Links: no symbolic link to a folder is followed (inotify, polling and the scans alike), and a
  file is read only when its real path is inside its root, so loops and links out of the tree are
  never read.
- Who: each save carries `user_for(session file)`, asked at the time of the save.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import queue
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
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

from daemon.errors import AppError
from daemon.files import hash_file
from daemon.formats import READER_VERSION
from daemon.formats.suffixes import is_backup_folder
from daemon.ingest.append import append_read, save_info
from daemon.ingest.discover import Candidate
from daemon.ingest.read import ReadResult, candidate_for, collect_less, parse_candidate
from daemon.log.store import Store
from daemon.service import heap
from daemon.service.inotify import inotify_watch_limit, overflow_alarm
from daemon.service.seen import SAVE_EVERY_S, load_seen, save_seen
from daemon.service.session_names import SessionNames
from daemon.service.settle import (
    DEFAULT_QUIET_S,
    MAX_DELAY_S,
    Pending,
    Sig,
    inside_root,
    is_watched,
    max_delay_s,
    regular_stat,
    scan_tree,
    signature,
)

log = logging.getLogger("tapeop.watch")

DEFAULT_RESCAN_S = 600.0
POLL_INTERVAL_S = 2.0
HEARTBEAT_S = 0.5
OBSERVER_CHECK_S = 5.0
EVENT_FILTER: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileClosedEvent,
    DirCreatedEvent,
    DirMovedEvent,
]


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
        idle: heap.WhenIdle | None = None,
        seen_file: Path | None = None,
    ) -> None:
        self.roots = [Path(os.path.realpath(r)) for r in roots]
        self.store = store
        self.user_for = user_for
        self.quiet_s = quiet_s
        self.poll = poll
        self.poll_interval_s = poll_interval_s
        self.rescan_s = rescan_s
        self.max_delay_s = max_delay_s(quiet_s)
        self.confirm_s = self.max_delay_s if confirm_s is None else confirm_s
        self.on_ingested = on_ingested
        self.heartbeat = heartbeat
        self.on_ready = on_ready
        self.idle = heap.WhenIdle() if idle is None else idle
        self.seen_file = seen_file  # what was ingested, kept across restarts (daemon.service.seen)
        self._seen_dirty = False
        self._seen_saved_at = time.monotonic()
        self.stats = WatchStats()
        self.polled: set[Path] = set()  # roots watched by polling
        self._paths: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._rescan_asked: str | None = None  # set from watchdog's thread: a reason
        self._rescan_at: float | None = None
        self._pending: dict[str, Pending] = {}
        self._done: dict[str, tuple[Sig, str]] = {}  # path -> (stat, sha256) of its last ingest
        self._session_names = SessionNames(store)
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
        with overflow_alarm(self.request_rescan):
            try:
                for root in self.roots:
                    self._observe(root, polling=self.poll)
                if self.seen_file is not None:
                    self._done.update(load_seen(self.seen_file, self.store.contents(), READER_VERSION))
                self._scan("start-up reconciliation")
                log.info("watching %s", ", ".join(f"{r} ({self._mode(r)})" for r in self.roots))
                if self.on_ready is not None:
                    self.on_ready()
                self._loop()
            finally:
                self._stop_observers()
                self._save_seen()
        log.info("stopped")

    def _loop(self) -> None:
        next_rescan = time.monotonic() + self.rescan_s
        next_check = time.monotonic() + OBSERVER_CHECK_S
        while not self._stopping.is_set():
            self._beat()
            self._drain(self._wait_s())
            now = time.monotonic()
            self._process_due(now)
            self.idle.tick()  # the heap back to the system once saves have paused (daemon.service.heap)
            if self._seen_dirty and now - self._seen_saved_at >= SAVE_EVERY_S:
                self._save_seen()
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

    def _save_seen(self) -> None:
        if self.seen_file is not None and self._seen_dirty:
            save_seen(self.seen_file, self._done, READER_VERSION)
        self._seen_dirty = False
        self._seen_saved_at = time.monotonic()

    def _wait_s(self) -> float:
        wake = time.monotonic() + HEARTBEAT_S
        if self._pending:
            wake = min(wake, min(p.due_s for p in self._pending.values()))
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
                if not any(p.startswith((".", "~")) or is_backup_folder(p) for p in parts):
                    for file, file_st in scan_tree(Path(path), root)[0]:
                        self._note(file, root, file_st, now)
                return
        if not is_watched(Path(path), root):
            return
        st = regular_stat(path)
        if st is not None:
            self._note(path, root, st, now)
        elif path in self._pending:
            self._pending[path].due_s = now + self._pending[path].delay_s

    def _note(self, path: str, root: Path, st: os.stat_result, changed_at: float) -> None:
        pending = self._pending.get(path)
        if pending is None:
            self._pending[path] = pending = Pending(path, root, changed_at, signature(st), self.quiet_s)
        pending.changed(signature(st), changed_at)

    def _scan(self, reason: str) -> None:
        """Look at every watched file under the roots; what changed since its last ingest (or was
        never ingested) becomes pending, its quiet period counted from its mtime."""
        self.stats.scans += 1
        started = time.monotonic()
        noted = 0
        limit = inotify_watch_limit()
        seen: set[str] = set()
        for root in self.roots:
            found, folders = scan_tree(root, root)
            if limit is not None and folders >= limit and root not in self.polled and not self.poll:
                self._fall_back_to_polling(root, f"watch limit: {folders} folders, max_user_watches is {limit}")
            now, wall = time.monotonic(), time.time()
            for path, st in sorted(found, key=lambda f: (f[1].st_mtime_ns, f[0])):
                seen.add(path)
                done = self._done.get(path)
                if (done is not None and done[0] == signature(st)) or path in self._pending:
                    continue
                self._note(path, root, st, now - max(0.0, wall - st.st_mtime))
                noted += 1
        kept = {p: d for p, d in self._done.items() if p in seen}
        self._seen_dirty |= len(kept) != len(self._done)
        self._done = kept
        log.info("%s: %d file(s) to look at (%.2f s)", reason, noted, time.monotonic() - started)

    # -- settling and ingesting --------------------------------------------------------------
    def _process_due(self, now: float) -> None:
        due = sorted((p for p in self._pending.values() if p.due_s <= now), key=lambda p: (p.changed_at, p.path))
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
        if due:
            self.idle.worked()

    def _settled(self, pending: Pending) -> os.stat_result | None:
        """The file's stat if it has not changed since it was last seen; else it waits again."""
        st = regular_stat(pending.path)
        if st is None:  # moved away or deleted: nothing to record
            self._pending.pop(pending.path, None)
            return None
        if signature(st) != pending.sig:
            pending.changed(signature(st), time.monotonic(), grow=True, cap=self.max_delay_s)
            return None
        return st

    def _look(self, pending: Pending) -> None:
        st = self._settled(pending)
        if st is None:
            return
        path, sig = pending.path, signature(st)
        if not inside_root(path, pending.root):
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
        session = self._session_names.of(path)
        if done is not None and done[1] == sha:  # touched, not changed
            self._finish(pending, sig, Outcome(Path(path), session, sha, "unchanged"))
            return
        candidate = candidate_for(Path(path), session)
        if candidate is None:
            pending.changed(sig, time.monotonic(), grow=True, cap=self.max_delay_s)
            return
        if self.store.recorded(save_info(candidate, sha, size, self.user_for(Path(path)))):  # another service's
            self._finish(pending, sig, Outcome(Path(path), session, sha, "unchanged"))
            return
        result = parse_candidate(candidate, sha, size)
        if self._settled(pending) is None:
            return
        self._conclude(pending, sig, result, candidate)

    def _conclude(self, pending: Pending, sig: Sig, result: ReadResult, candidate: Candidate | None = None) -> None:
        path = pending.path
        unchanged_for = time.monotonic() - pending.changed_at
        if result.session is None and unchanged_for < self.confirm_s:
            if pending.failed is None:
                log.info("%s cannot be read yet (%s): looking again once it has settled", path, result.reason)
            pending.failed = (sig, result)
            pending.due_s = pending.changed_at + self.confirm_s
            return
        session = self._session_names.of(path)
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
        if kind == "saved" and result.session is not None:
            for problem in result.session.problems:  # in the log too, with the save (its session-saved event)
                log.warning("%s: read past a problem: %s", path, problem)
        self._finish(pending, sig, outcome)

    def _finish(self, pending: Pending, sig: Sig, outcome: Outcome) -> None:
        self._pending.pop(pending.path, None)
        self._done[pending.path] = (sig, outcome.sha256)
        self._seen_dirty = True
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
