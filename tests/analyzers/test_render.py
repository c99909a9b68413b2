"""Before/after renders of a change, measured in the WAV files they are written to: spectra by
Welch's method, loudness by pyloudnorm, levels and crest factors sample by sample."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import soundfile as sf

from analyzers.render import excerpt, play, render_before_after, write_pair

RATE = 48000
pyloudnorm = pytest.importorskip("pyloudnorm")


def noise(seconds: float = 8.0, rms: float = 0.05, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rms * rng.standard_normal((2, round(seconds * RATE)))).astype(np.float32)


def swells(seconds: float = 8.0) -> np.ndarray:
    """Noise swelling between -45 and -5 dB (RMS) one and a half times a second: dynamics a
    compressor evens out (its level moves far slower than the attack, so no onset slips by)."""
    t = np.arange(round(seconds * RATE)) / RATE
    envelope = 10 ** ((-25.0 + 20.0 * np.sin(2 * np.pi * 1.5 * t)) / 20)
    return (noise(seconds, 1.0, seed=2) * envelope).astype(np.float32)


def band(number: int, kind: str, freq_hz: float, **fields: float | bool) -> dict[str, float | str | bool | None]:
    terms: dict[str, float | str | bool | None] = {f"eq.band{number}.type": kind, f"eq.band{number}.freq_hz": freq_hz}
    terms.update({f"eq.band{number}.{name}": value for name, value in fields.items()})
    return terms


def rendered(
    tmp_path: Path, samples: np.ndarray, kind: str, before: dict, after: dict, **kw: float
) -> list[np.ndarray]:
    """Renders, writes and reads the pair back: (frames, channels) arrays as a player gets them."""
    pair = render_before_after(samples, RATE, kind, before, after, **kw)
    paths = write_pair(*pair, RATE, tmp_path, "change")
    assert all(path.is_file() and path.suffix == ".wav" for path in paths)
    files = [sf.read(str(path), always_2d=True) for path in paths]
    assert all(rate == RATE for _, rate in files)
    return [data for data, _ in files]


def change_db(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The after render's power spectrum over the before render's (dB), on the left channel."""
    freqs, p_before = scipy.signal.welch(before[:, 0], RATE, nperseg=32768)
    _, p_after = scipy.signal.welch(after[:, 0], RATE, nperseg=32768)
    return freqs, 10 * np.log10(p_after / p_before)


def at(freqs: np.ndarray, ratio_db: np.ndarray, hz: float) -> float:
    return float(ratio_db[np.argmin(np.abs(freqs - hz))])


def within(freqs: np.ndarray, ratio_db: np.ndarray, low: float, high: float) -> float:
    return float(np.median(ratio_db[(freqs >= low) & (freqs <= high)]))


def rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x))))


def test_a_bell_boost_measures_its_gain_at_its_frequency(tmp_path: Path) -> None:
    flat = band(1, "bell", 1000.0, gain_db=0.0, q=2.0)
    boosted = band(1, "bell", 1000.0, gain_db=6.0, q=2.0)
    before, after = rendered(tmp_path, noise(), "eq", flat, boosted)
    freqs, ratio = change_db(before, after)
    # the loudness match moved the whole spectrum: the shape is the peak over the untouched lows
    boost = at(freqs, ratio, 1000.0) - within(freqs, ratio, 100.0, 200.0)
    assert boost == pytest.approx(6.0, abs=0.5)
    assert within(freqs, ratio, 8000.0, 16000.0) == pytest.approx(within(freqs, ratio, 100.0, 200.0), abs=0.3)


@pytest.mark.parametrize(("slope", "expected_db"), [(24.0, -24.0), (12.0, -12.0)])
def test_a_high_pass_measures_its_slope_an_octave_down(tmp_path: Path, slope: float, expected_db: float) -> None:
    off = band(1, "highpass", 100.0, slope_db_oct=slope, enabled=False)
    on = band(1, "highpass", 100.0, slope_db_oct=slope)
    before, after = rendered(tmp_path, noise(), "eq", off, on)
    freqs, ratio = change_db(before, after)
    octave_down = at(freqs, ratio, 50.0) - within(freqs, ratio, 1000.0, 5000.0)
    assert octave_down == pytest.approx(expected_db, abs=1.5)


def test_a_disabled_band_is_not_heard() -> None:
    x = noise(4.0)
    before, after = render_before_after(x, RATE, "eq", {}, band(1, "bell", 1000.0, gain_db=12.0, enabled=False))
    assert np.array_equal(before, after)


