"""The masking rule: pan moves and EQ cuts that lower masking only where the other track plays."""

from __future__ import annotations

import pytest

from daemon.log.records import LoggedEvent
from profiles.justify.rules import masking
from tests.profiles.justify.builders import T0, eq_move, measured_save, two_tracks, with_eq


@pytest.mark.parametrize(("vox_plays", "justified"), [(True, True), (False, False)])
def test_a_pan_move_is_masking_only_where_the_other_track_plays(tmp_path, vox_plays: bool, justified: bool) -> None:  # noqa: ANN001
    path, session = two_tracks(tmp_path, vox_plays)
    move = LoggedEvent(
        9, "parameter-changed", "Duo", 2, "greg", T0, {"track": "Gtr", "parameter": "pan", "before": 0.0, "after": -0.8}
    )
    save = measured_save(tmp_path, path, "Duo", (move,), session, session)
    verdict = masking.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert verdict.evidence["other_track"] == "Vox"
        assert float(verdict.evidence["masking_after"]) < float(verdict.evidence["masking_before"]) - 0.05
        assert "Panning Gtr from +0.00 to -0.80" in verdict.reason


@pytest.mark.parametrize(
    ("vox_plays", "freq", "justified"),
    [
        (True, 2150.0, True),  # the guitar cut where the vocal sings
        (False, 2150.0, False),  # the same cut while the vocal is silent
        (True, 400.0, False),  # a cut where the vocal has no energy
    ],
)
def test_an_eq_cut_is_masking_only_where_the_other_track_plays_in_that_band(
    tmp_path,  # noqa: ANN001
    vox_plays: bool,
    freq: float,
    justified: bool,
) -> None:
    path, plain = two_tracks(tmp_path, vox_plays)
    bell = {"band1_type": "bell", "band1_freq_hz": freq, "band1_q": 4.0}
    before, after = with_eq(plain, "Gtr", **bell, band1_gain_db=0.0), with_eq(plain, "Gtr", **bell, band1_gain_db=-6.0)
    move = eq_move("Duo", "Gtr", "eq.band1.gain_db", 0.0, -6.0)
    save = measured_save(tmp_path, path, "Duo", (move,), before, after)
    verdict = masking.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert verdict.evidence["other_track"] == "Vox" and verdict.evidence["masker"] == "Gtr"
        assert float(verdict.evidence["masking_after"]) < float(verdict.evidence["masking_before"]) - 0.05
        assert "6.0 dB cut at 2150 Hz (Q 4) on Gtr makes room for Vox" in verdict.reason
