"""The de-guffing rule: a high-pass just under the lowest note."""

from __future__ import annotations

import pytest

from daemon.formats.dawproject_writer import write_dawproject
from daemon.log.records import LoggedEvent
from daemon.sessions.model import Clip, Device, Session, Track, canonical_params
from profiles.justify.rules import de_guffing
from tests.profiles.justify.builders import T0, bass_with_rumble, measured_save


@pytest.mark.parametrize(
    ("high_pass_hz", "rumble", "justified"),
    [
        (75.0, True, True),  # just under E2: takes the rumble and no note
        (45.0, True, True),  # an octave under: still only rumble, less confidently
        (160.0, True, False),  # well above the lowest note: it cuts into the bass line
        (20.0, True, False),  # two octaves under: too low to do the job
        (75.0, False, False),  # nothing under the music to take out
    ],
)
def test_a_high_pass_just_under_the_lowest_note_is_de_guffing(
    tmp_path, high_pass_hz: float, rumble: bool, justified: bool
) -> None:  # noqa: ANN001
    eq = Device(
        kind="eq",
        name="EQ",
        params=canonical_params({"eq.band1.type": "highpass", "eq.band1.freq_hz": high_pass_hz, "eq.band1.q": 0.71}),
    )
    clip = Clip("audio/Bass.wav", 0.0, 16.0, "Bass")
    session = Session(
        "Low", tempo_bpm=120.0, tracks=(Track("Bass", content_types=("audio",), clips=(clip,), devices=(eq,)),)
    )
    path = write_dawproject(session, tmp_path / "Low.dawproject", media={"audio/Bass.wav": bass_with_rumble(rumble)})
    payload = {"track": "Bass", "device": "EQ", "parameter": "eq.band1.freq_hz", "before": 20.0, "after": high_pass_hz}
    move = LoggedEvent(9, "parameter-changed", "Low", 2, "greg", T0, payload)
    verdict = de_guffing.judge(move, measured_save(tmp_path, path, "Low", (move,), session, session))
    assert (verdict is not None) == justified, None if verdict is None else verdict.reason
    if verdict is not None:
        assert verdict.evidence["lowest_note"] == "E2" and float(verdict.evidence["energy_below"]) > 0.0005
        assert f"{high_pass_hz:g} Hz" in verdict.reason and "E2" in verdict.reason
