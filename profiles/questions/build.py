"""Questions from the log: which unexplained changes to ask about, together, in which order.

A pure function of the log's events (`build`), so the questions can be rebuilt at any time:

- **What is asked.** Every change whose latest verdict is `change-unexplained`. The changes of
  one save are asked together when they serve one purpose: the changes of one device (the bands
  of one EQ, a compressor's threshold with its make-up), and a fader move of the same track
  beside them (a cut and its make-up gain). The other changes of a track in a save (pan, mute,
  sends...) make one question of that track.
- **What is not asked, and why** (each a `Skipped` with its reason): a change a later save of the
  session took back (its parameter returned to its earlier value); a track's content or role
  bookkeeping beside a clip added to it; an opaque plug-in state beside other changes of the
  save (one of those explains it better than a blob can), unless nothing else changed.
- **A question's id** is the position of its first change: stable whenever the log is rebuilt.
- **Order** (`rank`): what an answer would teach most first. A question's pattern is the kind of
  track (its name without numbers and sides: "Gtr L 2" is "gtr") and the kinds of move (the
  parameter family and its direction: `eq.band.gain_db-`); patterns seen in more sessions first,
  then bigger moves (in steps an engineer hears: 3 dB, half an octave...), then later ones.
- **Answers** are `question-answered` events, the latest for a question counting: `later` keeps
  it open after the next down-time (a `down-time` event after the answer); the others close it.
  A pattern answered once (not `later`) answers its other questions by inference (`infer`), each
  recorded as such with the question it follows.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from daemon.log.events import CHANGE_TYPES, VERDICT_TYPES
from daemon.log.records import LoggedEvent
from daemon.sessions.changes import Change
from daemon.sessions.sentences import device_lines, phrases, subject
from profiles.takeback import LaterValues, later_values, taken_back_in

ANSWERS = ("reason", "taste", "mistake", "later")
DOWN_TIME = "down-time"
QUESTION_EVENTS = ("question-asked", "question-answered", DOWN_TIME)
BOOKKEEPING = ("content_types", "role")
_TRACK_KIND = re.compile(r"(?:[\s_-]+(?:[lr]|left|right)|[\s_-]*\d+|\s*\(.*\))$", re.IGNORECASE)


@dataclass(frozen=True)
class Skipped:
    refers_to: int
    reason: str


@dataclass
class Question:
    id: int
    user: str
    session: str
    version: int | None
    track: str | None
    device: str | None
    changes: list[LoggedEvent]
    prompt: str
    pattern: tuple[str, ...]
    size: float
    status: str = "open"  # open, answered, later
    answer: dict[str, Any] | None = None  # the latest question-answered payload
    asked: bool = False

    @property
    def refers_to(self) -> list[int]:
        return [e.position for e in self.changes]

    def to_json(self) -> dict[str, Any]:
        """One line of `tapeop questions --json` (CONTRACT.md, Questions)."""
        out: dict[str, Any] = {
            "id": self.id,
            "user": self.user,
            "session": self.session,
            "version": self.version,
            "track": self.track,
            "device": self.device,
            "refers_to": self.refers_to,
            "changes": [
                {k: e.payload.get(k) for k in ("parameter", "before", "after", "unit")} | {"type": e.type}
                for e in self.changes
            ],
            "prompt": self.prompt,
            "status": self.status,
        }
        if self.answer is not None:
            out["answer"] = {k: self.answer.get(k) for k in ("answer", "rule", "note", "inferred", "follows")}
        return out


@dataclass
class Questions:
    """What `build` found: the questions (open and closed) and the unexplained changes skipped."""

    questions: list[Question] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def open(self) -> list[Question]:
        return rank([q for q in self.questions if q.status == "open"], self.questions)

    def by_id(self) -> dict[int, Question]:
        return {q.id: q for q in self.questions}


def build(events: Iterable[LoggedEvent]) -> Questions:
    """The questions of a log (its change, verdict, question and down-time events, in order)."""
    changes: dict[int, LoggedEvent] = {}
    verdict: dict[int, str] = {}
    answers: dict[int, tuple[int, dict[str, Any]]] = {}
    asked: set[int] = set()
    downtimes: list[int] = []
    for event in events:
        if event.type in CHANGE_TYPES and event.type != "session-started":
            changes[event.position] = event
        elif event.type in VERDICT_TYPES:
            verdict[int(event.payload["refers_to"])] = event.type
        elif event.type == "question-answered":
            answers[int(event.payload["question"])] = (event.position, event.payload)
        elif event.type == "question-asked":
            asked.add(int(event.payload["question"]))
        elif event.type == DOWN_TIME:
            downtimes.append(event.position)
    out = Questions()
    unexplained = [e for p, e in changes.items() if verdict.get(p) == "change-unexplained"]
    by_save: dict[tuple[str, int | None], list[LoggedEvent]] = defaultdict(list)
    for event in changes.values():
        by_save[(event.session, event.version)].append(event)
    later = later_values(changes.values())
    for event in unexplained:
        reason = _skip_reason(event, by_save[(event.session, event.version)], later)
        if reason:
            out.skipped.append(Skipped(event.position, reason))
    skipped = {s.refers_to for s in out.skipped}
    for group in _groups([e for e in unexplained if e.position not in skipped]):
        question = _question(group)
        question.asked = question.id in asked
        if question.id in answers:
            at, payload = answers[question.id]
            question.answer = payload
            reopened = payload.get("answer") == "later" and any(d > at for d in downtimes)
            question.status = "open" if reopened else ("later" if payload.get("answer") == "later" else "answered")
        out.questions.append(question)
    return out


# -- skipping ------------------------------------------------------------------------------------
def _skip_reason(event: LoggedEvent, save: list[LoggedEvent], later: LaterValues) -> str | None:
    p = event.payload
    bookkeeping = event.type == "parameter-changed" and p.get("parameter") in BOOKKEEPING
    if bookkeeping and any(e.type == "clip-added" and e.payload.get("track") == p.get("track") for e in save):
        return f"the track's {p.get('parameter')} follows the clip added in the same save"
    version = taken_back_in(event, later)
    if version is not None:
        return f"taken back in v{version}"
    if event.type == "plugin-state-changed" and any(e.position != event.position for e in save):
        return "an opaque plug-in state beside other changes of the save"
    return None


# -- grouping ------------------------------------------------------------------------------------
def _groups(events: list[LoggedEvent]) -> list[list[LoggedEvent]]:
    """The changes of one save by purpose: each device's together, a track's fader with its one
    device (a cut and its make-up), the rest of a track's changes together."""
    by_track: dict[tuple[str, int | None, str | None], list[LoggedEvent]] = defaultdict(list)
    for event in events:
        by_track[(event.session, event.version, event.payload.get("track"))].append(event)
    groups: list[list[LoggedEvent]] = []
    for members in by_track.values():
        devices: dict[Any, list[LoggedEvent]] = defaultdict(list)
        rest: list[LoggedEvent] = []
        for event in members:
            device = event.payload.get("device")
            if device is not None:
                slot = (event.payload.get("where") or {}).get("device", device)
                devices[(device, slot)].append(event)
            else:
                rest.append(event)
        faders = [e for e in rest if e.payload.get("parameter") == "volume_db"]
        if len(devices) == 1 and faders:
            (only,) = devices.values()
            only.extend(faders)
            rest = [e for e in rest if e not in faders]
        groups.extend(sorted(g, key=lambda e: e.position) for g in devices.values())
        if rest:
            groups.append(rest)
    return sorted(groups, key=lambda g: g[0].position)


