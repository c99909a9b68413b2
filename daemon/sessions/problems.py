"""A reader's problem as the log records it (CONTRACT.md, `session-saved`'s `problems`).

Every reader words a problem as `WHERE: REASON`, WHERE naming the place the way the readers all
do (`track 'Kick'`, then `, device 'EQ'` or `/ EQ`, then the term or the element), and a value
found quoted as `value 'nan'`. `structured` takes those parts out, so that a tool reading the log
gets `{"track", "device", "parameter", "value", "reason"}` (null where a part is not named) and
the words stay readable in `text`.
"""

from __future__ import annotations

import re

_QUOTED = r"""(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")"""
_TRACK = re.compile(r"\btrack " + _QUOTED)
_DEVICE = re.compile(r"(?:\bdevice |, | / )" + _QUOTED)
_VALUE = re.compile(r"\bvalue (" + _QUOTED + r"|\S+?)(?= is|;|$)")
_TERM = re.compile(
    r"\b(volume_db|volume|pan|tempo_bpm|time_signature|mute|solo|slider\d+|"
    r"(?:eq\.band\d+|comp|gate|limiter|delay|reverb|send\.[^\s:]+|eq)\.\w+|param\.[^:]+?)(?=[\s:]|$)"
)

_TERMS = {"volume": "volume_db"}  # words some readers use for a standard term


def structured(text: str) -> dict[str, str | None]:
    """The problem's parts: track, device, parameter, value (as found), reason, and the text."""
    where, _, reason = text.partition(": ")
    if not reason:
        where, reason = "", text
    track = _TRACK.search(where)
    device = _DEVICE.search(where[track.end() :] if track else where)
    term = _TERM.search(where)
    value = _VALUE.search(reason)
    return {
        "track": _unquoted(track),
        "device": _unquoted(device),
        "parameter": _TERMS.get(term.group(1), term.group(1)) if term else None,
        "value": (_unquoted_value(value.group(1)) if value else None),
        "reason": reason,
        "text": text,
    }


def _unquoted(found: re.Match[str] | None) -> str | None:
    if found is None:
        return None
    return found.group(1) if found.group(1) is not None else found.group(2)


def _unquoted_value(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
