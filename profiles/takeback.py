"""Which changes a later save took back: the engineer returned a parameter to the value it had
before the change (an undo, by hand or by the DAW's history), in the same session.

Shared by the questions (profiles/questions/build.py: a change taken back is not asked about) and
the windows of acceptability (profiles/windows/history.py: a value taken back lies outside them).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from daemon.log.records import LoggedEvent

LaterValues = dict[tuple[Any, ...], dict[str, int]]


def change_key(event: LoggedEvent) -> tuple[Any, ...]:
    """(session, track, device, parameter): what a change set, within its session."""
    p = event.payload
    return (event.session, p.get("track"), p.get("device"), p.get("parameter"))


def later_values(events: Iterable[LoggedEvent]) -> LaterValues:
    """(session, track, device, parameter) -> each value a change set it to -> the last version that did."""
    out: LaterValues = defaultdict(dict)
    for event in events:
        if event.type == "parameter-changed":
            values = out[change_key(event)]
            value = value_key(event.payload.get("after"))
            values[value] = max(values.get(value, 0), event.version or 0)
    return out


def value_key(value: Any) -> str:
    """A value as a key: numbers to 6 decimals (the differ's own noise is far below), the rest as JSON."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{float(value):.6f}"
    return json.dumps(value, sort_keys=True, default=str)


def taken_back_in(event: LoggedEvent, later: LaterValues) -> int | None:
    """The version of the save that took a `parameter-changed` event back (set its parameter to
    its `before` again, in a later save of the session), or None."""
    if event.type != "parameter-changed":
        return None
    version = later.get(change_key(event), {}).get(value_key(event.payload.get("before")), 0)
    return version if version > (event.version or 0) else None
