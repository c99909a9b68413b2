"""The watcher: a real watchdog observer on temporary folders and a real SQLite file. Tests wait on
the store and on the watcher's hooks with timeouts; sleeps appear only where the scenario itself
needs time to pass (a file written in chunks over 3 s)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from watchdog.observers import Observer

import daemon.service.watcher as watch
from daemon.demo.simulator import SimulatedSave, simulate_archive
from daemon.errors import AppError
from daemon.formats import read_session
from daemon.log.records import LoggedEvent
from daemon.log.store import Store, sqlite_url
from daemon.service import heap
from daemon.service.lock import instance_lock
from daemon.service.settle import is_watched
from daemon.service.watcher import HEARTBEAT_S, Outcome, Watcher
from daemon.sessions.diff import diff
from tests.daemon.formats import hostile_files
from tests.paths import REPO

QUIET_S = 0.3


def wait_until(predicate: Callable[[], object], timeout: float = 20.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Running:
    """A Watcher on its own thread, with what it reported."""

    def __init__(self, roots: list[Path], db: Path, **options: Any) -> None:
        self.store = Store.open(sqlite_url(db))
        self.outcomes: list[Outcome] = []
        self.ready = threading.Event()
        options.setdefault("quiet_s", QUIET_S)
        self.watcher = Watcher(
            roots,
            self.store,
            lambda _path: "greg",
            on_ingested=lambda _path, outcome: self.outcomes.append(outcome),
            on_ready=self.ready.set,
            **options,
        )
        self.thread = threading.Thread(target=self.watcher.run, daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        assert self.ready.wait(20), "the watcher did not start"
        return self

    def __exit__(self, *_exc: object) -> None:
        self.watcher.stop()
        self.thread.join(15)
        assert not self.thread.is_alive(), "the watcher did not stop"
        self.store.close()

    def events(self, type_: str | None = None) -> list[LoggedEvent]:
        return [e for e in self.store.events() if type_ is None or e.type == type_]

    def wait_for(self, kind: str, count: int, timeout: float = 20.0) -> None:
        wait_until(lambda: sum(o.kind == kind for o in self.outcomes) >= count, timeout, f"{count} {kind} outcome(s)")

    def idle(self) -> None:
        """Nothing pending nor queued, twice a quiet period apart (then no batch can be on its way)."""

        def quiet() -> bool:
            return not self.watcher._pending and self.watcher._paths.empty()

        for _ in range(2):
            wait_until(quiet, what="the watcher to be idle")
            time.sleep(self.watcher.quiet_s * 1.5)
        wait_until(quiet, what="the watcher to be idle")


def by_song(folder: Path, songs: int, saves: int, seed: int) -> dict[str, list[SimulatedSave]]:
    """A simulated engineer's saves (without audio), each song's in order."""
    out: dict[str, list[SimulatedSave]] = {}
    for save in simulate_archive(folder, songs=songs, saves=saves, seed=seed, render_audio=False):
        out.setdefault(save.song, []).append(save)
    return out


@pytest.fixture(scope="module")
def songs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[SimulatedSave]]:
    """Six songs of five saves each, "Song A" .. "Song F", as the simulated engineer saved them."""
    return by_song(tmp_path_factory.mktemp("songs"), songs=6, saves=5, seed=11)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "sessions"
    folder.mkdir()
    return folder


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every (path, size) the watcher hashes or parses."""
    seen: list[tuple[str, int]] = []
    real_hash, real_parse = watch.hash_file, watch.parse_candidate

    def hash_file(path: str) -> tuple[str, int]:
        result = real_hash(path)
        seen.append((path, result[1]))
        return result

    def parse_candidate(candidate: Any, sha256: str, size: int, data: bytes | None = None) -> Any:
        seen.append((str(candidate.path), size))
        return real_parse(candidate, sha256, size, data)

    monkeypatch.setattr(watch, "hash_file", hash_file)
    monkeypatch.setattr(watch, "parse_candidate", parse_candidate)
    return seen


def atomic_save(source: Path, target: Path, temp_name: str | None = None) -> None:
    """Write a temp file beside the target and rename it over the target (Ardour, editors)."""
    temp = target.with_name(temp_name or target.name + ".tmp")
    temp.write_bytes(source.read_bytes())
    os.replace(temp, target)


