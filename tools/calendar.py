"""Business-day arithmetic for collections (no holidays calendar: weekends only)."""

from datetime import timedelta

SATURDAY = 5


def next_business_day(day):
    """``day`` itself on a weekday, else the following Monday."""
    while day.weekday() >= SATURDAY:
        day += timedelta(days=1)
    return day
