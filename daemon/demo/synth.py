"""The simulated band: a score of who plays which note when, and numpy synthesis that plays it
into one mono stem per instrument track, with each stem's ground truth (`StemTruth`: lowest
note, rumble a mic picked up, the count-in before the music). The simulated engineer
(daemon/demo/simulator.py) embeds the stems in its sessions; tests/daemon/demo/test_synth_measured.py
checks that the analyzers hear what the score put in them."""

from __future__ import annotations

import io
import math
import random
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import soundfile as sf

from analyzers.analysis import analyze
from analyzers.audio import ArraySource
from analyzers.notes import midi_name, midi_to_hz


@dataclass(frozen=True)
class StemTruth:
    """What is in one stem: the ground truth the analysis is checked against.

    The lowest note is the lowest the score plays (the kick's is its tuning, where its pitch
    sweep ends). Rumble, where there is some, is noise between 6 and 28 Hz at RUMBLE_DBFS RMS.
    `count_in_s`: seconds from the start to the stem's first note (the one-bar count-in, give or
    take the player's timing; the whole stem when it holds no note); `count_in_audible`: whether
    something is heard there (the vocal mic picks up the headphone click and the singer's
    chatter; the other stems hold silence or rumble only).
    `resonance_hz`: the frequency of a sustained ring in the stem (the kick's shell mode, ringing
    on every hit), None when nothing rings; `sibilant_hz`: the centre of the "s" bursts of a sung
    line (noise 1 kHz either side of it, in 5-10 kHz, where the voice itself holds nothing), None
    for a stem without sibilants.
    `rms_dbfs`, `peak_dbfs`, `true_peak_dbtp`, `loudness_lufs` and `loudness_range_lu` are measured
    on the rendered stem (None when nothing was rendered): the RMS is the mean power of 400 ms
    blocks within 10 dB of their mean (the gating of BS.1770 without its K-weighting; a full-scale
    sine reads -3.01 dBFS); the true peak (BS.1770-4 Annex 2), the integrated loudness (the level
    the simulated engineer stages to) and the loudness range (EBU Tech 3342, the dynamics the
    engineer compresses toward) are the analyzers'.
    """

    role: str  # "kick", "bass", "guitar", "vocal"
    lowest_note_hz: float | None
    lowest_note: str | None  # "E1"
    has_rumble: bool
    count_in_s: float = 0.0
    count_in_audible: bool = False
    resonance_hz: float | None = None
    sibilant_hz: float | None = None
    rms_dbfs: float | None = None
    peak_dbfs: float | None = None
    true_peak_dbtp: float | None = None
    loudness_lufs: float | None = None
    loudness_range_lu: float | None = None


@dataclass(frozen=True)
class RenderedSong:
    stems: dict[str, np.ndarray]  # track name -> (frames, 1) float32
    truth: dict[str, StemTruth]
    sample_rate_hz: int


INSTRUMENTS = (("Kick", "audio"), ("Bass DI", "audio"), ("Gtr L", "audio"), ("Gtr R", "audio"), ("Lead Vox", "audio"))
ROLES = {"Kick": "kick", "Bass DI": "bass", "Gtr L": "guitar", "Gtr R": "guitar", "Lead Vox": "vocal"}

# Audio formats the stems can be embedded in: extension -> (soundfile format, subtype).
AUDIO_FORMATS = {"flac": ("FLAC", "PCM_16"), "wav": ("WAV", "PCM_24")}

STEM_PEAK_DBFS = -6.0
RUMBLE_DBFS = -44.0  # RMS of the rumble under 30 Hz on the guitar and vocal stems


# -- the score: what is played, and so the truth -------------------------------------------------


class Chord(NamedTuple):
    bass: int  # the root on the bass, MIDI (octave 1-2)
    open: tuple[int, ...]  # an open-position voicing (Gtr L)
    power: tuple[int, ...]  # a power chord (Gtr R)


