"""The sibilance rule: narrow 5-10 kHz cuts that lower a voice's sibilant peaks, and its near misses."""

from __future__ import annotations

import numpy as np
import pytest

from analyzers.eq import EqBand
from analyzers.masking import BandFrames
from daemon.formats.dawproject_writer import write_dawproject
from daemon.log.records import LoggedEvent
from daemon.sessions.model import Clip, Device, Session, Track, canonical_params
from profiles.justify.rules import sibilance
from tests.profiles.justify.builders import T0, measured_save, voice


@pytest.mark.parametrize(
    ("sibilants", "freq", "justified"),
    [
        (True, 7000.0, True),  # a narrow cut on the "s" band
        (False, 7000.0, False),  # the same cut on a voice without sibilants
        (True, 2500.0, False),  # a narrow cut outside 5-10 kHz
    ],
)
def test_sibilance_cuts_and_their_near_misses(tmp_path, sibilants: bool, freq: float, justified: bool) -> None:  # noqa: ANN001
    params = {"eq.band1.type": "bell", "eq.band1.freq_hz": freq, "eq.band1.q": 2.5, "eq.band1.gain_db": -6.0}
    eq = Device(kind="eq", name="EQ", params=canonical_params(params))
    track = Track(
        "Vox", role="audio", content_types=("audio",), clips=(Clip("audio/Vox.wav", 0.0, 12.0, "Vox"),), devices=(eq,)
    )
    session = Session("Sing", tempo_bpm=120.0, tracks=(track,))
    path = write_dawproject(session, tmp_path / "Sing.dawproject", media={"audio/Vox.wav": voice(sibilants)})
    payload = {"track": "Vox", "device": "EQ", "parameter": "eq.band1.gain_db", "before": 0.0, "after": -6.0}
    move = LoggedEvent(9, "parameter-changed", "Sing", 2, "greg", T0, payload)
    save = measured_save(tmp_path, path, "Sing", (move,), session, session)
    verdict = sibilance.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert float(verdict.evidence["sibilant_peak_reduction_db"]) >= 1.0 and "sibilant" in verdict.reason


def test_the_sibilant_level_weighs_the_loudest_bursts_however_few() -> None:
    """200 steps of a voice: steady highs, breaths in 15 % of the steps (broad 5-10 kHz, 15 dB
    over the median step there) and four "s" bursts (2 %, narrow around 8 kHz, 40 dB over). The
    level follows the bursts, so a narrow cut on them counts, though its 95th-percentile step is
    a breath, which the cut barely touches."""
    frames = BandFrames(np.full((200, 120), 1e-9), 0.17)
    centers = frames.centers_hz
    frames.energy[:, centers < 2000.0] = 1e-3  # the sung notes
    highs = (centers >= 5000.0) & (centers <= 10000.0)
    s_band = np.flatnonzero((centers > 7500.0) & (centers < 8500.0))
    frames.energy[np.arange(0, 200, 7)[:, None], np.flatnonzero(highs)] = 10**1.5 * 1e-9  # breaths
    frames.energy[np.array([20, 75, 125, 170])[:, None], s_band] = 1e-5  # "s"
    found = sibilance.sibilants(frames)
    assert found is not None and len(found.steps) == 4 + 29
    cut = frames.with_eq([EqBand("bell", 8000.0, gain_db=-3.0, q=6.0)])
    assert found.level_db - sibilance.sibilant_level_db(cut, found.steps) > 2.0
    levels = 10 * np.log10(frames.energy[:, highs].sum(axis=1))
    after = 10 * np.log10(cut.energy[:, highs].sum(axis=1))
    assert (
        np.percentile(levels, 95) - np.percentile(after, 95) < sibilance.MIN_REDUCTION_DB
    )  # a 95th percentile of steps would miss it
