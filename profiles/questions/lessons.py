"""What the answers have said so far, by pattern (the kind of track and the kinds of move a question
is about, profiles.questions.build.pattern): how many questions of the pattern were answered by
the engineer, how many followed from those answers by inference, how many are still open, and
what the answers were. The Profile screen of `tapeop ask` shows it; it is a plain tally of the
answers, not the engineer's aesthetic profile (which weighs the changes themselves).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from daemon.log.events import EVENT_TYPES
from daemon.sessions.wording import term_name
from profiles.questions.build import Question, Questions


@dataclass
class Lesson:
    track_kind: str
    moves: tuple[str, ...]  # the pattern's moves, raw ("eq.band.gain_db-")
    by_hand: int = 0
    inferred: int = 0
    open: int = 0
    later: int = 0
    answers: Counter[str] = field(default_factory=Counter)  # "taste", "reason: masking", "mistake"
    sessions: set[str] = field(default_factory=set)

    @property
    def what(self) -> str:
        """The moves in words: "EQ band gain down, EQ band frequency up"."""
        return ", ".join(move_words(m) for m in self.moves)

    @property
    def said(self) -> str:
        """The answers, the most frequent first: "taste x2, reason: masking"."""
        return ", ".join(f"{a} x{n}" if n > 1 else a for a, n in self.answers.most_common()) or "not answered yet"


def move_words(move: str) -> str:
    """ "eq.band.gain_db-" -> "EQ band gain down"; "pan+" -> "pan right"; "device-added" -> "device added"."""
    sign = move[-1] if move[-1:] in "+-" else ""
    family = move[:-1] if sign else move
    if family in EVENT_TYPES:
        return family.replace("-", " ")
    words = term_name(re.sub(r"\bband\.", "band1.", family)).replace("band 1", "band").replace('send to "" ', "send ")
    if family.startswith("eq."):
        words = f"EQ {words}"
    if not sign:
        return words
    if family == "pan":
        return f"pan {'right' if sign == '+' else 'left'}"
    return f"{words} {'up' if sign == '+' else 'down'}"


def answer_words(answer: dict[str, object]) -> str:
    kind = str(answer.get("answer"))
    if kind == "reason":
        rule = answer.get("rule")
        return f"reason: {answer.get('note') or rule}" if rule == "other" else f"reason: {rule}"
    return kind


def lessons(questions: Questions) -> list[Lesson]:
    """One Lesson per pattern, the most answered first (then the most asked)."""
    found: dict[tuple[str, ...], Lesson] = {}
    for question in questions.questions:
        lesson = found.setdefault(question.pattern, Lesson(question.pattern[0], question.pattern[1:]))
        lesson.sessions.add(question.session)
        _count(lesson, question)
    return sorted(
        found.values(),
        key=lambda x: (-(x.by_hand + x.inferred), -(x.by_hand + x.inferred + x.open + x.later), x.track_kind, x.moves),
    )


def _count(lesson: Lesson, question: Question) -> None:
    if question.status == "open":
        lesson.open += 1
    elif question.status == "later":
        lesson.later += 1
    elif question.answer is not None:
        if question.answer.get("inferred"):
            lesson.inferred += 1
        else:
            lesson.by_hand += 1
        lesson.answers[answer_words(question.answer)] += 1
