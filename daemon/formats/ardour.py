"""Ardour reader: a session file (.ardour, its .bak, a .pending or a snapshot) into a Session.

An Ardour session is one XML document, `<Session version=... sample-rate=...>`. Two layouts
are read: Ardour 2 (`version="2.x.y"`), where a route's gain, pan and plug-ins hang off its
`<IO>`, `<Insert>` and `<Send>` elements, and Ardour 3 and later (`version="3.0.0"`, then
"3001" .. "7003"...), where a route is a chain of `<Processor>` elements. The 2005 format of
Ardour 0.x/1.x (`version="0.821.0"`, the old `.template` files) has Ardour 2's layout and is
read as it, its hex route flags decoded (0x2 the master). Which routes
are tracks, their roles and wiring are in daemon.formats.ardour_routes, plug-ins in
daemon.formats.ardour_plugins, time (samples, superclock, beats; the tempo map) in
daemon.formats.ardour_time. The rest of the mapping, with its sources (the Ardour/ardour
repository):

| Ardour | model |
|---|---|
| Amp processor `gaincontrol` (Ardour 2: IO `gain`), linear | `volume_db` |
| Trim processor `trimcontrol`, linear | a builtin device "Trim" with `param.trim_db` (no standard term); none for a trim at 0 dB without automation, which Ardour 4+ puts on every route (also when it opens an older session) and is no device the engineer added |
| Polarity processor (Ardour 7), inversion in the route's `phase` controllable `phase-invert` bits (last character = channel 1) | a builtin device "Polarity" with `param.invert_ch<N>`; none when no channel is inverted (Ardour puts one on every route) |
| a processor's `id` (Ardour 2 insert: its Redirect IO's `id`) | Device.uid |
| `pan-azimuth` 0..1 (Ardour 2: StreamPanner `x`, averaged over streams) | `pan` = 2 * azimuth - 1: libs/panners/1in2out sets the right gain from the azimuth and the left from 1 - azimuth, so 0 is hard left |
| `mute` / `solo` controllables, `self-solo` (Ardour 2: `muted`, `soloed`) | `mute`, `solo` |
| `intsend` processor (role Aux or Foldback, `target` route id; Ardour 2: `<Send>` whose IO outputs feed a route) | Send: its own amp's gain in dB, pre-fader when it sits before the route's Amp (Ardour 2: `placement`), enabled from `active` |
| plug-in processors and hardware inserts (Ardour 2: `<Insert>`) in chain order | Device (daemon.formats.ardour_plugins) |
| `<AutomationList>` events of gain, trim, pan-azimuth, mute, a send's gain, `parameter-N` (Ardour 2: IO, StreamPanner and PortAutomation lists) | AutomationLane, values in the target's standard unit |
| Playlist `<Region>` of the route's playlist, its `source-0` in `<Sources>` | Clip: file name as Ardour wrote it (the file lives in interchange/<session>/audiofiles or midifiles), position, length, `start` as play_start, `scale-gain` in dB, fade lengths, muted as disabled. MIDI regions too, on MIDI tracks |
| `<Location>` flagged IsMark (not session start/end) | Marker |
| TempoMap: first `Tempo`, first `Meter` | `tempo_bpm`, `time_signature` (daemon.formats.ardour_time) |
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from lxml import etree

from daemon.errors import ParseError
from daemon.formats.ardour_plugins import (
    PLUGIN_FORMATS,
    Port,
    bandwidth_to_q,
    build_device,
    insert_ports,
    port_lane,
    processor_ports,
    state_hash,
)
from daemon.formats.ardour_routes import RouteBuild, connections, freeze, index_route, v2_targets
from daemon.formats.ardour_time import DEFAULT_SUPERCLOCK, Clock, sample_rate, tempo_map
from daemon.formats.guard import LIMITS, parse_xml
from daemon.formats.values import finite_or_problem, read_capped, shown
from daemon.sessions import units
from daemon.sessions.model import (
    AutomationLane,
    Channel,
    Clip,
    Device,
    Marker,
    ParamValue,
    Send,
    Session,
    canonical_markers,
    canonical_params,
)

SUFFIXES: tuple[str, ...] = (".ardour.bak", ".ardour", ".pending", ".template")

DEFAULT_FADE_SAMPLES = 64  # Ardour's default region fade
NEUTRAL_DB = 1e-6  # a trim within this of 0 dB is at unity


def read_ardour(path: str | Path, name: str | None = None) -> Session:
    """Read an Ardour session file. Raises ParseError naming the file and the reason."""
    path = Path(path)
    root = parse_xml(read_capped(path, LIMITS.max_xml_bytes, "session XML"), path)
    return _Reader(path, root, name if name is not None else session_name(path.name)).session()


def session_name(filename: str) -> str:
    """The session's name from a file name: "Song.ardour.bak" and "Song.pending" are "Song"."""
    lower = filename.lower()
    for suffix in SUFFIXES:
        if lower.endswith(suffix):
            return filename[: -len(suffix)]
    return Path(filename).stem


