"""Discovery for `tapeop ingest PATH...`: which files of an engineer's archive are saves of which
session, and when each was saved. Nothing is stored and nothing is parsed beyond a REAPER header.

Rules:
- Session files are known by suffix, case-insensitively (daemon.formats.suffixes). A bare `project.xml`
  is taken only when named as a PATH (its session is its folder's name); another `.xml` file on
  disk is taken when it opens as a DAWproject project does (<Project> then <Application>), its
  session named by its own name. Ignored without a word: names starting with "." or "~" (files
  and folders, so `.DS_Store`) and `__MACOSX`. Every other file found on disk is left alone and
  counted by kind with the reason (`left_alone`: audio, `.rpp-undo` undo histories, `.pending`,
  a `.bak` of no known kind...), which the ingest summary prints.
- Folders are walked recursively in name order, never leaving the roots: a symbolic link to a
  folder is not followed, a link to a file only when it stays inside the root (both reported).
- `.zip` archives, nested ones too (MAX_ZIP_DEPTH levels), are opened only through SafeArchive; a
  member file or nested archive is read only up to MEMBER_CAP. A refused archive or member is a
  problem, never an exception. A file reached twice (overlapping PATHs, links) counts once.
- Save time, first that applies (`saved_at_basis`): "file-metadata" (the REAPER header's unix
  time, first line only), "name" (`-YYYY-MM-DD_HHMM` of REAPER, `[YYYY-MM-DD HHMMSS]` of Ableton,
  read as UTC), "zip-entry-time" (a member's date_time, read as UTC), "mtime" (of the file, or of
  the archive on disk). All save times are whole seconds, timezone-aware UTC; ties fall to
  `version_hint`, then `source`, so copies sharing a time keep their name order.
- Naming and grouping: `session_name_of` and `Discovery`. An Ardour snapshot (another .ardour
  file in a folder that holds `<folder>/<folder>.ardour`, Ardour's layout) is a save of the
  folder's session.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from daemon.errors import ParseError
from daemon.formats.guard import LIMITS, SafeArchive
from daemon.formats.suffixes import XML_SUFFIX, is_backup_folder, session_suffix

MAX_ZIP_DEPTH = 4  # an archive on disk is level 1
MEMBER_CAP = LIMITS.max_xml_bytes  # the most a session file or nested archive is inflated to
_HEAD_BYTES = 512
_REAPER_HEADER = re.compile(rb'^(?:\xef\xbb\xbf)?\s*<REAPER_PROJECT\s+\S+\s+"[^"\r\n]*"\s+(\d+)')
_PLAUSIBLE_UNIX = (946_684_800, 4_102_444_800)  # 2000-01-01 .. 2100-01-01
_DAWPROJECT_HEAD = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<Project\b[^>]*>\s*<Application\b", re.S
)

# Trailing decorations, stripped repeatedly until none is left (never down to nothing).
_HISTORY_PREFIX = re.compile(r"^(\d{3,})_[0-9a-f]{8}_(?:(?:autosaves|backups?|history)_)?(?=.)", re.IGNORECASE)
_DECORATIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("stamp", re.compile(r"[-_](\d{4})-(\d\d)-(\d\d)_(\d\d)(\d\d)(\d\d)?$")),
    ("stamp", re.compile(r"\s*\[(\d{4})-(\d\d)-(\d\d) (\d\d)(\d\d)(\d\d)\]$")),
    ("version", re.compile(r"[\s_-]+(?:v|ver|version)[\s_.-]*(\d+)(?:\.(\d+))?$", re.IGNORECASE)),
    ("copy", re.compile(r"(?:\s*\((\d+)\)|\s*\(copy\s*(\d*)\)|[\s_-]+copy(?:[\s_-]*(\d+))?)$", re.IGNORECASE)),
    ("final", re.compile(r"(?:\s*\(final\s*\d*\)|[\s_-]+final\d*)$", re.IGNORECASE)),
    ("separator", re.compile(r"[\s_.-]+$")),
)


@dataclass(frozen=True)
class Candidate:
    """One save of a session found on disk or in a ZIP archive.

    `path` is the file on disk that holds it (the archive, for a member) and `members` the chain
    of member names inside nested archives; `folder` is the folder it belongs to (a Backups/-like
    folder folded into its parent), which with the name makes the session."""

    source: str
    session_name: str
    saved_at: datetime
    saved_at_basis: str
    version_hint: tuple[int, ...]
    size: int
    path: Path
    members: tuple[str, ...] = ()
    folder: str = ""

    def read_bytes(self) -> bytes:
        """The file's bytes; a member is read through SafeArchive, nested archives too."""
        try:
            if not self.members:
                return self.path.read_bytes()
            with tempfile.TemporaryDirectory(prefix="tapeop-") as tmp:
                return _read_member(self.path, self.members, Path(tmp))
        except ParseError as exc:
            raise ParseError(self.source, exc.reason) from None
        except KeyError:
            raise ParseError(self.source, "no longer in its archive") from None
        except OSError as exc:
            raise ParseError(self.source, f"cannot be read ({exc.strerror or exc})") from None

    @contextmanager
    def materialize(self, data: bytes | None = None) -> Iterator[Path]:
        """A real file with the right name and suffix: the file itself, or a member written to a
        temporary folder that is removed afterwards (from `data` when the caller has read it
        already, so an archive member is inflated once)."""
        if not self.members:
            yield self.path
            return
        with tempfile.TemporaryDirectory(prefix="tapeop-") as tmp:
            target = Path(tmp) / PurePosixPath(self.members[-1]).name
            target.write_bytes(self.read_bytes() if data is None else data)
            yield target


