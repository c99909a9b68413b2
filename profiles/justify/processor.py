"""The justification processor: runs the rules over the log and appends, for every change, a
`change-justified` (the most confident rule's verdict) or a `change-unexplained`, both with
`refers_to` (the change's position).

It reads the log from the position it last recorded and appends its events and its new position
in one transaction (Store.append_derived), a save at a time in batches: after a crash it resumes
exactly where the last committed batch ended, and two runs at once cannot both append (the
second finds the position moved and reads again). Its name carries a version (`justify/1`): a
new version of the rules is a new processor that works through the whole log from the start,
its verdicts superseding the old ones for the same `refers_to`.

Each save is judged in two steps. First the changes made for one purpose are grouped
(profiles.justify.together): an EQ cut or a compressor change and the make-up gain that gives
back the level it took. Then the rules judge every other change, knowing the make-up (a cut is
judged with it); each make-up gain takes the verdict of the change it makes up for. Every change
gets exactly one verdict.

The nominal loudness of gain staging is the `justify(...)` argument, else the config file's
`[justify] nominal_lufs` (daemon.config), else -20 LUFS.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from daemon import config
from daemon.log.events import CHANGE_TYPES, JUDGED_TYPES
from daemon.log.records import DerivedEvent, LoggedEvent
from daemon.log.store import Store
from profiles.justify import Judge, SaveChanges, Verdict, together
from profiles.justify.audio import AudioMemory, TrackAudio, audio_folder, session_file
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
MEASURERS_KEPT = 2  # session files whose measurements are kept in memory during a run


def justify(
    store: Store,
    rules: Sequence[Judge] = RULES,
    name: str = PROCESSOR,
    extract_to: Path | None = None,
    nominal_lufs: float | None = None,
    memory: AudioMemory | None = None,
) -> int:
    """Judge every change logged since the last run; returns how many events were appended.
    Audio embedded in session archives is streamed out into `extract_to` (default: the data
    folder's audio/), once per content. `nominal_lufs` is the working level of gain staging
    (default: the config file's, see daemon.config). `memory` carries hashes and decoded
    measurements from one run to the next (the service's); without it, a run starts afresh."""
    memory = AudioMemory() if memory is None else memory
    nominal = config.load_config().justify.nominal_lufs if nominal_lufs is None else nominal_lufs
    appended = 0
    while True:
        start = store.processed_through(name)
        events = _whole_saves(store, start)
        if not events:
            return appended
        derived: list[DerivedEvent] = []
        for save in _saves(store, events, extract_to, nominal, memory):
            derived += _judged(save, rules)
            if save.audio is not None:
                save.audio.flush()  # what the save's judging measured, to the cache in one transaction
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


def _saves(
    store: Store, events: list[LoggedEvent], extract_to: Path | None, nominal_lufs: float, memory: AudioMemory
) -> Iterator[SaveChanges]:
    measurers: dict[Path | None, TrackAudio] = {}
    try:
        for i, event in enumerate(events):
            if event.type != "session-saved" or event.version is None:
                continue
            logged = itertools.takewhile(lambda e: e.type in CHANGE_TYPES, events[i + 1 :])
            changes = tuple(e for e in logged if e.type in JUDGED_TYPES)
            if not changes:
                continue
            after = store.session_at(event.session, event.version)
            if after is None:
                continue
            before = store.session_at(event.session, event.version - 1) if event.version > 1 else None
            file = session_file(str(event.payload.get("file", "")))
            if file not in measurers:  # one per session file: its audio is located and hashed once
                if len(measurers) >= MEASURERS_KEPT:  # each holds its tracks' measurements: keep the newest
                    measurers.pop(next(iter(measurers))).close()
                measurers[file] = TrackAudio(store, file, extract_to or audio_folder(), memory)
            yield SaveChanges(
                event.session, event.version, event.user, changes, before, after, measurers[file], nominal_lufs
            )
    finally:
        for measurer in measurers.values():
            measurer.close()


def _judged(save: SaveChanges, rules: Sequence[Judge]) -> Iterator[DerivedEvent]:
    for change, verdict in verdicts(save, rules):
        where = {key: change.payload[key] for key in ("track", "device", "parameter") if change.payload.get(key)}
        if verdict is not None:
            payload = _justified(change, verdict, where)
            yield DerivedEvent("change-justified", save.session, save.version, save.user, payload)
        else:
            payload = {"refers_to": change.position, **where}
            yield DerivedEvent("change-unexplained", save.session, save.version, save.user, payload)


def verdicts(save: SaveChanges, rules: Sequence[Judge] = RULES) -> list[tuple[LoggedEvent, Verdict | None]]:
    """Every change of a save with its verdict (the most confident rule's; None: unexplained), in
    log order: the make-up gains grouped first, then the rules, then the make-ups' verdicts."""
    groups = together.find(save)
    if groups:
        save = replace(save, makeup_db={group.track: group.restored_db for group in groups})
    makeups = {position: group for group in groups for position in group.makeups}
    found: dict[int, Verdict | None] = {}
    for change in save.changes:
        if change.position not in makeups:
            judged = [v for v in (rule(change, save) for rule in rules) if v is not None]
            found[change.position] = max(judged, key=lambda v: v.confidence) if judged else None
    out: list[tuple[LoggedEvent, Verdict | None]] = []
    for change in save.changes:
        group = makeups.get(change.position)
        if group is None:
            out.append((change, found[change.position]))
            continue
        leads = [v for p in group.purposes if (v := found.get(p)) is not None]
        lead = max(leads, key=lambda v: v.confidence) if leads else None
        out.append((change, None if lead is None else together.verdict(change, group, lead)))
    return out


def _justified(change: LoggedEvent, verdict: Verdict, where: dict[str, object]) -> dict[str, object]:
    return {
        "refers_to": change.position,
        **where,
        "rule": verdict.rule,
        "reason": verdict.reason,
        "confidence": verdict.confidence,
        "evidence": verdict.evidence,
    }
