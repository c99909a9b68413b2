"""Bulk-ingestion throughput with --jobs 1 and --jobs 2, and the event append rate of the store
against raw sqlite3.

Anchor: ../shared/research/perf-anchors.md, section 5 (event log): raw `sqlite3` executemany in
WAL reaches about 0.9 M rows/s in one transaction and 0.42 M rows/s in 100-row transactions with
synchronous=FULL (the store's setting). Side by side in one run, on temporary folders:

1. `ingest(...)` of two 500-save archives (fresh SQLite database per run): the simulator's (small
   sessions, cheap to parse) and a parsing-bound one (40 tracks, each with an EQ, a compressor,
   four 30-parameter plug-ins and 2 automation lanes of 200 points; each save changes a few
   values). Target: --jobs 2 at least 1.6x the files/s of --jobs 1 on the parsing-bound archive.
   Read share: `read_candidate` alone, sequential (every 5th file, scaled), / the --jobs 1 run.
2. `Store.append_save` of saves that move 100 faders each (101 events per save), only those calls
   timed, against the floor: the same rows (copied from our log) inserted with raw `sqlite3`
   executemany into a table of the same DDL, same pragmas, one transaction per save. Target: our
   events/s >= 0.5x the floor. One big floor transaction is a second reference line.

Run from the repo root: `python bench/ingest.py [--quick] [--profile]`. The machine has 2 cores:
with --jobs 2 two readers and the appending main process compete for them.
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

from daemon.discover import discover, group_versions  # noqa: E402
from daemon.formats.dawproject_writer import write_dawproject  # noqa: E402
from daemon.ingest import IngestReport, global_order, ingest, read_candidate  # noqa: E402
from daemon.model import AutomationLane, Channel, Device, Send, Session, Track, canonical_params  # noqa: E402
from daemon.simulator import simulate_archive  # noqa: E402
from daemon.store import SaveInfo, Store, sqlite_url  # noqa: E402

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


def time_ingest(folder: Path, jobs: int, db: Path) -> tuple[float, float, float, float, IngestReport]:
    """Wall seconds of `ingest` into a fresh database; CPU seconds of this process, of its reader
    processes and of everything else on the machine meanwhile; the report."""
    store = Store.open(sqlite_url(db))
    before = (time.process_time(), _children_cpu(), _machine_cpu(), time.perf_counter())
    report = ingest([folder], store, "bench", jobs=jobs)
    main, readers, machine, wall = (b - a for a, b in zip(before, (time.process_time(), *_cpu_now())))
    store.close()
    if report.rejected or report.saves == 0:
        raise SystemExit(f"ingest of {folder} went wrong: {report.summary()}")
    return wall, main, readers, machine - main - readers, report


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the readers, once the pool has shut down
    return usage.ru_utime + usage.ru_stime


def _machine_cpu() -> float:
    """CPU seconds all processes have used since boot, steal time included (/proc/stat)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _cpu_now() -> tuple[float, float, float]:
    return _children_cpu(), _machine_cpu(), time.perf_counter()


def time_reads(folder: Path, step: int) -> float:
    """Seconds `read_candidate` takes over the archive, sequentially: every `step`-th file timed."""
    ordered = global_order(group_versions(discover([folder]).candidates))
    start = time.perf_counter()
    for candidate in ordered[::step]:
        read_candidate(candidate)
    return (time.perf_counter() - start) * len(ordered) / len(ordered[::step])


# -- 2. event append rate -----------------------------------------------------------------------
def fader_saves(n_saves: int, n_tracks: int = 100) -> list[tuple[SaveInfo, Session]]:
    """Save 0 creates the session; every later save moves all `n_tracks` faders by 0.5 dB or more."""
    out = []
    for v in range(n_saves + 1):
        tracks = tuple(
            Track(f"Ch {i:03d}", channel=Channel(volume_db=-30 + (v + i) % 60 * 0.5)) for i in range(n_tracks)
        )
        sha = hashlib.sha256(b"%d" % v).hexdigest()
        info = SaveInfo("Faders", f"/bench/Faders v{v}.dawproject", sha, 1000, 0.0, T0 + timedelta(minutes=v), "bench")
        out.append((info, Session("Faders", "Bench", tempo_bpm=120.0, tracks=tracks)))
    return out


