"""The log's records as plain values, free of any database library: what a save is
(`SaveInfo`), what appending it did (`AppendResult`), what a processor derives (`DerivedEvent`)
and an event read back (`LoggedEvent`, with its JSON form of CONTRACT.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from daemon.files import archive_parts
from daemon.log.events import CHANGE_FIELDS, CHANGE_TYPES


@dataclass(frozen=True)
class SaveInfo:
    """What the store records about one file version, whatever its content.

    A save is the same save when its `identity` (the file's name, backup stamp included, and its
    save time) and its content are the same: ingesting an archive again, or a second service on
    the same database seeing the same save, records it once, while the same content saved again
    later (an undo) is a new version. `reader` is the version of the reader that read it: a file
    rejected by one version is read again by the next."""

    session: str
    file: str
    sha256: str
    size: int
    mtime: float
    saved_at: datetime
    user: str
    reader: str = ""

    @property
    def identity(self) -> str:
        return save_identity(self.file, self.saved_at)


def save_identity(file: str, saved_at: datetime) -> str:
    """`name@time`: the file's name (a member's inside its archive; folders do not count, so an
    archive moved elsewhere keeps its saves' identities) and its save time in UTC, to the second."""
    name = archive_parts(file.replace("\\", "/").rsplit("/", 1)[-1])[-1]
    return f"{name}@{utc(saved_at):%Y-%m-%dT%H:%M:%SZ}"


@dataclass(frozen=True)
class AppendResult:
    duplicate: bool  # this save (identity and content) was already recorded: nothing appended
    version: int | None = None
    positions: tuple[int, ...] = ()
    changes: int = 0


@dataclass(frozen=True)
class DerivedEvent:
    """An event a processor derives from the log (`change-justified`, `question-asked`, ...)."""

    type: str
    session: str
    version: int | None
    user: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class LoggedEvent:
    position: int
    type: str
    session: str
    version: int | None
    user: str
    at: datetime
    payload: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The event as one line of `tapeop events --json` (CONTRACT.md)."""
        return {
            "position": self.position,
            "type": self.type,
            "session": self.session,
            "version": self.version,
            "user": self.user,
            "at": iso(self.at),
            **(_SHOWN_FIELDS if self.type in CHANGE_TYPES else {}),  # every field shown, null where a change has none
            **self.payload,
        }


_SHOWN_FIELDS: dict[str, None] = dict.fromkeys(f for f in CHANGE_FIELDS if f != "where")


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def utc(moment: datetime) -> datetime:
    """Times are stored in UTC; a time without a zone is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
