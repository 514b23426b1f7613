import calendar
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..tools.payment_schedule import (
    INTERVALS,
    MAX_INSTALLMENTS,
    ScheduleError,
    add_months,
    allocate_paid,
    compute_schedule,
    due_date,
    installment_state,
    is_broken,
    reminder_kind,
    to_units,
)
from . import hypothesis_settings  # noqa: F401 - loads the profile
from .pure import odoo_test_case

ROUNDINGS = st.sampled_from([0.01, 0.05, 1.0, 0.001])
DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
AMOUNTS = st.decimals(min_value="0.01", max_value="10000000", places=3).map(float)


def _units(schedule, rounding):
    return [to_units(inst.amount, rounding) for inst in schedule]


@given(
    balance=AMOUNTS,
    count=st.integers(min_value=1, max_value=60),
    interval=st.sampled_from(INTERVALS),
    first_date=DATES,
    rounding=ROUNDINGS,
)
def test_any_count_gives_a_valid_schedule(balance, count, interval, first_date, rounding):
    total = to_units(balance, rounding)
    if total < 1:  # rounds to nothing: refused, see test_impossible_schedules_are_refused
        return
    schedule = compute_schedule(balance, first_date, interval, rounding=rounding, count=count)
    units = _units(schedule, rounding)
    # Sums to the balance exactly, in the currency's rounding.
    assert sum(units) == total
    assert sum(inst.amount for inst in schedule) == pytest.approx(total * rounding)
    # As many installments as asked, unless the balance is too small for that.
    assert len(schedule) == min(count, total)
    # Equal installments, the remainder on the last one.
    assert len(set(units[:-1])) <= 1
    assert 0 <= units[-1] - units[0] < len(units)
    assert min(units) >= 1
    # Every date follows from the first one and the interval.
    assert [inst.date_due for inst in schedule] == [
        due_date(first_date, interval, i) for i in range(len(schedule))
    ]
    assert all(a.date_due < b.date_due for a, b in pairwise(schedule))


@given(
    balance=AMOUNTS,
    minimum=AMOUNTS,
    count=st.one_of(st.none(), st.integers(min_value=1, max_value=60)),
    interval=st.sampled_from(INTERVALS),
    first_date=DATES,
    rounding=ROUNDINGS,
)
def test_no_installment_below_the_minimum(  # noqa: PLR0917
    balance, minimum, count, interval, first_date, rounding
):
    total = to_units(balance, rounding)
    min_units = to_units(minimum, rounding, ceiling=True)
    too_many = count is None and total // max(min_units, 1) > MAX_INSTALLMENTS
    if total < max(min_units, 1) or too_many:
        with pytest.raises(ScheduleError):
            compute_schedule(
                balance,
                first_date,
                interval,
                rounding=rounding,
                count=count,
                minimum_amount=minimum,
            )
        return
    schedule = compute_schedule(
        balance, first_date, interval, rounding=rounding, count=count, minimum_amount=minimum
    )
    units = _units(schedule, rounding)
    assert sum(units) == total
    assert min(units) >= min_units
    assert all(inst.amount >= minimum - rounding / 2 for inst in schedule)
    if count is None:
        # As many installments as the minimum allows: one more would fall below it.
        assert len(schedule) == total // max(min_units, 1)
    else:
        assert len(schedule) <= count


@given(
    balance=AMOUNTS,
    down_share=st.floats(min_value=0.0, max_value=0.99),
    count=st.integers(min_value=1, max_value=24),
    interval=st.sampled_from(INTERVALS),
    first_date=DATES,
    days_before=st.integers(min_value=0, max_value=40),
)
def test_down_payment_comes_first(  # noqa: PLR0917
    balance, down_share, count, interval, first_date, days_before
):
    total = to_units(balance, 0.01)
    down = round(balance * down_share, 2)
    if not 0 < to_units(down, 0.01) < total:
        return
    down_date = first_date - timedelta(days=days_before)
    schedule = compute_schedule(
        balance,
        first_date,
        interval,
        count=count,
        down_payment=down,
        down_payment_date=down_date,
    )
    assert schedule[0].is_down_payment
    assert schedule[0].date_due == down_date
    assert to_units(schedule[0].amount, 0.01) == to_units(down, 0.01)
    assert not any(inst.is_down_payment for inst in schedule[1:])
    assert schedule[1].date_due == first_date
    assert sum(_units(schedule, 0.01)) == total
    assert all(a.date_due <= b.date_due for a, b in pairwise(schedule))


@given(first_date=DATES, index=st.integers(min_value=0, max_value=120))
def test_monthly_dates_anchor_on_the_first_day(first_date, index):
    day = due_date(first_date, "monthly", index)
    month_end = calendar.monthrange(day.year, day.month)[1]
    assert day.day == min(first_date.day, month_end)
    assert (day.year - first_date.year) * 12 + day.month - first_date.month == index
    quarter = due_date(first_date, "quarterly", index)
    assert quarter == due_date(first_date, "monthly", 3 * index)


@given(
    amounts=st.lists(AMOUNTS, min_size=1, max_size=30),
    paid=st.decimals(min_value="-100", max_value="400000000", places=2).map(float),
)
def test_payments_fill_the_oldest_installments_first(amounts, paid):
    allocated = allocate_paid(amounts, paid)
    cents = [to_units(a, 0.01) for a in amounts]
    got = [to_units(a, 0.01) for a in allocated]
    assert sum(got) == min(max(to_units(paid, 0.01), 0), sum(cents))
    assert all(0 <= g <= c for g, c in zip(got, cents, strict=True))
    # Once an installment is not fully covered, nothing is left for the later ones.
    for i, (g, c) in enumerate(zip(got, cents, strict=True)):
        if g < c:
            assert not any(got[i + 1 :])
            break


