"""The store's tables (SQLModel). The schema itself is created and evolved by the Alembic
migrations in daemon/log/migrations/, never by `create_all`, so every database has a version.

- `sessions`: one row per session (a song), by name.
- `saves`: the tracking row of every file version seen: content sha256, size, mtime, save time,
  version (accepted saves only), outcome, the save's identity (file name and save time) and the
  reader version. UNIQUE(session_id, sha256, identity, reader): re-ingestion is a no-op, while
  the same content saved again later is a new row.
- `snapshots`: the normalized session of every accepted save, zlib-compressed JSON: the file on
  disk is overwritten by the next save, so the previous state must come from here.
- `events`: the append-only log. `position` is global, gap-free and increasing; it is allocated
  from `counters` under a row lock in the same transaction as the rows it numbers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class SessionRow(SQLModel, table=True):
    __tablename__ = "sessions"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    created_at: datetime


class SaveRow(SQLModel, table=True):
    __tablename__ = "saves"
    __table_args__ = (UniqueConstraint("session_id", "sha256", "identity", "reader", name="uq_saves_identity"),)
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="sessions.id", index=True)
    version: int | None = None  # 1, 2, ... for accepted saves; None for rejected files
    sha256: str
    size: int
    mtime: float
    saved_at: datetime
    file: str
    outcome: str  # "accepted" or "rejected"
    reason: str | None = None
    user: str
    ingested_at: datetime
    identity: str
    reader: str | None = None


class SnapshotRow(SQLModel, table=True):
    __tablename__ = "snapshots"
    save_id: int = Field(primary_key=True, foreign_key="saves.id")
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class EventRow(SQLModel, table=True):
    __tablename__ = "events"
    position: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    session_id: int | None = Field(default=None, foreign_key="sessions.id", index=True)
    session: str
    version: int | None = None
    type: str = Field(index=True)
    at: datetime
    user: str
    payload: str = Field(sa_column=Column(Text, nullable=False))


class CounterRow(SQLModel, table=True):
    __tablename__ = "counters"
    name: str = Field(primary_key=True)
    value: int


class AnalysisRow(SQLModel, table=True):
    """A cached measurement, addressed by the content it measured (`key`: the sha256 of an audio
    file) and the kind and version of the analysis: the same audio is analyzed once however many
    sessions and versions reference it."""

    __tablename__ = "analyses"
    key: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    created_at: datetime
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ProcessorRow(SQLModel, table=True):
    """How far each processor over the log has got: the position of the last event it has dealt
    with, written in the same transaction as the events it derived from them, so that it resumes
    exactly there after a crash."""

    __tablename__ = "processors"
    name: str = Field(primary_key=True)
    position: int