# Every note sits at or above its key's tonic on the bass and at or above E2 on the guitars, and
# each progression holds an E chord, whose voicings both reach down to E2 (40).
CHORDS: dict[str, Chord] = {
    "E": Chord(28, (40, 47, 52, 56, 59, 64), (40, 47, 52)),
    "E2": Chord(40, (40, 47, 52, 56, 59, 64), (40, 47, 52)),  # E, its bass an octave up (key of A)
    "C": Chord(36, (48, 52, 55, 60, 64), (48, 55, 60)),
    "G": Chord(31, (43, 47, 50, 55, 59, 67), (43, 50, 55)),
    "D": Chord(38, (50, 57, 62, 66), (50, 57, 62)),
    "Am": Chord(33, (45, 52, 57, 60, 64), (45, 52, 57)),
    "F": Chord(41, (41, 48, 53, 57, 60, 65), (41, 48, 53)),
}
# Key -> progression (one chord a bar). The first chord's bass root is the lowest bass note.
PROGRESSIONS = {"E": ("E", "C", "G", "D"), "A": ("Am", "F", "C", "E2")}
# Bass patterns in 8th notes, semitones above the bar's root.
BASS_PATTERNS = (
    (0, 0, 0, 0, 0, 0, 0, 0),
    (0, 0, 12, 0, 0, 0, 7, 0),
    (0, 0, 0, 12, 0, 0, 7, 5),
    (0, 12, 0, 0, 0, 7, 0, 0),
)
GUITAR_STRUMS = {  # (beat in the bar, length in beats)
    "Gtr L": ((0.0, 2.0), (2.0, 1.5), (3.5, 0.5)),
    "Gtr R": tuple((b * 0.5, 0.5) for b in range(8)),
}
VOCAL_RANGE = (52, 69)  # E3 .. A4
KICK_TUNINGS = (32, 33)  # where the kick's pitch sweep ends: G#1 (51.9 Hz) or A1 (55 Hz)
KICK_DECAY_S = 0.06  # the body's decay: a tight, close-miked kick
KICK_RING_HZ = (300.0, 700.0)  # where the kick's shell rings: a mode in the boxy range, drawn per song
SOFT_CYCLE_DB = (6.0, 9.0)  # how much softer Gtr L plays every other pass through the progression
SIBILANT_HZ = (6000.0, 8500.0)  # centres of the singer's "s" (each burst 1 kHz either side)
SIBILANT_SHARE = 0.4  # of the sung notes that start with an "s"


class Note(NamedTuple):
    at_s: float
    length_s: float
    midi: int
    gain: float = 1.0


@dataclass(frozen=True)
class Score:
    """What the band plays in a song: per track its notes, the count-in chatter on the vocal mic.
    Bar 0 is the count-in; everyone comes in at bar 1. Only notes starting before the end."""

    tempo_bpm: float
    seconds: float
    sample_rate_hz: int
    key: str
    notes: dict[str, tuple[Note, ...]]
    chatter_s: tuple[float, ...]
    ring_hz: float
    sibilant_hz: float
    sibilants_s: tuple[float, ...]  # when the "s" bursts start (with a sung note)

    @property
    def beat_s(self) -> float:
        return 60.0 / self.tempo_bpm

    @property
    def frames(self) -> int:
        return int(round(self.seconds * self.sample_rate_hz))

    def truth(self, name: str) -> StemTruth:
        """The truth of one stem as far as the score tells it (no levels: those need the audio)."""
        notes = self.notes[name]
        lowest = min((n.midi for n in notes), default=None)
        role = ROLES[name]
        return StemTruth(
            role=role,
            lowest_note_hz=None if lowest is None else round(midi_to_hz(lowest), 2),
            lowest_note=None if lowest is None else midi_name(lowest),
            has_rumble=role in ("guitar", "vocal"),
            count_in_s=round(max(0.0, min((n.at_s for n in notes), default=self.seconds)), 6),
            count_in_audible=role == "vocal",
            resonance_hz=self.ring_hz if role == "kick" else None,
            sibilant_hz=self.sibilant_hz if role == "vocal" and self.sibilants_s else None,
        )


