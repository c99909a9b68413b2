"""The window search (profiles/windows/adaptive.py) and its scales (profiles/windows/scales.py).

Listeners here are noiseless: a value inside the window is fine, outside it not enough or too much
(taken in the listener's direction). Speed is measured by bench/windows.py, not here.
"""

from __future__ import annotations

import math

import pytest

from profiles.windows.adaptive import ANSWERS, Prior, Window, WindowSearch
from profiles.windows.scales import Scale, scale_for

BELL = {"eq.band1.type": "bell", "eq.band1.q": 2.0}


def noiseless(low: float, high: float, direction: int, current: float = 0.0):
    def respond(value: float) -> str:
        if low <= value <= high:
            return "fine"
        over = value > high
        return "too-much" if over == (direction == 1) else "not-enough"

    return respond


def run(search: WindowSearch, respond, limit: int = 100) -> list[float]:
    played = []
    for _ in range(limit):
        value = search.next_value()
        if value is None:
            break
        played.append(value)
        search.answer(value, respond(value))
    return played


def jnds(scale: Scale, a: float, b: float) -> float:
    return abs(scale.to_jnd(a) - scale.to_jnd(b))


@pytest.mark.parametrize(
    ("parameter", "settings", "value"),
    [
        ("eq.band1.freq_hz", BELL, 440.0),
        ("eq.band2.freq_hz", {"eq.band2.type": "highpass"}, 80.0),
        ("eq.band1.gain_db", BELL, -3.5),
        ("volume_db", None, -12.0),
        ("comp.threshold_db", {"comp.ratio": 4.0}, -20.0),
        ("comp.ratio", None, 3.0),
        ("comp.attack_ms", None, 10.0),
        ("comp.release_ms", None, 120.0),
        ("limiter.ceiling_db", None, -1.0),
        ("delay.time_ms", None, 375.0),
        ("send.Verb.level_db", None, -18.0),
        ("pan", None, -0.3),
        ("eq.band1.q", None, 1.4),
        ("reverb.decay_s", None, 2.2),
        ("reverb.predelay_ms", None, 20.0),
        ("reverb.mix", None, 0.25),
    ],
)
def test_scales_round_trip(parameter, settings, value):
    scale = scale_for(parameter, value, settings)
    assert scale.parameter == parameter
    assert scale.jnd_source.startswith(("published:", "assumed:"))
    assert scale.from_jnd(scale.to_jnd(value)) == pytest.approx(value, rel=1e-9)
    # One JND up is a step the scale calls one JND, and values clip to the range.
    assert scale.to_jnd(scale.from_jnd(scale.to_jnd(value) + 1.0)) - scale.to_jnd(value) == pytest.approx(1.0)
    assert scale.from_jnd(1e9) == scale.highest
    assert scale.from_jnd(-1e9) == scale.lowest


def test_eq_frequency_jnd_follows_q():
    wide = scale_for("eq.band1.freq_hz", 1000.0, {"eq.band1.q": 1.0})
    narrow = scale_for("eq.band1.freq_hz", 1000.0, {"eq.band1.q": 16.0})
    assert wide.jnd == pytest.approx(math.log2(1.079))
    assert narrow.jnd == pytest.approx(math.log2(1 + 0.079 / 4))
    shelf = scale_for("eq.band1.freq_hz", 1000.0, {"eq.band1.type": "lowshelf", "eq.band1.q": 16.0})
    assert shelf.jnd == pytest.approx(math.log2(1 + 0.079 / math.sqrt(0.707)))
    assert "assumed" in shelf.jnd_source
    assert scale_for("send.Verb.level_db", -10.0).jnd == 2.5
    assert "Larsen" in scale_for("send.Verb.level_db", -10.0).jnd_source


@pytest.mark.parametrize("parameter", ["eq.band1.type", "comp.auto_makeup", "param.Drive", "nonsense"])
def test_unknown_terms_are_refused(parameter):
    with pytest.raises(ValueError, match=parameter.replace(".", r"\.")):
        scale_for(parameter, 1.0)


@pytest.mark.parametrize(
    ("parameter", "settings", "current", "low", "high"),
    [
        ("eq.band1.freq_hz", BELL, 1000.0, 820.0, 1350.0),
        ("eq.band1.gain_db", BELL, -3.0, -6.5, -1.0),
        ("comp.threshold_db", {"comp.ratio": 4.0}, -20.0, -26.0, -17.0),
        ("delay.time_ms", None, 375.0, 300.0, 520.0),
    ],
)
@pytest.mark.parametrize("direction", [1, -1])
def test_a_noiseless_listener_is_found_within_one_jnd(parameter, settings, current, low, high, direction):
    scale = scale_for(parameter, current, settings)
    search = WindowSearch(scale, current, direction)
    run(search, noiseless(low, high, direction))
    window = search.window()
    assert search.done
    assert not window.partial
    assert jnds(scale, window.low, low) <= 1.0
    assert jnds(scale, window.high, high) <= 1.0
    assert window.unit == scale.unit
    assert window.n == search.n <= 20


