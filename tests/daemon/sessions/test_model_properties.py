"""Properties of the model, the DAWproject writer and reader, and the differ, over generated sessions:
- write then read is lossless for every field (floats to 1e-9: volumes are written as linear gain
  and times in seconds, as importers expect), and every written file validates against Project.xsd;
- a session diffed against itself, or against a re-serialization of itself, yields nothing;
- applying the diff of (old, new) to old gives new.
"""

from __future__ import annotations

import math
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from daemon.formats.dawproject import parse_project_xml, read_dawproject
from daemon.formats.dawproject_writer import project_xml, write_dawproject
from daemon.sessions.apply import apply_changes
from daemon.sessions.diff import diff
from daemon.sessions.model import Send, Session, Track, canonical_sends
from tests.strategies import sessions

SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def assert_close(a: Any, b: Any, path: str = "session") -> None:
    """Structural equality, floats within 1e-9 (relative or absolute)."""
    if is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), path
        for f in fields(a):
            assert_close(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, tuple | list):
        assert isinstance(b, tuple | list) and len(a) == len(b), f"{path}: {a!r} != {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and not isinstance(b, bool) and isinstance(b, float | int):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"{path}: {a!r} != {b!r}"
    else:
        assert a == b and type(a) is type(b), f"{path}: {a!r} != {b!r}"


@SETTINGS
@given(generated=sessions())
def test_write_then_read_is_lossless_and_valid(
    generated: tuple[Session, dict[str, bytes]], project_schema, tmp_path: Path
) -> None:
    session, states = generated
    data, _ = project_xml(session, states)
    assert project_schema.validate(etree.fromstring(data)), project_schema.error_log.last_error
    path = write_dawproject(session, tmp_path / "song.dawproject", states)
    back = read_dawproject(path, name=session.name)
    assert_close(session, back)
    assert diff(session, back) == []


@SETTINGS
@given(generated=sessions())
def test_a_session_diffed_against_itself_yields_nothing(generated: tuple[Session, dict[str, bytes]]) -> None:
    session, _ = generated
    assert diff(session, session) == []


@SETTINGS
@given(generated=sessions(), scale=st.floats(1 - 1e-9, 1 + 1e-9))
def test_reserialization_noise_is_not_a_change(generated: tuple[Session, dict[str, bytes]], scale: float) -> None:
    """Values re-printed with other digits, sends written in another order: no change."""
    session, states = generated
    data, _ = project_xml(session, states)
    text = data.decode()
    noisy = parse_project_xml(_jitter(text, scale).encode(), "noisy.xml", session.name)
    reordered = replace(session, tracks=tuple(_reverse_sends(t) for t in session.tracks))
    assert diff(session, reordered) == []
    assert diff(parse_project_xml(data, "clean.xml", session.name), noisy) == []


def _jitter(text: str, scale: float) -> str:
    import re

    def repl(match: re.Match[str]) -> str:
        value = float(match.group(2))
        return f'{match.group(1)}="{value * scale!r}"'

    return re.sub(r'\b(value|time|duration|fadeInTime|fadeOutTime|playStart)="(-?\d+\.\d+(?:e-?\d+)?)"', repl, text)


def _reverse_sends(track: Track) -> Track:
    return replace(track, sends=tuple(reversed(track.sends)), children=tuple(_reverse_sends(c) for c in track.children))


@SETTINGS
@given(a=sessions(), b=sessions())
def test_applying_the_diff_of_any_two_sessions_gives_the_second(
    a: tuple[Session, dict[str, bytes]], b: tuple[Session, dict[str, bytes]]
) -> None:
    old, new = a[0], b[0]
    changes = diff(old, new)
    result = apply_changes(old, changes)
    assert diff(result, new) == []


@st.composite
def edited(draw: st.DrawFn) -> tuple[Session, Session]:
    """A session and a later save of it, with edits an engineer makes (each well above the noise).

    Faders and pans are kept to 0.01: two tracks whose strips differ by less than the differ's
    tolerance (0 dB and 1e-104 dB) are the same to any matcher, and whichever of them a rename is
    paired with, the replayed save could only equal the new one within that tolerance."""
    session, _ = draw(sessions())
    session = replace(session, tracks=tuple(_rounded(t) for t in session.tracks))
    names = [t.name for t in session.all_tracks()]
    new = session
    for _ in range(draw(st.integers(1, 6))):
        edit = draw(st.sampled_from(["fader", "pan", "mute", "rename", "remove", "reorder", "device", "tempo", "clip"]))
        new = _edit(draw, new, edit, names)
    return session, new