@dataclass
class Discovery:
    """What `discover` found: candidates ordered by (session, save time), and (source, reason)
    for everything it could not look into."""

    candidates: list[Candidate] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    left_alone: dict[str, int] = field(default_factory=dict)  # "what and why" -> how many files


class _Name(NamedTuple):
    name: str
    hint: tuple[int, ...]
    stamp: datetime | None


def session_name_of(filename: str) -> str:
    """The session a file name belongs to: suffix and decorations stripped, original case kept.

    Stripped: the extension(s); the corpus prefix `NNN_<8 hex>_` with a flattened backup folder
    right after it (`AutoSaves_`, `Backups_`, `Backup_`, `History_`); then, repeatedly, trailing
    ` (2)`, ` copy`, ` Copy 2`, ` (copy)`, REAPER's `-YYYY-MM-DD_HHMM` (or `_`), Ableton's
    ` [YYYY-MM-DD HHMMSS]`, `v3`/`ver 3`/`version 3` after a space, `_` or `-` (`v2.1` too),
    `final`, `final2`, `(final)` after a separator, and trailing separators. Kept: anything not
    at the end ("Final Countdown", "Version 2 Remix", "2024 Song"), bare numbers ("Mix 2"),
    words such as "mix", "master", "new"; and a name is never stripped down to nothing."""
    return _parse_name(filename).name


def _parse_name(filename: str) -> _Name:
    stem = _strip_suffix(PurePosixPath(filename.replace("\\", "/")).name).strip()
    prefix = _HISTORY_PREFIX.match(stem)
    nnn, stem = (int(prefix[1]), stem[prefix.end() :]) if prefix else (0, stem)
    version: tuple[int, int] | None = None
    copy = final = 0
    stamp: datetime | None = None
    while match := _next_decoration(stem):
        kind, found = match
        stem = stem[: found.start()]
        if kind == "stamp":
            stamp = stamp or _stamp(found.groups())
        elif kind == "version":
            version = version or (int(found[1]), int(found[2] or 0))
        elif kind == "copy":
            copy = copy or int(next((g for g in found.groups() if g), "1"))
        elif kind == "final":
            final = 1
    return _Name(stem.strip() or filename, (nnn, *(version or (0, 0)), final, copy), stamp)


def _strip_suffix(name: str) -> str:
    suffix = session_suffix(name)
    if suffix:
        return name[: -len(suffix)]
    stem, dot, ext = name.rpartition(".")
    return stem if dot and stem and ext.isalnum() else name


