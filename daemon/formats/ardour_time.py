"""Ardour's time model: the clock that turns a session's time values into seconds, and what the
session states of it (its `sample-rate`, its TempoMap).

The session's `time_unit` is "seconds". Ardour 2..6 write positions and automation times in
samples at the session's `sample-rate`; Ardour 7 writes timepos strings (libs/temporal
timeline.cc): "a<n>" in superclock ticks (`superclocks-per-second` on the TempoMap, 282240000
where it is absent) and "b<n>" in ticks of 1920 per beat, placed at the first tempo (a tempo map
with several tempos is not followed). The TempoMap's first `Tempo` (`beats-per-minute`; Ardour 7:
`npm`) is the session's `tempo_bpm`, its first `Meter` the `time_signature`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from lxml import etree

from daemon.formats.values import finite_or_problem

TICKS_PER_BEAT = 1920  # Temporal::ticks_per_beat
DEFAULT_SUPERCLOCK = 282_240_000  # superclock ticks per second where the TempoMap states none
_TIME = re.compile(r"^\s*([ab]?)(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)")


@dataclass(frozen=True)
class Clock:
    """Turns Ardour's time values into seconds."""

    sample_rate: float
    superclock: float
    tempo_bpm: float | None

    def seconds(self, text: str | None) -> float | None:
        """Seconds from samples ("529680"), superclock ("a282240000") or beat ticks ("b1920");
        None for a missing or unreadable value."""
        match = _TIME.match(text or "")
        if match is None:
            return None
        value = float(match.group(2))
        if not math.isfinite(value):
            return None
        if match.group(1) == "a":
            return value / self.superclock
        if match.group(1) == "b":
            return value / TICKS_PER_BEAT * 60.0 / self.tempo_bpm if self.tempo_bpm else None
        return value / self.sample_rate


def sample_rate(root: etree._Element, problems: list[str]) -> float:
    """The `<Session>`'s sample rate; 48000 Hz (a problem) where it states none that is usable."""
    rate = finite_or_problem(root.get("sample-rate"), "session sample-rate", problems)
    if rate is None or rate <= 0:
        problems.append("session: no usable sample-rate; positions read at 48000 Hz")
        return 48_000.0
    return rate


def tempo_map(el: etree._Element | None, problems: list[str]) -> tuple[float | None, tuple[int, int] | None, float]:
    """A TempoMap's first tempo in BPM, its first meter and its superclock ticks per second."""
    superclock = float(DEFAULT_SUPERCLOCK)
    if el is None:
        return None, None, superclock
    stated = finite_or_problem(el.get("superclocks-per-second"), "TempoMap superclocks-per-second", problems)
    if stated is not None and stated > 0:
        superclock = stated
    tempo_el = el.find("Tempos/Tempo") if el.find("Tempos") is not None else el.find("Tempo")
    tempo = None
    if tempo_el is not None:
        tempo = finite_or_problem(tempo_el.get("npm") or tempo_el.get("beats-per-minute"), "tempo", problems)
        if tempo is not None and tempo <= 0:
            problems.append(f"tempo: {tempo} BPM is not positive; ignored")
            tempo = None
    meter_el = el.find("Meters/Meter") if el.find("Meters") is not None else el.find("Meter")
    signature = None
    if meter_el is not None:
        beats = finite_or_problem(meter_el.get("divisions-per-bar") or meter_el.get("beats-per-bar"), "meter", problems)
        note = finite_or_problem(meter_el.get("note-value") or meter_el.get("note-type"), "meter", problems)
        if beats and note and beats.is_integer() and note.is_integer():
            signature = (int(beats), int(note))
    return tempo, signature, superclock
