"""DAWproject automation: the points of a <Points> lane (RealPoint, BoolPoint, IntegerPoint,
EnumPoint) read and converted into their target's standard unit, and a resolved lane as an
AutomationLane. A lane of RealPoints alone, most of a session's bulk, is parsed as arrays.
"""

from __future__ import annotations

import numpy as np
from lxml import etree

from daemon.formats.dawproject_context import ReadContext, Target
from daemon.sessions import units
from daemon.sessions.model import AutomationLane

_POINT_TIMES = etree.XPath("RealPoint/@time", smart_strings=False)
_POINT_VALUES = etree.XPath("RealPoint/@value", smart_strings=False)


def automation_lane(ctx: ReadContext, el: etree._Element, target: Target, where: str) -> AutomationLane:
    """The lane of a <Points> element whose target is resolved (and is not the tempo)."""
    unit = el.get("unit") or target.unit
    points = read_points(ctx, el, target, where, unit)
    first = el.find("RealPoint")
    if first is None:  # switches and steps (BoolPoint, IntegerPoint, EnumPoint) hold
        interpolation = "hold" if points else "linear"
    else:
        interpolation = "hold" if first.get("interpolation") == "hold" else "linear"
    return AutomationLane(target=target.term, device=target.device, points=points, interpolation=interpolation)


def read_points(
    ctx: ReadContext, el: etree._Element, target: Target | None, where: str, unit: str = "bpm"
) -> tuple[tuple[float, float], ...]:
    """The (time, value) points of `el`, values in the standard unit of `target` (None: as written)."""
    fast = _real_points_at_once(ctx, el, target, unit)
    if fast is not None:
        return fast
    switches: list[tuple[float, float]] = []  # BoolPoints: 1.0 / 0.0, nothing to convert
    numbers: list[tuple[float, float]] = []
    bad = 0
    for p in el:
        tag = p.tag
        if tag not in ("RealPoint", "BoolPoint", "IntegerPoint", "EnumPoint"):
            continue
        try:
            time = units.finite(p.get("time"))
            raw = p.get("value")
            if tag == "BoolPoint":
                value = 1.0 if (raw or "").lower() in ("true", "1") else 0.0
            else:
                value = units.finite(raw)  # type: ignore[assignment]
        except ValueError:
            bad += 1
            continue
        if value is None:
            bad += 1
            continue
        if time is None:
            continue
        (switches if tag == "BoolPoint" else numbers).append((time, value))
    try:
        converted = _convert(ctx, target, unit, np.array([v for _, v in numbers], dtype=float)).tolist()
    except units.UnconvertibleError:
        bad, converted = bad + len(numbers), []
        numbers = []
    if bad:
        ctx.problems.append(
            f"{where}: {bad} point(s) with a missing or non-finite time or value, or a unit that does not convert; ignored"
        )
    merged = switches + [(t, v) for (t, _), v in zip(numbers, converted)]
    return tuple(sorted(merged, key=lambda point: point[0])) if switches and numbers else tuple(merged)


def _real_points_at_once(
    ctx: ReadContext, el: etree._Element, target: Target | None, unit: str
) -> tuple[tuple[float, float], ...] | None:
    """All points of a lane of RealPoints, parsed and converted as arrays (automation is most
    of a session's bulk). None where the slow path must look point by point: other point
    kinds, a missing, non-finite or malformed number, a unit that does not convert."""
    times = _POINT_TIMES(el)
    values = _POINT_VALUES(el)
    others = len(el) - len(times) - (1 if el.find("Target") is not None else 0)
    if not times or len(times) != len(values) or others != 0:
        return None
    try:
        t, v = np.array((times, values), dtype=float)  # float() of each string, in C
        if not np.isfinite(t).all() or not np.isfinite(v).all():
            return None
        v = _convert(ctx, target, unit, v)
    except (ValueError, units.UnconvertibleError):
        return None
    return tuple(zip(t.tolist(), v.tolist()))


def _convert(ctx: ReadContext, target: Target | None, unit: str, values: np.ndarray) -> np.ndarray:
    """Automation values into the target's standard unit, all at once."""
    if target is None or target.kind not in ("db", "pan", "hz", "ms"):
        return values
    return units.convert_array(target.kind, unit, values, target.low, target.high, ctx.tempo_bpm)
