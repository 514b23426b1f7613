"""Predicted payment date of an open invoice (no ORM): an empirical-Bayes estimate.

Each customer ``i`` is assumed to pay an invoice ``X`` days after its due date (negative:
early), ``X ~ Normal(theta_i, sigma2)``, and the customers' own means ``theta_i`` to be
spread around the company's mean: ``theta_i ~ Normal(mu, tau2)``. All three are
estimated from the company's paid invoices (method of moments, see ``estimate_prior``):

- ``mu``: the company's mean days late, over all its paid invoices;
- ``sigma2`` (within-customer variance): pooled variance of each customer's days late
  around its own mean, ``sum_i sum_j (x_ij - mean_i)^2 / sum_i (n_i - 1)``;
- ``tau2`` (between-customer variance): variance of the customers' means minus the part
  that is noise, ``var(mean_i) - average(sigma2 / n_i)``, never below 0.

A customer with ``n`` paid invoices of mean ``m`` is then expected to pay

    estimate = w * m + (1 - w) * mu,   w = n / (n + k),   k = sigma2 / tau2

(``n = 0``: the company's mean; ``n`` large: the customer's own mean; ``tau2 = 0``, i.e.
customers do not differ: the company's mean). The uncertainty of a new invoice is the
customer's spread plus what is still unknown about its mean:

    variance = sigma2 + (1 - w) * tau2

and the range is ``estimate +- 1.2816 * sqrt(variance)`` (80 % of a normal distribution).
For an invoice still open today, the payment comes no earlier than today: the estimate
and the range are those of the same distribution conditioned on ``X >= days already
past due`` (a truncated normal), see ``predict``.
"""

import math
from dataclasses import dataclass
from statistics import NormalDist

# Fewer paid invoices than this in the company's history tell no date: a prediction
# would only repeat the due date (or today), as if it were known.
MIN_PAID_INVOICES = 3

# 80 % range: the 10th and 90th percentiles of a normal distribution.
RANGE_Z = NormalDist().inv_cdf(0.9)
RANGE_LOW, RANGE_HIGH = 0.1, 0.9
# Beyond this many standard deviations the truncated normal is computed with its
# exponential tail (the exact formula loses all precision there).
TAIL_ALPHA = 6.0


@dataclass(frozen=True)
class Summary:
    """Paid invoices of one customer: count, mean and sample variance of days late."""

    n: int
    mean: float = 0.0
    var: float = 0.0

    @classmethod
    def of(cls, values):
        values = list(values)
        n = len(values)
        if not n:
            return cls(0)
        mean = sum(values) / n
        var = sum((x - mean) ** 2 for x in values) / (n - 1) if n > 1 else 0.0
        return cls(n, mean, var)


@dataclass(frozen=True)
class Prior:
    """The company's history: mean days late, within- and between-customer variances."""

    mean: float = 0.0
    within_var: float = 0.0
    between_var: float = 0.0
    count: int = 0

    @property
    def k(self):
        """Invoices a customer needs for its own mean to weigh as much as the company's."""
        if self.between_var <= 0.0:
            return math.inf
        return self.within_var / self.between_var

    def weight(self, n):
        """Weight of the customer's own mean, ``n / (n + k)``."""
        if n <= 0 or math.isinf(self.k):
            return 0.0
        return n / (n + self.k)

    def rest(self, n):
        """Weight of the company's mean, ``k / (n + k)`` (1 - weight, without its
        rounding)."""
        if n <= 0 or math.isinf(self.k):
            return 1.0
        return self.k / (n + self.k)


@dataclass(frozen=True)
class Estimate:
    """Predicted days late (after the due date) with an 80 % range."""

    days: float
    low: float
    high: float
    sd: float
    weight: float

    @property
    def has_range(self):
        """False while the history cannot tell a spread (e.g. a single paid invoice in
        the company): a range of one day would claim a certainty nobody has."""
        return self.sd > 0.0


def enough_history(prior):
    """The company has paid invoices enough to predict from (``MIN_PAID_INVOICES``)."""
    return prior.count >= MIN_PAID_INVOICES


def estimate_prior(summaries):
    """The company's prior from its customers' summaries (method of moments)."""
    summaries = [s for s in summaries if s.n > 0]
    total = sum(s.n for s in summaries)
    if not total:
        return Prior()
    mean = sum(s.n * s.mean for s in summaries) / total
    dof = sum(s.n - 1 for s in summaries)
    within = sum((s.n - 1) * s.var for s in summaries) / dof if dof else 0.0
    between = 0.0
    if len(summaries) > 1:
        means = [s.mean for s in summaries]
        grand = sum(means) / len(means)
        spread = sum((m - grand) ** 2 for m in means) / (len(means) - 1)
        noise = sum(within / s.n for s in summaries) / len(summaries)
        between = max(spread - noise, 0.0)
    return Prior(mean=mean, within_var=within, between_var=between, count=total)


def predict(summary, prior, days_past_due=None):
    """Estimate of the days late of a customer's next invoice.

    ``days_past_due``: for an invoice still open today, today minus its due date; the
    payment cannot come before today, so the estimate and the range are conditioned on
    it (None: not conditioned, as when predicting at the due date).
    """
    weight = prior.weight(summary.n)
    # 1 - weight as k / (n + k): computed as 1 - weight, a weight that rounds to 1.0
    # loses the company's share, and a wider between-customer spread narrowed the range.
    rest = prior.rest(summary.n)
    center = weight * summary.mean + rest * prior.mean
    sd = math.sqrt(max(prior.within_var + rest * prior.between_var, 0.0))
    if days_past_due is None or days_past_due <= center - 8 * sd:
        return Estimate(center, center - RANGE_Z * sd, center + RANGE_Z * sd, sd, weight)
    if sd == 0.0:
        days = max(center, float(days_past_due))
        return Estimate(days, days, days, 0.0, weight)
    return _truncated(center, sd, float(days_past_due), weight)


def _truncated(center, sd, floor, weight):
    """The normal(center, sd) conditioned on being at least ``floor``."""
    alpha = (floor - center) / sd
    if alpha > TAIL_ALPHA:
        # Far in the tail the conditioned distribution is close to floor + an
        # exponential of mean sd / alpha.
        scale = sd / alpha
        return Estimate(
            floor + scale,
            floor - scale * math.log(1 - RANGE_LOW),
            floor - scale * math.log(1 - RANGE_HIGH),
            scale,
            weight,
        )
    std = NormalDist()
    below = std.cdf(alpha)
    above = 1.0 - below
    mean = center + sd * std.pdf(alpha) / above

    def quantile(p):
        return center + sd * std.inv_cdf(min(below + p * above, 1 - 1e-12))

    return Estimate(mean, quantile(RANGE_LOW), quantile(RANGE_HIGH), sd, weight)
