from datetime import date

from ..tools.flows import created_past_opening
from .pure import odoo_test_case

TODAY = date(2026, 5, 4)


def test_open_today_is_allowed():
    assert not created_past_opening({}, TODAY)
    assert not created_past_opening({"state": "open", "date_start": "2026-05-04"}, TODAY)
    assert not created_past_opening({"date_start": TODAY}, TODAY)


def test_closed_backdated_or_ended_is_refused():
    assert created_past_opening({"state": "kept"}, TODAY)
    assert created_past_opening({"date_start": "2026-05-01"}, TODAY)
    assert created_past_opening({"date_end": "2026-05-04"}, TODAY)
    assert created_past_opening(
        {"overdue_notified_date": TODAY}, TODAY, ("date_end", "overdue_notified_date")
    )
    assert not created_past_opening({"overdue_notified_date": TODAY}, TODAY)


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
