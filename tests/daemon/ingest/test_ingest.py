"""Bulk ingestion: idempotent, ordered by save time, crash-safe, safe with two runs at once."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from daemon.demo.simulator import simulate_archive
from daemon.ingest.bulk import ingest
from daemon.log.events import VERDICT_TYPES
from daemon.log.store import Store, sqlite_url
from daemon.sessions.diff import diff
from tests.paths import REPO


def _log(store: Store) -> list[dict]:
    """The log as JSON; a verdict's time (when it was judged, not when the engineer saved) left out."""
    return [{k: v for k, v in e.to_json().items() if k != "at" or e.type not in VERDICT_TYPES} for e in store.events()]


@pytest.mark.corpus
def test_ingesting_a_real_history_twice_gives_its_events_once_in_save_order(corpus: Path, tmp_path: Path) -> None:
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    history = corpus / "histories" / "opendaw-test-dawproject"
    first = ingest([history], store, "greg", jobs=2)
    second = ingest([history], store, "greg", jobs=2)
    assert (first.saves, second.saves, second.events, second.already_known) == (7, 0, 0, 7)
    saved = [e for e in store.events() if e.type == "session-saved"]
    assert [e.version for e in saved] == [1, 2, 3, 4, 5, 6, 7]
    assert [Path(e.payload["file"]).name[:3] for e in saved] == ["001", "002", "003", "004", "005", "006", "007"]
    assert {e.session for e in saved} == {"test"}
    renamed = [e for e in store.events() if e.type == "track-renamed"]
    assert renamed[0].version == 2 and renamed[0].payload["after"] == "Drum Loop"
    positions = [e.position for e in store.events()]
    assert positions == list(range(1, len(positions) + 1))


