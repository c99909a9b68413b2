"""What the rules measure: each track's dry signal (its clips from the session's own audio),
analyzed once per content through the store's cache (daemon.audio.session).

The key of a track's analysis is the sha256 of its clips as placed (each file's content hash,
position, length, offset, gain, fades): the same audio placed the same way in fifty versions of a
session is analyzed once. The audio is read from the session file the save came from, as it is on
disk now: a mix change does not change the recorded audio, so the versions before and after a
change share it. Each DAW's media folders are looked in (daemon.audio.locate), and a save read
from inside a .zip archive has its audio read from the same archive, through the archive guard.

Between runs, an AudioMemory keeps what need not be read again: the service holds one for its
life, so the save after a mix change finds its tracks' files hashed and their measurements
decoded.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast

from analyzers.analysis import AudioAnalysis, analyze
from analyzers.audio import AudioError
from analyzers.dry import ClipPlacement, DrySignal
from analyzers.dynamics import CompressorEffect, StepPeaks, compressor_effect, step_peaks
from analyzers.masking import BandFrames, band_frames
from daemon import config
from daemon.audio.session import SessionAudio, dry_signal
from daemon.files import KnownDigests
from daemon.log.cache import AnalysisCache
from daemon.log.store import Store
from daemon.sessions.model import Session

KIND = "track-dry/2"  # /2: AudioAnalysis keeps its loudness tail
FRAMES_KIND = "track-band-frames/2"  # /2: energies stored as float32
PEAKS_KIND = "track-step-peaks/1"
EFFECT_KIND = "compressor-effect/1"
_COMPRESSOR_TERMS = ("threshold_db", "ratio", "knee_db", "attack_ms", "release_ms")
_Cached = TypeVar("_Cached", AudioAnalysis, BandFrames, StepPeaks, CompressorEffect)
DECODED_BUDGET_BYTES = 64 << 20  # about one 40-track session of 3-minute songs


def audio_folder() -> Path:
    """Where audio embedded in session archives is streamed out to, by default: the data folder's audio/."""
    return config.data_dir() / "audio"


@dataclass
class AudioMemory:
    """What justification keeps between runs: the sha256 of the audio files and archive members
    read (daemon.files.KnownDigests) and the measurements decoded last, up to `budget_bytes`
    of their stored size (the arrays derived from them on demand come on top), the least
    recently used dropped first. Measurements are never changed once made, so runs share them."""

    known: KnownDigests = field(default_factory=KnownDigests)
    budget_bytes: int = DECODED_BUDGET_BYTES
    _decoded: OrderedDict[tuple[str, str], tuple[object, int]] = field(default_factory=OrderedDict)
    _held_bytes: int = 0

    def get(self, key: str, kind: str) -> object | None:
        found = self._decoded.get((key, kind))
        if found is None:
            return None
        self._decoded.move_to_end((key, kind))
        return found[0]

    def put(self, key: str, kind: str, value: object, size_bytes: int) -> None:
        if size_bytes > self.budget_bytes or (key, kind) in self._decoded:
            return
        self._decoded[(key, kind)] = (value, size_bytes)
        self._held_bytes += size_bytes
        while self._held_bytes > self.budget_bytes:
            _, (_, dropped) = self._decoded.popitem(last=False)
            self._held_bytes -= dropped


class Stopped(Exception):  # noqa: N818 - a request, not an error
    """Judging was asked to stop (the service is stopping) before the next measurement."""


