"""Where each DAW keeps the audio a session refers to, as paths to try inside the project's folder.

A clip's reference is what the session wrote; the file is looked for the way the DAW itself
looks, always inside the project's own folder tree (daemon.formats.guard.path_inside decides;
nothing outside is opened, whatever a reference says):

- The project folder: the session file's own, or, for a backup kept in a DAW's backup folder
  (REAPER's `Backups/`, Ableton's `Backup/`), the project's above it: a backup's media paths are
  the project's.
- The reference as written, relative to the project folder (REAPER, Ableton's RelativePath,
  DAWproject).
- The DAW's media folders, with the file's name: REAPER's RECORD_PATH (primary and secondary, as
  written in the project file; `Media/` and `Audio/` when none is set), Ableton's `Samples/`
  folders, Ardour's `interchange/<name>/audiofiles/` (every name: a session renamed keeps its
  old folder) and the `sounds/` of sessions before Ardour 2.
- An absolute reference (a project moved from another machine or disk): its tail inside the
  project folder, longest first (`/Users/x/Song Project/Samples/Recorded/a.wav` is looked for as
  `Samples/Recorded/a.wav`, then `Recorded/a.wav`, then `a.wav`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from daemon.formats.suffixes import format_of, is_backup_folder

REAPER_HEAD_BYTES = 256 * 1024  # RECORD_PATH is written near the top of a project
REAPER_DEFAULT_MEDIA = ("Media", "Audio")
ABLETON_MEDIA = ("Samples/Recorded", "Samples/Imported", "Samples/Processed/Consolidate", "Samples/Processed/Freeze",
                 "Samples/Processed/Crop", "Samples/Processed/Reverse", "Samples")  # fmt: skip
_RECORD_PATH = re.compile(rb'^\s*RECORD_PATH\s+("[^"\r\n]*"|\S+)(?:\s+("[^"\r\n]*"|\S+))?', re.MULTILINE)
_DRIVE = re.compile(r"^[A-Za-z]:/")


def project_folder(session_file: Path) -> Path:
    """The folder a session's media paths are relative to."""
    parent = session_file.parent
    return parent.parent if is_backup_folder(parent.name) else parent


def media_folders(name: str, head: Callable[[], bytes], subfolders: Callable[[str], list[str]]) -> list[str]:
    """The DAW's own media folders of the session file `name`, relative to the project folder;
    `head` gives the file's first bytes, `subfolders(path)` the folders in one of the project's."""
    kind = format_of(name)
    if kind == "reaper":
        return _reaper_record_paths(head()) or list(REAPER_DEFAULT_MEDIA)
    if kind == "ableton":
        return list(ABLETON_MEDIA)
    if kind == "ardour":
        return [f"interchange/{sub}/audiofiles" for sub in sorted(subfolders("interchange"))] + ["sounds"]
    return []


def on_disk(session_file: Path, project: Path) -> list[str]:
    """`media_folders` of a session file on disk."""

    def head() -> bytes:
        try:
            with session_file.open("rb") as fh:
                return fh.read(REAPER_HEAD_BYTES)
        except OSError:
            return b""

    def subfolders(path: str) -> list[str]:
        folder = project / path
        return [p.name for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []

    return media_folders(session_file.name, head, subfolders)


def candidates(reference: str, folders: list[str]) -> Iterator[str]:
    """Paths to try, relative to the project folder, in the order the DAWs look."""
    written = reference.replace("\\", "/")
    parts = [p for p in PurePosixPath(written).parts if p not in ("/", ".")]
    if _DRIVE.match(written):
        parts = parts[1:]
    if not parts:
        return
    absolute = written.startswith("/") or bool(_DRIVE.match(written))
    if not absolute:
        yield "/".join(parts)
    for folder in folders:
        yield f"{folder}/{parts[-1]}"
    for start in range(1, len(parts)):  # the tails of a path written elsewhere
        yield "/".join(parts[start:])
    if absolute and len(parts) == 1:
        yield parts[0]


def _reaper_record_paths(head: bytes) -> list[str]:
    found = _RECORD_PATH.search(head)
    if found is None:
        return []
    paths = []
    for raw in found.groups():
        if raw:
            text = raw.strip(b'"').decode("utf-8", "replace").replace("\\", "/").strip("/")
            if text:
                paths.append(text)
    return paths