def _question(group: list[LoggedEvent]) -> Question:
    first = group[0]
    changes = [Change.from_payload(e.type, e.payload) for e in group]
    device = next((c.device for c in changes if c.device), None)
    lines = device_lines(changes) if device else [line for c in changes for line in phrases(c)]
    where = subject(changes[0]) + (f" / {device}" if device else "")
    return Question(
        id=first.position,
        user=first.user,
        session=first.session,
        version=first.version,
        track=first.payload.get("track"),
        device=device,
        changes=group,
        prompt=f"Why, on {where}: {'; '.join(lines)}?",
        pattern=pattern(group),
        size=max(_size(e) for e in group),
    )


# -- ranking -------------------------------------------------------------------------------------
def track_kind(name: str | None) -> str:
    """ "Gtr L 2" -> "gtr": a track's name without its numbers, sides and notes in parentheses."""
    text = (name or "").strip().lower()
    while True:
        shorter = _TRACK_KIND.sub("", text).strip()
        if shorter == text or not shorter:
            return text
        text = shorter


def pattern(group: list[LoggedEvent]) -> tuple[str, ...]:
    """The kind of track and the kinds of move of a question."""
    moves = set()
    for event in group:
        p = event.payload
        family = re.sub(r"\d+", "", str(p.get("parameter") or event.type))
        before, after = p.get("before"), p.get("after")
        sign = ""
        if isinstance(before, (int, float)) and isinstance(after, (int, float)) and not isinstance(after, bool):
            sign = "+" if after > before else "-"
        moves.add(f"{family}{sign}")
    return (track_kind(group[0].payload.get("track")), *sorted(moves))


def _size(event: LoggedEvent) -> float:
    """A move in steps an engineer hears: 3 dB, half an octave, a quarter of the pan; 1 otherwise."""
    p = event.payload
    raw_before: Any = p.get("before")
    raw_after: Any = p.get("after")
    unit = p.get("unit")
    if not (_number(raw_before) and _number(raw_after)):
        return 1.0
    before, after = float(raw_before), float(raw_after)
    if unit == "Hz" and before > 0 and after > 0:
        return abs(math.log2(after / before)) / 0.5
    if unit == "dB":
        return abs(after - before) / 3.0
    if p.get("parameter") == "pan":
        return abs(after - before) / 0.25
    return 1.0 if after != before else 0.0


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def rank(open_questions: list[Question], every: list[Question]) -> list[Question]:
    """Most worth asking first: patterns seen in more sessions, then bigger moves, then later ones."""
    sessions: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for question in every:
        sessions[question.pattern].add(question.session)
    return sorted(open_questions, key=lambda q: (-len(sessions[q.pattern]), -q.size, -q.id))


def infer(questions: Questions) -> list[tuple[Question, Question]]:
    """(open question, the answered question it follows) for the open questions whose pattern was
    answered already (not `later`, not by a mistake: a mistake teaches nothing of a pattern)."""
    taught: dict[tuple[str, ...], Question] = {}
    for question in sorted(questions.questions, key=lambda q: q.id):
        answer = (question.answer or {}).get("answer")
        if question.status == "answered" and answer in ("reason", "taste"):
            taught.setdefault(question.pattern, question)
    return [(q, taught[q.pattern]) for q in questions.open() if q.pattern in taught and taught[q.pattern] is not q]


QUESTION_SOURCE_TYPES = (*sorted(CHANGE_TYPES), *VERDICT_TYPES, *QUESTION_EVENTS)