def score_song(song: str, tempo_bpm: float, seconds: float, sample_rate_hz: int, rng: random.Random) -> Score:
    """The score of `song`, deterministic for the state of `rng`: kick on every beat, bass in 8th
    notes from its key's tonic (E1 or A1) up, strummed guitars (open chords left, power chords
    right, both down to E2; the open chords softer every other pass through the progression), a
    sung line in two-bar phrases with a bar of rest between them, some of its notes starting with
    an "s"; the kick's shell ringing at a pitch of its own; the players' timing and dynamics a
    little loose."""
    np_rng = np.random.default_rng([rng.getrandbits(63), zlib.crc32(song.encode())])
    key = rng.choice(sorted(PROGRESSIONS))
    kick_midi = rng.choice(KICK_TUNINGS)
    beat_s = 60.0 / float(tempo_bpm)
    bars = range(1, int(seconds / (4 * beat_s)) + 1)  # the bars after the count-in that start in time
    chords = {bar: CHORDS[PROGRESSIONS[key][(bar - 1) % 4]] for bar in range(1, bars.stop + 2)}

    def loose(at_s: float, timing_s: float, dynamics_db: float) -> tuple[float, float]:
        return at_s + float(np_rng.normal(0, timing_s)), float(10 ** (np_rng.normal(0, dynamics_db) / 20))

    notes: dict[str, list[Note]] = {name: [] for name, _ in INSTRUMENTS}
    for bar in bars:
        for beat in range(4):
            at, gain = loose((bar * 4 + beat) * beat_s, 0.002, 0.8)
            notes["Kick"].append(Note(at, 0.45, kick_midi, gain))
        pattern = BASS_PATTERNS[int(np_rng.integers(len(BASS_PATTERNS)))]
        for step, offset in enumerate(pattern):
            at, gain = loose((bar * 4 + step / 2) * beat_s, 0.003, 1.0)
            notes["Bass DI"].append(Note(at, 0.5 * beat_s + 0.02, chords[bar].bass + offset, gain))  # legato
        for track, voicing in (("Gtr L", chords[bar].open), ("Gtr R", chords[bar].power)):
            for strum, beats in GUITAR_STRUMS[track]:
                at, gain = loose((bar * 4 + strum) * beat_s, 0.004, 1.0)
                for string, midi in enumerate(voicing):  # a down-strum, strings 8 ms apart
                    notes[track].append(Note(at + string * 0.008, beats * beat_s, midi, gain / len(voicing) ** 0.5))
    notes["Lead Vox"] = _vocal_line(np_rng, bars, chords, beat_s)
    end = int(round(seconds * sample_rate_hz))
    chatter_s = tuple(float(s) for s in np_rng.uniform(0.2, max(0.3, 4 * beat_s - 0.5), 2))
    ring_hz = round(float(np_rng.uniform(*KICK_RING_HZ)), 1)
    sibilant_hz = round(float(np_rng.uniform(*SIBILANT_HZ)), -1)
    with_s = np_rng.random(len(notes["Lead Vox"])) < SIBILANT_SHARE
    sibilants_s = tuple(
        n.at_s for n, s in zip(notes["Lead Vox"], with_s) if s and int(round(n.at_s * sample_rate_hz)) < end
    )
    # Gtr L backs off every other pass through the four-bar progression (a verse under a chorus),
    # so its loudness range is the widest of the band's and compression has something to even out.
    # Every pass holds the progression's E chord, so its lowest note, E2, is played loud as well.
    soft = float(10 ** (-np_rng.uniform(*SOFT_CYCLE_DB) / 20))
    cycle_s = 16 * beat_s
    notes["Gtr L"] = [
        n._replace(gain=n.gain * soft) if int((n.at_s + 0.02) / cycle_s - 0.25) % 2 else n for n in notes["Gtr L"]
    ]
    return Score(
        tempo_bpm=float(tempo_bpm),
        seconds=float(seconds),
        sample_rate_hz=int(sample_rate_hz),
        key=key,
        notes={
            name: tuple(n for n in track if int(round(n.at_s * sample_rate_hz)) < end) for name, track in notes.items()
        },
        chatter_s=chatter_s,
        ring_hz=ring_hz,
        sibilant_hz=sibilant_hz,
        sibilants_s=sibilants_s,
    )


