"""Analyzing a 2-hour 96 kHz stereo file keeps the whole process under 300 MB at its peak.

The file is a real 16-bit WAV of 2.76 GB as soundfile sees it, written sparse (music every ten
minutes, silence between, which the file system stores as holes) so that the test needs little
disk; every one of its 691 million frames is decoded and measured."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

RATE, CHANNELS, SECONDS = 96000, 2, 2 * 3600
LIMIT_MB = 300

# The peak resident set of this process image: VmHWM, which exec resets (ru_maxrss would carry
# over the forked parent's size, here the whole test process).
MEASURE = """
import sys
from analyzers.analysis import analyze_file
result = analyze_file(sys.argv[1])
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(result.duration_s, result.integrated_lufs, peak_kb)
"""


def sparse_wav(path: Path) -> None:
    frames = RATE * SECONDS
    data_bytes = frames * CHANNELS * 2
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, CHANNELS, RATE, RATE * CHANNELS * 2, CHANNELS * 2, 16)
    header += b"data" + struct.pack("<I", data_bytes)
    t = np.arange(RATE * 10) / RATE
    music = (8000 * np.sin(2 * np.pi * 110 * t) * (1 + np.sin(2 * np.pi * 0.5 * t)) / 2).astype("<i2")
    chunk = np.repeat(music[:, np.newaxis], CHANNELS, axis=1).tobytes()
    with path.open("wb") as f:
        f.write(header)
        for minute in range(0, SECONDS // 60, 10):
            f.seek(len(header) + minute * 60 * RATE * CHANNELS * 2)
            f.write(chunk)
        f.truncate(len(header) + data_bytes)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak resident set from Linux's /proc")
def test_two_hours_at_96_khz_stay_under_300_mb(tmp_path: Path) -> None:
    if shutil.disk_usage(tmp_path).free < 200 * 2**20:
        pytest.skip("under 200 MB free for the sparse test file")
    path = tmp_path / "two-hours.wav"
    sparse_wav(path)
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, check=True, timeout=900
    )
    duration, loudness, peak_kb = result.stdout.split()
    assert float(duration) == SECONDS
    assert loudness != "None"
    assert int(peak_kb) / 1024 < LIMIT_MB, f"peak RSS {int(peak_kb) / 1024:.0f} MB"