def test_names_the_watcher_ignores() -> None:
    root = Path("/r")
    taken = ["Song.dawproject", "Sub/Song v2.dawproject", "Song.RPP", "Song.als", "Song.ardour", "a/b/c.DAWPROJECT"]
    ignored = [
        "Song.dawproject.tmp",
        "Song.ardour.bak",
        "Song.ardour.pending",
        "Song.RPP-bak",
        "Song-2024-12-05_0014.rpp-bak",
        "Backups/Song-2024-12-05_0014.rpp",
        "Backup/Song [2024-12-05 101500].als",
        ".Song.dawproject.swp",
        "~Song.dawproject",
        "Song.dawproject~",
        ".goutputstream-ABC123",
        ".hidden/Song.dawproject",
        "Song.dawproject.part",
        "project.xml",
        "notes.txt",
    ]
    assert [n for n in taken if not is_watched(root / n, root)] == []
    assert [n for n in ignored if is_watched(root / n, root)] == []
    assert not is_watched(Path("/elsewhere/Song.dawproject"), root)


def test_an_ardour_style_save_gives_one_batch_and_the_temp_file_is_never_read(
    root: Path, tmp_path: Path, songs: dict[str, list[SimulatedSave]], reads: list[tuple[str, int]]
) -> None:
    target = root / "Song A.dawproject"
    with Running([root], tmp_path / "t.db") as run:
        (root / "Stray.dawproject.tmp").write_bytes(b"garbage that would be rejected if it were read")
        atomic_save(songs["Song A"][0].path, target)
        run.wait_for("saved", 1)
        atomic_save(songs["Song A"][1].path, target)
        run.wait_for("saved", 2)
        run.idle()
        saved = run.events("session-saved")
        assert [(e.session, e.version, e.payload["sha256"]) for e in saved] == [
            ("Song A", 1, sha(songs["Song A"][0].path)),
            ("Song A", 2, sha(target)),
        ]
        assert run.events("save-rejected") == []
        assert [e.user for e in saved] == ["greg", "greg"]
    assert reads, "the spy saw nothing"
    assert [path for path, _ in reads if not path.endswith("Song A.dawproject")] == []


