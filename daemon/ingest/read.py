"""Reading one discovered file into a session: `read_candidate` (in a worker of bulk ingestion,
or in the process), `parse_candidate` (the watcher, which hashes the file itself) and
`candidate_for` (the watcher's way into discovery's save times). Never raises for bad input: a file
that cannot be read is a `ReadResult` with its reason.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from analyzers.audio import AudioError
from daemon.audio.session import missing_audio
from daemon.errors import ParseError
from daemon.formats import read_session
from daemon.ingest.discover import Candidate, discover
from daemon.log.snapshots import pack_snapshot
from daemon.sessions.model import Session

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
    audio_tracks: int = 0  # tracks that play audio clips
    audio_missing: tuple[tuple[str, str], ...] = ()  # (track, file) of clips whose audio is not there


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
    tracks, missing = _audio(session, candidate.source)
    return ReadResult(
        sha256, size, session, snapshot=pack_snapshot(session), audio_tracks=tracks, audio_missing=missing
    )


def _audio(session: Session, source: str) -> tuple[int, tuple[tuple[str, str], ...]]:
    """How many tracks play audio, and which clips' files are not where the DAW keeps them."""
    try:
        return missing_audio(session, source)
    except (AudioError, ParseError, OSError):  # the session's archive went away since it was read
        return 0, ()


def candidate_for(path: Path, session_name: str) -> Candidate | None:
    """The candidate of one session file on disk, its save time found by discovery's rules, under
    `session_name`; None if the file is gone or unreadable. (The watcher's way in.)"""
    found = discover([path]).candidates
    return replace(found[0], session_name=session_name) if len(found) == 1 else None


@contextmanager
def collect_less() -> Iterator[None]:
    """Rarer cyclic collections for the block (BULK_GC_THRESHOLD), the thresholds put back after."""
    before = gc.get_threshold()
    gc.set_threshold(*BULK_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
