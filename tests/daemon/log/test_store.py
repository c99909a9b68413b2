"""The store suite, run against SQLite and against a real PostgreSQL server the tests start."""

from __future__ import annotations

import hashlib
import json
import random
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon.ingest.append import append_save
from daemon.log.records import DerivedEvent, SaveInfo
from daemon.log.store import Store, sqlite_url
from daemon.sessions.model import Channel, Session, Track

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _session(name: str, volume_db: float, tracks: int = 3) -> Session:
    return Session(
        name=name,
        tempo_bpm=120.0,
        tracks=tuple(Track(name=f"T{i}", channel=Channel(volume_db=volume_db - i)) for i in range(tracks)),
    )


def _info(session: str, content: str, minutes: int = 0, user: str = "greg") -> SaveInfo:
    data = content.encode()
    return SaveInfo(
        session,
        f"/songs/{session}.dawproject",
        hashlib.sha256(data).hexdigest(),
        len(data),
        0.0,
        T0 + timedelta(minutes=minutes),
        user,
    )


@pytest.fixture
def store(store_url: str) -> Store:
    opened = Store.open(store_url)
    yield opened
    opened.close()


def test_saves_append_gap_free_positions_and_versions(store: Store) -> None:
    first = append_save(store, _info("Song", "a"), _session("Song", 0.0))
    second = append_save(store, _info("Song", "b", 1), _session("Song", -3.0))
    assert (first.version, second.version) == (1, 2)
    assert first.positions == (1, 2)  # session-saved, session-started
    assert second.positions == (3, 4, 5, 6)  # session-saved, three fader moves
    events = list(store.events())
    assert [e.position for e in events] == list(range(1, 7))
    saved = events[2]
    assert saved.type == "session-saved" and saved.payload["changes"] == 3 and saved.version == 2
    fader = events[3]
    assert (fader.type, fader.payload["track"], fader.payload["before"], fader.payload["after"]) == (
        "parameter-changed",
        "T0",
        0.0,
        -3.0,
    )
    assert fader.user == "greg"


def test_the_same_save_again_is_a_no_op_and_the_same_content_saved_later_a_new_version(store: Store) -> None:
    append_save(store, _info("Song", "a"), _session("Song", 0.0))
    again = append_save(store, _info("Song", "a"), _session("Song", 0.0))
    assert again.duplicate
    assert store.counts() == {"sessions": 1, "saves": 1, "rejected": 0, "events": 2}
    later = append_save(store, _info("Song", "a", 5), _session("Song", 0.0))  # saved again, unchanged
    assert not later.duplicate and (later.version, later.changes) == (2, 0)


def test_a_sessions_events_with_its_namesakes_told_apart_by_folder(store: Store) -> None:
    for name in ("Song", "Song (Client A)", "Song (Client B)", "Song 2", "Songs (x)", "50%_off", "50X_off (y)"):
        append_save(store, _info(name, name), _session(name, 0.0))

    def sessions(name: str, namesakes: bool) -> set[str]:
        return {e.session for e in store.events(session=name, namesakes=namesakes)}

    assert sessions("Song", False) == {"Song"}
    assert sessions("Song", True) == {"Song", "Song (Client A)", "Song (Client B)"}
    assert sessions("50%_off", True) == {"50%_off"}  # LIKE's wildcards in a name are plain characters


def test_same_content_in_another_session_is_recorded(store: Store) -> None:
    append_save(store, _info("Song", "a"), _session("Song", 0.0))
    other = append_save(store, _info("Other", "a"), _session("Other", 0.0))
    assert not other.duplicate and other.version == 1


def test_a_rejected_file_is_recorded_without_touching_what_was_stored(store: Store) -> None:
    append_save(store, _info("Song", "a"), _session("Song", 0.0))
    rejected = store.append_rejected(_info("Song", "garbage", 1), "not a complete ZIP archive")
    assert not rejected.duplicate and rejected.positions == (3,)
    assert store.append_rejected(_info("Song", "garbage", 1), "not a complete ZIP archive").duplicate
    after = append_save(store, _info("Song", "b", 3), _session("Song", -1.0))
    assert after.version == 2  # versions count accepted saves only
    event = [e for e in store.events() if e.type == "save-rejected"][0]
    assert event.payload["reason"] == "not a complete ZIP archive"
    assert event.version is None
    assert store.latest_session("Song") == _session("Song", -1.0)


def test_the_previous_state_comes_from_the_snapshot(store_url: str) -> None:
    writer = Store.open(store_url)
    append_save(writer, _info("Song", "a"), _session("Song", 0.0))
    writer.close()
    fresh = Store.open(store_url)  # no cache: the snapshot is read back from the database
    assert fresh.latest_session("Song") == _session("Song", 0.0)
    result = append_save(fresh, _info("Song", "b", 1), _session("Song", 0.0, tracks=4))
    assert result.changes == 1
    assert [e.type for e in fresh.events(after=result.positions[0])] == ["track-added"]
    fresh.close()


def test_events_filter_by_session_and_position(store: Store) -> None:
    append_save(store, _info("A", "a"), _session("A", 0.0))
    append_save(store, _info("B", "b"), _session("B", 0.0))
    assert {e.session for e in store.events(session="B")} == {"B"}
    assert [e.position for e in store.events(after=2)] == [3, 4]


def test_event_json_follows_the_contract(store: Store) -> None:
    append_save(store, _info("Song", "a"), _session("Song", 0.0))
    append_save(store, _info("Song", "b", 1), _session("Song", -2.0))
    for event in store.events():
        line = json.dumps(event.to_json(), allow_nan=False)
        data = json.loads(line)
        assert {"position", "type", "session", "version", "user", "at"} <= set(data)
        assert datetime.fromisoformat(data["at"]).tzinfo is not None


