"""What the rules measured of a question's track, for the engineer to look at while answering: its
loudness, true peak and lowest note, the tracks that mask it or that it masks most (the masking
partners), and its long-term spectrum before and after the change.

The numbers are the justification's own (profiles.justify.audio): the same dry signal, the same
cache, so a track the rules measured is read back, not measured again. The spectrum is the dry
signal's long-term spectrum through the track's EQ chain and fader as each of the two saves left
them (analyzers.eq): what the change did to the track's balance. A compressor's or a plug-in's
effect is not drawn; the plot then shows the two saves alike and says so.

`measure(...)` is blocking (a TUI worker's): it may read and analyze audio the rules never
measured (a masking partner of a track no EQ change touched), seconds per track on long sessions.
Between tracks it asks `cancelled()` and stops early when the engineer has moved on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from analyzers.eq import total_power_gain
from analyzers.masking import BandFrames, masking_many
from analyzers.pitch import LowestNote
from daemon.audio.session import audio_source
from daemon.log.store import Store
from daemon.sessions.model import Session
from profiles.justify.audio import TrackAudio, audio_folder
from profiles.justify.rules.masking import MIN_BOTH_PLAYING, NOT_MIXED, eq_chain, pan_of
from profiles.questions.build import Question

PARTNERS = 3  # masking partners shown, the strongest first
PLOT_LOW_HZ, PLOT_HIGH_HZ, PLOT_POINTS_PER_OCTAVE = 20.0, 20000.0, 6
FLOOR_DB = -150.0  # under the peak: far below what is drawn (the plot shows 60 dB)


@dataclass(frozen=True)
class Partner:
    """Another track playing with the question's track, and how much of each the other covers
    (the masking index 0..1 over the critical bands while both play; None: no energy to cover)."""

    track: str
    masks_it: float | None  # how much of the question's track this one covers
    masked_by_it: float | None  # how much of this one the question's track covers

    @property
    def strength(self) -> float:
        return max(self.masks_it or 0.0, self.masked_by_it or 0.0)


@dataclass(frozen=True)
class Spectrum:
    """The track's long-term spectrum at log-spaced frequencies, in dB relative to the louder of
    the two curves' peak, through its EQ chain and fader before and after the change."""

    freqs_hz: npt.NDArray[np.float64]
    before_db: npt.NDArray[np.float64]
    after_db: npt.NDArray[np.float64]

    @property
    def differs(self) -> bool:
        return bool(np.max(np.abs(self.before_db - self.after_db), initial=0.0) >= 0.05)


@dataclass(frozen=True)
class TrackContext:
    """The audio numbers of a question's track in the save it is about. `missing` says why there
    are none (no track, no clips, files gone); `partners_missing` why there are no partners."""

    track: str | None
    loudness_lufs: float | None = None  # the dry signal's integrated loudness
    true_peak_dbtp: float | None = None
    fader_db: tuple[float | None, float | None] | None = None  # before, after: where the fader changed
    lowest: LowestNote | None = None
    spectrum: Spectrum | None = None
    partners: tuple[Partner, ...] = ()
    partners_missing: str | None = None
    missing: str | None = None

    def lines(self) -> list[str]:
        """The numbers as short lines for the screen (nothing hidden: what is missing is said)."""
        if self.missing is not None:
            return [self.missing]
        said = [
            f"loudness {_number(self.loudness_lufs, 'LUFS')} (dry), true peak {_number(self.true_peak_dbtp, 'dBTP')}"
        ]
        if self.fader_db is not None:
            before, after = self.fader_db
            said.append(f"fader {_gain(before)} -> {_gain(after)}")
        if self.lowest is not None:
            said.append(f"lowest note {self.lowest.note} ({self.lowest.freq_hz:.1f} Hz)")
        else:
            said.append("lowest note: none found (no steady pitch in the low range)")
        if self.partners:
            by_them = sorted(self.partners, key=lambda p: -(p.masks_it or 0.0))
            by_it = sorted(self.partners, key=lambda p: -(p.masked_by_it or 0.0))
            said.append("masked by: " + ", ".join(f"{p.track} {_share(p.masks_it)}" for p in by_them))
            said.append("masks: " + ", ".join(f"{p.track} {_share(p.masked_by_it)}" for p in by_it))
        elif self.partners_missing:
            said.append(f"masking partners: {self.partners_missing}")
        return said


def _number(value: float | None, unit: str) -> str:
    return "silent" if value is None or not np.isfinite(value) else f"{value:.1f} {unit}"


def _gain(value: float | None) -> str:
    return "-inf dB" if value is None else f"{value:+.1f} dB"


def _share(value: float | None) -> str:
    return "nothing" if value is None else f"{value:.0%}"


