"""The justification processor: runs the rules over the log and appends, for every change, a
`change-justified` (the most confident rule's verdict) or a `change-unexplained`, both with
`refers_to` (the change's position).

It reads the log from the position it last recorded and appends its events and its new position
in one transaction (Store.append_derived), a save at a time in batches: after a crash it resumes
exactly where the last committed batch ended, and two runs at once cannot both append (the
second finds the position moved and reads again). Its name carries a version (`justify/1`): a
new version of the rules is a new processor that works through the whole log from the start,
its verdicts superseding the old ones for the same `refers_to`.

Partial (issue 5): the nine rules are in (gain staging, clip prevention, de-guffing, masking by
pan, dynamics, non-musical sections by clip trims, resonance, sibilance, tempo); masking by EQ
cut and mute automation over non-musical spans are not judged yet, and several changes made for
one purpose are not yet judged together.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path

from daemon.events import CHANGE_TYPES
from daemon.store import DerivedEvent, LoggedEvent, Store
from profiles.justify import Judge, SaveChanges, Verdict
from profiles.justify.audio import TrackAudio, session_file
from profiles.justify.rules import (
    clip_prevention,
    de_guffing,
    dynamics,
    gain_staging,
    masking,
    non_musical,
    resonance,
    sibilance,
    tempo,
)

PROCESSOR = "justify/1"
JUDGED = CHANGE_TYPES - {"session-started"}  # the first save's summary is no change the engineer made
RULES: tuple[Judge, ...] = (
    gain_staging.judge,
    clip_prevention.judge,
    de_guffing.judge,
    masking.judge,
    dynamics.judge,
    non_musical.judge,
    resonance.judge,
    sibilance.judge,
    tempo.judge,
)
BATCH_EVENTS = 2000


def justify(store: Store, rules: Sequence[Judge] = RULES, name: str = PROCESSOR, extract_to: Path | None = None) -> int:
    """Judge every change logged since the last run; returns how many events were appended.
    Audio embedded in session archives is streamed out into `extract_to` (default: the data
    folder's audio/), once per content."""
    appended = 0
    while True:
        start = store.processed_through(name)
        events = _whole_saves(store, start)
        if not events:
            return appended
        derived = [event for save in _saves(store, events, extract_to) for event in _judged(save, rules)]
        positions = store.append_derived(name, start, events[-1].position, derived)
        appended += len(positions or ())


def _whole_saves(store: Store, start: int) -> list[LoggedEvent]:
    """The next batch of events after `start`, ending where a save ends (a save's events are
    committed together and are contiguous, so a batch never splits one)."""
    events = list(itertools.islice(store.events(after=start), BATCH_EVENTS + 1))
    if len(events) <= BATCH_EVENTS:
        return events
    cut = max(i for i, e in enumerate(events) if e.type == "session-saved")
    if cut > 0:
        return events[:cut]
    rest = store.events(after=events[-1].position)  # one save of more changes than a batch: all of it
    return events + list(itertools.takewhile(lambda e: e.type in CHANGE_TYPES, rest))


def _saves(store: Store, events: list[LoggedEvent], extract_to: Path | None) -> Iterator[SaveChanges]:
    for i, event in enumerate(events):
        if event.type != "session-saved" or event.version is None:
            continue
        logged = itertools.takewhile(lambda e: e.type in CHANGE_TYPES, events[i + 1 :])
        changes = tuple(e for e in logged if e.type in JUDGED)
        if not changes:
            continue
        after = store.session_at(event.session, event.version)
        if after is None:
            continue
        before = store.session_at(event.session, event.version - 1) if event.version > 1 else None
        file = session_file(str(event.payload.get("file", "")))
        audio = TrackAudio(store, file) if extract_to is None else TrackAudio(store, file, extract_to)
        yield SaveChanges(event.session, event.version, event.user, changes, before, after, audio)


def _judged(save: SaveChanges, rules: Sequence[Judge]) -> Iterator[DerivedEvent]:
    for change in save.changes:
        verdicts = [v for v in (rule(change, save) for rule in rules) if v is not None]
        where = {key: change.payload[key] for key in ("track", "device", "parameter") if change.payload.get(key)}
        if verdicts:
            best = max(verdicts, key=lambda v: v.confidence)
            payload = _justified(change, best, where)
            yield DerivedEvent("change-justified", save.session, save.version, save.user, payload)
        else:
            payload = {"refers_to": change.position, **where}
            yield DerivedEvent("change-unexplained", save.session, save.version, save.user, payload)


def _justified(change: LoggedEvent, verdict: Verdict, where: dict[str, object]) -> dict[str, object]:
    return {
        "refers_to": change.position,
        **where,
        "rule": verdict.rule,
        "reason": verdict.reason,
        "confidence": verdict.confidence,
        "evidence": verdict.evidence,
    }
