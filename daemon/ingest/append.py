"""Appending a save to the log against the last one: the step bulk ingestion and the watcher share.

`append_save` diffs the new session against the snapshot of its session's latest accepted save
and has the store commit both, expecting that save to still be the latest (an expected-version
append: another writer that got in first makes this one diff again), so the store's write lock
is held for the writes alone and the store itself never diffs. `append_read` records what was
read of one candidate: an accepted save with its changes, or a rejected file with its reason.
"""

from __future__ import annotations

import hashlib

from daemon.formats import READER_VERSION
from daemon.ingest.discover import Candidate
from daemon.ingest.read import ReadResult
from daemon.log.records import AppendResult, SaveInfo
from daemon.log.store import Store, StoreError
from daemon.sessions.diff import diff
from daemon.sessions.model import Session
from daemon.sessions.problems import structured

MAX_APPEND_ATTEMPTS = 20


def append_save(
    store: Store,
    info: SaveInfo,
    session: Session,
    snapshot: bytes | None = None,
    more: dict[str, object] | None = None,
) -> AppendResult:
    """Record an accepted save: its tracking row, snapshot, `session-saved` event and the changes
    against the session's previous accepted save, all in one transaction.

    The diff is computed before the write lock is taken, against the latest save seen, and
    committed only if that is still the latest. `snapshot` is `pack_snapshot(session)` when the
    caller packed it already; `more` are further fields of its `session-saved` event."""
    for _ in range(MAX_APPEND_ATTEMPTS):
        base = store.latest_save(info.session)
        previous = store.snapshot_of(info.session, base[0]) if base else None
        changes = diff(previous, session)
        result = store.commit_save(
            info, session, changes, base[1] if base else 0, snapshot, notes(session) | (more or {})
        )
        if result is not None:
            return result
    raise StoreError(f"session {info.session!r} kept changing under this writer", "try again")


def notes(session: Session) -> dict[str, object]:
    """What a save's `session-saved` event says beside its file and changes: the problems its
    reader found (CONTRACT.md: track, device, parameter, value as found, reason)."""
    return {"problems": [structured(p) for p in session.problems]} if session.problems else {}


def save_info(candidate: Candidate, sha256: str, size: int, user: str) -> SaveInfo:
    """What the log records of one candidate's content, read by this version of the readers."""
    return SaveInfo(
        session=candidate.session_name,
        file=candidate.source,
        sha256=sha256 or hashlib.sha256(candidate.source.encode()).hexdigest(),
        size=size,
        mtime=candidate.saved_at.timestamp(),
        saved_at=candidate.saved_at,
        user=user,
        reader=READER_VERSION,
    )


def append_read(store: Store, candidate: Candidate, result: ReadResult, user: str) -> AppendResult:
    """Append what was read of one candidate: an accepted save with its changes, or a rejected
    file with its reason (a save already recorded appends nothing)."""
    info = save_info(candidate, result.sha256, result.size, user)
    if result.session is None:
        return store.append_rejected(info, result.reason or "could not be read")
    return append_save(store, info, result.session, result.snapshot, audio_notes(result))


def audio_notes(result: ReadResult) -> dict[str, object]:
    """What a save's `session-saved` event says of its audio: how many tracks play audio clips,
    and the clips whose file was not found where the DAW keeps it (CONTRACT.md `audio_missing`)."""
    if not result.audio_tracks:
        return {}
    missing = [{"track": track, "file": file} for track, file in result.audio_missing]
    return {"audio_tracks": result.audio_tracks, **({"audio_missing": missing} if missing else {})}
