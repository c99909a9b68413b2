"""The log's records as plain values, free of any database library: what a save is
(`SaveInfo`), what appending it did (`AppendResult`), what a processor derives (`DerivedEvent`)
and an event read back (`LoggedEvent`, with its JSON form of CONTRACT.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from daemon.log.events import CHANGE_FIELDS, CHANGE_TYPES


@dataclass(frozen=True)
class SaveInfo:
    """What the store records about one file version, whatever its content."""

    session: str
    file: str
    sha256: str
    size: int
    mtime: float
    saved_at: datetime
    user: str


@dataclass(frozen=True)
class AppendResult:
    duplicate: bool  # this content was already recorded for this session: nothing appended
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
