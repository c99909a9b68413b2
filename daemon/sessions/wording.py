"""Numbers in their units and parameter terms in words, for the sentences of changes
(sentences.py): "-7.8 dB", "1.2 kHz", "Q 0.67", "4:1", "38 % L", "-inf"; "slider 15",
"compressor threshold". Each value formatter takes the value and how many digits more than
usual to show, so that `pair` can tell two close values apart."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, TypeGuard

from daemon.sessions.units import SILENCE_DB

ARROW = " -> "
BAND_TERM = re.compile(r"^eq\.band(\d+)\.(\w+)$")
BAND_TYPES = {
    "highpass": "high-pass",
    "lowpass": "low-pass",
    "bell": "bell",
    "lowshelf": "low shelf",
    "highshelf": "high shelf",
    "notch": "notch",
    "bandpass": "band-pass",
}
SECTIONS = {
    "comp": "compressor",
    "gate": "gate",
    "limiter": "limiter",
    "delay": "delay",
    "reverb": "reverb",
    "eq": "EQ",
}
LEAVES = {
    "threshold_db": "threshold",
    "ratio": "ratio",
    "attack_ms": "attack",
    "release_ms": "release",
    "knee_db": "knee",
    "makeup_db": "make-up gain",
    "auto_makeup": "auto make-up",
    "input_gain_db": "input gain",
    "output_gain_db": "output gain",
    "range_db": "range",
    "ceiling_db": "ceiling",
    "time_ms": "time",
    "feedback": "feedback",
    "mix": "mix",
    "predelay_ms": "pre-delay",
    "decay_s": "decay",
}


# -- numbers in their units -------------------------------------------------------------------
def _trim(text: str) -> str:
    """Trailing zeros off: "12.50" -> "12.5", "3.0" -> "3", "-0" -> "0"."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _number(value: float, decimals: int) -> str:
    return _trim(f"{value:.{max(decimals, 0)}f}")


def _significant(value: float, digits: int) -> str:
    if value == 0:
        return "0"
    decimals = digits - 1 - math.floor(math.log10(abs(value)))
    return _number(round(value, decimals), decimals)


def is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def db(value: Any, extra: int = 0) -> str:
    """A gain or level: one decimal, "+" above 0 dB; silence (None, or at -144 dB and below) is -inf."""
    if not is_number(value) or value <= SILENCE_DB:
        return "-inf"
    text = _number(value, 1 + extra)
    return f"+{text} dB" if not text.startswith("-") and text != "0" else f"{text} dB"


def hz(value: Any, extra: int = 0) -> str:
    """Three significant digits under 1 kHz ("62 Hz", "402 Hz"), kHz with one decimal above."""
    if not is_number(value):
        return "?"
    short = _significant(value, 3 + extra)
    if abs(float(short)) < 1000:
        return f"{short} Hz"
    return f"{_number(value / 1000.0, 1 + extra)} kHz"


def q(value: Any, extra: int = 0) -> str:
    return f"Q {_significant(value, 2 + extra)}" if is_number(value) else "Q ?"


def ratio(value: Any, extra: int = 0) -> str:
    """N:1; None is an infinite ratio (a limiter)."""
    return f"{_number(value, 1 + extra)}:1" if is_number(value) else "inf:1"


def ms(value: Any, extra: int = 0) -> str:
    if not is_number(value):
        return "?"
    text = _significant(value, 3 + extra) if abs(value) < 100 else _number(value, extra)
    return f"{text} ms"


def seconds(value: Any, extra: int = 0) -> str:
    return f"{_number(value, 2 + extra)} s" if is_number(value) else "?"


def pan(value: Any, extra: int = 0) -> str:
    """-1..+1 as "centre", "38 % L", "100 % R"."""
    if not is_number(value):
        return "?"
    percent = _number(abs(value) * 100.0, extra)
    if percent == "0":
        return "centre"
    return f"{percent} % {'L' if value < 0 else 'R'}"


def percent(value: Any, extra: int = 0) -> str:
    """A 0..1 amount (a mix, a feedback) in percent."""
    return f"{_number(value * 100.0, extra)} %" if is_number(value) else "?"


def slope(value: Any, extra: int = 0) -> str:
    return f"{_number(value, extra)} dB/octave" if is_number(value) else "?"


def bpm(value: Any, extra: int = 0) -> str:
    return _number(value, 2 + extra) if is_number(value) else "?"


