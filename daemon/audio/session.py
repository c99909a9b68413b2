"""The audio a session refers to: each clip's file found in the session's archive (streamed out
once, by content) or inside its folder, never outside it, and each track's dry signal assembled
from its clips (analyzers.dry)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from pathlib import Path, PurePosixPath

from analyzers.audio import AudioError, Planar
from analyzers.dry import ClipPlacement, DrySignal
from daemon.audio import locate
from daemon.audio.locate import project_folder
from daemon.errors import AppError, ParseError, one_line
from daemon.files import KnownDigests, archive_parts
from daemon.formats.guard import LIMITS, SafeArchive, path_inside
from daemon.formats.suffixes import is_backup_folder
from daemon.sessions.model import Session, Track

KEEP_RECENT_S = 600.0  # audio used this recently is a running judging's: never evicted


class SessionAudio:
    """Finds the audio files a session file refers to: members of its .dawproject archive
    (streamed out once, by content, into `extract_to`: a 2 GB stem is never held in memory) or
    files inside the session's own folder. Anything else (absolute paths, `..`, links out of the
    folder) is refused with the reason, as are members over the audio cap or inflating like a
    bomb. A member `known` (daemon.files.KnownDigests) has seen under the same ZIP entry, and
    whose content is already out, is not read again."""

    def __init__(
        self,
        session_file: Path,
        extract_to: Path,
        known: KnownDigests | None = None,
        cap_bytes: int | None = None,
        member: str | None = None,
    ) -> None:
        self.session_file = session_file  # the session, or (with `member`) the .zip archive it was saved in
        self.member = member  # the session's name inside that archive
        self._folders: list[str] | None = None  # the DAW's media folders, found at the first lookup
        self.extract_to = extract_to
        self.known = KnownDigests() if known is None else known
        self.cap_bytes = cap_bytes  # streamed-out audio kept up to this, least recently used evicted
        self._archive: SafeArchive | None = None  # opened once, its index checked once
        self._found: dict[str, Path] = {}
        self.digests: dict[Path, str] = {}  # the sha256 of each member streamed out, by its path

    def locate(self, reference: str) -> Path:
        """The file a clip refers to, on disk (streamed out of an archive if it is in one)."""
        if reference not in self._found:
            where = self._where(reference)
            self._found[reference] = self._extract(self._opened(), where) if isinstance(where, str) else where
        return self._found[reference]

    def exists(self, reference: str) -> bool:
        """Whether the file a clip refers to is there, without streaming anything out."""
        try:
            self._where(reference)
        except AudioError:
            return False
        return True

    def __enter__(self) -> SessionAudio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the session's archive, if it was opened."""
        if self._archive is not None:
            self._archive.close()
            self._archive = None

    def _where(self, reference: str) -> Path | str:
        """Where a clip's file is: a path on disk, or the name of a member of the opened archive."""
        try:
            if self.member is not None:
                return self._in_archive(reference)
            if self.session_file.suffix.lower() == ".dawproject":
                archive = self._opened()
                name = reference.replace("\\", "/")
                if archive.has(name):
                    return name
        except ParseError as exc:
            raise AudioError(self.session_file, exc.reason) from None
        project = project_folder(self.session_file)
        if self._folders is None:
            self._folders = locate.on_disk(self.session_file, project)
        for candidate in locate.candidates(reference, self._folders):
            if not os.path.isfile(project / candidate):  # one stat; path_inside decides what may be opened
                continue
            found = path_inside(project, candidate)
            if found is not None:
                return found
        raise AudioError(reference, f"not found in the project's folder {project} (nothing outside it is opened)")

    def _opened(self) -> SafeArchive:
        if self._archive is None:
            self._archive = SafeArchive(self.session_file)
        return self._archive

    def _in_archive(self, reference: str) -> str:
        """A clip's file in the .zip the session was saved in, looked for as on disk, in the
        session's folder inside the archive (streamed out through the archive guard)."""
        assert self.member is not None
        archive = self._opened()
        inner = PurePosixPath(self.member).parent
        if is_backup_folder(inner.name):
            inner = inner.parent
        if self._folders is None:
            self._folders = locate.media_folders(
                self.member, lambda: self._head(archive), lambda path: _subfolders(archive, inner / path)
            )
        for candidate in locate.candidates(reference, self._folders):
            name = str(PurePosixPath(inner, candidate)) if str(inner) != "." else candidate
            if ".." not in PurePosixPath(name).parts and archive.has(name):
                return name
        raise AudioError(reference, f"not found in {self.session_file} beside {self.member}")

    def _head(self, archive: SafeArchive) -> bytes:
        """The first bytes of the session inside the archive (where REAPER writes RECORD_PATH)."""
        chunks = archive.chunks(self.member or "")
        try:
            return next(chunks, b"")[: locate.REAPER_HEAD_BYTES]
        finally:
            chunks.close()

    def _extract(self, archive: SafeArchive, name: str) -> Path:
        """Stream a member out under its content's sha256. Content already out (the same take in
        the next save's archive) is hashed, not written again."""
        self.extract_to.mkdir(parents=True, exist_ok=True)
        suffix = Path(name).suffix.lower()
        info = archive.names[name]
        known = self.known.member(info)
        if known is not None and (out_already := self.extract_to / f"{known}{suffix}").is_file():
            self.digests[out_already] = known
            _touch(out_already)
            return out_already
        digest = hashlib.sha256()
        for chunk in archive.chunks(name, LIMITS.max_audio_bytes):
            digest.update(chunk)
        target = self.extract_to / f"{digest.hexdigest()}{suffix}"
        if not target.is_file():
            written = hashlib.sha256()
            with tempfile.NamedTemporaryFile(dir=self.extract_to, suffix=".part", delete=False) as out:
                try:
                    for chunk in archive.chunks(name, LIMITS.max_audio_bytes):
                        written.update(chunk)
                        out.write(chunk)
                except BaseException:
                    out.close()
                    os.unlink(out.name)
                    raise
            if written.hexdigest() != digest.hexdigest():  # the archive changed between the two reads
                os.unlink(out.name)
                raise AudioError(self.session_file, f"{name} changed while it was being read")
            os.replace(out.name, target)  # the same content lands on the same name: no duplicates
            if self.cap_bytes is not None:
                evict(self.extract_to, self.cap_bytes)
        else:
            _touch(target)
        self.digests[target] = digest.hexdigest()
        self.known.remember_member(info, digest.hexdigest())
        return target


