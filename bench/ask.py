"""`tapeop ask` on a long log: first paint, the first question, and the next question after an answer.

The log: fader moves on 50 tracks with no audio (bench/judge_log.py's), 50,000 changes judged,
about 100,000 events. The app runs headless (Textual's `run_test`), in this process:

- first paint: from creating the app to its Questions screen on the terminal (the counter shown);
  target < 1 s (the issue's).
- first question: until the worker that reads the log has shown the first question (no target:
  the questions of 100,000 events are read in a worker, so the screen never waits on them).
- next question: from the key `t` on a question (posted as the terminal driver posts it) to the
  next question painted (the first refresh after the counter changed); target < 100 ms (median of
  5 answers). Measured beside it, 5 more answers with Pilot's `press`, which returns once the app
  is idle again: the answer's append in its worker and the next question's measurement included,
  which the engineer does not wait for.

Run from the repo root: `python bench/ask.py [--changes N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def build(db: Path, changes: int) -> None:
    source = (REPO / "bench" / "judge_log.py").read_text()
    script = re.search(r'BUILD = r"""(.*?)"""', source, re.S)
    assert script is not None
    run = {"cwd": REPO, "check": True, "capture_output": True}
    subprocess.run([sys.executable, "-c", script.group(1), str(db), str(changes), "50"], **run)  # type: ignore[call-overload]
    judge = (
        "import sys\nfrom daemon.log.store import Store, sqlite_url\nfrom profiles.justify.processor import justify\n"
    )
    judge += "justify(Store.open(sqlite_url(sys.argv[1])))"
    subprocess.run([sys.executable, "-c", judge, str(db)], **run)  # type: ignore[call-overload]


async def measure(url: str) -> tuple[float, float, list[float], list[float]]:
    from textual import events
    from textual.widgets import Static

    from tui.app import TapeopApp

    started = time.perf_counter()
    app = TapeopApp(url, "bench", 11)  # 10 answers and one left
    async with app.run_test(size=(120, 40)) as pilot:
        first_paint = time.perf_counter() - started

        def counter() -> str:
            return str(app.screen.query_one("#counter", Static).render())

        while "question 1 of" not in counter():
            await pilot.pause(0.01)
        first_question = time.perf_counter() - started
        nexts, idles = [], []
        for i in range(10):
            before = counter()
            t0 = time.perf_counter()
            if i % 2 == 0:  # the key as the terminal brings it; the time until the next question is painted
                painted = asyncio.Event()
                app.post_message(events.Key("t", "t"))
                while counter() == before:
                    await asyncio.sleep(0.0005)
                app.call_after_refresh(painted.set)
                await painted.wait()
                nexts.append(time.perf_counter() - t0)
                await pilot.pause()
            else:  # Pilot's press: until the app is idle again (the answer's append in its worker too)
                await pilot.press("t")
                while counter() == before:
                    await pilot.pause(0.001)
                idles.append(time.perf_counter() - t0)
        await app.workers.wait_for_complete()
    return first_paint, first_question, nexts, idles


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--changes", type=int, default=50_000)
    args = parser.parse_args()
    from daemon.log.store import Store, sqlite_url

    with tempfile.TemporaryDirectory(prefix="tapeop-ask-") as tmp:
        db = Path(tmp) / "long.db"
        build(db, args.changes)
        store = Store.open(sqlite_url(db))
        events = store.counts()["events"]
        store.close()
        first_paint, first_question, nexts, idles = asyncio.run(measure(sqlite_url(db)))
    next_ms = 1000 * statistics.median(nexts)
    idle_ms = 1000 * statistics.median(idles)
    print(f"log: {events:,} events ({args.changes:,} changes judged)")
    print(f"first paint      {first_paint:6.3f} s   target < 1 s    {'PASS' if first_paint < 1 else 'MISS'}")
    print(f"first question   {first_question:6.3f} s   (read in a worker; the screen paints before)")
    print(
        f"next question    {next_ms:6.1f} ms  target < 100 ms  {'PASS' if next_ms < 100 else 'MISS'}  (key -> next question painted)"
    )
    print(
        f"  with Pilot     {idle_ms:6.1f} ms  (pilot.press: until the app is idle again, the answer's append included)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
