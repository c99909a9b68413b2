"""The gain-staging rule: fader and clip-gain moves toward the nominal level or the tracks the track sits with."""

from __future__ import annotations

from dataclasses import replace

import pytest

from profiles.justify.rules import gain_staging
from tests.profiles.justify.builders import clip_gain_move, fader_move, measured_save, mix


@pytest.mark.parametrize(
    ("after_db", "justified"),
    [(-6.0, True), (-2.0, True), (3.0, False), (-0.3, False)],  # -14 LUFS dry: toward -20, away, a trim by ear
)
def test_a_clip_gain_move_toward_the_nominal_level_is_gain_staging(tmp_path, after_db: float, justified: bool) -> None:  # noqa: ANN001
    path, before = mix(tmp_path, {"Gtr": 10 ** (-11 / 20)}, {})
    _, after = mix(None, {"Gtr": 10 ** (-11 / 20)}, {}, {"Gtr": after_db})
    move = clip_gain_move("Gtr", 0.0, after_db)
    save = measured_save(tmp_path, path, "Mix", (move,), before, after)
    verdict = gain_staging.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert float(verdict.evidence["level_before_lufs"]) == pytest.approx(-14.0, abs=0.5)
        assert float(verdict.evidence["level_after_lufs"]) == pytest.approx(-14.0 + after_db, abs=0.5)
        assert (
            f"the gain of Gtr's clip from +0.0 to {after_db:+.1f} dB" in verdict.reason and "-20 LUFS" in verdict.reason
        )


@pytest.mark.parametrize(
    ("others", "justified"),
    [
        ({"Keys": -14.0, "Pad": -15.0, "Bass": -13.0}, True),  # a session staged at -14: the guitar joins it
        ({"Keys": -8.0, "Pad": -15.0, "Bass": -26.0}, False),  # tracks scattered over 18 dB state no level
        ({"Keys": -14.0}, False),  # one track is no level to sit with
    ],
)
def test_a_fader_move_toward_the_tracks_it_sits_with_is_gain_staging(
    tmp_path,  # noqa: ANN001
    others: dict[str, float],
    justified: bool,
) -> None:
    amplitudes = {"Gtr": 10 ** (-17 / 20)} | {name: 10 ** ((lufs + 3.0) / 20) for name, lufs in others.items()}
    path, before = mix(tmp_path, amplitudes, {"Gtr": 0.0})
    _, after = mix(None, amplitudes, {"Gtr": 5.0})
    move = fader_move("Gtr", 0.0, 5.0)  # -20 -> -15 LUFS: away from the nominal -20
    save = measured_save(tmp_path, path, "Mix", (move,), before, after)
    verdict = gain_staging.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert "tracks it sits with" in verdict.reason and float(verdict.evidence["peer_level_lufs"]) == pytest.approx(
            -14.0, abs=0.7
        )
    # with the session's nominal level configured at -14 LUFS, the same move closes on the nominal
    staged = gain_staging.judge(move, replace(save, nominal_lufs=-14.0, _memo={}))
    assert staged is not None and "the session's -14 LUFS" in staged.reason
