"""Which saves the watcher looks at, and when each has settled (the loop is `daemon.service.watcher.Watcher`).

Rules, with their sources (../shared/research/reliability-anchors.md, section 2):

- What is watched (`is_watched`): discovery's session suffixes minus the backups (`.rpp-bak`,
  `.ardour.bak`); nothing under a backup folder (REAPER's `Backups/`, Ableton's `Backup/`,
  daemon.formats.suffixes); no hidden or partial name (starting with `.` or `~`: editor and sync
  temp files, `.goutputstream-*`); any other suffix (`.tmp`, `.pending`, `.bak`, `~`, `.part`) is
  ignored.
- Settling (Syncthing's aggregator, `Pending`): a path is looked at once it has had no event for
  its quiet period (`quiet_s`, default 2 s). It is stat'ed again; if its size, mtime or inode
  (`signature`) changed since its last event it waits again, and its quiet period doubles, up to
  `max_delay_s(quiet)` = `max(quiet, min(6 x quiet, 60 s))`. It is hashed, read, and stat'ed once
  more: a file that changed while it was read is read again later (Syncthing's "changed during
  hashing").
- Scans (`scan_tree`): no symbolic link to a folder is followed, and a file is read only when its
  real path is inside its root (`inside_root`), so loops and links out of the tree are never read.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from daemon.formats.suffixes import is_backup_folder, is_live_session
from daemon.ingest.read import ReadResult

log = logging.getLogger("tapeop.watch")

DEFAULT_QUIET_S = 2.0
MAX_DELAY_S = 60.0  # Syncthing: a path that keeps changing waits up to 6x the delay, 60 s at most
DELAY_FACTOR = 6

Sig = tuple[int, int, int, int]  # st_dev, st_ino, st_size, st_mtime_ns


def is_watched(path: Path, root: Path) -> bool:
    """Whether a save of `path` (inside `root`) is ingested: a live session file of a known suffix,
    not a backup, not hidden or partial, and under no backup folder."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    if not parts or any(p.startswith((".", "~")) or p == "__MACOSX" for p in parts):
        return False
    if any(is_backup_folder(p) for p in parts[:-1]):
        return False
    return is_live_session(parts[-1])


def signature(st: os.stat_result) -> Sig:
    """What tells one state of a file from another without reading it: device, inode, size, mtime."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def regular_stat(path: str) -> os.stat_result | None:
    """The file's stat, following a link; None when it is gone or is not a regular file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def inside_root(path: str, root: Path) -> bool:
    """Whether the real path of `path` (its links resolved) is inside `root`."""
    real = os.path.realpath(path)
    return real.startswith(str(root) + os.sep)


def max_delay_s(quiet_s: float) -> float:
    """The longest a path that keeps changing waits: 6x its quiet period, 60 s at most (never less
    than the quiet period itself)."""
    return max(quiet_s, min(DELAY_FACTOR * quiet_s, MAX_DELAY_S))


@dataclass
class Pending:
    """A path that changed and has not been ingested since."""

    path: str
    root: Path
    changed_at: float  # monotonic time of its last change seen (mapped from mtime for a scan)
    sig: Sig
    delay_s: float  # its quiet period now (it doubles while the file keeps changing)
    due_s: float = 0.0  # monotonic time at which it is looked at
    failed: tuple[Sig, ReadResult] | None = None  # the content that could not be read, not yet rejected

    def changed(self, sig: Sig, at: float, grow: bool = False, cap: float = MAX_DELAY_S) -> None:
        if grow:
            self.delay_s = min(cap, self.delay_s * 2)
        self.sig, self.changed_at, self.due_s = sig, at, at + self.delay_s


def scan_tree(top: Path, root: Path) -> tuple[list[tuple[str, os.stat_result]], int]:
    """The watched files under `top` (in `root`) with their stat, and the number of folders walked.
    Links to folders are not followed; a link to a file only when it stays inside the root."""
    found: list[tuple[str, os.stat_result]] = []
    folders = 0
    stack = [str(top)]
    while stack:
        folder = stack.pop()
        folders += 1
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            log.warning("cannot list %s (%s)", folder, exc.strerror or exc)
            continue
        for entry in entries:
            if entry.name.startswith((".", "~")) or entry.name == "__MACOSX":
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not is_backup_folder(entry.name):
                        stack.append(entry.path)
                    continue
                if not is_watched(Path(entry.path), root):
                    continue
                if entry.is_symlink() and not inside_root(entry.path, root):
                    continue
                st = regular_stat(entry.path)
            except OSError:
                continue
            if st is not None:
                found.append((entry.path, st))
    return found, folders
