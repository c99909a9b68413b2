"""Changes judged together: a make-up gain shares the verdict of the cut or compressor change it makes up for."""

from __future__ import annotations

from dataclasses import replace

import pytest

from daemon.log.records import LoggedEvent
from daemon.sessions.model import canonical_params
from profiles.justify import compressor, together
from profiles.justify.processor import verdicts
from profiles.justify.rules import masking
from tests.profiles.justify.builders import T0, dynamic_pair, make_up_save, measured_save


def test_a_make_up_gain_is_judged_together_with_the_cut_it_makes_up_for(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "probe").mkdir()
    taken = together.find(make_up_save(tmp_path / "probe", 2150.0, 4.0))[0].taken_db
    assert taken == pytest.approx(4.0, abs=1.0)  # the 2150 Hz tone carries most of the guitar's weighted level
    save = make_up_save(tmp_path, 2150.0, round(taken, 1))
    (cut, cut_verdict), (fader, fader_verdict) = verdicts(save)
    # the pure 2150 Hz tone is a ring as much as a masker: the most confident rule leads
    assert cut_verdict is not None and cut_verdict.rule in ("masking", "resonance")
    assert fader_verdict is not None and fader_verdict.rule == cut_verdict.rule
    assert fader_verdict.confidence == cut_verdict.confidence
    assert (
        f"You raised Gtr's fader by {round(taken, 1):.1f} dB to make up the level your EQ cut took"
        in fader_verdict.reason
    )
    assert float(fader_verdict.evidence["taken_db"]) == pytest.approx(taken, abs=0.01)
    # the masking rule weighs the make-up in: alone the cut makes room for the vocal; with the make-up
    # giving back 4 of its 6 dB there, too little for a cut
    alone = masking.judge(cut, replace(save, makeup_db={}))
    assert alone is not None and alone.rule == "masking" and "make-up" not in alone.reason
    assert masking.judge(cut, replace(save, makeup_db={"Gtr": round(taken, 1)})) is None


@pytest.mark.parametrize(
    ("cut_hz", "q", "fader_up_db"),
    [
        (2150.0, 4.0, 8.0),  # twice what the cut took: no make-up, a move of its own (and no rule's)
        (400.0, 1.0, None),  # it makes up a wide cut where the vocal has nothing, which no rule justifies
    ],
)
def test_a_gain_that_does_not_make_up_a_justified_cut_is_not_justified_with_it(
    tmp_path,  # noqa: ANN001
    cut_hz: float,
    q: float,
    fader_up_db: float | None,
) -> None:
    if fader_up_db is None:  # exactly what the cut took
        (tmp_path / "probe").mkdir()
        fader_up_db = round(together.find(make_up_save(tmp_path / "probe", cut_hz, 1.0, q))[0].taken_db, 1)
    save = make_up_save(tmp_path, cut_hz, fader_up_db, q)
    groups = together.find(save)
    assert bool(groups) == (cut_hz == 400.0)
    (_, cut_verdict), (_, fader_verdict) = verdicts(save)
    assert (cut_verdict is not None) == (cut_hz == 2150.0)
    assert fader_verdict is None


def test_a_compressor_make_up_takes_the_dynamics_verdict_of_the_compressor(tmp_path) -> None:  # noqa: ANN001
    path, before, after = dynamic_pair(tmp_path, -22.0)
    probe = measured_save(tmp_path, path, "Dyn", (), before, after)
    old = compressor.setting(before, "Vox", "Comp")
    new = compressor.setting(after, "Vox", "Comp")
    assert old is not None and new is not None
    loud_before, loud_after = compressor.compressed(probe, "Vox", old), compressor.compressed(probe, "Vox", new)
    assert loud_before is not None and loud_after is not None
    taken = round(float(loud_before.integrated_lufs or 0.0) - float(loud_after.integrated_lufs or 0.0), 1)
    assert taken > 1.0
    comp = after.track("Vox").devices[0]
    made_up = replace(comp, params=canonical_params({**comp.param_dict, "comp.makeup_db": taken}))
    after = replace(after, tracks=(replace(after.track("Vox"), devices=(made_up,)), after.track("Pad")))
    ratio = LoggedEvent(
        9, "parameter-changed", "Dyn", 2, "greg", T0,
        {"track": "Vox", "device": "Comp", "parameter": "comp.ratio", "before": 1.0, "after": 6.0},
    )  # fmt: skip
    makeup = LoggedEvent(
        10, "parameter-changed", "Dyn", 2, "greg", T0,
        {"track": "Vox", "device": "Comp", "parameter": "comp.makeup_db", "before": 0.0, "after": taken},
    )  # fmt: skip
    save = measured_save(tmp_path, path, "Dyn", (ratio, makeup), before, after)
    (_, ratio_verdict), (_, makeup_verdict) = verdicts(save)
    assert ratio_verdict is not None and ratio_verdict.rule == "dynamics"
    assert makeup_verdict is not None and makeup_verdict.rule == "dynamics"
    assert "comp.makeup_db of Vox's Comp" in makeup_verdict.reason and "compression took" in makeup_verdict.reason
