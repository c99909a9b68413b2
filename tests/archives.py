"""A simulated engineer's archive ingested and judged into a real SQLite store, as the tests of the
questions, their context, the TUI and the probes start from it."""

from __future__ import annotations

from pathlib import Path

from daemon.demo.simulator import SimulatedSave, simulate_archive
from daemon.ingest.bulk import ingest
from daemon.log.store import Store, sqlite_url
from profiles.justify.processor import justify


def judged_archive(
    folder: Path, db: Path, user: str, *, songs: int, saves: int, seed: int = 5, seconds: float = 6.0
) -> tuple[Store, list[SimulatedSave]]:
    """Simulate `songs` x `saves` saves into `folder`/archive, ingest them as `user` into the store
    at `db` and judge every change (audio streamed into `folder`/audio); the store, open, and the saves."""
    written = simulate_archive(folder / "archive", songs=songs, saves=saves, seed=seed, seconds=seconds)
    store = Store.open(sqlite_url(db))
    ingest([folder / "archive"], store, user, jobs=1)
    justify(store, extract_to=folder / "audio")
    return store, written
