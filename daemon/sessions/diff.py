"""The differ: a pure function from (previous session or None, new session) to typed changes.

DAWproject exporters regenerate every id at each save (bitwig/dawproject issue #40), so nothing
here looks at ids. Tracks are matched by name first (in order of occurrence), then the tracks
left over are paired as renames when they resemble each other enough (role, content, devices,
clips, sends, position: `_similarity`); the rest are removals and additions. A track whose group
changed, or whose order among its matched siblings changed (outside the longest run that kept its
order), is reported as moved. Devices are matched by kind and name, in chain order.

Re-serialization noise is not a change: floats are compared with a tolerance far below anything an
engineer can hear or set (1e-3 dB, 1e-6 relative elsewhere), collections that carry no order are
compared in canonical order, and a send or output that names a renamed track is compared by the
track's new name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from daemon.sessions.changes import Change
from daemon.sessions.matching import (
    Node,
    close,
    flatten,
    kept_in_order,
    match_items,
    match_tracks,
    pair_by_uid,
    points_close,
    unique_uids,
)
from daemon.sessions.model import AutomationLane, Clip, Device, Send, Session, Track, unit_of
from daemon.sessions.serialize import clip_to_dict, device_to_dict, lane_to_dict, send_to_dict, track_to_dict


def diff(old: Session | None, new: Session) -> list[Change]:
    """What changed from `old` to `new`; for a first save (`old` is None) a `session-started`."""
    if old is None:
        summary = {
            "tracks": [t.name for t in new.all_tracks()],
            "tempo_bpm": new.tempo_bpm,
            "application": " ".join(x for x in (new.application, new.application_version) if x),
        }
        return [Change("session-started", after=summary)]
    out: list[Change] = []
    _session_level(old, new, out)
    old_nodes, new_nodes = flatten(old), flatten(new)
    pairs = match_tracks(old_nodes, new_nodes)
    renames = _rename_map(old_nodes, new_nodes, pairs)
    _structure(old_nodes, new_nodes, pairs, out)
    time_unit = TIME_UNITS.get(new.time_unit, new.time_unit)
    ids_kept = _device_ids_kept(old_nodes, new_nodes)
    for n_index, o_index in sorted(pairs.items()):
        a, b = old_nodes[o_index].track, new_nodes[n_index].track
        _track_details(o_index, a, b, renames, time_unit, ids_kept, out)
    _label_namesakes(old_nodes, new_nodes, pairs, out)
    return out


TIME_UNITS = {"seconds": "s", "beats": "beats"}


def _device_ids_kept(old_nodes: list[Node], new_nodes: list[Node]) -> bool:
    """Whether the two saves keep device ids: some device id is in both (a file rewritten by
    another tool, which makes new ids, shares none)."""
    old_ids = {d.uid for node in old_nodes for d in node.track.devices if d.uid is not None}
    return any(d.uid in old_ids for node in new_nodes for d in node.track.devices if d.uid is not None)


def _label_namesakes(old_nodes: list[Node], new_nodes: list[Node], pairs: dict[int, int], out: list[Change]) -> None:
    """Tell apart tracks that share a name: each change of one gets `where["label"]`, the name with
    its folder ("Drums / Kick") where that is unique, else with its place ("ReaLearn (track 3)")."""
    new_of_old = {o: n for n, o in pairs.items()}
    labels_new = _labels(new_nodes)
    labels_old = _labels(old_nodes)
    for change in out:
        if change.track is None:
            continue
        where = change.where
        if "new" in where and change.type in ("track-added", "track-moved"):
            label = labels_new.get(where["new"])
        elif "old" in where:
            n_index = new_of_old.get(where["old"])
            label = labels_new.get(n_index) if n_index is not None else labels_old.get(where["old"])
        else:
            label = None
        if label is not None:
            where["label"] = label


def _labels(nodes: list[Node]) -> dict[int, str]:
    counts: dict[str, int] = defaultdict(int)
    for node in nodes:
        counts[node.track.name] += 1
    in_folder: dict[tuple[str, str], int] = defaultdict(int)
    for node in nodes:
        if node.parent is not None:
            in_folder[(nodes[node.parent].track.name, node.track.name)] += 1
    labels: dict[int, str] = {}
    number = 0
    for node in nodes:
        if node.track.role != "master":
            number += 1
        name = node.track.name
        if counts[name] < 2:
            continue
        parent = nodes[node.parent].track.name if node.parent is not None else None
        if parent is not None and counts[parent] == 1 and in_folder[(parent, name)] == 1:
            labels[node.index] = f"{parent} / {name}"
        elif node.track.role == "master":
            labels[node.index] = f"{name} (master)"
        else:
            labels[node.index] = f"{name} (track {number})"
    return labels


# -- session level ---------------------------------------------------------------------------
def _session_level(old: Session, new: Session, out: list[Change]) -> None:
    if not close(old.tempo_bpm, new.tempo_bpm):
        out.append(
            Change("tempo-changed", parameter="tempo_bpm", before=old.tempo_bpm, after=new.tempo_bpm, unit="BPM")
        )
    if old.time_signature != new.time_signature:
        out.append(
            Change(
                "tempo-changed",
                parameter="time_signature",
                before=list(old.time_signature) if old.time_signature else None,
                after=list(new.time_signature) if new.time_signature else None,
            )
        )
    if old.time_unit != new.time_unit:
        out.append(Change("parameter-changed", parameter="time_unit", before=old.time_unit, after=new.time_unit))
    if not points_close(old.tempo_automation, new.tempo_automation, "BPM"):
        out.append(
            Change(
                "automation-changed",
                parameter="tempo_bpm",
                before=[list(p) for p in old.tempo_automation] or None,
                after=[list(p) for p in new.tempo_automation] or None,
                unit="BPM",
                where={"time_unit": TIME_UNITS.get(new.time_unit, new.time_unit)},
            )
        )
    old_markers = [(m.name, m.time) for m in old.markers]
    new_markers = [(m.name, m.time) for m in new.markers]
    if len(old_markers) != len(new_markers) or any(
        a[0] != b[0] or not close(a[1], b[1]) for a, b in zip(old_markers, new_markers)
    ):
        out.append(
            Change(
                "markers-changed",
                before=[list(m) for m in old_markers],
                after=[list(m) for m in new_markers],
                unit=TIME_UNITS.get(new.time_unit, new.time_unit),
            )
        )


# -- track matching and structure -------------------------------------------------------------
def _rename_map(old_nodes: list[Node], new_nodes: list[Node], pairs: dict[int, int]) -> dict[str, str]:
    old_counts: dict[str, int] = defaultdict(int)
    for node in old_nodes:
        old_counts[node.track.name] += 1
    renames = {}
    for n_index, o_index in pairs.items():
        before, after = old_nodes[o_index].track.name, new_nodes[n_index].track.name
        if before != after and old_counts[before] == 1:
            renames[before] = after
    return renames


def _parent_ref(parent: int | None, pairs: dict[int, int]) -> dict[str, int] | None:
    if parent is None:
        return None
    if parent in pairs:
        return {"old": pairs[parent]}
    return {"new": parent}


def _structure(old_nodes: list[Node], new_nodes: list[Node], pairs: dict[int, int], out: list[Change]) -> None:
    matched_old = set(pairs.values())
    for node in old_nodes:
        if node.index not in matched_old:
            out.append(
                Change(
                    "track-removed", track=node.track.name, before={"role": node.track.role}, where={"old": node.index}
                )
            )
    for n_index, o_index in sorted(pairs.items()):
        a, b = old_nodes[o_index].track, new_nodes[n_index].track
        if a.name != b.name:
            where: dict[str, Any] = {"old": o_index}
            if a.auto_name and b.auto_name:
                where["auto_name"] = True  # an unnamed track listed under its new place's number
            out.append(Change("track-renamed", track=b.name, before=a.name, after=b.name, where=where))
    moved = _moved_tracks(old_nodes, new_nodes, pairs)
    for node in new_nodes:
        place = {"parent": _parent_ref(node.parent, pairs), "index": node.sibling, "new": node.index}
        if node.index not in pairs:
            data = track_to_dict(node.track, children=False)
            out.append(Change("track-added", track=node.track.name, after=data, where=place))
        elif node.index in moved:
            o = old_nodes[pairs[node.index]]
            old_place = {"parent": old_nodes[o.parent].track.name if o.parent is not None else None, "index": o.sibling}
            new_place = {
                "parent": new_nodes[node.parent].track.name if node.parent is not None else None,
                "index": node.sibling,
            }
            out.append(
                Change(
                    "track-moved",
                    track=node.track.name,
                    before=old_place,
                    after=new_place,
                    where={**place, "old": o.index},
                )
            )


def _moved_tracks(old_nodes: list[Node], new_nodes: list[Node], pairs: dict[int, int]) -> set[int]:
    moved: set[int] = set()
    groups: dict[int | None, list[int]] = defaultdict(list)
    for node in new_nodes:
        if node.index not in pairs:
            continue
        o = old_nodes[pairs[node.index]]
        same_parent = (node.parent is None and o.parent is None) or (
            node.parent is not None and pairs.get(node.parent) == o.parent and o.parent is not None
        )
        if same_parent:
            groups[node.parent].append(node.index)
        else:
            moved.add(node.index)
    for members in groups.values():
        olds = [old_nodes[pairs[m]] for m in members]
        keep = kept_in_order(
            [o.sibling for o in olds], [o.sibling == new_nodes[m].sibling for o, m in zip(olds, members)]
        )
        moved.update(m for i, m in enumerate(members) if i not in keep)
    return moved


def _track_details(
    o_index: int, a: Track, b: Track, renames: dict[str, str], time_unit: str, ids_kept: bool, out: list[Change]
) -> None:
    if a == b and not renames:  # most tracks of a save are untouched: equality is cheap
        return
    name = b.name
    where = {"old": o_index}

    def param(
        parameter: str, before: Any, after: Any, unit: str | None = None, device: str | None = None, **extra: Any
    ) -> None:
        out.append(
            Change(
                "parameter-changed",
                track=name,
                device=device,
                parameter=parameter,
                before=before,
                after=after,
                unit=unit,
                where={**where, **extra},
            )
        )

    if a.role != b.role:
        param("role", a.role, b.role)
    if a.content_types != b.content_types:
        param("content_types", list(a.content_types), list(b.content_types))
    ca, cb = a.channel, b.channel
    for field_name, unit in (
        ("volume_db", "dB"),
        ("pan", "pan"),
        ("mute", None),
        ("solo", None),
        ("audio_channels", None),
        ("main_send", None),
    ):
        before, after = getattr(ca, field_name), getattr(cb, field_name)
        if not close(before, after, unit):
            param(field_name, before, after, "dB" if unit == "dB" else None)
    output = renames.get(ca.output, ca.output) if ca.output is not None else None
    if output != cb.output:
        param("output", output, cb.output)
    if a.sends != b.sends or renames:
        _sends(a.sends, b.sends, renames, name, where, out)
    device_renames: dict[str, str] = {}
    if a.devices != b.devices:
        device_renames = _devices(a.devices, b.devices, name, where, ids_kept, out)
    if a.automation != b.automation or renames:
        _automation(a.automation, b.automation, renames, device_renames, name, {**where, "time_unit": time_unit}, out)
    if a.clips != b.clips:
        _clips(a.clips, b.clips, name, where, time_unit, out)


def _mapped_send(send: Send, renames: dict[str, str]) -> Send:
    target = renames.get(send.target, send.target)
    return send if target == send.target else Send(target, send.level_db, send.pre_fader, send.enabled, send.pan)


def _sends(
    old: tuple[Send, ...],
    new: tuple[Send, ...],
    renames: dict[str, str],
    track: str,
    where: dict[str, Any],
    out: list[Change],
) -> None:
    mapped = [_mapped_send(s, renames) for s in old]
    pairs = match_items(mapped, list(new), (lambda s: (s.target, s.pre_fader), lambda s: s.target))
    _gone_and_new(
        mapped,
        new,
        pairs,
        lambda i, s: Change(
            "send-removed",
            track=track,
            parameter=f"send.{s.target}",
            before=send_to_dict(s),
            where={**where, "send": i},
        ),
        lambda j, s: Change(
            "send-added", track=track, parameter=f"send.{s.target}", after=send_to_dict(s), where=dict(where)
        ),
        out,
    )
    for j, i in sorted(pairs.items()):
        send = new[j]
        before = mapped[i]
        for field_name, unit in (
            ("target", None),
            ("level_db", "dB"),
            ("enabled", None),
            ("pre_fader", None),
            ("pan", "pan"),
        ):
            x, y = getattr(before, field_name), getattr(send, field_name)
            if not close(x, y, unit):
                out.append(
                    Change(
                        "parameter-changed",
                        track=track,
                        parameter=f"send.{send.target}.{field_name}",
                        before=x,
                        after=y,
                        unit="dB" if unit == "dB" else None,
                        where={**where, "send": i},
                    )
                )


def _devices(
    old: tuple[Device, ...],
    new: tuple[Device, ...],
    track: str,
    where: dict[str, Any],
    ids_kept: bool,
    out: list[Change],
) -> dict[str, str]:
    """The changes of a chain; returns old name -> new name for the renamed devices whose old name
    was unique in the chain (automation lanes name their device)."""
    pairs = _match_devices(list(old), list(new), ids_kept)
    _gone_and_new(
        old,
        new,
        pairs,
        lambda i, d: Change(
            "device-removed",
            track=track,
            device=d.name,
            before={"kind": d.kind, "index": i},
            where={**where, "device": i},
        ),
        lambda j, d: Change(
            "device-added", track=track, device=d.name, after=device_to_dict(d), where={**where, "index": j}
        ),
        out,
    )
    ordered = sorted(pairs)
    keep = kept_in_order([pairs[j] for j in ordered], [pairs[j] == j for j in ordered])
    moved = {ordered[k] for k in range(len(ordered)) if k not in keep}
    old_names = [d.name for d in old]
    renames: dict[str, str] = {}
    for j, i in sorted(pairs.items()):
        device = new[j]
        at = {**where, "device": i}
        if old[i].name != device.name:
            out.append(
                Change(
                    "device-renamed", track=track, device=device.name, before=old[i].name, after=device.name, where=at
                )
            )
            if old_names.count(old[i].name) == 1:
                renames[old[i].name] = device.name
        if j in moved:
            out.append(
                Change("device-moved", track=track, device=device.name, before=i, after=j, where={**at, "index": j})
            )
        _device_details(old[i], device, track, at, out)
    return renames


def _match_devices(old: list[Device], new: list[Device], ids_kept: bool) -> dict[int, int]:
    """new index -> old index. Where the saves keep device ids (FXID, processor ids: `ids_kept`,
    some device id is in both saves), a device is the one with its id: renamed, moved, toggled. A
    device whose id is new is a new instance (a chain reloaded from a preset is removed and
    added), except the same plug-in put back in another format (AU <-> VST, VST2 -> VST3), which
    is one plug-in. Devices without ids are matched by kind, format, name and plug-in id,
    loosening in turn, and last by plug-in id alone (a rename where no ids are kept)."""
    pairs: dict[int, int] = {}
    if ids_kept:
        old_ids = unique_uids(old, lambda d: d.uid)
        new_ids = unique_uids(new, lambda d: d.uid)
        pairs = pair_by_uid(old_ids, new_ids) or {}
        swaps = match_items(
            [d if d.uid is not None and i not in pairs.values() else None for i, d in enumerate(old)],
            [d if d.uid is not None and j not in pairs else None for j, d in enumerate(new)],
            (lambda d: (d.kind, d.name) if d is not None else None,),
        )
        pairs.update({j: i for j, i in swaps.items() if old[i].format != new[j].format})
        free_old = [i for i, d in enumerate(old) if d.uid is None and i not in pairs.values()]
        free_new = [j for j, d in enumerate(new) if d.uid is None and j not in pairs]
    else:
        free_old, free_new = list(range(len(old))), list(range(len(new)))
    rest = match_items(
        [old[i] for i in free_old],
        [new[j] for j in free_new],
        (
            lambda d: (d.kind, d.format, d.name, d.plugin_id),
            lambda d: (d.kind, d.format, d.name),
            lambda d: (d.kind, d.name),
            lambda d: (d.format, d.plugin_id) if d.plugin_id else None,
        ),
    )
    pairs.update({free_new[j]: free_old[i] for j, i in rest.items()})
    return pairs


_PLUGIN_FIELDS = ("format", "plugin_id", "vendor")
_BAND = re.compile(r"^(eq\.band\d+)\.(?!type$)")


def _device_details(a: Device, b: Device, track: str, where: dict[str, Any], out: list[Change]) -> None:
    def change(
        type_: str, parameter: str | None, before: Any, after: Any, unit: str | None = None, **extra: Any
    ) -> None:
        out.append(Change(type_, track, b.name, parameter, before, after, unit, {**where, **extra}))

    if a.enabled != b.enabled:
        change("device-toggled", "enabled", a.enabled, b.enabled)
    plugin = [f for f in _PLUGIN_FIELDS if getattr(a, f) != getattr(b, f)]
    if plugin:
        # The same plug-in saved as another format or id (AU <-> VST, VST2 -> VST3): one change,
        # which carries the state too, since another format's state is another blob.
        if a.state_sha256 != b.state_sha256:
            plugin.append("state_sha256")
        change(
            "parameter-changed", "device.plugin", {f: getattr(a, f) for f in plugin}, {f: getattr(b, f) for f in plugin}
        )
    elif a.state_sha256 != b.state_sha256:
        change("plugin-state-changed", None, a.state_sha256, b.state_sha256)
    if a.role != b.role:
        change("parameter-changed", "device.role", a.role, b.role)
    if a.params == b.params:
        return
    pa, pb = a.param_dict, b.param_dict
    names = dict(b.param_names or a.param_names)
    for term in sorted(pa.keys() | pb.keys()):
        unit = unit_of(term)
        if term in pa and term in pb:
            if close(pa[term], pb[term], unit):
                continue
            presence = None
        else:
            presence = "added" if term in pb else "removed"
        extra: dict[str, Any] = {"presence": presence} if presence else {}
        if term in names:
            extra["shown"] = names[term]  # the parameter's name as the plug-in shows it
        band = _BAND.match(term)
        if band:  # an EQ band's changes name the band by its type, for people
            band_type = pb.get(f"{band.group(1)}.type", pa.get(f"{band.group(1)}.type"))
            if isinstance(band_type, str):
                extra["band_type"] = band_type
        change("parameter-changed", term, pa.get(term), pb.get(term), unit or None, **extra)


def lane_key(
    lane: AutomationLane, renames: dict[str, str], device_renames: dict[str, str] | None = None
) -> tuple[str, str]:
    """A lane's (device, target) with the names of renamed tracks (sends) and devices mapped."""
    target = lane.target
    if target.startswith("send."):
        send_target, _, leaf = target[5:].rpartition(".")
        target = f"send.{renames.get(send_target, send_target)}.{leaf}"
    device = lane.device or ""
    if device_renames and device in device_renames:
        device = device_renames[device]
    return (device, target)


