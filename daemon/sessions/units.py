"""Conversions from DAW-native units to the standard units of the model, done once, in readers.

DAWproject states a unit for each real value ("linear", "normalized", "percent", "decibel",
"hertz", "semitones", "seconds", "beats", "bpm"); other formats have their own conventions and
call the same functions.
"""

from __future__ import annotations

import math

import numpy as np

A4_HZ = 440.0
A4_NOTE = 69
SILENCE_DB = -144.0
MAX_RATIO = 100.0  # a compression ratio above 100:1 is a limiter: read as infinite (None)  # floor for automation points of a gain that reaches linear 0


class UnconvertibleError(ValueError):
    """A value whose unit cannot be turned into the asked standard unit."""


def finite(text: str | None) -> float | None:
    """A finite float from text; None for a missing value. Raises ValueError for NaN, inf or junk."""
    if text is None:
        return None
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def linear_to_db(gain: float) -> float | None:
    """Linear amplitude gain to dB; 0 (or below) is silence: None."""
    return 20.0 * math.log10(gain) if gain > 0.0 else None


def db_to_linear(db: float | None) -> float:
    if db is None:
        return 0.0
    try:
        return 10.0 ** (db / 20.0)
    except OverflowError:
        raise UnconvertibleError(f"a gain of {db!r} dB") from None


def semitones_to_hz(note: float) -> float:
    """A MIDI-style note number (69 = A4 = 440 Hz) to Hz, as DAWproject writes EQ frequencies."""
    try:
        return A4_HZ * 2.0 ** ((note - A4_NOTE) / 12.0)
    except OverflowError:
        raise UnconvertibleError(f"a note number of {note!r} semitones") from None


def hz_to_semitones(hz: float) -> float:
    return A4_NOTE + 12.0 * math.log2(hz / A4_HZ)


def to_db(value: float, unit: str) -> float | None:
    if unit == "decibel":
        return value
    if unit in ("linear", "normalized"):
        return linear_to_db(value)
    raise UnconvertibleError(f"a gain in {unit!r}")


def to_pan(value: float, unit: str, low: float | None, high: float | None) -> float:
    """A pan position to -1 (left) .. +1 (right), given the parameter's range."""
    if unit == "percent":
        return value / 100.0
    if unit in ("normalized", "linear"):
        lo = 0.0 if low is None else low
        hi = 1.0 if high is None else high
        if (lo, hi) == (-1.0, 1.0) or hi <= lo:
            return value
        return 2.0 * (value - lo) / (hi - lo) - 1.0
    raise UnconvertibleError(f"a pan in {unit!r}")


def to_hz(value: float, unit: str) -> float:
    if unit == "hertz":
        return value
    if unit == "semitones":
        return semitones_to_hz(value)
    raise UnconvertibleError(f"a frequency in {unit!r}")


def to_ms(value: float, unit: str, tempo_bpm: float | None) -> float:
    if unit == "seconds":
        return value * 1000.0
    if unit == "beats" and tempo_bpm:
        return value * 60_000.0 / tempo_bpm
    raise UnconvertibleError(f"a time in {unit!r}")


def to_ratio(value: float, unit: str) -> float | None:
    """A compression ratio as N (for N:1). Bitwig writes it in percent of the way to infinity:
    ratio = 1 / (1 - p/100), so 50 % is 2:1 and 100 % is a limiter (None: infinite). Above
    MAX_RATIO the percent form is all noise (99.9999999 % is 10^9:1), so it reads as infinite."""
    if unit == "percent":
        ratio = 1.0 / (1.0 - value / 100.0) if value < 100.0 else None
    elif unit in ("linear", "normalized"):
        ratio = value
    else:
        raise UnconvertibleError(f"a ratio in {unit!r}")
    return None if ratio is None or ratio > MAX_RATIO else ratio


def ratio_to_percent(ratio: float | None) -> float:
    return 100.0 if ratio is None else 100.0 * (1.0 - 1.0 / ratio)


def convert_array(
    kind: str, unit: str, values: np.ndarray, low: float | None, high: float | None, tempo_bpm: float | None
) -> np.ndarray:
    """The scalar conversions above over a whole array of automation values at once (the same
    formulas; gains at or below silence are floored at SILENCE_DB). `kind` is "db", "pan", "hz",
    "ms" or anything else for values kept as they are."""
    if kind == "db":
        if unit == "decibel":
            out = values
        elif unit in ("linear", "normalized", ""):
            with np.errstate(divide="ignore"):
                out = 20.0 * np.log10(np.where(values > 0.0, values, 0.0))
        else:
            raise UnconvertibleError(f"a gain in {unit!r}")
        return np.maximum(out, SILENCE_DB)
    if kind == "pan":
        if unit == "percent":
            return values / 100.0
        if unit not in ("normalized", "linear", ""):
            raise UnconvertibleError(f"a pan in {unit!r}")
        lo = 0.0 if low is None else low
        hi = 1.0 if high is None else high
        if (lo, hi) == (-1.0, 1.0) or hi <= lo:
            return values
        return 2.0 * (values - lo) / (hi - lo) - 1.0
    if kind == "hz":
        if unit in ("hertz", ""):
            return values
        if unit == "semitones":
            return A4_HZ * 2.0 ** ((values - A4_NOTE) / 12.0)
        raise UnconvertibleError(f"a frequency in {unit!r}")
    if kind == "ms":
        if unit in ("seconds", ""):
            return values * 1000.0
        if unit == "beats" and tempo_bpm:
            return values * (60_000.0 / tempo_bpm)
        raise UnconvertibleError(f"a time in {unit!r}")
    return values
