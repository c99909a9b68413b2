"""Ardour routes: which `<Route>` elements are mix tracks, in what order, how they are wired to
each other, and the Track each becomes once the reader (daemon.formats.ardour) has read its
channel, sends, devices and automation. The mapping, with its sources (the Ardour/ardour
repository):

| Ardour | model |
|---|---|
| `<Route>` (flags or PresentationInfo MasterOut) | track of role `master`; MonitorOut and Auditioner routes are no mix tracks and are skipped |
| route with a playlist (Diskstream, `audio-playlist`, Ardour 2 `diskstream-id`) | `audio`, or `instrument` for `default-type="midi"` |
| route without one (a bus) | `return` when some aux send feeds it, else `group` |
| connections of the route's output to another route's input (not master) | `output` |

A route's place is its PresentationInfo `order` (Ardour 5+), else its editor order key; the
master comes last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from lxml import etree

from daemon.sessions.model import (
    AutomationLane,
    Channel,
    Clip,
    Device,
    Send,
    Track,
    TrackRole,
    canonical_clips,
    canonical_lanes,
    canonical_sends,
)

_PORT_TARGET = re.compile(r"^(.*)/(?:audio_|midi_)?in(?: |put)?\s*\d*$")


@dataclass
class RouteBuild:
    """A route as the reader builds it: its element, identity and kind, then what it reads of it."""

    el: etree._Element
    ident: str
    name: str
    master: bool
    track: bool
    midi: bool
    order: tuple[int, int]
    sends: list[Send] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    lanes: list[AutomationLane] = field(default_factory=list)
    channel: Channel = field(default_factory=Channel)
    outputs: list[str] = field(default_factory=list)


def index_route(el: etree._Element, index: int, problems: list[str]) -> RouteBuild | None:
    """The `index`th `<Route>` as a RouteBuild; None for a monitor or auditioner route and for one
    without a name (a problem)."""
    io = el.find("IO")
    name = el.get("name") or (io.get("name") if io is not None else None)
    info = el.find("PresentationInfo")
    flags = set(re.split(r"[,\s]+", (el.get("flags") or "") + "," + (info.get("flags") if info is not None else "")))
    flags |= _hex_flags(el.get("flags"))
    if flags & {"MonitorOut", "Auditioner"}:
        return None
    if not name:
        problems.append(f"route #{index + 1}: no name; skipped")
        return None
    track = bool(
        el.get("diskstream-id")
        or el.get("audio-playlist")
        or el.get("midi-playlist")
        or el.find("Diskstream") is not None
        or flags & {"AudioTrack", "MidiTrack"}
    )
    midi = el.get("default-type") == "midi" or "MidiTrack" in flags or "MidiBus" in flags
    return RouteBuild(
        el=el,
        ident=el.get("id") or (io.get("id") if io is not None else None) or f"#{index}",
        name=name,
        master="MasterOut" in flags,
        track=track,
        midi=midi,
        order=(_order(el, info, index), index),
    )


# Ardour 0.x/1.x wrote a route's flags as a hex number (libs/ardour/ardour/route.h of the time:
# Hidden = 0x1, MasterOut = 0x2, ControlOut = 0x4, the monitor bus).
_HEX_FLAGS = {0x2: "MasterOut", 0x4: "MonitorOut"}


def _hex_flags(text: str | None) -> set[str]:
    if not text or not text.lower().startswith("0x"):
        return set()
    try:
        value = int(text, 16)
    except ValueError:
        return set()
    return {name for bit, name in _HEX_FLAGS.items() if value & bit}


def _order(el: etree._Element, info: etree._Element | None, index: int) -> int:
    """A route's place: PresentationInfo order (Ardour 5+), else its editor order key."""
    if info is not None and (info.get("order") or "").isdigit():
        return int(info.get("order") or 0)
    for key in (el.get("order-keys") or "").split(":"):
        label, _, value = key.partition("=")
        if label == "editor" and value.isdigit():
            return int(value)
    return index


def connections(el: etree._Element) -> list[str]:
    """Names of the routes an Ardour 3+ route's output ports connect to, in order."""
    names: list[str] = []
    for io in el.iterchildren("IO"):
        if io.get("direction") != "Output":
            continue
        for conn in io.iterfind("Port/Connection"):
            target = port_route(conn.get("other") or "")
            if target and target not in names:
                names.append(target)
    return names


def port_route(port: str) -> str | None:
    """The route a port name belongs to when it is a route input: "Bus/audio_in 1" -> "Bus"."""
    match = _PORT_TARGET.match(port.removeprefix("ardour:"))
    return match.group(1) if match else None


def v2_targets(outputs: str | None) -> list[str]:
    """Routes an Ardour 2 IO feeds, from `outputs="{Reverb/in 1,master/in 1}{...}"`."""
    names: list[str] = []
    for group in re.findall(r"\{([^}]*)\}", outputs or ""):
        for port in group.split(","):
            target = port_route(port.strip())
            if target and target not in names:
                names.append(target)
    return names


def freeze(b: RouteBuild, fed: set[str], clips: list[Clip], by_name: dict[str, RouteBuild]) -> Track:
    """The Track of a read route: its role (a bus is a `return` when it is in `fed`, the names of
    the routes some send feeds) and its output when it feeds exactly one route other than master."""
    role: TrackRole
    if b.master:
        role = "master"
    elif b.track:
        role = "instrument" if b.midi else "audio"
    else:
        role = "return" if b.name in fed else "group"
    others = [t for t in b.outputs if t in by_name and not by_name[t].master]
    channel = b.channel
    if len(others) == 1:
        channel = replace(channel, output=others[0])
    return Track(
        name=b.name,
        role=role,
        content_types=("notes",) if b.midi else ("audio",),
        channel=channel,
        sends=canonical_sends(b.sends),
        devices=tuple(b.devices),
        automation=canonical_lanes(b.lanes),
        clips=canonical_clips(clips),
        uid=None if b.ident.startswith("#") else b.ident,
    )
