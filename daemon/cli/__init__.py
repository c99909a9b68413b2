"""The `tapeop` command line: the composition root, and the one error boundary.

Every command's errors that a user can act on are `AppError`s; here they become one line,
`error: ...`, plus a hint, on stderr, and exit code 1. Tracebacks are shown only with --verbose.
Usage errors exit 2 (argparse).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daemon import __version__, config
from daemon.errors import AppError, one_line
from daemon.formats import read_session
from daemon.log.events import CHANGE_TYPES, JUDGED_TYPES, VERDICT_TYPES
from daemon.sessions.changes import Change
from daemon.sessions.diff import diff

if TYPE_CHECKING:  # the store pulls in SQLAlchemy: imported by the commands that use it
    from daemon.log.records import LoggedEvent
    from daemon.log.store import Store
    from daemon.service import heap


def _print_changes(changes: list[Change], as_json: bool) -> None:
    for change in changes:
        if as_json:
            print(json.dumps({"type": change.type, **change.payload()}, allow_nan=False, ensure_ascii=False))
        else:
            print(f"  {change.describe()}")


def _open_store(args: argparse.Namespace) -> Store:
    from daemon.log.store import Store

    return Store.open(config.db_url(args.db))


def _progress(enabled: bool, label: str) -> tuple[Callable[[int, int, str], None] | None, Callable[[], None]]:
    """A progress bar on a terminal (rich), nothing otherwise."""
    if not enabled:
        return None, lambda: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
        transient=True,
    )
    task = bar.add_task("", total=None)
    bar.start()

    def update(done: int, total: int, source: str) -> None:
        bar.update(task, completed=done, total=total, description=Path(source).name[-40:])

    return update, bar.stop


def cmd_ingest(args: argparse.Namespace) -> int:
    """Bulk-ingest session files, folders and .zip archives of them."""
    from daemon.ingest.bulk import ingest

    paths = [Path(p) for p in args.paths]
    for path in paths:
        if not path.exists():
            raise AppError(f"{path}: no such file or folder", "give the folders or archives where the sessions are")
    store = _open_store(args)
    update, stop = _progress(sys.stderr.isatty(), "ingesting")
    try:
        report = ingest(
            paths, store, config.current_user(args.user), jobs=args.jobs, dask_address=args.dask, progress=update
        )
        stop()
        print(report.summary())
        print(_judge_all(store))
    finally:
        stop()
        store.close()
    return 0


def _judge_all(store: Store) -> str:
    """Run the justification processor over everything not judged yet; a line saying what it found."""
    from profiles.justify.processor import PROCESSOR, justify

    start = store.processed_through(PROCESSOR)
    if sys.stderr.isatty():
        print("judging the changes against the audio ...", file=sys.stderr)
    justify(store)
    found = Counter(e.type for e in store.events(after=start, types=VERDICT_TYPES))
    return (
        f"judged {found.total()} change(s): {found['change-justified']} justified, "
        f"{found['change-unexplained']} unexplained (questions for later)"
    )


def cmd_watch(args: argparse.Namespace) -> int:
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
        scheduler = Scheduler(idle_after=settings.watch.idle_seconds, settle=quiet)
        store = Store.open(url)
        processors = Store.open(url)  # the scheduler's thread has a store of its own
        idle = heap.WhenIdle()  # the heap goes back to the system once saves and judging pause
        scheduler.after_save("justify", _judging(processors, idle))

        def ingested(path: Path, outcome: Outcome) -> None:
            if outcome.kind == "saved":
                status.saved(path, outcome.session, outcome.version, len(outcome.positions))
                scheduler.saved(_mtime(path))
            elif outcome.kind == "rejected":
                status.rejected(path, outcome.reason or "", len(outcome.positions))

        def ready() -> None:
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


def _judging(processors: Store, idle: heap.WhenIdle) -> Callable[[], None]:
    """The service's justification job: it keeps hashes and measurements from one save's
    judging to the next (AudioMemory), and marks its work for the heap's give-back."""
    from profiles.justify.audio import AudioMemory
    from profiles.justify.processor import justify

    memory = AudioMemory()

    def judge() -> None:
        justify(processors, memory=memory)
        idle.worked()

    return judge


