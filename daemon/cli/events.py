"""`tapeop events`: the log in order, each change with its verdict under it; `--json`, JSON Lines."""

from __future__ import annotations

import argparse
import json

from daemon.cli.common import Parents, event_line, open_store, verdict_line


def add_parser(commands: argparse._SubParsersAction, parents: Parents) -> None:
    events = commands.add_parser("events", parents=[parents.db], help="the log in order")
    events.add_argument(
        "--user", metavar="NAME", default=argparse.SUPPRESS, help="only this engineer's events (default: everyone's)"
    )
    events.add_argument(
        "--session",
        metavar="NAME",
        help='one session\'s events only (and its namesakes from other folders, "NAME (folder)")',
    )
    events.add_argument("--json", action="store_true", help="JSON Lines, one event per line")
    events.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """The log in order."""
    from daemon.log.events import JUDGED_TYPES, VERDICT_TYPES

    store = open_store(args)
    try:
        shown = {"session": args.session, "namesakes": True, "user": args.user}
        if args.json:
            for event in store.events(**shown):
                print(json.dumps(event.to_json(), allow_nan=False, ensure_ascii=False))
            return 0
        verdicts = {e.payload["refers_to"]: e for e in store.events(types=VERDICT_TYPES, **shown)}
        for event in store.events(**shown):
            if event.type in VERDICT_TYPES:
                continue  # shown beside the change it refers to
            print(event_line(event))
            if event.type in JUDGED_TYPES:
                print(verdict_line(verdicts.get(event.position)))
    finally:
        store.close()
    return 0
