"""Musical notes: frequency to the nearest equal-tempered note (A4 = 440 Hz, C4 = MIDI 60)."""

from __future__ import annotations

import math

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def hz_to_midi(freq_hz: float) -> float:
    """Fractional MIDI note number of a frequency."""
    return 69.0 + 12.0 * math.log2(freq_hz / 440.0)


def midi_to_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def midi_name(midi: int) -> str:
    """A MIDI note's name with its octave, C4 = 60: 28 is "E1", 69 is "A4"."""
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def note_name(freq_hz: float) -> str:
    """The nearest note's name with its octave: 41.2 Hz is "E1", 440 Hz is "A4"."""
    return midi_name(round(hz_to_midi(freq_hz)))


def semitones_between(a_hz: float, b_hz: float) -> float:
    """Signed distance from a to b in semitones."""
    return 12.0 * math.log2(b_hz / a_hz)