def test_direction_minus_one_mirrors():
    scale = scale_for("eq.band1.gain_db", 0.0)
    up = WindowSearch(scale, 0.0, 1)
    down = WindowSearch(scale, 0.0, -1)
    played_up = run(up, noiseless(-2.0, 4.0, 1))
    played_down = run(down, noiseless(-4.0, 2.0, -1))
    assert played_down == pytest.approx([-v for v in played_up])
    assert (down.window().low, down.window().high) == pytest.approx((-up.window().high, -up.window().low))


def test_answers_are_validated():
    search = WindowSearch(scale_for("volume_db", -6.0), -6.0, 1)
    assert ANSWERS == ("not-enough", "fine", "too-much", "cant-hear")
    with pytest.raises(ValueError, match="too-little"):
        search.answer(-4.0, "too-little")
    assert search.n == 0
    with pytest.raises(ValueError):
        WindowSearch(scale_for("volume_db", -6.0), -6.0, 0)


def test_never_the_same_side_twice_when_equally_informative():
    # Symmetric prior and answers: each side is as informative as the other after every answer.
    scale = scale_for("eq.band1.gain_db", 0.0)
    search = WindowSearch(scale, 0.0, 1, max_probes=12)
    played = run(search, noiseless(-4.0, 4.0, 1))
    sides = [v > 0 for v in played]
    assert len(played) == 12
    assert all(a != b for a, b in zip(sides, sides[1:], strict=False)), played


def test_cant_hear_does_not_move_the_edges_but_steps_out():
    scale = scale_for("eq.band1.gain_db", 0.0)
    search = WindowSearch(scale, 0.0, 1)
    search.answer(-3.0, "not-enough")
    before = search.window()
    value = search.next_value()
    assert value is not None
    search.answer(value, "cant-hear")
    after = search.window()
    assert (after.low, after.high) == (before.low, before.high)
    assert after.n == before.n + 1
    # Later probes on that side stay further out than the value not heard.
    for _ in range(6):
        nxt = search.next_value()
        assert nxt is not None
        if (nxt > 0) == (value > 0):
            assert abs(nxt) > abs(value)
        search.answer(nxt, "fine")


def test_a_partial_window_after_three_answers_is_usable():
    scale = scale_for("eq.band1.freq_hz", 2000.0, BELL)
    search = WindowSearch(scale, 2000.0, -1)
    respond = noiseless(1700.0, 2600.0, -1)
    for _ in range(3):
        value = search.next_value()
        assert value is not None
        search.answer(value, respond(value))
    window = search.window()
    assert window.partial
    assert not search.done
    assert window.low <= 2000.0 <= window.high
    assert window.to_json() == {
        "low": float(f"{window.low:.3g}"),
        "high": float(f"{window.high:.3g}"),
        "unit": "Hz",
        "n": 3,
        "source": "probe",
        "partial": True,
    }
    assert "partial" not in Window(1.0, 2.0, "dB", 4, "history").to_json()


def test_a_prior_from_history_speeds_convergence():
    scale = scale_for("eq.band1.gain_db", -3.0)
    respond = noiseless(-7.0, 1.0, 1)
    cold = WindowSearch(scale, -3.0, 1)
    warm = WindowSearch(scale, -3.0, 1, prior=Prior(-6.6, 0.6, 25))
    run(cold, respond)
    run(warm, respond)
    assert warm.done
    assert warm.n < cold.n
    window = warm.window()
    assert jnds(scale, window.low, -7.0) <= 1.0
    assert jnds(scale, window.high, 1.0) <= 1.0


def test_max_probes_ends_the_search():
    scale = scale_for("eq.band1.gain_db", 0.0)
    search = WindowSearch(scale, 0.0, 1, max_probes=4)
    played = run(search, noiseless(-3.0, 3.0, 1))
    assert len(played) == 4
    assert search.done
    assert search.next_value() is None
    assert not search.window().partial


def test_probes_stay_within_the_range():
    scale = scale_for("eq.band1.freq_hz", 30.0, {"eq.band1.type": "highpass"})
    search = WindowSearch(scale, 30.0, 1)
    played = run(search, noiseless(20.0, 45.0, 1))
    assert all(20.0 <= v <= 20000.0 for v in played)
    assert search.window().low >= 20.0
