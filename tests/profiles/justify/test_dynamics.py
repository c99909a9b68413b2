"""The dynamics rule: a compressor change that brings the range toward the other tracks'."""

from __future__ import annotations

import pytest

from daemon.log.records import LoggedEvent
from profiles.justify.rules import dynamics
from tests.profiles.justify.builders import T0, dynamic_pair, measured_save


@pytest.mark.parametrize(("threshold_after", "justified"), [(-22.0, True), (0.0, False)])
def test_a_compressor_change_is_dynamics_when_it_brings_the_range_toward_the_others(
    tmp_path,
    threshold_after: float,
    justified: bool,  # noqa: ANN001
) -> None:
    path, before, after = dynamic_pair(tmp_path, threshold_after)
    payload = {"track": "Vox", "device": "Comp", "parameter": "comp.ratio", "before": 1.0, "after": 6.0}
    move = LoggedEvent(9, "parameter-changed", "Dyn", 2, "greg", T0, payload)
    save = measured_save(tmp_path, path, "Dyn", (move,), before, after)
    verdict = dynamics.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert float(verdict.evidence["range_after_lu"]) < float(verdict.evidence["range_before_lu"]) - 1.0
        assert float(verdict.evidence["range_before_lu"]) == pytest.approx(15.0, abs=1.5)
