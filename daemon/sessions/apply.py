"""Apply a list of changes to the session they were computed from: `apply_changes(old,
diff(old, new))` gives `new`. It is the proof that the changes the log records lose nothing, and
the way to replay a session's state from its first snapshot and its events.

Addresses come from each change's `where`: `old` is a track's index in the previous save's
depth-first order, `device`/`send`/`clip` an index in that track's previous collections. Tracks
and devices that were not moved keep their relative order; added and moved ones are inserted at
their new positions in ascending order, which rebuilds the new order exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from daemon.sessions.changes import Change
from daemon.sessions.diff import lane_key
from daemon.sessions.matching import flatten
from daemon.sessions.model import (
    AutomationLane,
    Channel,
    Device,
    Marker,
    Send,
    Session,
    Track,
    canonical_clips,
    canonical_lanes,
    canonical_markers,
    canonical_params,
    canonical_sends,
)
from daemon.sessions.serialize import clip_from_dict, device_from_dict, send_from_dict, track_from_dict


@dataclass
class _Slot:
    track: Track
    devices: list[Device | None]
    sends: list[Send | None]
    clips: list[Any]
    lanes: dict[tuple[str, str], AutomationLane]
    children: list[_Slot] = field(default_factory=list)
    added_devices: list[tuple[int, Device]] = field(default_factory=list)
    moved_devices: dict[int, int] = field(default_factory=dict)
    new_sends: list[Send] = field(default_factory=list)
    new_clips: list[Any] = field(default_factory=list)


def apply_changes(old: Session, changes: list[Change]) -> Session:
    nodes = flatten(old)
    counts: dict[str, int] = {}
    for node in nodes:
        counts[node.track.name] = counts.get(node.track.name, 0) + 1
    renames = {c.before: c.after for c in changes if c.type == "track-renamed" and counts.get(c.before) == 1}
    slots = [_slot(n.track, renames) for n in nodes]
    for node in nodes:
        if node.parent is not None:
            slots[node.parent].children.append(slots[node.index])
    top = [slots[n.index] for n in nodes if n.parent is None]
    session = _apply_session_level(old, changes)
    detached: set[int] = set()
    for change in changes:
        if change.type in ("track-removed", "track-moved"):
            detached.add(change.where["old"])
        elif "old" in change.where and change.type != "track-added":
            _apply_to_slot(slots[change.where["old"]], change)
    inserts: list[tuple[int, Change]] = [
        (c.where["new"], c) for c in changes if c.type in ("track-added", "track-moved")
    ]
    for index in sorted(detached, reverse=True):  # children before their groups
        _detach(slots[index], top)
    added: dict[int, _Slot] = {}
    for new_index, change in sorted(inserts, key=lambda item: item[0]):
        if change.type == "track-added":
            slot = _slot(track_from_dict({**change.after, "children": []}), {})
            added[new_index] = slot
        else:
            slot = slots[change.where["old"]]
        parent_ref = change.where["parent"]
        if parent_ref is None:
            siblings = top
        elif "old" in parent_ref:
            siblings = slots[parent_ref["old"]].children
        else:
            siblings = added[parent_ref["new"]].children
        siblings.insert(change.where["index"], slot)
    return replace(session, tracks=tuple(_freeze(s) for s in top))


def _slot(track: Track, renames: dict[str, str]) -> _Slot:
    channel = track.channel
    if channel.output in renames:
        channel = replace(channel, output=renames[channel.output])
    sends: list[Send | None] = [replace(s, target=renames.get(s.target, s.target)) for s in track.sends]
    lanes = {}
    for lane in track.automation:
        device, target = lane_key(lane, renames)
        lanes[(device, target)] = replace(lane, target=target)
    return _Slot(
        track=replace(track, channel=channel, children=()),
        devices=list(track.devices),
        sends=sends,
        clips=list(track.clips),
        lanes=lanes,
    )


def _detach(slot: _Slot, top: list[_Slot]) -> None:
    stack = [top]
    while stack:
        siblings = stack.pop()
        for i, candidate in enumerate(siblings):
            if candidate is slot:
                del siblings[i]
                return
            stack.append(candidate.children)


def _apply_session_level(old: Session, changes: list[Change]) -> Session:
    session = old
    for c in changes:
        if c.track is not None or "old" in c.where:
            continue
        if c.type == "tempo-changed" and c.parameter == "tempo_bpm":
            session = replace(session, tempo_bpm=c.after)
        elif c.type == "tempo-changed" and c.parameter == "time_signature":
            session = replace(session, time_signature=tuple(c.after) if c.after else None)
        elif c.type == "parameter-changed" and c.parameter == "time_unit":
            session = replace(session, time_unit=c.after)
        elif c.type == "automation-changed" and c.parameter == "tempo_bpm":
            session = replace(session, tempo_automation=tuple((t, v) for t, v in (c.after or [])))
        elif c.type == "markers-changed":
            session = replace(session, markers=canonical_markers([Marker(n, t) for n, t in c.after]))
    return session


def _apply_to_slot(slot: _Slot, c: Change) -> None:
    t = c.type
    if t == "track-renamed":
        slot.track = replace(slot.track, name=c.after)
    elif t == "device-renamed":
        index = c.where["device"]
        device = slot.devices[index]
        assert device is not None
        if sum(1 for d in slot.track.devices if d.name == c.before) == 1:  # as the differ maps lanes
            slot.lanes = {
                (c.after if key[0] == c.before else key[0], key[1]): (
                    replace(lane, device=c.after) if key[0] == c.before else lane
                )
                for key, lane in slot.lanes.items()
            }
        slot.devices[index] = replace(device, name=c.after)
    elif t == "parameter-changed" and c.device is None and c.parameter and c.parameter.startswith("send."):
        index = c.where["send"]
        send = slot.sends[index]
        assert send is not None
        slot.sends[index] = replace(send, **{c.parameter.rsplit(".", 1)[1]: c.after})
    elif t == "parameter-changed" and c.device is None:
        _track_param(slot, c)
    elif t in ("parameter-changed", "device-toggled", "plugin-state-changed"):
        _device_param(slot, c)
    elif t == "device-added":
        slot.added_devices.append((c.where["index"], device_from_dict(c.after)))
    elif t == "device-removed":
        slot.devices[c.where["device"]] = None
    elif t == "device-moved":
        slot.moved_devices[c.where["device"]] = c.where["index"]
    elif t == "send-added":
        slot.new_sends.append(send_from_dict(c.after))
    elif t == "send-removed":
        slot.sends[c.where["send"]] = None
    elif t == "automation-changed":
        key = (c.device or "", c.parameter or "")
        if c.after is None:
            slot.lanes.pop(key, None)
        else:
            points = tuple((float(x), float(y)) for x, y in c.after)
            slot.lanes[key] = AutomationLane(
                c.parameter or "", c.device, points, c.where.get("interpolation") or "linear"
            )
    elif t == "clip-added":
        slot.new_clips.append(clip_from_dict(c.after))
    elif t == "clip-removed":
        slot.clips[c.where["clip"]] = None
    elif t == "clip-changed":
        index = c.where["clip"]
        fields = dict(c.after)
        if "notes" in fields:
            fields["notes"] = clip_from_dict(
                {"file": "", "position": 0.0, "duration": 0.0, "notes": fields["notes"]}
            ).notes
        slot.clips[index] = replace(slot.clips[index], **fields)


def _track_param(slot: _Slot, c: Change) -> None:
    parameter = c.parameter or ""
    if parameter == "role":
        slot.track = replace(slot.track, role=c.after)
    elif parameter == "content_types":
        slot.track = replace(slot.track, content_types=tuple(c.after))
    elif parameter in Channel.__dataclass_fields__:
        slot.track = replace(slot.track, channel=replace(slot.track.channel, **{parameter: c.after}))


def _device_param(slot: _Slot, c: Change) -> None:
    index = c.where["device"]
    device = slot.devices[index]
    assert device is not None
    if c.type == "device-toggled":
        device = replace(device, enabled=c.after)
    elif c.type == "plugin-state-changed":
        device = replace(device, state_sha256=c.after)
    elif c.parameter == "device.plugin":
        device = replace(device, **c.after)
    elif (c.parameter or "").startswith("device."):
        device = replace(device, **{(c.parameter or "")[len("device.") :]: c.after})
    else:
        params = device.param_dict
        if c.where.get("presence") == "removed":
            params.pop(c.parameter or "", None)
        else:
            params[c.parameter or ""] = c.after
        device = replace(device, params=canonical_params(params))
    slot.devices[index] = device


def _freeze(slot: _Slot) -> Track:
    chain: list[Device] = [d for i, d in enumerate(slot.devices) if d is not None and i not in slot.moved_devices]
    inserts: list[tuple[int, Device | None]] = [(j, d) for j, d in slot.added_devices]
    inserts += [(j, slot.devices[i]) for i, j in slot.moved_devices.items() if slot.devices[i] is not None]
    for j, device in sorted(inserts, key=lambda item: item[0]):
        assert device is not None
        chain.insert(j, device)
    sends = [s for s in slot.sends if s is not None] + slot.new_sends
    clips = [c for c in slot.clips if c is not None] + slot.new_clips
    return replace(
        slot.track,
        devices=tuple(chain),
        sends=canonical_sends(sends),
        automation=canonical_lanes(list(slot.lanes.values())),
        clips=canonical_clips(clips),
        children=tuple(_freeze(child) for child in slot.children),
    )