def test_end_of_month_handling():
    leap = [inst.date_due for inst in compute_schedule(400, date(2024, 1, 31), "monthly", count=4)]
    assert leap == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]
    common = [
        inst.date_due for inst in compute_schedule(300, date(2025, 1, 31), "monthly", count=3)
    ]
    assert common == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)]
    quarterly = compute_schedule(300, date(2025, 11, 30), "quarterly", count=3)
    assert [inst.date_due for inst in quarterly] == [
        date(2025, 11, 30),
        date(2026, 2, 28),
        date(2026, 5, 30),
    ]
    assert add_months(date(2025, 12, 31), 2) == date(2026, 2, 28)
    weekly = compute_schedule(100, date(2026, 2, 26), "biweekly", count=2)
    assert [inst.date_due for inst in weekly] == [date(2026, 2, 26), date(2026, 3, 12)]


def test_remainder_on_the_last_installment():
    schedule = compute_schedule(100.0, date(2026, 3, 1), "monthly", count=3)
    assert [inst.amount for inst in schedule] == [33.33, 33.33, 33.34]
    chf = compute_schedule(100.0, date(2026, 3, 1), "weekly", count=3, rounding=0.05)
    assert [inst.amount for inst in chf] == [33.3, 33.3, 33.4]
    yen = compute_schedule(1000, date(2026, 3, 1), "weekly", count=3, rounding=1.0)
    assert [inst.amount for inst in yen] == [333.0, 333.0, 334.0]


def test_minimum_installment_amount():
    # Without a count: as many equal installments as the minimum allows.
    schedule = compute_schedule(1000.0, date(2026, 3, 1), "monthly", minimum_amount=300.0)
    assert [inst.amount for inst in schedule] == [333.33, 333.33, 333.34]
    # With a count too: fewer installments rather than one below the minimum.
    schedule = compute_schedule(1000.0, date(2026, 3, 1), "monthly", count=5, minimum_amount=300)
    assert len(schedule) == 3
    with pytest.raises(ScheduleError) as error:
        compute_schedule(250.0, date(2026, 3, 1), "monthly", minimum_amount=300.0)
    assert error.value.code == "minimum"


def test_down_payment_without_a_date_starts_installments_one_interval_later():
    schedule = compute_schedule(1000.0, date(2026, 1, 31), "monthly", count=2, down_payment=200)
    assert schedule == [
        (date(2026, 1, 31), 200.0, True),
        (date(2026, 2, 28), 400.0, False),
        (date(2026, 3, 31), 400.0, False),
    ]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"balance": 0.0}, "balance"),
        ({"balance": 0.004}, "balance"),
        ({"count": 0}, "count"),
        ({"count": MAX_INSTALLMENTS + 1}, "count"),
        ({"count": None, "minimum_amount": 0.5}, "too_many"),
        ({"count": None}, "count"),
        ({"interval": "yearly"}, "interval"),
        ({"down_payment": 100.0}, "down_payment"),
        ({"down_payment": -1.0}, "down_payment"),
        ({"down_payment": 10.0, "down_payment_date": date(2026, 4, 1)}, "down_payment_date"),
        ({"rounding": 0.0}, "rounding"),
    ],
)
def test_impossible_schedules_are_refused(kwargs, code):
    options = {"count": 2, **kwargs}
    balance = options.pop("balance", 100.0)
    interval = options.pop("interval", "monthly")
    with pytest.raises(ScheduleError) as error:
        compute_schedule(balance, date(2026, 3, 1), interval, **options)
    assert error.value.code == code


def test_installment_states():
    due, today = date(2026, 3, 10), date(2026, 3, 10)
    assert installment_state(100.0, 0.0, due, today) == "due"
    assert installment_state(100.0, 40.0, due, today) == "partial"
    assert installment_state(100.0, 40.0, due, today + timedelta(days=1)) == "late"
    assert installment_state(100.0, 0.0, due, today + timedelta(days=1)) == "late"
    assert installment_state(100.0, 100.0, due, today + timedelta(days=30)) == "paid"
    assert installment_state(100.0, 99.996, due, today) == "paid"  # within the rounding


def test_break_only_beyond_the_tolerance():
    due = date(2026, 3, 10)
    rows = [(date(2026, 2, 10), "paid"), (due, "late")]
    assert not is_broken(rows, date(2026, 3, 17), tolerance_days=7)
    assert is_broken(rows, date(2026, 3, 18), tolerance_days=7)
    assert not is_broken([(due, "partial")], date(2026, 4, 30), tolerance_days=7)


def test_reminders_once_each():
    kw = {"days_before": 3, "agreed_on": date(2026, 2, 1), "before_sent": False, "late_sent": False}
    due = date(2026, 3, 10)
    assert reminder_kind(due, "due", date(2026, 3, 6), **kw) is None  # 4 days before
    assert reminder_kind(due, "due", date(2026, 3, 7), **kw) == "before"
    assert reminder_kind(due, "partial", date(2026, 3, 10), **kw) == "before"
    assert reminder_kind(due, "due", date(2026, 3, 8), **{**kw, "before_sent": True}) is None
    assert reminder_kind(due, "paid", date(2026, 3, 8), **kw) is None
    assert reminder_kind(due, "late", date(2026, 3, 11), **kw) == "late"
    assert reminder_kind(due, "late", date(2026, 3, 12), **{**kw, "late_sent": True}) is None
    # Due right after the agreement: the agreement itself announced it.
    assert (
        reminder_kind(due, "due", date(2026, 3, 9), **{**kw, "agreed_on": date(2026, 3, 8)}) is None
    )


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
