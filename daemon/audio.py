"""Audio measured through the store's content-addressed cache, for `tapeop analyze` and the
processors: an audio file is analyzed once per content (its sha256), however many paths, sessions
and versions refer to it.

The cache lives in the store's `analyses` table, keyed by (sha256, analysis kind); the kind names
the analysis and its version, so a change to the measurement invalidates old entries by kind
rather than by hand.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from analyzers.analysis import AudioAnalysis, analyze_file
from analyzers.audio import AudioError
from daemon.store import Store
from daemon.tables import AnalysisRow

ANALYSIS_KIND = "audio-analysis/1"
AUDIO_SUFFIXES = frozenset(
    {".wav", ".wave", ".flac", ".aif", ".aiff", ".aifc", ".ogg", ".oga", ".opus", ".mp3", ".caf", ".w64", ".rf64"}
)
_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class AnalysisCache:
    """Cached analyses in a store, by content key and kind."""

    def __init__(self, store: Store) -> None:
        self._engine = store.engine
        self._table = AnalysisRow.__table__  # type: ignore[attr-defined]

    def get(self, key: str, kind: str = ANALYSIS_KIND) -> bytes | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(self._table.c.data).where(self._table.c.key == key, self._table.c.kind == kind)
            ).first()
        return None if row is None else bytes(row[0])

    def put(self, key: str, data: bytes, kind: str = ANALYSIS_KIND) -> None:
        """Stores an analysis; another process having stored the same one first is fine."""
        try:
            with self._engine.begin() as conn:
                conn.execute(self._table.insert().values(key=key, kind=kind, created_at=datetime.now(UTC), data=data))
        except IntegrityError:
            pass


@dataclass(frozen=True)
class Measured:
    path: Path
    sha256: str
    analysis: AudioAnalysis
    cached: bool


def measure(path: Path, cache: AnalysisCache | None = None) -> Measured:
    """Analyzes an audio file, through the cache when there is one. AudioError when it cannot be
    read (the file named, the reason given)."""
    try:
        sha = file_sha256(path)
    except OSError as exc:
        raise AudioError(path, exc.strerror or str(exc)) from None
    if cache is not None and (data := cache.get(sha)) is not None:
        return Measured(path, sha, AudioAnalysis.from_bytes(data), True)
    analysis = analyze_file(path)
    if cache is not None:
        cache.put(sha, analysis.to_bytes())
    return Measured(path, sha, analysis, False)


def audio_files(paths: Sequence[Path]) -> Iterator[Path]:
    """The audio files among `paths` and in the folders among them (recursively, in name order;
    links to folders are not followed)."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for folder, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if Path(name).suffix.lower() in AUDIO_SUFFIXES:
                    yield Path(folder, name)
