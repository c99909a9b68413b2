"""What the parts of the DAWproject reader share while they read one project: the problems found,
the tempo that beat-based times convert with, the reader of state files, a value element read
into its standard unit, and the registry of ids that automation lanes may target.

The track and clip walk (dawproject), the devices (dawproject_devices) and the automation points
(dawproject_automation) all read values through one ReadContext.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from daemon.formats.values import finite_or_problem
from daemon.sessions import units
from daemon.sessions.model import ParamValue

TEMPO = -1  # automation target key of the transport tempo


@dataclass
class Target:
    """What an automation target id points at."""

    track_key: int
    term: str
    device: str | None
    unit: str
    low: float | None = None
    high: float | None = None
    kind: str = "plain"


# An id's entry until automation asks for it: track key, term, device, kind, unit, min, max.
TargetEntry = tuple[int, str, str | None, str, str, str | None, str | None]


class ReadContext:
    """One project's read state and value reading; the reader extends it, and the device and
    automation functions take it as their first argument."""

    def __init__(self, read_state: Callable[[str], bytes | None]) -> None:
        self.read_state = read_state
        self.problems: list[str] = []
        self.targets: dict[str, TargetEntry] = {}
        self.tempo_bpm: float | None = None

    # -- values ------------------------------------------------------------------------------
    def number(self, el: etree._Element, where: str, attr: str = "value") -> float | None:
        text = el.get(attr)
        return finite_or_problem(text, where, self.problems)

    def boolean(self, el: etree._Element | None, default: bool) -> bool:
        if el is None:
            return default
        value = el.get("value")
        if value is None:
            return default
        return value.strip().lower() in ("true", "1")

    def converted(self, el: etree._Element, kind: str, where: str) -> ParamValue:
        """A parameter element's value in the standard unit of `kind`."""
        if kind == "bool":
            return None if el.get("value") is None else self.boolean(el, False)
        value = self.number(el, where)
        if value is None:
            return None
        unit = el.get("unit") or ""
        try:
            if kind == "db":
                return units.to_db(value, unit or "decibel")
            if kind == "hz":
                return units.to_hz(value, unit or "hertz")
            if kind == "ms":
                return units.to_ms(value, unit or "seconds", self.tempo_bpm)
            if kind == "ratio":
                return units.to_ratio(value, unit or "linear")
            if kind == "pan":
                return units.to_pan(value, unit or "normalized", _float(el.get("min")), _float(el.get("max")))
        except units.UnconvertibleError as exc:
            self.problems.append(f"{where}: {exc} cannot be converted; ignored")
            return None
        return value

    # -- automation targets ------------------------------------------------------------------
    def add_target(self, el: etree._Element, index: int, term: str, device: str | None, kind: str) -> None:
        """Remember what an id names, for automation, with the unit and range the element states.
        Kept as strings in a flat tuple, not the element: tens of thousands of parameters, of which
        a few are automated, would otherwise keep as many element proxies alive for the collector
        to walk."""
        ident = el.get("id")
        if ident:
            self.targets[ident] = (index, term, device, kind, el.get("unit") or "", el.get("min"), el.get("max"))

    def resolve(self, ref: str) -> Target | None:
        entry = self.targets.get(ref)
        if entry is None:
            return None
        index, term, device, kind, unit, low, high = entry
        return Target(index, term, device, unit, _float(low), _float(high), kind)


def _float(text: str | None) -> float | None:
    try:
        return units.finite(text)
    except ValueError:
        return None
