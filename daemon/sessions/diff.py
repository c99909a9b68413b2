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

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from daemon.sessions.changes import Change
from daemon.sessions.matching import Node, close, flatten, longest_increasing, match_items, match_tracks, points_close
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
    for n_index, o_index in sorted(pairs.items()):
        _track_details(o_index, old_nodes[o_index].track, new_nodes[n_index].track, renames, out)
    return out


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
            )
        )
    old_markers = [(m.name, m.time) for m in old.markers]
    new_markers = [(m.name, m.time) for m in new.markers]
    if len(old_markers) != len(new_markers) or any(
        a[0] != b[0] or not close(a[1], b[1]) for a, b in zip(old_markers, new_markers)
    ):
        out.append(
            Change("markers-changed", before=[list(m) for m in old_markers], after=[list(m) for m in new_markers])
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
        before, after = old_nodes[o_index].track.name, new_nodes[n_index].track.name
        if before != after:
            out.append(Change("track-renamed", track=after, before=before, after=after, where={"old": o_index}))
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
        keep = longest_increasing([old_nodes[pairs[m]].sibling for m in members])
        moved.update(m for i, m in enumerate(members) if i not in keep)
    return moved


def _track_details(o_index: int, a: Track, b: Track, renames: dict[str, str], out: list[Change]) -> None:
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
    ):
        before, after = getattr(ca, field_name), getattr(cb, field_name)
        if not close(before, after, unit):
            param(field_name, before, after, "dB" if unit == "dB" else None)
    output = renames.get(ca.output, ca.output) if ca.output is not None else None
    if output != cb.output:
        param("output", output, cb.output)
    if a.sends != b.sends or renames:
        _sends(a.sends, b.sends, renames, name, where, out)
    if a.devices != b.devices:
        _devices(a.devices, b.devices, name, where, out)
    if a.automation != b.automation or renames:
        _automation(a.automation, b.automation, renames, name, where, out)
    if a.clips != b.clips:
        _clips(a.clips, b.clips, name, where, out)


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
    old: tuple[Device, ...], new: tuple[Device, ...], track: str, where: dict[str, Any], out: list[Change]
) -> None:
    pairs = match_items(
        list(old),
        list(new),
        (
            lambda d: (d.kind, d.format, d.name, d.plugin_id),
            lambda d: (d.kind, d.format, d.name),
            lambda d: (d.kind, d.name),
        ),
    )
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
    keep = longest_increasing([pairs[j] for j in sorted(pairs)])
    ordered = sorted(pairs)
    moved = {ordered[k] for k in range(len(ordered)) if k not in keep}
    for j, i in sorted(pairs.items()):
        device = new[j]
        if j in moved:
            out.append(
                Change(
                    "device-moved",
                    track=track,
                    device=device.name,
                    before=i,
                    after=j,
                    where={**where, "device": i, "index": j},
                )
            )
        _device_details(old[i], device, track, {**where, "device": i}, out)


def _device_details(a: Device, b: Device, track: str, where: dict[str, Any], out: list[Change]) -> None:
    if a.enabled != b.enabled:
        out.append(
            Change(
                "device-toggled",
                track=track,
                device=b.name,
                parameter="enabled",
                before=a.enabled,
                after=b.enabled,
                where=where,
            )
        )
    if a.state_sha256 != b.state_sha256:
        out.append(
            Change(
                "plugin-state-changed",
                track=track,
                device=b.name,
                before=a.state_sha256,
                after=b.state_sha256,
                where=where,
            )
        )
    for field_name in ("format", "plugin_id", "vendor", "role"):
        old_value, new_value = getattr(a, field_name), getattr(b, field_name)
        if old_value != new_value:
            out.append(
                Change(
                    "parameter-changed",
                    track=track,
                    device=b.name,
                    parameter=f"device.{field_name}",
                    before=old_value,
                    after=new_value,
                    where=where,
                )
            )
    pa, pb = a.param_dict, b.param_dict
    if a.params == b.params:
        return
    for term in sorted(pa.keys() | pb.keys()):
        unit = unit_of(term)
        if term in pa and term in pb:
            if close(pa[term], pb[term], unit):
                continue
            presence = None
        else:
            presence = "added" if term in pb else "removed"
        x, y = pa.get(term), pb.get(term)
        extra = {"presence": presence} if presence else {}
        out.append(
            Change(
                "parameter-changed",
                track=track,
                device=b.name,
                parameter=term,
                before=x,
                after=y,
                unit=unit or None,
                where={**where, **extra},
            )
        )


def lane_key(lane: AutomationLane, renames: dict[str, str]) -> tuple[str, str]:
    target = lane.target
    if target.startswith("send."):
        send_target, _, leaf = target[5:].rpartition(".")
        target = f"send.{renames.get(send_target, send_target)}.{leaf}"
    return (lane.device or "", target)


def _automation(
    old: tuple[AutomationLane, ...],
    new: tuple[AutomationLane, ...],
    renames: dict[str, str],
    track: str,
    where: dict[str, Any],
    out: list[Change],
) -> None:
    before = {lane_key(lane, renames): lane for lane in old}
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
                where={**where, "interpolation": y.interpolation if y else None},
            )
        )


def _clips(old: tuple[Clip, ...], new: tuple[Clip, ...], track: str, where: dict[str, Any], out: list[Change]) -> None:
    pairs = match_items(
        list(old),
        list(new),
        (lambda c: (c.file, round(c.position, 6)), lambda c: c.file, lambda c: round(c.position, 6)),
    )
    _gone_and_new(
        old,
        new,
        pairs,
        lambda i, c: Change(
            "clip-removed", track=track, parameter=c.file, before=clip_to_dict(c), where={**where, "clip": i}
        ),
        lambda j, c: Change("clip-added", track=track, parameter=c.file, after=clip_to_dict(c), where=dict(where)),
        out,
    )
    for j, i in sorted(pairs.items()):
        clip = new[j]
        x, y = clip_to_dict(old[i]), clip_to_dict(clip)
        changed = [k for k in x if not close(x[k], y[k], "dB" if k == "gain_db" else None)]
        if changed:
            out.append(
                Change(
                    "clip-changed",
                    track=track,
                    parameter=clip.file,
                    before={k: x[k] for k in changed},
                    after={k: y[k] for k in changed},
                    where={**where, "clip": i},
                )
            )


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
