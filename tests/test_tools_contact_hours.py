"""Plain pytest + hypothesis: the contact window in the customer's time zone."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..tools.contact_hours import format_hours, is_inside, local_time, next_contact_time
from ..tools.planning import (
    SKIP_EMAIL_CAP,
    CustomerFacts,
    InvoiceFacts,
    Ladder,
    email_cap_until,
    plan_customer,
)
from . import hypothesis_settings  # noqa: F401 - loads the profile
from .pure import odoo_test_case

ZONES = [
    "UTC",
    "Europe/Paris",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "Australia/Lord_Howe",  # 30-minute DST
    "Pacific/Chatham",  # +12:45 / +13:45
    "Pacific/Apia",  # skipped a whole day (30 December 2011)
]


def utc(*args):
    return datetime(*args)  # naive UTC, as Odoo stores datetimes


def test_inside_the_window_is_now():
    now = utc(2026, 3, 10, 9, 0)  # 10:00 in Paris
    assert next_contact_time(now, "Europe/Paris", 8.0, 20.0) == now


def test_before_opening_waits_for_the_opening_same_day():
    now = utc(2026, 3, 10, 5, 30)  # 06:30 in Paris (UTC+1)
    assert next_contact_time(now, "Europe/Paris", 8.0, 20.0) == utc(2026, 3, 10, 7, 0)


def test_after_closing_waits_for_the_next_morning():
    now = utc(2026, 3, 10, 19, 0)  # 20:00 in Paris: closed (end excluded)
    assert next_contact_time(now, "Europe/Paris", 8.0, 20.0) == utc(2026, 3, 11, 7, 0)


def test_same_instant_different_zones():
    now = utc(2026, 3, 10, 14, 0)  # 15:00 Paris, 09:00 New York, 06:00 Los Angeles
    assert next_contact_time(now, "Europe/Paris", 8.0, 20.0) == now
    assert next_contact_time(now, "America/New_York", 8.0, 20.0) == now
    assert next_contact_time(now, "America/Los_Angeles", 8.0, 20.0) == utc(2026, 3, 10, 15, 0)


def test_daylight_saving_change_paris():
    # 29 March 2026: Paris goes from UTC+1 to UTC+2 at 02:00 local.
    now = utc(2026, 3, 28, 20, 0)  # 21:00 Saturday in Paris
    assert next_contact_time(now, "Europe/Paris", 8.0, 20.0) == utc(2026, 3, 29, 6, 0)
    # 25 October 2026: back to UTC+1.
    now = utc(2026, 10, 24, 19, 0)
    assert next_contact_time(now, "Europe/Paris", 8.0, 20.0) == utc(2026, 10, 25, 7, 0)


def test_opening_in_a_skipped_hour_opens_after_the_gap():
    # New York springs forward on 8 March 2026 at 02:00 -> 03:00: a 02:30 opening
    # does not exist that day; the window opens at 03:00 local (07:00 UTC), the first
    # instant after 02:30 on the clock.
    now = utc(2026, 3, 8, 5, 0)  # 00:00 local (EST)
    result = next_contact_time(now, "America/New_York", 2.5, 20.0)
    assert result == utc(2026, 3, 8, 7, 0)
    assert is_inside(local_time(result, "America/New_York"), 2.5, 20.0)


def test_gap_instants():
    """The property below, on the exact transition days where it is hardest."""
    for now in (utc(2026, 3, 8, 6, 59), utc(2026, 3, 8, 7, 0), utc(2011, 12, 29, 10, 0)):
        for tz_name in ("America/New_York", "Pacific/Apia"):
            result = next_contact_time(now, tz_name, 2.25, 3.5)
            assert result >= now
            assert is_inside(local_time(result, tz_name), 2.25, 3.5)


def test_working_days_skip_the_weekend():
    now = utc(2026, 3, 13, 20, 0)  # Friday 21:00 Paris
    result = next_contact_time(now, "Europe/Paris", 8.0, 20.0, working_days={0, 1, 2, 3, 4})
    assert result == utc(2026, 3, 16, 7, 0)  # Monday 08:00


def test_unknown_or_empty_zone_is_utc():
    now = utc(2026, 3, 10, 22, 0)
    assert next_contact_time(now, False, 8.0, 20.0) == utc(2026, 3, 11, 8, 0)
    assert next_contact_time(now, "Mars/Olympus", 8.0, 20.0) == utc(2026, 3, 11, 8, 0)


def test_aware_input_gives_aware_output():
    now = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
    result = next_contact_time(now, "Europe/Paris", 8.0, 20.0)
    assert result == datetime(2026, 3, 11, 7, 0, tzinfo=UTC)


def test_invalid_windows():
    now = utc(2026, 3, 10, 22, 0)
    for start, end in ((20.0, 8.0), (8.0, 8.0), (-1.0, 8.0), (8.0, 25.0)):
        with pytest.raises(ValueError):
            next_contact_time(now, "UTC", start, end)
    with pytest.raises(ValueError):
        next_contact_time(now, "UTC", 8.0, 20.0, working_days=set())


def test_format_hours():
    assert format_hours(8.0) == "08:00"
    assert format_hours(20.5) == "20:30"
    assert format_hours(24.0) == "24:00"


moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1))
windows = (
    st.tuples(st.integers(0, 24 * 4 - 1), st.integers(1, 24 * 4))
    .filter(lambda pair: pair[0] < pair[1])
    .map(lambda pair: (pair[0] / 4, pair[1] / 4))
)
week_subsets = st.sets(st.integers(0, 6), min_size=1) | st.none()


@given(now=moments, tz_name=st.sampled_from(ZONES), window=windows, days=week_subsets)
def test_result_is_the_first_instant_inside_the_window(now, tz_name, window, days):
    start, end = window
    result = next_contact_time(now, tz_name, start, end, working_days=days)
    # Never earlier than now, never more than a week and a day later.
    assert now <= result <= now + timedelta(days=9)
    # Inside the window, in the customer's local time.
    local = local_time(result, tz_name)
    assert is_inside(local, start, end, days)
    # Now itself when now is inside; else the instant just before was outside (the
    # result is an opening of the window, not a later moment of it).
    if is_inside(local_time(now, tz_name), start, end, days):
        assert result == now
    else:
        assert not is_inside(local_time(result - timedelta(minutes=1), tz_name), start, end, days)


@given(now=moments, tz_name=st.sampled_from(ZONES), window=windows)
def test_result_is_stable(now, tz_name, window):
    """Asking again at the returned time gives the same time (it is inside)."""
    start, end = window
    result = next_contact_time(now, tz_name, start, end)
    assert next_contact_time(result, tz_name, start, end) == result


@given(now=moments, tz_name=st.sampled_from(ZONES))
def test_naive_and_aware_agree(now, tz_name):
    naive = next_contact_time(now, tz_name, 8.0, 20.0)
    aware = next_contact_time(now.replace(tzinfo=UTC), tz_name, 8.0, 20.0)
    assert aware == naive.replace(tzinfo=UTC)
    assert aware.astimezone(ZoneInfo(tz_name)).utcoffset() is not None


# ------------------------------------------------------------ email frequency cap
# (a guard of tools/planning.py, tested here with the other guardrails)

DELAYS = (-3, 0, 7, 15, 30)
TODAY = date(2026, 3, 20)


def _customer(days_overdue, last_email=None, level_delay=None):
    move = InvoiceFacts(1, TODAY - timedelta(days=days_overdue), 100.0, level_delay, None)
    return CustomerFacts(1, (move,), 100.0, last_email_date=last_email)


def test_email_cap_skips_until_the_first_allowed_day():
    ladder = Ladder(DELAYS, email_min_days=3, email_levels=(True,) * 5)
    customer = _customer(8, last_email=TODAY - timedelta(days=2), level_delay=0)
    assert plan_customer(customer, ladder, TODAY).skip_reason == SKIP_EMAIL_CAP
    assert email_cap_until(customer, ladder, 2) == TODAY + timedelta(days=1)
    tomorrow = plan_customer(customer, ladder, TODAY + timedelta(days=1))
    assert tomorrow.skip_reason is None
    assert tomorrow.steps == {1: 2}


def test_email_cap_only_for_levels_sending_email():
    ladder = Ladder(DELAYS, email_min_days=3, email_levels=(True, True, False, True, True))
    customer = _customer(8, last_email=TODAY - timedelta(days=1), level_delay=0)
    assert plan_customer(customer, ladder, TODAY).skip_reason is None  # a call, say


def test_no_cap_without_days_or_history():
    customer = _customer(8, last_email=TODAY, level_delay=0)
    assert (
        plan_customer(customer, Ladder(DELAYS, email_levels=(True,) * 5), TODAY).skip_reason is None
    )
    ladder = Ladder(DELAYS, email_min_days=3, email_levels=(True,) * 5)
    assert plan_customer(_customer(8, level_delay=0), ladder, TODAY).skip_reason is None


@given(
    last=st.integers(0, 20),
    cap=st.integers(0, 10),
    overdue=st.integers(-3, 40),
)
def test_email_cap_property(last, cap, overdue):
    """Never two reminder emails closer than the cap; once lifted, the step is taken."""
    ladder = Ladder(DELAYS, email_min_days=cap, email_levels=(True,) * 5)
    customer = _customer(overdue, last_email=TODAY - timedelta(days=last))
    decision = plan_customer(customer, ladder, TODAY)
    if decision is None:
        return
    assert (decision.skip_reason == SKIP_EMAIL_CAP) == (last < cap)


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
