"""Bulk ingestion: discover session files in folders and ZIP archives, order each session's
versions by save time, read them in parallel, then diff and append them to the store in one
fixed global order (save time, session, version), so that an interrupted run resumed later
gives the same log as an uninterrupted one.

Reading runs in a local process pool (`jobs`) or on a Dask cluster (`dask_address`); both go
through `read_candidate`. Appending stays in this process, one transaction per save. A file that
cannot be read is recorded as a `save-rejected` event with its reason and never stops the run.

The watcher (daemon/service/watcher.py) takes one settled file through the same steps:
`daemon.ingest.read.candidate_for` (discovery's save time), `parse_candidate` (after hashing it
itself) and `daemon.ingest.append.append_read`.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from daemon.errors import AppError
from daemon.ingest.append import append_read
from daemon.ingest.discover import Candidate, discover, group_versions
from daemon.ingest.read import BULK_GC_THRESHOLD, ReadResult, collect_less, read_candidate
from daemon.log.store import Store

DASK_CONNECT_TIMEOUT_S = 20


@dataclass
class IngestReport:
    sessions: set[str] = field(default_factory=set)
    saves: int = 0
    events: int = 0
    changes: int = 0
    already_known: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # discovery problems
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file, what its reader read past)
    audio: dict[str, tuple[int, tuple[tuple[str, str], ...]]] = field(default_factory=dict)  # session's latest save
    left_alone: dict[str, int] = field(default_factory=dict)  # files that are no sessions, by kind and reason

    def summary(self) -> str:
        lines = [
            f"{len(self.sessions)} session(s), {self.saves} new save(s), {self.events} event(s) "
            f"({self.changes} change(s)); {self.already_known} save(s) already in the log; "
            f"{len(self.rejected)} file(s) rejected"
            + (f"; {len(self.problems)} problem(s) read past" if self.problems else "")
        ]
        lines += [f"  rejected: {source}: {reason}" for source, reason in self.rejected]
        lines += [f"  problem: {source}: {problem}" for source, problem in self.problems]
        lines += [f"  audio: {session}: {audio_line(*self.audio[session])}" for session in sorted(self.audio)]
        lines += [f"  skipped: {source}: {reason}" for source, reason in self.skipped]
        if self.left_alone:
            kinds = ", ".join(f"{count} {what}" for what, count in self.left_alone.items())
            lines.append(f"  left alone, no sessions: {kinds}")
        return "\n".join(lines)


def audio_line(tracks: int, missing: Sequence[tuple[str, str]], most: int = 3) -> str:
    """`3 of 5 track(s)' audio found; missing: Kick (Audio/kick.wav), Sax (4 files: a.wav, ...)`:
    each track lacking audio once, with at most `most` of its missing files."""
    by_track: dict[str, list[str]] = {}
    for track, file in missing:
        files = by_track.setdefault(track, [])
        if file not in files:
            files.append(file)
    said = f"{tracks - len(by_track)} of {tracks} track(s)' audio found"
    if not by_track:
        return said
    shown = []
    for track, files in by_track.items():
        listed = ", ".join(files[:most]) + (f", +{len(files) - most} more" if len(files) > most else "")
        shown.append(f"{track} ({listed})" if len(files) == 1 else f"{track} ({len(files)} files: {listed})")
    return f"{said}; missing: {'; '.join(shown)}"


def _as_recorded(groups: dict[str, list[Candidate]], store: Store) -> dict[str, list[Candidate]]:
    """Sessions whose files were ingested before keep the name they were recorded under.

    Discovery tells same-named songs of different folders apart (" (folder)") only among the
    folders of one run; a folder ingested alone before keeps its song's plain name."""
    out: dict[str, list[Candidate]] = {}
    for name, versions in groups.items():
        recorded = store.session_of_files([c.source for c in versions])
        if recorded is not None and recorded != name:
            versions = [replace(c, session_name=recorded) for c in versions]
            name = recorded
        out.setdefault(name, []).extend(versions)
    return out


def global_order(groups: dict[str, list[Candidate]]) -> list[Candidate]:
    """Every candidate, sessions interleaved by save time, each session's versions in their own
    order (a misdated backup does not overtake the versions before it)."""
    slots = sorted((c.saved_at, name, index) for name, versions in groups.items() for index, c in enumerate(versions))
    taken = dict.fromkeys(groups, 0)
    ordered = []
    for _, name, _ in slots:
        ordered.append(groups[name][taken[name]])
        taken[name] += 1
    return ordered


@contextmanager
def _executor(jobs: int, dask_address: str | None) -> Iterator[Executor | None]:
    """Where reading runs: a Dask cluster, a local process pool, or (one job) this process."""
    if dask_address:
        try:
            from distributed import Client  # type: ignore[import-not-found]
        except ImportError:
            raise AppError("--dask needs the dask.distributed package", "pip install 'dask[distributed]'") from None
        try:
            client = Client(dask_address, timeout=DASK_CONNECT_TIMEOUT_S)
        except OSError as exc:
            raise AppError(f"cannot reach the Dask scheduler at {dask_address} ({exc})", "check the address") from None
        try:
            yield client.get_executor()
        finally:
            client.close()
    elif jobs <= 1:
        yield None
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=gc.set_threshold, initargs=BULK_GC_THRESHOLD) as pool:
            try:
                yield pool
            finally:
                pool.shutdown(wait=True, cancel_futures=True)


def _read_all(
    candidates: list[Candidate], executor: Executor | None, window: int
) -> Iterator[tuple[Candidate, ReadResult]]:
    """Results in the candidates' order, reading up to `window` ahead in parallel."""
    if executor is None:
        for candidate in candidates:
            yield candidate, read_candidate(candidate)
        return
    futures: dict[int, Future[ReadResult]] = {}
    ahead = 0
    for index, candidate in enumerate(candidates):
        while ahead < len(candidates) and ahead < index + window:
            futures[ahead] = executor.submit(read_candidate, candidates[ahead])
            ahead += 1
        yield candidate, futures.pop(index).result()


def ingest(
    paths: Iterable[Path],
    store: Store,
    user: str,
    jobs: int | None = None,
    dask_address: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> IngestReport:
    """Ingest every session file under `paths`; idempotent (known content is skipped)."""
    found = discover([Path(p) for p in paths])
    report = IngestReport(skipped=list(found.problems), left_alone=dict(found.left_alone))
    ordered = global_order(_as_recorded(group_versions(found.candidates), store))
    jobs = jobs or os.cpu_count() or 1
    with collect_less(), _executor(jobs, dask_address) as executor:
        for done, (candidate, result) in enumerate(_read_all(ordered, executor, window=4 * jobs), start=1):
            _append(store, candidate, result, user, report)
            if progress is not None:
                progress(done, len(ordered), candidate.source)
    return report


def _append(store: Store, candidate: Candidate, result: ReadResult, user: str, report: IngestReport) -> None:
    outcome = append_read(store, candidate, result, user)
    if outcome.duplicate:
        report.already_known += 1
        return
    if result.session is None:
        report.rejected.append((candidate.source, result.reason or ""))
    else:
        report.saves += 1
        report.changes += outcome.changes
        report.problems += [(candidate.source, problem) for problem in result.session.problems]
        if result.audio_tracks:
            report.audio[candidate.session_name] = (result.audio_tracks, result.audio_missing)
    report.sessions.add(candidate.session_name)
    report.events += len(outcome.positions)