def _next_decoration(stem: str) -> tuple[str, re.Match[str]] | None:
    for kind, pattern in _DECORATIONS:
        found = pattern.search(stem)
        if found and stem[: found.start()].strip(" _.-"):
            return kind, found
    return None


def _stamp(groups: Iterable[str | int | None]) -> datetime | None:
    try:
        year, month, day, hour, minute, second = (int(g or 0) for g in groups)
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def _reaper_time(head: bytes) -> datetime | None:
    """The save time in a REAPER header: `<REAPER_PROJECT 0.1 "7.26/macOS-arm64" 1733339460`."""
    found = _REAPER_HEADER.match(head.split(b"\n", 1)[0])
    if not found or not _PLAUSIBLE_UNIX[0] <= int(found[1]) < _PLAUSIBLE_UNIX[1]:
        return None
    return datetime.fromtimestamp(int(found[1]), UTC)


def _is_junk(name: str) -> bool:
    return name.startswith((".", "~")) or name == "__MACOSX"


# Why a file found in a folder is no save, by its ending (the first that matches).
_NOT_SAVES: tuple[tuple[tuple[str, ...], str], ...] = (
    ((".wav", ".flac", ".mp3", ".aif", ".aiff", ".ogg", ".m4a", ".wv", ".caf", ".mid"), "audio or MIDI"),
    ((".reapeaks", ".peak", ".asd", ".pk"), "waveform caches"),
    ((".rpp-undo",), "REAPER undo histories, not saves"),
    ((".history",), "Ardour undo histories, not saves"),
    ((".pending",), "Ardour's unfinished saves"),
    ((".tmp", ".temp"), "temporary files"),
    ((".bak",), "backups of no known kind"),
    ((".xml",), "XML files that are no DAWproject project"),
)


def _why_not(name: str) -> str:
    """A file that is no session, as the ingest summary counts it: "12 .wav (audio or MIDI)"."""
    lower = name.lower()
    for endings, why in _NOT_SAVES:
        for ending in endings:
            if lower.endswith(ending):
                return f"{ending} ({why})"
    suffix = PurePosixPath(lower).suffix
    return f"{suffix} (not a session format)" if suffix else "files without a suffix"


def _is_dawproject_xml(path: Path) -> bool:
    """A raw DAWproject project (a project.xml under another name): its root is <Project> with
    an <Application> soon after, which is what the format's own files open with."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD_BYTES * 4)
    except OSError:
        return False
    return _DAWPROJECT_HEAD.search(head) is not None


def _kind(name: str, explicit: bool = False) -> str | None:
    if _is_junk(name):
        return None
    if name.lower().endswith(".zip"):
        return "zip"
    if session_suffix(name) or (explicit and name.lower() == "project.xml"):
        return "session"
    return None


def _home(parent: PurePosixPath | Path) -> PurePosixPath | Path:
    """The folder a session lives in: a Backups/-like folder belongs to its parent."""
    return parent.parent if is_backup_folder(parent.name) else parent


def _label(folder: str) -> str:
    piece = re.split(r"[/\\!]", folder.rstrip("/\\!"))[-1]
    return piece if piece not in ("", ".", "..") else (Path(folder.rstrip("!")).resolve().name or folder)


def _read_member(archive: Path, chain: tuple[str, ...], tmp: Path) -> bytes:
    with SafeArchive(archive) as zf:
        data = zf.read(chain[0], MEMBER_CAP)
    if len(chain) == 1:
        return data
    nested = tmp / f"{len(chain)}.zip"
    nested.write_bytes(data)
    return _read_member(nested, chain[1:], tmp)


def _order(candidate: Candidate) -> tuple[datetime, tuple[int, ...], str]:
    return (candidate.saved_at, candidate.version_hint, candidate.source)


class _Place(NamedTuple):
    """Where an archive is: its display source, the file on disk holding it, the members leading
    to it inside that file, and that file's mtime (the fallback save time)."""

    source: str
    origin: Path
    chain: tuple[str, ...]
    mtime: datetime


