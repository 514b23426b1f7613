"""Plain pytest + hypothesis: aging buckets of a statement of account, without the ORM."""

from collections import Counter
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..tools.aging import (
    BUCKETS,
    OpenItem,
    age_items,
    age_units,
    bucket_of,
    days_past_due,
    to_units,
)
from . import hypothesis_settings  # noqa: F401 - loads the profile
from .pure import odoo_test_case

AS_OF = date(2026, 3, 31)


def test_bucket_bounds():
    assert [bucket_of(d) for d in (-10, 0)] == ["not_due", "not_due"]
    assert [bucket_of(d) for d in (1, 30)] == ["1_30", "1_30"]
    assert [bucket_of(d) for d in (31, 60)] == ["31_60", "31_60"]
    assert [bucket_of(d) for d in (61, 90)] == ["61_90", "61_90"]
    assert [bucket_of(d) for d in (91, 5000)] == ["over_90", "over_90"]


def test_due_date_else_date():
    with_due = OpenItem(date(2026, 1, 1), date(2026, 3, 1), 10.0, "USD")
    without_due = OpenItem(date(2026, 1, 1), None, 10.0, "USD")
    assert days_past_due(with_due, AS_OF) == 30
    assert days_past_due(without_due, AS_OF) == 89


def test_statement_example_per_currency():
    items = [
        OpenItem(date(2026, 3, 1), date(2026, 4, 30), 500.0, "USD"),  # not due
        OpenItem(date(2026, 1, 1), date(2026, 3, 31), 100.0, "USD"),  # due today: not due
        OpenItem(date(2026, 1, 1), date(2026, 3, 1), 700.0, "USD"),  # 30 days
        OpenItem(date(2026, 1, 1), date(2026, 1, 31), 250.5, "USD"),  # 59 days
        # A credit note and an unapplied payment count where their own date puts them.
        OpenItem(date(2026, 2, 15), date(2026, 2, 15), -200.0, "USD"),  # 44 days
        OpenItem(date(2025, 12, 1), None, -80.25, "USD"),  # 120 days
        OpenItem(date(2025, 12, 31), date(2025, 12, 31), 400.0, "EUR"),  # 90 days
    ]
    aging = age_items(items, AS_OF)
    assert set(aging) == {"USD", "EUR"}
    usd = aging["USD"]
    assert list(usd.buckets) == list(BUCKETS)
    assert usd.buckets == {
        "not_due": 600.0,
        "1_30": 700.0,
        "31_60": 50.5,
        "61_90": 0.0,
        "over_90": -80.25,
    }
    assert usd.balance == 1270.25
    assert aging["EUR"].buckets["61_90"] == 400.0
    assert aging["EUR"].balance == 400.0


def test_rounding_per_currency():
    items = [OpenItem(AS_OF, AS_OF, 1234.0, "JPY"), OpenItem(AS_OF, AS_OF, 0.1, "USD")] * 3
    aging = age_items(items, AS_OF, roundings={"JPY": 1.0})
    assert aging["JPY"].balance == 3702.0
    assert aging["USD"].balance == pytest.approx(0.3)
    assert age_units(items, AS_OF)["USD"]["not_due"] == 30  # exact in cents


def test_no_items_no_currency():
    assert age_items([], AS_OF) == {}


CURRENCIES = st.sampled_from(["USD", "EUR", "JPY"])
ROUNDING = {"USD": 0.01, "EUR": 0.01, "JPY": 1.0}
items_strategy = st.lists(
    st.builds(
        OpenItem,
        date=st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
        date_due=st.none() | st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
        residual=st.decimals(min_value="-100000", max_value="100000", places=2).map(float),
        currency=CURRENCIES,
    ),
    max_size=40,
)
AS_OF_DATES = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 6, 30))


@given(items=items_strategy, as_of=AS_OF_DATES)
def test_buckets_sum_to_the_balance_per_currency(items, as_of):
    items = [item._replace(residual=round(item.residual, 0 if item.currency == "JPY" else 2))
             for item in items]  # fmt: skip
    aging = age_items(items, as_of, roundings=ROUNDING)
    units = age_units(items, as_of, roundings=ROUNDING)
    assert set(aging) == {item.currency for item in items}
    for currency, result in aging.items():
        rounding = ROUNDING[currency]
        expected = sum(to_units(i.residual, rounding) for i in items if i.currency == currency)
        # Exact in units of the currency, and the same in floats up to float noise.
        assert sum(units[currency].values()) == expected
        assert to_units(result.balance, rounding) == expected
        assert sum(result.buckets.values()) == pytest.approx(result.balance, abs=rounding / 2)
        assert list(result.buckets) == list(BUCKETS)


@given(items=items_strategy, as_of=AS_OF_DATES)
def test_each_item_in_exactly_one_bucket(items, as_of):
    # Age each item alone: it shows in exactly one bucket (non-zero items), the one of
    # its days past due, and the others stay at zero.
    placed = Counter()
    for item in items:
        units = age_units([item], as_of)[item.currency]
        nonzero = [name for name, value in units.items() if value]
        if to_units(item.residual):
            assert nonzero == [bucket_of(days_past_due(item, as_of))]
            placed[item.currency] += 1
        else:
            assert nonzero == []
    total = age_units(items, as_of)
    for currency in placed:
        assert sum(total[currency].values()) == sum(
            to_units(i.residual) for i in items if i.currency == currency
        )


@given(days=st.integers(-1000, 1000))
def test_buckets_follow_days_in_order(days):
    assert BUCKETS.index(bucket_of(days)) <= BUCKETS.index(bucket_of(days + 1))
    if days > 0:
        assert bucket_of(days) != "not_due"


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
