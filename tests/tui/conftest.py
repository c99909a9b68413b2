"""A real SQLite store for the TUI's tests: the simulated archive (fixed seed) ingested and
judged once, its clock frozen (every event of version N at 10:00 + 7N minutes on 1 May 2024),
copied for each test so each answers on a store of its own."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from daemon.log.store import Store, sqlite_url
from tests.archives import judged_archive

EPOCH = datetime(2024, 5, 1, 10, 0)
USER = "sim"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("tui-demo")
    store, _ = judged_archive(tmp, tmp / "demo.db", USER, songs=2, saves=4)
    store.close()
    db = sqlite3.connect(tmp / "demo.db")
    with db:
        rows = db.execute("SELECT position, version FROM events").fetchall()
        db.executemany(
            "UPDATE events SET at = ? WHERE position = ?",
            [(f"{EPOCH + timedelta(minutes=7 * (version or 0)):%Y-%m-%d %H:%M:%S.%f}", p) for p, version in rows],
        )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return tmp / "demo.db"


@pytest.fixture
def store_url(demo_db: Path, tmp_path: Path) -> str:
    copy = tmp_path / "store.db"
    shutil.copy(demo_db, copy)
    return sqlite_url(copy)


@pytest.fixture
def open_store(store_url: str) -> Iterator[Callable[[], Store]]:
    """The test's store, opened for a look at what the app appended."""
    opened: list[Store] = []

    def opener() -> Store:
        opened.append(Store.open(store_url))
        return opened[-1]

    yield opener
    for store in opened:
        store.close()
