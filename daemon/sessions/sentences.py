"""Changes as the lines a mix engineer reads: one sentence per change, in their words and units.

Pure functions of `Change` objects (nothing here reads a file or the log), shared by everything
that shows a change to a person: `Change.describe()`, `tapeop diff`, `tapeop events` and the TUI.

- `sentence(change)`: one line, "Kick: EQ bell 556 Hz -7.8 dB -> 907 Hz -4.1 dB".
- `subject(change)`: whom it is about ("Kick", the track's display label where it has one).
- `phrases(change)`: what happened, without the track or device ("bell 556 Hz -> 907 Hz").
- `outline(changes)`: the changes of one save as (depth, text) lines: a header per track and per
  device with their sentences beneath, the fields of one EQ band merged into one line.

Numbers always carry their unit (dB, Hz, Q, ms, s, BPM, %, :1, dB/octave); silence is "-inf";
names are in straight double quotes; raw plug-in parameters are shown by a readable name
(wording.py). Times on the timeline are in the unit the change states ("s" or "beats"); without
one, amounts of time are left out rather than guessed (timeline.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from daemon.sessions import timeline
from daemon.sessions.model import unit_of
from daemon.sessions.wording import (
    ARROW,
    BAND_TERM,
    BAND_TYPES,
    UNIT_FORMATS,
    Format,
    bpm,
    change_of,
    counted,
    db,
    hz,
    is_number,
    listing,
    pair,
    pan,
    percent,
    q,
    quoted,
    raw,
    raw_name,
    slope,
    term_name,
    words,
)

if TYPE_CHECKING:  # changes.py delegates its describe() here
    from daemon.sessions.changes import Change

BAND_FIELDS = ("type", "freq_hz", "gain_db", "slope_db_oct", "q", "enabled")
FORMATS = {"vst2": "VST2", "vst3": "VST3", "clap": "CLAP", "au": "AU", "builtin": "built-in"}
DEVICE_ROLES = {"audioFX": "an audio effect", "instrument": "an instrument", "noteFX": "a note effect"}
TRACK_ROLES = {"vca": "VCA"}


def subject(change: Change) -> str:
    """Whom a change is about: the track's display label (which tells same-named tracks apart),
    else its name; "session" for session-wide changes."""
    label = change.where.get("label")
    return str(label or change.track or "session")


# -- one change --------------------------------------------------------------------------------
def sentence(change: Change) -> str:
    """The change as one line: "Keith: pan centre -> 38 % L", "Kick: EQ bypassed"."""
    what = "; ".join(phrases(change))
    if change.device and change.type != "device-renamed":
        what = f"{change.device} {what}"
    elif change.type == "device-renamed":
        what = f"device {what}"
    return f"{subject(change)}: {what}"


def phrases(change: Change) -> list[str]:
    """What happened, without the track or device it happened to: usually one phrase; a change
    of several markers gives one per marker."""
    describe = _BY_TYPE.get(change.type)
    if describe is not None:
        return describe(change)
    term = f" {term_name(change.parameter)}" if change.parameter else ""
    return [f"{change.type.replace('-', ' ')}{term}"]


def _parameter(change: Change) -> list[str]:
    term = change.parameter or ""
    presence = change.where.get("presence")
    band = BAND_TERM.match(term)
    if band:
        return [
            band_phrase(
                int(band.group(1)), _with_band_type(change, {band.group(2): (change.before, change.after, presence)})
            )
        ]
    if change.device is None:
        return [_channel(change, term)]
    if term.startswith("device."):
        return [_device_field(term[len("device.") :], change.before, change.after)]
    shown = change.where.get("shown")
    return [_device_parameter(term, change.before, change.after, presence, str(shown) if shown else None)]


def _channel(change: Change, term: str) -> str:
    a, b = change.before, change.after
    if term == "volume_db":
        return f"fader {change_of(a, b, db)}"
    if term == "pan":
        return f"pan {change_of(a, b, pan)}"
    if term in ("mute", "solo", "main_send"):
        said = {
            "mute": ("muted", "unmuted"),
            "solo": ("soloed", "unsoloed"),
            "main_send": ("master send on", "master send off"),
        }
        return said[term][0 if b else 1]
    if term == "output":
        return f"output {_output(a)}{ARROW}{_output(b)}"
    if term == "role":
        return f"{_track_role(a)} track{ARROW}{_track_role(b)} track"
    if term == "content_types":
        return f"now holds {_contents(b)} (held {_contents(a)})"
    if term == "audio_channels":
        return f"channels {_channels(a)}{ARROW}{_channels(b)}"
    if term == "time_unit":
        return f"timeline counted in {a or 'nothing'}{ARROW}{b or 'nothing'}"
    if term.startswith("send."):
        return _send_field(term, a, b)
    return f"{term_name(term)} {_plain_change(a, b)}"


def _send_field(term: str, a: Any, b: Any) -> str:
    target, _, leaf = term[len("send.") :].rpartition(".")
    send = f"send to {quoted(target)}"
    if leaf == "level_db":
        return f"{send} {change_of(a, b, db)}"
    if leaf == "enabled":
        return f"{send} switched {'on' if b else 'off'}"
    if leaf == "pre_fader":
        return f"{send} now {'pre-fader' if b else 'post-fader'}"
    if leaf == "pan":
        return f"{send} pan {change_of(a, b, pan)}"
    if leaf == "target":
        return f"send to {quoted(a)} now goes to {quoted(b)}"
    return f"{send} {words(leaf)} {_plain_change(a, b)}"


def _output(value: Any) -> str:
    return "default (master)" if value is None else quoted(value)


def _track_role(value: Any) -> str:
    return TRACK_ROLES.get(str(value), str(value)) if value else "plain"


def _contents(value: Any) -> str:
    items = [str(v) for v in value] if isinstance(value, (list, tuple)) else []
    return listing(items) or "nothing"


def _channels(value: Any) -> str:
    if value == 1:
        return "mono"
    if value == 2:
        return "stereo"
    return counted(int(value), "channel") if is_number(value) else "unknown"


def _device_field(leaf: str, a: Any, b: Any) -> str:
    if leaf == "plugin" and isinstance(a, dict) and isinstance(b, dict):
        return _plugin(a, b)
    if leaf == "format":
        return f"now the {FORMATS.get(str(b), str(b))} version (was {FORMATS.get(str(a), str(a))})"
    if leaf == "plugin_id":
        return "plug-in identifier changed"
    if leaf == "vendor":
        return f"maker {quoted(a) if a else 'unknown'}{ARROW}{quoted(b) if b else 'unknown'}"
    if leaf == "role":
        return f"now {DEVICE_ROLES.get(str(b), str(b))} (was {DEVICE_ROLES.get(str(a), str(a))})"
    return f"{words(leaf)} {_plain_change(a, b)}"


def _plugin(a: dict[str, Any], b: dict[str, Any]) -> str:
    """The same plug-in saved as another format, id or maker (`device.plugin`: the fields that
    changed, the state's hash among them, which says nothing to a person)."""
    said = []
    if "format" in b:
        said.append(_device_field("format", a.get("format"), b["format"]))
    elif "plugin_id" in b:
        said.append("plug-in identifier changed")
    if "vendor" in b:
        said.append(_device_field("vendor", a.get("vendor"), b["vendor"]))
    return ", ".join(said) or "plug-in settings changed"


def _value_format(term: str, shown: str | None = None) -> tuple[str, Format]:
    """A parameter's readable name (the plug-in's own where the change says it) and how its values read."""
    if shown or term.startswith("param."):
        name, unit = raw_name(shown or term[len("param.") :])
        stated = UNIT_FORMATS.get(unit or "")
        if stated is not None:
            return name, stated
        if unit:
            return name, lambda v, extra: f"{raw(v, extra)} {unit}" if is_number(v) else raw(v, extra)
        return name, raw
    unit = unit_of(term)
    leaf = term.rsplit(".", 1)[-1]
    if unit in UNIT_FORMATS:
        return term_name(term), UNIT_FORMATS[unit]
    if leaf in ("mix", "feedback"):
        return term_name(term), percent
    return term_name(term), raw


def _device_parameter(term: str, a: Any, b: Any, presence: str | None, shown: str | None) -> str:
    name, fmt = _value_format(term, shown)
    if presence == "added":
        return f"{name} added: {fmt(b, 0)}"
    if presence == "removed":
        return f"{name} removed (was {fmt(a, 0)})"
    if isinstance(b, bool) or (isinstance(a, bool) and b is None):
        switch = re.sub(r"(?:^|\s+)(?:is\s+)?(?:on|enabled|active)$", "", name, flags=re.IGNORECASE)
        return f"{switch} switched {'on' if b else 'off'}".strip()
    return f"{name} {change_of(a, b, fmt)}"


def _plain_change(a: Any, b: Any) -> str:
    if isinstance(a, dict) or isinstance(b, dict):
        return "changed"
    return f"{_plain(a)}{ARROW}{_plain(b)}"


def _plain(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return listing([_plain(v) for v in value]) or "nothing"
    if isinstance(value, dict):
        return "a setting"
    return raw(value)


# -- EQ bands ----------------------------------------------------------------------------------
BandFields = dict[str, tuple[Any, Any, str | None]]  # field -> (before, after, presence)


def band_phrase(number: int, fields: BandFields) -> str:
    """One EQ band's changed fields in one phrase, the band named by its type where the change
    says it: "bell 556 Hz -7.8 dB Q 5 -> 907 Hz -4.1 dB Q 10", "band 3 +2 dB -> +4 dB",
    "band 6 added: high-pass 62 Hz Q 0.67", "band 4 high shelf 5 kHz -> low-pass 11.9 kHz".
    Given one field, it is that field's part of the band's phrase (an event of the log)."""
    presences = {presence for _, _, presence in fields.values()}
    if len(presences) == 1 and presences <= {"added", "removed"} and ("type" in fields or set(fields) == {"enabled"}):
        return _band_came(number, fields, presences.pop() or "")
    type_before, type_after, _ = fields.get("type", (None, None, None))
    type_changed = type_before is not None and type_after is not None and type_before != type_after
    name = f"band {number}" if type_changed else _band_name(type_after or type_before, number)
    values = [f for f in BAND_FIELDS if f in fields and f != "enabled" and not (f == "type" and not type_changed)]
    values += [f for f in fields if f not in BAND_FIELDS]
    said: list[str] = []
    if values:
        before, after = _band_sides(fields, values)
        if before and after:
            said.append(f"{name} {' '.join(before)}{ARROW}{' '.join(after)}")
        elif after:
            said.append(f"{name}: {' '.join(after)} added")
        else:
            said.append(f"{name}: {' '.join(before)} removed")
    if "enabled" in fields:
        _, on, _ = fields["enabled"]
        switched = f"switched {'on' if on else 'off'}"
        said.append(switched if said else f"{name} {switched}")
    return ", ".join(said)


def _with_band_type(change: Change, fields: BandFields) -> BandFields:
    """The band's type, which the differ states beside a band's change (`where["band_type"]`),
    where the type itself did not change: the band is then named by it ("bell")."""
    band_type = change.where.get("band_type")
    if band_type and "type" not in fields:
        fields["type"] = (band_type, band_type, None)
    return fields


def _band_name(band_type: Any, number: int) -> str:
    """ "band 2 bell": the band's number as the EQ counts it, and its type where known."""
    kind = BAND_TYPES.get(str(band_type)) if band_type else None
    return f"band {number} {kind}" if kind else f"band {number}"


def _band_came(number: int, fields: BandFields, how: str) -> str:
    """A band that appeared or went: "band 6 added: high-pass 62 Hz Q 0.67", "band 3 removed (was bell 900 Hz)"."""
    values = [f for f in BAND_FIELDS if f in fields and f != "enabled"]
    before, after = _band_sides(fields, values)
    side = after if how == "added" else before
    enabled = fields.get("enabled", (None, None, None))[1 if how == "added" else 0]
    text = " ".join(side) + (", off" if enabled is False else "")
    if how == "added":
        return f"band {number} added: {text}" if text else f"band {number} added"
    return f"band {number} removed (was {text})" if text else f"band {number} removed"


def _band_value(leaf: str) -> Format:
    if leaf == "type":
        return lambda v, extra: BAND_TYPES.get(str(v), str(v))
    return {"freq_hz": hz, "gain_db": db, "q": q, "slope_db_oct": slope}.get(leaf, raw)


def _band_sides(fields: BandFields, leaves: Iterable[str]) -> tuple[list[str], list[str]]:
    before: list[str] = []
    after: list[str] = []
    for leaf in leaves:
        a, b, presence = fields[leaf]
        fmt = _band_value(leaf)
        if presence is None:
            x, y = pair(a, b, fmt)
            before.append(x)
            after.append(y)
        elif presence == "added":
            after.append(fmt(b, 0))
        else:
            before.append(fmt(a, 0))
    return before, after


# -- devices, tracks, the session ----------------------------------------------------------------
def _device_added(change: Change) -> list[str]:
    device = change.after if isinstance(change.after, dict) else {}
    return ["added, bypassed" if device.get("enabled") is False else "added"]


def _device_moved(change: Change) -> list[str]:
    a, b = change.before, change.after
    if is_number(a) and is_number(b):
        return [f"moved from slot {int(a) + 1} to {int(b) + 1}"]
    return ["moved in the chain"]


def _track_added(change: Change) -> list[str]:
    track = change.after if isinstance(change.after, dict) else {}
    held = []
    for key, noun in (("devices", "device"), ("clips", "clip"), ("sends", "send")):
        if track.get(key):
            held.append(counted(len(track[key]), noun))
    text = f"new {_track_role(track.get('role'))} track"
    return [f"{text} with {listing(held)}" if held else text]


def _track_removed(change: Change) -> list[str]:
    role = change.before.get("role") if isinstance(change.before, dict) else None
    return [f"{_track_role(role)} track removed" if role else "track removed"]


def _track_moved(change: Change) -> list[str]:
    a = change.before if isinstance(change.before, dict) else {}
    b = change.after if isinstance(change.after, dict) else {}
    pa, pb = a.get("parent"), b.get("parent")
    if pa != pb:
        if pb is None:
            return [f"moved out of folder {quoted(pa)}"]
        if pa is None:
            return [f"moved into folder {quoted(pb)}"]
        return [f"moved from folder {quoted(pa)} into folder {quoted(pb)}"]
    ia, ib = a.get("index"), b.get("index")
    where = f" in folder {quoted(pb)}" if pb else ""
    if is_number(ia) and is_number(ib):
        return [f"moved from position {int(ia) + 1} to {int(ib) + 1}{where}"]
    return [f"moved{where}"]


def _renamed(change: Change) -> list[str]:
    if change.where.get("auto_name"):  # an unnamed track, listed by the number of its new place
        return [f"renumbered {quoted(change.before)}{ARROW}{quoted(change.after)} (an unnamed track)"]
    return [f"renamed {quoted(change.before)}{ARROW}{quoted(change.after)}"]


def _tempo(change: Change) -> list[str]:
    a, b = change.before, change.after
    if change.parameter == "time_signature":
        return [f"time signature {_signature(a)}{ARROW}{_signature(b)}"]
    if a is None:
        return [f"tempo set to {bpm(b)} BPM"]
    if b is None:
        return [f"tempo no longer set (was {bpm(a)} BPM)"]
    x, y = pair(a, b, bpm)
    return [f"tempo {x}{ARROW}{y} BPM"]


def _signature(value: Any) -> str:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return f"{value[0]}/{value[1]}"
    return "none"


def _session_started(change: Change) -> list[str]:
    summary = change.after if isinstance(change.after, dict) else {}
    tracks = [str(t) for t in summary.get("tracks", [])]
    shown = [quoted(t) for t in tracks[:8]]
    if len(tracks) > 8:
        shown.append(f"{len(tracks) - 8} more")
    text = "started"
    if summary.get("application"):
        text += f" in {summary['application']}"
    text += f" with {counted(len(tracks), 'track')}"
    if shown:
        text += f" ({listing(shown)})"
    if is_number(summary.get("tempo_bpm")):
        text += f", {bpm(summary['tempo_bpm'])} BPM"
    return [text]


def _send_added(change: Change) -> list[str]:
    send = change.after if isinstance(change.after, dict) else {}
    target = send.get("target") or (change.parameter or "")[len("send.") :]
    text = f"send to {quoted(target)} added at {db(send.get('level_db'))}"
    if send.get("pre_fader"):
        text += ", pre-fader"
    if send.get("enabled") is False:
        text += ", switched off"
    return [text]


def _send_removed(change: Change) -> list[str]:
    send = change.before if isinstance(change.before, dict) else {}
    target = send.get("target") or (change.parameter or "")[len("send.") :]
    level = f" (was {db(send.get('level_db'))})" if "level_db" in send else ""
    return [f"send to {quoted(target)} removed{level}"]


_BY_TYPE: dict[str, Callable[[Change], list[str]]] = {
    "session-started": _session_started,
    "parameter-changed": _parameter,
    "tempo-changed": _tempo,
    "track-added": _track_added,
    "track-removed": _track_removed,
    "track-renamed": _renamed,
    "track-moved": _track_moved,
    "device-added": _device_added,
    "device-removed": lambda c: ["removed"],
    "device-renamed": _renamed,
    "device-toggled": lambda c: ["switched on" if c.after else "bypassed"],
    "device-moved": _device_moved,
    "plugin-state-changed": lambda c: ["plug-in settings changed"],
    "send-added": _send_added,
    "send-removed": _send_removed,
    "automation-changed": timeline.automation,
    "clip-added": timeline.clip_came,
    "clip-removed": timeline.clip_came,
    "clip-changed": timeline.clip_changed,
    "markers-changed": timeline.markers,
}


# -- the changes of one save, grouped ------------------------------------------------------------
@dataclass
class _Group:
    header: str
    lines: list[str] = field(default_factory=list)
    devices: dict[tuple[str, Any], _Device] = field(default_factory=dict)


@dataclass
class _Device:
    name: str
    slot: Any
    changes: list[Change] = field(default_factory=list)


def outline(changes: Iterable[Change]) -> list[tuple[int, str]]:
    """The changes of one save as (depth, text) lines: each track (or "session") at depth 0 with
    its own changes beneath at depth 1, then each of its devices at depth 1 with the device's
    changes at depth 2, an EQ band's fields merged into one line. Tracks and devices come in the
    order of their first change."""
    groups: dict[tuple[str, str], _Group] = {}
    for change in changes:
        name = subject(change)
        key = (name, "removed" if change.type == "track-removed" else "")
        group = groups.setdefault(key, _Group(name))
        if change.device is None:
            group.lines.extend(phrases(change))
            continue
        slot = change.where.get("device", change.where.get("index"))
        if change.type == "automation-changed":  # a lane knows its device by name only
            slot = next((s for n, s in group.devices if n == change.device), slot)
        device = group.devices.setdefault((change.device, slot), _Device(change.device, slot))
        device.changes.append(change)
    out: list[tuple[int, str]] = []
    for group in groups.values():
        out.append((0, group.header))
        out.extend((1, line) for line in group.lines)
        names = [d.name for d in group.devices.values()]
        for device in group.devices.values():
            twice = names.count(device.name) > 1 and is_number(device.slot)
            out.append((1, f"{device.name} (slot {int(device.slot) + 1})" if twice else device.name))
            out.extend((2, line) for line in device_lines(device.changes))
    return out


def device_lines(changes: Sequence[Change]) -> list[str]:
    """The phrases of one device's changes, the fields of each EQ band merged into one phrase
    at the place of the band's first change."""
    bands: dict[int, BandFields] = {}
    order: list[int | Change] = []
    for change in changes:
        band = BAND_TERM.match(change.parameter or "") if change.type == "parameter-changed" else None
        if band is None:
            order.append(change)
            continue
        number = int(band.group(1))
        if number not in bands:
            bands[number] = {}
            order.append(number)
        bands[number][band.group(2)] = (change.before, change.after, change.where.get("presence"))
        _with_band_type(change, bands[number])
    lines: list[str] = []
    for item in order:
        if isinstance(item, int):
            lines.append(band_phrase(item, bands[item]))
        else:
            lines.extend(phrases(item))
    return lines
