"""A simulated engineer: builds sessions of a few songs and saves them again and again with mix
moves made for known reasons, written as real .dawproject files with the DAWproject writer.

It serves the demo and the tests: every move is recorded as an `Intent` (which track, which
parameter, before and after, why: the objective rule it follows or "taste", and the numbers that
rule looked at), so what tapeop finds in the files can be checked against what the engineer meant.

Each song also has real audio, rendered with numpy by daemon/demo/synth.py: a score (`score_song`: who plays which
note when) gives each stem's ground truth (`StemTruth`: lowest note, rumble a mic picked up, the
count-in before the music, the kick's ring, the singer's "s"), and `render_song` plays it into one
mono stem per instrument track, so the audio analysis can measure what each move did. The stems
are embedded in every save's archive as 16-bit FLAC, the files its clips refer to; `load_stem`
reads one back.

The moves, one per rule with its near miss or matter of taste (`MOVES`):
- gain-staging: `move_fader` (a step toward -20 LUFS, or a move by ear);
- clip-prevention: `push_fader` (a part pushed up until it peaks over -1 dBTP: staging or taste)
  and `pull_under_ceiling` (the fader of the hottest track pulled until it peaks under it);
- de-guffing: `move_high_pass` and `move_high_pass_too_high` (taste);
- masking: `pan_guitars`; taste: `cut_boxiness`;
- tempo: `set_time_on_grid` and `set_time_off_grid` (taste: 5-10 % off every subdivision);
- dynamics: `compress_guitar` and `tweak_attack` (reason from the loudness ranges);
- resonance: `cut_ring` and `cut_where_nothing_rings` (taste), narrow cuts on the kick;
- sibilance: `cut_sibilants` and `cut_air` (taste: on a guitar, or on the vocal under 5 kHz);
- non-musical: `trim_count_in` and `trim_into_music` (taste), edits of the vocal clip's start.
The reason of a move follows the numbers it was made on: where they support another rule or
none, the intent says so; a move that two rules would both justify is not made.

Here: `SimulatedSave`, `load_stem`, the list of moves and `simulate_archive`, which drives them.
`Intent`, `first_session` and what the moves share are in daemon/demo/session.py; the moves
themselves in daemon/demo/channel_moves.py (faders, pan, clip edits) and
daemon/demo/device_moves.py (EQ, time-based effects, compressors).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from daemon.demo.channel_moves import (
    move_fader,
    pan_guitars,
    pull_under_ceiling,
    push_fader,
    trim_count_in,
    trim_into_music,
)
from daemon.demo.device_moves import (
    compress_guitar,
    cut_air,
    cut_boxiness,
    cut_ring,
    cut_sibilants,
    cut_where_nothing_rings,
    move_high_pass,
    move_high_pass_too_high,
    set_time_off_grid,
    set_time_on_grid,
    tweak_attack,
)
from daemon.demo.session import Intent, Move, first_session
from daemon.demo.synth import (
    AUDIO_FORMATS,
    INSTRUMENTS,
    RenderedSong,
    StemTruth,
    audio_rng,
    encode_stem,
    render_song,
    score_song,
)
from daemon.formats.dawproject_writer import write_dawproject
from daemon.formats.guard import LIMITS, SafeArchive
from daemon.sessions.model import Session


@dataclass(frozen=True)
class SimulatedSave:
    """One save written: its file, the session in it, the moves made since the save before, and
    the truth of the song's stems (track name -> StemTruth)."""

    song: str
    version: int
    path: Path
    session: Session
    intents: tuple[Intent, ...]
    stems: dict[str, StemTruth] = field(default_factory=dict, hash=False)


