"""Probing one setting's window of acceptability with audio: the change it is about found in the
log, the track's audio read once, an excerpt chosen where the setting matters, then probe after
probe (profiles.windows.adaptive chooses each value, analyzers.probe_render renders it) until the
window is known, and a `window-probed` event records it (CONTRACT.md, "Window probes").

The command line (`tapeop probe`), the TUI's probe screen and `tapeop demo` drive a `Prober` the
same way: `next()` gives the next probe (or None when the window is known), `answer(...)` takes
the engineer's answer to it, `finish()` records the window, partial when the answers stopped early.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzers.audio import Planar
from analyzers.probe_render import Excerpt, choose_excerpt, render_probe
from daemon.audio.session import track_samples
from daemon.errors import AppError
from daemon.log.records import DerivedEvent, LoggedEvent
from daemon.log.store import Store
from daemon.sessions.model import Session, Track
from profiles.roles import role_of
from profiles.windows.adaptive import Prior, Window, WindowSearch
from profiles.windows.history import history_windows, window_for
from profiles.windows.scales import Scale, scale_for

WRITER = "windows/1"
MAX_SECONDS = 600.0  # of a track's audio read to choose the excerpt from
DEFAULT_MAX = 20
_DEVICE_PREFIX = {"eq": "eq", "comp": "compressor", "limiter": "limiter", "gate": "gate", "delay": "delay"}
_SEND = re.compile(r"send\.(.+)\.level_db$")


class ProbeError(AppError):
    """A setting that cannot be probed: no such change, no audio, a kind that is not rendered."""


@dataclass(frozen=True)
class Target:
    """The setting probed: where it is, where the engineer left it and which way they moved it."""

    user: str
    session: str
    version: int  # the latest save
    track: str
    device: str | None  # the device's name, None for the channel
    kind: str  # what analyzers.probe_render renders: eq, compressor, limiter, gate, delay, fader, pan, send
    parameter: str
    unit: str
    current: float
    before: float
    direction: int
    settings: dict[str, Any]  # the device's (or the channel's) terms at current
    return_settings: dict[str, Any] | None  # a send's return: its reverb's terms
    refers_to: int  # the change the window is about
    file: str  # the latest save's file, as the log records it

    def header(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "track": self.track,
            "parameter": self.parameter,
            "unit": self.unit,
            "current": _rounded(self.current),
            "before": _rounded(self.before),
            "direction": self.direction,
        }


def find_target(store: Store, session: str, track: str, parameter: str, user: str) -> Target:
    """The latest change of `parameter` on `track` in `session`, with the setting as the latest
    save has it, probed for the engineer `user` (whose window it is). ProbeError when there is none."""
    change: LoggedEvent | None = None
    for event in store.events(session=session, types=("parameter-changed",)):
        p = event.payload
        if p.get("track") == track and p.get("parameter") == parameter and _number(p.get("after")) is not None:
            change = event
    if change is None:
        raise ProbeError(
            f"no change of {parameter} on {track} in {session} to probe",
            "`tapeop events --session NAME` lists the changes; a window is probed around a number the engineer moved",
        )
    saves = list(store.events(session=session, types=("session-saved",)))
    latest = max(saves, key=lambda e: e.version or 0)
    snapshot = store.session_at(session, latest.version or 0)
    if snapshot is None:
        raise ProbeError(f"{session}: its latest save is not in the log")
    payload = change.payload
    kind, settings, current, returned = _setting(snapshot, track, payload, parameter)
    before = float(payload["before"]) if _number(payload.get("before")) is not None else current
    moved = float(payload["after"]) - before
    return Target(
        user=user,
        session=session,
        version=latest.version or 0,
        track=track,
        device=payload.get("device"),
        kind=kind,
        parameter=parameter,
        unit=str(payload.get("unit") or ""),
        current=current,
        before=before,
        direction=-1 if moved < 0 else 1,
        settings=settings,
        return_settings=returned,
        refers_to=change.position,
        file=str(latest.payload.get("file", "")),
    )


def _setting(
    session: Session, track_name: str, payload: dict[str, Any], parameter: str
) -> tuple[str, dict[str, Any], float, dict[str, Any] | None]:
    """(render kind, the terms around the setting, its value now, a send's return terms)."""
    try:
        track = session.track(track_name)
    except KeyError:
        raise ProbeError(f"{track_name} is not in the latest save of {session.name}") from None
    device_name = payload.get("device")
    if device_name:
        device = _device(track, device_name, payload)
        settings: dict[str, Any] = {**device.param_dict, "enabled": device.enabled}
        value = _number(settings.get(parameter))
        if value is None:
            raise ProbeError(f"{track_name} / {device_name}: {parameter} has no number in the latest save")
        kind = _DEVICE_PREFIX.get(parameter.split(".", 1)[0])
        if kind is None:
            raise ProbeError(f"{parameter}: only EQ, compressor, limiter, gate and delay settings are probed")
        return kind, settings, value, None
    channel = {"volume_db": track.channel.volume_db, "pan": track.channel.pan}
    if parameter in channel:
        value = _number(channel[parameter])
        if value is None:
            raise ProbeError(f"{track_name}: the fader is at silence in the latest save")
        return ("fader" if parameter == "volume_db" else "pan"), channel, value, None
    send = _SEND.match(parameter)
    if send:
        target = next((s for s in track.sends if s.target == send[1]), None)
        if target is None or _number(target.level_db) is None:
            raise ProbeError(f"{track_name}: no send to {send[1]} with a level in the latest save")
        try:
            ret = session.track(send[1])
        except KeyError:
            raise ProbeError(f"{track_name}: the send's return {send[1]} is not in the latest save") from None
        reverb = next((d for d in ret.devices if d.kind == "reverb" and d.enabled), None)
        returned = dict(reverb.param_dict) if reverb is not None else {}
        level = float(target.level_db)  # type: ignore[arg-type]
        return "send", {**channel, parameter: level}, level, returned
    raise ProbeError(f"{parameter}: not a setting a window is probed for")


def _device(track: Track, name: str, payload: dict[str, Any]) -> Any:
    slot = (payload.get("where") or {}).get("device")
    if isinstance(slot, int) and slot < len(track.devices) and track.devices[slot].name == name:
        return track.devices[slot]
    found = next((d for d in track.devices if d.name == name), None)
    if found is None:
        raise ProbeError(f"{track.name}: the device {name} is not in the latest save")
    return found


def history_prior(store: Store, target: Target) -> Prior | None:
    """The engineer's own settled values for this kind of move on this kind of track, as a prior."""
    term = target.parameter.split(".")[-1] if target.kind not in ("send",) else "send_level_db"
    band = re.match(r"eq\.band(\d+)\.", target.parameter)
    band_type = target.settings.get(f"eq.band{band[1]}.type") if band else None
    freq = _number(target.settings.get(f"eq.band{band[1]}.freq_hz")) if band else None
    device = None if target.kind in ("fader", "pan", "send") else target.kind
    windows = history_windows(store.events(user=target.user), snapshot=store.session_at)
    found = window_for(windows, role_of(target.track), device, term, band_type, freq)
    return None if found is None else Prior(found.low, found.high, found.n)


@dataclass
class Probe:
    number: int
    value: float
    files: dict[str, str]

    def line(self, target: Target, excerpt: Excerpt) -> dict[str, Any]:
        """One probe as `tapeop probe --json` prints it (CONTRACT.md)."""
        return {
            "probe": self.number,
            **target.header(),
            "value": _rounded(self.value),
            "audio": self.files,
            "excerpt": excerpt.to_json(),
        }


@dataclass
class Prober:
    """One window probed: probes rendered into `folder`, answers taken, the window recorded."""

    store: Store
    target: Target
    folder: Path
    max_probes: int = DEFAULT_MAX
    prior: Prior | None = None
    samples: Planar | None = None  # the track's audio; read from the save when not given
    rate: int = 0
    answers: list[tuple[float, str]] = field(default_factory=list)
    scale: Scale = field(init=False)
    search: WindowSearch = field(init=False)
    excerpt: Excerpt = field(init=False)
    pending: Probe | None = None

    def __post_init__(self) -> None:
        target = self.target
        self.scale = scale_for(target.parameter, target.current, target.settings)
        self.search = WindowSearch(self.scale, target.current, target.direction, self.prior, self.max_probes)
        if self.samples is None:
            snapshot = self.store.session_at(target.session, target.version)
            assert snapshot is not None
            self.samples, self.rate = track_samples(
                target.file, snapshot, target.track, self.folder / "audio", MAX_SECONDS
            )
        self.excerpt = choose_excerpt(self.samples, self.rate, target.parameter, target.settings)

    def next(self) -> Probe | None:
        """The next probe, rendered (None: the window is known, or the probes are used up)."""
        value = self.search.next_value()
        if value is None:
            return None
        number = len(self.answers) + 1
        assert self.samples is not None
        files = render_probe(
            self.samples, self.rate, self.target.kind, self.target.settings, self.target.parameter, value,
            self.excerpt, self.folder, f"p{number}", return_settings=self.target.return_settings,
        )  # fmt: skip
        self.pending = Probe(
            number, value, {"before": str(files.before), "after": str(files.after), "switch": str(files.switch)}
        )
        return self.pending

    def answer(self, answer: str) -> None:
        """The engineer's answer to the pending probe."""
        if self.pending is None:
            raise ProbeError("no probe is waiting for an answer")
        self.search.answer(self.pending.value, answer)
        self.answers.append((self.pending.value, answer))
        self.pending = None

    def window(self) -> Window:
        return self.search.window()

    def finish(self) -> Window:
        """Record the window (partial if the answers stopped before it was known) as a
        `window-probed` event; nothing is recorded without a single answer."""
        window = self.search.window()
        if not self.answers:
            return window
        event = DerivedEvent(
            "window-probed",
            self.target.session,
            self.target.version,
            self.target.user,
            {
                "refers_to": self.target.refers_to,
                "track": self.target.track,
                "device": self.target.device,
                "parameter": self.target.parameter,
                "role": role_of(self.target.track),
                "current": _rounded(self.target.current),
                "direction": self.target.direction,
                "window": window.to_json(),
                "probes": [{"value": _rounded(v), "answer": a} for v, a in self.answers],
                "prior": None
                if self.prior is None
                else {"low": self.prior.low, "high": self.prior.high, "n": self.prior.n},
                "excerpt": self.excerpt.to_json(),
            },
        )
        self.store.append_as(WRITER, [event])
        return window


def amount(value: float, unit: str) -> str:
    """A setting as an engineer reads it: three significant figures and its unit ("4:1", "907 Hz")."""
    return f"{value:.3g}{unit}" if unit == ":1" else f"{value:.3g} {unit}".rstrip()


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _rounded(value: float) -> float:
    return float(f"{value:.4g}") if abs(value) < 1000 else round(value, 1)