@dataclass
class ContextReader:
    """Measures the context of questions through one store, keeping one TrackAudio per session
    file (its located audio and decoded measurements) for the questions that follow."""

    store: Store
    extract_to: Path = field(default_factory=audio_folder)
    _measurers: dict[tuple[Path, str | None], TrackAudio] = field(default_factory=dict)

    def measure(self, question: Question, cancelled: Callable[[], bool] = lambda: False) -> TrackContext:
        if question.track is None or question.version is None:
            return TrackContext(None, missing="no track: the change is the session's own")
        after = self.store.session_at(question.session, question.version)
        before = self.store.session_at(question.session, question.version - 1)
        saved = self.store.saved(question.session, question.version)
        source = audio_source(str(saved.payload.get("file", ""))) if saved is not None else None
        if after is None or saved is None:
            return TrackContext(question.track, missing=f"save v{question.version} is not in the log")
        if source is None:
            return TrackContext(question.track, missing="no audio: the save was read from an archive inside an archive")
        try:
            track = after.track(question.track)
        except KeyError:
            return TrackContext(question.track, missing=f"{question.track} is not in this save")
        audio = self._measurer(source)
        analysis = audio.analysis(after, question.track)
        if analysis is None:
            why = (
                "it plays no clip"
                if not any(c.enabled and c.file for c in track.clips)
                else "its audio files cannot be read"
            )
            return TrackContext(question.track, missing=f"no audio numbers for {question.track}: {why}")
        partners, why_none = self._partners(audio, after, question.track, cancelled)
        audio.flush()
        return TrackContext(
            question.track,
            loudness_lufs=analysis.integrated_lufs,
            true_peak_dbtp=analysis.true_peak_dbtp,
            fader_db=_fader(before, after, question.track),
            lowest=analysis.lowest,
            spectrum=_spectrum(
                analysis.freqs_hz, analysis.power, analysis.sample_rate_hz, before, after, question.track
            ),
            partners=partners,
            partners_missing=why_none,
        )

    def _measurer(self, source: tuple[Path, str | None]) -> TrackAudio:
        if source not in self._measurers:
            if len(self._measurers) >= 2:
                self._measurers.pop(next(iter(self._measurers))).close()
            self._measurers[source] = TrackAudio(self.store, source[0], self.extract_to, member=source[1])
        return self._measurers[source]

    def _partners(
        self, audio: TrackAudio, session: Session, track: str, cancelled: Callable[[], bool]
    ) -> tuple[tuple[Partner, ...], str | None]:
        mine = audio.band_frames(session, track)
        if mine is None:
            return (), "its audio cannot be read in bands"
        mine = mine.with_eq(eq_chain(session, track))
        others: list[tuple[str, BandFrames]] = []
        for other in session.all_tracks():
            if cancelled():
                return (), "not measured (moved on)"
            if other.name == track or other.role in NOT_MIXED:
                continue
            frames = audio.band_frames(session, other.name)
            if frames is not None:
                others.append((other.name, frames.with_eq(eq_chain(session, other.name))))
        if not others:
            return (), "no other track plays audio"
        my_pan = pan_of(session, track)
        pairs = [(theirs, mine) for _, theirs in others] + [(mine, theirs) for _, theirs in others]
        pans = [(pan_of(session, name), my_pan) for name, _ in others] + [
            (my_pan, pan_of(session, n)) for n, _ in others
        ]
        found = masking_many(pairs, pans)
        n = len(others)
        partners = [
            Partner(name, found[i].index, found[n + i].index)
            for i, (name, _) in enumerate(others)
            if found[i].both_playing >= MIN_BOTH_PLAYING
        ]
        partners.sort(key=lambda p: -p.strength)
        if not partners:
            return (), "no other track plays at the same time"
        return tuple(partners[:PARTNERS]), None

    def close(self) -> None:
        for measurer in self._measurers.values():
            measurer.close()
        self._measurers.clear()


def _fader(before: Session | None, after: Session, track: str) -> tuple[float | None, float | None] | None:
    """The fader before and after, where this save moved it."""
    try:
        new = after.track(track).channel.volume_db
        old = before.track(track).channel.volume_db if before is not None else new
    except KeyError:
        return None
    return None if old == new else (old, new)


def _spectrum(
    freqs_hz: npt.NDArray[np.float64],
    power: npt.NDArray[np.float64],
    rate_hz: int,
    before: Session | None,
    after: Session,
    track: str,
) -> Spectrum | None:
    """The long-term spectrum averaged over 1/6-octave bands, through each save's EQ and fader."""
    top = min(PLOT_HIGH_HZ, rate_hz / 2)
    octaves = np.log2(top / PLOT_LOW_HZ)
    edges = PLOT_LOW_HZ * 2.0 ** np.linspace(0.0, octaves, int(octaves * PLOT_POINTS_PER_OCTAVE) + 1)
    which = np.searchsorted(edges, freqs_hz, side="right") - 1
    inside = (which >= 0) & (which < len(edges) - 1)
    totals = np.bincount(which[inside], weights=power[inside], minlength=len(edges) - 1)
    counts = np.bincount(which[inside], minlength=len(edges) - 1)
    kept = counts > 0
    if not kept.any() or totals.max(initial=0.0) <= 0:
        return None
    centres = np.sqrt(edges[:-1] * edges[1:])[kept]
    band_power = totals[kept] / counts[kept]
    curves = []
    for session in (before if before is not None else after, after):
        gain = total_power_gain(eq_chain(session, track), centres, float(rate_hz))
        try:
            volume = session.track(track).channel.volume_db
        except KeyError:
            volume = 0.0
        fader = 0.0 if volume is None else 10.0 ** (volume / 10.0)
        curves.append(band_power * gain * fader)
    peak = max(float(c.max()) for c in curves)
    if peak <= 0:
        return None
    floor = peak * 10.0 ** (FLOOR_DB / 10.0)  # silence sits at the floor, not at minus infinity
    before_db, after_db = (10.0 * np.log10(np.maximum(c, floor) / peak) for c in curves)
    return Spectrum(centres, before_db, after_db)