def _automation(
    old: tuple[AutomationLane, ...],
    new: tuple[AutomationLane, ...],
    renames: dict[str, str],
    device_renames: dict[str, str],
    track: str,
    where: dict[str, Any],
    out: list[Change],
) -> None:
    before = {lane_key(lane, renames, device_renames): lane for lane in old}
    after = {lane.key: lane for lane in new}
    for key in sorted(before.keys() | after.keys()):
        x, y = before.get(key), after.get(key)
        unit = unit_of(key[1])
        tolerance = "pan" if key[1].endswith("pan") else unit
        if (
            x is not None
            and y is not None
            and x.interpolation == y.interpolation
            and points_close(x.points, y.points, tolerance)
        ):
            continue
        out.append(
            Change(
                "automation-changed",
                track=track,
                device=key[0] or None,
                parameter=key[1],
                before=lane_to_dict(x)["points"] if x else None,
                after=lane_to_dict(y)["points"] if y else None,
                unit=unit or None,
                where={**where, "interpolation": y.interpolation if y else None},  # time_unit: the points' times
            )
        )


def _clip_name(c: Clip) -> str:
    return c.file or c.name


def _clips(
    old: tuple[Clip, ...], new: tuple[Clip, ...], track: str, where: dict[str, Any], unit: str, out: list[Change]
) -> None:
    pairs = match_items(
        list(old),
        list(new),
        (
            lambda c: (c.file, c.name if not c.file else "", round(c.position, 6)),
            lambda c: (c.file, round(c.position, 6)),
            lambda c: (c.file, c.name) if c.file or c.name else None,
            lambda c: c.file or None,
            lambda c: (bool(c.file), round(c.position, 6)),
        ),
    )
    _gone_and_new(
        old,
        new,
        pairs,
        lambda i, c: Change(
            "clip-removed",
            track=track,
            parameter=_clip_name(c),
            before=clip_to_dict(c),
            unit=unit,
            where={**where, "clip": i},
        ),
        lambda j, c: Change(
            "clip-added", track=track, parameter=_clip_name(c), after=clip_to_dict(c), unit=unit, where=dict(where)
        ),
        out,
    )
    for j, i in sorted(pairs.items()):
        clip = new[j]
        x, y = clip_to_dict(old[i]), clip_to_dict(clip)
        changed = [k for k in x if not _clip_field_close(k, x[k], y[k])]
        if changed:
            out.append(
                Change(
                    "clip-changed",
                    track=track,
                    parameter=_clip_name(clip),
                    before={k: x[k] for k in changed},
                    after={k: y[k] for k in changed},
                    unit=unit,
                    where={**where, "clip": i},
                )
            )


def _clip_field_close(key: str, a: Any, b: Any) -> bool:
    if key == "notes":
        return len(a) == len(b) and all(
            n[2] == m[2] and all(close(p, q) for p, q in zip((n[0], n[1], n[3]), (m[0], m[1], m[3])))
            for n, m in zip(a, b)
        )
    return close(a, b, "dB" if key == "gain_db" else None)


def _gone_and_new(
    old: Sequence[Any],
    new: Sequence[Any],
    pairs: dict[int, int],
    removed: Callable[[int, Any], Change],
    added: Callable[[int, Any], Change],
    out: list[Change],
) -> None:
    """The changes for the items of a collection that have no partner: removed ones (by their
    old index), then added ones (by their new index)."""
    matched = set(pairs.values())
    out.extend(removed(i, item) for i, item in enumerate(old) if i not in matched)
    out.extend(added(j, item) for j, item in enumerate(new) if j not in pairs)