def format_version(text: str) -> int:
    """Ardour's session format as one number: "2.0.0" is 2000, "3.0.0" 3000, "3001" 3001."""
    if "." in text:
        major, _, rest = text.partition(".")
        minor = rest.partition(".")[0]
        return int(major) * 1000 + (int(minor) if minor.isdigit() else 0)
    return int(text)


class _Reader:
    def __init__(self, path: Path, root: etree._Element, name: str) -> None:
        self.path = path
        self.root = root
        self.name = name
        self.problems: list[str] = []
        self.version = 0
        self.clock = Clock(48_000.0, float(DEFAULT_SUPERCLOCK), None)
        self.routes: list[RouteBuild] = []
        self.by_id: dict[str, RouteBuild] = {}
        self.by_name: dict[str, RouteBuild] = {}
        self.sources: dict[str, str] = {}

    # -- entry -------------------------------------------------------------------------------
    def session(self) -> Session:
        root = self.root
        version = self._format(root)
        tempo, signature, superclock = tempo_map(root.find("TempoMap"), self.problems)
        self.clock = Clock(sample_rate(root, self.problems), superclock, tempo)
        self.sources = {s.get("id", ""): s.get("name", "") for s in root.iterfind("Sources/Source")}
        routes_el = root.find("Routes")
        route_els = [] if routes_el is None else [r for r in routes_el.iterchildren("Route")]
        for index, el in enumerate(route_els):
            build = index_route(el, index, self.problems)
            if build is not None:
                self.routes.append(build)
                self.by_id[build.ident] = build
                self.by_name[build.name] = build
        for build in self.routes:
            if self.version < 3000:
                self._route_v2(build)
            else:
                self._route(build)
        fed = {s.target for b in self.routes for s in b.sends}
        clips = self._playlists()
        tracks = [
            freeze(b, fed, clips.get(b.ident, []), self.by_name)
            for b in sorted(self.routes, key=lambda b: (b.master, b.order))
        ]
        return Session(
            name=self.name,
            application="Ardour",
            application_version=version,
            tempo_bpm=tempo,
            time_signature=signature,
            time_unit="seconds",
            tracks=tuple(tracks),
            markers=self._markers(),
            problems=tuple(self.problems),
        )

    def _format(self, root: etree._Element) -> str:
        """The `<Session>`'s version as written, once it is known to be a format this reads
        (self.version holds it as a number); else a ParseError with the reason."""
        if not isinstance(root.tag, str) or root.tag != "Session":
            tag = root.tag if isinstance(root.tag, str) else "?"
            raise ParseError(self.path, f"not an Ardour session: the root element is <{tag}>, not <Session>")
        version = root.get("version")
        if not version:
            raise ParseError(self.path, "not an Ardour session: <Session> has no version")
        try:
            self.version = format_version(version)
        except ValueError:
            raise ParseError(self.path, f"not an Ardour session: version {shown(version)} is no number") from None
        if self.version < 800:
            raise ParseError(
                self.path,
                f"Ardour session format {shown(version)} is not supported: only sessions saved by Ardour 0.8 "
                "and later are read",
            )
        return version

    # -- session level -----------------------------------------------------------------------
    def _markers(self) -> tuple[Marker, ...]:
        markers = []
        for loc in self.root.iterfind("Locations/Location"):
            flags = set((loc.get("flags") or "").split(","))
            if "IsMark" not in flags or flags & {"IsStart", "IsEnd", "IsSessionRange"}:
                continue
            time = self.clock.seconds(loc.get("start"))
            if time is None:
                self.problems.append(f"marker {shown(loc.get('name'))}: unreadable start; ignored")
                continue
            markers.append(Marker(name=loc.get("name") or "", time=time))
        return canonical_markers(markers)

    # -- routes ------------------------------------------------------------------------------
    def _route(self, b: RouteBuild) -> None:
        """An Ardour 3+ route: controllables, pannable and the processor chain."""
        processors = [p for p in b.el.iterchildren("Processor")]
        amp_at = next((i for i, p in enumerate(processors) if p.get("type") == "amp"), None)
        b.channel = self._channel(b, processors, amp_at)
        b.outputs = connections(b.el)
        for i, proc in enumerate(processors):
            kind = proc.get("type") or ""
            if kind == "intsend" and proc.get("role") != "Listen":
                self._intsend(b, proc, pre_fader=amp_at is not None and i < amp_at)
            elif kind == "trim":
                trim = self._trim(b, proc)
                b.devices += [trim] if trim is not None else []
            elif kind == "polarity":
                polarity = self._polarity(b, proc)
                b.devices += [polarity] if polarity is not None else []
            elif kind in PLUGIN_FORMATS or kind == "port":
                b.devices.append(self._plugin(b, proc, kind))

    def _channel(self, b: RouteBuild, processors: list[etree._Element], amp_at: int | None) -> Channel:
        """An Ardour 3+ route's fader (the Amp's gain), pan, mute and solo, with their lanes."""
        el = b.el
        where = f"track {b.name!r}"
        controls = {c.get("name"): c for c in el.iterchildren("Controllable")}
        volume_db: float | None = 0.0
        if amp_at is not None:
            amp = processors[amp_at]
            volume_db = self._gain(amp, "gaincontrol", where)
            self._lane(b, amp, "gain", "volume_db", None, "db")
        pannable = el.find("Pannable")
        if pannable is None:
            outs = next((p for p in processors if p.get("type") == "main-outs"), None)
            pannable = outs.find("Pannable") if outs is not None else None
        pan = 0.0
        if pannable is not None:
            azimuth = next((c for c in pannable.iterchildren("Controllable") if c.get("name") == "pan-azimuth"), None)
            if azimuth is not None:
                value = self._number(azimuth.get("value"), f"{where} pan")
                pan = 0.0 if value is None else 2.0 * min(max(value, 0.0), 1.0) - 1.0
            self._lane(b, pannable, "pan-azimuth", "pan", None, "pan")
        self._lane(b, el, "mute", "mute", None, "bool")
        mute_el, solo_el = controls.get("mute"), controls.get("solo")
        muted = mute_el is not None and (self._number(mute_el.get("value"), f"{where} mute") or 0.0) > 0.5
        master = el.find("MuteMaster")
        muted = muted or (master is not None and _yes(master.get("muted")))
        soloed = _yes(el.get("self-solo")) or (solo_el is not None and _yes(solo_el.get("self-solo")))
        if solo_el is not None and not soloed:
            soloed = (self._number(solo_el.get("value"), f"{where} solo") or 0.0) > 0.5
        return Channel(volume_db=volume_db, pan=pan, mute=muted, solo=soloed)

    def _intsend(self, b: RouteBuild, proc: etree._Element, pre_fader: bool) -> None:
        target = self.by_id.get(proc.get("target") or "")
        if target is None:
            self.problems.append(f"track {b.name!r} send {shown(proc.get('name'))}: its target is no route; ignored")
            return
        holder = next((p for p in proc.iterchildren("Processor") if p.get("type") == "amp"), proc)
        level = self._gain(holder, "gaincontrol", f"track {b.name!r} send to {target.name!r}")
        term = f"send.{target.name}.level_db"
        self._lane(b, holder, "gain", term, None, "db")
        if holder is not proc:
            self._lane(b, proc, "gain", term, None, "db")
        b.sends.append(Send(target=target.name, level_db=level, pre_fader=pre_fader, enabled=_yes(proc.get("active"))))

    def _trim(self, b: RouteBuild, proc: etree._Element) -> Device | None:
        """The Trim device; None for a trim at 0 dB with no automation (module docstring)."""
        where = f"track {b.name!r} trim"
        trim = self._gain(proc, "trimcontrol", where)
        lanes = len(b.lanes)
        self._lane(b, proc, "trim", "param.trim_db", "Trim", "db")
        if trim is not None and abs(trim) < NEUTRAL_DB and len(b.lanes) == lanes:
            return None
        return Device(
            kind="other",
            name="Trim",
            enabled=_yes(proc.get("active")),
            params=canonical_params({"param.trim_db": trim}),
            uid=proc.get("id"),
        )

    def _polarity(self, b: RouteBuild, proc: etree._Element) -> Device | None:
        """The Polarity device of the channels the route's phase control inverts; None when none is."""
        phase = next((c for c in b.el.iterchildren("Controllable") if c.get("name") == "phase"), None)
        bits = (phase.get("phase-invert") if phase is not None else None) or ""
        if "1" not in bits or set(bits) - {"0", "1"}:
            return None
        inverted: dict[str, ParamValue] = {f"param.invert_ch{n}": bit == "1" for n, bit in enumerate(reversed(bits), 1)}
        return Device(
            kind="other",
            name="Polarity",
            enabled=_yes(proc.get("active")),
            params=canonical_params(inverted),
            uid=proc.get("id"),
        )

    def _plugin(self, b: RouteBuild, proc: etree._Element, kind: str) -> Device:
        """A plug-in processor (or hardware insert) and the automation of its ports."""
        name = proc.get("name") or kind
        node = proc.find(kind) if kind in PLUGIN_FORMATS else None
        ports = processor_ports(proc, node, f"track {b.name!r}, device {name!r}", self.problems)
        active = _yes(proc.get("active"))
        device = build_device(name, kind, proc.get("unique-id"), active, ports, state_hash(node, name), proc.get("id"))
        automation = proc.find("Automation")
        if automation is not None:
            for alist in automation.iterchildren("AutomationList"):
                ident = alist.get("automation-id") or ""
                if ident.startswith("parameter-") and ident[10:].isdigit():
                    self._port_lane(b, device, ports, int(ident[10:]), alist)
        return device

    # -- Ardour 2 ----------------------------------------------------------------------------
    def _route_v2(self, b: RouteBuild) -> None:
        """An Ardour 2 route: gain and panner on its IO, plug-ins in <Insert>, sends in <Send>."""
        el = b.el
        where = f"track {b.name!r}"
        io = el.find("IO")
        volume_db: float | None = 0.0
        pan = 0.0
        if io is not None:
            volume_db = self._linear_db(io.get("gain"), f"{where} gain")
            self._lane_v2(b, io.find("Automation/AutomationList"), "volume_db", None, "db")
            streams = list(io.iterfind("Panner/StreamPanner"))
            xs = [x for x in (self._number(s.get("x"), f"{where} pan") for s in streams) if x is not None]
            if xs:
                pan = 2.0 * min(max(sum(xs) / len(xs), 0.0), 1.0) - 1.0
            if len(streams) == 1:
                self._lane_v2(b, streams[0].find("Automation/AutomationList"), "pan", None, "pan")
            b.outputs = [t for t in v2_targets(io.get("outputs")) if t != b.name]
        b.channel = Channel(volume_db=volume_db, pan=pan, mute=_yes(el.get("muted")), solo=_yes(el.get("soloed")))
        for child in el:
            if child.tag == "Insert":
                b.devices.append(self._insert_v2(b, child))
            elif child.tag == "Send":
                self._send_v2(b, child)

    def _insert_v2(self, b: RouteBuild, el: etree._Element) -> Device:
        kind = el.get("type") or ""
        redirect = el.find("Redirect")
        io = redirect.find("IO") if redirect is not None else None
        name = (io.get("name") if io is not None else None) or kind or "Insert"
        node = el.find(kind) if kind else None
        ports = insert_ports(el, node, f"track {b.name!r}, device {name!r}", self.problems)
        active = redirect is None or _yes(redirect.get("active"))
        uid = io.get("id") if io is not None else None
        device = build_device(name, kind, el.get("unique-id"), active, ports, state_hash(node, name), uid)
        for port_el in el.iterfind("PortAutomation/port"):
            number = port_el.get("number") or ""
            alist = port_el.find("AutomationList")
            if number.isdigit() and alist is not None:
                self._port_lane(b, device, ports, int(number), alist)
        return device

    def _send_v2(self, b: RouteBuild, el: etree._Element) -> None:
        redirect = el.find("Redirect")
        io = redirect.find("IO") if redirect is not None else None
        if redirect is None or io is None:
            return
        targets = [t for t in v2_targets(io.get("outputs")) if t in self.by_name]
        if not targets:
            self.problems.append(f"track {b.name!r} send {shown(io.get('name'))}: feeds no route; ignored")
            return
        target = targets[0]
        level = self._linear_db(io.get("gain"), f"track {b.name!r} send to {target!r}")
        self._lane_v2(b, io.find("Automation/AutomationList"), f"send.{target}.level_db", None, "db")
        b.sends.append(
            Send(
                target=target,
                level_db=level,
                pre_fader=redirect.get("placement") == "PreFader",
                enabled=_yes(redirect.get("active")),
            )
        )

    # -- values ------------------------------------------------------------------------------
    def _number(self, text: str | None, where: str) -> float | None:
        return finite_or_problem(text, where, self.problems)

    def _linear_db(self, text: str | None, where: str) -> float | None:
        """A linear gain in dB; None for silence; 0 dB where the value is missing or bad."""
        value = self._number(text, where)
        if value is None:
            return 0.0
        return units.linear_to_db(value)

    def _gain(self, holder: etree._Element, control: str, where: str) -> float | None:
        el = next((c for c in holder.iterchildren("Controllable") if c.get("name") == control), None)
        return 0.0 if el is None else self._linear_db(el.get("value"), where)

    # -- automation --------------------------------------------------------------------------
    def _lists(self, holder: etree._Element, ident: str) -> Iterator[etree._Element]:
        automation = holder.find("Automation")
        if automation is not None:
            for alist in automation.iterchildren("AutomationList"):
                if alist.get("automation-id") == ident:
                    yield alist

    def _lane(
        self, b: RouteBuild, holder: etree._Element, ident: str, term: str, device: str | None, kind: str
    ) -> None:
        for alist in self._lists(holder, ident):
            self._lane_v2(b, alist, term, device, kind)

    def _lane_v2(self, b: RouteBuild, alist: etree._Element | None, term: str, device: str | None, kind: str) -> None:
        if alist is None:
            return
        points = self._events(alist, f"track {b.name!r} automation of {term}", kind)
        if points:
            interpolation = "hold" if kind == "bool" or alist.get("interpolation-style") == "Discrete" else "linear"
            b.lanes.append(AutomationLane(target=term, device=device, points=points, interpolation=interpolation))

    def _port_lane(
        self, b: RouteBuild, device: Device, ports: dict[int, Port], index: int, alist: etree._Element
    ) -> None:
        lane = port_lane(device, ports, index)
        if lane is not None:
            term, kind = lane
            self._lane_v2(b, alist, term, device.name, kind)

    def _events(self, alist: etree._Element, where: str, kind: str) -> tuple[tuple[float, float], ...]:
        """An AutomationList's events ("time value" lines) in seconds and standard units."""
        events = alist.find("events")
        text = events.text if events is not None else None
        if not text or not text.strip():
            return ()
        times: list[float] = []
        values: list[float] = []
        bad = 0
        for line in text.splitlines():
            parts = line.split()
            if not parts:
                continue
            time = self.clock.seconds(parts[0]) if len(parts) == 2 else None
            try:
                value = units.finite(parts[1]) if time is not None else None
            except ValueError:
                value = None
            if time is None or value is None:
                bad += 1
                continue
            times.append(time)
            values.append(value)
        if bad:
            self.problems.append(f"{where}: {bad} event(s) with an unreadable time or value; ignored")
        array = np.array(values, dtype=float)
        if kind == "db":
            array = units.convert_array("db", "linear", array, None, None, None)
        elif kind == "pan":
            array = 2.0 * np.clip(array, 0.0, 1.0) - 1.0
        elif kind == "bool":
            array = (array > 0.5).astype(float)
        elif kind == "q":
            array = np.array([bandwidth_to_q(v) for v in array.tolist()], dtype=float)
        return tuple(zip(times, array.tolist()))

    # -- regions -----------------------------------------------------------------------------
    def _playlists(self) -> dict[str, list[Clip]]:
        """Clips per route id, from the playlist each track plays."""
        playlists = self.root.find("Playlists")
        if playlists is None:
            return {}
        by_key: dict[str, etree._Element] = {}
        for pl in playlists.iterchildren("Playlist"):
            for key in (pl.get("id"), pl.get("name")):
                if key:
                    by_key.setdefault(key, pl)
        streams = {d.get("id"): d.get("playlist") for d in self.root.iterfind("DiskStreams/*")}
        out: dict[str, list[Clip]] = {}
        for b in self.routes:
            if not b.track:
                continue
            diskstream = b.el.find("Diskstream")
            key = (
                b.el.get("audio-playlist")
                or b.el.get("midi-playlist")
                or (diskstream.get("playlist") if diskstream is not None else None)
                or streams.get(b.el.get("diskstream-id"))
            )
            playlist = by_key.get(key or "")
            if playlist is None:
                playlist = next(
                    (
                        pl
                        for pl in playlists.iterchildren("Playlist")
                        if pl.get("orig-track-id") == b.ident
                        or (b.el.get("diskstream-id") and pl.get("orig_diskstream_id") == b.el.get("diskstream-id"))
                    ),
                    None,
                )
            if playlist is not None:
                out[b.ident] = [c for c in (self._clip(r, b.name) for r in playlist.iterchildren("Region")) if c]
        return out

    def _clip(self, el: etree._Element, track: str) -> Clip | None:
        where = f"track {track!r} region {shown(el.get('name'))}"
        source = self.sources.get(el.get("source-0") or "")
        if not source:
            self.problems.append(f"{where}: names no source; ignored")
            return None
        position = self.clock.seconds(el.get("position"))
        length = self.clock.seconds(el.get("length"))
        if position is None or length is None:
            self.problems.append(f"{where}: unreadable position or length; ignored")
            return None
        gain = self._linear_db(el.get("scale-gain"), f"{where} gain")
        return Clip(
            file=source,
            position=position,
            duration=length,
            name=el.get("name") or "",
            gain_db=units.SILENCE_DB if gain is None else gain,
            fade_in=self._fade(el.find("FadeIn"), el.get("fade-in-active")),
            fade_out=self._fade(el.find("FadeOut"), el.get("fade-out-active")),
            play_start=self.clock.seconds(el.get("start")) or 0.0,
            enabled=not _yes(el.get("muted")),
        )

    def _fade(self, el: etree._Element | None, active: str | None) -> float:
        """A fade's length in seconds: the last point of its curve; Ardour's default of 64
        samples where the region keeps the default."""
        if el is None or (active is not None and not _yes(active)) or el.get("active") in ("no", "0"):
            return 0.0
        events = el.find("AutomationList/events")
        if events is not None and events.text:
            times = [self.clock.seconds(line.split()[0]) for line in events.text.splitlines() if line.split()]
            known = [t for t in times if t is not None]
            if known:
                return max(known)
        return DEFAULT_FADE_SAMPLES / self.clock.sample_rate if _yes(el.get("default")) else 0.0


def _yes(text: str | None) -> bool:
    return (text or "").strip().lower() in ("yes", "1", "true")
