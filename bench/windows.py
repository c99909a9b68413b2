"""Windows of acceptability: how many probes the adaptive search needs (profiles/windows/adaptive.py).

Simulated listeners with known windows, on six kinds of setting: an EQ bell's centre frequency
(Q 0.7, 1.5, 3 or 6), an EQ bell's gain, a high-pass cutoff, a compressor's threshold (ratio 2-8),
a delay's time and a send's level to a reverb. Each listener is made here, from its own numbers:

- its window: edges drawn in native units around a current value (see LISTENERS), and a direction
  +1 or -1 (the way the engineer moved the setting);
- its JND, written here from the same published or assumed figures the scales state (not by calling
  profiles.windows.scales): ΔF = 0.079·F/√Q for a bell (a 2nd-order filter's Q 0.707 for a
  high-pass), 1 dB for a gain, 2.5 dB for a reverb send, 1 dB/(1 − 1/R) for a threshold at ratio R,
  10 % for a delay time;
- its answers: a logistic psychometric function at each edge, of scale `--spread` JND (default
  1/1.702: the logistic whose slope at the edge is a normal's of SD 1 JND; `--spread 1` is the
  harder reading, the logistic's own scale 1 JND), 3 % lapses spread over the three answers, and
  `cant-hear` for a value within 0.5 JND of current.

A listener's prior (the "archive prior" columns) is built the way a history would give it: the
5 % and 95 % quantiles of n = 10-30 values the listener settled on, drawn from inside its window
(70 % anywhere in it, 30 % within 1 JND of an edge), and n.

An edge is found when the estimate is within 1 of the listener's JNDs of its true edge (measured at
the edge); a listener when both are. The estimate after N probes is the method's window after N
answers (or when it stopped, if that was sooner). Choice time: each `next_value` call.

Targets: >= 85 % of listeners within 1 JND by 15 probes without a prior, by 10 with one; choice
< 100 ms. Tuned on seed 1; report on others (`--seed`).

Run from the repo root: `python bench/windows.py [--listeners N] [--seed S] [--spread S]`.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from profiles.windows.adaptive import Prior, WindowSearch  # noqa: E402
from profiles.windows.scales import scale_for  # noqa: E402

CHECKPOINTS = (8, 10, 12, 15, 20)
LAPSE = 0.03
CANT_HEAR = 0.5  # JND


@dataclass(frozen=True)
class Listener:
    kind: str
    parameter: str
    settings: dict[str, object]
    current: float
    direction: int
    low: float  # the true window, native units
    high: float
    jnds: Callable[[float, float], float]  # signed distance from a to b in this listener's JNDs
    lowest: float
    highest: float


def log_jnds(octave_jnd: float) -> Callable[[float, float], float]:
    return lambda a, b: math.log2(b / a) / octave_jnd


def linear_jnds(jnd: float) -> Callable[[float, float], float]:
    return lambda a, b: (b - a) / jnd


def make_listener(kind: str, rng: np.random.Generator) -> Listener:
    direction = int(rng.choice([-1, 1]))
    if kind in ("bell freq", "high-pass"):
        if kind == "bell freq":
            q = float(rng.choice([0.7, 1.5, 3.0, 6.0]))
            current = float(2 ** rng.uniform(math.log2(150), math.log2(6000)))
            below, above = rng.uniform(0.1, 0.7, 2)
            settings: dict[str, object] = {"eq.band1.type": "bell", "eq.band1.q": q}
        else:
            q = 0.707
            current = float(2 ** rng.uniform(math.log2(30), math.log2(250)))
            below, above = rng.uniform(0.15, 1.0, 2)
            settings = {"eq.band1.type": "highpass"}
        octave_jnd = math.log2(1 + 0.079 / math.sqrt(q))
        low, high = max(current * 2**-below, 20.0), min(current * 2**above, 20000.0)
        return Listener(
            kind, "eq.band1.freq_hz", settings, current, direction, low, high, log_jnds(octave_jnd), 20.0, 20000.0
        )
    if kind == "bell gain":
        current = float(rng.uniform(-8, 6))
        below, above = rng.uniform(0.75, 5.0, 2)
        return Listener(
            kind, "eq.band1.gain_db", {"eq.band1.type": "bell", "eq.band1.q": 1.0}, current, direction,
            current - below, current + above, linear_jnds(1.0), -30.0, 30.0,
        )  # fmt: skip
    if kind == "comp threshold":
        ratio = float(rng.choice([2.0, 3.0, 4.0, 8.0]))
        current = float(rng.uniform(-35, -8))
        below, above = rng.uniform(1.5, 10.0, 2)
        return Listener(
            kind, "comp.threshold_db", {"comp.ratio": ratio}, current, direction,
            current - below, min(current + above, 0.0), linear_jnds(1.0 / (1 - 1 / ratio)), -60.0, 0.0,
        )  # fmt: skip
    if kind == "delay time":
        current = float(2 ** rng.uniform(math.log2(80), math.log2(700)))
        below, above = rng.uniform(0.1, 0.6, 2)
        return Listener(
            kind, "delay.time_ms", {}, current, direction, current * 2**-below, current * 2**above,
            log_jnds(math.log2(1.1)), 1.0, 4000.0,
        )  # fmt: skip
    if kind == "send level":
        current = float(rng.uniform(-25, -5))
        below, above = rng.uniform(1.5, 9.0, 2)
        return Listener(
            kind, "send.Verb.level_db", {}, current, direction, current - below, current + above,
            linear_jnds(2.5), -60.0, 12.0,
        )  # fmt: skip
    raise ValueError(kind)


KINDS = ("bell freq", "bell gain", "high-pass", "comp threshold", "delay time", "send level")


def respond(listener: Listener, value: float, spread: float, rng: np.random.Generator) -> str:
    """The listener's answer to `value`: about the value taken in its direction."""
    if abs(listener.jnds(listener.current, value)) < CANT_HEAR:
        return "cant-hear"
    above = listener.jnds(listener.high, value)  # > 0: past the high edge
    below = listener.jnds(value, listener.low)  # > 0: under the low edge
    p_high = 1.0 / (1.0 + math.exp(-above / spread))
    p_low = 1.0 / (1.0 + math.exp(-below / spread))
    total = p_high + p_low
    if total > 1.0:
        p_high, p_low = p_high / total, p_low / total
    p_high = (1 - LAPSE) * p_high + LAPSE / 3
    p_low = (1 - LAPSE) * p_low + LAPSE / 3
    u = rng.uniform()
    # With direction +1 too much is too high; with -1, too low.
    if u < p_high:
        return "too-much" if listener.direction == 1 else "not-enough"
    if u < p_high + p_low:
        return "not-enough" if listener.direction == 1 else "too-much"
    return "fine"


