"""Agreement with the meters engineers trust: integrated loudness with pyloudnorm (within 0.1 LU)
and true peak with libebur128 through pyebur128 (within 0.2 dB), on the real files of the corpus,
the audio inside the corpus DAWproject archives, and generated music.

pyloudnorm rounds BS.1770's last block index to the nearest, so a file that ends more than half
way into a 100 ms step gets a last, zero-padded block over its end; libebur128 counts complete
blocks only. Our integrated loudness reads as pyloudnorm does (analyzers.loudness), and its
complete-block reading (`integrated_lufs(segments)`) must agree with libebur128 within 0.01 LU.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from analyzers.analysis import analyze
from analyzers.audio import ArraySource, planar
from analyzers.loudness import integrated_lufs

pyebur128 = pytest.importorskip("pyebur128")
pyloudnorm = pytest.importorskip("pyloudnorm")

AUDIO = (".wav", ".flac", ".aif", ".aiff", ".ogg")


def corpus_audio(corpus: Path) -> list[tuple[str, np.ndarray, int]]:
    found = []
    for path in sorted((corpus / "audio").rglob("*")):
        if path.suffix.lower() in AUDIO:
            data, rate = sf.read(path, dtype="float32", always_2d=True)
            found.append((str(path.relative_to(corpus)), data, rate))
    for archive in sorted(corpus.rglob("*.dawproject")):
        try:
            members = zipfile.ZipFile(archive)
        except zipfile.BadZipFile:
            continue
        for name in members.namelist():
            if name.lower().endswith(AUDIO):
                data, rate = sf.read(io.BytesIO(members.read(name)), dtype="float32", always_2d=True)
                found.append((f"{archive.relative_to(corpus)}:{name}", data, rate))
    return found


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


def libebur128(data: np.ndarray, rate: int) -> tuple[float, float]:
    frames, channels = data.shape
    state = pyebur128.R128State(
        channels, rate, pyebur128.MeasurementMode.MODE_I | pyebur128.MeasurementMode.MODE_TRUE_PEAK
    )
    state.add_frames(np.ascontiguousarray(data, dtype=np.float64).ravel(), frames)
    peak = max(pyebur128.get_true_peak(state, c) for c in range(channels))
    return pyebur128.get_loudness_global(state), 20 * np.log10(peak) if peak > 0 else -np.inf


def check(name: str, data: np.ndarray, rate: int) -> None:
    ours = analyze(ArraySource(planar(data), rate))
    reference_lufs, reference_tp = libebur128(data, rate)
    complete_blocks = integrated_lufs(ours.loudness.segments)
    if complete_blocks is None:
        assert not np.isfinite(reference_lufs), name
    else:
        assert complete_blocks == pytest.approx(reference_lufs, abs=0.01), name
    if np.isfinite(reference_tp):
        assert ours.true_peak_dbtp == pytest.approx(reference_tp, abs=0.2), name
    else:
        assert ours.true_peak_dbtp == -np.inf, name
    if len(data) >= 0.4 * rate:
        theirs = pyloudnorm.Meter(rate).integrated_loudness(data if data.shape[1] > 1 else data[:, 0])
        if ours.integrated_lufs is None:
            assert not np.isfinite(theirs), name
        else:
            assert ours.integrated_lufs == pytest.approx(theirs, abs=0.1), name


@pytest.mark.corpus
def test_corpus_audio_agrees_with_pyloudnorm_and_libebur128(corpus: Path) -> None:
    files = corpus_audio(corpus)
    assert len(files) >= 10
    for name, data, rate in files:
        check(name, data, rate)


def test_generated_music_agrees_with_pyloudnorm_and_libebur128() -> None:
    for name, data, rate in generated_music():
        check(name, data, rate)
