"""Questions against the store: list them, record that they were shown, answer them, mark down-time.

Every write is an append (`question-asked`, `question-answered`, `down-time`), never an update, so
the questions can be rebuilt from the log at any time (`build`). These are the functions the
command line (`tapeop questions`, `tapeop answer`), the service's down-time hook and the TUI call.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass

from daemon.errors import AppError
from daemon.log.records import DerivedEvent
from daemon.log.store import Store
from profiles.questions.build import ANSWERS, DOWN_TIME, QUESTION_SOURCE_TYPES, Question, Questions, build, infer

PROCESSOR = "questions/1"  # the appends of this module take the store's lock as one writer


class QuestionError(AppError):
    """An answer that cannot be taken: an unknown question or rule, a missing note."""


@dataclass(frozen=True)
class Rule:
    name: str
    summary: str  # the first line of the rule's module docstring


def rules() -> list[Rule]:
    """The justification rules an objective answer can name, each with one line on what it checks."""
    import profiles.justify.rules as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        name = getattr(module, "RULE", None)
        if isinstance(name, str):
            summary = ((module.__doc__ or "").strip().splitlines() or [""])[0]
            found.append(Rule(name, summary))
    return sorted(found, key=lambda r: r.name)


def load(store: Store, user: str | None = None) -> Questions:
    """The questions of the log (one engineer's, where `user` is given), answering by inference
    the open ones whose pattern an answer already taught (appended, then read again)."""
    questions = build(store.events(types=QUESTION_SOURCE_TYPES, user=user))
    inferred = infer(questions)
    if inferred:
        _append(
            store,
            [
                _answered(
                    question,
                    taught.answer.get("answer", "taste") if taught.answer else "taste",
                    (taught.answer or {}).get("rule"),
                    (taught.answer or {}).get("note"),
                    inferred=True,
                    follows=taught.id,
                )  # fmt: skip
                for question, taught in inferred
            ],
        )
        questions = build(store.events(types=QUESTION_SOURCE_TYPES, user=user))
    return questions


def open_questions(store: Store, user: str | None = None, limit: int | None = None) -> list[Question]:
    """The open questions, most worth asking first."""
    ranked = load(store, user).open()
    return ranked if limit is None else ranked[:limit]


def mark_asked(store: Store, questions: Sequence[Question]) -> int:
    """Record `question-asked` for the questions shown for the first time; how many were new."""
    new = [q for q in questions if not q.asked]
    _append(
        store,
        [
            DerivedEvent("question-asked", q.session, q.version, q.user, {"question": q.id, "refers_to": q.refers_to})
            for q in new
        ],
    )
    for q in new:
        q.asked = True
    return len(new)


def answer(
    store: Store,
    question_id: int,
    kind: str,
    rule: str | None = None,
    note: str | None = None,
    *,
    known: Question | None = None,
) -> Question:
    """Answer an open question (`reason` with a rule, or `other` and a note; `taste`, `mistake`,
    `later`). Raises QuestionError for an unknown or closed question, rule or answer. `known`: the
    question as the caller holds it (the TUI), which spares rebuilding the questions to find it."""
    if kind not in ANSWERS:
        raise QuestionError(f"answer {kind!r} is none of {', '.join(ANSWERS)}")
    if kind == "reason":
        names = {r.name for r in rules()}
        if rule is None or (rule not in names and rule != "other"):
            raise QuestionError(f"rule {rule!r} is none of {', '.join(sorted(names))} or other")
        if rule == "other" and not (note or "").strip():
            raise QuestionError("an answer of rule `other` needs a note saying the reason")
    elif rule is not None:
        raise QuestionError("a rule goes with --reason only")
    question = known if known is not None and known.id == question_id else load(store).by_id().get(question_id)
    if question is None:
        raise QuestionError(f"no question {question_id}")
    if question.status == "answered":
        raise QuestionError(f"question {question_id} is answered already")
    _append(store, [_answered(question, kind, rule, note)])
    return question


def down_time(store: Store, user: str | None, idle_minutes: float) -> DerivedEvent:
    """Record that the engineer went idle (questions answered `later` come back)."""
    event = DerivedEvent(DOWN_TIME, "", None, user or "", {"idle_minutes": idle_minutes})
    _append(store, [event])
    return event


def _answered(
    question: Question, kind: str, rule: str | None, note: str | None, *, inferred: bool = False,
    follows: int | None = None,
) -> DerivedEvent:  # fmt: skip
    payload = {"question": question.id, "refers_to": question.refers_to, "answer": kind, "rule": rule, "note": note}
    if inferred:
        payload |= {"inferred": True, "follows": follows}
    return DerivedEvent("question-answered", question.session, question.version, question.user, payload)


def _append(store: Store, events: list[DerivedEvent]) -> None:
    """Append under the store's lock as this module's writer."""
    store.append_as(PROCESSOR, events)
