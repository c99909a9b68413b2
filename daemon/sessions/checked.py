"""Every number a reader hands on is finite and in its range, or it is a problem and read as
missing: the last step of reading any session (daemon.formats.read_session), whatever the reader.

A client's file can hold anything: `nan`, `inf`, `1e400` (inf once parsed), `-1e308`. Such a
value would reach the differ's arithmetic, the snapshot and the log's JSON, where NaN and
infinity have no place (CONTRACT.md: "Numbers are finite"). Here each is checked against the
range its quantity can have; a value outside it is named in `Session.problems` (where it was,
what was found, why) and read as missing: a setting falls back to its default (a fader to 0 dB,
a pan to the centre, a send to its default level), a device parameter is left out, an automation
point, marker or clip that cannot be placed is left out, a tempo or time signature is unknown.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from typing import Any

import numpy as np

from daemon.sessions.model import AutomationLane, Channel, Clip, Device, Send, Session, Track

# Ranges a value can have and still be a value a DAW wrote (the units are the model's).
MAX_TIME = 1e7  # beats or seconds: past 100 days of timeline is no position
MAX_GAIN_DB = 200.0  # a fader, send or clip gain beyond +-200 dB is no setting
TEMPO_BPM = (1.0, 1000.0)
MAX_PARAM = 1e12  # a plug-in parameter past this is not a value (Hz, ms and dB all stay far below)
TIME_SIGNATURE = (1, 128)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ok(value: float | None, low: float, high: float) -> bool:
    return value is None or (math.isfinite(value) and low <= value <= high)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def bad(self, where: str, value: object, reason: str) -> None:
        self.problems.append(f"{where}: value {value!r} {reason}; read as missing")

    def session(self, session: Session) -> Session:
        tempo = session.tempo_bpm
        if not _ok(tempo, *TEMPO_BPM):
            self.bad("session tempo_bpm", tempo, "is not a tempo")
            tempo = None
        signature = session.time_signature
        if signature is not None and not all(
            isinstance(n, int) and TIME_SIGNATURE[0] <= n <= TIME_SIGNATURE[1] for n in signature
        ):
            self.bad("session time_signature", signature, "is not a time signature")
            signature = None
        tempo_points = self.points("session tempo automation", session.tempo_automation, *TEMPO_BPM)
        markers = tuple(m for m in session.markers if self.time(f"marker {m.name!r}", m.time))
        tracks = tuple(self.track(t) for t in session.tracks)
        if not self.problems:
            return session
        return replace(
            session,
            tempo_bpm=tempo,
            time_signature=signature,
            tempo_automation=tempo_points,
            markers=markers,
            tracks=tracks,
            problems=(*session.problems, *self.problems),
        )

    def time(self, where: str, value: float, low: float = -MAX_TIME) -> bool:
        if _ok(value, low, MAX_TIME):
            return True
        self.bad(where, value, "is not a time on the timeline")
        return False

    def points(self, where: str, points: tuple[tuple[float, float], ...], low: float, high: float) -> tuple:
        if not points:
            return points
        flat = itertools.chain.from_iterable(points)  # a lane of thousands of points, checked at once
        values = np.fromiter(flat, dtype=np.float64, count=2 * len(points)).reshape(len(points), 2)
        fine = (np.abs(values[:, 0]) <= MAX_TIME) & (values[:, 1] >= low) & (values[:, 1] <= high)  # NaN fails all
        if fine.all():
            return points
        kept = tuple(p for p, ok in zip(points, fine.tolist(), strict=True) if ok)
        left = len(points) - len(kept)
        self.problems.append(f"{where}: {left} point(s) with a time or value out of range; read as missing")
        return kept

    def track(self, track: Track) -> Track:
        where = f"track {track.name!r}"
        channel = self.channel(where, track.channel)
        sends = tuple(self.send(where, s) for s in track.sends)
        devices = tuple(self.device(where, d) for d in track.devices)
        lanes = tuple(self.lane(where, lane) for lane in track.automation)
        clips = tuple(c for c in (self.clip(where, c) for c in track.clips) if c is not None)
        children = tuple(self.track(t) for t in track.children)
        changed = (channel, sends, devices, lanes, clips, children) != (
            track.channel, track.sends, track.devices, track.automation, track.clips, track.children,
        )  # fmt: skip
        if not changed:
            return track
        return replace(
            track, channel=channel, sends=sends, devices=devices, automation=lanes, clips=clips, children=children
        )

    def level(self, where: str, value: float | None, fixed: dict[str, Any], name: str, what: str) -> None:
        """A gain in dB (a fader's, a send's): -inf is silence, None in the model; NaN, +inf or a
        level past MAX_GAIN_DB is a problem, read as the default 0 dB."""
        if value == -math.inf:
            fixed[name] = None
        elif not _ok(value, -math.inf, MAX_GAIN_DB):
            self.bad(where, value, f"is not {what}")
            fixed[name] = 0.0

    def channel(self, where: str, channel: Channel) -> Channel:
        fixed: dict[str, Any] = {}
        self.level(f"{where} volume_db", channel.volume_db, fixed, "volume_db", "a fader level")
        if not _ok(channel.pan, -1.0, 1.0):
            self.bad(f"{where} pan", channel.pan, "is not a pan position")
            fixed["pan"] = 0.0
        return replace(channel, **fixed) if fixed else channel

    def send(self, where: str, send: Send) -> Send:
        fixed: dict[str, Any] = {}
        self.level(f"{where} send.{send.target}.level_db", send.level_db, fixed, "level_db", "a send level")
        if not _ok(send.pan, -1.0, 1.0):
            self.bad(f"{where} send.{send.target}.pan", send.pan, "is not a pan position")
            fixed["pan"] = None
        return replace(send, **fixed) if fixed else send

    def device(self, where: str, device: Device) -> Device:
        kept = []
        for term, value in device.params:
            if _number(value) and not _ok(float(value), -MAX_PARAM, MAX_PARAM):  # type: ignore[arg-type]
                self.bad(f"{where}, device {device.name!r} {term}", value, "is not a finite number in range")
                continue
            kept.append((term, value))
        return device if len(kept) == len(device.params) else replace(device, params=tuple(kept))

    def lane(self, where: str, lane: AutomationLane) -> AutomationLane:
        target = f"{where}{f', device {lane.device!r}' if lane.device else ''} automation of {lane.target}"
        points = self.points(target, lane.points, -MAX_PARAM, MAX_PARAM)
        return lane if points is lane.points else replace(lane, points=points)

    def clip(self, where: str, clip: Clip) -> Clip | None:
        at = f"{where} clip {clip.name or clip.file!r}"
        if not (self.time(f"{at} position", clip.position) and self.time(f"{at} duration", clip.duration, 0.0)):
            return None  # a clip that cannot be placed is left out
        fixed: dict[str, Any] = {}
        for name, low, high in (
            ("gain_db", -MAX_GAIN_DB, MAX_GAIN_DB), ("fade_in", 0.0, MAX_TIME), ("fade_out", 0.0, MAX_TIME),
            ("play_start", -MAX_TIME, MAX_TIME),
        ):  # fmt: skip
            value = getattr(clip, name)
            if not _ok(value, low, high):
                self.bad(f"{at} {name}", value, "is out of range")
                fixed[name] = 0.0
        return replace(clip, **fixed) if fixed else clip


def checked(session: Session) -> Session:
    """`session` with every number finite and in range; what was not is in its `problems`."""
    return _Checker().session(session)
