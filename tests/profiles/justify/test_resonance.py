"""The resonance rule: narrow cuts on a standing peak, and its near misses."""

from __future__ import annotations

import pytest

from daemon.formats.dawproject_writer import write_dawproject
from daemon.log.records import LoggedEvent
from daemon.sessions.model import Clip, Device, Session, Track, canonical_params
from profiles.justify.rules import resonance
from tests.profiles.justify.builders import T0, measured_save, ringing_track


@pytest.mark.parametrize(
    ("freq", "q", "gain", "justified"),
    [
        (180.0, 8.0, -6.0, True),  # a narrow cut on the ring
        (700.0, 8.0, -6.0, False),  # the same cut where the spectrum is smooth
        (180.0, 1.0, -6.0, False),  # a wide cut: tone shaping, not a resonance
        (180.0, 8.0, 3.0, False),  # a boost
    ],
)
def test_resonance_cuts_and_their_near_misses(tmp_path, freq: float, q: float, gain: float, justified: bool) -> None:  # noqa: ANN001
    eq = Device(
        kind="eq",
        name="EQ",
        params=canonical_params(
            {"eq.band1.type": "bell", "eq.band1.freq_hz": freq, "eq.band1.q": q, "eq.band1.gain_db": gain}
        ),
    )
    track = Track(
        "Tom", role="audio", content_types=("audio",), clips=(Clip("audio/Tom.wav", 0.0, 12.0, "Tom"),), devices=(eq,)
    )
    session = Session("Ring", tempo_bpm=120.0, tracks=(track,))
    path = write_dawproject(session, tmp_path / "Ring.dawproject", media={"audio/Tom.wav": ringing_track(tmp_path)})
    move = LoggedEvent(
        9,
        "parameter-changed",
        "Ring",
        2,
        "greg",
        T0,
        {"track": "Tom", "device": "EQ", "parameter": "eq.band1.gain_db", "before": 0.0, "after": gain},
    )
    save = measured_save(tmp_path, path, "Ring", (move,), session, session)
    verdict = resonance.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert abs(float(verdict.evidence["peak_hz"]) - 180.0) < 2.0 and float(verdict.evidence["prominence_db"]) >= 6.0
