"""The content-addressed cache of measurements, in the store's `analyses` table.

Rows are keyed by (key, kind): the key is a content hash (an audio file's sha256, or a hash of
the contents and settings a measurement depends on), the kind names the measurement and its
version ("audio-analysis/2"), so a change to a measurement invalidates old rows by kind rather
than by hand. The cache stores bytes and knows nothing of what they encode.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from daemon.log.store import Store
from daemon.log.tables import AnalysisRow


class AnalysisCache:
    """Cached analyses in a store, by content key and kind."""

    def __init__(self, store: Store) -> None:
        self._engine = store.engine
        self._table = AnalysisRow.__table__  # type: ignore[attr-defined]

    def get(self, key: str, kind: str) -> bytes | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(self._table.c.data).where(self._table.c.key == key, self._table.c.kind == kind)
            ).first()
        return None if row is None else bytes(row[0])

    def put(self, key: str, data: bytes, kind: str) -> None:
        """Stores an analysis; another process having stored the same one first is fine."""
        self.put_many([(key, kind, data)])

    def put_many(self, rows: Sequence[tuple[str, str, bytes]]) -> None:
        """Stores analyses (key, kind, data) in one transaction (one sync to disk, not one per
        row); those another process stored first are left as they are."""
        if not rows:
            return
        insert = postgresql_insert if self._engine.dialect.name == "postgresql" else sqlite_insert
        now = datetime.now(UTC)
        values = [{"key": key, "kind": kind, "created_at": now, "data": data} for key, kind, data in rows]
        with self._engine.begin() as conn:
            conn.execute(insert(self._table).on_conflict_do_nothing(), values)