def _subfolders(archive: SafeArchive, folder: PurePosixPath) -> list[str]:
    """The names of the folders in a folder of an archive (its members' paths)."""
    start = "" if str(folder) == "." else f"{folder}/"
    return sorted(
        {n[len(start) :].split("/", 1)[0] for n in archive.names if n.startswith(start) and "/" in n[len(start) :]}
    )


def audio_source(file: str) -> tuple[Path, str | None] | None:
    """Where a save's audio is read from, by the file the log recorded: (the session file, None)
    for a file on disk; (the .zip, the session's name in it) for a save read from inside a .zip on
    disk; None for one nested deeper (an archive in an archive), whose audio is not looked for.
    A "!" in a real path is a character of its name, not an archive's member."""
    parts = archive_parts(file)
    if len(parts) == 1:
        return Path(file), None
    if len(parts) == 2:
        return Path(parts[0]), parts[1]
    return None


def missing_audio(session: Session, file: str) -> tuple[int, tuple[tuple[str, str], ...]]:
    """How many tracks play audio clips, and the (track, file) of each clip whose file is not
    where the DAW keeps it, for the save read from `file` (as the log records it)."""
    tracks = [t for t in session.all_tracks() if any(c.enabled and c.file for c in t.clips)]
    clips = [(t.name, c.file) for t in tracks for c in t.clips if c.enabled and c.file]
    source = audio_source(file)
    if not clips or source is None:
        return len(tracks), tuple(clips)
    with SessionAudio(source[0], Path(), member=source[1]) as audio:
        return len(tracks), tuple((track, reference) for track, reference in clips if not audio.exists(reference))


