"""`tapeop demo`: a simulated engineer's archive ingested into a throw-away database, every change
judged, each verdict shown beside what the engineer meant; then the questions tapeop would ask in
down-time, each answered as the simulated engineer would (from the reason it recorded for the move),
and what those answers taught; last, one window of acceptability probed with a simulated listener."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from daemon.cli.common import Parents, positive, verdict_line


def add_parser(commands: argparse._SubParsersAction, parents: Parents) -> None:
    demo = commands.add_parser(
        "demo", help="simulate an engineer's archive, ingest it and show what tapeop saw (offline)"
    )
    demo.add_argument("--songs", type=positive, default=2)
    demo.add_argument("--saves", type=positive, default=4)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Simulate an engineer's archive, ingest it into a throw-away database, show what was seen."""
    from daemon.demo.simulator import simulate_archive
    from daemon.ingest.bulk import ingest
    from daemon.log.events import CHANGE_TYPES, JUDGED_TYPES, VERDICT_TYPES
    from daemon.log.store import Store, sqlite_url
    from daemon.sessions.changes import Change
    from daemon.sessions.wording import term_name
    from profiles.justify.processor import justify

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tapeop-demo-") as tmp:
        saves = simulate_archive(Path(tmp) / "archive", songs=args.songs, saves=args.saves, seed=args.seed)
        print(
            f"A simulated engineer saved {args.songs} songs {args.saves} times each ({len(saves)} .dawproject files)."
        )
        store = Store.open(sqlite_url(Path(tmp) / "demo.db"))
        report = ingest([Path(tmp) / "archive"], store, "demo-engineer", jobs=1)
        print(f"Ingested into a throw-away database: {report.summary()}")
        justify(store, extract_to=Path(tmp) / "audio")
        verdicts = {e.payload["refers_to"]: e for e in store.events(types=VERDICT_TYPES)}
        print("Each change judged against the audio: justified with a reason, or kept as a question.\n")
        found = meant = 0
        for save in saves:
            events = list(store.events(session=save.song))
            this = [e for e in events if e.version == save.version and e.type in CHANGE_TYPES]
            print(f"{save.song} v{save.version}:")
            for event in this:
                print(f"  {Change.from_payload(event.type, event.payload).describe()}")
                if event.type in JUDGED_TYPES:
                    print(verdict_line(verdicts.get(event.position), indent=4))
            for intent in save.intents:
                meant += 1
                hit = any(intent.matches(e) for e in this)
                found += hit
                clip = intent.event_type == "clip-changed"
                what = f'clip "{Path(intent.parameter).name}"' if clip else term_name(intent.parameter)
                where = " / ".join(x for x in (intent.track, intent.device) if x)
                print(f"    the engineer meant: {where}: {what} ({intent.reason}){'' if hit else '  <- NOT FOUND'}")
        _questions(store, saves)
        _probe(store, Path(tmp), args.seed)
        store.close()
    print(f"\n{found} of {meant} intended moves found in the log, in {time.perf_counter() - started:.1f} s.")
    return 0 if found == meant else 1


def _questions(store: object, saves: list) -> None:  # type: ignore[type-arg]
    """The down-time loop on the simulated archive: ask, answer as the engineer would, infer."""
    from profiles.questions.ask import answer, load, mark_asked, rules

    names = {r.name for r in rules()}
    questions = load(store).open()  # type: ignore[arg-type]
    mark_asked(store, questions)  # type: ignore[arg-type]
    print(f"\nIn down-time tapeop asks {len(questions)} question(s), most worth asking first:")
    answered = 0
    for question in questions:
        if load(store).by_id()[question.id].status != "open":  # type: ignore[arg-type]
            continue  # answered by inference from an earlier answer of this run
        intent = next(
            (i for s in saves if (s.song, s.version) == (question.session, question.version)
             for i in s.intents if any(i.matches(e) for e in question.changes)),
            None,
        )  # fmt: skip
        if intent is None:
            kind, rule, note = "mistake", None, "not one of the moves the engineer meant"
        elif intent.reason == "taste":
            kind, rule, note = "taste", None, None
        elif intent.reason in names:
            kind, rule, note = "reason", intent.reason, None
        else:
            kind, rule, note = "reason", "other", intent.reason
        answer(store, question.id, kind, rule, note)  # type: ignore[arg-type]
        answered += 1
        said = kind + (f" ({rule}{': ' + note if note and rule else ''})" if rule else "")
        print(f"  Q{question.id} {question.session} v{question.version}: {question.prompt}\n    answered: {said}")
    after = load(store)  # type: ignore[arg-type]
    inferred = [q for q in after.questions if (q.answer or {}).get("inferred")]
    print(
        f"The engineer answered {answered}; {len(inferred)} more followed from those answers (same kind of move on the same kind of track)."
    )
    for q in inferred[:5]:
        print(f"  Q{q.id} {q.session} v{q.version}: like Q{q.answer['follows']}: {q.answer['answer']}")  # type: ignore[index]


def _probe(store: object, tmp: Path, seed: int) -> None:
    """One window probed with real renders of the track, answered by a simulated listener whose
    window is set here (a few JNDs either side of the engineer's setting) and who answers through
    a logistic psychometric function (spread 1 JND) with 3 % lapses."""
    import math
    import random

    from daemon.errors import AppError
    from profiles.windows.probe import Prober, find_target

    justified = [
        e
        for e in store.events(types=("change-justified",))  # type: ignore[attr-defined]
        if str(e.payload.get("parameter", "")).endswith("freq_hz")
    ]
    if not justified:
        print("\nNo justified frequency move to probe a window for in this archive.")
        return
    change = justified[0].payload
    try:
        target = find_target(store, justified[0].session, change["track"], change["parameter"], "demo-engineer")  # type: ignore[arg-type]
        prober = Prober(store, target, tmp / "probes", max_probes=20)  # type: ignore[arg-type]
    except AppError as exc:
        print(f"\nNo window probed: {exc}")
        return
    scale = prober.scale
    at = scale.to_jnd(target.current)
    low, high = sorted((scale.from_jnd(at - 3.0 * target.direction), scale.from_jnd(at + 2.0 * target.direction)))
    rng = random.Random(seed)

    def listener(value: float) -> str:
        """Edges 3 JND short of the setting and 2 JND past it, the way the engineer moved it;
        a logistic of scale 0.455 JND (25 % to 75 % over 1 JND) at each edge; 3 % lapses."""
        if rng.random() < 0.03:
            return rng.choice(("not-enough", "fine", "too-much"))
        u = (scale.to_jnd(value) - at) * target.direction
        under = 1 / (1 + math.exp((u + 3.0) / 0.455))
        over = 1 / (1 + math.exp(-(u - 2.0) / 0.455))
        draw = rng.random()
        return "not-enough" if draw < under else "too-much" if draw < under + over else "fine"

    print(
        f"\nProbing the window of {target.track} {target.parameter} (now {target.current:g} {target.unit}, "
        f"moved from {target.before:g}) with a simulated listener who accepts {low:.1f}..{high:.1f} {target.unit}:"
    )
    print(f"  excerpt at {prober.excerpt.start_s:.1f} s: {prober.excerpt.why}")
    while (probe := prober.next()) is not None:
        said = listener(probe.value)
        prober.answer(said)
        print(f"  probe {probe.number}: {probe.value:8.1f} {target.unit} -> {said}")
    window = prober.finish()
    print(
        f"Window found: {window.low:.1f}..{window.high:.1f} {window.unit} from {window.n} probes (recorded as window-probed)."
    )
