"""Audio files measured through the log's content-addressed cache, for `tapeop analyze` and the
processors: a file is analyzed once per content (its sha256), however many paths, sessions and
versions refer to it."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzers.analysis import AudioAnalysis, analyze_file
from analyzers.audio import AudioError
from daemon.files import hash_file
from daemon.log.cache import AnalysisCache

ANALYSIS_KIND = "audio-analysis/2"  # /2: the tail past the last whole segment
AUDIO_SUFFIXES = frozenset(
    {".wav", ".wave", ".flac", ".aif", ".aiff", ".aifc", ".ogg", ".oga", ".opus", ".mp3", ".caf", ".w64", ".rf64"}
)


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
        sha, _ = hash_file(path)
    except OSError as exc:
        raise AudioError(path, exc.strerror or str(exc)) from None
    if cache is not None and (data := cache.get(sha, ANALYSIS_KIND)) is not None:
        return Measured(path, sha, AudioAnalysis.from_bytes(data), True)
    analysis = analyze_file(path)
    if cache is not None:
        cache.put(sha, analysis.to_bytes(), ANALYSIS_KIND)
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
