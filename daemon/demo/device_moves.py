"""The simulated engineer's moves on devices (see daemon/demo/simulator.py):
- EQ: the high-pass (`move_high_pass`, de-guffing; `move_high_pass_too_high`, taste), a broad cut
  (`cut_boxiness`, taste) and narrow bell cuts on band 3 (`cut_ring` and `cut_where_nothing_rings`
  for resonance, `cut_sibilants` and `cut_air` for sibilance);
- time-based effects: the vocal echo's time or the reverb's pre-delay on the tempo grid
  (`set_time_on_grid`) or off it (`set_time_off_grid`, taste);
- compressors: `compress_guitar` and `tweak_attack`, whose reason follows the loudness ranges.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

import numpy as np

from analyzers.analysis import analyze
from analyzers.audio import ArraySource
from analyzers.dynamics import compressed_loudness, compressor_effect, step_peaks
from analyzers.tempo import grid_fit, subdivisions_ms
from daemon.demo.session import ECHO, NOMINAL_TRUTH, REVERB, Intent, find_device, set_param
from daemon.demo.synth import INSTRUMENTS, RenderedSong, StemTruth
from daemon.sessions.model import Session

# -- EQ: de-guffing, resonance, sibilance ---------------------------------------------------------


def _high_pass(
    session: Session, track: str, truth: Mapping[str, StemTruth], after: float, reason: str
) -> tuple[Session, Intent]:
    stem = truth[track]
    before = session.track(track).devices[0].param("eq.band1.freq_hz")
    lowest = stem.lowest_note_hz
    if lowest is None:  # nothing played: no move
        return session, Intent(track, "eq.band1.freq_hz", before, before, reason, "EQ")
    evidence = {
        "lowest_note_hz": lowest,
        "high_pass_hz": after,
        "semitones_above_lowest_note": round(12 * math.log2(after / lowest), 2),
        "rumble": 1.0 if stem.has_rumble else 0.0,
    }
    return set_param(session, track, "EQ", "eq.band1.freq_hz", after), Intent(
        track, "eq.band1.freq_hz", before, after, reason, "EQ", evidence
    )


def move_high_pass(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """De-guffing: the high-pass just under the stem's lowest note (objective: it removes what is
    below the music, rumble included, and no note)."""
    truth = NOMINAL_TRUTH if truth is None else truth
    track = rng.choice(["Bass DI", "Gtr L", "Gtr R", "Lead Vox"])
    lowest = truth[track].lowest_note_hz
    after = round(lowest * 0.9, 1) if lowest else 0.0
    return _high_pass(session, track, truth, after, "de-guffing")


def move_high_pass_too_high(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """Thinning out by ear: a high-pass well above the stem's lowest note (7 to 14 semitones), which
    cuts into the notes; nothing objective justifies it, so it is "taste"."""
    truth = NOMINAL_TRUTH if truth is None else truth
    track = rng.choice(["Bass DI", "Gtr L", "Gtr R", "Lead Vox"])
    lowest = truth[track].lowest_note_hz
    after = round(lowest * 2 ** (rng.uniform(7.0, 14.0) / 12), 1) if lowest else 0.0
    return _high_pass(session, track, truth, after, "taste")


def cut_boxiness(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """A broad cut (Q 1) of 3 to 5 dB at 400 Hz on the kick, by ear: too wide to be a resonance
    cut (Q under 4), so "taste"."""
    before = session.track("Kick").devices[0].param("eq.band2.gain_db")
    after = -round(rng.uniform(3.0, 5.0), 1)
    return set_param(session, "Kick", "EQ", "eq.band2.gain_db", after), Intent(
        "Kick", "eq.band2.gain_db", before, after, "taste", "EQ"
    )


def _bell(
    session: Session, track: str, freq_hz: float, gain_db: float, q: float, reason: str, evidence: dict[str, float]
) -> tuple[Session, Intent]:
    """Band 3 of a track's EQ set to a bell cut; the intent names the gain, or the frequency
    when the gain stays (the term whose change the file shows), and touches the rest."""
    eq = find_device(session, track, "EQ")
    values = {"eq.band3.freq_hz": freq_hz, "eq.band3.gain_db": gain_db, "eq.band3.q": q}
    changed = [term for term, value in values.items() if eq.param(term) != value]
    if not changed:
        return session, Intent(track, "eq.band3.gain_db", gain_db, gain_db, reason, "EQ")
    main = "eq.band3.gain_db" if "eq.band3.gain_db" in changed else changed[0]
    for term, value in values.items():
        session = set_param(session, track, "EQ", term, value)
    others = tuple(term for term in changed if term != main)
    return session, Intent(track, main, eq.param(main), values[main], reason, "EQ", evidence, others)


def cut_ring(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """Resonance: a narrow cut (Q 4 to 10, 3 to 8 dB) on the kick's shell ring, found by sweeping:
    within 2 % of the ring's frequency (a third of a semitone), typed to whole Hz. The ring is a
    peak 15 dB and more over the kick's smooth spectrum around it (daemon.demo.synth), well over the 6 dB a
    resonance needs."""
    truth = NOMINAL_TRUTH if truth is None else truth
    ring = truth["Kick"].resonance_hz or 500.0
    freq_hz = float(round(ring * (1 + rng.uniform(-0.02, 0.02))))
    q, gain_db = float(rng.choice([4, 5, 6, 8, 10])), -round(rng.uniform(3.0, 8.0), 1)
    evidence = {
        "resonance_hz": ring,
        "cut_hz": freq_hz,
        "q": q,
        "semitones_off": round(12 * math.log2(freq_hz / ring), 2),
    }
    return _bell(session, "Kick", freq_hz, gain_db, q, "resonance", evidence)


def cut_where_nothing_rings(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """The near miss of `cut_ring`: the same narrow cut on the kick 0.6 to 1.1 octaves above its
    ring (450 Hz to 1.5 kHz, where the kick holds only its beater's smooth click): nothing stands
    out there to cut, so "taste"."""
    truth = NOMINAL_TRUTH if truth is None else truth
    ring = truth["Kick"].resonance_hz or 500.0
    freq_hz = float(round(ring * 2 ** rng.uniform(0.6, 1.1)))
    q, gain_db = float(rng.choice([4, 5, 6, 8, 10])), -round(rng.uniform(3.0, 8.0), 1)
    evidence = {"resonance_hz": ring, "cut_hz": freq_hz, "q": q, "octaves_off": round(math.log2(freq_hz / ring), 2)}
    return _bell(session, "Kick", freq_hz, gain_db, q, "taste", evidence)


SIBILANT_BAND_HZ = (5000.0, 10000.0)


def cut_sibilants(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """Sibilance: a cut of 3 to 6 dB, Q 2 to 3.5 (wide enough to take the whole 2 kHz of the "s",
    narrower than a shelf; under the Q 4 of a resonance cut) within 5 % of the vocal's sibilant
    centre, rounded to 10 Hz. The "s" bursts stand 40 dB and more over the rest of the line's
    5-10 kHz (daemon.demo.synth); the cut takes 2 dB or more off them."""
    truth = NOMINAL_TRUTH if truth is None else truth
    centre = truth["Lead Vox"].sibilant_hz or 7000.0
    freq_hz = float(round(centre * (1 + rng.uniform(-0.05, 0.05)), -1))
    q, gain_db = round(rng.uniform(2.0, 3.5), 1), -round(rng.uniform(3.0, 6.0), 1)
    evidence = {"sibilant_hz": centre, "cut_hz": freq_hz, "q": q, "cut_db": gain_db}
    return _bell(session, "Lead Vox", freq_hz, gain_db, q, "sibilance", evidence)


def cut_air(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """The near miss of `cut_sibilants`, the same kind of cut where there is no "s" to tame:
    either on a guitar in 5-9 kHz (a guitar has no sibilants: its 5-10 kHz energy is steady), or
    on the vocal at 3-4.5 kHz, under the sibilant band (presence, shaped by ear). "taste"."""
    truth = NOMINAL_TRUTH if truth is None else truth
    on_guitar, track = rng.random() < 0.5, rng.choice(["Gtr L", "Gtr R"])
    freq_hz = float(round(rng.uniform(5000.0, 9000.0) if on_guitar else rng.uniform(3000.0, 4500.0), -1))
    q, gain_db = round(rng.uniform(2.0, 3.5), 1), -round(rng.uniform(3.0, 6.0), 1)
    track = track if on_guitar else "Lead Vox"
    sibilant = truth[track].sibilant_hz
    in_band = SIBILANT_BAND_HZ[0] <= freq_hz <= SIBILANT_BAND_HZ[1]
    evidence = {"cut_hz": freq_hz, "q": q, "cut_db": gain_db, "has_sibilants": float(sibilant is not None)}
    reason = "sibilance" if sibilant is not None and in_band else "taste"
    return _bell(session, track, freq_hz, gain_db, q, reason, evidence)


# -- time-based effects: tempo ------------------------------------------------------------------

ON_GRID_PCT, ON_GRID_MS = 1.5, 2.0  # how near a subdivision a time counts as on the grid
ECHO_SUBDIVISIONS = ("1/2", "1/4 dotted", "1/4", "1/8 dotted", "1/8", "1/8 triplet", "1/16")
PREDELAY_SUBDIVISIONS = ("1/16 triplet", "1/32 dotted", "1/32", "1/64 dotted", "1/64")


def _timed(rng: random.Random) -> tuple[str, str, str, tuple[str, ...]]:
    """Which time the engineer sets: the vocal's echo (60 %) or the reverb's pre-delay."""
    if rng.random() < 0.6:
        return "Lead Vox", ECHO, "delay.time_ms", ECHO_SUBDIVISIONS
    return "Verb", REVERB, "reverb.predelay_ms", PREDELAY_SUBDIVISIONS


def _set_time(
    session: Session, track: str, device: str, term: str, after: float, reason: str, evidence: dict[str, float]
) -> tuple[Session, Intent]:
    before = find_device(session, track, device).param(term)
    return set_param(session, track, device, term, after), Intent(track, term, before, after, reason, device, evidence)


def set_time_on_grid(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """Tempo: the vocal's echo on a note value (a half to a sixteenth, dotted or triplet) or the
    reverb's pre-delay on a short one (a 1/16 triplet to a 1/64) at the session's tempo
    (60000/BPM ms a beat): half the time as a tempo-synced plug-in sets it, to 0.01 ms, half typed
    from a calculator to whole ms (0.5 ms off at most, inside the 2 ms a time on the grid may be)."""
    track, device, term, names = _timed(rng)
    subdivision, typed = rng.choice(names), rng.random() < 0.5
    tempo = session.tempo_bpm or 120.0
    grid_ms = subdivisions_ms(tempo)[subdivision]
    after = float(round(grid_ms)) if typed else round(grid_ms, 2)
    evidence = {"tempo_bpm": tempo, "grid_ms": round(grid_ms, 3), "error_ms": round(after - grid_ms, 3)}
    return _set_time(session, track, device, term, after, "tempo", evidence)


def set_time_off_grid(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """The near miss of `set_time_on_grid`: a note value 5 to 10 % off (the tempo it was worked
    out for has changed since, or it was set by ear), typed to whole ms. Kept only when it is off
    every subdivision (whole note to 1/64, dotted and triplet: analyzers.tempo) by more than twice
    the window a time on the grid may be off (the larger of 2 ms and 1.5 %); a value that lands
    near another subdivision is tried the other way, then with the next draw. "taste"."""
    track, device, term, names = _timed(rng)
    subdivision = rng.choice(names)
    offsets = [rng.uniform(0.05, 0.10) * rng.choice((-1.0, 1.0)) for _ in range(3)]
    tempo = session.tempo_bpm or 120.0
    grid_ms = subdivisions_ms(tempo)[subdivision]
    for offset in (o for first in offsets for o in (first, -first)):
        after = float(round(grid_ms * (1 + offset)))
        fit = grid_fit(after, tempo)
        window_ms = max(ON_GRID_MS, fit.grid_ms * ON_GRID_PCT / 100)
        if abs(fit.error_ms) > 2 * window_ms:
            evidence = {
                "tempo_bpm": tempo,
                "meant_grid_ms": round(grid_ms, 3),
                "nearest_grid_ms": round(fit.grid_ms, 3),
                "error_pct": round(fit.error_pct, 2),
            }
            return _set_time(session, track, device, term, after, "taste", evidence)
    before = find_device(session, track, device).param(term)
    return session, Intent(track, term, before, before, "taste", device)


# -- compressors: dynamics ------------------------------------------------------------------------

MIN_RANGE_CLOSED_LU = 0.5  # a compressor change bringing the range closer by less evens out nothing


def _range_lu(song: RenderedSong, track: str, setting: Mapping[str, float]) -> float:
    """The loudness range (EBU Tech 3342) of a stem through a compressor setting, reckoned as the
    dynamics rule does it: the gain reduction of the setting (analyzers.dynamics) averaged over
    each 100 ms loudness segment (analyzers' K-weighted energies) and taken off its energy."""
    source = ArraySource(song.stems[track][:, 0], song.sample_rate_hz)
    effect = compressor_effect(
        step_peaks(source),
        threshold_db=setting["comp.threshold_db"],
        ratio=max(1.0, setting["comp.ratio"]),
        knee_db=setting.get("comp.knee_db", 0.0),
        attack_ms=setting["comp.attack_ms"],
        release_ms=setting["comp.release_ms"],
    )
    return compressed_loudness(analyze(source).loudness, effect).loudness_range_lu


def _compressor_move(
    session: Session, track: str, values: Mapping[str, float], truth: Mapping[str, StemTruth], song: RenderedSong | None
) -> tuple[Session, Intent]:
    """The track's compressor set to `values`; the reason from the numbers: "dynamics" when the
    new setting brings the stem's loudness range at least MIN_RANGE_CLOSED_LU closer to the median
    dry range of the other instrument stems than the old one did, "taste" when not (or when
    nothing was rendered to reckon it on)."""
    old = {term: float(value) for term, value in find_device(session, track, "Compressor").params}  # type: ignore[arg-type]
    changed = [term for term, value in values.items() if old.get(term) != value]
    if not changed:
        return session, Intent(track, next(iter(values)), 0.0, 0.0, "taste", "Compressor")
    new = {**old, **values}
    reason, evidence = "taste", {}
    others = [t.loudness_range_lu for name, t in truth.items() if name != track and t.loudness_range_lu is not None]
    if song is not None and others:
        target = float(np.median(others))
        range_before, range_after = _range_lu(song, track, old), _range_lu(song, track, new)
        closed = abs(range_before - target) - abs(range_after - target)
        reason = "dynamics" if closed >= MIN_RANGE_CLOSED_LU else "taste"
        evidence = {
            "range_before_lu": round(range_before, 2),
            "range_after_lu": round(range_after, 2),
            "target_lu": round(target, 2),
            "closed_lu": round(closed, 2),
        }
    for term, value in values.items():
        session = set_param(session, track, "Compressor", term, value)
    main, rest = changed[0], tuple(changed[1:])
    return session, Intent(track, main, old[main], new[main], reason, "Compressor", evidence, rest)


def compress_guitar(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """Dynamics: Gtr L's compressor down to a threshold of -22 to -32 dB at 3:1 to 6:1. The
    guitarist backs off every other pass through the progression (6 to 9 dB softer), so the part's
    loudness range is the widest of the band's; compressing the loud passes harder than the soft
    ones narrows it toward the others' (the reason from the numbers, `_compressor_move`)."""
    truth = NOMINAL_TRUTH if truth is None else truth
    threshold_db = -float(rng.choice([22, 24, 26, 28, 30, 32]))
    ratio = float(rng.choice([3.0, 4.0, 6.0]))
    return _compressor_move(session, "Gtr L", {"comp.threshold_db": threshold_db, "comp.ratio": ratio}, truth, song)


def tweak_attack(
    session: Session,
    rng: random.Random,
    truth: Mapping[str, StemTruth] | None = None,
    song: RenderedSong | None = None,
) -> tuple[Session, Intent]:
    """A compressor's attack changed by ear (1 to 50 ms, letting the transients through or
    catching them) on any instrument: it shapes the attack more than the range, so mostly
    "taste"; the reason from the numbers all the same (`_compressor_move`)."""
    truth = NOMINAL_TRUTH if truth is None else truth
    track = rng.choice(INSTRUMENTS)[0]
    attack_ms = float(rng.choice([1, 3, 5, 20, 30, 50]))
    return _compressor_move(session, track, {"comp.attack_ms": attack_ms}, truth, song)
