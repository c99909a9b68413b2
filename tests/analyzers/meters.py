"""Our meter against the references engineers trust, on any (frames, channels) audio: the
complete-block integrated loudness with libebur128 (within 0.01 LU), true peak with libebur128
(within 0.2 dB), integrated loudness with pyloudnorm (within 0.1 LU)."""

from __future__ import annotations

import numpy as np
import pytest

from analyzers.analysis import analyze
from analyzers.audio import ArraySource, planar
from analyzers.loudness import integrated_lufs

pyebur128 = pytest.importorskip("pyebur128")
pyloudnorm = pytest.importorskip("pyloudnorm")


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