def raw(value: Any, extra: int = 0) -> str:
    """A value as a plug-in stores it, with no unit known: two decimals, or three significant digits under 1."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return f'"{value}"'
    if not is_number(value):
        return "nothing" if value is None else "?"
    return _number(value, 2 + extra) if abs(value) >= 1 else _significant(value, 3 + extra)


Format = Callable[[Any, int], str]
UNIT_FORMATS: dict[str, Format] = {"dB": db, "Hz": hz, "Q": q, ":1": ratio, "ms": ms, "s": seconds}


def pair(before: Any, after: Any, fmt: Format) -> tuple[str, str]:
    """Both values at the precision that tells them apart (402 Hz -> 402.5 Hz, not 402 Hz -> 402 Hz)."""
    a, b = fmt(before, 0), fmt(after, 0)
    extra = 0
    while a == b and before != after and extra < 4:
        extra += 1
        a, b = fmt(before, extra), fmt(after, extra)
    return a, b


def change_of(before: Any, after: Any, fmt: Format) -> str:
    a, b = pair(before, after, fmt)
    return f"{a}{ARROW}{b}"


def quoted(name: Any) -> str:
    return f'"{name}"'


def listing(items: Sequence[str], conjunction: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


# -- times on the timeline, in the unit the change states -------------------------------------
def position(value: Any, unit: str | None, extra: int = 0) -> str:
    """A place on the timeline: "32.0 s", "16 beats"."""
    if not is_number(value) or unit is None:
        return "?"
    if unit == "s":
        return f"{value:.{1 + extra}f} s"
    text = _number(value, 2 + extra)
    return f"{text} {'beat' if text == '1' else 'beats'}"


def amount(value: Any, unit: str | None) -> str:
    """A length of time, never shown as 0 when it is not: "1.50 s", "4 beats"."""
    if not is_number(value) or unit is None:
        return "?"
    decimals = 2
    while round(abs(value), decimals) == 0 and value != 0 and decimals < 6:
        decimals += 1
    if unit == "s":
        return f"{abs(value):.{decimals}f} s"
    text = _number(abs(value), decimals)
    return f"{text} {'beat' if text == '1' else 'beats'}"


# -- names -------------------------------------------------------------------------------------
def words(segment: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", segment)
    return re.sub(r"[_\s]+", " ", spaced).strip()


def raw_name(name: str) -> tuple[str, str | None]:
    """A plug-in's own parameter name made readable, and the unit it states ("Dry Level [dB]").

    "slider15" -> "slider 15"; "Operator.0/Tune/FixedFrequency" -> "Operator 0 tune fixed frequency".
    """
    unit = None
    stated = re.match(r"^(.*?)\s*[\[(]\s*(dB|Hz|kHz|ms|s|%|BPM|st|semitones|cents|ct)\s*[\])]\s*$", name)
    if stated:
        name, unit = stated.group(1), stated.group(2)
    slider = re.match(r"^(slider|param)_?(\d+)$", name, re.IGNORECASE)
    if slider:
        word = "slider" if slider.group(1).lower() == "slider" else "parameter"
        return f"{word} {slider.group(2)}", unit
    parts: list[str] = []
    for segment in re.split(r"[/.]", name):
        text = words(segment)
        if text and (not parts or text.lower() != parts[-1].lower()):
            parts.append(text)
    if not parts:
        return "unnamed parameter", unit
    first, rest = parts[0], [w.lower() for w in parts[1:]]
    return " ".join([first, *rest]), unit


def term_name(term: str) -> str:
    """A standard or raw parameter term as words: "compressor threshold", "band 2 frequency", "slider 15"."""
    band = BAND_TERM.match(term)
    if band:
        leaf = band.group(2)
        label = {"freq_hz": "frequency", "gain_db": "gain", "q": "Q", "slope_db_oct": "slope", "enabled": "switch"}
        return f"band {band.group(1)} {label.get(leaf, words(leaf))}"
    if term.startswith("param."):
        return raw_name(term[len("param.") :])[0]
    if term.startswith("send."):
        target, _, leaf = term[len("send.") :].rpartition(".")
        return f"send to {quoted(target)} {'level' if leaf == 'level_db' else words(leaf)}"
    channel = {"volume_db": "volume", "pan": "pan", "mute": "mute", "solo": "solo", "tempo_bpm": "tempo"}
    if term in channel:
        return channel[term]
    section, _, leaf = term.partition(".")
    if leaf and section in SECTIONS:
        return f"{SECTIONS[section]} {LEAVES.get(leaf, words(leaf))}"
    return words(term.replace(".", " ")) or "setting"


def file_name(path: str) -> str:
    return PureWindowsPath(path).name if "\\" in path else PurePosixPath(path).name
