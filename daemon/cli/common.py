"""What the commands share: the store they open, the progress bar on a terminal, counts the user
gives, and how an event and its verdict are shown."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from daemon import config

if TYPE_CHECKING:  # the store pulls in SQLAlchemy: imported by the commands that use it
    from daemon.log.records import LoggedEvent
    from daemon.log.store import Store


class Parents(NamedTuple):
    """The options commands share, as argparse parents: `--db` (and `--user`, where a user matters)."""

    db_user: argparse.ArgumentParser
    db: argparse.ArgumentParser


def parents() -> Parents:
    """Given after the command; `tapeop --db URL --user NAME COMMAND` works too (the top-level
    parser has them), so these leave the namespace alone when they are not given."""
    db = argparse.ArgumentParser(add_help=False)
    _db_option(db, argparse.SUPPRESS)
    db_user = argparse.ArgumentParser(add_help=False, parents=[db])
    _user_option(db_user, argparse.SUPPRESS)
    return Parents(db_user, db)


def global_options(parser: argparse.ArgumentParser) -> None:
    """The options `tapeop` takes before the command: --verbose, --db, --user."""
    parser.add_argument("--verbose", action="store_true", help="show tracebacks of errors")
    _db_option(parser, None)
    _user_option(parser, None)


def verbose_option(parser: argparse.ArgumentParser) -> None:
    """--verbose after the command too (left alone when not given there)."""
    parser.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of errors")


def _db_option(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        default=default,
        help="database URL or SQLite file (default: TAPEOP_DB, else the user data folder)",
    )


def _user_option(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--user",
        metavar="NAME",
        default=default,
        help="the engineer the changes belong to (default: the signed-in one)",
    )


def open_store(args: argparse.Namespace) -> Store:
    from daemon.log.store import Store

    return Store.open(config.db_url(args.db))


def progress(enabled: bool, label: str) -> tuple[Callable[[int, int, str], None] | None, Callable[[], None]]:
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


def positive(text: str) -> int:
    """A whole number of at least 1, for counts the user gives (a usage error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return value


def verdict_line(verdict: LoggedEvent | None, indent: int = 8) -> str:
    """What justification made of a change, for the line under it."""
    if verdict is None:
        said = "not judged yet"
    elif verdict.type == "change-unexplained":
        said = "unexplained: a question for the engineer, later"
    else:
        said = f"justified ({verdict.payload['rule']}): {verdict.payload['reason']}"
    return " " * indent + said


def event_line(event: LoggedEvent) -> str:
    from daemon.log.events import CHANGE_TYPES
    from daemon.sessions.changes import Change
    from daemon.sessions.sentences import sentence

    head = f"{event.position:>6}  {event.at:%Y-%m-%d %H:%M}  {event.user:<10} {event.session} v{event.version or '-'}"
    if event.type in CHANGE_TYPES:
        return f"{head}  {sentence(Change.from_payload(event.type, event.payload))}"
    if event.type == "session-saved":
        saved = f"{head}  saved {Path(event.payload['file']).name} ({event.payload['changes']} change(s))"
        problems = [p.get("text") or p.get("reason") for p in event.payload.get("problems", [])]
        lines = [saved, *(f"{' ' * 8}problem: {p}" for p in problems)]
        if event.payload.get("audio_tracks"):
            from daemon.ingest.bulk import audio_line

            missing = [(m["track"], m["file"]) for m in event.payload.get("audio_missing", [])]
            lines.append(f"{' ' * 8}audio: {audio_line(event.payload['audio_tracks'], missing)}")
        return "\n".join(lines)
    if event.type == "save-rejected":
        return f"{head}  REJECTED {event.payload['file']}: {event.payload['reason']}"
    return f"{head}  {event.type}"
