"""Quantiles of the normal and Student t distributions, for confidence intervals.

The t quantile inverts the t distribution function, written through the regularized
incomplete beta function (evaluated by its continued fraction), by bisection to full
double precision. It is used a handful of times per request (once per distinct degrees
of freedom), so simplicity beats speed.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

_EPSILON = 1e-16
_TINY = 1e-300


def normal_quantile(p: float) -> float:
    """The ``p`` quantile of the standard normal distribution (R's ``qnorm``)."""
    return NormalDist().inv_cdf(p)


def _beta_continued_fraction(x: float, a: float, b: float) -> float:
    # modified Lentz evaluation of the continued fraction of I_x(a, b)
    c = 1.0
    d = 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    result = d
    for m in range(1, 10_000):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            result *= c * d
        if abs(c * d - 1.0) < _EPSILON:
            break
    return result


def incomplete_beta(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta function ``I_x(a, b)`` (R's ``pbeta(x, a, b)``)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        a * math.log(x) + b * math.log1p(-x) + math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_continued_fraction(x, a, b) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(1.0 - x, b, a) / b


def t_distribution(t: float, df: float) -> float:
    """``P(T <= t)`` for Student's t with ``df`` degrees of freedom (R's ``pt``)."""
    if math.isinf(df):
        return NormalDist().cdf(t)
    tail = 0.5 * incomplete_beta(df / (df + t * t), df / 2.0, 0.5)
    return 1.0 - tail if t > 0 else tail


@lru_cache(maxsize=256)
def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (R's ``qt``).

    ``df`` may be fractional or infinite (the normal quantile); ``df <= 0`` gives NaN,
    as R's ``confint`` does for a design without degrees of freedom.
    """
    if not 0.0 < p < 1.0 or math.isnan(df) or df <= 0:
        return math.nan
    if math.isinf(df):
        return normal_quantile(p)
    if p == 0.5:
        return 0.0
    upper = p > 0.5
    tail = 1.0 - p if upper else p  # P(T < -t) for the positive root t
    # I_x(df/2, 1/2) = 2 * tail with x = df / (df + t^2); I_x increases with x
    target = 2.0 * tail
    low, high = 0.0, 1.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        if incomplete_beta(middle, df / 2.0, 0.5) < target:
            low = middle
        else:
            high = middle
        if high - low <= 1e-17:
            break
    x = 0.5 * (low + high)
    t = math.sqrt(df * (1.0 - x) / x)
    return t if upper else -t


def glm_wald_multiplier(level: float, df: float) -> float:
    """Half-width of a ``level`` Wald interval on t with ``df`` degrees of freedom, in
    standard errors, as R's ``confint.svyglm`` reaches it (what ``svyciprop`` uses).

    R turns the t interval into a normal one of level ``1 - 2 * pnorm(qt(alpha/2, df))``
    and takes that level's normal quantile. It is the t quantile itself, except when the
    t tail is so small that the level rounds to 1 (one degree of freedom at 95%: |t|
    above 8.3): the multiplier is then infinite. ``df <= 0`` gives NaN.
    """
    t = t_quantile((1.0 - level) / 2.0, df)
    if math.isnan(t):
        return math.nan
    t_level = 1.0 - math.erfc(-t / math.sqrt(2.0))  # 1 - 2 pnorm(t), t < 0
    tail = (1.0 - t_level) / 2.0
    if tail <= 0.0:
        return math.inf
    return -normal_quantile(tail)