def _rounded(track: Track) -> Track:
    ch = track.channel
    volume = None if ch.volume_db is None else round(ch.volume_db, 2)
    channel = replace(ch, volume_db=volume, pan=round(ch.pan, 2))
    return replace(track, channel=channel, children=tuple(_rounded(c) for c in track.children))


def _edit(draw: st.DrawFn, s: Session, edit: str, names: list[str]) -> Session:
    tracks = s.all_tracks()
    if not tracks:
        return s
    target = draw(st.sampled_from(tracks)).name

    def on(track: Track) -> Track:
        if track.name != target:
            return track
        ch = track.channel
        if edit == "fader":
            return replace(track, channel=replace(ch, volume_db=(ch.volume_db or -70.0) + draw(st.floats(0.5, 6.0))))
        if edit == "pan":
            return replace(track, channel=replace(ch, pan=-ch.pan if abs(ch.pan) > 0.05 else 0.5))
        if edit == "mute":
            return replace(track, channel=replace(ch, mute=not ch.mute))
        if edit == "device" and track.devices:
            chain = list(track.devices)
            i = draw(st.integers(0, len(chain) - 1))
            what = draw(st.sampled_from(["toggle", "remove", "reverse"]))
            if what == "toggle":
                chain[i] = replace(chain[i], enabled=not chain[i].enabled)
            elif what == "remove":
                chain.pop(i)
                lanes = tuple(lane for lane in track.automation if lane.device != track.devices[i].name)
                return replace(track, devices=tuple(chain), automation=lanes)
            else:
                chain.reverse()
            return replace(track, devices=tuple(chain))
        if edit == "clip" and track.clips:
            return replace(track, clips=track.clips[1:])
        return track

    if edit == "tempo":
        return replace(s, tempo_bpm=(s.tempo_bpm or 100.0) + 7.0)
    if edit == "rename":
        fresh = f"{target} (new)"
        if fresh in names:
            return s
        names.append(fresh)
        return replace(s, tracks=tuple(_renamed(t, target, fresh) for t in s.tracks))
    if edit == "remove":
        return replace(s, tracks=_without(s.tracks, target))
    if edit == "reorder":
        order = draw(st.permutations(list(s.tracks)))
        return replace(s, tracks=tuple(order))
    return replace(s, tracks=tuple(_map(t, on) for t in s.tracks))


def _map(track: Track, fn: Any) -> Track:
    return fn(replace(track, children=tuple(_map(c, fn) for c in track.children)))


def _renamed(track: Track, old: str, new: str) -> Track:
    sends = canonical_sends([replace(s, target=new if s.target == old else s.target) for s in track.sends])
    lanes = tuple(
        replace(lane, target=lane.target.replace(f"send.{old}.", f"send.{new}."))
        if lane.target.startswith(f"send.{old}.")
        else lane
        for lane in track.automation
    )
    from daemon.sessions.model import canonical_lanes

    return replace(
        track,
        name=new if track.name == old else track.name,
        channel=replace(track.channel, output=new if track.channel.output == old else track.channel.output),
        sends=sends,
        automation=canonical_lanes(list(lanes)),
        children=tuple(_renamed(c, old, new) for c in track.children),
    )


def _without(tracks: tuple[Track, ...], name: str) -> tuple[Track, ...]:
    kept = []
    for t in tracks:
        if t.name == name:
            continue
        sends: list[Send] = [s for s in t.sends if s.target != name]
        lanes = tuple(lane for lane in t.automation if not lane.target.startswith(f"send.{name}."))
        output = None if t.channel.output == name else t.channel.output
        kept.append(
            replace(
                t,
                sends=tuple(sends),
                automation=lanes,
                channel=replace(t.channel, output=output),
                children=_without(t.children, name),
            )
        )
    return tuple(kept)


@SETTINGS
@given(pair=edited())
def test_applying_the_diff_of_an_edited_save_gives_it_exactly(pair: tuple[Session, Session]) -> None:
    old, new = pair
    changes = diff(old, new)
    assert apply_changes(old, changes) == new


@SETTINGS
@given(pair=edited())
def test_a_renamed_track_is_a_rename_not_a_removal_and_an_addition(pair: tuple[Session, Session]) -> None:
    old, new = pair
    old_names = {t.name for t in old.all_tracks()}
    new_names = {t.name for t in new.all_tracks()}
    changes = diff(old, new)
    renamed = {(c.before, c.after) for c in changes if c.type == "track-renamed"}
    for name in new_names - old_names:
        base = name.removesuffix(" (new)")
        if base in old_names and base not in new_names:
            assert (base, name) in renamed
