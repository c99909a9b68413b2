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

And how fast: a 40-track session with the band's stems placed on every track (each track its own
analysis), saved five times with 200 changes between saves (on every track its fader, pan,
high-pass, a bell band's gain and its compressor's threshold, each to a new value). The first two
saves are judged first (that analyses the audio); then the time to judge each later save's 200
changes, once the audio analysis is cached, as the service does after a live save (the median of
three; target < 1 s); and the time per save to judge them all again under a new processor
version (a rebuild: the compressor settings judged before are cached as well).

Run from the repo root: `python bench/justify.py [--songs N] [--saves N] [--seed N] [--seconds S ...]`
(`--seconds`: the lengths of the speed session's audio, default 30 and 180, a song's).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daemon.demo.session import first_session  # noqa: E402
from daemon.demo.simulator import simulate_archive  # noqa: E402
from daemon.demo.synth import audio_rng, encode_stem, render_song  # noqa: E402
from daemon.formats.dawproject_writer import write_dawproject  # noqa: E402
from daemon.ingest.bulk import ingest  # noqa: E402
from daemon.log.events import JUDGED_TYPES  # noqa: E402
from daemon.log.records import LoggedEvent  # noqa: E402
from daemon.log.store import Store, sqlite_url  # noqa: E402
from daemon.sessions.model import Session, canonical_params  # noqa: E402
from profiles.justify.audio import AudioMemory
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


SPEED_TRACKS = 40  # x 5 changes a save: fader, pan, high-pass, a bell band's gain, compressor threshold


def _speed_saves(seconds: float, count: int = 5) -> tuple[list[Session], dict[str, bytes]]:
    """`count` saves of a 40-track session with real stems (the band's five, each track placed a
    quarter beat later than the one five before it, so each track is its own analysis, and each
    reading a file of its own, as a real session's tracks do), 200 changes from each save to the
    next."""
    rendered = render_song("Speed", 120.0, seconds, 48000, audio_rng(0, "Speed"))
    encoded = {name: encode_stem(stem, 48000) for name, stem in rendered.stems.items()}
    base = first_session("Speed", random.Random(0), seconds=seconds)
    players = [t for t in base.tracks if t.clips]
    others = tuple(t for t in base.tracks if not t.clips)
    saves = []
    for step in range(count):
        tracks = []
        for i in range(SPEED_TRACKS):
            model = players[i % len(players)]
            clip = replace(model.clips[0], file=f"audio/{model.name} {i + 1}.flac", position=0.25 * (i // len(players)))
            moves = {
                "EQ": {"eq.band1.freq_hz": 30.0 + 20.0 * step, "eq.band2.gain_db": -2.0 * step},
                "Compressor": {"comp.threshold_db": -12.0 - 6.0 * step},
            }
            devices = tuple(
                replace(d, params=canonical_params({**d.param_dict, **moves[d.name]})) if d.name in moves else d
                for d in model.devices
            )
            channel = replace(model.channel, volume_db=(model.channel.volume_db or 0.0) - 1.5 * step, pan=0.2 * step)
            tracks.append(replace(model, name=f"{model.name} {i + 1}", clips=(clip,), channel=channel, devices=devices))
        saves.append(replace(base, tracks=(*tracks, *others)))
    media = {t.clips[0].file: encoded[t.name.rsplit(" ", 1)[0]] for t in saves[0].tracks if t.clips}
    return saves, media


def speed(seconds: float) -> float:
    """Seconds to judge one save of 200 changes once the audio analysis is cached, as the service
    judges it: with the AudioMemory it keeps from one save to the next (hashes of the audio read,
    measurements decoded). The rebuilds start with nothing in memory."""
    with tempfile.TemporaryDirectory(prefix="tapeop-justify-speed-") as tmp:
        folder, audio = Path(tmp) / "sessions", Path(tmp) / "audio"
        folder.mkdir()
        saves, media = _speed_saves(seconds)
        store = Store.open(sqlite_url(Path(tmp) / "speed.db"))
        for version, session in enumerate(saves[:2], start=1):
            write_dawproject(session, folder / f"Speed v{version}.dawproject", media=media)
        ingest([folder], store, "bench", jobs=1)
        memory = AudioMemory()
        started = time.perf_counter()
        justify(store, extract_to=audio, memory=memory)  # analyses every track's audio
        first = time.perf_counter() - started
        lives = []
        for version, session in enumerate(saves[2:], start=3):  # new settings each time, as live saves bring
            write_dawproject(session, folder / f"Speed v{version}.dawproject", media=media)
            ingest([folder], store, "bench", jobs=1)
            started = time.perf_counter()
            justify(store, extract_to=audio, memory=memory)
            lives.append(time.perf_counter() - started)
        changes = sum(1 for e in store.events() if e.type in JUDGED_TYPES and e.version == 3)
        live = statistics.median(lives)
        rebuilds = []
        for run in range(3):  # a new processor version each time: nothing in memory, all in the store
            started = time.perf_counter()
            justify(store, name=f"justify/bench-{run}", extract_to=audio)
            rebuilds.append((time.perf_counter() - started) / (len(saves) - 1))
        store.close()
    print(f"\nspeed: {SPEED_TRACKS} tracks of {seconds:g} s audio, saves of {changes} changes each")
    print(f"  the first two saves, analysing every track's audio: {first:.2f} s")
    print(
        f"  each later save, audio analysis cached, kept in memory between saves: {live:.3f} s, median of {len(lives)} "
        f"({', '.join(f'{t:.3f}' for t in lives)}; target < 1 s: {'PASS' if live < 1 else 'FAIL'})"
    )
    print(
        f"  a rebuild under a new processor version, nothing in memory, per save: {statistics.median(rebuilds):.3f} s"
        " (median of 3)"
    )
    return live


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=30)
    parser.add_argument("--saves", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--seconds", type=float, nargs="+", default=[30.0, 180.0], help="lengths of the speed session's audio"
    )
    args = parser.parse_args()
    scores = evaluate(args.songs, args.saves, args.seed)
    met = scores["precision"] >= 0.9 and scores["recall"] >= 0.8 and scores["right_rule"] >= 0.9
    fast = [speed(seconds) < 1.0 for seconds in args.seconds]
    return 0 if met and all(fast) else 1


if __name__ == "__main__":
    sys.exit(main())