def load_stem(save: SimulatedSave, track: str) -> tuple[np.ndarray, int]:
    """The audio of `track` read back from the save's archive, as (frames, channels) float32,
    and its sample rate. The member is the one the track's clip refers to."""
    clips = save.session.track(track).clips
    if not clips:
        raise LookupError(f"{track!r} has no clip in {save.path}")
    with SafeArchive(save.path) as archive:
        if not archive.has(clips[0].file):
            raise LookupError(f"{save.path} holds no {clips[0].file!r} (simulated without audio?)")
        data = archive.read(clips[0].file, cap=LIMITS.max_member_bytes)
    audio, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return audio, int(rate)


MOVES: tuple[Move, ...] = (
    move_fader,
    move_high_pass,
    cut_boxiness,
    pan_guitars,
    move_high_pass_too_high,
    push_fader,
    pull_under_ceiling,
    set_time_on_grid,
    set_time_off_grid,
    compress_guitar,
    tweak_attack,
    cut_ring,
    cut_where_nothing_rings,
    cut_sibilants,
    cut_air,
    trim_count_in,
    trim_into_music,
)
MOVES_PER_SAVE = (2, 4)  # how many moves the engineer tries between two saves (at least, at most)
CHECK_PEAKS_SHARE = 0.5  # of the saves before which the engineer also checks the true-peak meters


def song_name(index: int) -> str:
    """ "Song A" to "Song Z", then "Song AA", "Song AB", ... (letters only: safe in file names)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"Song {letters}"


def simulate_archive(
    folder: str | Path,
    songs: int = 2,
    saves: int = 4,
    seed: int = 0,
    *,
    render_audio: bool = True,
    sample_rate_hz: int = 48000,
    seconds: float = 20.0,
    audio_format: str = "flac",
) -> list[SimulatedSave]:
    """Write `songs` songs with `saves` saves each into `folder` ("Song A v1.dawproject", ...).

    Each song is scored once, from `audio_rng(seed, song)`, and the truth of its stems steers the
    moves. With `render_audio` the stems are rendered (`render_song`) and every save embeds them,
    encoded once, as `audio/<song> <track>.<audio_format>`, the files its clips refer to. Without
    it nothing is rendered: the clips refer to members that are not there, the truth has no
    levels, fader and compressor moves, having no level to reckon with, are "taste", and there
    is no pull under the true-peak ceiling (no peak is known)."""
    if audio_format not in AUDIO_FORMATS:
        raise ValueError(f"audio_format {audio_format!r} is not one of {sorted(AUDIO_FORMATS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    out: list[SimulatedSave] = []
    for s in range(songs):
        song = song_name(s)
        session = first_session(song, rng, seconds=seconds, audio_format=audio_format)
        tempo = session.tempo_bpm or 120.0
        media: dict[str, bytes] = {}
        rendered: RenderedSong | None = None
        if render_audio:
            rendered = render_song(song, tempo, seconds, sample_rate_hz, audio_rng(seed, song))
            truth = rendered.truth
            for name, _ in INSTRUMENTS:
                reference = session.track(name).clips[0].file
                media[reference] = encode_stem(rendered.stems[name], sample_rate_hz, audio_format)
        else:
            score = score_song(song, tempo, seconds, sample_rate_hz, audio_rng(seed, song))
            truth = {name: score.truth(name) for name, _ in INSTRUMENTS}
        intents: tuple[Intent, ...] = ()
        for version in range(1, saves + 1):
            if version > 1:
                moves: list[Intent] = []
                tried = rng.sample(MOVES, k=rng.randint(*MOVES_PER_SAVE))
                if rng.random() < CHECK_PEAKS_SHARE:
                    tried.append(pull_under_ceiling)  # a last look at the meters: whatever peaks over comes down
                for move in tried:
                    moved, intent = move(session, rng, truth, rendered)
                    if intent.before == intent.after:
                        continue
                    if any(intent.conflicts(i) for i in moves):
                        continue  # one move per parameter, device and clip a save: the file shows only the last
                    session = moved
                    moves.append(intent)
                intents = tuple(moves)
            path = write_dawproject(session, folder / f"{song} v{version}.dawproject", media=media)
            out.append(SimulatedSave(song, version, path, session, intents, dict(truth)))
    return out
