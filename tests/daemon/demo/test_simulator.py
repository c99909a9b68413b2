"""The simulated engineer's audio: real stems with a known truth, embedded in every save, and
moves whose reasons agree with that truth."""

from __future__ import annotations

import math
import random
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from analyzers.tempo import grid_fit
from daemon.demo.channel_moves import TARGET_LEVEL_DB
from daemon.demo.session import Intent
from daemon.demo.simulator import SimulatedSave, load_stem, simulate_archive
from daemon.demo.synth import INSTRUMENTS, RUMBLE_DBFS, StemTruth, audio_rng, render_song, render_stems, score_song
from daemon.formats import read_session
from daemon.formats.guard import SafeArchive
from daemon.log.records import LoggedEvent

SR = 48000
# 5 mono 16-bit FLAC stems of 20 s at 48 kHz came to 2.0-2.2 MB a save; the bound leaves room.
MAX_SAVE_BYTES = 3_000_000


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> list[SimulatedSave]:
    folder = tmp_path_factory.mktemp("archive")
    started = time.perf_counter()
    saves = simulate_archive(folder, songs=2, saves=4, seed=0)
    print(f"\nsimulate_archive(2 songs, 4 saves): {time.perf_counter() - started:.2f} s")
    return saves


def _psd(x: np.ndarray, n: int = 1 << 15) -> tuple[np.ndarray, np.ndarray]:
    """Welch's average of Hann-windowed periodograms, half-overlapping (1.46 Hz bins at 48 kHz)."""
    mono = x[:, 0].astype(np.float64)
    window = np.hanning(n)
    segments = [np.abs(np.fft.rfft(mono[i : i + n] * window)) ** 2 for i in range(0, len(mono) - n + 1, n // 2)]
    return np.fft.rfftfreq(n, 1.0 / SR), np.mean(segments, axis=0)


def _lowest_strong_peak(x: np.ndarray, floor_db: float = -12.0) -> float:
    """The lowest frequency (above 20 Hz) whose power is within `floor_db` of the strongest and is
    the largest within a semitone either side."""
    freqs, power = _psd(x)
    strong = power.max() * 10 ** (floor_db / 10)
    for i in np.flatnonzero((freqs > 20.0) & (power >= strong)):
        near = (freqs >= freqs[i] / 2 ** (1 / 12)) & (freqs <= freqs[i] * 2 ** (1 / 12))
        if power[i] >= power[near].max():
            return float(freqs[i])
    raise AssertionError("no strong peak")


def _band_dbfs(x: np.ndarray, low_hz: float, high_hz: float) -> float:
    """RMS of the part of `x` between the two frequencies, in dBFS (Parseval)."""
    mono = x[:, 0].astype(np.float64)
    spectrum = np.fft.rfft(mono)
    freqs = np.fft.rfftfreq(len(mono), 1.0 / SR)
    band = (freqs >= low_hz) & (freqs < high_hz)
    return 10 * math.log10(2 * float(np.sum(np.abs(spectrum[band]) ** 2)) / len(mono) ** 2 + 1e-30)


def _semitones(a: float, b: float) -> float:
    return 12 * math.log2(a / b)


def test_stems_are_deterministic_per_seed() -> None:
    one = render_song("Song A", 120.0, 8.0, SR, random.Random(7))
    again = render_song("Song A", 120.0, 8.0, SR, random.Random(7))
    other = render_stems("Song A", 120.0, 8.0, SR, random.Random(8))
    assert one.truth == again.truth
    assert set(one.stems) == {name for name, _ in INSTRUMENTS}
    for name, stem in one.stems.items():
        assert stem.dtype == np.float32 and stem.shape == (8 * SR, 1)
        assert np.array_equal(stem, again.stems[name])
        assert not np.array_equal(stem, other[name])


@pytest.mark.parametrize(("seed", "tempo"), [(0, 92.0), (1, 108.0), (2, 120.0), (3, 128.0), (5, 120.0)])
def test_the_bass_stems_lowest_strong_peak_is_within_a_semitone_of_its_recorded_lowest_note(
    seed: int, tempo: float
) -> None:
    song = render_song("Song A", tempo, 20.0, SR, random.Random(seed))
    truth = song.truth["Bass DI"]
    assert (truth.lowest_note, truth.lowest_note_hz) in (("E1", 41.2), ("A1", 55.0))
    peak = _lowest_strong_peak(song.stems["Bass DI"])
    assert truth.lowest_note_hz is not None and abs(_semitones(peak, truth.lowest_note_hz)) <= 1.0, (peak, truth)


def test_both_keys_are_rendered_so_the_bass_goes_down_to_e1_or_a1() -> None:
    notes = {score_song("S", 120.0, 4.0, SR, random.Random(seed)).truth("Bass DI").lowest_note for seed in range(8)}
    assert notes == {"E1", "A1"}


def test_rumble_below_30_hz_is_on_the_vocal_when_its_truth_says_so() -> None:
    song = render_song("Song A", 120.0, 20.0, SR, random.Random(4))
    vocal = song.stems["Lead Vox"]
    assert song.truth["Lead Vox"].has_rumble
    rumble = _band_dbfs(vocal, 5.0, 29.0)
    assert abs(rumble - RUMBLE_DBFS) < 3.0
    assert rumble - _band_dbfs(vocal, 31.0, 60.0) > 20.0  # below the lowest sung note: nothing but rumble
    assert not song.truth["Bass DI"].has_rumble and not song.truth["Kick"].has_rumble
    assert song.truth["Gtr L"].has_rumble and abs(_band_dbfs(song.stems["Gtr L"], 5.0, 29.0) - RUMBLE_DBFS) < 3.0


def test_the_count_in_bar_has_click_and_chatter_on_the_vocal_only() -> None:
    song = render_song("Song A", 120.0, 10.0, SR, random.Random(2))
    vocal = song.truth["Lead Vox"]
    assert vocal.count_in_audible and vocal.count_in_s == pytest.approx(2.0)  # one bar at 120 BPM
    count_in = slice(0, int(vocal.count_in_s * SR))
    assert 20 * math.log10(np.max(np.abs(song.stems["Lead Vox"][count_in]))) > -36.0  # the click
    for name in ("Kick", "Bass DI"):
        truth = song.truth[name]
        assert not truth.count_in_audible and truth.count_in_s == pytest.approx(2.0, abs=0.015)  # timing
        assert np.max(np.abs(song.stems[name][: int(truth.count_in_s * SR)])) == 0.0
        assert np.max(np.abs(song.stems[name][int(truth.count_in_s * SR) :][:SR])) > 0.1


def test_guitars_go_down_to_e2_and_the_vocal_sings_between_110_and_440_hz() -> None:
    for seed in range(8):
        score = score_song("S", 108.0, 12.0, SR, random.Random(seed))
        assert score.truth("Gtr L").lowest_note == score.truth("Gtr R").lowest_note == "E2"
        vocal = score.truth("Lead Vox").lowest_note_hz
        assert vocal is not None and 110.0 <= vocal <= 440.0


def test_every_stem_peaks_under_minus_3_dbfs(archive: list[SimulatedSave]) -> None:
    for seed in range(3):
        for name, stem in render_stems("S", 128.0, 20.0, SR, random.Random(seed)).items():
            peak_dbfs = 20 * math.log10(float(np.max(np.abs(stem))))
            assert -7.0 < peak_dbfs < -3.0, name
    for name, _ in INSTRUMENTS:
        stem, _ = load_stem(archive[0], name)
        assert 20 * math.log10(float(np.max(np.abs(stem)))) < -3.0


def test_every_save_archive_holds_its_audio_and_the_clip_references_resolve_to_it(
    archive: list[SimulatedSave],
) -> None:
    assert len(archive) == 8
    for save in archive:
        session = read_session(save.path, name=save.song)
        with SafeArchive(save.path) as members:
            for name, _ in INSTRUMENTS:
                (clip,) = session.track(name).clips
                assert clip.file == f"audio/{save.song} {name}.flac"
                assert members.has(clip.file)
                end = clip.position + clip.duration  # beats; a trimmed start keeps its audio in place
                assert end == pytest.approx(20.0 * (session.tempo_bpm or 0) / 60.0) and clip.play_start == clip.position
        assert set(save.stems) == {name for name, _ in INSTRUMENTS}


def test_load_stem_round_trips_within_16_bit_quantization(archive: list[SimulatedSave]) -> None:
    save = archive[5]  # Song B v2
    rendered = render_song(save.song, save.session.tempo_bpm or 0.0, 20.0, SR, audio_rng(0, save.song))
    assert rendered.truth == save.stems
    for name, _ in INSTRUMENTS:
        stem, rate = load_stem(save, name)
        assert rate == SR and stem.shape == (20 * SR, 1) and stem.dtype == np.float32
        assert np.max(np.abs(stem - rendered.stems[name])) <= 1.0 / 32768


def test_saves_stay_small_with_the_audio_embedded(archive: list[SimulatedSave]) -> None:
    sizes = [save.path.stat().st_size for save in archive]
    print(f"\nsave sizes: {min(sizes):,} .. {max(sizes):,} bytes, {sum(sizes):,} in all")
    assert max(sizes) < MAX_SAVE_BYTES


def test_without_audio_the_saves_hold_no_media_and_the_truth_lacks_only_the_levels(tmp_path: Path) -> None:
    with_audio = simulate_archive(tmp_path / "a", songs=2, saves=6, seed=1, seconds=6.0, sample_rate_hz=16000)
    without = simulate_archive(tmp_path / "b", songs=2, saves=6, seed=1, seconds=6.0, render_audio=False)
    assert all(save.path.stat().st_size < 50_000 for save in without)
    with pytest.raises(LookupError, match="holds no"):
        load_stem(without[0], "Kick")
    unknown = {"rms_dbfs": None, "peak_dbfs": None, "true_peak_dbtp": None, "loudness_lufs": None}
    for audio, plain in zip(with_audio, without):
        assert plain.stems == {
            name: replace(t, **unknown, loudness_range_lu=None)
            for name, t in audio.stems.items()  # type: ignore[arg-type]
        }
        # Moves draw the same numbers either way; only fader moves depend on levels for whether
        # they are made (a pull under the ceiling needs a known peak; one that would be staging
        # and clip prevention at once is not made), and a fader move left out lets a later one in.
        assert [(i.track, i.parameter) for i in audio.intents if i.parameter != "volume_db"] == [
            (i.track, i.parameter) for i in plain.intents if i.parameter != "volume_db"
        ]
        assert not any(i.reason == "clip-prevention" for i in plain.intents)
        levels = [i for i in plain.intents if i.parameter == "volume_db" or i.device == "Compressor"]
        assert all(i.reason == "taste" and not i.evidence for i in levels)


def test_the_reason_of_every_move_agrees_with_the_truth_of_its_stem(tmp_path: Path) -> None:
    saves = simulate_archive(tmp_path, songs=4, saves=8, seed=12, seconds=14.0, sample_rate_hz=16000)
    reasons: set[str] = set()
    for save in saves:
        for intent in save.intents:
            reasons.add(intent.reason)
            truth = save.stems.get(intent.track, StemTruth("return", None, None, False))  # the Verb plays no stem
            if intent.parameter == "eq.band1.freq_hz":
                assert truth.lowest_note_hz is not None
                above = _semitones(float(intent.after), truth.lowest_note_hz)  # type: ignore[arg-type]
                if intent.reason == "de-guffing":
                    assert -3.0 < above < 0.0  # just under the lowest note
                else:
                    assert intent.reason == "taste" and above >= 7.0  # cuts into the notes
                assert intent.evidence["lowest_note_hz"] == truth.lowest_note_hz
            elif intent.parameter == "volume_db":
                e = intent.evidence
                assert e["loudness_lufs"] == truth.loudness_lufs and e["true_peak_dbtp"] == truth.true_peak_dbtp
                closed = abs(e["level_before_db"] - TARGET_LEVEL_DB) - abs(e["level_after_db"] - TARGET_LEVEL_DB)
                clipped = e["peak_before_dbtp"] > -1.0 >= e["peak_after_dbtp"] and intent.after < intent.before  # type: ignore[operator]
                assert not (closed >= 0.5 and clipped)  # never both
                assert (intent.reason == "gain-staging") == (closed >= 0.5)
                assert (intent.reason == "clip-prevention") == clipped
                assert e["level_after_db"] - e["level_before_db"] == pytest.approx(
                    float(intent.after) - float(intent.before),  # type: ignore[arg-type]
                    abs=0.02,
                )
            else:
                _agrees_with_truth(intent, truth, save.session.tempo_bpm or 0.0)
    assert {"de-guffing", "gain-staging", "taste", "masking", "clip-prevention", "tempo", "dynamics"} <= reasons
    assert {"resonance", "sibilance", "non-musical"} <= reasons


def _agrees_with_truth(intent: Intent, truth: StemTruth, tempo_bpm: float) -> None:
    """The reason of a move other than a fader or a high-pass against the truth of its stem."""
    e = intent.evidence
    if intent.parameter.startswith("eq.band3.") and intent.track == "Kick":
        assert e["resonance_hz"] == truth.resonance_hz
        if intent.reason == "resonance":
            assert abs(e["semitones_off"]) <= 0.35 and e["q"] >= 4.0
        else:
            assert intent.reason == "taste" and e["octaves_off"] >= 0.6
    elif intent.parameter.startswith("eq.band3."):
        sibilant = 5000.0 <= e["cut_hz"] <= 10000.0 and truth.sibilant_hz is not None
        assert (intent.reason == "sibilance") == sibilant and 2.0 <= e["q"] < 4.0
        if sibilant:
            assert truth.sibilant_hz is not None and abs(e["cut_hz"] / truth.sibilant_hz - 1) <= 0.051
    elif intent.parameter in ("delay.time_ms", "reverb.predelay_ms"):
        fit = grid_fit(float(intent.after), tempo_bpm)  # type: ignore[arg-type]
        window_ms = max(2.0, 0.015 * fit.grid_ms)
        assert (intent.reason == "tempo") == (abs(fit.error_ms) <= window_ms)
        assert intent.reason == "tempo" or abs(fit.error_ms) > 2 * window_ms  # a clear miss
    elif intent.parameter.startswith("comp."):
        assert (intent.reason == "dynamics") == (e["closed_lu"] >= 0.5)
    elif intent.event_type == "clip-changed":
        start_s = intent.after["position"] * 60.0 / tempo_bpm  # type: ignore[index]
        if intent.reason == "non-musical":
            assert truth.count_in_audible and 0.2 <= truth.count_in_s - start_s <= 0.4
        else:
            assert intent.reason == "taste" and start_s > truth.count_in_s
    else:
        assert intent.parameter in ("pan", "eq.band2.gain_db"), intent


def test_one_save_never_holds_two_intents_for_one_parameter(tmp_path: Path) -> None:
    saves = simulate_archive(tmp_path, songs=4, saves=10, seed=2, render_audio=False, seconds=4.0)
    for save in saves:
        keys = [(i.track, i.parameter) for i in save.intents]
        assert len(keys) == len(set(keys))
        assert not any(a.conflicts(b) for n, a in enumerate(save.intents) for b in save.intents[n + 1 :])


def test_an_intent_matches_the_logged_change_it_made_and_no_other() -> None:
    def event(kind: str, **payload: object) -> LoggedEvent:
        return LoggedEvent(1, kind, "Song A", 2, "sim", datetime.now(UTC), dict(payload))

    echo = Intent("Lead Vox", "delay.time_ms", 300.0, 250.0, "tempo", "Echo")
    assert echo.matches(event("parameter-changed", track="Lead Vox", device="Echo", parameter="delay.time_ms"))
    assert not echo.matches(event("parameter-changed", track="Lead Vox", device="Verb", parameter="delay.time_ms"))
    assert not echo.matches(event("parameter-changed", track="Gtr L", device="Echo", parameter="delay.time_ms"))
    fader = Intent("Kick", "volume_db", 0.0, -2.0, "clip-prevention")
    assert fader.matches(event("parameter-changed", track="Kick", parameter="volume_db"))
    assert not fader.matches(event("clip-changed", track="Kick", parameter="volume_db"))
    trim = Intent(
        "Lead Vox", "audio/x.flac", {"position": 0.0}, {"position": 3.0}, "non-musical", event_type="clip-changed"
    )
    assert trim.matches(event("clip-changed", track="Lead Vox", parameter="audio/x.flac", where={"clip": 0}))
    assert not trim.matches(event("parameter-changed", track="Lead Vox", parameter="audio/x.flac"))
    assert trim.conflicts(replace(trim, reason="taste")) and not trim.conflicts(echo)
    assert echo.conflicts(replace(echo, parameter="delay.mix")) and not echo.conflicts(fader)


def test_the_kick_rings_and_the_vocal_hisses_where_their_truth_says() -> None:
    song = render_song("Song A", 120.0, 20.0, SR, random.Random(6))
    kick, vocal = song.truth["Kick"], song.truth["Lead Vox"]
    assert kick.resonance_hz is not None and 300.0 <= kick.resonance_hz <= 700.0
    freqs, power = _psd(song.stems["Kick"])
    near = (freqs >= kick.resonance_hz / 2 ** (1 / 3)) & (freqs <= kick.resonance_hz * 2 ** (1 / 3))
    at = np.abs(freqs - kick.resonance_hz) <= 3.0
    assert 10 * math.log10(power[at].max() / np.median(power[near])) > 15.0  # a ring over the click
    assert vocal.sibilant_hz is not None and 6000.0 <= vocal.sibilant_hz <= 8500.0
    assert song.truth["Gtr L"].sibilant_hz is None and song.truth["Gtr L"].resonance_hz is None
    sung = song.stems["Lead Vox"][int(vocal.count_in_s * SR) :]
    band = _band_dbfs(sung, vocal.sibilant_hz - 1000.0, vocal.sibilant_hz + 1000.0)
    above = _band_dbfs(sung, vocal.sibilant_hz + 1200.0, vocal.sibilant_hz + 3200.0)
    assert band - above > 20.0  # the "s" over the voice's own highs (its harmonics stop at 5 kHz)


def test_a_staged_kick_peaks_over_the_ceiling_and_gtr_l_swings_wider_than_the_steady_parts() -> None:
    song = render_song("Song A", 108.0, 20.0, SR, random.Random(3))
    kick = song.truth["Kick"]
    assert kick.true_peak_dbtp is not None and kick.loudness_lufs is not None
    assert kick.true_peak_dbtp >= kick.peak_dbfs  # type: ignore[operator]
    assert kick.true_peak_dbtp + (TARGET_LEVEL_DB - kick.loudness_lufs) > -1.0  # staged, it clips
    ranges = {name: t.loudness_range_lu for name, t in song.truth.items()}
    steady = [ranges[name] for name in ("Kick", "Bass DI", "Gtr R")]
    assert ranges["Gtr L"] > max(steady) + 5.0  # type: ignore[operator, type-var]  # its soft passes