def _vocal_line(rng: np.random.Generator, bars: range, chords: dict[int, Chord], beat_s: float) -> list[Note]:
    """Two-bar phrases from bar 1, each ending a beat or two early, a bar of rest between them;
    chord tones in VOCAL_RANGE, near the note before."""
    notes: list[Note] = []
    previous = int(rng.integers(57, 64))
    for bar in range(bars.start, bars.stop, 3):
        beat = 0.0
        phrase_beats = 8.0 - float(rng.choice([1.0, 1.5, 2.0]))
        while beat < phrase_beats - 0.25:
            length = min(float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0])), phrase_beats - beat)
            classes = {n % 12 for n in chords[bar + int(beat // 4)].open}
            tones = [m for m in range(VOCAL_RANGE[0], VOCAL_RANGE[1] + 1) if m % 12 in classes]
            weights = np.array([1.0 / (1.0 + abs(m - previous)) ** 2 for m in tones])
            previous = int(rng.choice(tones, p=weights / weights.sum()))
            notes.append(Note((bar * 4 + beat) * beat_s, length * beat_s, previous))
            beat += length
    return notes


# -- synthesis ------------------------------------------------------------------------------------

_TABLE = 8192
_TABLE_MASK = _TABLE - 1


def _wavetable(weights: npt.ArrayLike, phases: npt.ArrayLike) -> np.ndarray:
    """One period of a sum of harmonics (weights[k-1] for harmonic k), peak-normalized."""
    x = np.arange(_TABLE) * (2.0 * np.pi / _TABLE)
    table = np.zeros(_TABLE)
    for k, (w, p) in enumerate(zip(np.asarray(weights, dtype=float), np.asarray(phases, dtype=float)), start=1):
        if w:
            table += w * np.sin(k * x + p)
    return (table / np.max(np.abs(table))).astype(np.float32)


def _oscillator(table: np.ndarray, freq_hz: float, frames: int, sample_rate_hz: int, start: int = 0) -> np.ndarray:
    """`frames` samples of the wavetable at `freq_hz`, in phase with one started at frame 0 when
    `start` is the frame it begins at."""
    index = (np.arange(start, start + frames) * (freq_hz * _TABLE / sample_rate_hz)).astype(np.int64) & _TABLE_MASK
    return table[index]


def _pluck(
    frames: int, sample_rate_hz: int, decay_s: float, attack_s: float = 0.004, release_s: float = 0.02
) -> np.ndarray:
    """An envelope: raised-cosine attack, exponential decay, raised-cosine release at the end."""
    t = np.arange(frames, dtype=np.float32) / sample_rate_hz
    env = np.exp(-t / decay_s)
    for length, rising in (
        (min(frames, max(1, int(attack_s * sample_rate_hz))), True),
        (min(frames, int(release_s * sample_rate_hz)), False),
    ):
        if length:
            ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, length, dtype=np.float32))).astype(np.float32)
            if rising:
                env[:length] *= ramp
            else:
                env[frames - length :] *= ramp[::-1]
    return env


def _add(out: np.ndarray, at: int, sound: np.ndarray, gain: float = 1.0) -> None:
    if at >= len(out) or at + len(sound) <= 0:
        return
    start = max(at, 0)
    end = min(at + len(sound), len(out))
    out[start:end] += np.float32(gain) * sound[start - at : end - at]


def _play(score: Score, name: str, sound: Callable[[Note], np.ndarray]) -> np.ndarray:
    """A track's notes placed on the timeline, `sound` giving each note's samples (cache them)."""
    out = np.zeros(score.frames, dtype=np.float32)
    for note in score.notes[name]:
        _add(out, int(round(note.at_s * score.sample_rate_hz)), sound(note), note.gain)
    return out


