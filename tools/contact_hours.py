"""When a customer may be contacted: a daily window in the customer's own time zone.

Pure functions (no ORM): the engine asks ``next_contact_time`` when to queue an email
or an SMS. Regulation F (12 CFR 1006.6(b)(1)(i)) forbids contact before 8:00 and after
21:00 in the consumer's local time; the policy's window (default 08:00-20:00) sits
inside it. Time zones come from zoneinfo, so daylight-saving changes are honoured: a
window opening that falls in a skipped hour (spring forward) opens at the first real
instant after it.
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60


def hour_minutes(hours):
    """8.5 -> 510: a float_time value as minutes after midnight."""
    return round(hours * 60)


def zone(tz_name):
    """The zoneinfo of ``tz_name``; UTC when empty or unknown."""
    if not tz_name:
        return UTC
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def check_window(start, end):
    """A window is ``start`` < ``end`` hours within one day (0-24)."""
    if not 0 <= hour_minutes(start) < hour_minutes(end) <= MINUTES_PER_DAY:
        raise ValueError(f"invalid contact window {start}-{end}")


def is_inside(local, start, end, working_days=None):
    """Whether the local (aware) datetime is within the window on a working day."""
    if working_days is not None and local.weekday() not in working_days:
        return False
    minutes = local.hour * 60 + local.minute + local.second / 60
    return hour_minutes(start) <= minutes < hour_minutes(end)


def next_contact_time(now_utc, tz_name, start, end, working_days=None):
    """The first instant at or after ``now_utc`` inside the daily window
    [``start``, ``end``) hours in time zone ``tz_name``, on one of ``working_days``
    (weekday numbers, Monday = 0; None: every day).

    ``now_utc`` naive (UTC, as Odoo stores datetimes) or aware; the result has the
    same form, in UTC. ``now_utc`` itself when it is inside the window.
    """
    check_window(start, end)
    if working_days is not None and not set(working_days) & set(range(7)):
        raise ValueError("no working day")
    naive = now_utc.tzinfo is None
    now = now_utc.replace(tzinfo=UTC) if naive else now_utc.astimezone(UTC)
    tz = zone(tz_name)
    local = now.astimezone(tz)
    if is_inside(local, start, end, working_days):
        return now_utc
    opening = hour_minutes(start)
    opening_time = time(opening // 60, opening % 60)
    # 8 days reach every weekday; a couple more for openings lost in a DST gap.
    for offset in range(10):
        day = local.date() + timedelta(days=offset)
        if working_days is not None and day.weekday() not in working_days:
            continue
        # fold=0: an opening in a repeated hour is its first occurrence; one in a
        # skipped hour maps to the real instant just after the gap (PEP 495).
        candidate = datetime.combine(day, opening_time, tzinfo=tz).astimezone(UTC)
        if candidate <= now:
            continue
        if not is_inside(candidate.astimezone(tz), start, end, working_days):
            # The whole window lies in a skipped hour that day: try the next day.
            continue
        if candidate.astimezone(tz).time() != opening_time:
            # Skipped hour: the window opens at the transition, found between the
            # opening read with the offset after it (still outside) and the candidate.
            earlier = datetime.combine(day, opening_time.replace(fold=1), tzinfo=tz)
            earlier = earlier.astimezone(UTC)
            candidate = _first_inside(max(earlier, now), candidate, tz, (start, end, working_days))
        return candidate.replace(tzinfo=None) if naive else candidate
    raise ValueError(f"no contact time found for the window {start}-{end} in {tz_name}")


def _first_inside(outside, inside, tz, window):
    """The first whole minute after ``outside`` and at most ``inside`` that is inside
    the window (time zone transitions happen on whole minutes)."""
    start, end, working_days = window
    low, high = 0, int((inside - outside).total_seconds() // 60) + 1
    base = outside.replace(second=0, microsecond=0)
    while high - low > 1:
        middle = (low + high) // 2
        moment = base + timedelta(minutes=middle)
        if moment > outside and is_inside(moment.astimezone(tz), start, end, working_days):
            high = middle
        else:
            low = middle
    return min(base + timedelta(minutes=high), inside)


def local_time(now_utc, tz_name):
    """``now_utc`` (naive UTC or aware) in the time zone ``tz_name`` (UTC if unknown)."""
    now = now_utc.replace(tzinfo=UTC) if now_utc.tzinfo is None else now_utc
    return now.astimezone(zone(tz_name))


def format_hours(hours):
    """8.5 -> '08:30'; 24.0 -> '24:00'."""
    minutes = hour_minutes(hours)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
