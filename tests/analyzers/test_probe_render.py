"""The audio of a window probe, measured in the WAV files it is written to: transfer functions by
Welch's cross-spectral density (H1 = Pxy / Pxx), loudness by pyloudnorm, levels, crest factors,
cross-correlation and sample-to-sample steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import soundfile as sf

from analyzers.eq import EqBand
from analyzers.probe_render import (
    PROBED_KINDS,
    Excerpt,
    ProbeFiles,
    choose_excerpt,
    is_level,
    render_probe,
    reverb_stage,
    room_size,
)
from analyzers.render import fade_ends

RATE = 48000
pyloudnorm = pytest.importorskip("pyloudnorm")
EIGHT = Excerpt(1.0, 8.0, "the test's stretch")


def noise(seconds: float = 10.0, rms: float = 0.05, seed: int = 1, channels: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rms * rng.standard_normal((channels, round(seconds * RATE)))).astype(np.float32)


def read(path: Path) -> np.ndarray:
    data, rate = sf.read(str(path), always_2d=True)
    assert rate == RATE
    assert sf.info(str(path)).subtype == "PCM_24"
    return data.T


def probe(
    tmp_path: Path, x: np.ndarray, kind: str, settings: dict, parameter: str, value: float, **kw: object
) -> tuple[ProbeFiles, list[np.ndarray]]:
    files = render_probe(x, RATE, kind, settings, parameter, value, kw.pop("excerpt", EIGHT), tmp_path, "p1", **kw)  # type: ignore[arg-type]
    assert files == ProbeFiles(*(tmp_path / f"p1-{name}.wav" for name in ("before", "after", "switch")))
    return files, [read(path) for path in (files.before, files.after, files.switch)]


def band(kind: str, freq_hz: float, **fields: float) -> dict[str, float | str | bool | None]:
    terms: dict[str, float | str | bool | None] = {"eq.band1.type": kind, "eq.band1.freq_hz": freq_hz}
    terms.update({f"eq.band1.{name}": value for name, value in fields.items()})
    return terms


def rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(max(float(np.mean(np.square(x))), 1e-30)))


def loudness(x: np.ndarray) -> float:
    return float(pyloudnorm.Meter(RATE).integrated_loudness(x.T))


# The EQ's magnitude response -------------------------------------------------------------------

EQ_CASES = [
    ("bell", 1000.0, {"gain_db": 6.0, "q": 2.0}),
    ("bell", 100.0, {"gain_db": -9.0, "q": 4.0}),
    ("bell", 12000.0, {"gain_db": 6.0, "q": 1.0}),
    ("lowshelf", 200.0, {"gain_db": 6.0, "q": 0.7071}),
    ("highshelf", 5000.0, {"gain_db": -6.0, "q": 0.7071}),
    ("highshelf", 12000.0, {"gain_db": 6.0, "q": 0.7071}),
    ("notch", 1000.0, {"q": 4.0}),
    ("bandpass", 1000.0, {"q": 1.0}),
    *[("highpass", 100.0, {"slope_db_oct": s}) for s in (6.0, 12.0, 18.0, 24.0, 48.0)],
    *[("lowpass", 5000.0, {"slope_db_oct": s}) for s in (6.0, 12.0, 18.0, 24.0, 48.0)],
]


@pytest.mark.parametrize(("kind", "freq_hz", "fields"), EQ_CASES, ids=lambda v: str(v))
def test_the_rendered_eq_follows_the_rbj_response(
    tmp_path: Path, kind: str, freq_hz: float, fields: dict[str, float]
) -> None:
    """The before file (the band at `current`) over the dry excerpt, 20 Hz - 20 kHz, against the
    RBJ digital response at the render's rate (so the bilinear transform's cramping near Nyquist
    is part of the target); the stopband under -40 dB is left out: there Welch's estimate is
    limited by leakage, not by the filter."""
    x = noise(channels=1)
    _, (before, _, _) = probe(tmp_path, x, "eq", band(kind, freq_hz, **fields), "eq.band1.freq_hz", freq_hz * 1.2)
    dry = fade_ends(x[:, RATE : 9 * RATE], RATE)[0].astype(np.float64)
    freqs, pxy = scipy.signal.csd(dry, before[0], RATE, nperseg=32768)
    _, pxx = scipy.signal.welch(dry, RATE, nperseg=32768)
    measured = 20 * np.log10(np.abs(pxy / pxx))
    target = 10 * np.log10(EqBand(kind, freq_hz, **fields).power_gain(freqs, RATE) + 1e-30)
    audible = (freqs >= 20.0) & (freqs <= 20000.0) & (target > -40.0)
    assert np.abs(measured - target)[audible].max() < 0.5


def test_the_eq_probe_is_heard_at_its_value_and_loudness_matched(tmp_path: Path) -> None:
    x = noise()
    current = band("bell", 1000.0, gain_db=0.0, q=2.0)
    _, (before, after, _) = probe(tmp_path, x, "eq", current, "eq.band1.gain_db", 6.0)
    freqs, pxy = scipy.signal.csd(before[0], after[0], RATE, nperseg=16384)
    _, pxx = scipy.signal.welch(before[0], RATE, nperseg=16384)
    shape = 20 * np.log10(np.abs(pxy / pxx))
    target = 10 * np.log10(EqBand("bell", 1000.0, 6.0, 2.0).power_gain(freqs, RATE))
    audible = (freqs >= 20.0) & (freqs <= 20000.0)
    offset = shape - target  # the loudness match: one gain at every frequency
    assert np.ptp(offset[audible]) < 0.5
    assert loudness(after) == pytest.approx(loudness(before), abs=0.1)


# Loudness and level ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "settings", "parameter", "value"),
    [
        ("eq", band("highshelf", 3000.0, gain_db=0.0), "eq.band1.gain_db", 8.0),
        ("eq", band("highpass", 80.0, slope_db_oct=24.0), "eq.band1.freq_hz", 400.0),
        ("compressor", {"comp.threshold_db": -20.0, "comp.ratio": 4.0}, "comp.threshold_db", -40.0),
        ("limiter", {"limiter.threshold_db": -6.0, "limiter.release_ms": 50.0}, "limiter.threshold_db", -20.0),
        ("delay", {"delay.time_ms": 250.0, "delay.feedback": 0.3, "delay.mix": 0.3}, "delay.mix", 0.6),
        ("send", {"volume_db": 0.0, "send.Verb.level_db": -20.0}, "send.Verb.level_db", -6.0),
    ],
)
def test_before_and_after_are_loudness_matched(
    tmp_path: Path, kind: str, settings: dict, parameter: str, value: float
) -> None:
    x = noise(rms=0.1)
    _, (before, after, _) = probe(tmp_path, x, kind, settings, parameter, value)
    assert loudness(after) == pytest.approx(loudness(before), abs=0.1)


def test_a_fader_probe_differs_by_the_db_asked(tmp_path: Path) -> None:
    _, (before, after, _) = probe(tmp_path, noise(), "fader", {"volume_db": -3.0}, "volume_db", -7.5)
    assert rms_db(after) - rms_db(before) == pytest.approx(-4.5, abs=0.01)
    assert rms_db(before) - rms_db(fade_ends(noise()[:, RATE : 9 * RATE], RATE)) == pytest.approx(-3.0, abs=0.01)


@pytest.mark.parametrize("parameter", ["volume_db", "limiter.ceiling_db", "comp.makeup_db", "comp.output_gain_db"])
def test_levels_are_not_loudness_matched(parameter: str) -> None:
    assert is_level(parameter)


def test_a_limiter_ceiling_probe_is_heard_as_a_level(tmp_path: Path) -> None:
    settings = {"limiter.threshold_db": -30.0, "limiter.ceiling_db": -1.0}
    _, (before, after, _) = probe(tmp_path, noise(rms=0.01), "limiter", settings, "limiter.ceiling_db", -4.0)
    assert rms_db(after) - rms_db(before) == pytest.approx(-3.0, abs=0.05)


def test_a_mono_pan_probe_follows_the_constant_power_law(tmp_path: Path) -> None:
    x = noise(channels=1)
    _, (before, after, _) = probe(tmp_path, x, "pan", {"volume_db": 0.0, "pan": 0.0}, "pan", 0.5)
    dry = rms_db(fade_ends(x[:, RATE : 9 * RATE], RATE))
    assert before.shape[0] == after.shape[0] == 2
    assert rms_db(before[0]) - dry == pytest.approx(-3.01, abs=0.02)  # the -3 dB centre
    assert rms_db(before[1]) - dry == pytest.approx(-3.01, abs=0.02)
    angle = (0.5 + 1.0) * np.pi / 4
    assert rms_db(after[0]) - dry == pytest.approx(20 * np.log10(np.cos(angle)), abs=0.05)
    assert rms_db(after[1]) - dry == pytest.approx(20 * np.log10(np.sin(angle)), abs=0.05)


def test_a_stereo_pan_probe_balances(tmp_path: Path) -> None:
    x = noise()
    _, (before, after, _) = probe(tmp_path, x, "pan", {"pan": 0.0}, "pan", -1.0)
    dry = fade_ends(x[:, RATE : 9 * RATE], RATE)
    assert rms_db(before[0]) == pytest.approx(rms_db(dry[0]), abs=0.01)  # 0 dB at the centre
    assert rms_db(after[1]) < -90.0  # hard left: the right side is gone
    assert np.max(np.abs(after[0] - before[0])) > 0.0


# Dynamics, echoes, reverb ----------------------------------------------------------------------


def swells(seconds: float = 10.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    envelope = 10 ** ((-25.0 + 20.0 * np.sin(2 * np.pi * 1.5 * t)) / 20)
    return (noise(seconds, 1.0, seed=2) * envelope).astype(np.float32)


def test_a_lower_compressor_threshold_lowers_the_crest_factor(tmp_path: Path) -> None:
    settings = {"comp.threshold_db": 0.0, "comp.ratio": 4.0, "comp.attack_ms": 1.0, "comp.release_ms": 50.0}
    _, (before, after, _) = probe(tmp_path, swells(), "compressor", settings, "comp.threshold_db", -35.0)

    def crest_db(x: np.ndarray) -> float:
        return float(20 * np.log10(np.max(np.abs(x)))) - rms_db(x)

    assert crest_db(before) - crest_db(after) > 3.0


def clicks(seconds: float = 10.0, every_s: float = 1.0) -> np.ndarray:
    """Short noise bursts (5 ms) once a second, silence between: echoes stand alone."""
    x = np.zeros((1, round(seconds * RATE)), dtype=np.float32)
    burst = noise(0.005, 0.3, seed=3, channels=1)[0]
    for start in np.arange(0.3, seconds - 0.1, every_s):
        x[0, round(start * RATE) : round(start * RATE) + len(burst)] = burst
    return x


def test_a_delay_probe_echoes_at_the_time_asked(tmp_path: Path) -> None:
    x = clicks()
    settings = {"delay.time_ms": 120.0, "delay.feedback": 0.0, "delay.mix": 0.5}
    _, (before, after, _) = probe(tmp_path, x, "delay", settings, "delay.time_ms", 330.0)
    for audio, expected_ms in ((before, 120.0), (after, 330.0)):
        mono = audio[0]
        correlation = scipy.signal.correlate(mono, mono, mode="full", method="fft")[len(mono) - 1 :]
        lags = np.arange(len(correlation)) / RATE * 1000.0
        search = (lags > 20.0) & (lags < 600.0)
        assert lags[search][np.argmax(correlation[search])] == pytest.approx(expected_ms, abs=0.1)


def test_a_send_probe_grows_the_reverb_with_the_send(tmp_path: Path) -> None:
    x = clicks(every_s=2.0)
    verb = {"reverb.decay_s": 1.5, "reverb.predelay_ms": 20.0, "reverb.mix": 1.0}

    def tail_over_direct(audio: np.ndarray) -> float:
        """The energy 0.1-1.5 s after each burst (the reverb) over the bursts' (the direct sound)."""
        starts = [round((s - EIGHT.start_s) * RATE) for s in np.arange(0.3, 10.0, 2.0) if 1.0 <= s < 7.5]
        direct = sum(np.sum(np.square(audio[:, s : s + 240])) for s in starts)
        tail = sum(np.sum(np.square(audio[:, s + RATE // 10 : s + 3 * RATE // 2])) for s in starts)
        return float(10 * np.log10(tail / direct))

    levels = [-30.0, -15.0, 0.0]
    ratios = []
    for level in levels:
        _, (_, after, _) = probe(
            tmp_path, x, "send", {"volume_db": 0.0, "send.Verb.level_db": -40.0}, "send.Verb.level_db", level,
            return_settings=verb,
        )  # fmt: skip
        ratios.append(tail_over_direct(after))
    assert ratios[0] + 10.0 < ratios[1] < ratios[2] - 10.0


def test_the_reverb_decay_maps_to_freeverbs_room_size() -> None:
    assert room_size(0.3) == 0.0  # under Freeverb's shortest decay
    assert room_size(60.0) == 1.0
    assert 0.0 < room_size(1.0) < room_size(2.0) < room_size(4.0) < 1.0


# The switch ------------------------------------------------------------------------------------


def test_the_switch_is_before_then_after_without_a_click(tmp_path: Path) -> None:
    x = noise(rms=0.2)
    settings = band("highshelf", 2000.0, gain_db=0.0)
    _, (before, after, switch) = probe(tmp_path, x, "eq", settings, "eq.band1.gain_db", 9.0)
    frames = before.shape[1]
    half, fade = frames // 2, round(0.05 * RATE) // 2  # outside the crossfade (at most 50 ms)
    lsb = 2.0**-23
    assert np.abs(switch[:, : half - fade] - before[:, : half - fade]).max() <= 2 * lsb
    assert np.abs(switch[:, half + fade :] - after[:, half + fade :]).max() <= 2 * lsb
    assert np.abs(switch[:, half - fade : half + fade] - before[:, half - fade : half + fade]).max() > 0.01
    # no step across the join bigger than either signal takes there, sample to sample
    join = slice(half - fade, half + fade)
    steps = [np.abs(np.diff(audio[:, join], axis=1)).max() for audio in (switch, before, after)]
    assert steps[0] <= max(steps[1], steps[2]) * 1.01
    # and its level is kept through the crossfade (equal gain, correlated signals)
    assert rms_db(switch[:, join]) == pytest.approx(
        rms_db(np.concatenate([before[:, half - fade : half], after[:, half : half + fade]], axis=1)), abs=0.5
    )


def test_the_files_start_and_end_without_a_click(tmp_path: Path) -> None:
    _, files = probe(tmp_path, noise(rms=0.2), "eq", band("bell", 2000.0, gain_db=0.0), "eq.band1.gain_db", 6.0)
    for audio in files:
        assert np.abs(audio[:, [0, -1]]).max() < 1e-3


# The excerpt -----------------------------------------------------------------------------------


def low_note_and_highs(seconds: float = 30.0, low_at: tuple[float, float] = (17.0, 22.0)) -> np.ndarray:
    """Bright noise (over 2 kHz) all along, loudest away from the low note; a 55 Hz note (A1) from
    17 to 22 s, quieter than the highs."""
    t = np.arange(round(seconds * RATE)) / RATE
    sos = scipy.signal.butter(4, 2000.0, "highpass", fs=RATE, output="sos")
    highs = scipy.signal.sosfilt(sos, noise(seconds, 0.2, seed=4, channels=1)[0])
    highs *= np.where((t > 3.0) & (t < 9.0), 1.0, 0.5)  # the loudest passage, elsewhere
    note = 0.1 * np.sin(2 * np.pi * 55.0 * t) * ((t >= low_at[0]) & (t < low_at[1]))
    return np.stack([highs + note, highs + note]).astype(np.float32)


def test_choose_excerpt_picks_the_low_note_for_a_high_pass() -> None:
    x = low_note_and_highs()
    chosen = choose_excerpt(x, RATE, "eq.band1.freq_hz", band("highpass", 80.0, slope_db_oct=24.0))
    assert 4.0 <= chosen.duration_s <= 8.0
    overlap = min(chosen.start_s + chosen.duration_s, 22.0) - max(chosen.start_s, 17.0)
    assert overlap == pytest.approx(min(5.0, chosen.duration_s), abs=0.11)  # the whole note
    assert "120 Hz" in chosen.why and "high-pass" in chosen.why
    assert chosen.to_json() == {"start_s": chosen.start_s, "duration_s": chosen.duration_s, "why": chosen.why}


def test_choose_excerpt_picks_the_highs_for_a_high_shelf_and_the_loudest_for_a_fader() -> None:
    x = low_note_and_highs()
    shelf = choose_excerpt(x, RATE, "eq.band1.gain_db", band("highshelf", 6000.0, gain_db=-3.0))
    assert shelf.start_s >= 3.0 - 0.05 and shelf.start_s + shelf.duration_s <= 9.0 + 0.05
    fader = choose_excerpt(x, RATE, "volume_db", {"volume_db": 0.0})
    assert fader.start_s >= 3.0 - 0.05 and fader.start_s + fader.duration_s <= 9.0 + 0.05
    assert "loudest" in fader.why


@pytest.mark.parametrize(
    ("parameter", "settings"),
    [
        ("eq.band1.freq_hz", band("highpass", 80.0)),
        ("eq.band1.gain_db", band("bell", 200.0, gain_db=3.0, q=1.0)),
        ("comp.threshold_db", {"comp.threshold_db": -20.0}),
        ("delay.time_ms", {"delay.time_ms": 250.0}),
        ("volume_db", {"volume_db": 0.0}),
    ],
)
def test_choose_excerpt_never_picks_silence(parameter: str, settings: dict) -> None:
    """Silence for 20 s, then highs only (nothing under 2 kHz for the high-pass to take)."""
    x = low_note_and_highs(low_at=(0.0, 0.0))  # no note
    x[:, : 20 * RATE] = 0.0
    chosen = choose_excerpt(x, RATE, parameter, settings)
    part = x[0, round(chosen.start_s * RATE) : round((chosen.start_s + chosen.duration_s) * RATE)]
    blocks = part[: len(part) // (RATE // 10) * (RATE // 10)].reshape(-1, RATE // 10)
    assert np.sqrt(np.mean(np.square(blocks), axis=1)).min() > 0.01  # no silent 100 ms in it


def test_choose_excerpt_finds_notes_followed_by_space_for_a_delay() -> None:
    x = noise(30.0, 0.05, seed=5)  # a dense bed ...
    x[:, 12 * RATE : 20 * RATE] = 0.0  # ... but for 12-20 s, where bursts stand alone
    x[:, 12 * RATE : 20 * RATE] += clicks(8.0, 0.5)[0] * 2
    chosen = choose_excerpt(x, RATE, "delay.time_ms", {"delay.time_ms": 250.0})
    assert chosen.start_s >= 12.0 - 0.05 and chosen.start_s + chosen.duration_s <= 20.0 + 0.05
    assert "onsets" in chosen.why


def test_a_short_track_is_its_own_excerpt() -> None:
    chosen = choose_excerpt(noise(3.0), RATE, "volume_db", {})
    assert (chosen.start_s, chosen.duration_s) == (0.0, 3.0)


def test_every_probed_kind_renders_and_an_unknown_one_is_named(tmp_path: Path) -> None:
    x = noise(4.0)
    cases = {
        "eq": (band("bell", 1000.0), "eq.band1.gain_db", 3.0),
        "compressor": ({"comp.threshold_db": -20.0}, "comp.ratio", 4.0),
        "limiter": ({"limiter.threshold_db": -10.0}, "limiter.release_ms", 20.0),
        "gate": ({"gate.threshold_db": -40.0}, "gate.threshold_db", -30.0),
        "fader": ({"volume_db": 0.0}, "volume_db", -1.0),
        "pan": ({"pan": 0.0}, "pan", 0.3),
        "delay": ({"delay.time_ms": 100.0}, "delay.feedback", 0.5),
        "send": ({"send.Verb.level_db": -20.0}, "send.Verb.level_db", -10.0),
    }
    assert set(cases) == set(PROBED_KINDS)
    for kind, (settings, parameter, value) in cases.items():
        files = render_probe(x, RATE, kind, settings, parameter, value, Excerpt(0.5, 3.0, "t"), tmp_path, kind)
        assert read(files.switch).shape[1] == 3 * RATE
    with pytest.raises(ValueError, match="'plugin'"):
        render_probe(x, RATE, "plugin", {}, "param.x", 1.0, Excerpt(0.0, 4.0, "t"), tmp_path, "x")


@pytest.mark.parametrize("decay_s", [1.0, 2.0, 4.0])
def test_the_returns_reverb_decays_in_the_time_asked(decay_s: float) -> None:
    """RT60 from the Schroeder backward integral of an impulse's reverb (-5 to -25 dB, times 3),
    in the 250 Hz - 1 kHz band (Freeverb's damping shortens the highs' decay)."""
    impulse = np.zeros((1, 12 * RATE), dtype=np.float32)
    impulse[0, 100] = 1.0
    wet = reverb_stage({"reverb.decay_s": decay_s, "reverb.mix": 1.0})(impulse, RATE)
    sos = scipy.signal.butter(4, [250.0, 1000.0], "bandpass", fs=RATE, output="sos")
    y = scipy.signal.sosfilt(sos, wet[0].astype(np.float64))
    energy = np.cumsum(y[::-1] ** 2)[::-1]
    level = 10 * np.log10(energy / energy[0] + 1e-30)
    rt60 = 3 * (np.argmax(level < -25.0) - np.argmax(level < -5.0)) / RATE
    assert rt60 == pytest.approx(decay_s, rel=0.1)
