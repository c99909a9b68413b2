"""The demo's synthesized band, measured by the analyzers: its stems' lowest notes are where the
score put them, and its mixes meter as the reference meters do. (The analyzers' own tests use
signals of their own; these check that the demo's ground truth is what the analyzers hear.)"""

from __future__ import annotations

import random

import numpy as np
import pytest

from analyzers.analysis import analyze
from analyzers.audio import ArraySource, planar
from analyzers.notes import semitones_between
from daemon.demo.synth import ROLES, render_song
from tests.analyzers.meters import check


@pytest.mark.parametrize("seed", range(6))
def test_lowest_note_of_generated_lines_within_a_semitone(seed: int) -> None:
    """Bass, guitar and vocal lines of the simulated band (guitars and vocal over rumble
    between 6 and 28 Hz at -44 dBFS, every line with silence in its count-in)."""
    tempo = 96.0 if seed % 2 else 128.0
    song = render_song(f"Song {seed}", tempo, 20.0, 48000, random.Random(seed))
    for name, stem in song.stems.items():
        if ROLES[name] == "kick":
            continue
        truth = song.truth[name]
        result = analyze(ArraySource(planar(stem), 48000))
        assert result.lowest is not None, name
        assert truth.lowest_note_hz is not None
        assert abs(semitones_between(truth.lowest_note_hz, result.lowest.freq_hz)) <= 1.0, (name, truth, result.lowest)
        if truth.has_rumble:
            assert result.lowest.energy_below > 0.0  # the rumble is under the note
            assert result.lowest.freq_hz > 35.0  # and is not taken for one


def generated_music() -> list[tuple[str, np.ndarray, int]]:
    from daemon.demo.synth import render_song

    found = []
    for seed, rate in ((1, 44100), (2, 48000), (3, 96000)):
        song = render_song(f"Mix {seed}", 100.0 + 10 * seed, 12.0, rate, random.Random(seed))
        stems = list(song.stems.values())
        left = sum(stems[i][:, 0] * g for i, g in zip(range(len(stems)), (1.0, 1.0, 1.2, 0.4, 0.9), strict=True))
        right = sum(stems[i][:, 0] * g for i, g in zip(range(len(stems)), (1.0, 1.0, 0.4, 1.2, 0.9), strict=True))
        found.append((f"generated mix {seed} at {rate} Hz", np.stack([left, right], axis=1), rate))
        found.append((f"generated bass {seed} at {rate} Hz", song.stems["Bass DI"], rate))
    return found


def test_generated_music_agrees_with_pyloudnorm_and_libebur128() -> None:
    for name, data, rate in generated_music():
        check(name, data, rate)
