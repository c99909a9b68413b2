"""`tapeop questions`: the open questions about unexplained changes, most worth asking first.
Listing them records that they were asked (`question-asked`, once per question)."""

from __future__ import annotations

import argparse
import json

from daemon.cli.common import Parents, open_store


def add_parser(commands: argparse._SubParsersAction, parents: Parents) -> None:
    cmd = commands.add_parser(
        "questions", parents=[parents.db_user], help="the open questions, most worth asking first"
    )
    cmd.add_argument("--json", action="store_true", help="JSON Lines, one question per line (CONTRACT.md)")
    cmd.add_argument("--all", action="store_true", help="answered questions too, and the changes not asked and why")
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """The open questions (with --all, every question and every change left out, with its reason)."""
    from daemon import config
    from profiles.questions.ask import load, mark_asked

    store = open_store(args)
    try:
        questions = load(store, config.current_user(args.user))
        shown = questions.open()
        mark_asked(store, shown)
        if args.all:
            shown = shown + sorted((q for q in questions.questions if q.status != "open"), key=lambda q: q.id)
        for question in shown:
            if args.json:
                print(json.dumps(question.to_json(), allow_nan=False, ensure_ascii=False))
            else:
                status = "" if question.status == "open" else f"  [{_answered(question)}]"
                print(f"{question.id:>6}  {question.session} v{question.version}  {question.prompt}{status}")
        if args.all:
            for skipped in questions.skipped:
                if args.json:
                    print(json.dumps({"refers_to": skipped.refers_to, "status": "skipped", "reason": skipped.reason}))
                else:
                    print(f"{'':>6}  change {skipped.refers_to} not asked: {skipped.reason}")
        if not args.json and not shown:
            print("no open questions")
    finally:
        store.close()
    return 0


def _answered(question: object) -> str:
    answer = getattr(question, "answer", None) or {}
    said = str(answer.get("answer", ""))
    if answer.get("rule"):
        said += f" ({answer['rule']})"
    if answer.get("inferred"):
        said += f", inferred from question {answer.get('follows')}"
    return said