def _mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None


def cmd_service(args: argparse.Namespace) -> int:
    """Install, remove or report the service (a systemd user unit, or a launchd agent)."""
    from daemon.service import install as service
    from daemon.service.lock import status_path

    result: service.ServiceResult | service.ServiceStatus
    if args.action == "install":
        extra = ["--poll"] if args.poll else []
        result = service.install([Path(p).expanduser() for p in args.paths], db=args.db, extra_args=extra)
    elif args.action == "uninstall":
        result = service.uninstall()
    else:
        result = service.status(status_path=status_path(config.db_url(args.db)))
    for line in result.lines():
        print(line)
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    """Measure audio files and folders of them: loudness, true peak, lowest note, band shares."""
    from analyzers.audio import AudioError
    from daemon.audio.measure import audio_files, measure
    from daemon.log.cache import AnalysisCache

    paths = [Path(p) for p in args.paths]
    for path in paths:
        if not path.exists():
            raise AppError(f"{path}: no such file or folder", "give audio files or the folders that hold them")
    files = list(audio_files(paths))
    if not files:
        raise AppError("no audio files found in " + ", ".join(map(str, paths)), "tapeop reads WAV, FLAC, AIFF and OGG")
    store = None if args.no_cache else _open_store(args)
    cache = None if store is None else AnalysisCache(store)
    update, stop = _progress(sys.stderr.isatty(), "analyzing")
    failed = 0
    try:
        for done, path in enumerate(files):
            if update:
                update(done, len(files), str(path))
            try:
                report = {"path": str(path), **measure(path, cache).analysis.report()}
            except AudioError as exc:
                failed += 1
                report = {"path": str(path), "error": exc.reason}
            if args.json:
                print(json.dumps(report, allow_nan=False, ensure_ascii=False))
            else:
                print(_analysis_lines(report))
    finally:
        stop()
        if store is not None:
            store.close()
    if failed:
        raise AppError(
            f"{failed} of {len(files)} file(s) could not be read",
            "each one's reason is on its own line" + (' (its "error")' if args.json else ""),
        )
    return 0


def _analysis_lines(report: dict[str, Any]) -> str:
    if "error" in report:
        return f"{report['path']}\n  error: {report['error']}\n"

    def value(key: str, unit: str, digits: int = 1) -> str:
        number = report.get(key)
        return "-" if not isinstance(number, int | float) else f"{number:.{digits}f} {unit}"

    note = report.get("lowest_note")
    below = 100 * (report.get("energy_below_lowest_note") or 0.0)
    lowest = (
        "no note found"
        if note is None
        else f"{note} ({value('lowest_note_hz', 'Hz')}), {below:.1f} % of the energy below it"
    )
    top = [b for b in sorted(report["bands"], key=lambda b: -b["share"])[:3] if b["share"] > 0]
    strongest = ", ".join(f"{b['center_hz']} Hz {100 * b['share']:.0f} %" for b in top) or "none (silence)"
    return "\n".join(
        [
            f"{report['path']}  ({report['channels']} ch, {report['sample_rate_hz']} Hz, {value('duration_s', 's')})",
            f"  integrated {value('integrated_lufs', 'LUFS')}, range {value('loudness_range_lu', 'LU')}",
            f"  true peak {value('true_peak_dbtp', 'dBTP', 2)}, sample peak {value('sample_peak_dbfs', 'dBFS', 2)}, crest {value('crest_factor_db', 'dB')}",
            f"  lowest note: {lowest}",
            f"  strongest bands: {strongest}",
            "",
        ]
    )


def cmd_events(args: argparse.Namespace) -> int:
    """The log in order."""
    store = _open_store(args)
    try:
        if args.json:
            for event in store.events(session=args.session, namesakes=True):
                print(json.dumps(event.to_json(), allow_nan=False, ensure_ascii=False))
            return 0
        verdicts = {
            e.payload["refers_to"]: e for e in store.events(session=args.session, types=VERDICT_TYPES, namesakes=True)
        }
        for event in store.events(session=args.session, namesakes=True):
            if event.type in VERDICT_TYPES:
                continue  # shown beside the change it refers to
            print(_event_line(event))
            if event.type in JUDGED_TYPES:
                print(_verdict_line(verdicts.get(event.position)))
    finally:
        store.close()
    return 0


