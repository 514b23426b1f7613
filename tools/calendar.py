"""Business-day arithmetic for collections (no holidays calendar: weekends only)."""

from datetime import timedelta

SATURDAY = 5


def next_business_day(day):
    """``day`` itself on a weekday, else the following Monday."""
    while day.weekday() >= SATURDAY:
        day += timedelta(days=1)
    return day


def add_business_days(day, count):
    """The ``count``-th weekday after ``day`` (``day`` itself when ``count`` is 0 and it
    is a weekday): three working days after a Friday is the Wednesday."""
    day = next_business_day(day) if count <= 0 else day
    for _step in range(max(count, 0)):
        day = next_business_day(day + timedelta(days=1))
    return day
