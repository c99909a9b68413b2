"""One reader per DAW format, each `path -> Session`; `read_session` picks one by file name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from daemon.errors import ParseError
from daemon.formats.ableton import read_ableton
from daemon.formats.ardour import read_ardour
from daemon.formats.dawproject import read_dawproject
from daemon.formats.reaper import read_reaper
from daemon.sessions.model import Session

Reader = Callable[..., Session]
READERS: dict[str, Reader] = {
    ".dawproject": read_dawproject,
    ".xml": read_dawproject,
    ".als": read_ableton,
    ".rpp": read_reaper,
    ".rpp-bak": read_reaper,
    ".ardour": read_ardour,
    ".ardour.bak": read_ardour,
}


def reader_for(name: str | Path) -> Reader | None:
    """The reader of a file, by its suffix (any case; the longest that matches, so `.ardour.bak`
    before `.bak`); None for a format tapeop does not read."""
    lower = Path(name).name.lower()
    return next((READERS[s] for s in sorted(READERS, key=len, reverse=True) if lower.endswith(s)), None)


def read_session(path: str | Path, name: str | None = None) -> Session:
    """Read any supported session file; a file of no known format is a ParseError."""
    path = Path(path)
    reader = reader_for(path)
    if reader is None:
        raise ParseError(path, f"not a session file tapeop reads (suffix {path.suffix or '(none)'!r})")
    return reader(path, name=name)
