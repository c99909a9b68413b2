"""Justification: every change in the log gets an objective reason with its evidence, or is
marked unexplained (a question for the engineer later).

- `Verdict`: a rule's finding: its name, one sentence a person reads, a confidence 0..1 and the
  measured numbers (`evidence`).
- `SaveChanges`: the changes of one save with the session before and after them, the session's
  nominal loudness, the make-up gains found in the save (`profiles.justify.together`) and a
  memo that rules share for what is costly to compute more than once per save.
- A rule is a module of `profiles.justify.rules` whose `judge(change, save)` returns a Verdict or
  None; its docstring states the reasoning, the thresholds and their source.
- `profiles.justify.processor` runs the rules over the log.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from daemon.log.records import LoggedEvent
from daemon.sessions.model import ParamValue, Session

if TYPE_CHECKING:
    from analyzers.analysis import AudioAnalysis
    from analyzers.dynamics import CompressorEffect
    from analyzers.masking import BandFrames
    from profiles.justify.audio import TrackAudio

NOMINAL_LUFS = -20.0  # the default working level a track is staged to (config: [justify] nominal_lufs)
_T = TypeVar("_T")


@dataclass(frozen=True)
class Verdict:
    rule: str
    reason: str
    confidence: float
    evidence: dict[str, float | str] = field(default_factory=dict)


@dataclass(frozen=True)
class SaveChanges:
    """One accepted save's changes (change events in log order) and the session around them."""

    session: str
    version: int
    user: str
    changes: tuple[LoggedEvent, ...]
    before: Session | None
    after: Session
    audio: TrackAudio | None = None
    nominal_lufs: float = NOMINAL_LUFS
    makeup_db: Mapping[str, float] = field(default_factory=dict)
    """By track: the level (dB) restored by make-up gains that match what an EQ cut or a
    compressor change of the same save took (profiles.justify.together); the rules that judge
    the cut weigh it in."""
    _memo: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    def memo(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """`compute()`, once per save and key: what several changes of a save need alike (a
        compressor's gain reduction, the masking between two tracks as they are)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[no-any-return]

    def measured(self, track: str, before: bool = False) -> AudioAnalysis | None:
        """The analysis of a track's dry signal after the save (or, with `before`, as the previous
        save placed its clips); None when its audio cannot be read."""
        session = self.before if before else self.after
        if self.audio is None or session is None:
            return None
        audio = self.audio
        return self.memo(("measured", track, before), lambda: audio.analysis(session, track))

    def touched_band(self, change: LoggedEvent) -> dict[str, ParamValue]:
        """The EQ band a `parameter-changed` of an `eq.band<N>.*` term touched, as the save left it
        (by leaf: `type`, `freq_hz`, `gain_db`, `q`, ...); empty for any other change."""
        found = _EQ_BAND.match(str(change.payload.get("parameter", "")))
        if change.type != "parameter-changed" or found is None:
            return {}
        return self.eq_band(str(change.payload.get("track")), change.payload.get("device"), found[1])

    def eq_band(self, track: str, device: object, band: str) -> dict[str, ParamValue]:
        """The parameters of EQ band `band` of a track's device after the save, by leaf
        (`type`, `freq_hz`, `gain_db`, `q`, ...); empty when there is no such device."""
        try:
            devices = self.after.track(track).devices
        except KeyError:
            return {}
        prefix = f"eq.band{band}."
        for found in devices:
            if found.name == device:
                return {key.removeprefix(prefix): value for key, value in found.params if key.startswith(prefix)}
        return {}

    def compressor_effect(self, track: str, setting: Mapping[str, float]) -> CompressorEffect | None:
        """What a compressor setting (comp.* terms, defaults filled in) does to a track's dry
        signal (None when its audio cannot be read), once per save and setting."""
        if self.audio is None:
            return None
        audio = self.audio
        key = ("compressor-effect", track, tuple(sorted(setting.items())))
        return self.memo(key, lambda: audio.compressor_effect(self.after, track, setting))

    def frames(self, track: str) -> BandFrames | None:
        """A track's band energies over time, for masking (None when its audio cannot be read)."""
        if self.audio is None:
            return None
        audio = self.audio
        return self.memo(("frames", track), lambda: audio.band_frames(self.after, track))


_EQ_BAND = re.compile(r"eq\.band(\d+)\.\w+$")

Judge = Callable[[LoggedEvent, SaveChanges], Verdict | None]
