"""Loudness and true peak against EBU Tech 3341 and Tech 3342 cases synthesized from their
published descriptions, at 44.1, 48 and 96 kHz, mono and stereo."""

from __future__ import annotations

import numpy as np
import pytest

from analyzers.analysis import analyze
from analyzers.audio import ArraySource
from analyzers.loudness import integrated_lufs, k_weighting_taps, windows
from tests.analyzers.signals import faded_peak_tone, isp_pulses, on_channels, steps

RATES = (44100, 48000, 96000)
MONO_OFFSET = -10 * np.log10(2)  # one channel of the stereo pair: 3.01 dB less loud

TECH_3341 = {  # case: (levels dBFS and seconds, expected integrated LUFS for stereo)
    1: ([(-23.0, 20.0)], -23.0),
    2: ([(-33.0, 20.0)], -33.0),
    3: ([(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)], -23.0),
    4: ([(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)], -23.0),
    5: ([(-26.0, 20.1), (-20.0, 20.1), (-26.0, 20.1)], -23.0),
}


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("case", sorted(TECH_3341))
@pytest.mark.parametrize("channels", [1, 2])
def test_tech_3341_integrated_loudness(case: int, rate: int, channels: int) -> None:
    levels, expected = TECH_3341[case]
    result = analyze(ArraySource(on_channels(steps(levels, rate), channels), rate))
    expected += 0.0 if channels == 2 else MONO_OFFSET
    assert result.integrated_lufs == pytest.approx(expected, abs=0.1)


@pytest.mark.parametrize("rate", RATES)
def test_tech_3341_momentary_and_short_term_of_a_steady_tone(rate: int) -> None:
    result = analyze(ArraySource(on_channels(steps([(-23.0, 20.0)], rate), 2), rate))
    assert np.allclose(result.loudness.momentary_lufs, -23.0, atol=0.1)
    assert np.allclose(result.loudness.short_term_lufs, -23.0, atol=0.1)
    assert len(result.loudness.short_term_lufs) == 200 - 30 + 1  # 10 Hz, 3 s windows over 20 s


def test_silence_has_no_integrated_loudness() -> None:
    result = analyze(ArraySource(np.zeros((2, 48000 * 3), np.float32), 48000))
    assert result.integrated_lufs is None
    assert result.true_peak_dbtp == -np.inf
    assert result.report()["integrated_lufs"] is None


@pytest.mark.parametrize("rate", RATES)
def test_a_stream_ending_past_half_a_step_gets_a_last_block_over_its_end(rate: int) -> None:
    # 1.6 s at -30 dBFS, then a burst at -10 dBFS: 80 ms of it (past half a 100 ms step) counts
    # in a last block, zero-padded; 40 ms (under half) is left out, as libebur128 leaves both.
    for burst_s, counted in ((0.08, True), (0.04, False)):
        signal = on_channels(steps([(-30.0, 1.6), (-10.0, burst_s)], rate), 2)
        result = analyze(ArraySource(signal, rate))
        complete = integrated_lufs(result.loudness.segments)
        assert complete == pytest.approx(-30.0, abs=0.1)
        assert result.loudness.tail is not None if counted else result.loudness.tail is None
        assert result.integrated_lufs is not None
        if counted:  # a 14th block after 13 whole ones: 3/4 at -30, 0.2 of it at -10 (0.05 padded)
            block = 10 ** (-3.0) * 0.75 + 10 ** (-1.0) * 0.2
            expected = 10 * np.log10((13 * 10 ** (-3.0) + block) / 14)
            assert result.integrated_lufs == pytest.approx(expected, abs=0.1)
            assert result.integrated_lufs > complete + 1.0
        else:
            assert result.integrated_lufs == complete


TECH_3342 = {  # case: (levels dBFS and seconds, expected loudness range LU)
    1: ([(-20.0, 20.0), (-30.0, 20.0)], 10.0),
    2: ([(-20.0, 20.0), (-15.0, 20.0)], 5.0),
    3: ([(-40.0, 20.0), (-20.0, 20.0)], 20.0),
    4: ([(-50.0, 20.0), (-35.0, 20.0), (-20.0, 20.0), (-35.0, 20.0), (-50.0, 20.0)], 15.0),
}


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("case", sorted(TECH_3342))
@pytest.mark.parametrize("channels", [1, 2])
def test_tech_3342_loudness_range(case: int, rate: int, channels: int) -> None:
    levels, expected = TECH_3342[case]
    result = analyze(ArraySource(on_channels(steps(levels, rate), channels), rate))
    assert result.loudness.loudness_range_lu == pytest.approx(expected, abs=1.0)


TRUE_PEAK = {  # Tech 3341 cases 15-19: (frequency as a fraction of fs, amplitude, phase), expected dBTP
    15: ((1 / 4, 0.5, 0.0), -6.02),
    16: ((1 / 4, 0.5, 45.0), -6.02),
    17: ((1 / 6, 0.5, 60.0), -6.02),
    18: ((1 / 8, 0.5, 67.5), -6.02),
    19: ((1 / 4, 1.41, 45.0), 20 * np.log10(1.41)),
}


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("case", sorted(TRUE_PEAK))
@pytest.mark.parametrize("channels", [1, 2])
def test_tech_3341_true_peak(case: int, rate: int, channels: int) -> None:
    (fraction, amplitude, phase), expected = TRUE_PEAK[case]
    if rate == 96000 and fraction == 1 / 4:
        fraction = 1 / 8  # Tech 3341 defines the cases at 48 kHz; fs/4 at 96 kHz is above the audio band
    x = faded_peak_tone(fraction * rate, amplitude, phase, rate)
    result = analyze(ArraySource(on_channels(x, channels), rate))
    assert expected - 0.4 <= result.true_peak_dbtp <= expected + 0.2  # Tech 3341's tolerance
    assert result.sample_peak_dbfs <= result.true_peak_dbtp + 1e-6


@pytest.mark.parametrize("rate", [48000, 96000])
@pytest.mark.parametrize("offset", [0.0, 1 / 8, 1 / 4, 1 / 2])
def test_inter_sample_peaks_are_found(offset: float, rate: int) -> None:
    x = isp_pulses(offset, rate)
    result = analyze(ArraySource(on_channels(x, 2), rate))
    assert -1.4 <= result.true_peak_dbtp <= -0.8
    if offset == 1 / 2 and rate == 48000:
        assert result.sample_peak_dbfs < -2.0  # the samples alone miss it by far


def test_k_weighting_taps_cover_the_filter() -> None:
    taps = k_weighting_taps(48000)
    assert 3000 < len(taps) < 5000  # about 84 ms: the tail beyond is under 1e-8 of the whole
    response = np.abs(np.fft.rfft(taps, 1 << 16))
    freqs = np.fft.rfftfreq(1 << 16, 1 / 48000)
    assert 20 * np.log10(response[np.searchsorted(freqs, 1000)]) == pytest.approx(0.69, abs=0.02)


def test_windows_average_segments() -> None:
    assert list(windows(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 4)) == [2.5, 3.5]
    assert len(windows(np.array([1.0]), 4)) == 0
