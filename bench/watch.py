"""The watcher under a working day: save-to-event latency on a large session, and a load run.

1. Latency: a 200-track session (bench/parse_diff.py's, written as a .dawproject by the real
   writer, ~2.7 MB) is saved N times (atomically: temp file then rename), each save one fader move,
   waiting for its batch each time. Latency = the `on_ingested` hook's time (after the commit) -
   the rename's time - the configured quiet period. Beside it, in the same run and process (a
   fresh one, so that the staging's objects do not weigh on the collector): the time to read that
   session (`read_dawproject`) and diff it against the previous save, median of 3.
   Target: p95 latency <= 2 x (read + diff).
2. Load, in a fresh process (so its peak memory is its own): 500 saves in 60 s across 50 sessions
   (16 tracks each, versions staged on disk beforehand, each copied in and renamed at its time,
   round-robin in shuffled rounds). Every session's final state must be in the log; p95 latency
   (from the write of the content that was ingested) and peak RSS (sampled every 50 ms, and
   the process's high-water mark) are printed. Target: peak memory < 300 MB.

Run from the repo root: `python bench/watch.py [--quick] [--quiet SECONDS]` (--quick: 5 latency
saves; 100 saves in 20 s across 20 sessions).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from parse_diff import make_session  # noqa: E402

from daemon.formats.dawproject import read_dawproject  # noqa: E402
from daemon.formats.dawproject_writer import write_dawproject  # noqa: E402
from daemon.log.store import Store, sqlite_url  # noqa: E402
from daemon.service.watcher import Outcome, Watcher, hash_file  # noqa: E402
from daemon.sessions.diff import diff  # noqa: E402
from daemon.sessions.model import Session  # noqa: E402

MEMORY_TARGET_MB = 300


def high_water_mb() -> float:
    """This process's peak RSS since its exec (VmHWM; ru_maxrss would count the forking parent's)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def with_fader(session: Session, index: int, volume_db: float) -> Session:
    tracks = list(session.tracks)
    tracks[index] = replace(tracks[index], channel=replace(tracks[index].channel, volume_db=volume_db))
    return replace(session, tracks=tuple(tracks))


def atomic_save(source: Path, target: Path) -> None:
    temp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, temp)
    os.replace(temp, target)


class Hooked:
    """A watcher on its own thread; `arrived[sha256]` is when each content's outcome came."""

    def __init__(self, root: Path, db: Path, quiet_s: float) -> None:
        self.store = Store.open(sqlite_url(db))
        self.arrived: dict[str, float] = {}
        self.kinds: dict[str, int] = {}
        self.changed = threading.Condition()
        self.ready = threading.Event()
        self.watcher = Watcher(
            [root], self.store, lambda _p: "bench", quiet_s=quiet_s, on_ingested=self._hook, on_ready=self.ready.set
        )
        self.thread = threading.Thread(target=self.watcher.run, daemon=True)

    def _hook(self, _path: Path, outcome: Outcome) -> None:
        with self.changed:
            self.arrived.setdefault(outcome.sha256, time.perf_counter())
            self.kinds[outcome.kind] = self.kinds.get(outcome.kind, 0) + 1
            self.changed.notify_all()

    def wait_for(self, sha256: str, timeout: float) -> float | None:
        with self.changed:
            self.changed.wait_for(lambda: sha256 in self.arrived, timeout)
            return self.arrived.get(sha256)

    def __enter__(self) -> Hooked:
        self.thread.start()
        if not self.ready.wait(60):
            raise SystemExit("the watcher did not start")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.watcher.stop()
        self.thread.join(30)
        self.store.close()


