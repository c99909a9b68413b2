"""The adaptive search for a window's two edges: a Bayesian three-answer method (QUEST+-style).

Units. Everything inside is in JND units relative to `current`, signed by `direction`:
x = direction · (to_jnd(value) − to_jnd(current)), so "too much" is always the upper side (x > b)
and "not enough" the lower (x < a).

Model (ordered probit over the two edges a < b), σ = 1 JND, lapse λ spread evenly over the three
outcomes:

    P(not-enough | x) = (1 − λ)·Φ((a − x)/σ) + λ/3
    P(too-much  | x) = (1 − λ)·Φ((x − b)/σ) + λ/3
    P(fine      | x) = the rest

Since a ≤ b, Φ((a − x)/σ) + Φ((x − b)/σ) ≤ 1 everywhere, so the model is separable in a and b:
the posterior's two marginals after each possible answer to each candidate probe come from a few
matrix products over a grid of (a, b) (0.25 JND steps), so a choice over ~100 candidates takes
about a millisecond. That is why this is numpy alone rather than the `questplus` package: its
tables are stimulus × parameter × outcome (0.09-0.28 s a choice at 200 × 200, 0.3 GB), it matches
answered stimuli exactly, and a three-answer model means overriding a private method.

Choice. The next probe is the candidate (0.5 JND steps, within the scale's range, never nearer
current than 0.5 JND) that minimises the expected sum of the two edges' marginal entropies: the
goal is each edge to within a JND, not the pair's joint shape. Ties go to the first candidate
(deterministic). If the best candidate is on the same side of current as the last probe and the
other side's best gains at least 95 % as much information, the other side is played: a listener
who hears the same side twice in a row learns to expect it.

Stop. Both edges' 68 % credible intervals narrower than 1 JND (so each edge is within half a JND
about two times in three and within a JND about 19 times in 20, if the model holds), or
`max_probes` answers.

Prior. Without a history: current is inside the window (the engineer chose it and saved it), so
a ≤ 0 ≤ b, with a little room (1 JND) for current being at an edge; each edge's distance from
current half-Cauchy with a scale of 6 JND, broad over the grid (±24 JND). With a history window
(`Prior`): a normal around each history edge whose SD shrinks with the history's n (0.5 + 2/√n
JND: 1.1 at n = 10, 0.9 at n = 30), mixed 90/10 with the broad prior, so a history that is wrong
costs probes rather than the answer. These numbers were tuned on bench/windows.py's seed 1.

`cant-hear`: the probe was within audible reach of current, so it says nothing about where the
edges are (a listener who hears no change cannot judge it): the posterior is untouched. It does
say that side needs bigger steps: later probes on that side stay further out than it. It counts
as an answer (n and max_probes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from profiles.windows.scales import Scale

ANSWERS = ("not-enough", "fine", "too-much", "cant-hear")
SOURCES = ("probe", "history")

SIGMA = 1.0  # the model's spread at each edge, JND
LAPSE = 0.03
SPAN = 24.0  # edges and probes within ±SPAN JND of current
EDGE_STEP = 0.25
PROBE_STEP = 0.5
NEAREST = 1.0  # no probe nearer current than this (JND): nearer, a difference is barely heard
OVERSHOOT = 1.0  # how far past current (JND) an edge may lie a priori
BROAD_SCALE = 6.0  # half-Cauchy scale of an edge's distance from current, no history (JND)
HISTORY_SD = (0.5, 2.0)  # SD of a history edge: first + second / sqrt(n) (JND)
HISTORY_WEIGHT = 0.9
SAME_SIDE_TOLERANCE = 0.01  # the other side is as informative within 1 % of the best gain (float noise aside)
CREDIBLE = (0.16, 0.84)  # 68 % interval
STOP_WIDTH = 1.0  # JND
NEGLIGIBLE = 1e-30  # posterior mass below this fraction of the largest is dropped

Floats = NDArray[np.float64]


def _rounded(value: float) -> float:
    return float(f"{value:.3g}")


@dataclass(frozen=True)
class Window:
    low: float
    high: float
    unit: str
    n: int
    source: str  # "probe" | "history"
    partial: bool = False

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "low": _rounded(self.low),
            "high": _rounded(self.high),
            "unit": self.unit,
            "n": self.n,
            "source": self.source,
        }
        if self.partial:
            out["partial"] = True
        return out


@dataclass(frozen=True)
class Prior:
    """A window from the history, native units, and how many settled values it rests on."""

    low: float
    high: float
    n: int


def _cdf(z: Floats) -> Floats:
    """Φ(z), its tails rounded to 0 and 1 (no subnormal numbers in the products)."""
    p: Floats = ndtr(z)
    p[p < 1e-12] = 0.0
    p[p > 1.0 - 1e-12] = 1.0
    return p


def _entropy(p: Floats) -> Floats:
    """Entropy (nats) of each row of unnormalised rows `p` (last axis); 0 for an all-zero row."""
    total = p.sum(axis=-1, keepdims=True)
    q = np.divide(p, total, out=np.zeros_like(p), where=total > 0)
    logs = np.log(q, out=np.zeros_like(q), where=q > 0)
    return -(q * logs).sum(axis=-1)


def _quantile(grid: Floats, weights: Floats, q: float) -> float:
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    return float(np.interp(q, cdf, grid))


class WindowSearch:
    def __init__(
        self, scale: Scale, current: float, direction: int, prior: Prior | None = None, max_probes: int = 20
    ) -> None:
        if direction not in (1, -1):
            raise ValueError(f"direction is +1 or -1, not {direction!r}")
        if max_probes < 1:
            raise ValueError(f"max_probes must be at least 1, not {max_probes}")
        self.scale = scale
        self.current = scale.clip(current)
        self.direction = direction
        self.max_probes = max_probes
        self.prior = prior
        self._origin = scale.to_jnd(self.current)
        # The range a probe may take, in x.
        ends = sorted(self._x(v) for v in (scale.lowest, scale.highest))
        self._x_lo, self._x_hi = max(ends[0], -SPAN), min(ends[1], SPAN)
        self.a_grid: Floats = np.arange(
            math.floor((self._x_lo - 1.0) / EDGE_STEP) * EDGE_STEP, OVERSHOOT + 1e-9, EDGE_STEP
        )
        self.b_grid: Floats = np.arange(
            -OVERSHOOT, math.ceil((self._x_hi + 1.0) / EDGE_STEP) * EDGE_STEP + 1e-9, EDGE_STEP
        )
        xs = np.arange(-SPAN, SPAN + 1e-9, PROBE_STEP)
        self._candidates: Floats = xs[(np.abs(xs) >= NEAREST) & (xs >= self._x_lo - 1e-9) & (xs <= self._x_hi + 1e-9)]
        self.posterior: Floats = self._prior()
        self._n = 0
        self._last_side = 0
        self._reach = [0.0, 0.0]  # per side (below, above): the furthest |x| answered cant-hear
        # Φ((a − x)/σ) for each candidate x and edge a; Φ((x − b)/σ) likewise.
        self._fa: Floats = _cdf((self.a_grid[None, :] - self._candidates[:, None]) / SIGMA)
        self._fb: Floats = _cdf((self._candidates[:, None] - self.b_grid[None, :]) / SIGMA)

    # -- units ---------------------------------------------------------------------------------
    def _x(self, value: float) -> float:
        return self.direction * (self.scale.to_jnd(value) - self._origin)

    def _value(self, x: float) -> float:
        return self.scale.from_jnd(self._origin + self.direction * x)

    # -- prior ---------------------------------------------------------------------------------
    def _broad(self, grid: Floats, sign: float) -> Floats:
        distance = sign * grid  # how far from current, outward
        p = 1.0 / (1.0 + (np.maximum(distance, 0.0) / BROAD_SCALE) ** 2)
        inside = distance < 0.0  # the edge past current: allowed within OVERSHOOT, less likely
        p[inside] *= np.exp(-0.5 * (distance[inside] / (OVERSHOOT / 2.0)) ** 2)
        return p / p.sum()

    def _prior(self) -> Floats:
        pa, pb = self._broad(self.a_grid, -1.0), self._broad(self.b_grid, 1.0)
        if self.prior is not None:
            ends = sorted(self._x(v) for v in (self.prior.low, self.prior.high))
            sd = HISTORY_SD[0] + HISTORY_SD[1] / math.sqrt(max(self.prior.n, 1))
            ha = np.exp(-0.5 * ((self.a_grid - min(ends[0], 0.0)) / sd) ** 2)
            hb = np.exp(-0.5 * ((self.b_grid - max(ends[1], 0.0)) / sd) ** 2)
            pa = HISTORY_WEIGHT * ha / ha.sum() + (1.0 - HISTORY_WEIGHT) * pa
            pb = HISTORY_WEIGHT * hb / hb.sum() + (1.0 - HISTORY_WEIGHT) * pb
        joint = pa[:, None] * pb[None, :]
        joint[self.a_grid[:, None] >= self.b_grid[None, :]] = 0.0
        return joint / joint.sum()

    # -- the method ----------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return self._n

    def _widths(self) -> tuple[float, float]:
        post = self.posterior
        widths = []
        for grid, marginal in ((self.a_grid, post.sum(axis=1)), (self.b_grid, post.sum(axis=0))):
            widths.append(_quantile(grid, marginal, CREDIBLE[1]) - _quantile(grid, marginal, CREDIBLE[0]))
        return widths[0], widths[1]

    @property
    def done(self) -> bool:
        if self._n >= self.max_probes:
            return True
        wa, wb = self._widths()
        return wa < STOP_WIDTH and wb < STOP_WIDTH

    def expected_entropy(self) -> tuple[Floats, Floats]:
        """The candidates (x) and the expected sum of the edges' marginal entropies after each."""
        post = self.posterior
        c, k = 1.0 - LAPSE, LAPSE / 3.0
        pa, pb = post.sum(axis=1), post.sum(axis=0)  # marginals of a and of b
        fa, fb = self._fa, self._fb
        fa_b = fa @ post  # Σ_a Φa[s,a] P[a,b]: (S, B)
        fb_a = fb @ post.T  # Σ_b Φb[s,b] P[a,b]: (S, A)
        # Joint of (answer, edge) for each candidate, marginalised over the other edge.
        ne_a, ne_b = (c * fa + k) * pa, c * fa_b + k * pb
        tm_a, tm_b = c * fb_a + k * pa, (c * fb + k) * pb
        fine_a = (c + k) * pa - c * fa * pa - c * fb_a
        fine_b = (c + k) * pb - c * fa_b - c * fb * pb
        expected = np.zeros(len(self._candidates))
        for m_a, m_b in ((ne_a, ne_b), (tm_a, tm_b), (fine_a, fine_b)):
            m_a, m_b = np.maximum(m_a, 0.0), np.maximum(m_b, 0.0)
            p_answer = m_a.sum(axis=1)
            expected += p_answer * (_entropy(m_a) + _entropy(m_b))
        return self._candidates, expected

    def next_value(self) -> float | None:
        """The next value to play (native units); None when done."""
        if self.done:
            return None
        xs, expected = self.expected_entropy()
        usable = np.where(xs < 0, -xs > self._reach[0], xs > self._reach[1])
        if not usable.any():
            return None
        pa, pb = self.posterior.sum(axis=1)[None, :], self.posterior.sum(axis=0)[None, :]
        now = float(_entropy(pa)[0] + _entropy(pb)[0])
        gains = np.where(usable, now - expected, -np.inf)
        best = int(np.argmax(gains))
        side = 1 if xs[best] > 0 else -1
        if side == self._last_side:
            other = np.where((np.sign(xs) == -side) & usable, gains, -np.inf)
            alt = int(np.argmax(other))
            if np.isfinite(other[alt]) and other[alt] >= (1.0 - SAME_SIDE_TOLERANCE) * gains[best]:
                best = alt
        return self._value(float(xs[best]))

    def answer(self, value: float, answer: str) -> None:
        """Take the listener's answer to `value` (native units). ValueError on an unknown answer."""
        if answer not in ANSWERS:
            raise ValueError(f"unknown answer {answer!r}: one of {', '.join(ANSWERS)}")
        if not math.isfinite(value):
            raise ValueError(f"a probe value must be finite, not {value!r}")
        x = self._x(value)
        self._n += 1
        self._last_side = 1 if x > 0 else -1 if x < 0 else 0
        if answer == "cant-hear":
            side = 1 if x > 0 else 0
            self._reach[side] = max(self._reach[side], abs(x))
            return
        c, k = 1.0 - LAPSE, LAPSE / 3.0
        fa = _cdf((self.a_grid - x) / SIGMA)[:, None]
        fb = _cdf((x - self.b_grid) / SIGMA)[None, :]
        if answer == "not-enough":
            likelihood = c * fa + k + 0.0 * fb
        elif answer == "too-much":
            likelihood = c * fb + k + 0.0 * fa
        else:
            likelihood = np.maximum(c * (1.0 - fa - fb), 0.0) + k
        post = self.posterior * likelihood
        post[post < NEGLIGIBLE * post.max()] = 0.0  # no subnormal numbers: they slow the products 100-fold
        self.posterior = post / post.sum()

    def edges(self) -> tuple[float, float]:
        """The posterior means of the edges a and b (JND units, signed by direction)."""
        post = self.posterior
        pa, pb = post.sum(axis=1), post.sum(axis=0)
        return float(self.a_grid @ pa), float(self.b_grid @ pb)

    def window(self) -> Window:
        """The current estimate (native units, low <= high); partial until done."""
        a, b = self.edges()
        low, high = sorted((self._value(a), self._value(b)))
        return Window(low, high, self.scale.unit, self._n, "probe", partial=not self.done)
