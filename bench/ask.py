"""`tapeop ask` on a long log: first paint, the first question, and the next question after an answer.

The log: fader moves on 50 tracks with no audio (bench/judge_log.py's), 50,000 changes judged,
about 100,000 events. The app runs headless (Textual's `run_test`), in this process:

- first paint: from creating the app to its Questions screen on the terminal (the counter shown);
  target < 1 s (the issue's).
- first question: until the worker that reads the log has shown the first question (no target:
  the questions of 100,000 events are read in a worker, so the screen never waits on them).
- next question: from pressing `t` on a question to the next one shown; target < 100 ms (median
  of 5 answers).

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


async def measure(url: str) -> tuple[float, float, list[float]]:
    from textual.widgets import Static

    from tui.app import TapeopApp

    started = time.perf_counter()
    app = TapeopApp(url, "bench", 5)
    async with app.run_test(size=(120, 40)) as pilot:
        first_paint = time.perf_counter() - started

        def counter() -> str:
            return str(app.screen.query_one("#counter", Static).render())

        while "question 1 of" not in counter():
            await pilot.pause(0.01)
        first_question = time.perf_counter() - started
        nexts = []
        for _ in range(5):
            before = counter()
            t0 = time.perf_counter()
            await pilot.press("t")
            while counter() == before:
                await pilot.pause(0.001)
            nexts.append(time.perf_counter() - t0)
        await app.workers.wait_for_complete()
    return first_paint, first_question, nexts


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
        first_paint, first_question, nexts = asyncio.run(measure(sqlite_url(db)))
    next_ms = 1000 * statistics.median(nexts)
    print(f"log: {events:,} events ({args.changes:,} changes judged)")
    print(f"first paint      {first_paint:6.3f} s   target < 1 s    {'PASS' if first_paint < 1 else 'MISS'}")
    print(f"first question   {first_question:6.3f} s   (read in a worker; the screen paints before)")
    print(f"next question    {next_ms:6.1f} ms  target < 100 ms  {'PASS' if next_ms < 100 else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
