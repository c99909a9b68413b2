"""Bulk ingestion: discover session files in folders and ZIP archives, order each session's
versions by save time, read them in parallel, then diff and append them to the store in one
fixed global order (save time, session, version), so that an interrupted run resumed later
gives the same log as an uninterrupted one.

Reading runs in a local process pool (`jobs`) or on a Dask cluster (`dask_address`); both go
through `read_candidate`. Appending stays in this process, one transaction per save. A file that
cannot be read is recorded as a `save-rejected` event with its reason and never stops the run.

The watcher (daemon/service/watcher.py) takes one settled file through the same steps: `candidate_for`
(discovery's save time), `parse_candidate` (after hashing it itself) and `append_read`.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from daemon.errors import AppError, ParseError
from daemon.formats import read_session
from daemon.ingest.discover import Candidate, discover, group_versions
from daemon.log.store import AppendResult, SaveInfo, Store, pack_snapshot
from daemon.sessions.model import Session

DASK_CONNECT_TIMEOUT_S = 20
# A bulk run keeps many sessions alive at once, and the cyclic collector's default thresholds
# made it re-scan them for about a quarter of a --jobs 1 run (bench/ingest.py). Collections are
# made rarer for the run (and in the reader processes), then the thresholds are put back. The
# watcher does the same around each save it reads (a 200-track snapshot packs in 2/3 of the time).
BULK_GC_THRESHOLD = (50_000, 20, 100)


@dataclass(frozen=True)
class ReadResult:
    """What a worker made of one candidate: its content hash, session and packed snapshot (off the
    appending process, which only writes it), or why it failed."""

    sha256: str
    size: int
    session: Session | None
    reason: str | None = None
    snapshot: bytes | None = None


@dataclass
class IngestReport:
    sessions: set[str] = field(default_factory=set)
    saves: int = 0
    events: int = 0
    changes: int = 0
    already_known: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # discovery problems

    def summary(self) -> str:
        lines = [
            f"{len(self.sessions)} session(s), {self.saves} new save(s), {self.events} event(s) "
            f"({self.changes} change(s)); {self.already_known} save(s) already in the log; "
            f"{len(self.rejected)} file(s) rejected"
        ]
        lines += [f"  rejected: {source}: {reason}" for source, reason in self.rejected]
        lines += [f"  skipped: {source}: {reason}" for source, reason in self.skipped]
        return "\n".join(lines)


def read_candidate(candidate: Candidate) -> ReadResult:
    """Read one discovered file. Runs in a worker: it must never raise for bad input."""
    try:
        data = candidate.read_bytes()
    except (ParseError, OSError) as exc:
        reason = exc.reason if isinstance(exc, ParseError) else f"cannot be read ({exc})"
        return ReadResult("", 0, None, reason)
    return parse_candidate(candidate, hashlib.sha256(data).hexdigest(), len(data), data)


def parse_candidate(candidate: Candidate, sha256: str, size: int, data: bytes | None = None) -> ReadResult:
    """Parse a candidate whose content was hashed already (`sha256`, `size`); never raises for bad
    input. `data` is its bytes when the caller holds them (an archive member is then not inflated
    again); a file on disk is read by its reader from its path, so a caller that hashed it apart
    (the watcher) checks that the file did not change meanwhile."""
    try:
        with candidate.materialize(data) as path:
            session = read_session(path, name=candidate.session_name)
    except ParseError as exc:
        return ReadResult(sha256, size, None, exc.reason)
    except Exception as exc:  # noqa: BLE001 - a reader bug must not stop a bulk run nor the watcher
        return ReadResult(sha256, size, None, f"could not be read ({type(exc).__name__}: {exc})")
    return ReadResult(sha256, size, session, snapshot=pack_snapshot(session))


def candidate_for(path: Path, session_name: str) -> Candidate | None:
    """The candidate of one session file on disk, its save time found by discovery's rules, under
    `session_name`; None if the file is gone or unreadable. (The watcher's way in.)"""
    found = discover([path]).candidates
    return replace(found[0], session_name=session_name) if len(found) == 1 else None


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


@contextmanager
def collect_less() -> Iterator[None]:
    """Rarer cyclic collections for the block (BULK_GC_THRESHOLD), the thresholds put back after."""
    before = gc.get_threshold()
    gc.set_threshold(*BULK_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


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
    report = IngestReport(skipped=list(found.problems))
    ordered = global_order(_as_recorded(group_versions(found.candidates), store))
    jobs = jobs or os.cpu_count() or 1
    with collect_less(), _executor(jobs, dask_address) as executor:
        for done, (candidate, result) in enumerate(_read_all(ordered, executor, window=4 * jobs), start=1):
            _append(store, candidate, result, user, report)
            if progress is not None:
                progress(done, len(ordered), candidate.source)
    return report


def append_read(store: Store, candidate: Candidate, result: ReadResult, user: str) -> AppendResult:
    """Append what was read of one candidate: an accepted save with its changes, or a rejected
    file with its reason (a duplicate of recorded content appends nothing)."""
    info = SaveInfo(
        session=candidate.session_name,
        file=candidate.source,
        sha256=result.sha256 or hashlib.sha256(candidate.source.encode()).hexdigest(),
        size=result.size,
        mtime=candidate.saved_at.timestamp(),
        saved_at=candidate.saved_at,
        user=user,
    )
    if result.session is None:
        return store.append_rejected(info, result.reason or "could not be read")
    return store.append_save(info, result.session, result.snapshot)


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
    report.sessions.add(candidate.session_name)
    report.events += len(outcome.positions)
