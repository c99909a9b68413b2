"""`tapeop events`: the log in order, each change with its verdict under it; `--json`, JSON Lines."""

from __future__ import annotations

import argparse
import json

from daemon.cli.common import event_line, open_store, verdict_line


def add_parser(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    events = commands.add_parser("events", parents=[common], help="the log in order")
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
        if args.json:
            for event in store.events(session=args.session, namesakes=True):
                print(json.dumps(event.to_json(), allow_nan=False, ensure_ascii=False))
            return 0
        verdicts = {
            e.payload["refers_to"]: e for e in store.events(session=args.session, types=VERDICT_TYPES, namesakes=True)
        }
        for event in store.events(session=args.session, namesakes=True):
            if event.type in VERDICT_TYPES:
                continue  # shown beside the change it refers to
            print(event_line(event))
            if event.type in JUDGED_TYPES:
                print(verdict_line(verdicts.get(event.position)))
    finally:
        store.close()
    return 0
