"""Rules shared by the records whose state follows a flow (promises, disputes)."""

from datetime import date


def created_past_opening(vals, today, closing_fields=("date_end",)):
    """True when ``vals`` would create a record that is not open, already carries a
    closing value, or starts on another day than ``today``: only the flow may."""
    start = vals.get("date_start")
    if start and not isinstance(start, date):
        start = date.fromisoformat(str(start)[:10])
    return (
        vals.get("state", "open") != "open"
        or any(vals.get(name) for name in closing_fields)
        or bool(start and start != today)
    )


# What a person can mean: beyond, a typo or an attack (inf, 1e308, the year 9999).
MAX_AMOUNT = 1e12
LAST_DATE = date(2100, 12, 31)


def is_sane_amount(amount):
    """A positive, finite amount below MAX_AMOUNT."""
    return isinstance(amount, (int, float)) and 0 < amount < MAX_AMOUNT


def is_sane_date(day):
    """A date no later than LAST_DATE (None: no date)."""
    return day is None or day <= LAST_DATE
