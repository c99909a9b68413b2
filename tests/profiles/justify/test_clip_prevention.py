"""The clip-prevention rule: faders, clip gains and compressors that bring a true peak under the ceiling, and its near misses."""

from __future__ import annotations

from dataclasses import replace

import pytest

from daemon.log.records import LoggedEvent
from profiles.justify.rules import clip_prevention
from tests.profiles.justify.builders import OFF, T0, clip_gain_move, compressed_track, loud_track, measured_save


@pytest.mark.parametrize(
    ("parameter", "before", "after", "fader_db", "justified"),
    [
        ("volume_db", 0.0, -2.0, -2.0, True),  # -0.5 -> -2.5 dBTP
        ("volume_db", 0.0, -0.3, -0.3, False),  # -0.5 -> -0.8 dBTP: still over the ceiling
        ("volume_db", -4.0, -6.0, -6.0, False),  # it was under the ceiling already
        ("limiter.ceiling_db", -0.1, -1.0, 0.0, True),  # the track peaks at -0.5 dBTP
        ("limiter.ceiling_db", -0.1, -1.0, -6.0, False),  # it peaks at -6.5 dBTP: nothing to hold
        ("limiter.ceiling_db", -0.1, -1.0, 3.0, False),  # the fader after it takes it to +2 dBTP
        ("limiter.threshold_db", 0.0, -4.5, 3.0, True),  # DAWproject's Limiter: -4.5 + 3 = -1.5 dBTP
        ("limiter.threshold_db", 0.0, -2.0, 3.0, False),  # -2 + 3 = +1 dBTP: still over
    ],
)
def test_clip_prevention_and_its_near_misses(
    tmp_path,
    parameter: str,
    before: float,
    after: float,
    fader_db: float,
    justified: bool,  # noqa: ANN001
) -> None:
    path, session = loud_track(tmp_path, fader_db)
    device = "Limiter" if parameter.startswith("limiter") else None
    payload = {
        "track": "Gtr",
        "parameter": parameter,
        "before": before,
        "after": after,
        **({"device": device} if device else {}),
    }
    move = LoggedEvent(9, "parameter-changed", "Loud", 2, "greg", T0, payload)
    save = measured_save(tmp_path, path, "Loud", (move,), session, session)
    verdict = clip_prevention.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert "dBTP" in verdict.reason and verdict.rule == "clip-prevention"


@pytest.mark.parametrize(
    ("setting", "fader_db", "justified"),
    [
        ({"comp.threshold_db": -10.0, "comp.ratio": 4.0}, 0.0, True),  # about 7 dB off a -0.5 dBTP peak
        ({"comp.threshold_db": -1.2, "comp.ratio": 2.0}, 0.0, False),  # 0.35 dB off: still over the ceiling
        ({"comp.threshold_db": -10.0, "comp.ratio": 4.0, "comp.makeup_db": 7.0}, 0.0, False),  # made up past it
        ({"comp.threshold_db": -10.0, "comp.ratio": 4.0}, -6.0, False),  # it was under the ceiling already
    ],
)
def test_a_compressor_that_holds_the_peak_under_the_ceiling_is_clip_prevention(
    tmp_path,  # noqa: ANN001
    setting: dict[str, float],
    fader_db: float,
    justified: bool,
) -> None:
    path, before = compressed_track(tmp_path, fader_db, OFF)
    _, after = compressed_track(tmp_path, fader_db, setting)
    payload = {"track": "Gtr", "device": "Comp", "parameter": "comp.threshold_db", "before": 0.0, "after": -10.0}
    move = LoggedEvent(9, "parameter-changed", "Loud", 2, "greg", T0, payload)
    save = measured_save(tmp_path, path, "Loud", (move,), before, after)
    verdict = clip_prevention.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert float(verdict.evidence["true_peak_before_dbtp"]) == pytest.approx(-0.5, abs=0.3)
        assert float(verdict.evidence["true_peak_after_dbtp"]) == pytest.approx(-7.6, abs=1.0)
        assert "compressor change on Gtr (4:1 from -10 dB)" in verdict.reason and "dBTP" in verdict.reason


@pytest.mark.parametrize(("after_db", "justified"), [(-2.0, True), (-0.3, False), (1.0, False)])
def test_a_clip_gain_cut_under_the_ceiling_is_clip_prevention(tmp_path, after_db: float, justified: bool) -> None:  # noqa: ANN001
    path, before = compressed_track(tmp_path, 0.0, None)
    clip = replace(before.tracks[0].clips[0], gain_db=after_db)
    after = replace(before, tracks=(replace(before.tracks[0], clips=(clip,)),))
    move = clip_gain_move("Gtr", 0.0, after_db)
    save = measured_save(tmp_path, path, "Loud", (move,), before, after)
    verdict = clip_prevention.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert float(verdict.evidence["true_peak_after_dbtp"]) == pytest.approx(-2.5, abs=0.3)
        assert "clip gain from +0.0 to -2.0 dB" in verdict.reason
