"""Statutory late-payment interest and fixed compensation as pure functions (no ORM).

Interest is simple interest per day on the residual of an invoice, actual/365, from
the day after the due date (or after the last day already charged) to the as-of date
inclusive. The annual rate is set per half-year (1 Jan - 30 Jun, 1 Jul - 31 Dec) from a
reference rate series plus the rule's points; the period is cut at every half-year
boundary and at every change of the residual (partial payments), and the sum is
rounded to the currency only at the end. Arithmetic is exact (fractions), so that
interest to d2 is exactly interest to d1 plus interest from d1 + 1 to d2.

A payment made on day P still leaves day P bearing interest on the amount it pays:
the residual of a day is the residual at its start, i.e. after the changes dated
before it (the UK guidance counts "up to and including the payment date").

Compensation (fixed sum per invoice for recovery costs) is returned in its own legal
currency (EUR, GBP); converting it to the invoice's currency is the caller's job.
"""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

RULES = ("none", "fixed_rate", "eu_late_payment", "uk_late_payment", "de_bgb", "fr_commerce")
SERIES = ("ecb_mro", "boe_base", "de_base", "fr_legal")
DAYS_PER_YEAR = 365


class RuleSpec(NamedTuple):
    """How a rule turns a reference rate into an annual rate, and its compensation."""

    series: str | None  # reference rate series, None for none / fixed_rate
    points_business: Fraction  # added to the reference (percentage points)
    points_consumer: Fraction | None  # None: no interest at all for consumers
    multiplier: Fraction  # reference x multiplier + points
    reference_day: str  # "first" (1 Jan / 1 Jul) or "eve" (31 Dec / 30 Jun)
    # Series published per half-year (German base rate, French legal rate) need a
    # record dated on the half-year's first day: an older record is not reused, so a
    # half-year nobody entered yet is an error, not last half-year's rate.
    exact_half_year: bool
    compensation_currency: str | None


_F0, _F1 = Fraction(0), Fraction(1)
SPECS = {
    "none": RuleSpec(None, _F0, _F0, _F1, "first", False, None),
    # The policy's own rate, for everyone, no compensation.
    "fixed_rate": RuleSpec(None, _F0, _F0, _F1, "first", False, None),
    # Directive 2011/7/EU: B2B only; reference on the half-year's first day.
    "eu_late_payment": RuleSpec("ecb_mro", Fraction(8), None, _F1, "first", False, "EUR"),
    # Late Payment of Commercial Debts (Interest) Act 1998: B2B only; reference on
    # 31 December for January-June and on 30 June for July-December.
    "uk_late_payment": RuleSpec("boe_base", Fraction(8), None, _F1, "eve", False, "GBP"),
    # BGB 288: + 9 points for businesses, + 5 for consumers; EUR 40 for businesses.
    "de_bgb": RuleSpec("de_base", Fraction(9), Fraction(5), _F1, "first", True, "EUR"),
    # Code de commerce L441-10: at least 3x the legal rate; professionals only.
    "fr_commerce": RuleSpec("fr_legal", _F0, None, Fraction(3), "first", True, "EUR"),
}


