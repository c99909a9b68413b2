"""Save identity: the same save (file name, save time, content) is recorded once however often it
is ingested, while the same content saved again later (an undo) is a new version whose changes
take the last ones back; a file rejected by one version of the readers is read by the next."""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from daemon.ingest import append
from daemon.ingest.bulk import ingest
from daemon.log.store import MIGRATIONS, Store, sqlite_url

T1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC).timestamp()
# A history of each format whose first two saves differ: (folder, first, second, suffix).
HISTORIES = {
    "REAPER": ("glutones-toast-band-session", "001_136890af_toast-band-session.RPP", "002_67365d1b_toast-band-session.RPP", ".RPP"),
    "Ardour": ("ardour-1region", "001_a8773900_1region.ardour", "002_3d3fa9ae_1region.ardour", ".ardour"),
    "Ableton": ("tioxy-alp-als", "001_b1a27f29_als.als", "002_5d4e0ad8_als.als", ".als"),
    "DAWproject": ("opendaw-eq-dawproject", "001_392e8011_eq.dawproject", "002_3049a21c_eq.dawproject", ".dawproject"),
}  # fmt: skip


def _lay_out(corpus: Path, folder: Path, history: str, first: str, second: str, suffix: str) -> list[Path]:
    """A, B, then A again, saved an hour apart as "Song v1..v3". A REAPER save writes its time in
    the file's first line, so REAPER's third save is A's project with a later time (as REAPER
    writes it when the engineer takes the change back and saves); the others are A's bytes."""
    folder.mkdir(parents=True)
    a, b = corpus / "histories" / history / first, corpus / "histories" / history / second
    saves = []
    for n, source in enumerate((a, b, a), start=1):
        target = folder / f"Song v{n}{suffix}"
        shutil.copyfile(source, target)
        moment = T1 + 3600 * n
        if suffix == ".RPP":
            data = target.read_bytes()
            target.write_bytes(re.sub(rb'^(<REAPER_PROJECT \S+ "[^"]*" )\d+', rb"\g<1>%d" % moment, data, count=1))
        os.utime(target, (moment, moment))
        saves.append(target)
    return saves


def _moves(store: Store, version: int) -> dict[tuple, tuple]:
    return {
        (e.payload.get("track"), e.payload.get("device"), e.payload["parameter"]): (
            e.payload["before"],
            e.payload["after"],
        )
        for e in store.events(session="Song", types=("parameter-changed",))
        if e.version == version
    }


OPPOSITE = {"added": "removed", "removed": "added"}


def _undone(changes: list[tuple]) -> list[str]:
    """The change types that take `changes` back: an addition's is a removal, and so on."""
    kinds = []
    for kind, *_ in changes:
        head, _, tail = kind.rpartition("-")
        kinds.append(f"{head}-{OPPOSITE[tail]}" if tail in OPPOSITE else kind)
    return kinds


def _changes(store: Store, version: int) -> list[tuple]:
    return [
        (e.type, e.payload.get("track"), e.payload.get("device"), e.payload.get("parameter"))
        for e in store.events(session="Song")
        if e.version == version and e.type not in ("session-saved",)
    ]


@pytest.mark.corpus
@pytest.mark.parametrize("fmt", sorted(HISTORIES))
def test_a_b_a_is_three_saves_and_the_third_takes_the_changes_back(corpus: Path, tmp_path: Path, fmt: str) -> None:
    _lay_out(corpus, tmp_path / "archive", *HISTORIES[fmt])
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    report = ingest([tmp_path / "archive"], store, "greg", jobs=1)
    assert (report.saves, report.already_known, report.rejected) == (3, 0, [])
    first, second, third = (store.session_at("Song", v) for v in (1, 2, 3))
    assert first is not None and second is not None and third is not None
    assert second != first and third == first  # the third save is the first state again
    forward, back = _changes(store, 2), _changes(store, 3)
    assert forward and sorted(_undone(forward)) == sorted(t for t, *_ in back)  # the same kinds of change ...
    moves = {v: _moves(store, v) for v in (2, 3)}
    assert moves[3] == {key: (after, before) for key, (before, after) in moves[2].items()}  # ... the other way
    again = ingest([tmp_path / "archive"], store, "greg", jobs=1)  # the same archive again
    assert (again.saves, again.already_known) == (0, 3)


def test_the_same_archive_moved_elsewhere_is_recorded_once(tmp_path: Path) -> None:
    from daemon.demo.simulator import simulate_archive

    simulate_archive(tmp_path / "here", songs=1, saves=3, seed=1, seconds=2)
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    assert ingest([tmp_path / "here"], store, "greg", jobs=1).saves == 3
    moved = tmp_path / "moved" / "there"
    shutil.copytree(tmp_path / "here", moved, copy_function=shutil.copy2)  # times kept, as an archive keeps them
    report = ingest([moved], store, "greg", jobs=1)
    assert (report.saves, report.already_known) == (0, 3)


def test_a_file_rejected_by_an_older_reader_is_read_again_by_a_newer_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "Broken.dawproject").write_bytes(b"PK\x03\x04 not a whole archive")
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    assert len(ingest([folder], store, "greg", jobs=1).rejected) == 1
    assert ingest([folder], store, "greg", jobs=1).already_known == 1  # the same reader: not again
    monkeypatch.setattr(append, "READER_VERSION", "next")
    again = ingest([folder], store, "greg", jobs=1)
    assert len(again.rejected) == 1 and again.already_known == 0  # a newer reader: read, and said
    assert len(list(store.events(types=("save-rejected",)))) == 2


def test_a_database_of_the_previous_schema_gets_each_save_its_identity(tmp_path: Path) -> None:
    """Migration 0004 on a database made at 0003: each save gets its identity (its name and save
    time), with no reader version, so a file rejected before is read again; no reference breaks."""
    url = sqlite_url(tmp_path / "old.db")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "0003")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO sessions (id, name, created_at) VALUES (1, 'Song', '2026-03-02 10:00:00.000000')")
        )
        conn.execute(text(
            "INSERT INTO saves (id, session_id, version, sha256, size, mtime, saved_at, file, outcome, reason, \"user\","
            " ingested_at) VALUES (1, 1, NULL, :sha, 10, 0, '2026-03-02 11:00:00.000000', :file, 'rejected', 'bad',"
            " 'greg', '2026-03-02 12:00:00.000000')"
        ), {"sha": "0" * 64, "file": str(tmp_path / "Song v1.dawproject")})  # fmt: skip
    engine.dispose()
    store = Store.open(url)
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT identity, reader FROM saves WHERE id = 1")).one()
        assert tuple(row) == ("Song v1.dawproject@2026-03-02T11:00:00Z", None)
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0004"
        assert conn.execute(text("PRAGMA foreign_key_check")).first() is None
