"""`tapeop diff OLD NEW`: the changes between two saves of a session, as the log would record them:
sentences grouped by track and device, or `--json`, the raw changes."""

from __future__ import annotations

import argparse
import json
import sys

from daemon.cli.common import Parents


def add_parser(commands: argparse._SubParsersAction, parents: Parents) -> None:
    diff_cmd = commands.add_parser("diff", help="the changes between two saves of a session")
    diff_cmd.add_argument("old", help="the earlier save")
    diff_cmd.add_argument("new", help="the later save")
    diff_cmd.add_argument("--json", action="store_true", help="JSON Lines, one change per line")
    diff_cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """What changed between two saves of a session."""
    from daemon.formats import read_session
    from daemon.sessions.diff import diff
    from daemon.sessions.sentences import outline

    old = read_session(args.old)
    new = read_session(args.new)
    for problem in (*old.problems, *new.problems):
        print(f"warning: {problem}", file=sys.stderr)
    changes = diff(old, new)
    if args.json:
        for change in changes:
            print(json.dumps({"type": change.type, **change.payload()}, allow_nan=False, ensure_ascii=False))
        return 0
    print(f"{len(changes)} change(s) from {args.old} to {args.new}")
    for depth, text in outline(changes):  # a header per track and device, their changes beneath
        print(f"{'  ' * (depth + 1)}{text}")
    return 0