class _Walk:
    """One pass over the roots, collecting candidates (with their raw names) and problems."""

    def __init__(self) -> None:
        self.found: list[Candidate] = []
        self.problems: list[tuple[str, str]] = []
        self.seen: set[tuple[str, tuple[str, ...]]] = set()
        self.links: list[tuple[Path, Path]] = []  # followed last, so that a file wins over a link to it
        self.left_alone: dict[str, int] = {}

    def root(self, path: Path) -> None:
        if path.is_dir():
            self.folder(path, Path(os.path.realpath(path)))
        elif path.is_file():
            self.file(path, explicit=True)
        else:
            self.problems.append((str(path), "no such file or folder"))

    def folder(self, folder: Path, inside: Path) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            self.problems.append((str(folder), f"unreadable folder ({exc.strerror or exc})"))
            return
        for entry in entries:
            path = folder / entry.name
            if _is_junk(entry.name):
                continue
            if entry.is_symlink():
                self.links.append((path, inside))
            elif entry.is_dir(follow_symlinks=False):
                self.folder(path, inside)
            elif entry.is_file(follow_symlinks=False):
                self.file(path)

    def link(self, path: Path, inside: Path) -> None:
        target = Path(os.path.realpath(path))
        if target.is_dir():
            self.problems.append((str(path), "link to a folder: not followed"))
        elif _kind(path.name) is None:
            return
        elif inside not in target.parents:
            self.problems.append((str(path), "link to a file outside the folder: not followed"))
        elif not target.is_file():
            self.problems.append((str(path), "link to nothing (broken)"))
        else:
            self.file(path)

    def file(self, path: Path, explicit: bool = False) -> None:
        kind = _kind(path.name, explicit)
        if kind is None and path.name.lower().endswith(XML_SUFFIX) and _is_dawproject_xml(path):
            kind = "session"
        if kind is None:
            if explicit:
                self.problems.append((str(path), "not a session file tapeop ingests, nor a .zip archive"))
            elif not _is_junk(path.name):
                why = _why_not(path.name)
                self.left_alone[why] = self.left_alone.get(why, 0) + 1
            return
        if not self._first_time(os.path.realpath(path), ()):
            return
        try:
            st = path.stat()
            mtime = datetime.fromtimestamp(int(st.st_mtime), UTC)
            if kind == "zip":
                self.archive(path, _Place(str(path), path, (), mtime))
                return
            with path.open("rb") as fh:
                head = fh.read(_HEAD_BYTES) if _is_reaper(path.name) else b""
        except OSError as exc:
            self.problems.append((str(path), f"unreadable file ({exc.strerror or exc})"))
            return
        named, home = (path.parent, path.parent.parent) if path.name.lower() == "project.xml" else (path, path.parent)
        filename = _ardour_session(path) or named.name
        self.add(str(path), filename, str(_home(home)), head, None, mtime, st.st_size, path, ())

    def archive(self, disk: Path, at: _Place) -> None:
        """Every member of the archive at `disk`: the file `at.origin`, or a temporary copy of the
        archive nested in it at `at.chain`."""
        try:
            with SafeArchive(disk) as zf:
                for name in sorted(zf.names):
                    self.member(zf, name, at)
        except (ParseError, OSError) as exc:
            self.problems.append((at.source, exc.reason if isinstance(exc, ParseError) else f"unreadable ({exc})"))

    def member(self, zf: SafeArchive, name: str, at: _Place) -> None:
        parts = PurePosixPath(name).parts
        kind = _kind(parts[-1]) if parts and not name.endswith("/") else None
        if kind is None or any(_is_junk(part) for part in parts):
            return
        info, inner = zf.names[name], _Place(f"{at.source}!{name}", at.origin, (*at.chain, name), at.mtime)
        if kind == "zip" and len(inner.chain) >= MAX_ZIP_DEPTH:
            self.problems.append((inner.source, f"ZIP archive nested deeper than {MAX_ZIP_DEPTH} levels: not opened"))
            return
        if info.file_size > MEMBER_CAP:
            self.problems.append((inner.source, f"declares {info.file_size:,} bytes, over the {MEMBER_CAP:,} cap"))
            return
        if not self._first_time(os.path.realpath(at.origin), inner.chain):
            return
        try:
            if kind == "zip":
                with tempfile.TemporaryDirectory(prefix="tapeop-") as tmp:
                    nested = Path(tmp) / "nested.zip"
                    nested.write_bytes(zf.read(name, MEMBER_CAP))
                    self.archive(nested, inner)
                return
            head = zf.read(name, MEMBER_CAP)[:_HEAD_BYTES] if _is_reaper(name) else b""
        except ParseError as exc:
            self.problems.append((inner.source, exc.reason))
            return
        folder = f"{at.source}!{_home(PurePosixPath(name).parent)}".removesuffix("!.")
        when = _stamp(info.date_time)
        self.add(inner.source, parts[-1], folder, head, when, at.mtime, info.file_size, at.origin, inner.chain)

    def add(self, source: str, filename: str, folder: str, head: bytes, entry_time: datetime | None,
            mtime: datetime, size: int, path: Path, members: tuple[str, ...]) -> None:  # fmt: skip
        parsed = _parse_name(filename)
        times = (("file-metadata", _reaper_time(head)), ("name", parsed.stamp), ("zip-entry-time", entry_time))
        basis, when = next(((b, t) for b, t in times if t is not None), ("mtime", mtime))
        self.found.append(Candidate(source, parsed.name, when, basis, parsed.hint, size, path, members, folder))

    def _first_time(self, real: str, members: tuple[str, ...]) -> bool:
        new = (real, members) not in self.seen
        self.seen.add((real, members))
        return new


