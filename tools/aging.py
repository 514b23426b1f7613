"""Aging of a customer's open items as pure functions (no ORM).

An open item is anything that makes up a customer's receivable balance: the unpaid
part of an invoice (positive), an open credit note or an unapplied payment (negative).
Each item falls in exactly one bucket, by its days past due on the as-of date:
``not_due`` (due today or later), ``1_30``, ``31_60``, ``61_90``, ``over_90``.

Credit notes and unapplied payments are aged like any other item, by their own due
date (or their date when they have none), not set against the oldest invoice: the
statement shows what the ledger holds, and the buckets of a currency sum to its
balance. Money is summed in integer units of the currency's rounding, so that this
sum is exact.
"""

from collections import defaultdict
from collections.abc import Hashable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

BUCKETS = ("not_due", "1_30", "31_60", "61_90", "over_90")
# Upper bound (days past due, inclusive) of every bucket but the last one.
_BOUNDS = ((0, "not_due"), (30, "1_30"), (60, "31_60"), (90, "61_90"))
DEFAULT_ROUNDING = 0.01


class OpenItem(NamedTuple):
    date: date
    date_due: date | None
    residual: float
    currency: Hashable


class CurrencyAging(NamedTuple):
    currency: Hashable
    buckets: dict  # bucket name -> amount, in BUCKETS order
    balance: float


def days_past_due(item, as_of):
    """Days from the item's due date (else its date) to ``as_of``; <= 0 when not due."""
    return (as_of - (item.date_due or item.date)).days


def bucket_of(days):
    """The bucket of an item ``days`` past due."""
    for bound, name in _BOUNDS:
        if days <= bound:
            return name
    return "over_90"


def _step(rounding):
    return Decimal(str(rounding or DEFAULT_ROUNDING))


def to_units(amount, rounding=DEFAULT_ROUNDING):
    """``amount`` as a whole number of rounding steps (half away from zero)."""
    return int((Decimal(str(amount)) / _step(rounding)).to_integral_value(ROUND_HALF_UP))


def from_units(units, rounding=DEFAULT_ROUNDING):
    return float(units * _step(rounding))


def age_units(items, as_of, roundings=None):
    """Per currency, ``{bucket: units}`` (every bucket, zeros included).

    ``roundings`` maps a currency to its rounding (default 0.01).
    """
    roundings = roundings or {}
    result = defaultdict(lambda: dict.fromkeys(BUCKETS, 0))
    for item in items:
        rounding = roundings.get(item.currency, DEFAULT_ROUNDING)
        bucket = bucket_of(days_past_due(item, as_of))
        result[item.currency][bucket] += to_units(item.residual, rounding)
    return dict(result)


def age_items(items, as_of, roundings=None):
    """Per currency, the aging of ``items`` on ``as_of``: ``{currency: CurrencyAging}``.

    The balance is the sum of the buckets in units of the currency's rounding, so the
    amounts shown always add up, whatever the float noise of the residuals.
    """
    roundings = roundings or {}
    result = {}
    for currency, units in age_units(items, as_of, roundings).items():
        rounding = roundings.get(currency, DEFAULT_ROUNDING)
        result[currency] = CurrencyAging(
            currency,
            {name: from_units(units[name], rounding) for name in BUCKETS},
            from_units(sum(units.values()), rounding),
        )
    return result
