"""`tapeop watch [PATH...]`: the service in the foreground, wired to the config file, the log files,
systemd's notifications, the status file and the down-time scheduler."""

from __future__ import annotations

import argparse
import logging
import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from daemon import config
from daemon.cli.common import Parents
from daemon.errors import AppError, error_line

if TYPE_CHECKING:
    from daemon.log.store import Store
    from daemon.service import heap
    from daemon.service.status import StatusWriter

log = logging.getLogger("tapeop.watch")


def add_parser(commands: argparse._SubParsersAction, parents: Parents) -> None:
    watch = commands.add_parser(
        "watch",
        parents=[parents.db_user],
        help="watch session folders and ingest every save (the daemon, in the foreground)",
    )
    watch.add_argument("paths", nargs="*", metavar="PATH", help="folders to watch (default: the config file's roots)")
    watch.add_argument("--poll", action="store_true", help="poll instead of file events (network drives)")
    watch.add_argument(
        "--quiet", type=float, metavar="SECONDS", help="how long a file must rest before it is read (default 2)"
    )
    watch.add_argument(
        "--rescan", type=float, metavar="SECONDS", help="full rescan interval, the backstop (default 600)"
    )
    watch.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """The service in the foreground: watch session folders and ingest every save once it has
    settled, until SIGTERM or Ctrl-C. Wires the watcher to the config file (roots bound to
    engineers, timings), the log files, systemd's notifications, the status file `service status`
    reads, and the down-time scheduler."""
    from daemon.log.store import Store
    from daemon.service import heap, logs
    from daemon.service.lock import instance_lock, seen_path, status_path, stop_on_signals
    from daemon.service.notify import Notifier
    from daemon.service.scheduler import Scheduler
    from daemon.service.status import StatusWriter
    from daemon.service.watcher import Outcome, Watcher

    settings = config.load_config()
    roots, quiet, rescan = _watch_options(args, settings)
    log_file = logs.setup_logging(args.verbose)
    url = config.db_url(args.db)
    with instance_lock(url), Notifier.from_env(unset=True) as notifier:
        status = StatusWriter(roots, status_path(url))
        # The after-save jobs (justification) run once no save has come for a quiet period.
        scheduler = Scheduler(idle_after=settings.watch.idle_seconds, settle_s=quiet)
        store = Store.open(url)
        processors = Store.open(url)  # the scheduler's thread has a store of its own
        idle = heap.WhenIdle()  # the heap goes back to the system once saves and judging pause
        scheduler.after_save("justify", _judging(processors, idle, status, scheduler.stopping))
        scheduler.on_downtime("questions", _down_time(processors, status, settings, args.user))

        def ingested(path: Path, outcome: Outcome) -> None:
            if outcome.kind == "saved":
                status.saved(path, outcome.session, outcome.version, len(outcome.positions))
                scheduler.saved(_mtime(path))
            elif outcome.kind == "rejected":
                status.rejected(path, outcome.reason or "", len(outcome.positions))

        def ready() -> None:
            scheduler.catch_up()  # judging a stop left unfinished goes on now, not at the next save
            status.state("watching")
            notifier.ready(f"watching {len(roots)} folder(s); log: {log_file}")

        try:
            status.state("scanning")
            scheduler.start()
            watcher = Watcher(
                roots,
                store,
                lambda path: settings.engineer_for(path, args.user),
                quiet_s=quiet,
                poll=args.poll,
                rescan_s=rescan,
                on_ingested=ingested,
                heartbeat=notifier.ping,
                on_ready=ready,
                idle=idle,
                seen_file=seen_path(url),
            )
            stop_on_signals(watcher)
            watcher.run()
        finally:
            notifier.stopping()
            status.state("stopping")
            scheduler.shutdown()
            processors.close()
            store.close()
            status.state("stopped")
    return 0


def _watch_options(args: argparse.Namespace, settings: config.Config) -> tuple[list[Path], float, float]:
    """The folders to watch and the quiet and rescan periods: the arguments', else the config's."""
    roots = [Path(p).expanduser() for p in args.paths] or [root.path for root in settings.watch.roots]
    if not roots:
        raise AppError(
            "no folders to watch", f"give them as arguments, or as [[watch.roots]] in {config.config_file()}"
        )
    for root in roots:
        if not root.is_dir():
            raise AppError(f"{root}: no such folder", "give the folders where the DAW saves its sessions")
    quiet = settings.watch.quiet_seconds if args.quiet is None else args.quiet
    rescan = settings.watch.rescan_seconds if args.rescan is None else args.rescan
    if not (math.isfinite(quiet) and math.isfinite(rescan) and quiet > 0 and rescan > 0):
        raise AppError("--quiet and --rescan must be positive numbers of seconds", "for example --quiet 2")
    return roots, quiet, rescan


def _judging(
    processors: Store, idle: heap.WhenIdle, status: StatusWriter, stopping: threading.Event
) -> Callable[[], None]:
    """The service's justification job: it keeps hashes and measurements from one save's
    judging to the next (AudioMemory), stops measuring once the service is stopping (the next run
    goes on from there), marks its work for the heap's give-back, and records a failure (the save
    and event it stopped at) in the status file that `tapeop service status` shows, until a run
    gets through."""
    from profiles.justify.audio import AudioMemory
    from profiles.justify.processor import justify

    memory = AudioMemory()

    def judge() -> None:
        log.info("judging the changes of the latest saves")
        try:
            appended = justify(processors, memory=memory, stop=stopping)
            log.info(
                "judged: %d verdict(s)%s",
                appended,
                " (stopped: the rest at the next start)" if stopping.is_set() else "",
            )
        except AppError as exc:
            log.error("judging: %s", error_line(exc))
            status.judging_failed(error_line(exc))
        else:
            status.judging_failed(None)
            _count_questions(processors, status)
        finally:
            idle.worked()

    return judge


def _count_questions(processors: Store, status: StatusWriter) -> None:
    """The open questions of everyone, for `tapeop service status`, after each judging run."""
    from profiles.questions.ask import load

    try:
        status.questions(len(load(processors).open()))
    except AppError as exc:
        log.error("questions: %s", error_line(exc))


def _down_time(
    processors: Store, status: StatusWriter, settings: config.Config, user: str | None
) -> Callable[[], None]:
    """The service's down-time hook: record the down-time (questions answered `later` come back),
    count the open questions for the status file, and offer the best `per_break` of them in a
    desktop notification, where the platform shows one."""
    from daemon.service.desktop import notify, questions_message
    from profiles.questions.ask import down_time, mark_asked, open_questions

    def ask() -> None:
        engineer = config.current_user(user)
        try:
            down_time(processors, engineer, settings.watch.idle_minutes)
            waiting = open_questions(processors, engineer)
        except AppError as exc:
            log.error("questions: %s", error_line(exc))
            return
        status.questions(len(waiting))
        offered = waiting[: settings.questions.per_break]
        log.info("down-time: %d open question(s), %d offered", len(waiting), len(offered))
        if offered and notify(*questions_message(len(offered), [q.session for q in offered])):
            mark_asked(processors, offered)  # shown in the notification: asked

    return ask


def _mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None