def _verdict_line(verdict: LoggedEvent | None, indent: int = 8) -> str:
    """What justification made of a change, for the line under it."""
    if verdict is None:
        said = "not judged yet"
    elif verdict.type == "change-unexplained":
        said = "unexplained: a question for the engineer, later"
    else:
        said = f"justified ({verdict.payload['rule']}): {verdict.payload['reason']}"
    return " " * indent + said


def _event_line(event: LoggedEvent) -> str:
    head = f"{event.position:>6}  {event.at:%Y-%m-%d %H:%M}  {event.user:<10} {event.session} v{event.version or '-'}"
    if event.type in CHANGE_TYPES:
        return f"{head}  {Change.from_payload(event.type, event.payload).describe()}"
    if event.type == "session-saved":
        return f"{head}  saved {Path(event.payload['file']).name} ({event.payload['changes']} change(s))"
    if event.type == "save-rejected":
        return f"{head}  REJECTED {event.payload['file']}: {event.payload['reason']}"
    return f"{head}  {event.type}"


def cmd_login(args: argparse.Namespace) -> int:
    path = config.sign_in(args.name)
    print(f"signed in as {args.name.strip()} (saved in {path})")
    return 0


def cmd_whoami(args: argparse.Namespace) -> int:
    name = config.signed_in()
    print(name if name else f"{config.current_user()} (nobody signed in: the OS login name)")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """What changed between two saves of a session."""
    old = read_session(args.old)
    new = read_session(args.new)
    for problem in (*old.problems, *new.problems):
        print(f"warning: {problem}", file=sys.stderr)
    changes = diff(old, new)
    if not args.json:
        print(f"{len(changes)} change(s) from {args.old} to {args.new}")
    _print_changes(changes, args.json)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Simulate an engineer's archive, ingest it into a throw-away database, show what was seen."""
    from daemon.demo.simulator import simulate_archive
    from daemon.ingest.bulk import ingest
    from daemon.log.store import Store, sqlite_url
    from profiles.justify.processor import justify

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tapeop-demo-") as tmp:
        saves = simulate_archive(Path(tmp) / "archive", songs=args.songs, saves=args.saves, seed=args.seed)
        print(
            f"A simulated engineer saved {args.songs} songs {args.saves} times each ({len(saves)} .dawproject files)."
        )
        store = Store.open(sqlite_url(Path(tmp) / "demo.db"))
        report = ingest([Path(tmp) / "archive"], store, "demo-engineer", jobs=1)
        print(f"Ingested into a throw-away database: {report.summary()}")
        justify(store, extract_to=Path(tmp) / "audio")
        verdicts = {e.payload["refers_to"]: e for e in store.events(types=VERDICT_TYPES)}
        print("Each change judged against the audio: justified with a reason, or kept as a question.\n")
        found = meant = 0
        for save in saves:
            events = list(store.events(session=save.song))
            this = [e for e in events if e.version == save.version and e.type in CHANGE_TYPES]
            print(f"{save.song} v{save.version}:")
            for event in this:
                print(f"  {Change.from_payload(event.type, event.payload).describe()}")
                if event.type in JUDGED_TYPES:
                    print(_verdict_line(verdicts.get(event.position), indent=4))
            for intent in save.intents:
                meant += 1
                hit = any(intent.matches(e) for e in this)
                found += hit
                print(
                    f"    the engineer meant: {intent.track} {intent.parameter} ({intent.reason}){'' if hit else '  <- NOT FOUND'}"
                )
        store.close()
    print(f"\n{found} of {meant} intended moves found in the log, in {time.perf_counter() - started:.1f} s.")
    return 0 if found == meant else 1