def test_a_reaper_style_save_in_chunks_gives_no_events_from_partial_content_and_one_batch(
    root: Path, tmp_path: Path, songs: dict[str, list[SimulatedSave]]
) -> None:
    target = root / "Song B.dawproject"
    (root / "Backups").mkdir()
    with Running([root], tmp_path / "t.db", quiet_s=0.5) as run:
        atomic_save(songs["Song B"][0].path, target)
        run.wait_for("saved", 1)
        # REAPER: the old file becomes a backup, then the new one is written (not atomically).
        os.rename(target, root / "Backups" / "Song B-2024-12-05_0014.dawproject")
        data = songs["Song B"][1].path.read_bytes()
        step = -(-len(data) // 50)
        with target.open("wb") as fh:
            for at in range(0, len(data), step):
                fh.write(data[at : at + step])
                fh.flush()
                time.sleep(3.0 / 50)  # the scenario: 50 chunks over 3 s
        run.wait_for("saved", 2)
        run.idle()
        saved = run.events("session-saved")
        assert [(e.version, e.payload["sha256"]) for e in saved] == [
            (1, sha(songs["Song B"][0].path)),
            (2, hashlib.sha256(data).hexdigest()),
        ]
        assert run.events("save-rejected") == []
        assert {e.session for e in run.events()} == {"Song B"}


def rpp(volumes: list[float]) -> bytes:
    """A REAPER project of one track per volume (linear), a few kB like a real small save."""
    lines = ['<REAPER_PROJECT 0.1 "7.26/linux-x86_64" 1733339460', "  TEMPO 120 4 4"]
    for i, volume in enumerate(volumes):
        lines += ["  <TRACK", f"    NAME Track{i + 1}", f"    VOLPAN {volume!r} 0 -1 -1 1", "    MUTESOLO 0 0 0"]
        lines += ["    <VOLENV2", "      ACT 1 -1"] + [f"      PT {k} {0.5 + k / 400} 0" for k in range(100)]
        lines += ["    >", "  >"]
    return "\n".join([*lines, ">", ""]).encode()


def test_a_reaper_save_of_an_rpp_in_chunks_gives_one_batch_and_the_rpp_bak_is_not_read(
    root: Path, tmp_path: Path, reads: list[tuple[str, int]]
) -> None:
    target = root / "Song D.RPP"
    first, second = rpp([0.5, 0.7, 1.0]), rpp([0.5, 0.35, 1.0])
    with Running([root], tmp_path / "t.db", quiet_s=0.5) as run:
        target.write_bytes(first)
        run.wait_for("saved", 1)
        # REAPER: the old project becomes Song D.RPP-bak, then the new one is written in pieces.
        os.rename(target, root / "Song D.RPP-bak")
        step = -(-len(second) // 50)
        with target.open("wb") as fh:
            for at in range(0, len(second), step):
                fh.write(second[at : at + step])
                fh.flush()
                time.sleep(3.0 / 50)  # 50 chunks over 3 s
        run.wait_for("saved", 2)
        run.idle()
        assert [(e.version, e.payload["sha256"]) for e in run.events("session-saved")] == [
            (1, hashlib.sha256(first).hexdigest()),
            (2, hashlib.sha256(second).hexdigest()),
        ]
        assert run.events("save-rejected") == []
        (change,) = [e for e in run.events() if e.type == "parameter-changed"]
        assert (change.payload["track"], change.payload["parameter"]) == ("Track2", "volume_db")
    assert [path for path, _ in reads if path.lower().endswith(".rpp-bak")] == []


def test_a_half_written_dawproject_completed_2_s_later_gives_no_event_then_one_batch(
    root: Path, tmp_path: Path, songs: dict[str, list[SimulatedSave]], reads: list[tuple[str, int]]
) -> None:
    data = songs["Song C"][0].path.read_bytes()
    target = root / "Song C.dawproject"
    with Running([root], tmp_path / "t.db", quiet_s=0.5) as run:  # rejection only after 3 s unchanged
        target.write_bytes(data[: len(data) // 2])
        wait_until(lambda: (str(target), len(data) // 2) in reads, what="the watcher to try the half file")
        time.sleep(2.0 - 0.5)  # the scenario: the rest comes 2 s after the first half
        assert run.events() == []
        target.write_bytes(data)
        run.wait_for("saved", 1)
        run.idle()
        assert [e.payload["sha256"] for e in run.events("session-saved")] == [hashlib.sha256(data).hexdigest()]
        assert run.events("save-rejected") == []
        assert [o.kind for o in run.outcomes] == ["saved"]


def test_one_save_firing_several_modify_events_and_a_burst_of_saves_each_give_one_batch(
    root: Path, tmp_path: Path, songs: dict[str, list[SimulatedSave]]
) -> None:
    versions = songs["Song D"]
    target = root / "Song D.dawproject"
    with Running([root], tmp_path / "t.db") as run:
        data = versions[0].path.read_bytes()
        with target.open("wb") as fh:  # three writes: modify, modify, modify, close-write
            for part in (data[:500], data[500:1000], data[1000:]):
                fh.write(part)
                fh.flush()
                os.fsync(fh.fileno())
        run.wait_for("saved", 1)
        for version in versions[1:]:  # four saves within a quiet period: the last state counts
            atomic_save(version.path, target)
        run.wait_for("saved", 2)
        run.idle()
        saved = run.events("session-saved")
        assert [(e.version, e.payload["sha256"]) for e in saved] == [(1, sha(versions[0].path)), (2, sha(target))]
        latest = run.store.latest_session("Song D")
        assert latest is not None and diff(latest, versions[-1].session) == []


def test_saves_made_while_stopped_are_ingested_once_as_their_latest_state_at_start_up(
    root: Path, tmp_path: Path, songs: dict[str, list[SimulatedSave]]
) -> None:
    db = tmp_path / "t.db"
    names = sorted(songs)
    for name in names:
        atomic_save(songs[name][0].path, root / f"{name}.dawproject")
    with Running([root], db) as run:
        run.wait_for("saved", len(names))
    edited = names[:5]
    for version in range(1, 5):  # 20 saves across 5 sessions while nothing watches
        for name in edited:
            atomic_save(songs[name][version].path, root / f"{name}.dawproject")
    with Running([root], db) as run:
        run.wait_for("saved", 5)
        run.idle()
        assert sorted(o.session for o in run.outcomes if o.kind == "saved") == edited
        # Song F, unchanged, is hashed (this process has not seen it before) and records nothing.
        assert [(o.kind, o.session) for o in run.outcomes if o.kind != "saved"] == [("unchanged", "Song F")]
        saved = run.events("session-saved")
        assert len(saved) == len(names) + 5
        for name in edited:
            mine = [e for e in saved if e.session == name]
            assert [(e.version, e.payload["sha256"]) for e in mine] == [
                (1, sha(songs[name][0].path)),
                (2, sha(songs[name][4].path)),
            ]
            latest = run.store.latest_session(name)
            assert latest is not None and diff(latest, songs[name][4].session) == []
        positions = [e.position for e in run.events()]
        assert positions == list(range(1, len(positions) + 1))


def test_a_hostile_file_is_rejected_with_its_reason_and_the_next_valid_save_is_ingested(
    root: Path, tmp_path: Path, songs: dict[str, list[SimulatedSave]]
) -> None:
    target = root / "Evil.dawproject"
    with Running([root], tmp_path / "t.db", confirm_s=1.0) as run:
        hostile_files.dawproject(target, [("project.xml", hostile_files.billion_laughs())])
        run.wait_for("rejected", 1)
        [rejected] = run.events("save-rejected")
        assert rejected.payload["file"] == str(target) and rejected.session == "Evil"
        assert "DTD" in rejected.payload["reason"] or "entit" in rejected.payload["reason"]
        atomic_save(songs["Song E"][0].path, target)
        atomic_save(songs["Song A"][0].path, root / "Song A.dawproject")
        run.wait_for("saved", 2)
        run.idle()
        assert sorted(e.session for e in run.events("session-saved")) == ["Evil", "Song A"]
        assert len(run.events("save-rejected")) == 1


def test_links_out_of_the_tree_and_link_loops_are_not_followed(
    root: Path, tmp_path: Path, songs: dict[str, list[SimulatedSave]], reads: list[tuple[str, int]]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    atomic_save(songs["Song A"][0].path, outside / "Secret.dawproject")
    (root / "etc").symlink_to("/etc")
    (root / "a").mkdir()
    (root / "a" / "b").symlink_to("..")  # a loop
    (root / "Secret.dawproject").symlink_to(outside / "Secret.dawproject")
    (root / "out").symlink_to(outside)
    started = time.monotonic()
    with Running([root], tmp_path / "t.db") as run:
        assert time.monotonic() - started < 10
        atomic_save(songs["Song B"][0].path, root / "a" / "Song B.dawproject")
        run.wait_for("saved", 1)
        run.idle()
        assert [e.session for e in run.events("session-saved")] == ["Song B"]
        assert run.events("save-rejected") == []
    assert {path for path, _ in reads} == {str(root / "a" / "Song B.dawproject")}


def test_an_inotify_overflow_is_answered_by_a_rescan(
    root: Path, tmp_path: Path, songs: dict[str, list[SimulatedSave]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch._QueuePaths, "dispatch", lambda self, event: None)  # every event lost
    with Running([root], tmp_path / "t.db") as run:
        atomic_save(songs["Song A"][0].path, root / "Song A.dawproject")
        time.sleep(QUIET_S * 3)  # the scenario: the save's events are gone, nothing happens
        assert run.events() == []
        # What watchdog (>= 7.1) logs when the kernel reports IN_Q_OVERFLOW.
        logging.getLogger("watchdog.observers.inotify_c").warning(
            "Inotify queue overflowed; filesystem events were lost"
        )
        run.wait_for("saved", 1)
        assert [e.session for e in run.events("session-saved")] == ["Song A"]


def test_a_watch_limit_falls_back_to_polling(
    root: Path, tmp_path: Path, songs: dict[str, list[SimulatedSave]], monkeypatch: pytest.MonkeyPatch
) -> None:
    class LimitedObserver(Observer):  # type: ignore[misc,valid-type]
        def start(self) -> None:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watch, "Observer", LimitedObserver)
    with Running([root], tmp_path / "t.db", poll_interval_s=0.2) as run:
        assert run.watcher.polled == {root.resolve()}
        atomic_save(songs["Song A"][0].path, root / "Song A.dawproject")
        run.wait_for("saved", 1)
        assert [e.session for e in run.events("session-saved")] == ["Song A"]


def test_the_same_song_in_two_folders_is_two_sessions(
    root: Path, tmp_path: Path, songs: dict[str, list[SimulatedSave]]
) -> None:
    for client in ("Client X", "Client Y"):
        (root / client).mkdir()
    with Running([root], tmp_path / "t.db") as run:
        atomic_save(songs["Song A"][0].path, root / "Client X" / "Song A.dawproject")
        run.wait_for("saved", 1)
        atomic_save(songs["Song A"][1].path, root / "Client Y" / "Song A.dawproject")
        atomic_save(songs["Song A"][2].path, root / "Client X" / "Song A v2.dawproject")
        run.wait_for("saved", 3)
        sessions = [(e.session, e.version) for e in run.events("session-saved")]
        assert sorted(sessions) == [("Song A", 1), ("Song A", 2), ("Song A (Client Y)", 1)]


def test_a_second_lock_on_one_database_says_who_holds_it(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "t.db")
    held = instance_lock(url)
    held.__enter__()
    try:
        with pytest.raises(AppError, match=rf"^already running \(pid {os.getpid()}\)$"), instance_lock(url):
            pass
    finally:
        held.__exit__(None, None, None)
    with instance_lock(url):  # released with its holder
        pass


# -- the command, in a subprocess ----------------------------------------------------------


def _env(folder: Path) -> dict[str, str]:
    """The watcher's environment: no config file, its logs and data in the test's folder."""
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TAPEOP_CONFIG_DIR": "/nonexistent-tapeop-config",
        "TAPEOP_LOG_DIR": str(folder / "logs"),
        "TAPEOP_DATA_DIR": str(folder / "data"),
    }


def _watch_cmd(root: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "daemon.cli", "watch", str(root), "--db", str(db), "--quiet", "0.3", "--user", "greg"]


@contextlib.contextmanager
def _spawn(root: Path, db: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as err:
        proc = subprocess.Popen(_watch_cmd(root, db), env=_env(db.parent), stdout=subprocess.DEVNULL, stderr=err)
    try:
        wait_until(lambda: b"watching" in log.read_bytes() or proc.poll() is not None, 60, "the watcher to start")
        assert proc.poll() is None, log.read_text()
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _saved_in(db: Path) -> int:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM saves").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _files_state_is_logged(db: Path, files: dict[str, Path]) -> bool:
    store = Store.open(sqlite_url(db))
    try:
        latest: dict[str, str] = {}
        for event in store.events(types=("session-saved",)):
            latest[event.session] = event.payload["sha256"]
        return all(latest.get(name) == sha(path) for name, path in files.items())
    finally:
        store.close()


@pytest.fixture(scope="module")
def long_history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[SimulatedSave]]:
    """Five songs of ten saves each."""
    return by_song(tmp_path_factory.mktemp("long"), songs=5, saves=10, seed=5)


@pytest.mark.slow
def test_kill_9_during_bursts_then_restart_loses_nothing_and_repeats_nothing(
    root: Path, tmp_path: Path, long_history: dict[str, list[SimulatedSave]]
) -> None:
    db = tmp_path / "t.db"
    names = sorted(long_history)
    files = {name: root / f"{name}.dawproject" for name in names}
    written: dict[str, list[str]] = {name: [] for name in names}
    rng = random.Random(20261130)

    def burst(versions: range) -> None:
        for version in versions:  # each file saved every 0.5 s: some saves settle mid-burst
            for name in names:
                atomic_save(long_history[name][version].path, files[name])
                written[name].append(sha(files[name]))
                time.sleep(0.1)

    for cycle, versions in enumerate((range(0, 3), range(3, 6), range(6, 9))):
        with _spawn(root, db, tmp_path / f"watch{cycle}.log") as proc:
            writer = threading.Thread(target=burst, args=(versions,))
            writer.start()
            time.sleep(rng.uniform(0.6, 1.4))  # a random moment in the burst
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            writer.join()
    burst(range(9, 10))  # and one more while nothing runs
    assert _saved_in(db) >= 1, "nothing was ingested before the kills: the test proves nothing"
    with _spawn(root, db, tmp_path / "watch-last.log") as proc:
        wait_until(lambda: _files_state_is_logged(db, files), 60, "the files' final states in the log")
        second = subprocess.run(_watch_cmd(root, db), env=_env(db.parent), capture_output=True, timeout=60)
        assert second.returncode == 1
        assert second.stderr.decode().splitlines()[0].startswith(f"error: already running (pid {proc.pid}) (hint: ")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert time.monotonic() - started < 10
    store = Store.open(sqlite_url(db))
    assert store.integrity_check() == "ok"
    events = list(store.events())
    assert [e.position for e in events] == list(range(1, len(events) + 1))
    assert [e for e in events if e.type == "save-rejected"] == []
    for name in names:
        saved = [e for e in events if e.session == name and e.type == "session-saved"]
        shas = [e.payload["sha256"] for e in saved]
        assert len(shas) == len(set(shas)), f"{name}: a save logged twice"
        assert [e.version for e in saved] == list(range(1, len(saved) + 1))
        assert set(shas) <= set(written[name]) and shas[-1] == sha(files[name])
        latest = store.latest_session(name)
        assert latest is not None and diff(latest, read_session(files[name], name=name)) == []
    store.close()


class CountingIdle(heap.WhenIdle):
    def __init__(self, after_s: float) -> None:
        super().__init__(after_s)
        self.given_back = 0

    def tick(self) -> bool:
        done = super().tick()
        self.given_back += done
        return done


def test_the_watcher_gives_the_heap_back_once_saves_pause(
    root: Path, tmp_path: Path, songs: dict[str, list[SimulatedSave]]
) -> None:
    idle = CountingIdle(after_s=0.5)
    with Running([root], tmp_path / "t.db", idle=idle) as run:
        time.sleep(1.0)
        assert idle.given_back == 0  # nothing read yet: nothing to give back
        atomic_save(songs["Song A"][0].path, root / "Song A.dawproject")
        run.wait_for("saved", 1)
        wait_until(lambda: idle.given_back == 1, timeout=HEARTBEAT_S + 5, what="the heap to be given back")
        time.sleep(1.0)
        assert idle.given_back == 1  # once per pause


def test_a_restart_reads_only_the_files_that_changed_while_it_was_stopped(
    root: Path, tmp_path: Path, songs: dict[str, list[SimulatedSave]], reads: list[tuple[str, int]]
) -> None:
    db, seen = tmp_path / "t.db", tmp_path / "t.db.watch.seen.json"
    names = sorted(songs)[:4]
    for name in names:
        atomic_save(songs[name][0].path, root / f"{name}.dawproject")
    with Running([root], db, seen_file=seen) as run:
        run.wait_for("saved", len(names))
    assert seen.is_file()  # written when the watcher stops
    atomic_save(songs[names[0]][1].path, root / f"{names[0]}.dawproject")  # saved while stopped
    reads.clear()
    with Running([root], db, seen_file=seen) as run:
        run.wait_for("saved", 1)
        run.idle()
        assert [(o.kind, o.session) for o in run.outcomes] == [("saved", names[0])]
    assert {Path(path).name for path, _ in reads} == {f"{names[0]}.dawproject"}


def test_what_was_seen_counts_only_while_the_store_holds_it(
    root: Path, tmp_path: Path, songs: dict[str, list[SimulatedSave]]
) -> None:
    seen = tmp_path / "seen.json"
    atomic_save(songs["Song A"][0].path, root / "Song A.dawproject")
    with Running([root], tmp_path / "first.db", seen_file=seen) as run:
        run.wait_for("saved", 1)
    with Running([root], tmp_path / "emptied.db", seen_file=seen) as run:  # another, empty database
        run.wait_for("saved", 1)
        assert [e.session for e in run.events("session-saved")] == ["Song A"]
    seen.write_text("{not json")
    with Running([root], tmp_path / "first.db", seen_file=seen) as run:  # unusable: all looked at again
        run.idle()
        assert [(o.kind, o.session) for o in run.outcomes] == [("unchanged", "Song A")]
