"""The event store: sessions, saves, snapshots and the append-only event log, on SQLite (the
default, one machine) or PostgreSQL (a studio sharing one log).

One transaction per save covers its tracking row, its snapshot and its events. Positions are
gap-free and increasing on both backends: they are allocated from a counter row locked for the
transaction (`SELECT ... FOR UPDATE` on PostgreSQL, where a sequence would leave gaps and commit out
of order; SQLite's `BEGIN IMMEDIATE` takes the database's one write lock). A save already recorded
(the same identity and content, records.SaveInfo) is not appended again, checked under that
lock. The store stores: a save's changes are computed
against the latest snapshot by its caller (daemon.ingest.append) and committed here only if that
snapshot is still the latest. SQLite runs in WAL mode with synchronous=FULL and a
busy timeout (reliability-anchors.md, section 3).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, func, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from daemon.errors import AppError, one_line
from daemon.log.records import AppendResult, DerivedEvent, LoggedEvent, SaveInfo, iso, utc
from daemon.log.snapshots import pack_snapshot, unpack_snapshot
from daemon.log.tables import CounterRow, EventRow, ProcessorRow, SaveRow, SessionRow, SnapshotRow
from daemon.sessions.changes import Change
from daemon.sessions.model import Session

MIGRATIONS = Path(__file__).parent / "migrations"
SESSIONS: Table = SessionRow.__table__  # type: ignore[attr-defined]
SAVES: Table = SaveRow.__table__  # type: ignore[attr-defined]
SNAPSHOTS: Table = SnapshotRow.__table__  # type: ignore[attr-defined]
EVENTS: Table = EventRow.__table__  # type: ignore[attr-defined]
COUNTERS: Table = CounterRow.__table__  # type: ignore[attr-defined]
PROCESSORS: Table = ProcessorRow.__table__  # type: ignore[attr-defined]
BUSY_TIMEOUT_MS = 30_000
READ_BATCH = 1000  # events fetched at a time when the log is read
SNAPSHOT_CACHE = 16  # sessions whose latest snapshot is kept decoded (a big one is 100 MB)
INSERT_EVENT = (
    'INSERT INTO events (position, session_id, session, version, type, at, "user", payload)'
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_MIGRATE_LOCK = threading.Lock()


class StoreError(AppError):
    """The database cannot be opened or written."""


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path)}"


_URL_HINT = "give --db a file path, sqlite:///PATH or postgresql://USER@HOST/NAME of a server that runs"


def shown_url(url: str) -> str:
    """A database URL as it may be shown: its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


