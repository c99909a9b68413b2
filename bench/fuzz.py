"""A long seeded mutation fuzz of the corpus's session files (the suite runs 240 cases of it).

Each case mutates one real file (byte flips, truncation, duplicated spans, stray markup, numbers
replaced by nan/inf/1e400/-1e308/garbage; inside the container or of the container itself) and
reads it as ingest does: a ParseError naming the file, or a session whose numbers are all finite
and that diffs, packs and encodes as the log does. Anything else is a failure, printed with its
file, mutation and seed. There is no anchor to compare with: it prints the counts and the speed.

Run from the repo root: `python bench/fuzz.py [--cases N] [--seed N]` (default 2,000 cases, seed 1).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daemon.errors import ParseError  # noqa: E402
from daemon.formats import read_session  # noqa: E402
from tests.daemon.formats.mutations import Outcome, cases, check, mutant, session_files  # noqa: E402
from tests.paths import CORPUS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"the corpus is not at {CORPUS}")
        return 1
    files = session_files(CORPUS)
    originals = {}
    for original in files:
        try:
            originals[original] = read_session(original)
        except ParseError:
            originals[original] = None
    outcome, failures = Outcome(), []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tapeop-fuzz-") as tmp:
        mutants = Path(tmp) / "mutants"
        mutants.mkdir()
        for n, (original, rng) in enumerate(cases(files, args.cases, args.seed)):
            what, data = mutant(original, rng)
            path = mutants / f"{n:05d} {original.name}"
            path.write_bytes(data)
            try:
                check(path, originals[original], outcome)
            except Exception as exc:  # noqa: BLE001 - every failure is reported
                failures.append(f"case {n}: {original} with {what}: {type(exc).__name__}: {exc}")
                traceback.print_exc(limit=3)
        elapsed = time.perf_counter() - started
        # Then all of them in one `tapeop ingest`, as a client's folder would come: a summary, no traceback.
        ingest = subprocess.run(
            [
                sys.executable,
                "-m",
                "daemon.cli",
                "ingest",
                str(mutants),
                "--db",
                str(Path(tmp) / "t.db"),
                "--jobs",
                "2",
            ],
            cwd=Path(__file__).resolve().parents[1],
            capture_output=True,
            text=True,
            check=False,
        )
        summary = ingest.stdout.splitlines()[0] if ingest.stdout else ""
        if ingest.returncode != 0 or "Traceback" in ingest.stderr:
            failures.append(
                f"tapeop ingest of the {args.cases} mutants: exit {ingest.returncode}: {ingest.stderr[-2000:]}"
            )
    print(f"{args.cases} cases over {len(files)} corpus files (seed {args.seed}) in {elapsed:.1f} s")
    print(f"  refused with a reason: {outcome.refused}")
    print(f"  read: {outcome.read} ({outcome.with_problems} with their bad values in problems)")
    print(f"  one `tapeop ingest` of them all: exit {ingest.returncode}: {summary}")
    print(f"  failures: {len(failures)}")
    for line in failures[:50]:
        print("   ", line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
