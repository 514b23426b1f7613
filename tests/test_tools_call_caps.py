"""Plain pytest: the call caps of a policy (next attempt of an unanswered call)."""

from datetime import date, timedelta

from ..tools.call_caps import next_call_date
from .pure import odoo_test_case

MONDAY = date(2026, 3, 2)


def test_next_working_day():
    assert next_call_date(MONDAY, [MONDAY], [], 7, 7) == MONDAY + timedelta(days=1)
    friday = MONDAY + timedelta(days=4)
    assert next_call_date(friday, [friday], [], 7, 7) == MONDAY + timedelta(days=7)


def test_at_most_n_attempts_in_any_seven_days():
    attempts = [MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)]
    # Three calls Monday to Wednesday with a cap of 3: the next one once Monday's call
    # leaves the 7-day window, i.e. the following Monday.
    assert next_call_date(attempts[-1], attempts, [], 3, 7) == MONDAY + timedelta(days=7)


def test_quiet_days_after_a_conversation():
    assert next_call_date(MONDAY, [MONDAY], [MONDAY], 7, 7) == MONDAY + timedelta(days=8)
    assert next_call_date(MONDAY, [MONDAY], [MONDAY], 7, 0) == MONDAY + timedelta(days=1)


def test_simulated_week_never_exceeds_the_cap():
    attempts, day = [], MONDAY
    for _ in range(20):
        attempts.append(day)
        day = next_call_date(day, attempts, [], 3, 7)
    for start in (MONDAY + timedelta(days=n) for n in range(60)):
        window = [d for d in attempts if start <= d < start + timedelta(days=7)]
        assert len(window) <= 3


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