@dataclass
class TrackAudio:
    """Measures the tracks of one session file's saves, through the cache."""

    store: Store
    session_file: Path | None  # the session on disk, or (with `member`) the .zip it was saved in
    extract_to: Path = field(default_factory=audio_folder)
    memory: AudioMemory = field(default_factory=AudioMemory)
    _hashes: dict[Path, str] = field(default_factory=dict)
    _done: dict[str, AudioAnalysis] = field(default_factory=dict)
    _frames: dict[str, BandFrames] = field(default_factory=dict)
    _peaks: dict[str, StepPeaks] = field(default_factory=dict)
    _signals: dict[int, tuple[Session, dict[str, DrySignal | None]]] = field(default_factory=dict)
    _pending: dict[tuple[str, str], bytes] = field(default_factory=dict)  # measured, not yet in the store
    _located: SessionAudio | None = None  # one per file: each referenced audio file is located (and streamed out) once
    stop: threading.Event | None = None  # set: nothing more is measured (Stopped is raised instead)
    audio_cache_bytes: int | None = None  # audio streamed out into extract_to kept up to this (LRU)
    member: str | None = None  # the session's name inside the .zip `session_file`

    def analysis(self, session: Session, track: str) -> AudioAnalysis | None:
        """The analysis of `track`'s dry signal in `session`, or None when it has no audio that
        can be read (no clips, files missing or outside the session's folder, no file on disk)."""
        return self._derived(session, track, KIND, analyze, AudioAnalysis.from_bytes, self._done)

    def band_frames(self, session: Session, track: str) -> BandFrames | None:
        """The band energies over time of `track`'s dry signal (for masking), or None."""
        return self._derived(session, track, FRAMES_KIND, band_frames, BandFrames.from_bytes, self._frames)

    def step_peaks(self, session: Session, track: str) -> StepPeaks | None:
        """The peak of every millisecond of `track`'s dry signal (what a compressor's detector
        sees: the gain reduction of any setting follows from it), or None."""
        return self._derived(session, track, PEAKS_KIND, step_peaks, StepPeaks.from_bytes, self._peaks)

    def compressor_effect(self, session: Session, track: str, setting: Mapping[str, float]) -> CompressorEffect | None:
        """What a compressor `setting` (its comp.* terms: threshold_db, ratio, knee_db, attack_ms,
        release_ms) does to `track`'s dry signal, through the cache (keyed by the audio and the
        setting: a setting judged once on this audio is not computed again), or None."""
        signal = self._signal(session, track)
        if signal is None:
            return None
        terms = {term: float(setting[f"comp.{term}"]) for term in _COMPRESSOR_TERMS}
        key = hashlib.sha256(json.dumps([self._key(signal.clips), terms], sort_keys=True).encode()).hexdigest()

        def compute() -> CompressorEffect:
            peaks = self.step_peaks(session, track)
            if peaks is None:
                raise AudioError(track, "its audio cannot be read")
            return compressor_effect(peaks, **terms)

        try:
            return self._through_cache(key, EFFECT_KIND, CompressorEffect.from_bytes, compute)
        except AudioError:
            return None

    def close(self) -> None:
        """Close the session file's archive, if its audio was read from one."""
        if self._located is not None:
            self._located.close()

    def flush(self) -> None:
        """Write the measurements made since the last flush to the store's cache, in one
        transaction (the processor flushes before it appends each batch's verdicts)."""
        AnalysisCache(self.store).put_many([(key, kind, data) for (key, kind), data in self._pending.items()])
        self._pending.clear()

    def _derived(
        self,
        session: Session,
        track: str,
        kind: str,
        compute: Callable[[DrySignal], _Cached],
        decode: Callable[[bytes], _Cached],
        kept: dict[str, _Cached],
    ) -> _Cached | None:
        """A measurement of `track`'s dry signal, kept for the run and through the cache; None
        when the track has no audio that can be read, or a clip file turns out unreadable midway."""
        signal = self._signal(session, track)
        if signal is None:
            return None
        key = self._key(signal.clips)
        if key not in kept:
            try:
                kept[key] = self._through_cache(key, kind, decode, lambda: compute(signal))
            except AudioError:
                return None
        return kept[key]

    def _through_cache(
        self, key: str, kind: str, decode: Callable[[bytes], _Cached], compute: Callable[[], _Cached]
    ) -> _Cached:
        """A measurement by its key: from memory, from this run's measurements not yet written or
        the store's cache, else computed (and queued for the cache: `flush`)."""
        remembered = self.memory.get(key, kind)
        if remembered is not None:
            return cast(_Cached, remembered)
        data = self._pending.get((key, kind))
        if data is None:
            data = AnalysisCache(self.store).get(key, kind)
        if data is not None:
            found = decode(data)
        else:
            if self.stop is not None and self.stop.is_set():
                raise Stopped("asked to stop before measuring a track")
            found = compute()
            data = self._pending[(key, kind)] = found.to_bytes()
        self.memory.put(key, kind, found, len(data))
        return found

    def _signal(self, session: Session, track: str) -> DrySignal | None:
        """A track's dry signal in `session`, located once per session and track. The sessions of
        the save in hand (before and after) are kept, with their signals: the session is kept
        with them, so its id is not reused while the entry lives."""
        kept = self._signals.get(id(session))
        if kept is None:
            if len(self._signals) >= 2:
                del self._signals[next(iter(self._signals))]
            kept = self._signals[id(session)] = (session, {})
        signals = kept[1]
        if track not in signals:
            signals[track] = self._locate(session, track)
        return signals[track]

    def _locate(self, session: Session, track: str) -> DrySignal | None:
        if self.session_file is None or not self.session_file.is_file():
            return None
        try:
            if self._located is None:
                self._located = SessionAudio(
                    self.session_file, self.extract_to, self.memory.known, self.audio_cache_bytes, self.member
                )
            return dry_signal(session, session.track(track), self._located)
        except (KeyError, AudioError):
            return None

    def _key(self, clips: Sequence[ClipPlacement]) -> str:
        placed = []
        streamed = {} if self._located is None else self._located.digests  # members hashed as they came out
        for clip in clips:
            if clip.path not in self._hashes:
                self._hashes[clip.path] = streamed.get(clip.path) or self.memory.known.file(clip.path)
            placed.append([self._hashes[clip.path], clip.position_s, clip.duration_s, clip.offset_s, clip.gain_db,
                           clip.fade_in_s, clip.fade_out_s])  # fmt: skip
        return hashlib.sha256(json.dumps(placed).encode()).hexdigest()