class Store:
    """The log. Open it with `Store.open(url)`: the schema is migrated to the latest version."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = self._engine(url)
        self._snapshot_cache: OrderedDict[str, tuple[int, Session]] = OrderedDict()  # session -> latest

    @classmethod
    def open(cls, url: str) -> Store:
        """The store at `url`, its schema migrated; a StoreError (one line, naming the database
        and the reason) when the URL is not a database's or the database cannot be opened."""
        try:
            store = cls(url)
        except ArgumentError as exc:  # no dialect of that name, or not a URL at all
            raise StoreError(f"{shown_url(url)} is not a database URL ({one_line(exc)})", _URL_HINT) from None
        except OSError as exc:  # its folder cannot be made
            raise StoreError(f"cannot open the database {shown_url(url)}: {exc.strerror or exc}", _URL_HINT) from None
        store.migrate()
        return store

    def _engine(self, url: str) -> Engine:
        if not self.is_sqlite:
            return create_engine(url, pool_pre_ping=True)
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # Writers take the write lock up front: a deferred read-then-write transaction gets
            # SQLITE_BUSY despite the busy timeout (lang_transaction.html).
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")

        return engine

    def migrate(self) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        try:
            with _MIGRATE_LOCK, self.engine.connect() as conn:  # alembic's context is process-global
                conn.info["write"] = True
                driver: Any = conn.connection.driver_connection  # outside any transaction, as SQLite requires
                if self.is_sqlite:  # a migration may rebuild a table others refer to (sqlite.org/lang_altertable.html)
                    driver.execute("PRAGMA foreign_keys=OFF")
                try:
                    with conn.begin():
                        if not self.is_sqlite:  # two processes opening a new database at once
                            conn.execute(text("SELECT pg_advisory_xact_lock(7461706570)"))
                        config.attributes["connection"] = conn
                        command.upgrade(config, "head")
                        if self.is_sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                            raise StoreError(f"{shown_url(self.url)}: a migration broke a reference", "report this")
                finally:
                    if self.is_sqlite:
                        driver.execute("PRAGMA foreign_keys=ON")
        except DBAPIError as exc:  # cannot connect, not a database file, ...
            reason = one_line(exc.orig)
            raise StoreError(f"cannot open the database {shown_url(self.url)}: {reason}", _URL_HINT) from None

    def close(self) -> None:
        self.engine.dispose()

    # -- writing -----------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[_Driver]:
        """One write transaction on a driver connection of the engine's pool: committed if the
        block ends normally, rolled back if it raises.

        The write path runs plain SQL through the driver: SQLAlchemy's work per statement costs
        more than the statements themselves here (bench/ingest.py)."""
        connection = self.engine.raw_connection()
        try:
            db = _Driver(connection.cursor(), self.is_sqlite)
            if self.is_sqlite:
                db.run("BEGIN IMMEDIATE")  # the write lock up front, as `_on_begin` explains
            try:
                yield db
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
        finally:
            connection.close()

    def commit_save(
        self,
        info: SaveInfo,
        session: Session,
        changes: list[Change],
        expected_version: int,
        snapshot: bytes | None = None,
        notes: Mapping[str, Any] | None = None,
    ) -> AppendResult | None:
        """Write a save whose changes were computed against version `expected_version` of its
        session (0: none yet). None if another writer appended a newer version meanwhile.

        `snapshot` is `pack_snapshot(session)` when the caller packed it already (off the write
        path: ingest does it in its reader processes). `notes` are further fields of the save's
        `session-saved` event (its `problems`, ...)."""
        packed = snapshot if snapshot is not None else pack_snapshot(session)
        saved = {"file": info.file, "sha256": info.sha256, "saved_at": iso(info.saved_at), "changes": len(changes)}
        saved.update(notes or {})
        payloads = [_encoded("session-saved", saved)] + [_encoded(c.type, c.payload()) for c in changes]
        with self._transaction() as db:
            last = self._lock(db)
            session_id = self._session_id(db, info.session, info.saved_at)
            if self._recorded(db, session_id, info):
                return AppendResult(duplicate=True)
            latest = db.value("SELECT MAX(version) FROM saves WHERE session_id = ?", (session_id,))
            if (latest or 0) != expected_version:
                return None
            version = expected_version + 1
            save_id = self._insert_save(db, info, session_id, version, "accepted", None)
            db.run("INSERT INTO snapshots (save_id, data) VALUES (?, ?)", (save_id, packed))
            positions = self._append_events(db, last, session_id, info, version, payloads)
        self._remember(info.session, save_id, session)
        return AppendResult(duplicate=False, version=version, positions=positions, changes=len(changes))

    def latest_save(self, session: str) -> tuple[int, int] | None:
        """(save id, version) of the session's latest accepted save, read without a lock: the
        base a new save is diffed against (daemon.ingest.append)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(SAVES.c.id, SAVES.c.version)
                .join(SESSIONS, SESSIONS.c.id == SAVES.c.session_id)
                .where(SESSIONS.c.name == session, SAVES.c.version.is_not(None))
                .order_by(SAVES.c.version.desc())
                .limit(1)
            ).first()
        return (int(row[0]), int(row[1])) if row else None

    def snapshot_of(self, name: str, save_id: int) -> Session:
        with self.engine.connect() as conn:
            return self._snapshot(conn, name, save_id)

    def append_rejected(self, info: SaveInfo, reason: str) -> AppendResult:
        """Record a file that could not be read: a tracking row and a `save-rejected` event.
        What was stored before is untouched."""
        with self._transaction() as db:
            last = self._lock(db)
            session_id = self._session_id(db, info.session, info.saved_at)
            if self._recorded(db, session_id, info):
                return AppendResult(duplicate=True)
            self._insert_save(db, info, session_id, None, "rejected", reason)
            payload = {"file": info.file, "sha256": info.sha256, "reason": reason}
            positions = self._append_events(db, last, session_id, info, None, [_encoded("save-rejected", payload)])
        return AppendResult(duplicate=False, positions=positions)

    def _session_id(self, db: _Driver, name: str, at: datetime) -> int:
        found = db.value("SELECT id FROM sessions WHERE name = ?", (name,))
        if found is None:
            found = db.value("INSERT INTO sessions (name, created_at) VALUES (?, ?) RETURNING id", (name, utc(at)))
        return int(found)

    def _recorded(self, db: _Driver, session_id: int, info: SaveInfo) -> bool:
        """Whether this save is in the log already: accepted with this identity and content, or
        rejected so by the same reader version (a newer reader reads it again)."""
        sql = (
            "SELECT 1 FROM saves WHERE session_id = ? AND sha256 = ? AND identity = ?"
            " AND (outcome = 'accepted' OR reader = ?)"
        )
        return db.first(sql, (session_id, info.sha256, info.identity, info.reader)) is not None

    def _insert_save(
        self, db: _Driver, info: SaveInfo, session_id: int, version: int | None, outcome: str, reason: str | None
    ) -> int:
        values = (
            session_id,
            version,
            info.sha256,
            info.size,
            info.mtime,
            utc(info.saved_at),
            info.file,
            outcome,
            reason,
            info.user,
            datetime.now(UTC),
            info.identity,
            info.reader,
        )
        sql = (
            "INSERT INTO saves (session_id, version, sha256, size, mtime, saved_at, file, outcome, reason,"
            ' "user", ingested_at, identity, reader) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id'
        )
        return int(db.value(sql, values))

    def _lock(self, db: _Driver) -> int:
        """Take the log's write lock for this transaction; the last position allocated.

        Every append takes it first, so appends are serialized: positions are gap-free and
        commit in order, and the duplicate check that follows cannot race another writer."""
        sql = "SELECT value FROM counters WHERE name = 'events'" + ("" if self.is_sqlite else " FOR UPDATE")
        return int(db.value(sql))

    def _append_events(
        self,
        db: _Driver,
        last: int,
        session_id: int | None,
        info: SaveInfo,
        version: int | None,
        payloads: list[tuple[str, str]],
    ) -> tuple[int, ...]:
        """Number and insert events whose payloads are already JSON text, in one executemany."""
        first = last + 1
        at = db.bind(utc(info.saved_at))
        rows = [
            (first + i, session_id, info.session, version, type_, at, info.user, payload)
            for i, (type_, payload) in enumerate(payloads)
        ]
        db.run_many(INSERT_EVENT, rows)
        db.run("UPDATE counters SET value = ? WHERE name = 'events'", (last + len(rows),))
        return tuple(range(first, first + len(rows)))

    def append_derived(
        self, processor: str, expected: int, through: int, events: Sequence[DerivedEvent]
    ) -> tuple[int, ...] | None:
        """Append what `processor` derived from the log up to position `through`, and record that
        position, in one transaction. `expected` is the position it started from (0 the first
        time): None, and nothing written, if another run of it moved on meanwhile."""
        with self._transaction() as db:
            last = self._lock(db)
            if (db.value("SELECT position FROM processors WHERE name = ?", (processor,)) or 0) != expected:
                return None
            at = db.bind(datetime.now(UTC))
            rows = []
            for i, event in enumerate(events):
                session_id = db.value("SELECT id FROM sessions WHERE name = ?", (event.session,))
                type_, payload = _encoded(event.type, event.payload)
                rows.append((last + 1 + i, session_id, event.session, event.version, type_, at, event.user, payload))
            db.run_many(INSERT_EVENT, rows)
            db.run("UPDATE counters SET value = ? WHERE name = 'events'", (last + len(rows),))
            db.run(
                "INSERT INTO processors (name, position) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                (processor, through),
            )
        return tuple(range(last + 1, last + 1 + len(rows)))

    def append_as(self, writer: str, events: Sequence[DerivedEvent]) -> tuple[int, ...]:
        """Append events a person's action made (an answer, a probed window) as `writer`, under
        the store's lock; the writer's recorded position only marks it. Retries while other
        writers move the log on; an AppError if it never settles."""
        if not events:
            return ()
        for _ in range(100):
            position = self.processed_through(writer)
            appended = self.append_derived(writer, position, position, events)
            if appended is not None:
                return appended
        raise AppError(f"{writer}: the log kept moving while appending", "try again")

    def processed_through(self, processor: str) -> int:
        """The position of the last event `processor` has dealt with (0: none yet)."""
        with self.engine.connect() as conn:
            found = conn.execute(select(PROCESSORS.c.position).where(PROCESSORS.c.name == processor)).scalar()
        return int(found or 0)

    # -- reading -----------------------------------------------------------------------------
    def _snapshot(self, conn: Connection, name: str, save_id: int) -> Session:
        cached = self._snapshot_cache.get(name)
        if cached is not None and cached[0] == save_id:
            return cached[1]
        data = conn.execute(select(SNAPSHOTS.c.data).where(SNAPSHOTS.c.save_id == save_id)).scalar_one()
        session = unpack_snapshot(data)
        self._remember(name, save_id, session)
        return session

    def _remember(self, name: str, save_id: int, session: Session) -> None:
        """Keep each session's latest snapshot decoded, the one its next save diffs against (a
        200-track session decodes to 60-180 MB: older versions are not kept), for the
        SNAPSHOT_CACHE sessions used last."""
        known = self._snapshot_cache.get(name)
        if known is not None and known[0] > save_id:
            return  # an older save read back (a diff of history) does not displace the latest
        self._snapshot_cache[name] = (save_id, session)
        self._snapshot_cache.move_to_end(name)
        while len(self._snapshot_cache) > SNAPSHOT_CACHE:
            self._snapshot_cache.popitem(last=False)

    def latest_session(self, name: str) -> Session | None:
        """The snapshot of the session's latest accepted save."""
        base = self.latest_save(name)
        return self.snapshot_of(name, base[0]) if base else None

    def session_at(self, name: str, version: int) -> Session | None:
        """The snapshot of a session's accepted save `version` (None if there is none)."""
        with self.engine.connect() as conn:
            save_id = conn.execute(
                select(SAVES.c.id)
                .join(SESSIONS, SESSIONS.c.id == SAVES.c.session_id)
                .where(SESSIONS.c.name == name, SAVES.c.version == version)
            ).scalar()
            return None if save_id is None else self._snapshot(conn, name, int(save_id))

    def session_of_files(self, files: list[str]) -> str | None:
        """The session under which any of these files was recorded before, if one was."""
        with self.engine.connect() as conn:
            for at in range(0, len(files), 500):
                row = conn.execute(
                    select(SESSIONS.c.name)
                    .join(SAVES, SESSIONS.c.id == SAVES.c.session_id)
                    .where(SAVES.c.file.in_(files[at : at + 500]))
                    .limit(1)
                ).first()
                if row:
                    return str(row[0])
        return None

    def contents(self) -> set[str]:
        """The sha256 of every file recorded, accepted or rejected."""
        with self.engine.connect() as conn:
            return {row[0] for row in conn.execute(select(SAVES.c.sha256).distinct())}

    def recorded(self, info: SaveInfo) -> bool:
        """Whether appending this save would be a duplicate (the rule of `_recorded`, the one the
        appends apply under the write lock), read without a lock."""
        connection = self.engine.raw_connection()
        try:
            db = _Driver(connection.cursor(), self.is_sqlite)
            session_id = db.value("SELECT id FROM sessions WHERE name = ?", (info.session,))
            return session_id is not None and self._recorded(db, int(session_id), info)
        finally:
            connection.close()

    def saved(self, session: str, version: int | None) -> LoggedEvent | None:
        """The `session-saved` event of one save (its file, as the log recorded it), or None."""
        return next(iter(self.events(session=session, types=("session-saved",), version=version)), None)

    def events(
        self,
        session: str | None = None,
        after: int = 0,
        types: tuple[str, ...] = (),
        namesakes: bool = False,
        limit: int | None = None,
        user: str | None = None,
        version: int | None = None,
    ) -> Iterator[LoggedEvent]:
        """The log in order of position, optionally one session's or one engineer's (`user`), from
        `after` on, at most `limit` events, of one save's `version` where given. With `namesakes`, also the sessions of that name that ingest told apart by
        their folder, "Song (Client A)" beside "Song (Client B)". Rows are streamed in batches of
        READ_BATCH (a server-side cursor on PostgreSQL), never fetched all at once."""
        query = select(EVENTS).where(EVENTS.c.position > after).order_by(EVENTS.c.position)
        if limit is not None:
            query = query.limit(limit)
        if session is not None and namesakes:
            told_apart = EVENTS.c.session.startswith(f"{session} (", autoescape=True) & EVENTS.c.session.endswith(")")
            query = query.where((EVENTS.c.session == session) | told_apart)
        elif session is not None:
            query = query.where(EVENTS.c.session == session)
        if types:
            query = query.where(EVENTS.c.type.in_(types))
        if user is not None:
            query = query.where(EVENTS.c.user == user)
        if version is not None:
            query = query.where(EVENTS.c.version == version)
        with self.engine.connect().execution_options(stream_results=True, yield_per=READ_BATCH) as conn:
            for row in conn.execute(query).mappings():
                yield LoggedEvent(
                    position=row["position"],
                    type=row["type"],
                    session=row["session"],
                    version=row["version"],
                    user=row["user"],
                    at=row["at"],
                    payload=json.loads(row["payload"]),
                )

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                "sessions": int(conn.execute(select(func.count()).select_from(SESSIONS)).scalar_one()),
                "saves": int(
                    conn.execute(
                        select(func.count()).select_from(SAVES).where(SAVES.c.outcome == "accepted")
                    ).scalar_one()
                ),
                "rejected": int(
                    conn.execute(
                        select(func.count()).select_from(SAVES).where(SAVES.c.outcome == "rejected")
                    ).scalar_one()
                ),
                "events": int(conn.execute(select(func.count()).select_from(EVENTS)).scalar_one()),
            }

    def integrity_check(self) -> str:
        """SQLite's own check ("ok"), or "ok" on other backends."""
        if not self.is_sqlite:
            return "ok"
        with self.engine.connect() as conn:
            return str(conn.execute(text("PRAGMA integrity_check")).scalar_one())


