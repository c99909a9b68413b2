"""Sessions and their parts to plain JSON-ready dicts and back: for snapshots in the store and
for the payloads of changes that carry a whole track, device, send or clip."""

from __future__ import annotations

from typing import Any

from daemon.sessions.model import AutomationLane, Channel, Clip, Device, Marker, Send, Session, Track


def channel_to_dict(c: Channel) -> dict[str, Any]:
    return {
        "volume_db": c.volume_db,
        "pan": c.pan,
        "mute": c.mute,
        "solo": c.solo,
        "output": c.output,
        "audio_channels": c.audio_channels,
        "main_send": c.main_send,
    }


def send_to_dict(s: Send) -> dict[str, Any]:
    return {"target": s.target, "level_db": s.level_db, "pre_fader": s.pre_fader, "enabled": s.enabled, "pan": s.pan}


def device_to_dict(d: Device) -> dict[str, Any]:
    return {
        "kind": d.kind,
        "name": d.name,
        "format": d.format,
        "plugin_id": d.plugin_id,
        "vendor": d.vendor,
        "role": d.role,
        "enabled": d.enabled,
        "params": [[k, v] for k, v in d.params],
        "state_sha256": d.state_sha256,
        "uid": d.uid,
        "param_names": [[k, v] for k, v in d.param_names],
    }


def lane_to_dict(a: AutomationLane) -> dict[str, Any]:
    return {
        "target": a.target,
        "device": a.device,
        "interpolation": a.interpolation,
        "points": [[t, v] for t, v in a.points],
    }


def clip_to_dict(c: Clip) -> dict[str, Any]:
    return {
        "file": c.file,
        "position": c.position,
        "duration": c.duration,
        "name": c.name,
        "gain_db": c.gain_db,
        "fade_in": c.fade_in,
        "fade_out": c.fade_out,
        "play_start": c.play_start,
        "enabled": c.enabled,
        "notes": [list(n) for n in c.notes],
    }


def track_to_dict(t: Track, children: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": t.name,
        "role": t.role,
        "content_types": list(t.content_types),
        "channel": channel_to_dict(t.channel),
        "sends": [send_to_dict(s) for s in t.sends],
        "devices": [device_to_dict(d) for d in t.devices],
        "automation": [lane_to_dict(a) for a in t.automation],
        "clips": [clip_to_dict(c) for c in t.clips],
        "uid": t.uid,
        "auto_name": t.auto_name,
    }
    if children:
        out["children"] = [track_to_dict(c) for c in t.children]
    return out


def session_to_dict(s: Session) -> dict[str, Any]:
    return {
        "name": s.name,
        "application": s.application,
        "application_version": s.application_version,
        "tempo_bpm": s.tempo_bpm,
        "time_signature": list(s.time_signature) if s.time_signature else None,
        "time_unit": s.time_unit,
        "tracks": [track_to_dict(t) for t in s.tracks],
        "markers": [[m.name, m.time] for m in s.markers],
        "tempo_automation": [[t, v] for t, v in s.tempo_automation],
        "problems": list(s.problems),
    }


def channel_from_dict(d: dict[str, Any]) -> Channel:
    return Channel(**d)


def send_from_dict(d: dict[str, Any]) -> Send:
    return Send(**d)


def device_from_dict(d: dict[str, Any]) -> Device:
    names = tuple((k, v) for k, v in d.get("param_names", []))
    return Device(**{**d, "params": tuple((k, v) for k, v in d["params"]), "param_names": names})


def lane_from_dict(d: dict[str, Any]) -> AutomationLane:
    return AutomationLane(**{**d, "points": tuple((float(t), float(v)) for t, v in d["points"])})


def clip_from_dict(d: dict[str, Any]) -> Clip:
    notes = tuple(
        (float(t), float(length), int(key), float(velocity)) for t, length, key, velocity in d.get("notes", [])
    )
    return Clip(**{**d, "notes": notes})


def track_from_dict(d: dict[str, Any]) -> Track:
    return Track(
        name=d["name"],
        role=d["role"],
        content_types=tuple(d["content_types"]),
        channel=channel_from_dict(d["channel"]),
        sends=tuple(send_from_dict(s) for s in d["sends"]),
        devices=tuple(device_from_dict(x) for x in d["devices"]),
        automation=tuple(lane_from_dict(a) for a in d["automation"]),
        clips=tuple(clip_from_dict(c) for c in d["clips"]),
        children=tuple(track_from_dict(c) for c in d.get("children", [])),
        uid=d.get("uid"),
        auto_name=bool(d.get("auto_name", False)),
    )


def session_from_dict(d: dict[str, Any]) -> Session:
    signature = d.get("time_signature")
    return Session(
        name=d["name"],
        application=d.get("application", ""),
        application_version=d.get("application_version", ""),
        tempo_bpm=d.get("tempo_bpm"),
        time_signature=(int(signature[0]), int(signature[1])) if signature else None,
        time_unit=d.get("time_unit", "beats"),
        tracks=tuple(track_from_dict(t) for t in d["tracks"]),
        markers=tuple(Marker(name=n, time=float(t)) for n, t in d.get("markers", [])),
        tempo_automation=tuple((float(t), float(v)) for t, v in d.get("tempo_automation", [])),
        problems=tuple(d.get("problems", [])),
    )
