"""Hypothesis strategies for normalized sessions, shaped like what readers produce: unique track
names, roles consistent with content and nesting, sends to return tracks, automation of targets
the track has, opaque plug-in state given as bytes (returned beside the session for the writer)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from hypothesis import strategies as st

from daemon.sessions.model import (
    AutomationLane,
    Channel,
    Clip,
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
    classify_plugin,
)

TRACK_NAMES = [
    "Kick",
    "Snare",
    "Bass DI",
    "Gtr L",
    "Gtr R",
    "Lead Vox",
    "BVs",
    "Keys",
    "Pad",
    "Drums",
    "Verb",
    "Delay",
    "Mix Bus",
    "Master",
]
PARAM_NAMES = ["Drive", "Mix", "Tone", "Cutoff", "Res", "Width", "Output"]
PLUGIN_NAMES = ["ReaEQ", "Pro-C 2", "Limiter No6", "Tape Sat", "Chorus X", "Noise Gate Pro", "Soothe"]
OTHER_NAMES = ["Delay+", "Reverb", "Chorus", "Tape", "Amp"]
FILES = ["audio/kick.wav", "audio/snare.wav", "audio/bass.wav", "audio/vox take 3.wav", "../stems/gtr.flac"]
TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC 0123456789-_()&<>\"'éß日", min_size=0, max_size=10)

db = st.floats(-60.0, 12.0, allow_nan=False)
plain = st.floats(-1000.0, 1000.0, allow_nan=False, allow_infinity=False)
positive = st.floats(0.0, 512.0, allow_nan=False)


@st.composite
def points(draw: st.DrawFn, values: st.SearchStrategy[float], max_size: int = 6) -> tuple[tuple[float, float], ...]:
    times = sorted(draw(st.lists(positive, max_size=max_size, unique=True)))
    return tuple((t, draw(values)) for t in times)


@st.composite
def raw_params(draw: st.DrawFn) -> dict[str, object]:
    names = draw(st.lists(st.sampled_from(PARAM_NAMES), max_size=3, unique=True))
    values = st.one_of(plain, st.integers(-100, 100), st.booleans(), st.none())
    return {f"param.{n}": draw(values) for n in names}


@st.composite
def eq_params(draw: st.DrawFn) -> dict[str, object]:
    params: dict[str, object] = {}
    for n in range(1, draw(st.integers(1, 4)) + 1):
        band = draw(st.sampled_from(["highpass", "lowpass", "bell", "lowshelf", "highshelf", "notch", "bandpass"]))
        params[f"eq.band{n}.type"] = band
        params[f"eq.band{n}.freq_hz"] = draw(st.floats(20.0, 20000.0))
        if band in ("highpass", "lowpass"):
            params[f"eq.band{n}.slope_db_oct"] = 6.0 * draw(st.integers(1, 8))
        else:
            params[f"eq.band{n}.gain_db"] = draw(st.floats(-24.0, 24.0))
        params[f"eq.band{n}.q"] = draw(st.floats(0.1, 18.0))
        params[f"eq.band{n}.enabled"] = draw(st.booleans())
    if draw(st.booleans()):
        params["eq.output_gain_db"] = draw(db)
    return params


@st.composite
def dynamics_params(draw: st.DrawFn, kind: str) -> dict[str, object]:
    ms = st.floats(0.1, 2000.0)
    if kind == "compressor":
        params: dict[str, object] = {
            "comp.threshold_db": draw(db),
            "comp.ratio": draw(st.one_of(st.floats(1.0, 30.0), st.none())),
            "comp.attack_ms": draw(ms),
            "comp.release_ms": draw(ms),
            "comp.auto_makeup": draw(st.booleans()),
        }
        if draw(st.booleans()):
            params["comp.knee_db"] = draw(st.floats(0.0, 24.0))
    elif kind == "gate":
        params = {"gate.threshold_db": draw(db), "gate.range_db": draw(db), "gate.attack_ms": draw(ms)}
    else:
        params = {"limiter.threshold_db": draw(db), "limiter.release_ms": draw(ms)}
    return params


@st.composite
def devices(draw: st.DrawFn, states: dict[str, bytes]) -> tuple[Device, ...]:
    chain = []
    used: set[str] = set()
    for _ in range(draw(st.integers(0, 4))):
        choice = draw(st.sampled_from(["eq", "compressor", "gate", "limiter", "other", "plugin"]))
        params = draw(raw_params())
        fmt = "builtin"
        if choice == "eq":
            name = draw(st.sampled_from(["EQ", "EQ+", "Channel EQ"]))
            params.update(draw(eq_params()))
        elif choice in ("compressor", "gate", "limiter"):
            name = {"compressor": "Compressor", "gate": "Gate", "limiter": "Limiter"}[choice]
            params.update(draw(dynamics_params(choice)))
        elif choice == "other":
            name = draw(st.sampled_from(OTHER_NAMES))
        else:
            name = draw(st.sampled_from(PLUGIN_NAMES))
            fmt = draw(st.sampled_from(["vst2", "vst3", "clap", "au"]))
        if name in used:
            continue
        used.add(name)
        kind = choice if choice != "plugin" else classify_plugin(name)
        state = None
        if fmt != "builtin" and draw(st.booleans()):
            blob = draw(st.binary(min_size=1, max_size=64))
            state = hashlib.sha256(blob).hexdigest()
            states[state] = blob
        chain.append(
            Device(
                kind=kind,  # type: ignore[arg-type]
                name=name,
                format=fmt,
                plugin_id=draw(
                    st.one_of(st.none(), st.sampled_from(["5653544d4555", "com.fabfilter.pro-c.2", "{1234}"]))
                ),
                vendor=draw(st.one_of(st.none(), st.sampled_from(["Cockos", "FabFilter", "Bitwig"]))),
                role=draw(st.sampled_from(["audioFX", "instrument", "noteFX", "analyzer"])),
                enabled=draw(st.booleans()),
                params=canonical_params(params),  # type: ignore[arg-type]
                state_sha256=state,
            )
        )
    return tuple(chain)


CONTENT = {
    "audio": ("audio",),
    "instrument": ("notes",),
    "group": ("tracks",),
    "return": ("audio",),
    "master": ("audio", "notes"),
    "vca": (),
}


@st.composite
def _track_shell(draw: st.DrawFn, name: str, role: str, states: dict[str, bytes]) -> Track:
    clips = []
    if role in ("audio", "instrument"):
        for _ in range(draw(st.integers(0, 3))):
            clips.append(
                Clip(
                    file=draw(st.sampled_from(FILES)),
                    position=draw(positive),
                    duration=draw(st.floats(0.25, 64.0)),
                    name=draw(TEXT),
                    gain_db=draw(st.one_of(st.just(0.0), st.floats(-24.0, 12.0))),
                    fade_in=draw(st.floats(0.0, 4.0)),
                    fade_out=draw(st.floats(0.0, 4.0)),
                    play_start=draw(st.floats(0.0, 8.0)),
                    enabled=draw(st.booleans()),
                )
            )
    return Track(
        name=name,
        role=role,  # type: ignore[arg-type]
        content_types=CONTENT[role],
        channel=Channel(
            volume_db=draw(st.one_of(db, st.none())),
            pan=draw(st.floats(-1.0, 1.0)),
            mute=draw(st.booleans()),
            solo=draw(st.booleans()),
            audio_channels=draw(st.sampled_from([None, 1, 2])),
        ),
        devices=draw(devices(states)),
        clips=canonical_clips(clips),
    )


@st.composite
def sessions(draw: st.DrawFn, names: list[str] | None = None) -> tuple[Session, dict[str, bytes]]:
    """A session and the plug-in state bytes its devices refer to (sha256 -> bytes)."""
    states: dict[str, bytes] = {}
    pool = draw(st.lists(st.sampled_from(names or TRACK_NAMES), min_size=1, max_size=8, unique=True))
    roles = [draw(st.sampled_from(["audio", "audio", "instrument", "group", "return", "master", "vca"])) for _ in pool]
    shells = [draw(_track_shell(n, r, states)) for n, r in zip(pool, roles)]
    # Nest: each non-group track may go into an earlier group.
    top: list[Track] = []
    children: dict[str, list[Track]] = {}
    for shell in shells:
        groups = [t.name for t in shells if t.role == "group" and t.name != shell.name and t.name in children]
        if groups and draw(st.booleans()):
            children[draw(st.sampled_from(groups))].append(shell)
        else:
            top.append(shell)
        if shell.role == "group":
            children[shell.name] = []
    returns = [t.name for t in shells if t.role == "return"]
    outputs = [t.name for t in shells if t.role in ("group", "master")]

    def finish(track: Track) -> Track:
        sends = (
            [
                Send(
                    r,
                    draw(st.one_of(db, st.none())),
                    draw(st.booleans()),
                    draw(st.booleans()),
                    draw(st.one_of(st.none(), st.floats(-1.0, 1.0))),
                )
                for r in draw(st.lists(st.sampled_from(returns), unique=True, max_size=2))
                if returns and r != track.name
            ]
            if returns
            else []
        )
        output = draw(st.one_of(st.none(), st.sampled_from(outputs))) if outputs else None
        if output == track.name:
            output = None
        track = replace(track, channel=replace(track.channel, output=output), sends=canonical_sends(sends))
        return replace(
            track,
            automation=draw(lanes(track)),
            children=tuple(finish(c) for c in children.get(track.name, [])),
        )

    tempo = draw(st.one_of(st.none(), st.floats(40.0, 240.0)))
    session = Session(
        name="Generated",
        application=draw(TEXT),
        application_version=draw(TEXT),
        tempo_bpm=tempo,
        time_signature=draw(st.one_of(st.none(), st.tuples(st.integers(1, 15), st.sampled_from([2, 4, 8, 16])))),
        time_unit=draw(st.sampled_from(["beats", "seconds"])),
        tracks=tuple(finish(t) for t in top),
        markers=canonical_markers([Marker(draw(TEXT), draw(positive)) for _ in range(draw(st.integers(0, 3)))]),
        tempo_automation=draw(points(st.floats(40.0, 240.0))) if tempo is not None else (),
    )
    return session, states


@st.composite
def lanes(draw: st.DrawFn, track: Track) -> tuple[AutomationLane, ...]:
    targets: list[tuple[str | None, str, st.SearchStrategy[float], bool]] = [
        (None, "volume_db", st.floats(-144.0, 12.0), False),
        (None, "pan", st.floats(-1.0, 1.0), False),
        (None, "mute", st.sampled_from([0.0, 1.0]), True),
    ]
    targets += [(None, f"send.{s.target}.level_db", db, False) for s in track.sends]
    for device in track.devices:
        targets.append((device.name, "enabled", st.sampled_from([0.0, 1.0]), True))
        for term, value in device.params:
            if isinstance(value, float) and term.startswith("param."):
                targets.append((device.name, term, plain, False))
            elif term.endswith("_db"):
                targets.append((device.name, term, db, False))
    chosen = draw(st.lists(st.sampled_from(targets), max_size=3, unique_by=lambda t: (t[0], t[1])))
    out = []
    for device, target, values, is_bool in chosen:
        pts = draw(points(values))
        interpolation = (
            "hold" if is_bool and pts else ("linear" if not pts else draw(st.sampled_from(["linear", "hold"])))
        )
        out.append(AutomationLane(target=target, device=device, points=pts, interpolation=interpolation))
    return canonical_lanes(out)