def history_prior(listener: Listener, rng: np.random.Generator) -> Prior:
    """Quantiles of the values the listener settled on in past sessions (inside its window)."""
    n = int(rng.integers(10, 31))
    width = listener.jnds(listener.low, listener.high)
    step = 1.0 / max(width, 1e-9)  # one JND as a fraction of the window
    fractions = []
    for _ in range(n):
        r = rng.uniform()
        if r < 0.15:
            fractions.append(rng.uniform(0, min(step, 1.0)))
        elif r < 0.30:
            fractions.append(1 - rng.uniform(0, min(step, 1.0)))
        else:
            fractions.append(rng.uniform())
    is_log = listener.parameter in ("eq.band1.freq_hz", "delay.time_ms")
    if is_log:
        values = [listener.low * (listener.high / listener.low) ** f for f in fractions]
    else:
        values = [listener.low + (listener.high - listener.low) * f for f in fractions]
    low, high = np.quantile(values, [0.05, 0.95])
    return Prior(float(low), float(high), n)


def run(listener: Listener, prior: Prior | None, spread: float, seed: int) -> tuple[dict[int, bool], list[float], int]:
    rng = np.random.default_rng(seed)
    scale = scale_for(listener.parameter, listener.current, listener.settings)
    search = WindowSearch(scale, listener.current, listener.direction, prior=prior, max_probes=max(CHECKPOINTS))
    found: dict[int, bool] = {}
    times: list[float] = []
    while True:
        start = time.perf_counter()
        value = search.next_value()
        times.append((time.perf_counter() - start) * 1000)
        if value is None:
            break
        search.answer(value, respond(listener, value, spread, rng))
        if search.n in CHECKPOINTS:
            found[search.n] = hit(listener, search)
    final = hit(listener, search)
    for n in CHECKPOINTS:
        found.setdefault(n, final)
    return found, times, search.n


def hit(listener: Listener, search: WindowSearch) -> bool:
    window = search.window()
    return abs(listener.jnds(listener.low, window.low)) <= 1.0 and abs(listener.jnds(listener.high, window.high)) <= 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listeners", type=int, default=50, help="listeners per kind of setting")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spread", type=float, default=1 / 1.702, help="the listeners' logistic scale, JND")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    rows: dict[tuple[str, str], list[dict[int, bool]]] = {}
    times: list[float] = []
    stops: dict[str, list[int]] = {"none": [], "archive": []}
    for kind in KINDS:
        for i in range(args.listeners):
            listener = make_listener(kind, rng)
            prior = history_prior(listener, rng)
            answer_seed = int(rng.integers(2**31))
            for label, p in (("none", None), ("archive", prior)):
                found, took, n = run(listener, p, args.spread, answer_seed)
                rows.setdefault((kind, label), []).append(found)
                rows.setdefault(("all", label), []).append(found)
                times.extend(took)
                stops[label].append(n)
            del i
    print(f"seed {args.seed}, {args.listeners} listeners per kind, listener logistic scale {args.spread:.3f} JND")
    header = "| setting | prior | " + " | ".join(f"N={n}" for n in CHECKPOINTS) + " |"
    print()
    print(header)
    print("|" + "---|" * (len(CHECKPOINTS) + 2))
    for kind in (*KINDS, "all"):
        for label in ("none", "archive"):
            found_list = rows[(kind, label)]
            shares = [100 * sum(f[n] for f in found_list) / len(found_list) for n in CHECKPOINTS]
            name = f"**{kind}**" if kind == "all" else kind
            print(f"| {name} | {label} | " + " | ".join(f"{s:.0f} %" for s in shares) + " |")
    print()
    for label in ("none", "archive"):
        print(f"probes until stopped ({label} prior): median {statistics.median(stops[label]):.0f}")
    print(
        f"choice time: median {statistics.median(times):.2f} ms, max {max(times):.2f} ms ({len(times)} choices); "
        f"the process's first choice (cold) {times[0]:.2f} ms, the max of the rest {max(times[1:]):.2f} ms"
    )


if __name__ == "__main__":
    main()