def test_a_bad_file_is_rejected_with_its_reason_and_the_run_goes_on(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    saves = simulate_archive(archive, songs=1, saves=3, seed=1, render_audio=False)
    broken = archive / "Song A v2.dawproject"
    broken.write_bytes(broken.read_bytes()[:200])  # cut short, as a crashed copy leaves it
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    report = ingest([archive], store, "greg", jobs=1)
    assert report.saves == 2
    assert [source for source, _ in report.rejected] == [str(broken)]
    assert "ZIP" in report.rejected[0][1]
    rejected = [e for e in store.events() if e.type == "save-rejected"]
    assert len(rejected) == 1 and rejected[0].payload["file"] == str(broken)
    assert "rejected" in report.summary() and str(broken) in report.summary()
    latest = store.latest_session("Song A")
    assert latest is not None and diff(latest, saves[-1].session) == []


def test_the_summary_names_what_was_left_alone_and_why(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    simulate_archive(archive, songs=1, saves=2, seed=1, render_audio=False)
    (archive / "Song A.rpp-undo").write_text("undo")
    (archive / "Kick.wav").write_bytes(b"RIFF")
    report = ingest([archive], Store.open(sqlite_url(tmp_path / "t.db")), "greg", jobs=1)
    assert report.saves == 2
    assert report.summary().splitlines()[-1] == (
        "  left alone, no sessions: 1 .rpp-undo (REAPER undo histories, not saves), 1 .wav (audio or MIDI)"
    )


def test_sessions_inside_a_zip_archive_are_ingested(tmp_path: Path) -> None:
    saves = simulate_archive(tmp_path / "songs", songs=2, saves=2, seed=2, render_audio=False)
    bundle = tmp_path / "backup.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        for save in saves:
            z.write(save.path, f"2024/{save.path.name}")
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    report = ingest([bundle], store, "greg", jobs=1)
    assert report.saves == 4 and report.sessions == {"Song A", "Song B"}
    files = [e.payload["file"] for e in store.events() if e.type == "session-saved"]
    assert all(f.startswith(f"{bundle}!2024/") for f in files)


def _ingest_cmd(archive: Path, db: Path, jobs: int = 1) -> list[str]:
    return [
        sys.executable,
        "-m",
        "daemon.cli",
        "ingest",
        str(archive),
        "--db",
        str(db),
        "--jobs",
        str(jobs),
        "--user",
        "greg",
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "TAPEOP_CONFIG_DIR": "/nonexistent-tapeop-config"}


def _saves_in(db: Path) -> int:
    """Saves recorded so far, read beside a running writer (WAL lets readers in)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM saves").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet, or its schema not yet
        return 0


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("archive")
    simulate_archive(folder, songs=10, saves=30, seed=7, render_audio=False)
    return folder


@pytest.fixture(scope="module")
def reference_log(big_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    db = tmp_path_factory.mktemp("ref") / "ref.db"
    subprocess.run(_ingest_cmd(big_archive, db), check=True, env=_env(), capture_output=True, timeout=600)
    return _log(Store.open(sqlite_url(db)))


@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_gives_the_uninterrupted_log(
    big_archive: Path, reference_log: list[dict], tmp_path: Path
) -> None:
    assert len(list(big_archive.iterdir())) == 300
    assert len([e for e in reference_log if e["type"] == "session-saved"]) == 300  # every save, undos included
    db = tmp_path / "killed.db"
    rng = random.Random(20261125)
    kills = 0
    for _ in range(20):
        before = _saves_in(db)
        proc = subprocess.Popen(
            _ingest_cmd(big_archive, db), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # A random moment once this run is at work (it has appended a save), not during start-up.
        deadline = time.monotonic() + 60
        while proc.poll() is None and _saves_in(db) <= before and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.04))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
    subprocess.run(_ingest_cmd(big_archive, db), check=True, env=_env(), capture_output=True, timeout=600)
    assert kills == 20, "the archive ingested too fast to be interrupted: make it bigger"
    store = Store.open(sqlite_url(db))
    assert store.integrity_check() == "ok"
    log = _log(store)
    assert [e["position"] for e in log] == list(range(1, len(log) + 1))
    assert log == reference_log


@pytest.mark.slow
def test_two_ingests_of_one_archive_at_once_record_everything_once(
    big_archive: Path, reference_log: list[dict], tmp_path: Path
) -> None:
    db = tmp_path / "twice.db"
    Store.open(sqlite_url(db)).close()
    procs = [
        subprocess.Popen(_ingest_cmd(big_archive, db), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()
    log = _log(Store.open(sqlite_url(db)))
    assert [e["position"] for e in log] == list(range(1, len(log) + 1))
    key = lambda e: (e["session"], e["version"], e["type"], json.dumps(e, sort_keys=True, default=str))  # noqa: E731
    without_position = [{k: v for k, v in e.items() if k != "position"} for e in log]
    reference = [{k: v for k, v in e.items() if k != "position"} for e in reference_log]
    assert sorted(without_position, key=key) == sorted(reference, key=key)


def test_events_json_lines_follow_the_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from daemon.cli import main

    simulate_archive(tmp_path / "a", songs=1, saves=2, seed=4, render_audio=False)
    db = tmp_path / "t.db"
    assert main(["ingest", str(tmp_path / "a"), "--db", str(db), "--jobs", "1", "--user", "greg"]) == 0
    capsys.readouterr()
    assert main(["events", "--json", "--db", str(db)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["type"] == "session-saved" and lines[0]["version"] == 1
    for line in lines:
        assert {"position", "type", "session", "version", "user", "at"} <= set(line)
        assert line["user"] == "greg" and line["session"] == "Song A"
    changed = [line for line in lines if line["type"] == "parameter-changed"]
    assert changed and all({"track", "parameter", "before", "after"} <= set(line) for line in changed)


def test_reading_on_a_dask_cluster_gives_the_same_log_as_a_local_run(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    simulate_archive(tmp_path / "a", songs=2, saves=3, seed=5, render_audio=False)
    local = Store.open(sqlite_url(tmp_path / "local.db"))
    ingest([tmp_path / "a"], local, "greg", jobs=1)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        remote = Store.open(sqlite_url(tmp_path / "dask.db"))
        report = ingest([tmp_path / "a"], remote, "greg", dask_address=cluster.scheduler_address)
    assert report.saves == 6
    assert _log(remote) == _log(local)


def test_an_unreachable_dask_scheduler_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed", reason="dask.distributed is not installed")
    from daemon.errors import AppError
    from daemon.ingest import bulk as ingest_module

    monkeypatch.setattr(ingest_module, "DASK_CONNECT_TIMEOUT_S", 2)
    simulate_archive(tmp_path / "a", songs=1, saves=1, seed=5, render_audio=False)
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    with pytest.raises(AppError, match="cannot reach the Dask scheduler"):
        ingest([tmp_path / "a"], store, "greg", dask_address="tcp://127.0.0.1:9")


def test_a_folder_ingested_alone_before_keeps_its_session_name_when_a_namesake_arrives(tmp_path: Path) -> None:
    for client in ("Client A", "Client B"):
        simulate_archive(tmp_path / client, songs=1, saves=2, seed=len(client), render_audio=False)
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    first = ingest([tmp_path / "Client A"], store, "greg", jobs=1)
    assert first.sessions == {"Song A"}
    both = ingest([tmp_path / "Client A", tmp_path / "Client B"], store, "greg", jobs=1)
    assert both.sessions == {"Song A (Client B)"}
    assert both.already_known == 2
    saved = [(e.session, e.version) for e in store.events() if e.type == "session-saved"]
    assert saved == [("Song A", 1), ("Song A", 2), ("Song A (Client B)", 1), ("Song A (Client B)", 2)]


def test_sessions_of_every_format_are_ingested_side_by_side(tmp_path: Path) -> None:
    simulate_archive(tmp_path / "a", songs=1, saves=1, seed=3, render_audio=False)
    (tmp_path / "a" / "Other Song.RPP").write_text('<REAPER_PROJECT 0.1 "7.26/linux" 1733339460\n  TEMPO 98 4 4\n>\n')
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    report = ingest([tmp_path / "a"], store, "greg", jobs=1)
    assert report.saves == 2 and report.rejected == [] and report.sessions == {"Song A", "Other Song"}
    assert store.latest_session("Other Song").tempo_bpm == 98.0  # type: ignore[union-attr]
