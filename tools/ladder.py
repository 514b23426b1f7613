"""The default escalation ladder and the pure rules for climbing it."""

from bisect import bisect_right
from datetime import timedelta
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
    propose_handoff: bool = False

    @property
    def kinds(self):
        """The kinds of steps the rung takes (see dunning.level.step)."""
        flags = (
            ("email", self.send_email),
            ("call", self.create_call),
            ("letter", self.send_letter),
            ("handoff", self.propose_handoff),
        )
        return tuple(kind for kind, on in flags if on)


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
    # The last rung asks the collector to decide the hand-off: the customer hears of a
    # transfer only when it really happens (no threat of an action not taken).
    LadderStep("Hand-off decision", 60, "handoff", False, False, False,
               "account_dunning.mail_template_dunning_handoff", propose_handoff=True),
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


def eligible_indexes(delays, days_overdue, days_since_issue=None):
    """Rungs that may be sent today for an invoice ``days_overdue`` past due.

    A rung at or before the due date (delay <= 0) is a courtesy reminder: it is only
    sent up to the due date; once the due date has passed, it is never sent late. Nor
    is it sent on the day the invoice is issued (``days_since_issue`` 0 or less): a
    "due today" reminder beside the invoice just received reminds of nothing.
    """
    courtesy = days_overdue <= 0 and (days_since_issue is None or days_since_issue > 0)
    return [
        index
        for index, delay in enumerate(delays)
        if delay <= days_overdue and (delay > 0 or courtesy)
    ]


def next_level_index(
    delays, current_index, days_overdue, start_at_matching_level=False, days_since_issue=None
):
    """The rung an invoice climbs to today, or None when it takes no step.

    An invoice climbs at most one rung per run. A never-dunned invoice already past
    due starts at the first overdue rung (delay > 0), or at the rung matching its age
    when ``start_at_matching_level`` is set (a database full of old debts). No
    courtesy rung on the day the invoice is issued (see ``eligible_indexes``).
    """
    eligible = eligible_indexes(delays, days_overdue, days_since_issue)
    if not eligible:
        return None
    if current_index is None:
        if days_overdue > 0 and not start_at_matching_level:
            return eligible[0]
        return eligible[-1]
    higher = [index for index in eligible if index > current_index]
    return higher[0] if higher else None


def index_of_delay(delays, delay):
    """Index of the highest rung whose delay is at most ``delay`` (None if none).

    Maps a level from another (or an edited) policy onto this ladder.
    """
    index = reached_index(delays, delay)
    return index if index >= 0 else None


def next_step_date(
    delays,
    due_date,
    today,
    *,
    current_index=None,
    last_date=None,
    min_days=1,
    start_at_matching_level=False,
    issue_date=None,
):
    """The first day, from ``today`` on, on which the run takes a step for an invoice
    due on ``due_date`` whose current rung is ``current_index``; None at the top.

    The same rules as the run: ``next_level_index`` on that day's age, and no step
    within ``min_days`` of the last one. What a run may do changes only when a rung is
    reached, when courtesy rungs lapse (the day after the due date) and when the
    minimum delay ends, so only those days (and today) need checking; and the day
    after ``issue_date`` (the invoice's date), when courtesy rungs open.
    """
    if not delays:
        return None
    earliest = today
    if last_date is not None:
        earliest = max(earliest, last_date + timedelta(days=min_days))
    candidates = {earliest, due_date + timedelta(days=1)}
    candidates.update(due_date + timedelta(days=delay) for delay in delays)
    if issue_date is not None:
        candidates.add(issue_date + timedelta(days=1))
    for day in sorted(day for day in candidates if day >= earliest):
        days_overdue = (day - due_date).days
        since_issue = (day - issue_date).days if issue_date is not None else None
        index = next_level_index(
            delays, current_index, days_overdue, start_at_matching_level, since_issue
        )
        if index is not None:
            return day
    return None