def _kick(score: Score, rng: np.random.Generator) -> np.ndarray:
    """A sine sweeping from 160 Hz down to the kick's tuning in about 35 ms, decaying, with a
    4 ms click of the beater on top and the shell ringing at `score.ring_hz` (a sine 26 dB under
    the body, decaying over 150 ms): a sustained peak in the kick's long-term spectrum, 25 dB or
    more over the click's smooth spectrum around it. The body's short decay (KICK_DECAY_S) gives
    a peak-to-loudness ratio of about 21 dB, a close-miked kick's: staged to -20 LUFS, its true
    peak is over -1 dBTP."""
    sr = score.sample_rate_hz
    bodies: dict[int, np.ndarray] = {}

    def sound(note: Note) -> np.ndarray:
        if note.midi not in bodies:
            length = min(int(note.length_s * sr), int(0.95 * score.beat_s * sr))
            t = np.arange(length) / sr
            f_end, f_start, sweep_s = midi_to_hz(note.midi), 160.0, 0.035
            phase = 2 * np.pi * (f_end * t + (f_start - f_end) * sweep_s * (1 - np.exp(-t / sweep_s)))
            body = np.sin(phase).astype(np.float32) * _pluck(length, sr, KICK_DECAY_S, attack_s=0.001)
            click = np.diff(rng.standard_normal(int(0.004 * sr) + 1)) * np.linspace(0.25, 0.0, int(0.004 * sr))
            body[: len(click)] += click.astype(np.float32)
            ring = 0.05 * np.sin(2 * np.pi * score.ring_hz * t) * np.exp(-t / 0.15)
            body += (ring * _pluck(length, sr, 1e9, attack_s=0.002)).astype(np.float32)
            bodies[note.midi] = body
        return bodies[note.midi]

    return _play(score, "Kick", sound)


def _bass(score: Score, rng: np.random.Generator) -> np.ndarray:
    """A DI bass: a sawtooth-like tone (24 harmonics falling as 1/k^1.1), each note plucked and
    ringing into the next; a note keeps the phase of the note before at the same pitch, so a run
    of one note is one steady tone re-plucked, as from one string (and its spectrum a sharp line)."""
    sr = score.sample_rate_hz
    table = _wavetable([1.0 / k**1.1 for k in range(1, 25)], rng.uniform(0, 2 * np.pi, 24))
    envelopes: dict[int, np.ndarray] = {}

    def sound(note: Note) -> np.ndarray:
        frames = int(note.length_s * sr)
        if frames not in envelopes:
            envelopes[frames] = _pluck(frames, sr, 0.6)
        start = int(round(note.at_s * sr))
        return _oscillator(table, midi_to_hz(note.midi), frames, sr, start) * envelopes[frames]

    return _play(score, "Bass DI", sound)


def _guitar(score: Score, name: str, rng: np.random.Generator, brightness: float, decay_s: float) -> np.ndarray:
    """Strings of 16 harmonics with a body resonance, each string a few cents out of tune."""
    sr = score.sample_rate_hz
    weights = [(1.0 / k) * (1.0 + 0.6 * math.sin(k * 1.3)) * math.exp(-k * 0.08 / brightness) for k in range(1, 17)]
    table = _wavetable(weights, rng.uniform(0, 2 * np.pi, 16))
    detune_cents = {midi: float(rng.normal(0, 4.0)) for midi in range(36, 80)}
    cache: dict[tuple[int, int], np.ndarray] = {}

    def sound(note: Note) -> np.ndarray:
        key = (note.midi, int(note.length_s * sr))
        if key not in cache:
            freq_hz = midi_to_hz(note.midi + detune_cents.get(note.midi, 0.0) / 100)
            cache[key] = _oscillator(table, freq_hz, key[1], sr) * _pluck(key[1], sr, decay_s)
        return cache[key]

    return _play(score, name, sound)


