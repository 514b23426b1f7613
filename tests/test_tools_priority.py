"""Plain pytest + hypothesis: the collections priority of a customer, without the ORM."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..tools.priority import BROKEN_PROMISE_WEIGHT, DAYS_PER_STEP, MAX_DAYS, dunning_priority
from . import hypothesis_settings  # noqa: F401 - loads the profile
from .pure import odoo_test_case

amounts = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=0.01, max_value=1e9, allow_nan=False, allow_infinity=False)
days = st.integers(min_value=-100, max_value=5000)
broken = st.integers(min_value=0, max_value=50)


def test_documented_formula():
    # amount * (1 + days / 30) * (1 + 0.5 * broken), rounded to the cent
    assert dunning_priority(1000.0, 0, 0) == 1000.0
    assert dunning_priority(1000.0, 30, 0) == 2000.0
    assert dunning_priority(1000.0, 30, 2) == 4000.0
    assert dunning_priority(300.0, 15, 1) == pytest.approx(300 * 1.5 * 1.5)
    assert dunning_priority(100.0, 10, 0) == 133.33


def test_days_count_up_to_a_year():
    year = dunning_priority(100.0, MAX_DAYS, 0)
    assert year == round(100.0 * (1 + MAX_DAYS / DAYS_PER_STEP), 2)
    assert dunning_priority(100.0, MAX_DAYS + 400, 0) == year


def test_one_broken_promise_adds_its_weight():
    assert dunning_priority(100.0, 0, 1) == 100.0 * (1 + BROKEN_PROMISE_WEIGHT)


def test_zero_when_nothing_overdue():
    assert dunning_priority(0.0, 400, 5) == 0.0
    assert dunning_priority(None, 400, 5) == 0.0
    # A credit (more credit notes and payments than overdue invoices) is not a debt.
    assert dunning_priority(-250.0, 400, 5) == 0.0


@given(amounts, days, broken)
def test_never_negative_and_zero_without_debt(amount, age, count):
    score = dunning_priority(amount, age, count)
    assert score >= 0.0
    if amount <= 0:
        assert score == 0.0


@given(positive, positive, days, broken)
def test_monotone_in_amount(a, b, age, count):
    low, high = sorted((a, b))
    assert dunning_priority(low, age, count) <= dunning_priority(high, age, count)


@given(positive, days, days, broken)
def test_monotone_in_days(amount, d1, d2, count):
    low, high = sorted((d1, d2))
    assert dunning_priority(amount, low, count) <= dunning_priority(amount, high, count)


@given(positive, days, broken, broken)
def test_monotone_in_broken_promises(amount, age, b1, b2):
    low, high = sorted((b1, b2))
    assert dunning_priority(amount, age, low) <= dunning_priority(amount, age, high)


@given(st.floats(min_value=1.0, max_value=1e7), st.integers(0, MAX_DAYS - 1), broken)
def test_older_or_more_broken_is_strictly_first(amount, age, count):
    # Within the year, a day more or a broken promise more always comes first (the
    # amount is at least 1, so the difference survives the rounding to the cent).
    score = dunning_priority(amount, age, count)
    assert dunning_priority(amount, age + 1, count) > score
    assert dunning_priority(amount, age, count + 1) > score


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
