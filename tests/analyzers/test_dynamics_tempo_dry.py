"""Compressor gain reduction, the tempo grid and a track's dry signal from its clips."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from analyzers.audio import ArraySource, AudioError
from analyzers.dry import ClipPlacement, DrySignal
from analyzers.dynamics import (
    CompressorEffect,
    StepPeaks,
    compressor_effect,
    gain_reduction,
    static_curve_db,
    step_peaks,
)
from analyzers.tempo import grid_fit, subdivisions_ms
from tests.analyzers.signals import tone


def test_static_curve_hard_and_soft_knee() -> None:
    assert static_curve_db([-30.0, -20.0, -10.0], -20.0, 4.0, 0.0).tolist() == [-30.0, -20.0, -17.5]
    soft = static_curve_db([-26.0, -20.0, -14.0], -20.0, 4.0, 12.0)
    assert soft[0] == pytest.approx(-26.0) and soft[2] == pytest.approx(-20.0 + 6.0 / 4)
    assert -20.0 > soft[1] > -20.0 - 12.0 * 0.75 / 8 - 1e-9  # inside the knee: between the two lines


def test_gain_reduction_of_a_steady_tone_settles_at_the_static_value() -> None:
    x = tone(-6.0, 2.0, 48000)[np.newaxis]  # peaks at -6 dBFS
    result = gain_reduction(x, 48000, threshold_db=-18.0, ratio=4.0, attack_ms=5.0, release_ms=50.0)
    assert result.reduction_db[-100:].mean() == pytest.approx(12.0 * (1 - 1 / 4), abs=0.2)
    assert result.reduction_db[0] < result.reduction_db[20]  # the attack takes time
    assert result.active_share > 0.95
    quiet = gain_reduction(x * 0.01, 48000, threshold_db=-18.0, ratio=4.0)
    assert quiet.max_db == 0.0 and quiet.mean_active_db == 0.0
    with pytest.raises(ValueError, match="ratio"):
        gain_reduction(x, 48000, threshold_db=-18.0, ratio=0.5)


def _reference_detector(wanted: list[float], attack: float, release: float) -> list[float]:
    """The smooth branching detector written plainly (Giannoulis et al. 2012, eq. 17)."""
    out, state = [], 0.0
    for target in wanted:
        coefficient = attack if target > state else release
        state = coefficient * state + (1.0 - coefficient) * target
        out.append(state)
    return out


def test_the_compiled_detector_and_the_streamed_peaks_give_the_plain_computation() -> None:
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(48000 * 3) * np.repeat(rng.uniform(0.01, 0.5, 30), 4800)).astype(np.float32)[None, :]
    peaks = step_peaks(ArraySource(x, 48000))  # streamed in blocks that do not align with the 1 ms steps
    by_hand = np.abs(x[0, : len(peaks.peaks_dbfs) * 48]).reshape(-1, 48).max(axis=1)
    assert np.allclose(peaks.peaks_dbfs, np.maximum(20 * np.log10(by_hand), -120.0))
    assert np.allclose(StepPeaks.from_bytes(peaks.to_bytes()).peaks_dbfs, peaks.peaks_dbfs, atol=0.07)
    level = peaks.peaks_dbfs
    wanted = level - static_curve_db(level, -20.0, 4.0, 6.0)
    attack, release = math.exp(-1 / 5.0), math.exp(-1 / 80.0)
    reduction = gain_reduction(x, 48000, threshold_db=-20.0, ratio=4.0, knee_db=6.0, attack_ms=5.0, release_ms=80.0)
    assert np.allclose(reduction.reduction_db, _reference_detector(wanted.tolist(), attack, release), atol=1e-9)
    effect = compressor_effect(peaks, -20.0, 4.0, 6.0, 5.0, 80.0)
    gain = 10 ** (-reduction.reduction_db / 10)
    assert np.allclose(effect.segment_gain, gain[: len(gain) // 100 * 100].reshape(-1, 100).mean(axis=1))
    assert effect.peak_dbfs == pytest.approx(float((level - reduction.reduction_db).max()))
    assert CompressorEffect.from_bytes(effect.to_bytes()).peak_dbfs == pytest.approx(effect.peak_dbfs)


def test_tempo_grid() -> None:
    at_120 = subdivisions_ms(120.0)
    assert (
        at_120["1/4"] == 500.0
        and at_120["1/8 dotted"] == 375.0
        and at_120["1/4 triplet"] == pytest.approx(333.33, abs=0.01)
    )
    fit = grid_fit(375.0, 120.0)
    assert (fit.subdivision, fit.error_ms, fit.error_pct) == ("1/8 dotted", 0.0, 0.0)
    off = grid_fit(250.0 * 1.07, 120.0)  # a delay 7 % off the 1/8
    assert off.subdivision == "1/8" and off.abs_error_pct == pytest.approx(7.0, abs=0.01)
    assert grid_fit(60000 / 97.0, 97.0).subdivision == "1/4"
    with pytest.raises(ValueError):
        grid_fit(0.0, 120.0)


def write(path: Path, x: np.ndarray, rate: int = 48000) -> Path:
    sf.write(path, x, rate)
    return path


def test_dry_signal_places_clips_with_gain_and_fades(tmp_path: Path) -> None:
    ones = write(tmp_path / "a.wav", np.full(48000, 0.5, dtype=np.float32))
    ramp = write(tmp_path / "b.wav", np.linspace(0, 1, 48000, dtype=np.float32))
    clips = [
        ClipPlacement(ones, position_s=1.0, duration_s=0.5, gain_db=-6.0206),
        ClipPlacement(ramp, position_s=2.0, duration_s=0.25, offset_s=0.5, fade_in_s=0.1),
    ]
    source = DrySignal(clips)
    assert (source.info.sample_rate_hz, source.info.channels, source.info.frames) == (48000, 1, round(2.25 * 48000))
    x = np.concatenate(list(source.blocks(10000)), axis=1)[0]
    assert np.all(x[:48000] == 0.0)
    assert x[48000:72000] == pytest.approx(0.25, abs=1e-4)
    assert np.all(x[72000:96000] == 0.0)
    assert x[96000] == pytest.approx(0.0, abs=1e-6)  # the fade-in starts from silence
    assert x[96000 + 4800] == pytest.approx(0.6, abs=1e-3)  # the file from 0.5 s, faded in fully after 0.1 s
    overlap = DrySignal([ClipPlacement(ones, 0.0, 1.0), ClipPlacement(ones, 0.5, 0.5)])
    y = np.concatenate(list(overlap.blocks(4096)), axis=1)[0]
    assert y[30000] == pytest.approx(1.0) and y[10000] == pytest.approx(0.5)  # overlapping clips add


def test_dry_signal_refuses_missing_files_and_mixed_rates(tmp_path: Path) -> None:
    a = write(tmp_path / "a.wav", np.zeros(4800, np.float32), 48000)
    b = write(tmp_path / "b.wav", np.zeros(4410, np.float32), 44100)
    with pytest.raises(AudioError, match="sample rates"):
        DrySignal([ClipPlacement(a, 0, 0.1), ClipPlacement(b, 0, 0.1)])
    with pytest.raises(AudioError, match="missing.wav"):
        DrySignal([ClipPlacement(tmp_path / "missing.wav", 0, 1.0)])
