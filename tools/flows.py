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
