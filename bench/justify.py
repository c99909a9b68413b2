"""How well justification tells the simulated engineer's objective moves from matters of taste.

A generated archive (the simulator's songs, each saved several times with moves made for a known
reason: a rule's, or "taste") is ingested into a throw-away database, the justification processor
runs over the log, and every move the engineer meant is matched with the verdict on its change:

- justified vs unexplained: the truth is the simulator's reason (a rule's name, or "taste");
  precision and recall of `change-justified` (targets: precision >= 0.9, recall >= 0.8);
- the right rule: among moves made for a rule and justified, the share justified by that rule
  (target >= 0.9);
- the confusion matrix of intended reason against verdict.

Run from the repo root: `python bench/justify.py [--songs N] [--saves N] [--seed N]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daemon.ingest import ingest  # noqa: E402
from daemon.simulator import simulate_archive  # noqa: E402
from daemon.store import Store, sqlite_url  # noqa: E402
from profiles.justify.processor import justify  # noqa: E402


def evaluate(songs: int, saves: int, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="tapeop-justify-") as tmp:
        started = time.perf_counter()
        archive = simulate_archive(Path(tmp) / "archive", songs=songs, saves=saves, seed=seed)
        store = Store.open(sqlite_url(Path(tmp) / "j.db"))
        ingest([Path(tmp) / "archive"], store, "sim", jobs=1)
        judged = justify(store, extract_to=Path(tmp) / "audio")
        changes = {
            (e.session, e.version, e.payload.get("track"), e.payload.get("parameter")): e.position
            for e in store.events()
            if e.type == "parameter-changed"
        }
        verdicts = {
            e.payload["refers_to"]: (e.payload.get("rule") if e.type == "change-justified" else "unexplained")
            for e in store.events(types=("change-justified", "change-unexplained"))
        }
        store.close()
        print(f"{songs} songs x {saves} saves, {judged} verdicts, {time.perf_counter() - started:.1f} s")
    matrix: Counter[tuple[str, str]] = Counter()
    for save in archive:
        for intent in save.intents:
            position = changes.get((save.song, save.version, intent.track, intent.parameter))
            if position is None:
                continue
            matrix[(intent.reason, verdicts.get(position, "unjudged"))] += 1
    reasons = sorted({r for r, _ in matrix})
    found = sorted({v for _, v in matrix})
    print("\n" + "intended/verdict".ljust(16) + "".join(f"{v:>14}" for v in found))
    for reason in reasons:
        print(f"{reason:<16}" + "".join(f"{matrix[(reason, v)]:>14}" for v in found))
    tp = sum(n for (r, v), n in matrix.items() if r != "taste" and v not in ("unexplained", "unjudged"))
    fp = sum(n for (r, v), n in matrix.items() if r == "taste" and v not in ("unexplained", "unjudged"))
    fn = sum(n for (r, v), n in matrix.items() if r != "taste" and v in ("unexplained", "unjudged"))
    right = sum(n for (r, v), n in matrix.items() if r == v)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    rule_rate = right / tp if tp else 0.0
    print(
        f"\nprecision {precision:.2f} (target >= 0.9), recall {recall:.2f} (>= 0.8), right rule {rule_rate:.2f} (>= 0.9)"
    )
    return {"precision": precision, "recall": recall, "right_rule": rule_rate}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=30)
    parser.add_argument("--saves", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scores = evaluate(args.songs, args.saves, args.seed)
    met = scores["precision"] >= 0.9 and scores["recall"] >= 0.8 and scores["right_rule"] >= 0.9
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