def test_an_eq_change_is_loudness_matched(tmp_path: Path) -> None:
    brighter = band(1, "highshelf", 3000.0, gain_db=8.0, q=0.7071)
    before, after = rendered(tmp_path, noise(), "eq", {}, brighter)
    meter = pyloudnorm.Meter(RATE)
    assert meter.integrated_loudness(after) == pytest.approx(meter.integrated_loudness(before), abs=0.5)
    freqs, ratio = change_db(before, after)
    assert within(freqs, ratio, 8000.0, 16000.0) - within(freqs, ratio, 100.0, 500.0) > 7.0  # the tone changed


def test_more_compression_lowers_the_crest_factor(tmp_path: Path) -> None:
    settings = {"comp.threshold_db": -30.0, "comp.ratio": 1.0, "comp.attack_ms": 1.0, "comp.release_ms": 50.0}
    before, after = rendered(tmp_path, swells(), "compressor", settings, {**settings, "comp.ratio": 4.0})

    def crest_db(x: np.ndarray) -> float:
        return float(20 * np.log10(np.max(np.abs(x)))) - rms_db(x)

    assert crest_db(before) - crest_db(after) > 3.0


def test_a_fader_change_is_heard_as_a_level_change(tmp_path: Path) -> None:
    before, after = rendered(tmp_path, noise(), "fader", {"volume_db": 0.0}, {"volume_db": -6.0})
    assert rms_db(after) - rms_db(before) == pytest.approx(-6.0, abs=0.05)


def test_the_tracks_fader_is_applied_after_the_match(tmp_path: Path) -> None:
    x = noise()
    before, after = rendered(
        tmp_path, x, "eq", {}, band(1, "bell", 500.0, gain_db=-3.0), volume_db_before=0.0, volume_db_after=-4.0
    )
    meter = pyloudnorm.Meter(RATE)
    assert meter.integrated_loudness(after) - meter.integrated_loudness(before) == pytest.approx(-4.0, abs=0.5)


def test_the_renders_start_and_end_without_a_click(tmp_path: Path) -> None:
    x = noise(8.0, rms=0.2)
    before, after = rendered(tmp_path, x, "eq", {}, band(1, "bell", 2000.0, gain_db=6.0))
    played = np.concatenate([before, after, before])  # the engineer flips back and forth
    seams = [0, len(before), 2 * len(before), len(played)]
    padded = np.concatenate([np.zeros((1, 2)), played, np.zeros((1, 2))])
    jumps = np.abs(np.diff(padded, axis=0)).max(axis=1)
    for seam in seams:
        assert jumps[seam] < 1e-3, seam
    typical = np.median(jumps)
    assert typical > 0.1  # a jump of this signal between two samples, for scale
    fade = round(0.01 * RATE)  # within 10 ms of a seam the ramp keeps every step well under it
    for seam in seams:
        assert jumps[max(0, seam - fade // 10) : seam + fade // 10].max() < typical / 10


def test_excerpt_picks_where_the_track_plays() -> None:
    x = np.concatenate([np.zeros((2, 6 * RATE), dtype=np.float32), noise(6.0)], axis=1)
    part = excerpt(x, RATE, seconds=4.0)
    assert part.shape == (2, 4 * RATE)
    blocks = part[0].reshape(-1, RATE // 10)
    assert np.sqrt(np.mean(np.square(blocks), axis=1)).min() > 0.04  # no silent 100 ms in it
    assert excerpt(x[:, : 3 * RATE], RATE).shape == (2, 3 * RATE)  # shorter than asked: all of it


def test_a_kind_that_cannot_be_rendered_is_named() -> None:
    with pytest.raises(ValueError, match="'plugin'"):
        render_before_after(noise(1.0), RATE, "plugin", {}, {})


def test_play_says_why_without_sounddevice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_pair(noise(0.5), noise(0.5), RATE, tmp_path, "x")[0]
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import fails as without the package
    reason = play(path)
    assert reason is not None and "sounddevice" in reason


def test_play_says_why_without_an_output_device(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_pair(noise(0.5), noise(0.5), RATE, tmp_path, "x")[0]
    fake = types.ModuleType("sounddevice")

    class PortAudioError(Exception):
        pass

    def no_device(kind: str | None = None) -> None:
        raise PortAudioError("Error querying device -1")

    fake.PortAudioError = PortAudioError  # type: ignore[attr-defined]
    fake.query_devices = no_device  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    reason = play(path)
    assert reason is not None and "output device" in reason


def test_play_starts_without_waiting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_pair(noise(0.5), noise(0.5), RATE, tmp_path, "x")[1]
    started: list[tuple[int, int]] = []
    fake = types.ModuleType("sounddevice")
    fake.query_devices = lambda kind=None: {"name": "speakers"}  # type: ignore[attr-defined]
    fake.play = lambda data, rate: started.append((data.shape[0], rate))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    assert play(path) is None
    assert started == [(RATE // 2, RATE)]