def latency_run(folder: Path, saves: int, quiet_s: float) -> None:
    print(f"\n== 1. save-to-event latency, 200-track session, {saves} saves, quiet period {quiet_s} s ==")
    staged = folder / "staged"
    staged.mkdir()
    started = time.perf_counter()
    base = make_session()
    for i in range(saves + 1):
        write_dawproject(base if i == 0 else with_fader(base, (7 * i) % 200, -0.5 * i), staged / f"v{i:02d}.dawproject")
    size_mb = (staged / "v00.dawproject").stat().st_size / 1e6
    print(f"staged {saves + 1} versions of {size_mb:.1f} MB in {time.perf_counter() - started:.1f} s (in this process)")
    r = _child("--latency-child", folder, quiet_s)
    ratio = r["p95"] / r["read_diff"]
    print(f"read + diff of that session (median of 3, in the watcher's process): {r['read_diff']:.3f} s")
    print(f"latency minus quiet period: p50 {r['p50']:.3f} s, p95 {r['p95']:.3f} s, max {r['max']:.3f} s")
    print(f"p95 / (read + diff) = {ratio:.2f}  (target <= 2.0: {'PASS' if ratio <= 2.0 else 'MISS'})")
    print(f"peak RSS of that process (VmHWM): {r['hwm_mb']:.0f} MB")


def latency_child(folder: Path, quiet_s: float) -> dict[str, object]:
    """Read + diff of the staged versions, then each saved and waited for, in this fresh process."""
    paths = sorted((folder / "staged").glob("v*.dawproject"))
    read_diff: list[float] = []
    for k in range(1, min(3, len(paths) - 1) + 1):
        previous = read_dawproject(paths[k - 1], name="Big")
        start = time.perf_counter()
        current = read_dawproject(paths[k], name="Big")
        diff(previous, current)
        read_diff.append(time.perf_counter() - start)
        del previous, current
    gc.collect()
    root = folder / "root"
    root.mkdir()
    target = root / "Big.dawproject"
    latencies: list[float] = []
    with Hooked(root, folder / "latency.db", quiet_s) as hooked:
        atomic_save(paths[0], target)
        if hooked.wait_for(hash_file(str(paths[0]))[0], 120) is None:
            raise SystemExit("the first save was not ingested")
        for path in paths[1:]:
            sha = hash_file(str(path))[0]
            atomic_save(path, target)
            saved = time.perf_counter()
            arrived = hooked.wait_for(sha, 120)
            if arrived is None:
                raise SystemExit(f"{path.name} was not ingested within 120 s")
            latencies.append(arrived - saved - quiet_s)
    return {
        "read_diff": statistics.median(read_diff),
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 95),
        "max": max(latencies),
        "hwm_mb": high_water_mb(),
    }


def _child(flag: str, folder: Path, *args: float) -> dict[str, Any]:
    command = [sys.executable, __file__, flag, str(folder), *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{flag} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _load_sessions(count: int) -> list[Session]:
    big = make_session()
    tracks = tuple(replace(t, automation=()) for t in big.tracks[:16]) + big.tracks[-3:]
    small = replace(big, tracks=tracks)
    return [replace(small, name=f"Load {i:02d}") for i in range(count)]


def stage_load(folder: Path, sessions: int, per_session: int) -> Path:
    """Write every version the load run saves, and the plan (session, file, sha256) in save order:
    shuffled rounds, each session once per round."""
    staged = folder / "staged"
    staged.mkdir()
    bases = _load_sessions(sessions)
    files = {}
    for s, base in enumerate(bases):
        for v in range(per_session):
            path = staged / f"{s:02d}-{v:02d}.dawproject"
            files[s, v] = write_dawproject(with_fader(base, v % 16, -0.25 * (v + 1) - 0.01 * s), path)
    rng = random.Random(6)
    plan = []
    for v in range(per_session):
        order = list(range(sessions))
        rng.shuffle(order)
        plan += [(f"Load {s:02d}", str(files[s, v]), hash_file(str(files[s, v]))[0]) for s in order]
    plan_file = folder / "plan.json"
    plan_file.write_text(json.dumps(plan))
    return plan_file


def load_child(folder: Path, seconds: float, quiet_s: float) -> dict[str, object]:
    """The load run, in this fresh process (staged by the parent): its numbers."""
    import psutil

    plan = [(session, Path(path), sha) for session, path, sha in json.loads((folder / "plan.json").read_text())]
    root = folder / "root"
    root.mkdir()
    me = psutil.Process()
    peak = [me.memory_info().rss]
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.05):
            peak[0] = max(peak[0], me.memory_info().rss)

    written: dict[str, float] = {}
    final: dict[str, str] = {}
    interval = seconds / len(plan)
    with Hooked(root, folder / "load.db", quiet_s) as hooked:
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.perf_counter()
        for i, (session, path, sha) in enumerate(plan):
            delay = t0 + i * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            atomic_save(path, root / f"{session}.dawproject")
            written[sha] = time.perf_counter()
            final[session] = sha
        writing_s = time.perf_counter() - t0
        deadline = time.monotonic() + 120
        for sha in final.values():
            hooked.wait_for(sha, max(0.0, deadline - time.monotonic()))
        sampling.set()
        sampler.join()
        ingested_final = sum(sha in hooked.arrived for sha in final.values())
        latencies = [hooked.arrived[sha] - at - quiet_s for sha, at in written.items() if sha in hooked.arrived]
        counts = hooked.store.counts()
        kinds = dict(hooked.kinds)
    return {
        "saves": len(plan),
        "sessions": len(final),
        "writing_s": writing_s,
        "final_ingested": ingested_final,
        "ingested": len(latencies),
        "coalesced": len(plan) - len(latencies),
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 95),
        "max": max(latencies),
        "peak_rss_mb": peak[0] / 2**20,
        "hwm_mb": high_water_mb(),
        "log_saves": counts["saves"],
        "log_events": counts["events"],
        "kinds": kinds,
    }


