"""Speed of the audio analysis pass against the meters engineers use, side by side in one run.

Anchor: ../shared/research/perf-anchors.md, section 1 (loudness and true peak): on a 3-minute
48 kHz stereo file, pyebur128 (libebur128) integrated + true peak about 380x real time per core,
ffmpeg's ebur128 filter with peak=true about 340x, pyloudnorm (integrated only) about 680x, and
the floor, soundfile decoding the file, about 4,800x.

Inputs, generated here (seeded): programme-like pink noise with a kick on every beat and a bright
hat burst off the beat at 120 BPM, a quiet intro and a break, sample peak -0.3 dBFS (so the hats
make inter-sample overs), written as 24-bit WAV: 3 minutes at 48 kHz and 10 minutes at 96 kHz,
stereo. Timed per tool, median of 3 runs after a warm-up (1 run with --quick), CPU time of one
core (BLAS and OpenMP pinned to one thread; ffmpeg with -threads 1, its child CPU time):

- ours:       analyzers.analysis.analyze over the decoded samples in memory: integrated loudness,
              momentary and short-term series, LRA, sample and true peak, 1/3-octave bands,
              centroid, tilt and the lowest note, all in one pass
- ours+file:  the same from the WAV file (decoding included), as `tapeop analyze` does it
- pyebur128:  integrated + true peak over the same samples (float64 interleaved)
- pyloudnorm: integrated only, same samples
- ffmpeg:     `ffmpeg -threads 1 -i file -af ebur128=peak=true -f null -` (decoding and start-up
              included, as in the anchor); skipped with a note when Debian's ffmpeg is missing
- floor:      soundfile decoding the file

Target: our full pass at least as fast as pyebur128 doing integrated + true peak alone.
Run from the repo root: `python bench/analysis.py [--quick]`.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzers.analysis import analyze, analyze_file  # noqa: E402
from analyzers.audio import ArraySource, planar  # noqa: E402


def programme(seconds: float, rate: int, seed: int = 7) -> np.ndarray:
    """Interleaved (frames, 2) float32 programme-like material."""
    rng = np.random.default_rng(seed)
    n = round(seconds * rate)
    white = rng.standard_normal((2, n))
    spectrum = np.fft.rfft(white, axis=1)
    f = np.fft.rfftfreq(n, 1 / rate)
    spectrum[:, 1:] /= np.sqrt(f[1:])
    spectrum[:, 0] = 0
    x = np.fft.irfft(spectrum, n, axis=1)
    x /= x.std()
    x *= 0.25
    beat = round(0.5 * rate)
    kick_t = np.arange(round(0.15 * rate)) / rate
    kick = np.sin(2 * np.pi * (50 * kick_t + 60 * 0.03 * (1 - np.exp(-kick_t / 0.03)))) * np.exp(-kick_t / 0.08)
    hat = rng.standard_normal(round(0.03 * rate))
    hat = np.diff(hat, prepend=0.0) * np.exp(-np.arange(len(hat)) / (0.008 * rate))
    for start in range(0, n - beat, beat):
        x[:, start : start + len(kick)] += 2.0 * kick
        h = start + beat // 2
        x[:, h : h + len(hat)] += 1.5 * hat
    x[:, : round(0.1 * n)] *= 10 ** (-18 / 20)  # quiet intro
    x[:, round(0.5 * n) : round(0.55 * n)] *= 10 ** (-10 / 20)  # the break
    x *= 10 ** (-0.3 / 20) / np.abs(x).max()
    return np.ascontiguousarray(x.T, dtype=np.float32)


def cpu_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def ffmpeg_seconds(path: Path, repeats: int) -> float | None:
    if shutil.which("ffmpeg") is None:
        return None
    command = [
        "ffmpeg",
        "-nostdin",
        "-hide_banner",
        "-nostats",
        "-threads",
        "1",
        "-i",
        str(path),
        "-af",
        "ebur128=peak=true",
        "-f",
        "null",
        "-",
    ]
    times = []
    for _ in range(repeats + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times[1:])


def bench(name: str, seconds: float, rate: int, folder: Path, repeats: int) -> float:
    import pyebur128
    import pyloudnorm

    data = programme(seconds, rate)
    path = folder / f"{name}.wav"
    sf.write(path, data, rate, subtype="PCM_24")
    samples, _ = sf.read(path, dtype="float32")  # what every tool measures: the file's own samples
    as_f64 = np.ascontiguousarray(samples, dtype=np.float64)
    planar_samples = planar(samples)

    def ebur() -> tuple[float, float]:
        state = pyebur128.R128State(
            2, rate, pyebur128.MeasurementMode.MODE_I | pyebur128.MeasurementMode.MODE_TRUE_PEAK
        )
        state.add_frames(as_f64.ravel(), len(as_f64))
        return pyebur128.get_loudness_global(state), max(pyebur128.get_true_peak(state, c) for c in range(2))

    meter = pyloudnorm.Meter(rate)
    rows: dict[str, float | None] = {
        "ours (full pass, in memory)": cpu_seconds(lambda: analyze(ArraySource(planar_samples, rate)), repeats),
        "ours (full pass, from file)": cpu_seconds(lambda: analyze_file(path), repeats),
        "pyebur128 (I + true peak)": cpu_seconds(ebur, repeats),
        "pyloudnorm (I only)": cpu_seconds(lambda: meter.integrated_loudness(as_f64), repeats),
        "ffmpeg ebur128 peak=true": ffmpeg_seconds(path, repeats),
        "floor: soundfile decode": cpu_seconds(lambda: sf.read(path, dtype="float32"), repeats),
    }
    ours = analyze(ArraySource(planar_samples, rate))
    lufs, peak = ebur()
    print(f"\n{name}: {seconds / 60:.0f} min, {rate} Hz stereo, 24-bit WAV")
    print(
        f"  readings: ours {ours.integrated_lufs:.3f} LUFS, {ours.true_peak_dbtp:.3f} dBTP; libebur128 {lufs:.3f} LUFS, {20 * np.log10(peak):.3f} dBTP"
    )
    print(f"  {'tool':32s} {'CPU s':>8s} {'x realtime/core':>16s}")
    for tool, cpu in rows.items():
        if cpu is None:
            print(f"  {tool:32s} {'skipped: Debian ffmpeg not installed (apt-get install ffmpeg)':>8s}")
            continue
        print(f"  {tool:32s} {cpu:8.3f} {seconds / cpu:16.0f}")
    ratio = rows["pyebur128 (I + true peak)"] / rows["ours (full pass, in memory)"]  # type: ignore[operator]
    print(f"  ours vs pyebur128 (I + TP): {ratio:.2f}x as fast (target >= 1.0)  {'PASS' if ratio >= 1.0 else 'MISS'}")
    for tool in ("pyloudnorm (I only)", "ffmpeg ebur128 peak=true"):
        other = rows[tool]
        if other is not None:
            print(f"  ours vs {tool}: {other / rows['ours (full pass, in memory)']:.2f}x as fast")  # type: ignore[operator]
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one timed run per tool")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    print(f"{platform.python_version()} on {platform.machine()}, numpy {np.__version__}, soundfile {sf.__version__}")
    with tempfile.TemporaryDirectory(prefix="tapeop-bench-") as tmp:
        ratios = [
            bench("3 min 48 kHz", 180.0, 48000, Path(tmp), repeats),
            bench("10 min 96 kHz", 600.0, 96000, Path(tmp), repeats),
        ]
    return 0 if min(ratios) >= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