def _ardour_session(path: Path) -> str | None:
    """Ardour keeps a session in a folder of its name, `<name>/<name>.ardour`: any other .ardour
    file beside it (a snapshot: "Song/mix 2.ardour") and a .bak of one are saves of that session.
    Returns the file name to read the session's name from, or None when the file is not such a
    snapshot."""
    if not (session_suffix(path.name) or "").startswith(".ardour"):
        return None
    main = f"{path.parent.name}.ardour"
    return main if (path.parent / main).is_file() else None


def _is_reaper(name: str) -> bool:
    return (session_suffix(name) or "") in (".rpp", ".rpp-bak")


def discover(paths: Iterable[Path]) -> Discovery:
    """Every session file under the paths (files, folders, .zip archives), named per session.

    A session is (its folder, its name casefolded); its `session_name` keeps the spelling of its
    earliest save. Where sessions of different folders share a name, each gets its folder's name
    in parentheses ("Song (Client A)"), or the folder's whole path where those collide too."""
    walk = _Walk()
    for path in paths:
        walk.root(Path(path))
    for link, inside in walk.links:
        walk.link(link, inside)
    found = sorted(walk.found, key=_order)
    names: dict[tuple[str, str], str] = {}
    for candidate in found:
        names.setdefault((candidate.folder, candidate.session_name.casefold()), candidate.session_name)
    clashes: dict[str, list[tuple[str, str]]] = {}
    for key in sorted(names):
        clashes.setdefault(key[1], []).append(key)
    for keys in clashes.values():
        labels = [_label(folder) for folder, _ in keys]
        unique = len({label.casefold() for label in labels}) == len(labels)
        for key, label in zip(keys, labels):
            if len(keys) > 1:
                names[key] += f" ({label if unique else key[0]})"
    renamed = [replace(c, session_name=names[(c.folder, c.session_name.casefold())]) for c in found]
    ordered = sorted(renamed, key=lambda c: (c.session_name.casefold(), *_order(c)))
    return Discovery(ordered, walk.problems, dict(sorted(walk.left_alone.items(), key=lambda kv: (-kv[1], kv[0]))))


def group_versions(candidates: Iterable[Candidate]) -> dict[str, list[Candidate]]:
    """The saves of each session (by name, case-insensitively) ordered by (saved_at, version_hint,
    source); sessions come in the order of their first save. Identical copies stay separate."""
    groups: dict[str, list[Candidate]] = {}
    spelling: dict[str, str] = {}
    for candidate in sorted(candidates, key=_order):
        name = spelling.setdefault(candidate.session_name.casefold(), candidate.session_name)
        groups.setdefault(name, []).append(candidate)
    return groups