def evict(folder: Path, cap_bytes: int, keep_recent_s: float = KEEP_RECENT_S) -> int:
    """Remove the least recently used audio streamed out into `folder` until what is left is at
    most `cap_bytes`; a file used in the last `keep_recent_s` (the running judging's own) stays,
    so the cap can be passed by what one run needs. A file removed is streamed out again when a
    save needs it. Returns the bytes removed."""
    now = time.time()
    files = []
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False) and not entry.name.endswith(".part"):
            st = entry.stat(follow_symlinks=False)
            files.append((st.st_mtime, st.st_size, entry.path))
    total = sum(size for _, size, _ in files)
    removed = 0
    for used, size, path in sorted(files):
        if total - removed <= cap_bytes or now - used < keep_recent_s:
            break
        with contextlib.suppress(FileNotFoundError):  # another process evicted it first
            os.unlink(path)
        removed += size
    return removed


def _touch(path: Path) -> None:
    """Mark a streamed-out file as just used (its mtime is its last use, for `evict`)."""
    with contextlib.suppress(OSError):
        os.utime(path)


def seconds_per_unit(session: Session) -> float:
    """Seconds per unit of the session's timeline (its tempo turns beats into seconds)."""
    if session.time_unit == "seconds":
        return 1.0
    if not session.tempo_bpm or session.tempo_bpm <= 0:
        raise AudioError(session.name, "the session has no tempo to place its clips in seconds")
    return 60.0 / session.tempo_bpm


def dry_signal(session: Session, track: Track, audio: SessionAudio) -> DrySignal | None:
    """A track's dry signal from its enabled clips (placed at the session's tempo; tempo changes
    are not followed), or None when it has no clips."""
    scale = seconds_per_unit(session)
    clips = [
        ClipPlacement(
            path=audio.locate(clip.file),
            position_s=clip.position * scale,
            duration_s=clip.duration * scale,
            offset_s=clip.play_start * scale,
            gain_db=clip.gain_db,
            fade_in_s=clip.fade_in * scale,
            fade_out_s=clip.fade_out * scale,
        )
        for clip in track.clips
        if clip.enabled and clip.file  # a note clip has no audio of its own
    ]
    return DrySignal(clips) if clips else None


class NoAudioError(AppError):
    """A track's audio could not be had: the message names the save and says why."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}", "the track's audio files must be where the DAW keeps them")
        self.reason = reason


def track_samples(file: str, session: Session, track: str, extract_to: Path, max_seconds: float) -> tuple[Planar, int]:
    """The first `max_seconds` of a track's dry signal in a save read from `file` (as the log
    records it: `a.zip!Song/Song.als` for a save inside an archive), planar, with its sample rate.
    Raises NoAudioError saying why not (the track or its clips missing, the files unreadable)."""
    import numpy as np

    source = audio_source(file)
    if source is None:
        raise NoAudioError(file, "a save inside an archive inside an archive: its audio is not looked for")
    try:
        found = session.track(track)
    except KeyError:
        raise NoAudioError(file, f"{track} is not in this save") from None
    try:
        with SessionAudio(source[0], extract_to, member=source[1]) as audio:
            signal = dry_signal(session, found, audio)
            if signal is None:
                raise NoAudioError(file, f"{track} plays no clip in this save")
            rate = signal.info.sample_rate_hz
            blocks, total = [], 0
            for block in signal.blocks(rate):
                blocks.append(block)
                total += block.shape[1]
                if total >= max_seconds * rate:
                    break
    except (AudioError, OSError) as exc:
        raise NoAudioError(file, f"{track}: {one_line(exc)}") from exc
    if not blocks:
        raise NoAudioError(file, f"{track} has no audio in this save")
    return np.concatenate(blocks, axis=1), rate
