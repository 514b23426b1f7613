"""When to try calling a customer again (no ORM): the policy's call caps."""

from datetime import timedelta

from .calendar import next_business_day

WINDOW_DAYS = 7
# How far ahead a next attempt is looked for before giving up.
HORIZON_DAYS = 60


def next_call_date(today, attempts, conversations, max_attempts, quiet_days):
    """The first working day after ``today`` on which a new call attempt respects the
    caps, or None within the horizon.

    ``attempts``: the days of the calls logged (every outcome, today's included);
    ``conversations``: the days the customer was spoken to. At most ``max_attempts``
    calls in any 7 consecutive days, and none within ``quiet_days`` after a conversation.
    """
    last_conversation = max(conversations, default=None)
    day = next_business_day(today + timedelta(days=1))
    while day <= today + timedelta(days=HORIZON_DAYS):
        in_window = sum(1 for d in attempts if day - timedelta(days=WINDOW_DAYS) < d <= day)
        quiet = last_conversation is not None and day <= last_conversation + timedelta(
            days=quiet_days
        )
        if in_window < max_attempts and not quiet:
            return day
        day = next_business_day(day + timedelta(days=1))
    return None
