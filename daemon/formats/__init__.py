"""One reader per DAW format, each `path -> Session`; `read_session` picks one by file name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from daemon.errors import ParseError
from daemon.formats.ableton import read_ableton
from daemon.formats.ardour import read_ardour
from daemon.formats.dawproject import read_dawproject
from daemon.formats.reaper import read_reaper
from daemon.formats.suffixes import format_of
from daemon.sessions.checked import checked
from daemon.sessions.model import Session

# The readers' version, recorded with every save: bump it when a reader accepts or reads files
# differently, and the files an older version rejected are read again.
READER_VERSION = "2"
Reader = Callable[..., Session]
READERS: dict[str, Reader] = {
    "dawproject": read_dawproject,
    "ableton": read_ableton,
    "reaper": read_reaper,
    "ardour": read_ardour,
}


def reader_for(name: str | Path) -> Reader | None:
    """The reader of a file, by its suffix (any case; the longest that matches, so `.ardour.bak`
    before `.bak`, see daemon.formats.suffixes); None for a format tapeop does not read."""
    kind = format_of(Path(name).name)
    return None if kind is None else READERS[kind]


def read_session(path: str | Path, name: str | None = None) -> Session:
    """Read any supported session file; a file of no known format is a ParseError. Every number
    in the session is finite and in its range (daemon.sessions.checked): what was not is in its
    problems, read as missing."""
    path = Path(path)
    reader = reader_for(path)
    if reader is None:
        raise ParseError(path, f"not a session file tapeop reads (suffix {path.suffix or '(none)'!r})")
    return checked(reader(path, name=name))
