"""The audio a session refers to: each clip's file found in the session's archive (streamed out
once, by content) or inside its folder, never outside it, and each track's dry signal assembled
from its clips (analyzers.dry)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from analyzers.audio import AudioError
from analyzers.dry import ClipPlacement, DrySignal
from daemon.errors import ParseError
from daemon.files import KnownDigests
from daemon.formats.guard import LIMITS, SafeArchive, path_inside
from daemon.sessions.model import Session, Track


class SessionAudio:
    """Finds the audio files a session file refers to: members of its .dawproject archive
    (streamed out once, by content, into `extract_to`: a 2 GB stem is never held in memory) or
    files inside the session's own folder. Anything else (absolute paths, `..`, links out of the
    folder) is refused with the reason, as are members over the audio cap or inflating like a
    bomb. A member `known` (daemon.files.KnownDigests) has seen under the same ZIP entry, and
    whose content is already out, is not read again."""

    def __init__(self, session_file: Path, extract_to: Path, known: KnownDigests | None = None) -> None:
        self.session_file = session_file
        self.extract_to = extract_to
        self.known = KnownDigests() if known is None else known
        self._archive: SafeArchive | None = None  # opened once, its index checked once
        self._found: dict[str, Path] = {}
        self.digests: dict[Path, str] = {}  # the sha256 of each member streamed out, by its path

    def locate(self, reference: str) -> Path:
        if reference not in self._found:
            self._found[reference] = self._locate(reference)
        return self._found[reference]

    def __enter__(self) -> SessionAudio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the session's archive, if it was opened."""
        if self._archive is not None:
            self._archive.close()
            self._archive = None

    def _locate(self, reference: str) -> Path:
        if self.session_file.suffix.lower() == ".dawproject":
            try:
                if self._archive is None:
                    self._archive = SafeArchive(self.session_file)
                name = reference.replace("\\", "/")
                if self._archive.has(name):
                    return self._extract(self._archive, name)
            except ParseError as exc:
                raise AudioError(self.session_file, exc.reason) from None
        found = path_inside(self.session_file.parent, reference)
        if found is None:
            raise AudioError(
                reference, f"not a file inside the session's folder {self.session_file.parent} (not opened)"
            )
        return found

    def _extract(self, archive: SafeArchive, name: str) -> Path:
        """Stream a member out under its content's sha256. Content already out (the same take in
        the next save's archive) is hashed, not written again."""
        self.extract_to.mkdir(parents=True, exist_ok=True)
        suffix = Path(name).suffix.lower()
        info = archive.names[name]
        known = self.known.member(info)
        if known is not None and (out_already := self.extract_to / f"{known}{suffix}").is_file():
            self.digests[out_already] = known
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
        self.digests[target] = digest.hexdigest()
        self.known.remember_member(info, digest.hexdigest())
        return target


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
        if clip.enabled
    ]
    return DrySignal(clips) if clips else None