def _vocal(score: Score, rng: np.random.Generator) -> np.ndarray:
    """The sung line, phrase by phrase (runs of notes without a rest), and its "s" sounds."""
    out = np.zeros(score.frames, dtype=np.float32)
    phrase: list[Note] = []
    for note in (*score.notes["Lead Vox"], None):
        if note is not None and (not phrase or note.at_s - (phrase[-1].at_s + phrase[-1].length_s) < 1e-6):
            phrase.append(note)
            continue
        if phrase:
            _add(out, int(round(phrase[0].at_s * score.sample_rate_hz)), _phrase(phrase, score.sample_rate_hz, rng))
        phrase = [] if note is None else [note]
    return out + _sibilants(score, rng)


def _sibilants(score: Score, rng: np.random.Generator) -> np.ndarray:
    """The singer's "s" sounds: at each of `score.sibilants_s`, an 80 ms burst of noise 1 kHz
    either side of `score.sibilant_hz` (5 ms attack, decaying), its RMS over the burst 0.12 (about
    12 dB under the sung vowels', as loud as sibilants get before de-essing) and at the level of
    the phrase sung. The voice's own harmonics stop at 5 kHz, so in 5-10 kHz the bursts stand
    50 dB and more over the rest of the line."""
    sr = score.sample_rate_hz
    out = np.zeros(score.frames, dtype=np.float32)
    length = int(0.08 * sr)
    freqs = np.fft.rfftfreq(length, 1.0 / sr)
    band = np.abs(freqs - score.sibilant_hz) <= 1000.0
    t = np.arange(length) / sr
    envelope = np.minimum(1.0, t / 0.005) * np.exp(-t / 0.04)
    gains = {note.at_s: note.gain for note in score.notes["Lead Vox"]}
    for start in score.sibilants_s:
        spectrum = np.fft.rfft(rng.standard_normal(length)) * band
        burst = np.fft.irfft(spectrum, length) * envelope
        burst *= 0.12 / max(float(np.sqrt(np.mean(burst**2))), 1e-12)
        _add(out, int(round(start * sr)), burst.astype(np.float32), gains.get(start, 1.0))
    return out


def _phrase(notes: Sequence[Note], sample_rate_hz: int, rng: np.random.Generator) -> np.ndarray:
    """One phrase sung: pitch with 20 ms glides, vibrato (5.5 Hz, +-0.3 semitone) coming in after
    150 ms of each note and a little drift, made at a 1 kHz control rate; a dip in level between
    syllables; harmonics up to 5 kHz weighted by the formants of an "ah" (730, 1090, 2440 Hz)."""
    ctrl_rate = 1000
    begin, end = notes[0].at_s, notes[-1].at_s + notes[-1].length_s
    n_ctrl = int((end - begin) * ctrl_rate) + 1
    tc = np.arange(n_ctrl) / ctrl_rate
    pitch, amp, vibrato = np.zeros(n_ctrl), np.zeros(n_ctrl), np.zeros(n_ctrl)
    for note in notes:
        a, b = int((note.at_s - begin) * ctrl_rate), int((note.at_s + note.length_s - begin) * ctrl_rate) + 1
        local = tc[a:b] - (note.at_s - begin)
        pitch[a:b] = note.midi
        amp[a:b] = np.minimum(1.0, local / 0.04) * np.minimum(
            1.0, np.maximum(0.0, (note.length_s - local) / 0.05) + 0.35
        )
        amp[a:b] *= (0.85 + 0.15 * np.exp(-local / 0.3)) * note.gain
        vibrato[a:b] = 0.3 * np.clip((local - 0.15) / 0.25, 0.0, 1.0)
    pitch = np.convolve(np.pad(pitch, 20, mode="edge"), np.ones(40) / 40, mode="same")[20:-20]
    pitch += vibrato * np.sin(2 * np.pi * 5.5 * tc + rng.uniform(0, 2 * np.pi))
    pitch += np.cumsum(rng.normal(0, 0.001, n_ctrl))
    amp *= np.minimum(1.0, (tc[-1] - tc) / 0.08)
    at_ctrl = np.arange(int((end - begin) * sample_rate_hz)) * (ctrl_rate / sample_rate_hz)
    f0 = 440.0 * 2.0 ** ((np.interp(at_ctrl, np.arange(n_ctrl), pitch) - 69.0) / 12.0)
    mean_f0 = midi_to_hz(float(np.mean([n.midi for n in notes])))
    weights = []
    for k in range(1, int(5000 / mean_f0) + 1):
        formants = sum(g / (1.0 + ((k * mean_f0 - fc) / bw) ** 2) for fc, bw, g in _FORMANTS_AH)
        weights.append((1.0 / k) * (0.25 + formants))
    table = _wavetable(weights, rng.uniform(0, 2 * np.pi, len(weights)))
    voice = table[(np.cumsum(f0 / sample_rate_hz) * _TABLE).astype(np.int64) & _TABLE_MASK]
    return voice * np.interp(at_ctrl, np.arange(n_ctrl), amp).astype(np.float32)