def test_migrating_an_existing_database_again_changes_nothing(store_url: str) -> None:
    append_save(Store.open(store_url), _info("Song", "a"), _session("Song", 0.0))
    again = Store.open(store_url)
    assert again.counts()["events"] == 2
    again.close()


def test_concurrent_writers_never_leave_gaps_or_duplicates(store_url: str) -> None:
    Store.open(store_url).close()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        store = Store.open(store_url)
        rng = random.Random(n)
        try:
            for i in range(6):
                session = f"Song {n % 3}"
                append_save(store, _info(session, f"{n}-{i}", i), _session(session, -rng.uniform(0, 12)))
                append_save(store, _info(session, f"{n}-{i}", i), _session(session, 0.0))  # duplicate
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    store = Store.open(store_url)
    events = list(store.events())
    assert [e.position for e in events] == list(range(1, len(events) + 1))
    saved = [e for e in events if e.type == "session-saved"]
    assert len(saved) == 48
    for name in ("Song 0", "Song 1", "Song 2"):
        versions = [e.version for e in saved if e.session == name]
        assert versions == list(range(1, len(versions) + 1))
    store.close()


def test_a_reader_following_the_log_never_skips_a_committed_event(store_url: str) -> None:
    Store.open(store_url).close()
    done = threading.Event()
    seen: list[int] = []

    def follow() -> None:
        reader = Store.open(store_url)
        last = 0
        while not done.is_set() or last < total[0]:
            for event in reader.events(after=last):
                seen.append(event.position)
                last = event.position
        reader.close()

    total = [10**9]
    follower = threading.Thread(target=follow)
    follower.start()
    writers = []
    for n in range(4):

        def write(n: int = n) -> None:
            store = Store.open(store_url)
            for i in range(5):
                append_save(store, _info(f"S{n}", f"{n}/{i}", i), _session(f"S{n}", -float(i)))
            store.close()

        writers.append(threading.Thread(target=write))
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=120)
    total[0] = Store.open(store_url).counts()["events"]
    done.set()
    follower.join(timeout=60)
    assert seen == list(range(1, total[0] + 1))


def test_a_session_changed_in_place_keeps_its_identity(store: Store) -> None:
    base = _session("Song", 0.0)
    append_save(store, _info("Song", "a"), base)
    renamed = replace(base, tracks=(replace(base.tracks[0], name="Kick In"), *base.tracks[1:]))
    append_save(store, _info("Song", "b", 1), renamed)
    types = [e.type for e in store.events(session="Song")]
    assert types[-1] == "track-renamed"


def test_a_save_diffed_against_a_stale_version_is_not_committed(store: Store) -> None:
    from daemon.sessions.diff import diff

    append_save(store, _info("Song", "a"), _session("Song", 0.0))
    stale = diff(None, _session("Song", -1.0))
    assert store.commit_save(_info("Song", "b", 1), _session("Song", -1.0), stale, expected_version=0) is None
    assert store.counts()["saves"] == 1
    fresh = append_save(store, _info("Song", "b", 1), _session("Song", -1.0))
    assert fresh.version == 2 and fresh.changes == 3


def _justified(refers_to: int) -> DerivedEvent:
    return DerivedEvent("change-justified", "Song", 2, "greg", {"refers_to": refers_to, "rule": "gain-staging"})


def test_a_processor_appends_what_it_derived_with_its_position_in_one_transaction(store: Store) -> None:
    append_save(store, _info("Song", "a"), _session("Song", -6.0))
    append_save(store, _info("Song", "b", minutes=1), _session("Song", -3.0))
    last = max(e.position for e in store.events())
    assert store.processed_through("justify") == 0
    positions = store.append_derived("justify", 0, last, [_justified(last)])
    assert positions == (last + 1,)
    assert store.processed_through("justify") == last
    derived = list(store.events(after=last))
    assert [(e.type, e.session, e.version, e.payload["refers_to"]) for e in derived] == [
        ("change-justified", "Song", 2, last)
    ]
    # A second run that started from the old position is refused and writes nothing.
    assert store.append_derived("justify", 0, last, [_justified(last)]) is None
    # Saves after it keep the positions gap-free.
    append_save(store, _info("Song", "c", minutes=2), _session("Song", -1.0))
    assert [e.position for e in store.events()] == list(range(1, len(list(store.events())) + 1))
    assert store.processed_through("other") == 0  # each processor has its own position


def test_a_processor_that_fails_midway_leaves_neither_events_nor_position(store: Store) -> None:
    append_save(store, _info("Song", "a"), _session("Song", -6.0))
    before = list(store.events())
    bad = DerivedEvent("change-justified", "Song", 1, "greg", {"refers_to": 1, "confidence": float("nan")})
    with pytest.raises(ValueError):
        store.append_derived("justify", 0, 2, [_justified(1), bad])
    assert list(store.events()) == before
    assert store.processed_through("justify") == 0


def test_one_save_s_events_are_read_by_its_version(tmp_path: Path) -> None:
    from daemon.demo.simulator import simulate_archive
    from daemon.ingest.bulk import ingest

    simulate_archive(tmp_path / "archive", songs=1, saves=3, seed=1, render_audio=False)
    store = Store.open(sqlite_url(tmp_path / "v.db"))
    ingest([tmp_path / "archive"], store, "greg", jobs=1)
    every = [e for e in store.events(session="Song A") if e.version == 2]
    assert every and list(store.events(session="Song A", version=2)) == every
    store.close()
