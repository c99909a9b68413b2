"""EQ magnitude responses (RBJ cookbook) and the masking index with what an EQ cut or a pan move
does to it."""

from __future__ import annotations

import numpy as np
import pytest

from analyzers.analysis import analyze
from analyzers.audio import ArraySource, AudioError
from analyzers.dynamics import step_peaks
from analyzers.eq import EqBand, bands_from_terms
from analyzers.masking import BARK_EDGES_HZ, BandFrames, MaskingPair, band_frames, masking, masking_many, pan_gains
from tests.analyzers.signals import tone

RATE = 48000


def db(power_gain: np.ndarray) -> np.ndarray:
    return 10 * np.log10(power_gain)


def test_bell_shelves_and_filters_have_their_textbook_responses() -> None:
    bell = EqBand("bell", 1000.0, gain_db=-6.0, q=2.0)
    assert db(bell.power_gain([1000.0]))[0] == pytest.approx(-6.0, abs=0.01)
    assert abs(db(bell.power_gain([100.0, 10000.0]))).max() < 0.3
    low = EqBand("lowshelf", 200.0, gain_db=4.0)
    assert db(low.power_gain([20.0]))[0] == pytest.approx(4.0, abs=0.1)
    assert abs(db(low.power_gain([5000.0]))[0]) < 0.05
    high = EqBand("highshelf", 8000.0, gain_db=-3.0)
    assert db(high.power_gain([20000.0]))[0] == pytest.approx(-3.0, abs=0.3)
    hp = EqBand("highpass", 100.0, slope_db_oct=12.0)
    assert db(hp.power_gain([100.0]))[0] == pytest.approx(-3.01, abs=0.05)
    assert db(hp.power_gain([25.0]))[0] == pytest.approx(-24.0, abs=1.0)  # 12 dB/octave, two octaves down
    steep = EqBand("highpass", 100.0, slope_db_oct=24.0)
    assert db(steep.power_gain([25.0]))[0] < -40.0
    assert EqBand("notch", 60.0, q=10.0).power_gain([60.0])[0] < 1e-6
    assert EqBand("bell", 1000.0, gain_db=-12.0, enabled=False).power_gain([1000.0])[0] == 1.0


def test_bands_from_standard_terms() -> None:
    bands = bands_from_terms(
        {
            "eq.band2.type": "bell",
            "eq.band2.freq_hz": 400.0,
            "eq.band2.gain_db": -4.0,
            "eq.band2.q": 1.5,
            "eq.band1.type": "highpass",
            "eq.band1.freq_hz": 80.0,
            "eq.band3.type": "bell",  # no frequency: skipped
            "param.Drive": 0.3,
        }
    )
    assert bands == [EqBand("highpass", 80.0), EqBand("bell", 400.0, gain_db=-4.0, q=1.5)]


def track(*tones: tuple[float, float], seconds: float = 8.0, silent_from: float | None = None) -> np.ndarray:
    x = sum(tone(level, seconds, RATE, freq_hz=freq) for freq, level in tones)
    x = np.asarray(x, dtype=np.float32)
    if silent_from is not None:
        x[round(silent_from * RATE) :] = 0.0
    return x[np.newaxis]


def frames(x: np.ndarray):  # noqa: ANN201
    return band_frames(ArraySource(x, RATE))


def test_a_cut_where_the_masker_covers_the_target_lowers_the_index_and_elsewhere_it_does_not() -> None:
    guitar = frames(track((400.0, -14.0), (2000.0, -14.0)))  # the masker
    vocal = frames(track((2000.0, -20.0), (2500.0, -26.0)))  # the target
    before = masking(guitar, vocal)
    assert before.index is not None and before.index > 0.5  # the louder guitar covers the vocal at 2 kHz
    band = next(i for i in range(len(BARK_EDGES_HZ) - 1) if BARK_EDGES_HZ[i] <= 2000 < BARK_EDGES_HZ[i + 1])
    assert before.band_index[band] is not None and before.band_index[0] is None  # no vocal below 100 Hz

    where = masking(guitar.with_eq([EqBand("bell", 2000.0, gain_db=-9.0, q=2.0)]), vocal)
    elsewhere = masking(guitar.with_eq([EqBand("bell", 400.0, gain_db=-9.0, q=2.0)]), vocal)
    assert where.index is not None and elsewhere.index is not None
    assert where.index < before.index - 0.15
    assert elsewhere.index == pytest.approx(before.index, abs=0.01)
    boost = masking(guitar, vocal.with_eq([EqBand("bell", 2000.0, gain_db=6.0, q=2.0)]))
    assert boost.index is not None and boost.index < before.index  # a boost on the target works too