class _Driver:
    """Plain SQL on a driver cursor, written with `?` marks (turned into the driver's own on
    PostgreSQL); on SQLite, values are bound as SQLAlchemy stores them, so its reads agree."""

    def __init__(self, cursor: Any, is_sqlite: bool) -> None:
        self._cursor = cursor
        self._is_sqlite = is_sqlite

    def _sql(self, sql: str) -> str:
        return sql if self._is_sqlite else sql.replace("?", "%s")

    def bind(self, value: Any) -> Any:
        """A value as this driver is given it (SQLAlchemy's own DateTime text on SQLite)."""
        if self._is_sqlite and isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._cursor.execute(self._sql(sql), tuple(self.bind(p) for p in params))

    def first(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        """The first row of a query (or of an INSERT ... RETURNING), None if it has none."""
        self.run(sql, params)
        return self._cursor.fetchone()

    def value(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """The first column of the first row, None if there is no row."""
        row = self.first(sql, params)
        return row[0] if row else None

    def run_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """One statement for many rows, in one executemany; their values already `bind`-ed."""
        if rows:
            self._cursor.executemany(self._sql(sql), rows)


_JSON = json.JSONEncoder(allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def _encoded(type_: str, payload: dict[str, Any]) -> tuple[str, str]:
    """An event's type and its payload as JSON text (never NaN or infinity)."""
    return type_, _JSON.encode(payload)
