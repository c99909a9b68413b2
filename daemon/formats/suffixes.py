"""Which files are sessions, of which format, and which are backups: the one place that knows.

- `SESSION_SUFFIXES`, file name endings (any case) of the saves tapeop reads, each with its format.
  A DAWproject `project.xml` ends in `.xml`, which is read but never discovered by suffix alone:
  `tapeop ingest` takes a bare `project.xml` only when it is named as a PATH.
- `BACKUP_SUFFIXES`, the endings of backups a DAW writes beside the live file (REAPER's
  `.rpp-bak`, Ardour's `.ardour.bak`): ingested from archives, not watched.
- `BACKUP_FOLDERS`, the folders DAWs keep older saves in (REAPER `Backups/`, Ableton `Backup/`,
  the histories' `history/` and `autosaves/`), matched case-insensitively.

It imports nothing, so that the watcher, discovery and the readers' registry can all use it.
"""

from __future__ import annotations

SESSION_SUFFIXES: dict[str, str] = {
    ".dawproject": "dawproject",
    ".rpp": "reaper",
    ".rpp-bak": "reaper",
    ".als": "ableton",
    ".ardour": "ardour",
    ".ardour.bak": "ardour",
    ".template": "ardour",  # an Ardour session template: a session file with no regions
}
XML_SUFFIX = ".xml"  # a bare DAWproject project.xml, read when named
BACKUP_SUFFIXES = frozenset({".rpp-bak", ".ardour.bak"})
BACKUP_FOLDERS = frozenset({"backups", "backup", "history", "autosaves"})
_LONGEST_FIRST = sorted(SESSION_SUFFIXES, key=len, reverse=True)


def session_suffix(filename: str) -> str | None:
    """The session suffix a file name ends with (longest match, any case), or None."""
    lower = filename.lower()
    return next((s for s in _LONGEST_FIRST if lower.endswith(s)), None)


def format_of(filename: str) -> str | None:
    """The format a file is read as, by its name: a session suffix's, `dawproject` for `.xml`."""
    suffix = session_suffix(filename)
    if suffix is not None:
        return SESSION_SUFFIXES[suffix]
    return "dawproject" if filename.lower().endswith(XML_SUFFIX) else None


def is_backup_folder(name: str) -> bool:
    return name.casefold() in BACKUP_FOLDERS


def is_live_session(filename: str) -> bool:
    """A session file as the DAW saves it live: a session suffix that is not a backup's."""
    suffix = session_suffix(filename)
    return suffix is not None and suffix not in BACKUP_SUFFIXES