class LateChargeError(ValueError):
    """A charge that cannot be computed; ``code`` names the case, ``params`` its values."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


class LateCharges(NamedTuple):
    interest: float  # in the invoice's currency, rounded
    compensation: float  # in ``compensation_currency``
    compensation_currency: str | None


def _exact(value):
    """A float or Decimal as the exact decimal it was written as (0.1 -> 1/10)."""
    return Fraction(Decimal(str(value)))


def half_year_start(day):
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def half_year_end(day):
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


def reference_date(rule, period_start):
    """The day whose rate sets the reference of the half-year starting ``period_start``."""
    if SPECS[rule].reference_day == "eve":
        return period_start - timedelta(days=1)
    return period_start


def reference_rate(rule, period_start, rates):
    """The reference rate (%) of the half-year starting ``period_start``.

    ``rates`` is an iterable of (date_from, rate %) of the rule's series. Raises
    LateChargeError("missing_rate") naming the half-year when there is none.
    """
    spec = SPECS[rule]
    day = reference_date(rule, period_start)
    if spec.exact_half_year:
        candidates = [rate for start, rate in rates if start == day]
    else:
        candidates = [rate for start, rate in sorted(rates) if start <= day][-1:]
    if not candidates:
        raise LateChargeError(
            "missing_rate",
            series=spec.series,
            period_start=period_start,
            period_end=half_year_end(period_start),
            reference_date=day,
        )
    return _exact(candidates[-1])


def annual_rate(rule, period_start, rates, fixed_rate=0.0, is_business=True):
    """Annual interest rate (%, exact) for the half-year starting ``period_start``."""
    spec = SPECS[rule]
    if rule == "none":
        return _F0
    if rule == "fixed_rate":
        return _exact(fixed_rate)
    points = spec.points_business if is_business else spec.points_consumer
    if points is None:
        return _F0
    return reference_rate(rule, period_start, rates) * spec.multiplier + points


def residual_on(history, day):
    """The residual at the start of ``day``: the last change dated before it."""
    residual = _F0
    for change_date, amount in sorted(history, key=lambda change: change[0]):
        if change_date >= day:
            break
        residual = _exact(amount)
    return residual


def _segments(history, start, end):
    """(first day, last day, residual) pieces of [start, end] with a constant residual
    and inside one half-year."""
    cuts = {start}
    cuts.update(change + timedelta(days=1) for change, _amount in history)
    day = half_year_start(start)
    while day <= end:
        cuts.add(day)
        day = date(day.year + (day.month == 7), 1 if day.month == 7 else 7, 1)
    bounds = sorted(cut for cut in cuts if start <= cut <= end)
    for first, nxt in zip(bounds, [*bounds[1:], end + timedelta(days=1)], strict=True):
        yield first, nxt - timedelta(days=1), residual_on(history, first)


def accrued_interest(
    rule,
    history,
    due_date,
    as_of,
    *,
    rates=(),
    fixed_rate=0.0,
    is_business=True,
    date_from=None,
):
    """Interest (exact Fraction, not rounded) from max(due_date + 1, date_from) to
    ``as_of`` inclusive. ``history`` lists (date, residual after that day's changes)."""
    start = due_date + timedelta(days=1)
    if date_from and date_from > start:
        start = date_from
    total = _F0
    if rule == "none" or as_of < start:
        return total
    rate_cache = {}
    for first, last, residual in _segments(history, start, as_of):
        if residual <= 0:
            continue
        period = half_year_start(first)
        if period not in rate_cache:
            rate_cache[period] = annual_rate(rule, period, rates, fixed_rate, is_business)
        days = (last - first).days + 1
        total += residual * rate_cache[period] / 100 * days / DAYS_PER_YEAR
    return total


def round_amount(value, rounding=0.01):
    """``value`` rounded half-up to a multiple of ``rounding`` (as Odoo rounds money)."""
    step = _exact(rounding)
    units = Fraction(value) / step
    rounded = int(units + Fraction(1, 2)) if units >= 0 else -int(-units + Fraction(1, 2))
    return float(Decimal(rounded) * Decimal(str(rounding)))


def compensation(rule, amount, is_business=True):
    """Fixed compensation for recovery costs, in the rule's legal currency.

    ``amount`` is the invoice's amount in that currency (UK thresholds).
    """
    spec = SPECS[rule]
    if not spec.compensation_currency or not is_business:
        return 0.0
    if rule == "uk_late_payment":
        if amount < 1000:
            return 40.0
        return 70.0 if amount < 10000 else 100.0
    return 40.0


def late_charges(
    rule,
    history,
    due_date,
    as_of,
    *,
    rates=(),
    fixed_rate=0.0,
    is_business=True,
    amount=0.0,
    rounding=0.01,
    date_from=None,
):
    """Interest (rounded to ``rounding``) and compensation of one invoice at ``as_of``.

    Compensation is due once the invoice is late (``as_of`` after the due date), once
    per invoice: the caller does not ask for it again once charged.
    """
    if rule not in SPECS:
        raise LateChargeError("unknown_rule", rule=rule)
    interest = accrued_interest(
        rule,
        history,
        due_date,
        as_of,
        rates=rates,
        fixed_rate=fixed_rate,
        is_business=is_business,
        date_from=date_from,
    )
    fixed = compensation(rule, amount, is_business) if as_of > due_date else 0.0
    return LateCharges(round_amount(interest, rounding), fixed, SPECS[rule].compensation_currency)
