"""Plain pytest + hypothesis: the ladder rules, without Odoo's ORM."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ..tools.calendar import add_business_days, next_business_day
from ..tools.ladder import (
    DEFAULT_LADDER,
    eligible_indexes,
    index_of_delay,
    is_strictly_increasing,
    next_level_index,
)
from . import hypothesis_settings  # noqa: F401 - loads the profile
from .pure import odoo_test_case

DELAYS = tuple(step.delay_days for step in DEFAULT_LADDER)
ladders = st.lists(st.integers(-30, 400), min_size=1, max_size=9, unique=True).map(
    lambda values: tuple(sorted(values))
)


def test_default_ladder_matches_the_collections_rules():
    assert DELAYS == (-3, 0, 7, 15, 30, 45, 60)
    assert is_strictly_increasing(DELAYS)
    assert [s.create_call for s in DEFAULT_LADDER] == [
        False,
        False,
        False,
        True,
        True,
        False,
        False,
    ]
    assert [s.send_letter for s in DEFAULT_LADDER].index(True) == 4
    assert DEFAULT_LADDER[-1].propose_handoff and not DEFAULT_LADDER[-1].send_email


def test_courtesy_reminders_are_never_sent_late():
    assert eligible_indexes(DELAYS, -3) == [0]
    assert eligible_indexes(DELAYS, 0) == [0, 1]
    assert eligible_indexes(DELAYS, 1) == []
    assert eligible_indexes(DELAYS, 20) == [2, 3]


def test_never_dunned_invoice_starts_at_first_overdue_level():
    assert next_level_index(DELAYS, None, 151) == 2
    assert next_level_index(DELAYS, None, 151, start_at_matching_level=True) == 6
    assert next_level_index(DELAYS, None, -2) == 0
    assert next_level_index(DELAYS, None, 3) is None


@given(ladders, st.integers(-60, 500), st.none() | st.integers(0, 8), st.booleans())
def test_next_level_climbs_at_most_one_eligible_rung(delays, days, current, matching):
    if current is not None and current >= len(delays):
        current = len(delays) - 1
    target = next_level_index(delays, current, days, matching)
    eligible = eligible_indexes(delays, days)
    if target is None:
        assert not [i for i in eligible if current is None or i > current]
        return
    assert target in eligible
    assert delays[target] <= days
    if current is not None:
        assert target > current
        # No eligible rung is jumped over.
        assert not [i for i in eligible if current < i < target]


@given(ladders, st.integers(-60, 500))
def test_index_of_delay_is_the_highest_rung_not_above(delays, delay):
    index = index_of_delay(delays, delay)
    if index is None:
        assert delays[0] > delay
    else:
        assert delays[index] <= delay
        assert index == len(delays) - 1 or delays[index + 1] > delay


@given(st.dates(date(2020, 1, 1), date(2035, 1, 1)))
def test_next_business_day(day):
    result = next_business_day(day)
    assert result.weekday() < 5
    assert day <= result <= day + timedelta(days=2)
    if day.weekday() < 5:
        assert result == day


def test_add_business_days_skips_weekends():
    friday = date(2026, 3, 6)
    assert add_business_days(friday, 3) == date(2026, 3, 11)  # Mon, Tue, Wed
    assert add_business_days(friday, 1) == date(2026, 3, 9)
    assert add_business_days(friday - timedelta(days=4), 4) == friday  # Mon + 4
    assert add_business_days(friday + timedelta(days=1), 0) == date(2026, 3, 9)


@given(st.dates(date(2020, 1, 1), date(2035, 1, 1)), st.integers(1, 30))
def test_add_business_days_counts_weekdays(day, count):
    """Exactly ``count`` weekdays after ``day`` up to the result, which is one."""
    result = add_business_days(day, count)
    assert result.weekday() < 5
    after = [day + timedelta(days=n) for n in range(1, (result - day).days + 1)]
    assert sum(d.weekday() < 5 for d in after) == count


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
