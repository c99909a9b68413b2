"""Test signals synthesized from the published descriptions of EBU Tech 3341 and Tech 3342."""

from __future__ import annotations

import numpy as np


def tone(level_dbfs: float, seconds: float, rate: int, freq_hz: float = 1000.0, phase_deg: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (10 ** (level_dbfs / 20) * np.sin(2 * np.pi * freq_hz * t + np.radians(phase_deg))).astype(np.float32)


def steps(levels_and_seconds: list[tuple[float, float]], rate: int) -> np.ndarray:
    """A 1 kHz tone stepping through (level dBFS, seconds) in one continuous phase."""
    return np.concatenate([tone(level, seconds, rate) for level, seconds in levels_and_seconds])


def on_channels(mono: np.ndarray, channels: int) -> np.ndarray:
    """Planar (channels, frames): the same signal on every channel."""
    return np.repeat(mono[np.newaxis, :], channels, axis=0)


def faded_peak_tone(freq_hz: float, amplitude: float, phase_deg: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    """A true-peak case: a tone with 20 ms raised-cosine fades (an abrupt start rings in any
    band-limited reconstruction and that onset, not the tone, would be measured)."""
    x = amplitude * np.sin(2 * np.pi * freq_hz * np.arange(round(seconds * rate)) / rate + np.radians(phase_deg))
    fade = round(0.02 * rate)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))
    x[:fade] *= ramp
    x[-fade:] *= ramp[::-1]
    return x.astype(np.float32)


def isp_pulses(offset_samples: float, rate: int, peak_dbtp: float = -1.0, seconds: float = 2.0) -> np.ndarray:
    """Band-limited pulses (a 20 kHz Kaiser-windowed sinc) whose true peak is exactly `peak_dbtp`,
    lying `offset_samples` after a sample point."""
    x = np.zeros(round(seconds * rate))
    half = 64
    k = np.arange(-half, half + 1)
    cutoff = 2 * 20000 / rate
    for centre in range(rate // 10, len(x) - rate // 10, rate // 4):
        u = k - offset_samples
        pulse = cutoff * np.sinc(cutoff * u) * np.kaiser(2 * half + 1, 10.0)
        x[centre - half : centre + half + 1] += pulse
    # the continuous peak is the pulse's value at u = 0: cutoff * kaiser centre (1.0)
    return (x * 10 ** (peak_dbtp / 20) / cutoff).astype(np.float32)
