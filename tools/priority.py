"""Whom to call first (no ORM): the collections priority of a customer.

The worklist "My collections" is ordered by this score, highest first. It is computed
per customer and company by the daily run (``res.partner._dunning_update_priorities``)
from three facts of that company::

    priority = amount * (1 + min(days, 365) / 30) * (1 + 0.5 * broken)

- ``amount``: the overdue amount, in company currency, net of open credit notes and
  unapplied payments (the customer's "Overdue Amount"); nothing overdue (zero or a
  credit) gives a priority of 0, whatever the other two facts;
- ``days``: the days overdue of the oldest unpaid invoice ("Days Overdue"): every 30
  days add the amount once more, up to a year (a year-old debt weighs 13 times its
  amount, a day-old one about once);
- ``broken``: the promises to pay the customer has broken in that company: each one
  adds half again (two broken promises double the score).

The result is rounded to the cent. It never decreases when the amount, the days or the
broken promises grow (tests/test_tools_priority.py proves it).
"""

# Every this many days overdue add the amount once more to the score.
DAYS_PER_STEP = 30
# Older than this, a debt is not more urgent: it is at an agency or in the courts.
MAX_DAYS = 365
# Each broken promise adds this share of the score.
BROKEN_PROMISE_WEIGHT = 0.5


def dunning_priority(amount, days, broken_promises):
    """The collections priority of a customer (higher: contact first); see the module
    docstring for the formula. ``amount`` in company currency, ``days`` and
    ``broken_promises`` counts (negative or missing ones count as 0)."""
    if not amount or amount <= 0:
        return 0.0
    days = min(max(days or 0, 0), MAX_DAYS)
    broken_promises = max(broken_promises or 0, 0)
    score = amount * (1 + days / DAYS_PER_STEP) * (1 + BROKEN_PROMISE_WEIGHT * broken_promises)
    return round(score, 2)