_FORMANTS_AH = ((730.0, 90.0, 1.0), (1090.0, 110.0, 0.5), (2440.0, 170.0, 0.25))  # (Hz, bandwidth Hz, gain)


def _count_in(score: Score, rng: np.random.Generator) -> np.ndarray:
    """What the vocal mic hears in the count-in bar: the headphone click on each beat (peaks
    about -30 dBFS, the first accented) and some chatter, a breath, a word (noise in the mids,
    about -40 dBFS RMS while it lasts)."""
    sr = score.sample_rate_hz
    out = np.zeros(score.frames, dtype=np.float32)
    click_t = np.arange(int(0.02 * sr)) / sr
    for beat in range(4):
        click = np.sin(2 * np.pi * (2000.0 if beat == 0 else 1500.0) * click_t) * np.exp(-click_t / 0.004)
        _add(out, int(round(beat * score.beat_s * sr)), click.astype(np.float32), 0.032)
    chatter_t = np.arange(int(0.35 * sr)) / sr
    syllables = np.sin(np.pi * chatter_t / chatter_t[-1]) * (0.6 + 0.4 * np.sin(2 * np.pi * 6.0 * chatter_t))
    for start in score.chatter_s:
        noise = rng.standard_normal(len(chatter_t) + 8)
        mids = np.diff(np.convolve(noise, np.ones(4) / 4, mode="valid"))[: len(chatter_t)]
        _add(out, int(round(start * sr)), (mids * syllables).astype(np.float32), 0.025)
    return out


def _rumble(frames: int, sample_rate_hz: int, rms: float, rng: np.random.Generator) -> np.ndarray:
    """Low rumble a microphone picks up (building, stands, traffic): noise between 6 and 28 Hz,
    made at a 400 Hz rate and interpolated, so nothing of it reaches 30 Hz but interpolation
    images 45 dB down near 400 Hz."""
    low_rate = 400
    n = int(frames * low_rate / sample_rate_hz) + 4
    spectrum = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    freqs = np.fft.rfftfreq(n, 1.0 / low_rate)
    spectrum = np.where((freqs >= 6.0) & (freqs <= 28.0), spectrum / np.maximum(freqs, 1.0), 0.0)
    low = np.fft.irfft(spectrum, n)
    low *= rms / max(float(np.sqrt(np.mean(low**2))), 1e-12)
    return np.interp(np.arange(frames) * (low_rate / sample_rate_hz), np.arange(n), low).astype(np.float32)


