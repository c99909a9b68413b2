"""Read and diff cost of a large DAWproject session, against the bare lxml parse of the same bytes.

Anchor: ../shared/research/perf-anchors.md, section 4 (XML): a 200-track project.xml of about
31 MB and 433k elements, where `lxml.etree.fromstring` is the floor (276 ms on the anchor machine).
This bench builds a session of that shape with the real writer (200 tracks, each with an EQ, a
compressor and two VST3 plug-ins of 30 parameters, 2 sends, 2 clips, 2,000 automation points; plus
2 returns and a master), and a second version with 20 edits. It then times, side by side in one
run, median of 5 runs after 1 warm-up (1 run with --quick), round-robin, default gc, each
result freed outside the timed window (see settle_allocator):

- floor: `etree.fromstring(data)`, plain parser, default options (bare lxml parse)
- read:  `parse_project_xml(data, ...)`, safe parse + building the Session; target <= 3x floor
- diff:  `diff(v1, v2)` on the two read sessions;                           target <= 0.5x floor

The REAPER case: a generated 200-track .RPP of the same weight (per track: VOLPAN,
MUTESOLO, two VST plug-ins with 2 KB of base64 state each, two JS effects with 30 sliders, a
volume envelope of 2,000 points and a plug-in parameter envelope of 1,000, two items; two
return tracks receiving every track), read with `read_reaper`'s parser and diffed against a
version with 20 fader moves, next to the floor of reading its bytes and splitting them into
lines (a tokenizer's least work). No target is set for it; the ratios are printed.

Run from the repo root: `python bench/parse_diff.py [--quick] [--profile] [--keep]`.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gc
import platform
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxml import etree  # noqa: E402

from daemon.formats.dawproject import parse_project_xml, read_dawproject  # noqa: E402
from daemon.formats.dawproject_writer import project_xml  # noqa: E402
from daemon.formats.reaper import parse_reaper_bytes  # noqa: E402
from daemon.sessions.diff import diff  # noqa: E402
from daemon.sessions.model import (  # noqa: E402
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
    canonical_params,
)

SEED = 20240611
N_TRACKS = 200
RETURNS = ("Reverb Return", "Delay Return")
BAND_TYPES = ("highpass", "lowshelf", "bell", "bell", "highshelf", "lowpass")
SOURCES = ("Kick", "Snare", "Hat", "Tom", "Bass", "Gtr", "Keys", "Pad", "Vox", "Strings")
COMP_TERMS = ("threshold_db", "ratio", "attack_ms", "release_ms", "knee_db", "input_gain_db", "output_gain_db")
PLUGINS = (("Tape Sat", "Drive"), ("Chorus X", "Rate"))  # (name, first of its 30 parameters)
POINTS_PER_LANE = 1_000


def _eq(rng: random.Random) -> Device:
    params: dict = {}
    for band, band_type in enumerate(BAND_TYPES, start=1):
        p = f"eq.band{band}"
        params |= {
            f"{p}.type": band_type,
            f"{p}.freq_hz": round(rng.uniform(30, 16_000), 1),
            f"{p}.gain_db": round(rng.uniform(-12, 12), 1),
            f"{p}.q": round(rng.uniform(0.3, 4), 2),
            f"{p}.enabled": rng.random() > 0.2,
        }
    return Device(kind="eq", name="EQ", params=canonical_params(params))


def _comp(rng: random.Random) -> Device:
    params: dict = {f"comp.{t}": round(rng.uniform(1.5, 40), 2) for t in COMP_TERMS}
    params["comp.threshold_db"] = round(rng.uniform(-40, 0), 1)
    params["comp.auto_makeup"] = rng.random() > 0.5
    params |= {f"param.Aux{i:02d}": round(rng.random(), 4) for i in range(30 - len(params))}
    return Device(kind="compressor", name="Comp", params=canonical_params(params))


def _plugin(rng: random.Random, name: str, first: str) -> Device:
    names = [first] + [f"{name.split()[0]}{i:02d}" for i in range(1, 30)]
    return Device(
        kind="plugin",
        name=name,
        format="vst3",
        plugin_id=f"{rng.getrandbits(128):032X}",
        vendor="Bench Audio",
        params=canonical_params({f"param.{n}": round(rng.random(), 4) for n in names}),
    )


def _track(rng: random.Random, i: int) -> Track:
    name = f"{i + 1:03d} {SOURCES[i % len(SOURCES)]}"
    devices = (_eq(rng), _comp(rng), *(_plugin(rng, n, f) for n, f in PLUGINS))
    times = [round(k * 0.25, 4) for k in range(POINTS_PER_LANE)]
    volume = AutomationLane("volume_db", points=tuple((t, round(rng.uniform(-30, 0), 2)) for t in times))
    drive = AutomationLane(
        f"param.{PLUGINS[0][1]}", device=PLUGINS[0][0], points=tuple((t, round(rng.random(), 4)) for t in times)
    )
    # Clip(file, position, duration, name, gain_db, fade_in, fade_out)
    clips = [
        Clip(f"audio/{name.replace(' ', '_')}_{k}.wav", 64.0 * k, 60.0, f"take {k}", -3.0 * k, 0.25, 0.5)
        for k in (1, 2)
    ]
    return Track(
        name=name,
        role="audio",
        content_types=("audio",),
        channel=Channel(volume_db=round(rng.uniform(-20, 0), 1), pan=round(rng.uniform(-1, 1), 2)),
        sends=tuple(Send(r, level_db=round(rng.uniform(-30, -6), 1)) for r in RETURNS),
        devices=devices,
        automation=canonical_lanes([volume, drive]),
        clips=canonical_clips(clips),
    )


def make_session(seed: int = SEED) -> Session:
    rng = random.Random(seed)
    tracks = [_track(rng, i) for i in range(N_TRACKS)]
    chorus = _plugin(rng, "Chorus X", "Rate")
    tracks += [Track(name=r, role="return", channel=Channel(volume_db=-6.0), devices=(chorus,)) for r in RETURNS]
    tracks.append(Track(name="Master", role="master", channel=Channel(volume_db=0.0)))
    markers = tuple(Marker(f"Section {k}", 32.0 * k) for k in range(8))
    return Session(
        name="bench",
        application="Bench",
        application_version="1.0",
        tempo_bpm=120.0,
        time_signature=(4, 4),
        time_unit="beats",
        tracks=tuple(tracks),
        markers=markers,
    )


def _set_param(device: Device, term: str, value: object) -> Device:
    return replace(device, params=canonical_params({**device.param_dict, term: value}))


def edit_session(s: Session) -> tuple[Session, int]:
    """Version 2: 20 edits of the kinds an engineer makes between two saves."""
    t = list(s.tracks)
    for i, db in ((3, -4.5), (17, -9.0), (42, -1.5), (88, -12.0), (150, 0.0)):  # 5 fader moves
        t[i] = replace(t[i], channel=replace(t[i].channel, volume_db=db))
    for i in (5, 61):  # 2 pans
        t[i] = replace(t[i], channel=replace(t[i].channel, pan=-t[i].channel.pan or 0.5))
    t[9] = replace(t[9], channel=replace(t[9].channel, mute=True))  # 1 mute
    for i in (10, 77, 120):  # 3 EQ gains
        d = t[i].devices
        t[i] = replace(t[i], devices=(_set_param(d[0], "eq.band3.gain_db", 4.5), *d[1:]))
    for i in (30, 99):  # 2 devices toggled off
        d = t[i].devices
        t[i] = replace(t[i], devices=(d[0], replace(d[1], enabled=False), *d[2:]))
    for i in (55, 140):  # 2 plug-in parameters
        d = t[i].devices
        t[i] = replace(t[i], devices=(*d[:2], _set_param(d[2], "param.Drive", 0.9), d[3]))
    t[66] = replace(t[66], sends=(replace(t[66].sends[0], level_db=-3.0), *t[66].sends[1:]))  # 1 send level
    for i in (12, 70, 180):  # 3 lanes with points moved
        lanes = list(t[i].automation)
        pts = list(lanes[0].points)
        pts[100:105] = [(time_, value - 6.0) for time_, value in pts[100:105]]
        lanes[0] = replace(lanes[0], points=tuple(pts))
        t[i] = replace(t[i], automation=tuple(lanes))
    t[25] = replace(t[25], name="026 Gtr DI")  # 1 rename
    return replace(s, tracks=tuple(t)), 20


RPP_TRACKS = 200
RPP_VOLUME_POINTS = 2_000
RPP_PARAM_POINTS = 1_000


def rpp_text(rng: random.Random, volumes: list[float]) -> str:
    """A 200-track REAPER project (see the module docstring); `volumes` are the faders (linear)."""
    out = ['<REAPER_PROJECT 0.1 "7.26/linux-x86_64" 1733339460', "  TEMPO 120 4 4"]
    for i, volume in enumerate(volumes):
        out += [f"  <TRACK {{{rng.getrandbits(128):032X}}}", f'    NAME "{i + 1:03d} {SOURCES[i % len(SOURCES)]}"']
        out += [f"    VOLPAN {volume!r} {rng.uniform(-1, 1):.4f} -1 -1 1", "    MUTESOLO 0 0 0", "    ISBUS 0 0"]
        out += ["    <FXCHAIN", "      SHOW 0", "      LASTSEL 0", "      DOCKED 0"]
        for name, vendor in (("Tape Sat", "Bench Audio"), ("Chorus X", "Bench Audio")):
            blob = base64.b64encode(rng.randbytes(2048)).decode()
            out += ["      BYPASS 0 0 0", f'      <VST "VST: {name} ({vendor})" bench.so 0 "" {rng.getrandbits(31)} ""']
            out += [f"        {blob[k : k + 128]}" for k in range(0, len(blob), 128)] + ["      >"]
            out += [f'      <PARMENV 0:_Drive 0 1 0.5 "Drive / {name}"', "        ACT 1 -1"]
            out += [f"        PT {k * 0.25:.2f} {rng.random():.4f} 0" for k in range(RPP_PARAM_POINTS // 2)] + [
                "      >"
            ]
        for effect in ("utility/volume", "bench/saturation"):
            sliders = " ".join(f"{rng.uniform(-12, 12):.4f}" for _ in range(30)) + " -" * 34
            out += ["      BYPASS 0 0 0", f'      <JS {effect} ""', f"        {sliders}", "      >"]
        out += ["    >", "    <VOLENV2", "      ACT 1 -1", "      VIS 1 1 1"]
        out += [f"      PT {k * 0.25:.2f} {rng.uniform(0, 1):.4f} 0" for k in range(RPP_VOLUME_POINTS)] + ["    >"]
        for k in (1, 2):
            out += ["    <ITEM", f"      POSITION {32.0 * k}", "      LENGTH 30", "      FADEIN 1 0.01 0 1 0 0 0"]
            out += [
                f'      NAME "take {k}"',
                "      <SOURCE WAVE",
                f'        FILE "audio/t{i + 1:03d}_{k}.wav"',
                "      >",
                "    >",
            ]
        out.append("  >")
    for name in ("Verb", "Delay"):
        out += [f"  <TRACK {{{rng.getrandbits(128):032X}}}", f"    NAME {name}", "    VOLPAN 1 0 -1 -1 1"]
        out += [f"    AUXRECV {i} 0 0.5 0 0 0 0 0 0 -1:U 0 -1 ''" for i in range(len(volumes))] + ["  >"]
    return "\n".join([*out, ">", ""])


def reaper_case(runs: int, warmup: int) -> None:
    """The REAPER read and diff, next to reading the bytes and splitting the lines."""
    rng = random.Random(SEED + 1)
    volumes = [round(10 ** (rng.uniform(-20, 0) / 20), 6) for _ in range(RPP_TRACKS)]
    edited = list(volumes)
    for i in rng.sample(range(RPP_TRACKS), 20):
        edited[i] = round(edited[i] * 10 ** (rng.choice([-3, -1.5, 1.5, 3]) / 20), 6)
    data1 = rpp_text(random.Random(SEED + 2), volumes).encode()
    data2 = rpp_text(random.Random(SEED + 2), edited).encode()
    folder = Path(tempfile.mkdtemp(prefix="tapeop-bench-"))
    path = folder / "bench.RPP"
    path.write_bytes(data1)
    s1 = parse_reaper_bytes(data1, path, "bench")
    s2 = parse_reaper_bytes(data2, path, "bench")
    changes = diff(s1, s2)
    lines = len(data1.splitlines())
    print(
        f"\n== REAPER: {len(data1) / 1e6:.1f} MB .RPP, {lines:,} lines, {len(s1.all_tracks())} tracks; "
        f"v2 has 20 fader moves, diff reports {len(changes)} changes; problems read: {len(s1.problems)} =="
    )
    steps = {
        "floor": lambda: path.read_bytes().splitlines(),
        "read": lambda: parse_reaper_bytes(path.read_bytes(), path, "bench"),
        "diff": lambda: diff(s1, s2),
    }
    times = measure(steps, runs, warmup)
    floor = statistics.median(times["floor"])
    labels = {"floor": "floor: read + split lines", "read": "read: REAPER reader", "diff": "diff: diff(v1, v2)"}
    print(f"{'step':<26}{'median':>8}{'min':>8}{'x floor':>9}")
    for step in ("floor", "read", "diff"):
        secs = statistics.median(times[step])
        print(f"{labels[step]:<26}{secs:>8.3f}{min(times[step]):>8.3f}{secs / floor:>9.2f}")
    path.unlink()
    folder.rmdir()


def settle_allocator() -> None:
    """Have the C allocator finish freeing what the last step left, before the next step is timed.

    glibc puts the small blocks of a freed lxml tree in its fast bins and merges them only on the
    next large request. The floor's tree (433k elements and as many whitespace text nodes) thus
    left ~0.08 s of merging to the parse inside the next step, the read, while the read's own tree
    was merged when its Session was freed, outside any window. One 64 KB request (below glibc's
    mmap threshold) does the merging here; with other allocators it costs next to nothing."""
    bytearray(64 * 1024)


def measure(steps: dict[str, Callable[[], object]], runs: int, warmup: int) -> dict[str, list[float]]:
    """Wall seconds of each step, run round-robin (one of each per round) so that load from other
    processes falls on all steps alike; each result is freed outside the timed window, the
    allocator's deferred part of that work included."""
    times: dict[str, list[float]] = {name: [] for name in steps}
    for round_ in range(warmup + runs):
        for name, fn in steps.items():
            start = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - start
            del result
            settle_allocator()
            if round_ >= warmup:
                times[name].append(elapsed)
    return times


