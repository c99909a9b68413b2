"""Band shares, centroid and tilt, and the lowest musically useful note."""

from __future__ import annotations

import numpy as np
import pytest

from analyzers.analysis import analyze
from analyzers.audio import ArraySource
from analyzers.notes import note_name, semitones_between
from analyzers.spectrum import NOMINAL_CENTERS_HZ
from tests.analyzers.signals import tone


def noise(color: str, seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    white = np.random.default_rng(seed).standard_normal(round(seconds * rate))
    if color == "white":
        return (0.1 * white).astype(np.float32)
    spectrum = np.fft.rfft(white)
    f = np.fft.rfftfreq(len(white), 1 / rate)
    spectrum[1:] /= np.sqrt(f[1:])
    spectrum[0] = 0
    pink = np.fft.irfft(spectrum, len(white))
    return (0.1 * pink / pink.std()).astype(np.float32)


def test_band_shares_sum_to_one_and_find_a_tone() -> None:
    result = analyze(ArraySource(tone(-20.0, 5.0, 48000, freq_hz=1000.0)[np.newaxis], 48000))
    shares = result.bands.shares
    assert shares.sum() == pytest.approx(1.0, abs=1e-9)
    assert len(shares) == 31 and NOMINAL_CENTERS_HZ[0] == 20 and NOMINAL_CENTERS_HZ[-1] == 20000
    assert shares[NOMINAL_CENTERS_HZ.index(1000)] > 0.99
    assert result.centroid_hz == pytest.approx(1000.0, rel=0.01)


@pytest.mark.parametrize(("color", "tilt"), [("pink", 0.0), ("white", 3.0)])
def test_tilt_of_pink_and_white_noise(color: str, tilt: float) -> None:
    result = analyze(ArraySource(noise(color, 20.0, 48000)[np.newaxis], 48000))
    assert result.bands.tilt_db_per_octave == pytest.approx(tilt, abs=0.3)
    assert result.bands.shares.sum() == pytest.approx(1.0)
    assert result.lowest is None  # noise holds no note


def test_silence_has_no_shares_and_no_note() -> None:
    result = analyze(ArraySource(np.zeros((1, 48000 * 4), np.float32), 48000))
    assert result.bands.shares.sum() == 0.0 and result.lowest is None and result.centroid_hz is None


def test_note_names() -> None:
    assert note_name(41.2) == "E1" and note_name(440.0) == "A4" and note_name(82.41) == "E2"
    assert semitones_between(440.0, 880.0) == pytest.approx(12.0)


def test_rumble_alone_has_no_note_and_a_bass_note_over_it_is_found() -> None:
    rate = 48000
    rng = np.random.default_rng(3)
    spectrum = np.fft.rfft(rng.standard_normal(rate * 20))
    f = np.fft.rfftfreq(rate * 20, 1 / rate)
    spectrum[(f < 6) | (f > 28)] = 0
    rumble = np.fft.irfft(spectrum, rate * 20)
    rumble = (0.01 * rumble / rumble.std()).astype(np.float32)
    assert analyze(ArraySource(rumble[np.newaxis], rate)).lowest is None
    bass = tone(-12.0, 20.0, rate, freq_hz=55.0) + tone(-18.0, 20.0, rate, freq_hz=110.0)
    result = analyze(ArraySource((bass + rumble)[np.newaxis], rate))
    assert result.lowest is not None and result.lowest.note == "A1"
    share = float(np.mean(rumble.astype(np.float64) ** 2) / np.mean((bass + rumble).astype(np.float64) ** 2))
    assert result.lowest.energy_below == pytest.approx(share, rel=0.1)  # the rumble's share, all of it
