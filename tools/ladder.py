"""The default escalation ladder and the pure rules for climbing it."""

from bisect import bisect_right
from itertools import pairwise
from typing import NamedTuple


class LadderStep(NamedTuple):
    """One rung of a ladder, as plain data (no ORM)."""

    name: str
    delay_days: int
    tone: str
    send_email: bool
    create_call: bool
    send_letter: bool
    template_xmlid: str


# shared/COLLECTIONS-RULES.md, "A default ladder": days relative to the due date.
DEFAULT_LADDER = (
    LadderStep("Friendly heads-up", -3, "friendly", True, False, False,
               "account_dunning.mail_template_dunning_friendly"),
    LadderStep("Due today", 0, "neutral", True, False, False,
               "account_dunning.mail_template_dunning_due"),
    LadderStep("May have slipped", 7, "polite", True, False, False,
               "account_dunning.mail_template_dunning_polite"),
    LadderStep("Payment date request", 15, "firm", True, True, False,
               "account_dunning.mail_template_dunning_firm"),
    LadderStep("Formal demand", 30, "formal", True, True, True,
               "account_dunning.mail_template_dunning_formal"),
    LadderStep("Final notice", 45, "final", True, False, False,
               "account_dunning.mail_template_dunning_final"),
    LadderStep("Transfer notice", 60, "handoff", True, False, False,
               "account_dunning.mail_template_dunning_handoff"),
)  # fmt: skip


def is_strictly_increasing(values):
    """True when every value is larger than the one before it."""
    return all(a < b for a, b in pairwise(values))


def reached_index(delays, days_overdue):
    """Index of the highest rung whose delay has been reached, or -1 if none.

    ``delays`` is the ladder's sorted ``delay_days``; ``days_overdue`` is negative
    before the due date (-3 means due in three days).
    """
    return bisect_right(delays, days_overdue) - 1