def profile(label: str, fn: Callable[[], object], top: int = 15) -> None:
    prof = cProfile.Profile()
    prof.runcall(fn)
    print(f"\n== cProfile: {label} (top {top} by cumulative time) ==")
    pstats.Stats(prof).strip_dirs().sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 run, no warm-up (smoke test)")
    ap.add_argument("--profile", action="store_true", help="also cProfile one read and one diff")
    ap.add_argument("--keep", action="store_true", help="keep the temporary project.xml of v1")
    args = ap.parse_args(argv)
    runs, warmup = (1, 0) if args.quick else (5, 1)

    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"lxml {'.'.join(map(str, etree.LXML_VERSION))}, libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))}"
    )
    print(f"gc enabled: {gc.isenabled()}, thresholds {gc.get_threshold()} (default gc, not paused)")
    v1 = make_session()
    v2, n_edits = edit_session(v1)
    data1, _ = project_xml(v1)
    data2, _ = project_xml(v2)
    folder = Path(tempfile.mkdtemp(prefix="tapeop-bench-"))
    path = folder / "project.xml"
    path.write_bytes(data1)
    n_elements = sum(1 for _ in etree.fromstring(data1).iter())
    print(
        f"project.xml v1: {len(data1) / 1e6:.1f} MB ({len(data1):,} bytes), {n_elements:,} elements; "
        f"v2: {len(data2):,} bytes; v1 written to {path}{'' if args.keep else ' (removed at exit)'}"
    )

    s1 = parse_project_xml(data1, "bench.xml", "bench")
    s2 = parse_project_xml(data2, "bench.xml", "bench")
    if read_dawproject(path, name="bench") != s1:
        raise SystemExit("read_dawproject(path) and parse_project_xml(bytes) disagree")
    changes = diff(s1, s2)
    print(f"v2 has {n_edits} edits; diff reports {len(changes)} changes; problems read: {len(s1.problems)}")

    steps = {
        "floor": lambda: etree.fromstring(data1),
        "read": lambda: parse_project_xml(data1, "bench.xml", "bench"),
        "diff": lambda: diff(s1, s2),
    }
    times = measure(steps, runs, warmup)
    floor = statistics.median(times["floor"])
    print(f"\nmedian of {runs} round-robin run(s) after {warmup} warm-up, wall seconds, {len(data1) / 1e6:.1f} MB")
    print(f"{'step':<26}{'median':>8}{'min':>8}{'x floor':>9}{'target':>9}  verdict")
    labels = {"floor": "floor: bare lxml parse", "read": "read: parse_project_xml", "diff": "diff: diff(v1, v2)"}
    for step, target in (("floor", None), ("read", 3.0), ("diff", 0.5)):
        secs = statistics.median(times[step])
        ratio = secs / floor
        verdict = f"{len(data1) / 1e6 / secs:.0f} MB/s" if target is None else ("PASS" if ratio <= target else "MISS")
        limit = "-" if target is None else f"<= {target}"
        print(f"{labels[step]:<26}{secs:>8.3f}{min(times[step]):>8.3f}{ratio:>9.2f}{limit:>9}  {verdict}")

    if args.profile:
        profile("read", steps["read"])
        profile("diff", steps["diff"])
    if not args.keep:
        path.unlink()
        folder.rmdir()
    reaper_case(runs, warmup)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
