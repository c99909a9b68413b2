"""How well justification tells the simulated engineer's objective moves from matters of taste.

A generated archive (the simulator's songs, each saved several times with moves made for a known
reason: a rule's, or "taste") is ingested into a throw-away database, the justification processor
runs over the log, and every move the engineer meant is matched with the verdict on its change:

- justified vs unexplained: the truth is the simulator's reason (a rule's name, or "taste");
  precision and recall of `change-justified` (targets: precision >= 0.9, recall >= 0.8);
- the right rule: among moves made for a rule and justified, the share justified by that rule
  (target >= 0.9);
- the confusion matrix of intended reason against verdict ("not logged": no change event is the
  move, `Intent.matches`; "unjudged": the change got no verdict); both count as misses.

Run from the repo root: `python bench/justify.py [--songs N] [--saves N] [--seed N]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daemon.ingest import ingest  # noqa: E402
from daemon.simulator import simulate_archive  # noqa: E402
from daemon.store import LoggedEvent, Store, sqlite_url  # noqa: E402
from profiles.justify.processor import justify  # noqa: E402


def evaluate(songs: int, saves: int, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="tapeop-justify-") as tmp:
        started = time.perf_counter()
        archive = simulate_archive(Path(tmp) / "archive", songs=songs, saves=saves, seed=seed)
        store = Store.open(sqlite_url(Path(tmp) / "j.db"))
        ingest([Path(tmp) / "archive"], store, "sim", jobs=1)
        judged = justify(store, extract_to=Path(tmp) / "audio")
        changes: dict[tuple[str, int | None], list[LoggedEvent]] = defaultdict(list)
        for e in store.events():
            if e.type in ("parameter-changed", "clip-changed"):
                changes[(e.session, e.version)].append(e)
        verdicts = {
            e.payload["refers_to"]: (e.payload.get("rule") if e.type == "change-justified" else "unexplained")
            for e in store.events(types=("change-justified", "change-unexplained"))
        }
        evidence = {
            e.payload["refers_to"]: e.payload.get("evidence") for e in store.events(types=("change-justified",))
        }
        store.close()
        print(f"{songs} songs x {saves} saves, {judged} verdicts, {time.perf_counter() - started:.1f} s")
    matrix: Counter[tuple[str, str]] = Counter()
    wrong = []
    for save in archive:
        for intent in save.intents:
            event = next((e for e in changes[(save.song, save.version)] if intent.matches(e)), None)
            verdict = "not logged" if event is None else verdicts.get(event.position, "unjudged")
            matrix[(intent.reason, verdict)] += 1
            if verdict != intent.reason and not (intent.reason == "taste" and verdict == "unexplained"):
                wrong.append(f"  {save.song} v{save.version} {intent.track} {intent.parameter}: meant {intent.reason}, "
                             f"got {verdict}; {intent.before} -> {intent.after} {intent.evidence}"
                             + ("" if event is None else f"; the rule's evidence {evidence.get(event.position)}"))  # fmt: skip
    if wrong:
        print("moves judged otherwise than meant:\n" + "\n".join(wrong))
    reasons = sorted({r for r, _ in matrix})
    found = sorted({v for _, v in matrix})
    print("\n" + "intended/verdict".ljust(16) + "".join(f"{v:>14}" for v in found))
    for reason in reasons:
        print(f"{reason:<16}" + "".join(f"{matrix[(reason, v)]:>14}" for v in found))
    missed = ("unexplained", "unjudged", "not logged")
    tp = sum(n for (r, v), n in matrix.items() if r != "taste" and v not in missed)
    fp = sum(n for (r, v), n in matrix.items() if r == "taste" and v not in missed)
    fn = sum(n for (r, v), n in matrix.items() if r != "taste" and v in missed)
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
