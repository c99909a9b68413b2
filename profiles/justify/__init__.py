"""Justification: every change in the log gets an objective reason with its evidence, or is
marked unexplained (a question for the engineer later).

- `Verdict`: a rule's finding: its name, one sentence a person reads, a confidence 0..1 and the
  measured numbers (`evidence`).
- `SaveChanges`: the changes of one save with the session before and after them.
- A rule is a module of `profiles.justify.rules` whose `judge(change, save)` returns a Verdict or
  None; its docstring states the reasoning, the thresholds and their source.
- `profiles.justify.processor` runs the rules over the log.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from daemon.model import ParamValue, Session
from daemon.store import LoggedEvent

if TYPE_CHECKING:
    from analyzers.analysis import AudioAnalysis
    from analyzers.audio import Planar
    from analyzers.masking import BandFrames
    from profiles.justify.audio import TrackAudio


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

    def measured(self, track: str, before: bool = False) -> AudioAnalysis | None:
        """The analysis of a track's dry signal after the save (or, with `before`, as the previous
        save placed its clips); None when its audio cannot be read."""
        session = self.before if before else self.after
        return None if self.audio is None or session is None else self.audio.analysis(session, track)

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

    def samples(self, track: str) -> tuple[Planar, int] | None:
        """A track's dry signal whole, with its sample rate (None when it cannot be read)."""
        return None if self.audio is None else self.audio.samples(self.after, track)

    def frames(self, track: str) -> BandFrames | None:
        """A track's band energies over time, for masking (None when its audio cannot be read)."""
        return None if self.audio is None else self.audio.band_frames(self.after, track)


_EQ_BAND = re.compile(r"eq\.band(\d+)\.\w+$")

Judge = Callable[[LoggedEvent, SaveChanges], Verdict | None]