def _gated_rms_dbfs(x: np.ndarray, sample_rate_hz: int) -> float | None:
    """Mean power of 400 ms blocks above -70 dBFS and within 10 dB of their mean, in dBFS."""
    block = max(1, int(0.4 * sample_rate_hz))
    blocks = max(1, len(x) // block)
    samples = x[: blocks * block].astype(np.float64).reshape(blocks, -1) if len(x) else np.zeros((1, 1))
    power = np.mean(samples**2, axis=1)
    power = power[power > 1e-7]
    if not len(power):
        return None
    return round(10.0 * math.log10(float(np.mean(power[power >= np.mean(power) * 0.1]))), 2)


def _measured(truth: StemTruth, x: np.ndarray, sample_rate_hz: int) -> StemTruth:
    """`truth` with the analyzers' true peak, integrated loudness and loudness range of a mono stem."""
    result = analyze(ArraySource(x, sample_rate_hz))
    loudness, true_peak = result.integrated_lufs, result.true_peak_dbtp
    return replace(
        truth,
        true_peak_dbtp=round(true_peak, 2) if math.isfinite(true_peak) else None,
        loudness_lufs=None if loudness is None else round(loudness, 2),
        loudness_range_lu=None if loudness is None else round(result.loudness.loudness_range_lu, 2),
    )


def audio_rng(seed: int, song: str) -> random.Random:
    """The random stream `simulate_archive` takes `song`'s score and audio from: apart from the
    moves' stream, so a song's audio is the same whatever the moves, with or without embedding."""
    return random.Random(f"{seed}/{song}/audio")


def render_song(song: str, tempo_bpm: float, seconds: float, sample_rate_hz: int, rng: random.Random) -> RenderedSong:
    """The stems of `song` (see `score_song`) and their truth, deterministic for the state of
    `rng`. The music of each stem peaks at -6 dBFS; the vocal's count-in and the rumble under
    30 Hz on the guitar and vocal stems come on top at their own levels."""
    score = score_song(song, tempo_bpm, seconds, sample_rate_hz, rng)
    synth = np.random.default_rng([rng.getrandbits(63), zlib.crc32(song.encode())])
    music = {
        "Kick": _kick(score, synth),
        "Bass DI": _bass(score, synth),
        "Gtr L": _guitar(score, "Gtr L", synth, brightness=1.0, decay_s=0.9),
        "Gtr R": _guitar(score, "Gtr R", synth, brightness=0.7, decay_s=0.12),
        "Lead Vox": _vocal(score, synth),
    }
    count_in = _count_in(score, synth)
    ceiling = 10 ** (STEM_PEAK_DBFS / 20)
    stems: dict[str, np.ndarray] = {}
    truth: dict[str, StemTruth] = {}
    for name, x in music.items():
        known = score.truth(name)
        peak = float(np.max(np.abs(x))) if len(x) else 0.0
        if peak > 0:
            x *= np.float32(ceiling / peak)
        if known.count_in_audible:
            x += count_in
        if known.has_rumble and len(x):
            x += _rumble(len(x), score.sample_rate_hz, 10 ** (RUMBLE_DBFS / 20), synth)
        peak = float(np.max(np.abs(x))) if len(x) else 0.0
        if peak > ceiling:
            x *= np.float32(ceiling / peak)
            peak = float(np.max(np.abs(x)))
        stems[name] = x.reshape(-1, 1)
        levels = replace(
            known,
            rms_dbfs=_gated_rms_dbfs(x, score.sample_rate_hz),
            peak_dbfs=round(20 * math.log10(peak), 2) if peak > 0 else None,
        )
        truth[name] = _measured(levels, x, score.sample_rate_hz)
    return RenderedSong(stems, truth, score.sample_rate_hz)


def render_stems(
    song: str, tempo_bpm: float, seconds: float, sample_rate_hz: int, rng: random.Random
) -> dict[str, np.ndarray]:
    """One mono float32 stem, shaped (frames, 1), per instrument track of `song` (see
    `render_song`, which gives their truth as well)."""
    return render_song(song, tempo_bpm, seconds, sample_rate_hz, rng).stems


def encode_stem(stem: np.ndarray, sample_rate_hz: int, audio_format: str = "flac") -> bytes:
    """A stem as the bytes of an audio file (16-bit FLAC, or 24-bit WAV)."""
    file_format, subtype = AUDIO_FORMATS[audio_format]
    buffer = io.BytesIO()
    sf.write(buffer, stem, sample_rate_hz, format=file_format, subtype=subtype)
    return buffer.getvalue()