def load_run(folder: Path, sessions: int, per_session: int, seconds: float, quiet_s: float) -> None:
    saves = sessions * per_session
    print(f"\n== 2. load: {saves} saves in {seconds:.0f} s across {sessions} sessions, quiet period {quiet_s} s ==")
    started = time.perf_counter()
    stage_load(folder, sessions, per_session)
    print(f"staged {saves} versions in {time.perf_counter() - started:.1f} s (in this process)")
    r = _child("--load-child", folder, seconds, quiet_s)
    print(f"wrote them in {r['writing_s']:.1f} s, from a fresh process that runs the watcher too")
    ok = r["final_ingested"] == r["sessions"]
    print(f"final states ingested: {r['final_ingested']} of {r['sessions']} ({'PASS' if ok else 'MISS'})")
    print(
        f"saves ingested: {r['ingested']} (log: {r['log_saves']} saves, {r['log_events']} events); "
        f"coalesced into a later save: {r['coalesced']}; outcomes {r['kinds']}"
    )
    print(f"latency minus quiet period: p50 {r['p50']:.3f} s, p95 {r['p95']:.3f} s, max {r['max']:.3f} s")
    verdict = "PASS" if max(r["peak_rss_mb"], r["hwm_mb"]) < MEMORY_TARGET_MB else "MISS"
    print(
        f"peak RSS: {r['peak_rss_mb']:.0f} MB sampled during the run, {r['hwm_mb']:.0f} MB high-water mark of the "
        f"whole process (VmHWM); target < {MEMORY_TARGET_MB} MB: {verdict}"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--latency-child":
        print(json.dumps(latency_child(Path(argv[1]), float(argv[2]))))
        return 0
    if argv and argv[0] == "--load-child":
        folder, seconds, quiet_s = argv[1:4]
        result = load_child(Path(folder), float(seconds), float(quiet_s))
        print(json.dumps(result))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 latency saves; 100 saves in 20 s across 20 sessions")
    ap.add_argument("--quiet", type=float, default=2.0, help="the watcher's quiet period (default 2 s, tapeop's)")
    args = ap.parse_args(argv)
    print(f"Python {platform.python_version()}, {os.cpu_count()} core(s), {platform.platform()}")
    with tempfile.TemporaryDirectory(prefix="tapeop-bench-watch-") as tmp:
        (Path(tmp) / "latency").mkdir()
        (Path(tmp) / "load").mkdir()
        latency_run(Path(tmp) / "latency", 5 if args.quick else 20, args.quiet)
        if args.quick:
            load_run(Path(tmp) / "load", 20, 5, 20.0, args.quiet)
        else:
            load_run(Path(tmp) / "load", 50, 10, 60.0, args.quiet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
