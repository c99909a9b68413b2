"""The `tapeop` command line: the composition root, and the one error boundary.

Every command's errors that a user can act on are `AppError`s; here they become one line,
`error: ...`, plus a hint, on stderr, and exit code 1. Tracebacks are shown only with --verbose.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from daemon import __version__
from daemon.changes import Change
from daemon.diff import diff
from daemon.errors import AppError
from daemon.formats import read_session
from daemon.model import Session


def _print_changes(changes: list[Change], as_json: bool) -> None:
    for change in changes:
        if as_json:
            print(json.dumps({"type": change.type, **change.payload()}, allow_nan=False, ensure_ascii=False))
        else:
            print(f"  {change.describe()}")


def cmd_diff(args: argparse.Namespace) -> int:
    """What changed between two saves of a session."""
    old = read_session(args.old)
    new = read_session(args.new)
    for problem in (*old.problems, *new.problems):
        print(f"warning: {problem}", file=sys.stderr)
    changes = diff(old, new)
    if not args.json:
        print(f"{len(changes)} change(s) from {args.old} to {args.new}")
    _print_changes(changes, args.json)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Simulate an engineer's saves, read them back and show what tapeop sees changing."""
    from daemon.simulator import simulate_archive

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tapeop-demo-") as tmp:
        saves = simulate_archive(Path(tmp), songs=args.songs, saves=args.saves, seed=args.seed)
        print(f"Simulated {args.songs} songs, {len(saves)} saves, written as .dawproject files in {tmp}\n")
        previous: dict[str, Session] = {}
        found = meant = 0
        for save in saves:
            session = read_session(save.path, name=save.song)
            changes = diff(previous.get(save.song), session)
            previous[save.song] = session
            print(f"{save.song} v{save.version}: {len(changes)} change(s)")
            _print_changes(changes, as_json=False)
            for intent in save.intents:
                meant += 1
                hit = any(c.track == intent.track and c.parameter == intent.parameter for c in changes)
                found += hit
                print(
                    f"    the engineer meant: {intent.track} {intent.parameter} ({intent.reason}){'' if hit else '  <- NOT FOUND'}"
                )
    elapsed = time.perf_counter() - started
    print(f"\n{found} of {meant} intended moves found in the files, in {elapsed:.1f} s.")
    return 0 if found == meant else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tapeop", description="The assistant engineer that never goes home.")
    parser.add_argument("--version", action="version", version=f"tapeop {__version__}")
    parser.add_argument("--verbose", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser("demo", help="simulate an engineer's saves and show what tapeop sees (offline)")
    demo.add_argument("--songs", type=int, default=2)
    demo.add_argument("--saves", type=int, default=4)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=cmd_demo)
    diff_cmd = commands.add_parser("diff", help="the changes between two saves of a session")
    diff_cmd.add_argument("old", help="the earlier save")
    diff_cmd.add_argument("new", help="the later save")
    diff_cmd.add_argument("--json", action="store_true", help="JSON Lines, one change per line")
    diff_cmd.set_defaults(func=cmd_diff)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except AppError as exc:
        if args.verbose:
            raise
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader of our output went away (| head): not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
