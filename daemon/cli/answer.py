"""`tapeop answer ID (--reason RULE | --taste | --mistake | --later) [--note TEXT]`: answers a
question (appends `question-answered`); an unknown question or rule exits 1."""

from __future__ import annotations

import argparse

from daemon.cli.common import Parents, open_store


def add_parser(commands: argparse._SubParsersAction, parents: Parents) -> None:
    cmd = commands.add_parser("answer", parents=[parents.db], help="answer a question")
    cmd.add_argument("id", type=int, help="the question's id (tapeop questions)")
    kind = cmd.add_mutually_exclusive_group(required=True)
    kind.add_argument("--reason", metavar="RULE", help="an objective reason: a rule's name, or `other` with --note")
    kind.add_argument("--taste", action="store_true", help="it is how you like it")
    kind.add_argument("--mistake", action="store_true", help="undone, or not meant")
    kind.add_argument("--later", action="store_true", help="ask again after the next down-time")
    cmd.add_argument("--note", metavar="TEXT", help="anything to keep with the answer")
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Answer one question."""
    from profiles.questions.ask import answer

    kind = "reason" if args.reason else "taste" if args.taste else "mistake" if args.mistake else "later"
    store = open_store(args)
    try:
        question = answer(store, args.id, kind, args.reason, args.note)
    finally:
        store.close()
    print(f"question {question.id} answered: {kind}{f' ({args.reason})' if args.reason else ''}")
    return 0
