"""A customer's payer profile (no ORM): risk band A-D and the reasons for it.

The band is the worst of three plain readings of the customer's history, each with its
own thresholds, so that every band can be explained in one sentence per reading:

- lateness: mean days late of the invoices paid (A up to 5, B up to 15, C up to 30,
  D beyond);
- punctuality: share of invoices paid on or before their due date (A from 80 %, B from
  60 %, C from 40 %, D below);
- promises: share of promises to pay kept, among those kept or broken (A from 80 %, B
  from 50 %, C from 25 %, D below), when there was at least one;

then one band worse (never beyond D) when the trend is bad: the last 6 months paid at
least 10 days later on average than the months before (2 invoices at least on each
side). No paid invoice: no band.
"""

from dataclasses import dataclass

BANDS = ("A", "B", "C", "D")
LATENESS_LIMITS = (5.0, 15.0, 30.0)  # mean days late, upper limit of A, B, C
ON_TIME_LIMITS = (0.8, 0.6, 0.4)  # share paid on time, lower limit of A, B, C
PROMISE_LIMITS = (0.8, 0.5, 0.25)  # share of promises kept, lower limit of A, B, C
TREND_DAYS = 10.0
TREND_MIN_COUNT = 2
FEW_INVOICES = 3

# Reason codes (the model words them): (code, {parameters}).
REASON_NO_HISTORY = "no_history"
REASON_GOOD = "good"
REASON_LATE = "late"
REASON_ON_TIME = "on_time"
REASON_PROMISES = "promises"
REASON_TREND = "trend"
REASON_FEW = "few"


@dataclass(frozen=True)
class History:
    """What the company's books say about one customer (last 24 months)."""

    paid_count: int = 0
    mean_late: float = 0.0
    on_time_count: int = 0
    recent_count: int = 0
    recent_mean: float | None = None
    before_mean: float | None = None
    promises_kept: int = 0
    promises_broken: int = 0


@dataclass(frozen=True)
class Profile:
    band: str | None
    reasons: tuple
    on_time_share: float
    promises_kept_share: float | None
    trend: float | None


def _band_above(value, limits):
    """Band of a value where higher is better (limits: lower limits of A, B, C)."""
    for index, limit in enumerate(limits):
        if value >= limit:
            return index
    return len(limits)


def _band_below(value, limits):
    """Band of a value where lower is better (limits: upper limits of A, B, C)."""
    for index, limit in enumerate(limits):
        if value <= limit:
            return index
    return len(limits)


def trend_of(history):
    """Recent mean days late minus the earlier one (positive: paying later), or None."""
    if (
        history.recent_mean is None
        or history.before_mean is None
        or history.recent_count < TREND_MIN_COUNT
        or history.paid_count - history.recent_count < TREND_MIN_COUNT
    ):
        return None
    return history.recent_mean - history.before_mean


def payer_profile(history):
    """The customer's band and the reasons for it, worst reading first."""
    promises = history.promises_kept + history.promises_broken
    kept_share = history.promises_kept / promises if promises else None
    trend = trend_of(history)
    if history.paid_count <= 0:
        return Profile(None, ((REASON_NO_HISTORY, {}),), 0.0, kept_share, None)
    on_time = history.on_time_count / history.paid_count
    readings = [
        (_band_below(history.mean_late, LATENESS_LIMITS), REASON_LATE,
         {"days": round(history.mean_late, 1)}),
        (_band_above(on_time, ON_TIME_LIMITS), REASON_ON_TIME,
         {"percent": round(100 * on_time)}),
    ]  # fmt: skip
    if kept_share is not None:
        readings.append(
            (
                _band_above(kept_share, PROMISE_LIMITS),
                REASON_PROMISES,
                {"kept": history.promises_kept, "total": promises},
            )
        )
    band = max(index for index, _code, _params in readings)
    reasons = [(code, params) for index, code, params in readings if index == band and index]
    if trend is not None and trend >= TREND_DAYS:
        band = min(band + 1, len(BANDS) - 1)
        reasons.append((REASON_TREND, {"days": round(trend, 1)}))
    if not reasons:
        reasons.append((REASON_GOOD, {"percent": round(100 * on_time)}))
    if history.paid_count < FEW_INVOICES:
        reasons.append((REASON_FEW, {"count": history.paid_count}))
    return Profile(BANDS[band], tuple(reasons), on_time, kept_share, trend)
