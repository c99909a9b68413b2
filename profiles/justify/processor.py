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
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from daemon import config
from daemon.audio.session import audio_source
from daemon.errors import AppError, one_line
from daemon.log.events import CHANGE_TYPES, JUDGED_TYPES
from daemon.log.records import DerivedEvent, LoggedEvent
from daemon.log.store import Store
from profiles.justify import Judge, SaveChanges, Verdict, together
from profiles.justify.audio import AudioMemory, Stopped, TrackAudio, audio_folder
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


class JustifyError(AppError):
    """Judging a save failed: the message names the processor, the save and the event it stopped at."""


def justify(
    store: Store,
    rules: Sequence[Judge] = RULES,
    name: str = PROCESSOR,
    extract_to: Path | None = None,
    nominal_lufs: float | None = None,
    memory: AudioMemory | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Judge every change logged since the last run; returns how many events were appended.
    Audio embedded in session archives is streamed out into `extract_to` (default: the data
    folder's audio/), once per content. `nominal_lufs` is the working level of gain staging
    (default: the config file's, see daemon.config). `memory` carries hashes and decoded
    measurements from one run to the next (the service's); without it, a run starts afresh.

    Once `stop` is set, no further track is measured: the saves judged so far are appended with
    the position they reach, and the next run goes on from there. A failure while judging a save
    is a JustifyError naming the save and the event it stopped at; what was judged before it in
    the batch is appended first, so the log keeps every verdict reached."""
    settings = config.load_config().justify
    run = _Run(
        store,
        rules,
        extract_to or audio_folder(),
        settings.nominal_lufs if nominal_lufs is None else nominal_lufs,
        AudioMemory() if memory is None else memory,
        stop,
        round(settings.audio_cache_mb * 2**20),
    )
    appended = 0
    while True:
        start = store.processed_through(name)
        events = _whole_saves(store, start)
        if not events:
            return appended
        derived: list[DerivedEvent] = []
        through = events[-1].position
        failure: JustifyError | None = None
        try:
            for at, saved in enumerate(events):
                if saved.type != "session-saved" or saved.version is None:
                    continue
                if stop is not None and stop.is_set():
                    through = saved.position - 1
                    break
                try:
                    derived += run.judge_save(events, at)
                except Stopped:
                    through = saved.position - 1
                    break
                except Exception as exc:  # noqa: BLE001 - any fault is reported with the save it hit
                    through = saved.position - 1
                    failure = JustifyError(
                        f"{name} stopped at {saved.session} v{saved.version} (event {saved.position}): "
                        f"{type(exc).__name__}: {one_line(exc)}",
                        "the changes before it are judged; run again with --verbose for the traceback",
                    )
                    failure.__cause__ = exc
                    break
        finally:
            run.close()
        positions = store.append_derived(name, start, through, derived) if through > start else ()
        appended += len(positions or ())
        if failure is not None:
            raise failure
        if through < events[-1].position:  # stopped
            return appended


INPUT_TYPES = ("session-saved", *CHANGE_TYPES)


def _whole_saves(store: Store, start: int) -> list[LoggedEvent]:
    """The next batch of saves and their changes after `start` (the log's other events, the
    processors' own among them, are not read), ending where a save ends: a save's events are
    committed together and are contiguous, so a batch never splits one. At most BATCH_EVENTS
    events, unless one save alone has more changes than that."""
    events = list(store.events(after=start, types=INPUT_TYPES, limit=BATCH_EVENTS + 1))
    if len(events) <= BATCH_EVENTS:
        return events
    starts = [i for i, e in enumerate(events) if e.type == "session-saved"]
    if starts and starts[-1] > 0:
        return events[: starts[-1]]
    rest = store.events(
        after=events[-1].position, types=INPUT_TYPES
    )  # one save of more changes than a batch: all of it
    return events + list(itertools.takewhile(lambda e: e.type in CHANGE_TYPES, rest))


@dataclass
class _Run:
    """What one run of the processor judges with."""

    store: Store
    rules: Sequence[Judge]
    extract_to: Path
    nominal_lufs: float
    memory: AudioMemory
    stop: threading.Event | None
    audio_cache_bytes: int
    measurers: dict[tuple[Path, str | None] | None, TrackAudio] = field(default_factory=dict)

    def judge_save(self, events: list[LoggedEvent], at: int) -> list[DerivedEvent]:
        """The verdicts on one save's changes (`events[at]` is its session-saved event), what its
        judging measured written to the cache. One measurer per session file, the newest
        MEASURERS_KEPT kept: its audio is located and hashed once."""
        saved = events[at]
        logged = itertools.takewhile(lambda e: e.type in CHANGE_TYPES, events[at + 1 :])
        changes = tuple(e for e in logged if e.type in JUDGED_TYPES)
        version = saved.version or 0
        after = self.store.session_at(saved.session, version) if changes else None
        if after is None:
            return []
        before = self.store.session_at(saved.session, version - 1) if version > 1 else None
        source = audio_source(str(saved.payload.get("file", "")))
        if source not in self.measurers:
            if len(self.measurers) >= MEASURERS_KEPT:  # each holds its tracks' measurements: keep the newest
                self.measurers.pop(next(iter(self.measurers))).close()
            file, member = source if source is not None else (None, None)
            self.measurers[source] = TrackAudio(
                self.store, file, self.extract_to, self.memory, stop=self.stop,
                audio_cache_bytes=self.audio_cache_bytes, member=member,
            )  # fmt: skip
        measurer = self.measurers[source]
        save = SaveChanges(saved.session, version, saved.user, changes, before, after, measurer, self.nominal_lufs)
        judged = list(_judged(save, self.rules))
        measurer.flush()  # to the cache in one transaction
        return judged

    def close(self) -> None:
        for measurer in self.measurers.values():
            measurer.close()
        self.measurers.clear()


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
