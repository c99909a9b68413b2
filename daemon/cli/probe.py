"""`tapeop probe --session NAME --track TRACK --parameter TERM [--json] [--max N]`: probes the window
of acceptability of one setting with audio A/B excerpts (CONTRACT.md, "Window probes").

Each probe is printed (one JSON line with --json) and one answer line is read from stdin before the
next: `{"answer": "not-enough"}` (with --json; a bare word is taken too), or `1` not enough, `2`
fine, `3` too much, `0` can't hear. The window found is printed last and recorded as a
`window-probed` event; when the input ends early, the window of the answers so far is recorded,
marked partial. Without --json each probe's switch file is played where the machine can.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from daemon.cli.common import Parents, open_store

KEYS = {"1": "not-enough", "2": "fine", "3": "too-much", "0": "cant-hear"}


def add_parser(commands: argparse._SubParsersAction, parents: Parents) -> None:
    cmd = commands.add_parser(
        "probe", parents=[parents.db_user], help="probe the window of acceptability of one setting with audio A/B"
    )
    cmd.add_argument("--session", required=True, metavar="NAME", help="the session, as `tapeop events` names it")
    cmd.add_argument("--track", required=True, metavar="TRACK", help="the track")
    cmd.add_argument("--parameter", required=True, metavar="TERM", help="a standard term, e.g. eq.band1.freq_hz")
    cmd.add_argument("--json", action="store_true", help="one JSON line per probe; answers as JSON lines on stdin")
    cmd.add_argument("--max", type=int, default=20, metavar="N", help="at most N probes (default 20)")
    cmd.set_defaults(func=run)


def parse_answer(line: str) -> str | None:
    """An answer line: {"answer": ...}, a bare answer word, or a key (1, 2, 3, 0); None if neither."""
    from profiles.windows.adaptive import ANSWERS

    text = line.strip()
    if text.startswith("{"):
        try:
            text = str(json.loads(text).get("answer", ""))
        except (json.JSONDecodeError, AttributeError):
            return None
    text = KEYS.get(text, text)
    return text if text in ANSWERS else None


def run(args: argparse.Namespace) -> int:
    from analyzers.render import play
    from daemon import config
    from profiles.windows.probe import Prober, amount, find_target, history_prior

    if args.max < 1:
        print("error: --max must be at least 1", file=sys.stderr)
        return 2
    user = config.current_user(args.user)
    store = open_store(args)
    try:
        target = find_target(store, args.session, args.track, args.parameter, user)
        folder = config.data_dir() / "probes" / f"{target.refers_to}-{target.parameter}"
        prober = Prober(store, target, folder, args.max, history_prior(store, target))
        if not args.json:
            print(
                f"{target.track}: {target.parameter} at {amount(target.current, target.unit)} "
                f"(moved from {amount(target.before, target.unit)}); excerpt at {prober.excerpt.start_s:.1f} s: "
                f"{prober.excerpt.why}"
            )
        while (probe := prober.next()) is not None:
            if args.json:
                print(json.dumps(probe.line(target, prober.excerpt)), flush=True)
            else:
                print(f"probe {probe.number}: {amount(probe.value, target.unit)}  (switch: {probe.files['switch']})")
                why_not = play(Path(probe.files["switch"]))
                if why_not:
                    print(f"  {why_not}")
                print("  1 not enough, 2 fine, 3 too much, 0 can't hear: ", end="", flush=True)
            answer = _read_answer(args.json)
            if answer is None:
                break
            prober.answer(answer)
        window = prober.finish()
    finally:
        store.close()
    if args.json:
        print(json.dumps({"window": window.to_json()}), flush=True)
    else:
        partial = " (partial)" if window.partial else ""
        print(
            f"window{partial}: {amount(window.low, window.unit)} .. {amount(window.high, window.unit)} from {window.n} answers"
        )
    return 0


def _read_answer(as_json: bool) -> str | None:
    """The next valid answer from stdin; None at its end. A line that is no answer is said on
    stderr and another is read."""
    for line in sys.stdin:
        if not line.strip():
            continue
        answer = parse_answer(line)
        if answer is not None:
            return answer
        print(f"error: {line.strip()!r} is no answer: not-enough, fine, too-much or cant-hear (1, 2, 3, 0)",
              file=sys.stderr)  # fmt: skip
    return None
