"""The audio of a window probe: one excerpt of a track processed at the setting `current` and at a
probe `value` of one parameter (CONTRACT.md, "Window probes"), written as three WAV files.

- The excerpt (choose_excerpt) is a stretch of about six seconds (4-8 s; the whole track when it
  is shorter) chosen where the parameter is heard, among the windows within 20 dB of the
  loudest (so never silence when the track plays anywhere):
  an EQ band's energy in 100 ms segments, under 1.5 times the frequency of a high-pass or low
  shelf (the lowest notes), over 1/1.5 of it for a low-pass or high shelf (the highs, sibilance),
  within the band's bandwidth (1/3 to 2 octaves) around a bell, notch or band-pass;
  a compressor's or limiter's level over its threshold (segment RMS for a compressor, sample
  peak for a limiter; the loudest stretch when nothing reaches it); for a delay, a reverb send or
  a gate, onsets (a rise of 6 dB or more in 100 ms) followed by space (the drop within 0.8 s),
  the loudest stretch when there are none; for a fader, pan or anything else, the loudest
  stretch by short-term loudness. Among equally good windows the middle one is taken.
- Devices are those of analyzers.render (eq, compressor, limiter, gate, fader: RBJ biquads from
  pedalboard and analyzers.eq), plus `delay` (pedalboard Delay: delay.time_ms, delay.feedback,
  delay.mix) and the channel kinds `fader`, `pan`, `send`, whose settings are the channel's:
  `volume_db` as a gain (null is silence), then `pan`: a mono source panned with the
  constant-power law (L = cos t, R = sin t, t = (pan + 1) pi / 4: -3 dB each side at the
  centre), a stereo source balanced with the same law scaled to 0 dB at the centre (the side
  turned away from falls as cos/sin times sqrt 2, the other side stays at 0 dB).
  A `send` renders the return: the channel (fader, pan) plus the channel sent post-fader at
  `send.<return>.level_db` into the return's reverb, built from `return_settings`: the wet
  signal of pedalboard's Reverb (JUCE's Freeverb; damping 0.5, width 1) delayed by
  reverb.predelay_ms, mixed with the sent signal as reverb.mix (wet) and 1 - mix (dry). Freeverb
  has no decay time: its combs (mean delay 31.25 ms) feed back 0.7 + 0.28 room_size, so
  reverb.decay_s (RT60 of the low and middle frequencies) maps to the feedback g with
  g ** (decay / 31.25 ms) = 10 ** -3, room_size = (g - 0.7) / 0.28, clipped to 0..1: decays
  between about 0.6 s and 10.7 s are rendered, shorter or longer ones at those ends.
  Compressor knee (comp.knee_db) is not rendered (hard knee), nor gate.range_db.
- Each render runs over the excerpt with up to a second of the track before it (pre-roll), cut
  to the excerpt and faded in and out over 20 ms (raised cosine), as analyzers.render does.
- `after` is scaled to the integrated loudness (BS.1770-4) of `before`, unless the parameter is
  a level (LEVEL_TERMS: volume_db, limiter.ceiling_db, comp.makeup_db, any *.output_gain_db);
  both are then scaled by one common gain when either would peak above -1 dBFS.
- `switch` plays `before` and changes to `after` halfway through with an equal-gain
  raised-cosine crossfade of 20 ms (the two are correlated renders of the same audio, so equal
  gain keeps the level; an equal-power crossfade would bump it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pedalboard
import scipy.signal
import soundfile as sf

from analyzers.audio import Planar
from analyzers.eq import EQ_TYPES
from analyzers.loudness import windows
from analyzers.render import (
    EXCERPT_S,
    PREROLL_S,
    RENDERED_KINDS,
    Setting,
    Stage,
    as_planar,
    device_chain,
    fade_ends,
    gain_stage,
    linear,
    match_gain,
    metered,
    number,
    plugin_stage,
    run_chain,
    within_peak_limit,
)

PROBED_KINDS = (*RENDERED_KINDS, "delay", "pan", "send")
LEVEL_TERMS = re.compile(r"(volume_db|limiter\.ceiling_db|comp\.makeup_db|[\w.]+\.output_gain_db)$")
MIN_EXCERPT_S = 4.0
MAX_EXCERPT_S = 8.0
CROSSFADE_S = 0.02
SEGMENT_S = 0.1
PLAYING_DB = 20.0  # a window this far under the loudest still plays
FREEVERB_COMB_S = 0.03125  # mean of Freeverb's eight comb delays (1116..1617 samples at 44.1 kHz)
_SEND = re.compile(r"send\.(.+)\.level_db$")
_BAND_TERM = re.compile(r"eq\.band(\d+)\.")


@dataclass(frozen=True)
class Excerpt:
    start_s: float
    duration_s: float
    why: str

    def to_json(self) -> dict[str, object]:
        return {"start_s": self.start_s, "duration_s": self.duration_s, "why": self.why}


@dataclass(frozen=True)
class ProbeFiles:
    before: Path
    after: Path
    switch: Path


def is_level(parameter: str) -> bool:
    """Whether a parameter is a level, whose probe is heard without the loudness match."""
    return LEVEL_TERMS.fullmatch(parameter) is not None


def choose_excerpt(
    samples: Planar, rate: int, parameter: str, settings: Mapping[str, Setting], seconds: float = EXCERPT_S
) -> Excerpt:
    """The stretch of the track where the parameter is heard (see the module's docstring), with a
    sentence saying why, in numbers."""
    x = as_planar(samples)
    frames = x.shape[1]
    seconds = min(max(seconds, MIN_EXCERPT_S), MAX_EXCERPT_S)
    if frames <= round(seconds * rate):
        return Excerpt(
            0.0, frames / rate, f"the whole track: it lasts {frames / rate:.1f} s, no longer than an excerpt"
        )
    hop = max(1, round(SEGMENT_S * rate))
    count = round(seconds / SEGMENT_S)
    loudness = windows(metered(x, rate).segments(), count)
    if not len(loudness) or loudness.max() <= 0:
        return Excerpt(0.0, seconds, f"the track is silent: its first {seconds:g} s")
    playing = loudness >= loudness.max() * 10 ** (-PLAYING_DB / 10)
    scored = _score(x, rate, hop, count, parameter, settings)
    if scored is not None and np.max(np.where(playing, scored[0], -np.inf)) > 0:
        score, describe = scored
    else:
        score, describe = loudness, _loudest
    index = _middle_of_best(np.where(playing, score, -np.inf))
    start = min(index * hop, frames - round(seconds * rate))
    span = f"{start / rate:.1f}-{start / rate + seconds:.1f} s"
    return Excerpt(round(start / rate, 3), seconds, describe(span, score, index))


def render_probe(
    samples: Planar,
    rate: int,
    kind: str,
    settings: Mapping[str, Setting],
    parameter: str,
    value: float,
    excerpt: Excerpt,
    folder: Path,
    stem: str,
    *,
    return_settings: Mapping[str, Setting] | None = None,
) -> ProbeFiles:
    """The excerpt at `current` (settings) and at `value` of `parameter`, and the switch from one
    to the other, as 24-bit WAV files `<folder>/<stem>-before.wav`, `-after.wav`, `-switch.wav`.
    ValueError for a kind that cannot be rendered."""
    x = as_planar(samples)
    probed: Setting = bool(value) if parameter.split(".")[-1] == "enabled" else float(value)  # an on/off as 1/0
    chains = [
        probe_chain(kind, setting, return_settings, parameter)
        for setting in (settings, {**settings, parameter: probed})
    ]
    start = min(max(0, round(excerpt.start_s * rate)), x.shape[1])
    stop = min(x.shape[1], start + max(1, round(excerpt.duration_s * rate)))
    first = max(0, start - round(PREROLL_S * rate))
    renders = [fade_ends(run_chain(chain, x[:, first:stop], rate)[:, start - first :], rate) for chain in chains]
    if not is_level(parameter):
        renders[1] = renders[1] * np.float32(match_gain(renders[1], renders[0], rate))
    before, after = within_peak_limit(renders)
    folder.mkdir(parents=True, exist_ok=True)
    files = ProbeFiles(*(folder / f"{stem}-{name}.wav" for name in ("before", "after", "switch")))
    for path, audio in zip((files.before, files.after, files.switch), (before, after, switch(before, after, rate))):
        sf.write(str(path), np.asarray(audio).T, rate, subtype="PCM_24")
    return files


def switch(before: Planar, after: Planar, rate: int, seconds: float = CROSSFADE_S) -> Planar:
    """`before` changing to `after` halfway through, with an equal-gain raised-cosine crossfade
    of `seconds` centred there (the two fades sum to one)."""
    frames = before.shape[1]
    n = min(max(2, round(seconds * rate)), frames)
    begin = (frames - n) // 2
    ramp = np.zeros(frames, dtype=np.float64)
    ramp[begin : begin + n] = 0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)
    ramp[begin + n :] = 1.0
    return ((1.0 - ramp) * before + ramp * after).astype(np.float32)


def probe_chain(
    kind: str,
    settings: Mapping[str, Setting],
    return_settings: Mapping[str, Setting] | None = None,
    parameter: str = "",
) -> list[Stage]:
    """The stages of a probed kind at its settings; ValueError for a kind that cannot be rendered.
    A `send` renders the send named by `parameter` (or, without one, the channel's first send)."""
    if kind in ("fader", "pan"):
        return channel_chain(settings)
    if kind == "send":
        term = parameter if _SEND.match(parameter) else next((t for t in settings if _SEND.match(t)), "")
        return [_send_stage(settings, term, return_settings or {})]
    if kind == "delay":
        return [] if settings.get("enabled") is False else [plugin_stage(delay(settings))]
    if kind not in RENDERED_KINDS:
        raise ValueError(f"cannot render a probe of a {kind!r} device: only {', '.join(PROBED_KINDS)} are rendered")
    return device_chain(kind, settings)


def channel_chain(settings: Mapping[str, Setting]) -> list[Stage]:
    """A channel's fader (`volume_db`, null is silence) and, when it has one, its `pan`."""
    if "volume_db" in settings and settings["volume_db"] is None:
        stages: list[Stage] = [lambda x, rate: np.zeros_like(x)]
    else:
        stages = [gain_stage(number(settings, "volume_db", 0.0))]
    if "pan" in settings:
        position = min(max(number(settings, "pan", 0.0), -1.0), 1.0)
        stages.append(lambda x, rate: pan(x, position))
    return stages


def pan(x: Planar, position: float) -> Planar:
    """Mono panned with the constant-power law (-3 dB each side at the centre); stereo (or more:
    the first two channels) balanced with that law scaled to 0 dB at the centre."""
    angle = (position + 1.0) * math.pi / 4.0
    left, right = math.cos(angle), math.sin(angle)
    if x.shape[0] == 1:
        return np.concatenate([x * np.float32(left), x * np.float32(right)]).astype(np.float32)
    out = np.array(x, dtype=np.float32, copy=True)
    out[0] *= np.float32(min(1.0, math.sqrt(2.0) * left))
    out[1] *= np.float32(min(1.0, math.sqrt(2.0) * right))
    return out


def delay(settings: Mapping[str, Setting]) -> pedalboard.Delay:
    return pedalboard.Delay(
        delay_seconds=min(max(number(settings, "delay.time_ms", 500.0), 0.0), 30000.0) / 1000.0,
        feedback=min(max(number(settings, "delay.feedback", 0.0), 0.0), 1.0),
        mix=min(max(number(settings, "delay.mix", 0.5), 0.0), 1.0),
    )


def room_size(decay_s: float) -> float:
    """Freeverb's room size for a decay time (RT60, s) of its combs; 0..1 (see the module)."""
    feedback = 10.0 ** (-3.0 * FREEVERB_COMB_S / max(decay_s, 1e-3))
    return min(max((feedback - 0.7) / 0.28, 0.0), 1.0)


def reverb_stage(settings: Mapping[str, Setting]) -> Stage:
    """A return's reverb: Freeverb fully wet after the predelay, mixed with the dry send."""
    plugin = pedalboard.Reverb(
        room_size=room_size(number(settings, "reverb.decay_s", 2.0)),
        damping=0.5,
        wet_level=1.0,
        dry_level=0.0,
        width=1.0,
    )
    mix = min(max(number(settings, "reverb.mix", 1.0), 0.0), 1.0)
    predelay_s = max(number(settings, "reverb.predelay_ms", 0.0), 0.0) / 1000.0

    def reverberated(x: Planar, rate: int) -> Planar:
        wet = plugin_stage(plugin)(x, rate)
        shift = min(round(predelay_s * rate), x.shape[1])
        wet = np.concatenate([np.zeros((wet.shape[0], shift), np.float32), wet[:, : wet.shape[1] - shift]], axis=1)
        return (np.float32(1.0 - mix) * x + np.float32(mix) * wet).astype(np.float32)

    return reverberated


def _send_stage(settings: Mapping[str, Setting], term: str, return_settings: Mapping[str, Setting]) -> Stage:
    channel = channel_chain(settings)
    level = number(settings, term, -math.inf)  # null (-inf dB) or absent: nothing sent
    reverb = reverb_stage(return_settings)

    def sent(x: Planar, rate: int) -> Planar:
        dry = run_chain(channel, x, rate)
        if not math.isfinite(level):
            return dry
        return (dry + reverb(dry * np.float32(linear(level)), rate)).astype(np.float32)

    return sent


# Choosing the excerpt ------------------------------------------------------------------------

Describe = Callable[[str, npt.NDArray[np.float64], int], str]


def _loudest(span: str, score: npt.NDArray[np.float64], index: int) -> str:
    level = 10 * math.log10(max(float(score[index]), 1e-30)) - 0.691
    return f"the loudest stretch: {span} holds the most short-term loudness ({level:.1f} LUFS)"


def _score(
    x: Planar, rate: int, hop: int, count: int, parameter: str, settings: Mapping[str, Setting]
) -> tuple[npt.NDArray[np.float64], Describe] | None:
    """The score of every window (one per 100 ms step) for the parameter, with how to say why;
    None where the loudest stretch is the answer."""
    band = _BAND_TERM.match(parameter)
    if band:
        return _band_score(x, rate, hop, count, f"eq.band{band[1]}.", settings)
    if parameter.startswith(("comp.", "limiter.")):
        return _over_threshold_score(x, hop, count, parameter.split(".")[0], settings)
    if parameter.startswith(("delay.", "gate.", "send.")):
        return _space_score(x, hop, count)
    return None


def _band_score(
    x: Planar, rate: int, hop: int, count: int, prefix: str, settings: Mapping[str, Setting]
) -> tuple[npt.NDArray[np.float64], Describe] | None:
    kind, freq = settings.get(prefix + "type"), number(settings, prefix + "freq_hz", 0.0)
    if kind not in EQ_TYPES or freq <= 0:
        return None
    nyquist = 0.45 * rate
    if kind in ("highpass", "lowshelf"):
        edge = min(1.5 * freq, nyquist)
        sos = scipy.signal.butter(4, edge, "lowpass", fs=rate, output="sos")
        where, role = f"under {edge:.0f} Hz", "the lowest notes"
    elif kind in ("lowpass", "highshelf"):
        edge = min(freq / 1.5, nyquist)
        sos = scipy.signal.butter(4, edge, "highpass", fs=rate, output="sos")
        where, role = f"over {edge:.0f} Hz", "the high bursts"
    else:
        q = number(settings, prefix + "q", 0.7071) or 0.7071
        octaves = min(max(2.0 / math.log(2.0) * math.asinh(1.0 / (2.0 * q)), 1.0 / 3.0), 2.0)
        low, high = freq * 2 ** (-octaves / 2), min(freq * 2 ** (octaves / 2), nyquist)
        if low >= high:
            return None
        sos = scipy.signal.butter(2, [low, high], "bandpass", fs=rate, output="sos")
        where, role = f"between {low:.0f} and {high:.0f} Hz", f"around {freq:.0f} Hz"
    power = _segment_power(scipy.signal.sosfilt(sos, x, axis=1), hop)
    score = windows(power, count)
    mean = float(power.mean()) if len(power) else 0.0
    name = {"highpass": "high-pass", "lowpass": "low-pass", "lowshelf": "low shelf", "highshelf": "high shelf"}
    acts = f"where the {name.get(str(kind), str(kind))} at {freq:.0f} Hz acts"

    def describe(span: str, score: npt.NDArray[np.float64], index: int) -> str:
        over = 10 * math.log10(max(float(score[index]), 1e-30) / max(mean, 1e-30))
        return f"{role}: {span} holds the most energy {where}, {acts} ({over:+.1f} dB over the track's average there)"

    return score, describe


def _over_threshold_score(
    x: Planar, hop: int, count: int, device: str, settings: Mapping[str, Setting]
) -> tuple[npt.NDArray[np.float64], Describe]:
    if device == "comp":
        threshold = number(settings, "comp.threshold_db", 0.0) - number(settings, "comp.input_gain_db", 0.0)
        level = 10 * np.log10(np.maximum(_segment_power(x, hop) / x.shape[0], 1e-12))
        measure = "RMS"
    else:
        threshold = number(settings, "limiter.threshold_db", number(settings, "limiter.ceiling_db", 0.0))
        threshold -= number(settings, "limiter.input_gain_db", 0.0)
        frames = (x.shape[1] // hop) * hop
        peaks = np.abs(x[:, :frames]).max(axis=0).reshape(-1, hop).max(axis=1)
        level = 20 * np.log10(np.maximum(peaks, 1e-6))
        measure = "peak"
    over = np.maximum(level - threshold, 0.0)
    score = windows(over, count) * count
    device_name = "compressor" if device == "comp" else "limiter"

    def describe(span: str, score: npt.NDArray[np.float64], index: int) -> str:
        lo, hi = index, index + count
        busy = int(np.count_nonzero(over[lo:hi]))
        return (
            f"where the {device_name} works hardest: {span} has {busy} of its {count} 100 ms segments over the "
            f"{threshold:.1f} dB threshold ({measure}), by up to {float(over[lo:hi].max()):.1f} dB"
        )

    return score, describe


def _space_score(x: Planar, hop: int, count: int) -> tuple[npt.NDArray[np.float64], Describe]:
    level = 10 * np.log10(np.maximum(_segment_power(x, hop), 1e-12))
    after = 8  # the space after a note: 0.8 s
    padded = np.concatenate([level, np.full(after, level[-1] if len(level) else -120.0)])
    following = np.stack([padded[k + 1 : k + 1 + len(level)] for k in range(after)]).min(axis=0)
    rise = np.diff(level, prepend=level[0] if len(level) else 0.0)
    onset = (rise >= 6.0) & (level >= level.max() - 30.0) if len(level) else np.zeros(0, dtype=bool)
    drop = np.clip(level - following, 0.0, 40.0)
    decay = np.where(onset & (drop >= 10.0), drop, 0.0)
    score = windows(decay, count) * count

    def describe(span: str, score: npt.NDArray[np.float64], index: int) -> str:
        found = decay[index : index + count]
        notes = int(np.count_nonzero(found))
        return (
            f"notes followed by space: {span} has {notes} onsets whose level falls by "
            f"{float(found[found > 0].mean()) if notes else 0.0:.0f} dB on average within 0.8 s, where echoes and tails are heard"
        )

    return score, describe


def _middle_of_best(score: npt.NDArray[np.float64]) -> int:
    """The best window; among equally good neighbours (the same notes in view) the middle one, so
    the stretch is centred on what it was chosen for rather than running into what it was not."""
    best = int(np.argmax(score))
    tied = score >= score[best] - 1e-9 * abs(score[best])
    end = best
    while end + 1 < len(score) and tied[end + 1]:
        end += 1
    return (best + end) // 2


def _segment_power(x: npt.NDArray[np.floating], hop: int) -> npt.NDArray[np.float64]:
    """Sum over channels of each 100 ms segment's mean square."""
    frames = (x.shape[1] // hop) * hop
    return np.square(x[:, :frames], dtype=np.float64).sum(axis=0).reshape(-1, hop).mean(axis=1)
