"""Bulk-ingestion throughput with --jobs 1 and 2, and the store's event append rate against raw sqlite3.

Anchor: ../shared/research/perf-anchors.md, section 5 (event log): raw `sqlite3` executemany in WAL
mode, 0.9 M rows/s in one transaction, 0.42 M rows/s in 100-row transactions with synchronous=FULL
(the store's setting; that table was narrower, without secondary indexes). Side by side in one run:

1. `ingest` of two 500-save archives, each run into a fresh SQLite database: the simulator's (small
   sessions) and a parsing-bound one (40 tracks: EQ, compressor, four 30-parameter plug-ins, 2 lanes
   of 50 automation points, which are cheap to read but dear to write and to snapshot; each save
   moves 3 faders, a plug-in parameter and 5 points). Target: --jobs 2 >= 1.6x the saves/s of
   --jobs 1 on the parsing-bound archive. `read_candidate` alone is timed too, sequentially (the
   read share of --jobs 1) and in 2 processes (how far reading alone scales on this machine).
2. The event append rate: saves that move 100 faders (101 events each), written by the log's write
   path `Store.commit_save` (tracking row, compressed snapshot, session-saved and change events in
   one transaction; the changes diffed and the snapshot packed beforehand, as ingest packs it in
   its readers), only those calls timed, against the floor: the same rows, copied from our log,
   inserted by raw `sqlite3` executemany into a table of the same DDL and indexes, same pragmas,
   one transaction per save. Target: >= 0.5x the floor's events/s. `append_save` (the diff
   and the packing included) and one transaction for all rows are reference lines.

Run from the repo root: `python bench/ingest.py [--quick] [--profile]`. On 2 cores, --jobs 2 runs two
reader processes and the appending main process on them.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import os
import platform
import pstats
import random
import resource
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy  # noqa: E402

from daemon.demo.simulator import simulate_archive  # noqa: E402
from daemon.formats.dawproject_writer import write_dawproject  # noqa: E402
from daemon.ingest.append import append_save  # noqa: E402
from daemon.ingest.bulk import IngestReport, global_order, ingest  # noqa: E402
from daemon.ingest.discover import Candidate, discover, group_versions  # noqa: E402
from daemon.ingest.read import read_candidate  # noqa: E402
from daemon.log.records import SaveInfo  # noqa: E402
from daemon.log.snapshots import pack_snapshot  # noqa: E402
from daemon.log.store import Store, sqlite_url  # noqa: E402
from daemon.sessions.diff import diff
from daemon.sessions.model import AutomationLane, Channel, Device, Send, Session, Track, canonical_params  # noqa: E402

SEED = 20240611
T0 = datetime(2024, 6, 1, tzinfo=UTC)
RETURNS = ("Verb", "Delay")
PLUGINS = ("Tape Sat", "Chorus X", "Phaser Y", "Exciter Z")
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=30000", "PRAGMA foreign_keys=ON")


# -- 1. ingestion -------------------------------------------------------------------------------
def big_session(song: str, rng: random.Random, n_tracks: int, points: int) -> Session:
    times = [k * 0.25 for k in range(points)]
    tracks = []
    for i in range(n_tracks):
        eq = {f"eq.band{b}.{k}": v for b in (1, 2, 3, 4) for k, v in (("type", "bell"), ("q", 1.0))}
        eq |= {f"eq.band{b}.freq_hz": round(rng.uniform(40, 9000), 1) for b in (1, 2, 3, 4)}
        eq |= {f"eq.band{b}.gain_db": round(rng.uniform(-9, 9), 1) for b in (1, 2, 3, 4)}
        comp = {"comp.threshold_db": round(rng.uniform(-30, 0), 1), "comp.ratio": 3.0, "comp.attack_ms": 10.0}
        devices = [Device("eq", "EQ", params=canonical_params(eq))]
        devices.append(Device("compressor", "Comp", params=canonical_params(comp)))
        for name in PLUGINS:
            params = canonical_params({f"param.{name[:4]}{k:02d}": round(rng.random(), 4) for k in range(30)})
            devices.append(Device("plugin", name, "vst3", f"{rng.getrandbits(128):032X}", "Bench", params=params))
        lanes = (
            AutomationLane("volume_db", points=tuple((t, round(rng.uniform(-30, 0), 2)) for t in times)),
            AutomationLane("param.Tape00", device="Tape Sat", points=tuple((t, round(rng.random(), 4)) for t in times)),
        )
        channel = Channel(volume_db=round(rng.uniform(-20, 0), 1), pan=round(rng.uniform(-1, 1), 2))
        sends = tuple(Send(r, level_db=round(rng.uniform(-30, -6), 1)) for r in RETURNS)
        tracks.append(Track(f"{i + 1:02d} Track", "audio", ("audio",), channel, sends, tuple(devices), lanes))
    tracks += [Track(name=r, role="return", channel=Channel(volume_db=-6.0)) for r in RETURNS]
    tracks.append(Track(name="Master", role="master"))
    return Session(song, "Bench", "1", tempo_bpm=120.0, time_signature=(4, 4), tracks=tuple(tracks))


def edit(session: Session, rng: random.Random) -> Session:
    """A few changes: 3 faders, one plug-in parameter, 5 points of one lane."""
    tracks, n = list(session.tracks), len(session.tracks) - 3
    for i in rng.sample(range(n), 3):
        tracks[i] = replace(tracks[i], channel=replace(tracks[i].channel, volume_db=round(rng.uniform(-20, 0), 1)))
    i = rng.randrange(n)
    d = tracks[i].devices
    params = canonical_params({**d[2].param_dict, "param.Tape01": round(rng.random(), 4)})
    tracks[i] = replace(tracks[i], devices=(*d[:2], replace(d[2], params=params), *d[3:]))
    i, k = rng.randrange(n), rng.randrange(len(tracks[0].automation[0].points) - 5)
    lane = tracks[i].automation[0]
    moved = tuple((t, round(rng.uniform(-30, 0), 2)) for t, _ in lane.points[k : k + 5])
    lane = replace(lane, points=lane.points[:k] + moved + lane.points[k + 5 :])
    tracks[i] = replace(tracks[i], automation=(lane, *tracks[i].automation[1:]))
    return replace(session, tracks=tuple(tracks))


def parse_bound_saves(folder: Path, songs: int, saves: int, n_tracks: int, points: int) -> list[tuple]:
    """(path, session, mtime) of every save; the mtimes (discovery's save times) interleave the songs."""
    out = []
    for s in range(songs):
        rng = random.Random(f"{SEED}/{s}")
        session = big_session(f"Song {chr(ord('A') + s)}", rng, n_tracks, points)
        for v in range(1, saves + 1):
            stamp = (T0 + timedelta(minutes=v * songs + s)).timestamp()
            out.append((folder / f"{session.name} v{v}.dawproject", session, stamp))
            session = edit(session, rng)
    return out


def write_save(path: Path, session: Session, stamp: float) -> None:
    os.utime(write_dawproject(session, path), (stamp, stamp))


def _cpu() -> tuple[float, float, float, float]:
    """CPU seconds of this process, of its reaped children (the readers) and of the whole machine
    (/proc/stat, steal included); wall seconds."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    machine = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
    return time.process_time(), children.ru_utime + children.ru_stime, machine, time.perf_counter()


def time_ingest(folder: Path, jobs: int, db: Path) -> tuple[float, float, float, float, IngestReport]:
    """`ingest` into a fresh database: wall seconds; CPU seconds of this process, of its readers and
    of everything else on the machine meanwhile; the report."""
    store = Store.open(sqlite_url(db))
    before = _cpu()
    report = ingest([folder], store, "bench", jobs=jobs)
    main, readers, machine, wall = (b - a for a, b in zip(before, _cpu()))
    store.close()
    if report.rejected or report.saves == 0:
        raise SystemExit(f"ingest of {folder} went wrong: {report.summary()}")
    return wall, main, readers, machine - main - readers, report


def _read(candidate: Candidate) -> None:
    read_candidate(candidate)  # a result not sent back: reading alone


def time_reads(folder: Path, step: int, jobs: int) -> float:
    """Wall seconds of `read_candidate` over every `step`-th file of the archive, scaled to all."""
    ordered = global_order(group_versions(discover([folder]).candidates))
    start = time.perf_counter()
    if jobs == 1:
        for candidate in ordered[::step]:
            _read(candidate)
    else:
        with ProcessPoolExecutor(jobs) as pool:
            list(pool.map(_read, ordered[::step]))
    return (time.perf_counter() - start) * len(ordered) / len(ordered[::step])


# -- 2. event append rate -----------------------------------------------------------------------
def fader_saves(n_saves: int, n_tracks: int = 100) -> list[tuple[SaveInfo, Session]]:
    """Save 0 creates the session; every later save moves all `n_tracks` faders by 0.5 dB or more."""
    out = []
    for v in range(n_saves + 1):
        faders = [Channel(volume_db=-30 + (v + i) % 60 * 0.5) for i in range(n_tracks)]
        tracks = tuple(Track(f"Ch {i:03d}", channel=channel) for i, channel in enumerate(faders))
        sha = hashlib.sha256(b"%d" % v).hexdigest()
        info = SaveInfo("Faders", f"/bench/Faders v{v}.dawproject", sha, 1000, 0.0, T0 + timedelta(minutes=v), "bench")
        out.append((info, Session("Faders", "Bench", tempo_bpm=120.0, tracks=tracks)))
    return out


def time_appends(store: Store, saves: list[tuple[SaveInfo, Session]]) -> float:
    total = 0.0
    for info, session in saves:
        start = time.perf_counter()
        append_save(store, info, session)
        total += time.perf_counter() - start
    return total


def time_commits(store: Store, saves: list[tuple[SaveInfo, Session]]) -> float:
    """The log's write path alone: each save's changes are diffed and its snapshot packed beforehand
    (untimed), then only `Store.commit_save` (tracking row, snapshot, session-saved + change events,
    one transaction)."""
    changes = [diff(a[1], b[1]) for a, b in zip(saves, saves[1:])]
    snapshots = [pack_snapshot(session) for _, session in saves[1:]]
    total = 0.0
    for version, ((info, session), diffed, snapshot) in enumerate(zip(saves[1:], changes, snapshots), start=1):
        start = time.perf_counter()
        result = store.commit_save(info, session, diffed, expected_version=version, snapshot=snapshot)
        total += time.perf_counter() - start
        assert result is not None and not result.duplicate
    return total


def floor_rate(ours: Path, db: Path, batches: list[list[tuple]]) -> float:
    """Rows/s of raw sqlite3 executemany, one transaction per batch, into a fresh database with the
    store's pragmas and its events table (same DDL and indexes; sessions copied for the foreign key)."""
    src = sqlite3.connect(ours)
    query = "SELECT sql FROM sqlite_master WHERE tbl_name IN ('sessions', 'events') AND sql IS NOT NULL"
    ddl = [sql for (sql,) in src.execute(query + " ORDER BY tbl_name != 'sessions', type = 'index'")]
    sessions = src.execute("SELECT * FROM sessions").fetchall()
    src.close()
    con = sqlite3.connect(db, isolation_level=None)
    for sql in (*PRAGMAS, *ddl):
        con.execute(sql)
    con.executemany(f"INSERT INTO sessions VALUES ({','.join('?' * len(sessions[0]))})", sessions)
    start = time.perf_counter()
    for batch in batches:
        con.execute("BEGIN IMMEDIATE")
        con.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
        con.execute("COMMIT")
    elapsed = time.perf_counter() - start
    con.close()
    return sum(map(len, batches)) / elapsed


def bench_appends(tmp: Path, n_saves: int, profile: bool) -> None:
    saves = fader_saves(n_saves)
    store = Store.open(sqlite_url(tmp / "appends.db"))
    append_save(store, *saves[0])  # creates the session: not timed
    seconds = time_appends(store, saves[1:])
    store.close()
    committer = Store.open(sqlite_url(tmp / "commits.db"))
    append_save(committer, *saves[0])  # creates the session: not timed
    commit_seconds = time_commits(committer, saves)
    committer.close()
    con = sqlite3.connect(tmp / "appends.db")
    columns = "position, session_id, session, version, type, at, user, payload"
    rows = con.execute(f"SELECT {columns} FROM events WHERE version > 1 ORDER BY position").fetchall()
    con.close()
    batches: dict[int, list[tuple]] = {}
    for row in rows:
        batches.setdefault(row[3], []).append(row)
    floor = floor_rate(tmp / "appends.db", tmp / "floor-batched.db", list(batches.values()))
    one_tx = floor_rate(tmp / "appends.db", tmp / "floor-one.db", [rows])
    ours, n, payload = len(rows) / commit_seconds, len(batches), sum(len(r[7]) for r in rows) / len(rows)
    with_diff = len(rows) / seconds
    print(f"\n2. event appends: {n} saves x {len(rows) / n:.0f} events (payload {payload:.0f} B avg), WAL + FULL")
    print(f"{'path':<56}{'events/s':>9}{'ms/save':>9}{'x floor':>9}  target")
    for label, rate in (
        ("ours: log append (Store.commit_save), 1 tx per save", ours),
        ("ours, diff + packing included: append_save", with_diff),
        ("floor: sqlite3 executemany, 1 transaction per save", floor),
        ("reference: sqlite3 executemany, ONE transaction for all", one_tx),
    ):
        target = f"  >= 0.5: {'PASS' if ours >= 0.5 * floor else 'MISS'}" if rate is ours else ""
        print(f"{label:<56}{rate:>9,.0f}{1e3 * len(rows) / rate / n:>9.2f}{rate / floor:>9.3f}{target}")
    if profile:
        store = Store.open(sqlite_url(tmp / "profile.db"))
        append_save(store, *saves[0])
        prof = cProfile.Profile()
        prof.runcall(time_appends, store, saves[1:])
        store.close()
        print(f"\n== cProfile: append_save x {n} (top 12 by cumulative time) ==")
        pstats.Stats(prof).strip_dirs().sort_stats("cumulative").print_stats(12)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20-save archives, 50 appends (smoke test)")
    ap.add_argument("--profile", action="store_true", help="also cProfile the append path")
    args = ap.parse_args(argv)
    songs, per_song, n_tracks, points = (2, 10, 40, 50) if args.quick else (5, 100, 40, 50)
    step = 1 if args.quick else 20
    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, SQLAlchemy {sqlalchemy.__version__}, "
        f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f} at start"
    )
    with tempfile.TemporaryDirectory(prefix="tapeop-bench-ingest-") as tmp_name:
        tmp = Path(tmp_name)
        small, big = tmp / "simulator", tmp / "parse-bound"
        start = time.perf_counter()
        simulate_archive(small, 2 * songs, per_song // 2, SEED, render_audio=False, seconds=2.0, sample_rate_hz=8000)
        big.mkdir()
        with ProcessPoolExecutor(2) as pool:
            list(pool.map(write_save, *zip(*parse_bound_saves(big, songs, per_song, n_tracks, points)), chunksize=5))
        size = sum(p.stat().st_size for p in big.iterdir()) / (songs * per_song)
        print(
            f"archives written in {time.perf_counter() - start:.0f} s: simulator {2 * songs} songs x {per_song // 2} "
            f"saves; parse-bound {songs} x {per_song} saves of {n_tracks} tracks ({size / 1e3:.0f} kB .dawproject)"
        )
        print(
            f"\n1. ingestion, fresh SQLite database per run\n{'archive':<13}{'jobs':>4}{'saves':>6}{'wall s':>8}"
            f"{'saves/s':>8}{'cpu s':>7}{'main cpu':>9}{'others':>7}{'j2/j1':>7}  target"
        )
        reads = []
        for label, folder in (("simulator", small), ("parse-bound", big)):
            walls = []
            for jobs in (1, 2):
                wall, main_cpu, readers, others, report = time_ingest(folder, jobs, tmp / f"{label}-{jobs}.db")
                walls.append(wall)
                files = report.saves + report.already_known
                ratio = f"{walls[0] / wall:>7.2f}" if jobs == 2 else ""
                target = (
                    f"  >= 1.6: {'PASS' if walls[0] / wall >= 1.6 else 'MISS'}" if jobs == 2 and big == folder else ""
                )
                print(
                    f"{label:<13}{jobs:>4}{files:>6}{wall:>8.2f}{files / wall:>8.1f}{main_cpu + readers:>7.1f}"
                    f"{100 * main_cpu / wall:>8.0f}%{others / wall:>7.2f}{ratio}{target}"
                )
            one, two = time_reads(folder, step, 1), time_reads(folder, step, 2)
            reads.append(f"{label} {one:.2f} s ({100 * one / walls[0]:.0f}% of jobs 1), 2 processes {one / two:.2f}x")
        print(
            "cpu s: this process + its readers; main cpu: the appending main process's CPU / wall; others: cores\n"
            "used meanwhile by other processes on the machine (/proc/stat, steal included); saves: files, the\n"
            "byte-identical ones included (skipped as known). read_candidate alone, sequential"
            f"{'' if args.quick else f' (every {step}th file, scaled)'}:\n  " + "; ".join(reads)
        )
        bench_appends(tmp, 50 if args.quick else 500, args.profile)
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