def time_appends(store: Store, saves: list[tuple[SaveInfo, Session]]) -> float:
    total = 0.0
    for info, session in saves:
        start = time.perf_counter()
        store.append_save(info, session)
        total += time.perf_counter() - start
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
    store.append_save(*saves[0])  # creates the session: not timed
    seconds = time_appends(store, saves[1:])
    store.close()
    con = sqlite3.connect(tmp / "appends.db")
    columns = "position, session_id, session, version, type, at, user, payload"
    rows = con.execute(f"SELECT {columns} FROM events WHERE version > 1 ORDER BY position").fetchall()
    con.close()
    batches: dict[int, list[tuple]] = {}
    for row in rows:
        batches.setdefault(row[3], []).append(row)
    floor = floor_rate(tmp / "appends.db", tmp / "floor-batched.db", list(batches.values()))
    one_tx = floor_rate(tmp / "appends.db", tmp / "floor-one.db", [rows])
    ours, n = len(rows) / seconds, len(batches)
    print(
        f"\n2. event appends: {n} saves x {len(rows) / n:.0f} events (payload {sum(len(r[7]) for r in rows) / len(rows):.0f}"
        f" B avg), WAL + synchronous=FULL, load avg {os.getloadavg()[0]:.2f}\n{'path':<54}{'events/s':>10}{'ms/save':>9}"
        f"{'x floor':>9}  target"
    )
    for label, rate, target in (
        (
            "ours: Store.append_save, 1 transaction per save",
            ours,
            f">= 0.5: {'PASS' if ours >= 0.5 * floor else 'MISS'}",
        ),
        ("floor: sqlite3 executemany, 1 transaction per save", floor, ""),
        ("reference: sqlite3 executemany, ONE transaction for all", one_tx, ""),
    ):
        print(f"{label:<54}{rate:>10,.0f}{1e3 * len(rows) / rate / n:>9.2f}{rate / floor:>9.3f}  {target}")
    if profile:
        store = Store.open(sqlite_url(tmp / "profile.db"))
        store.append_save(*saves[0])
        prof = cProfile.Profile()
        prof.runcall(time_appends, store, saves[1:])
        store.close()
        print(f"\n== cProfile: Store.append_save x {n} (top 14 by cumulative time) ==")
        pstats.Stats(prof).strip_dirs().sort_stats("cumulative").print_stats(14)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20-save archives, 50 appends (smoke test)")
    ap.add_argument("--profile", action="store_true", help="also cProfile the append path")
    args = ap.parse_args(argv)
    songs, per_song, n_tracks, points = (2, 10, 40, 150) if args.quick else (5, 100, 40, 150)
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
            f"\n1. ingestion, fresh SQLite database per run, load avg {os.getloadavg()[0]:.2f}\n{'archive':<12}"
            f"{'saves':>6}{'j1 s':>8}{'j1 /s':>7}{'j1 cpu':>7}{'j2 s':>8}{'j2 /s':>7}{'j2 cpu':>7}{'main':>6}"
            f"{'j2/j1':>7}{'read s':>8}{'read':>6}  target"
        )
        notes = []
        for label, folder in (("simulator", small), ("parse-bound", big)):
            t1, cpu1, _, other1, report = time_ingest(folder, 1, tmp / f"{label}-j1.db")
            t2, main2, workers2, other2, _ = time_ingest(folder, 2, tmp / f"{label}-j2.db")
            reads = time_reads(folder, 1 if args.quick else 5)
            files = report.saves + report.already_known
            notes.append(f"{label} {report.already_known}")
            target = "" if label == "simulator" else f">= 1.6: {'PASS' if t1 / t2 >= 1.6 else 'MISS'}"
            print(
                f"{label:<12}{files:>6}{t1:>8.2f}{files / t1:>7.1f}{cpu1:>7.1f}{t2:>8.2f}{files / t2:>7.1f}"
                f"{main2 + workers2:>7.1f}{100 * main2 / t2:>5.0f}%{t1 / t2:>7.2f}{reads:>8.2f}{100 * reads / t1:>5.0f}%"
                f"  {target}"
            )
        print(
            "s: wall seconds; /s: saves per second; cpu: CPU seconds, with --jobs 2 main process + readers; main: CPU\n"
            "of the appending main process / wall with --jobs 2; read s: read_candidate alone, sequential"
            f"{'' if args.quick else ' (every 5th file, scaled)'}; read: read s / j1 s.\n"
            f"Byte-identical saves among them (skipped as already known): {', '.join(notes)}"
        )
        bench_appends(tmp, 50 if args.quick else 500, args.profile)
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
