"""Judging a long log in bounded memory: peak memory and time of the justification processor over
logs of growing size, each judged in a fresh process from its first change to its last.

The logs are fader moves on 50 tracks with no audio (so that only the walk over the log is
measured, not the analysis): 5,000, 20,000 and 80,000 changes by default. The processor reads at
most 2,000 events a batch and never its own verdicts, so its peak memory should not grow with the
log. Anchor: the smallest log's own peak, in the same run; printed: each log's peak RSS and its
ratio to the smallest's (bounded: close to 1), and the time per 1,000 changes.

Run from the repo root: `python bench/judge_log.py [--changes N ...]`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TRACKS = 50

BUILD = r"""
import sys
from datetime import UTC, datetime, timedelta
from daemon.ingest.append import append_save
from daemon.log.records import SaveInfo
from daemon.log.store import Store, sqlite_url
from daemon.sessions.model import Channel, Session, Track

db, changes, tracks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = Store.open(sqlite_url(db))
t0 = datetime(2026, 1, 1, tzinfo=UTC)
for n in range(1, changes // tracks + 2):
    faders = tuple(Track(f"T{i}", channel=Channel(volume_db=-float((n * 7 + i) % 40))) for i in range(tracks))
    info = SaveInfo("Long", f"/s/Long v{n}.dawproject", f"{n:064x}", n, 0.0, t0 + timedelta(minutes=n), "bench")
    append_save(store, info, Session("Long", tempo_bpm=120.0, tracks=faders))
"""
JUDGE = r"""
import resource, sys, time
from daemon.log.store import Store, sqlite_url
from profiles.justify.processor import justify

store = Store.open(sqlite_url(sys.argv[1]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
appended = justify(store)
elapsed = time.perf_counter() - started
print(appended, elapsed, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, nargs="+", default=[5_000, 20_000, 80_000])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="tapeop-judge-log-") as tmp:
        for changes in args.changes:
            db = Path(tmp) / f"log-{changes}.db"
            repo = Path(__file__).resolve().parents[1]
            run = {"cwd": repo, "capture_output": True, "text": True, "check": True}
            subprocess.run([sys.executable, "-c", BUILD, str(db), str(changes), str(TRACKS)], **run)  # type: ignore[call-overload]
            out = subprocess.run([sys.executable, "-c", JUDGE, str(db)], **run).stdout.split()  # type: ignore[call-overload]
            appended, elapsed, start_kb, peak_kb = int(out[0]), float(out[1]), int(out[2]), int(out[3])
            rows.append((changes, appended, elapsed, start_kb / 1024, peak_kb / 1024))
    smallest = rows[0][4]
    print(
        f"{'changes':>8} {'verdicts':>9} {'judging s':>10} {'s per 1k':>9} {'RSS at start':>13} {'peak RSS MB':>12} {'x smallest':>11}"
    )
    for changes, appended, elapsed, start_mb, peak_mb in rows:
        print(
            f"{changes:>8,} {appended:>9,} {elapsed:>10.1f} {1000 * elapsed / max(appended, 1):>9.3f} "
            f"{start_mb:>13.0f} {peak_mb:>12.0f} {peak_mb / smallest:>11.2f}"
        )
    print("each log judged from its first change to its last in a fresh process; bounded: the ratio stays near 1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
