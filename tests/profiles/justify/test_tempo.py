"""The tempo rule: delay times and pre-delays on the grid, and its near misses."""

from __future__ import annotations

import pytest

from profiles.justify.rules import tempo
from tests.profiles.justify.builders import change, context


@pytest.mark.parametrize(
    ("parameter", "after", "subdivision"),
    [
        ("delay.time_ms", 375.0, "1/8 dotted"),  # 120 BPM
        ("delay.time_ms", 500.0, "1/4"),
        ("delay.time_ms", 166.0, "1/8 triplet"),  # 166.7 ms, typed in whole ms
        ("reverb.predelay_ms", 31.25, "1/64"),
    ],
)
def test_times_on_the_grid_are_justified(parameter: str, after: float, subdivision: str) -> None:
    verdict = tempo.judge(change(parameter, after), context())
    assert verdict is not None and verdict.rule == "tempo"
    assert verdict.evidence["subdivision"] == subdivision
    assert verdict.confidence >= 0.6
    assert f"{after:g} ms" in verdict.reason and subdivision in verdict.reason and "120 BPM" in verdict.reason


@pytest.mark.parametrize(
    ("parameter", "after"),
    [
        ("delay.time_ms", 375.0 * 1.07),  # 7 % off the dotted eighth
        ("delay.time_ms", 375.0 * 0.95),
        ("delay.time_ms", 8.0),  # a doubling delay says nothing about the grid
        ("delay.feedback", 375.0),  # not a time
    ],
)
def test_near_misses_are_not_justified(parameter: str, after: float) -> None:
    assert tempo.judge(change(parameter, after), context()) is None