def test_a_pan_move_apart_lowers_the_index() -> None:
    guitar, vocal = frames(track((2000.0, -14.0))), frames(track((2000.0, -20.0)))
    centred = masking(guitar, vocal)
    apart = masking(guitar, vocal, masker_pan=-0.8, target_pan=0.8)
    assert centred.index is not None and apart.index is not None
    assert apart.index < centred.index - 0.2


def test_only_steps_where_both_play_count() -> None:
    guitar = frames(track((2000.0, -14.0), silent_from=4.0))
    vocal = frames(track((2000.0, -20.0)))
    result = masking(guitar, vocal)
    assert result.both_playing == pytest.approx(0.5, abs=0.05)
    silent = frames(np.zeros((1, RATE * 8), np.float32))
    nothing = masking(silent, vocal)
    assert nothing.index is None and nothing.both_playing == 0.0


def test_many_pairs_at_once_read_as_each_pair_alone() -> None:
    rng = np.random.default_rng(7)
    frames = []
    for _ in range(4):
        energy = rng.random((300, 120)) * 10 ** rng.uniform(-3.0, 0.0)
        energy[rng.random(300) < 0.3] *= 1e-12  # steps where the track is silent
        frames.append(BandFrames(energy, 0.17))
    pairs = [(frames[0], frames[1]), (frames[2], frames[3]), (frames[1], frames[0])]
    pans = [(0.3, -0.2), (0.0, 0.0), (-1.0, 1.0)]
    some = np.zeros(25, dtype=bool)
    some[8:11] = True
    for bands in (None, some):
        for (masker, target), (mp, tp), many in zip(pairs, pans, masking_many(pairs, pans, bands), strict=True):
            alone = MaskingPair(masker, target, bands).at(mp, tp)
            assert alone.both_playing == many.both_playing
            assert alone.index == pytest.approx(many.index, abs=1e-5)
            assert [i is None for i in alone.band_index] == [i is None for i in many.band_index]
            assert all(
                abs(a - b) < 1e-5 for a, b in zip(alone.band_index, many.band_index, strict=True) if a is not None
            )
    assert masking(frames[0], frames[1], 0.3, -0.2).index == pytest.approx(
        MaskingPair(frames[0], frames[1]).at(0.3, -0.2).index
    )


def test_each_side_of_the_index_keeps_at_least_min_k_1_of_itself_when_a_pan_scales_its_gain() -> None:
    rng = np.random.default_rng(11)
    masker, target = (BandFrames(rng.random((200, 120)) * 10 ** rng.uniform(-2.0, 0.0), 0.17) for _ in range(2))
    pair = MaskingPair(masker, target)
    for before, after, other in ((0.4, 0.6, -0.3), (0.0, -1.0, 0.5), (-0.7, 0.9, 0.0), (1.0, 0.2, 0.2)):
        for pans_before, pans_after in (((other, before), (other, after)), ((before, other), (after, other))):
            sides = pair.index_by_side(*pans_before)
            assert sides is not None and sum(sides) == pytest.approx(pair.index_at(*pans_before), rel=1e-6)
            now = pair.index_by_side(*pans_after)
            assert now is not None
            for was, is_now, old_gain, new_gain in zip(sides, now, pan_gains(before), pan_gains(after), strict=True):
                kept = min(1.0, new_gain / old_gain) if old_gain > 0 else 1.0
                assert is_now >= kept * was - 1e-7


@pytest.mark.filterwarnings("error")  # refused in one clear error, without numpy's warnings on the way
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_infinite_samples_are_refused_by_every_measurement(bad: float) -> None:
    samples = np.full((1, 48000), 0.1, np.float32)
    samples[0, 100] = bad
    for measure in (analyze, band_frames, step_peaks):
        with pytest.raises(AudioError, match="NaN or infinite samples"):
            measure(ArraySource(samples, 48000))
