"""Payment plan schedules as pure functions (no ORM).

Money is handled in integer units of the currency's rounding (cents for a rounding
of 0.01, nickels for 0.05), so that the installments always sum to the balance
exactly; amounts go back to floats rounded to the currency's precision.
"""

import calendar
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import NamedTuple

INTERVALS = ("weekly", "biweekly", "monthly", "quarterly")
# Ten years of monthly installments: beyond that a plan is not a plan.
MAX_INSTALLMENTS = 120
_DAYS = {"weekly": 7, "biweekly": 14}
_MONTHS = {"monthly": 1, "quarterly": 3}


class ScheduleError(ValueError):
    """An impossible schedule; ``code`` names the rule, ``params`` its values."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


class Installment(NamedTuple):
    date_due: date
    amount: float
    is_down_payment: bool = False


# Dates


def add_months(day, months):
    """``day`` moved by ``months``, its day of month clamped to the month's end."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(first_date, interval, index):
    """Due date of installment ``index`` (0 = first), anchored on the first date.

    Monthly and quarterly dates keep the first date's day of month, clamped to the
    month's end: 31 Jan, 28/29 Feb, 31 Mar, 30 Apr...
    """
    if interval in _DAYS:
        return first_date + timedelta(days=_DAYS[interval] * index)
    if interval in _MONTHS:
        return add_months(first_date, _MONTHS[interval] * index)
    raise ScheduleError("interval", interval=interval)


# Amounts


def _rounding(rounding):
    step = Decimal(str(rounding))
    if step <= 0:
        raise ScheduleError("rounding", rounding=rounding)
    return step


def to_units(amount, rounding, ceiling=False):
    """``amount`` as a whole number of rounding steps (half-up, or up with ``ceiling``)."""
    step = _rounding(rounding)
    method = ROUND_CEILING if ceiling else ROUND_HALF_UP
    return int((Decimal(str(amount)) / step).to_integral_value(rounding=method))


def from_units(units, rounding):
    return float(units * _rounding(rounding))


def split_units(total, count):
    """``total`` units in ``count`` equal parts, the remainder on the last one."""
    base = total // count
    return [base] * (count - 1) + [total - base * (count - 1)]


def installment_count(total, count=None, minimum=0):
    """How many installments ``total`` units make, none below ``minimum`` units.

    With ``count``, at most that many; without, as many as the minimum allows.
    Every installment is at least one unit; there are at most MAX_INSTALLMENTS.
    """
    if count is not None and not 1 <= count <= MAX_INSTALLMENTS:
        raise ScheduleError("count", count=count, maximum=MAX_INSTALLMENTS)
    most = total // max(minimum, 1)
    if most < 1:
        raise ScheduleError("minimum", total=total, minimum=minimum)
    if count is None and most > MAX_INSTALLMENTS:
        raise ScheduleError("too_many", count=most, maximum=MAX_INSTALLMENTS)
    return min(count, most) if count is not None else most


def compute_schedule(
    balance,
    first_date,
    interval,
    *,
    rounding=0.01,
    count=None,
    minimum_amount=0.0,
    down_payment=0.0,
    down_payment_date=None,
):
    """The installments that settle ``balance``, oldest first.

    ``count`` installments (fewer if one would fall below ``minimum_amount``), or
    without ``count`` as many as ``minimum_amount`` allows; every ``interval`` from
    ``first_date``. An optional ``down_payment`` (not subject to the minimum) is due
    on ``down_payment_date`` (default: ``first_date``, then the installments start
    one interval later). The amounts sum to ``balance`` rounded to ``rounding``; the
    rounding remainder is on the last installment.
    """
    if interval not in INTERVALS:
        raise ScheduleError("interval", interval=interval)
    if count is None and not minimum_amount:
        raise ScheduleError("count", count=count)
    total = to_units(balance, rounding)
    if total <= 0:
        raise ScheduleError("balance", balance=balance)
    if minimum_amount < 0:
        raise ScheduleError("minimum", total=total, minimum=minimum_amount)
    down = to_units(down_payment or 0.0, rounding)
    if down < 0 or down >= total:
        raise ScheduleError("down_payment", down_payment=down_payment, balance=balance)
    schedule, offset = [], 0
    if down:
        down_date = down_payment_date or first_date
        if down_date > first_date:
            raise ScheduleError("down_payment_date", date=down_date, first_date=first_date)
        schedule.append(Installment(down_date, from_units(down, rounding), True))
        if down_payment_date is None:
            offset = 1
    rest = total - down
    minimum = to_units(minimum_amount, rounding, ceiling=True)
    parts = split_units(rest, installment_count(rest, count, minimum))
    schedule.extend(
        Installment(due_date(first_date, interval, offset + index), from_units(units, rounding))
        for index, units in enumerate(parts)
    )
    return schedule


# Following a plan


def allocate_paid(amounts, paid, rounding=0.01):
    """Spread the amount ``paid`` over installments of ``amounts``, oldest first.

    Partial payments count: the first installment not fully covered gets what is
    left. Returns the amount paid per installment (never more than its amount).
    """
    left = max(to_units(paid, rounding), 0)
    allocated = []
    for amount in amounts:
        units = min(max(to_units(amount, rounding), 0), left)
        allocated.append(from_units(units, rounding))
        left -= units
    return allocated


def installment_state(amount, paid, date_due, today, rounding=0.01):
    """``paid`` when covered, ``late`` when past due and not, else partial or due."""
    if to_units(paid, rounding) >= to_units(amount, rounding):
        return "paid"
    if date_due < today:
        return "late"
    return "partial" if to_units(paid, rounding) > 0 else "due"


def days_late(date_due, today):
    return max((today - date_due).days, 0)


def is_broken(installments, today, tolerance_days):
    """True when an installment ``(date_due, state)`` is late beyond the tolerance."""
    return any(
        state == "late" and days_late(date_due, today) > tolerance_days
        for date_due, state in installments
    )


def reminder_kind(date_due, state, today, *, days_before, agreed_on, before_sent, late_sent):
    """Which reminder an installment gets today: ``before``, ``late`` or None.

    Each is sent once. No "before" reminder for an installment that was already in
    the reminder window when the plan was agreed: the agreement announced it.
    """
    if state == "late":
        return None if late_sent else "late"
    if state == "paid" or before_sent:
        return None
    if 0 <= (date_due - today).days <= days_before and (date_due - agreed_on).days > days_before:
        return "before"
    return None