def _positive(text: str) -> int:
    """A whole number of at least 1, for counts the user gives (a usage error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tapeop", description="The assistant engineer that never goes home.")
    parser.add_argument("--version", action="version", version=f"tapeop {__version__}")
    parser.add_argument("--verbose", action="store_true", help="show tracebacks of errors")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db", metavar="URL", help="database URL or SQLite file (default: TAPEOP_DB, else the user data folder)"
    )
    common.add_argument(
        "--user", metavar="NAME", help="the engineer the changes belong to (default: the signed-in one)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="simulate an engineer's archive, ingest it and show what tapeop saw (offline)"
    )
    demo.add_argument("--songs", type=_positive, default=2)
    demo.add_argument("--saves", type=_positive, default=4)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=cmd_demo)

    ingest = commands.add_parser(
        "ingest", parents=[common], help="bulk-ingest session files, folders and .zip archives"
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument("--jobs", type=_positive, default=None, help="parallel readers (default: the number of cores)")
    ingest.add_argument("--dask", metavar="ADDRESS", help="read on a Dask cluster at this scheduler address")
    ingest.set_defaults(func=cmd_ingest)

    watch = commands.add_parser(
        "watch", parents=[common], help="watch session folders and ingest every save (the daemon, in the foreground)"
    )
    watch.add_argument("paths", nargs="*", metavar="PATH", help="folders to watch (default: the config file's roots)")
    watch.add_argument("--poll", action="store_true", help="poll instead of file events (network drives)")
    watch.add_argument(
        "--quiet", type=float, metavar="SECONDS", help="how long a file must rest before it is read (default 2)"
    )
    watch.add_argument(
        "--rescan", type=float, metavar="SECONDS", help="full rescan interval, the backstop (default 600)"
    )
    watch.set_defaults(func=cmd_watch)

    service_cmd = commands.add_parser(
        "service", help="install tapeop as a user service (systemd or launchd), remove it, or report on it"
    )
    service_cmd.add_argument("action", choices=["install", "uninstall", "status"])
    service_cmd.add_argument(
        "paths", nargs="*", metavar="PATH", help="install: the folders (default: the config file's roots)"
    )
    service_cmd.add_argument(
        "--db", metavar="URL", help="the database the service writes (default: as for every command)"
    )
    service_cmd.add_argument(
        "--poll", action="store_true", help="install: poll instead of file events (network drives)"
    )
    service_cmd.set_defaults(func=cmd_service)

    analyze = commands.add_parser(
        "analyze", parents=[common], help="measure audio files and folders: loudness, true peak, lowest note, bands"
    )
    analyze.add_argument("paths", nargs="+", metavar="PATH")
    analyze.add_argument("--json", action="store_true", help="JSON Lines, one object per file")
    analyze.add_argument("--no-cache", action="store_true", help="measure again without reading or filling the cache")
    analyze.set_defaults(func=cmd_analyze)

    events = commands.add_parser("events", parents=[common], help="the log in order")
    events.add_argument(
        "--session",
        metavar="NAME",
        help='one session\'s events only (and its namesakes from other folders, "NAME (folder)")',
    )
    events.add_argument("--json", action="store_true", help="JSON Lines, one event per line")
    events.set_defaults(func=cmd_events)

    login = commands.add_parser("login", help="sign an engineer in on this machine")
    login.add_argument("name", metavar="NAME")
    login.set_defaults(func=cmd_login)
    whoami = commands.add_parser("whoami", help="who is signed in")
    whoami.set_defaults(func=cmd_whoami)

    diff_cmd = commands.add_parser("diff", help="the changes between two saves of a session")
    diff_cmd.add_argument("old", help="the earlier save")
    diff_cmd.add_argument("new", help="the later save")
    diff_cmd.add_argument("--json", action="store_true", help="JSON Lines, one change per line")
    diff_cmd.set_defaults(func=cmd_diff)
    return parser


def error_line(exc: AppError) -> str:
    """`error: ...` on one line, with its hint (CONTRACT.md)."""
    hint = one_line(exc.hint)
    return f"error: {one_line(exc.message)}" + (f" (hint: {hint})" if hint else "")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except AppError as exc:
        if args.verbose:
            raise
        print(error_line(exc), file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader of our output went away (| head): not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1
