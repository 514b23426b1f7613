"""Deciding a customer's next collections step from plain facts (no ORM, no I/O).

The run gathers facts with a few set-based queries, asks ``plan_customer`` what to do
for each customer, and only then executes. The preview shows these same decisions.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from .ladder import index_of_delay, next_level_index

# Skip reasons, in the order the guards apply (the first that matches wins).
SKIP_EXCLUDED = "excluded"
SKIP_POSTPONED = "postponed"
SKIP_MANUAL = "manual"
SKIP_NO_DEBT = "no_debt"
SKIP_MINIMUM = "minimum"
SKIP_TOO_SOON = "too_soon"
SKIP_GOOD_PAYER = "good_payer"
SKIP_EMAIL_CAP = "email_cap"


@dataclass(frozen=True)
class Ladder:
    """A policy's rules as plain data; ``delays`` sorted by level order."""

    delays: tuple
    min_days_between_steps: int = 0
    minimum_amount: float = 0.0
    skip_predue_for_good_payers: bool = False
    start_at_matching_level: bool = False
    # At most one reminder email per customer in this many days (0: no cap), for the
    # levels that send one (``email_levels``: a flag per level, in ladder order).
    email_min_days: int = 0
    email_levels: tuple = ()


@dataclass(frozen=True)
class InvoiceFacts:
    """An open, chasable customer invoice.

    ``due_date`` is its first installment that the customer's credits leave owed
    (tools/ledger.py); the residuals are the part asked for, net of the credits: the
    installments due by the run date, or the first one when it is not due yet (a
    reminder before the due date), in company currency and in the invoice's currency.
    """

    move_id: int
    due_date: date
    residual_company: float
    level_delay: int | None = None  # delay_days of the invoice's current level
    last_date: date | None = None
    # A broken promise put the invoice one rung higher and no step was taken since:
    # the run takes that rung's step now, whatever the invoice's age.
    resumed: bool = False
    currency_id: int | None = None  # None: the company's currency
    residual: float | None = None  # in the invoice's currency; None: residual_company
    # The invoice's date: no courtesy reminder on the day it is issued.
    issued: date | None = None

    @property
    def residual_currency(self):
        return self.residual_company if self.residual is None else self.residual

    @property
    def covered(self):
        """The customer's credits cover what is due: nothing to chase on it."""
        return self.residual_company <= 0 and self.residual_currency <= 0


@dataclass(frozen=True)
class DebitFacts:
    """Another open debit of the customer already due (a debit entry, a receipt): no
    ladder of its own, but a message lists it and asks for it. The amounts are what
    the customer's credits leave of it, in company currency and in its currency."""

    line_id: int
    residual_company: float
    currency_id: int | None = None
    residual: float | None = None

    @property
    def residual_currency(self):
        return self.residual_company if self.residual is None else self.residual


@dataclass(frozen=True)
class CustomerFacts:
    partner_id: int
    invoices: tuple
    net_balance: float  # the whole receivable balance (tools/ledger.py), company currency
    excluded: bool = False
    good_payer: bool = False
    last_email_date: date | None = None  # last reminder email sent to the customer
    # Reminders sent by hand only: a company-wide run plans the step but does not act.
    manual: bool = False
    # The ladder does not act for the customer before this day.
    postponed_until: date | None = None
    # DebitFacts: the other open debits already due, listed with the invoices.
    other_debits: tuple = ()
    # The customer already got a message from us today (e.g. a thank-you for a kept
    # promise): one message per customer and day, the step waits for tomorrow.
    messaged_today: bool = False


@dataclass
class Decision:
    """What happens to one customer in a run: a step at ``level_index`` or a skip."""

    partner_id: int
    level_index: int
    steps: dict = field(default_factory=dict)  # move_id -> level index it climbs to
    listed: tuple = ()  # move_ids shown in the message: steps + other due invoices
    # Company currency: what the message asks for (the listed invoices' part due and
    # the other debits due, net of the customer's credits); compared with the minimum.
    amount: float = 0.0
    skip_reason: str | None = None
    asked: dict = field(default_factory=dict)  # currency id -> what is asked for


def asked_amounts(debits):
    """(in company currency, {currency id: amount}) of what ``debits`` leave owed."""
    company = 0.0
    by_currency = defaultdict(float)
    for debit in debits:
        company += debit.residual_company
        by_currency[debit.currency_id] += debit.residual_currency
    # Float noise (0.1 + 0.2 - 0.3) must not turn "nothing owed" into a debt.
    return round(company, 6), {key: round(value, 6) for key, value in by_currency.items()}


def _decide(customer, level_index, steps, listed):
    listed_invoices = [inv for inv in customer.invoices if inv.move_id in listed]
    amount, by_currency = asked_amounts([*listed_invoices, *customer.other_debits])
    return Decision(
        customer.partner_id,
        level_index,
        steps,
        listed,
        amount,
        asked={currency: net for currency, net in by_currency.items() if net > 0},
    )


def plan_customer(customer, ladder, run_date):
    """The decision for ``customer`` on ``run_date``, or None when nothing is due.

    An invoice the customer's credits cover takes no step; when only such invoices
    would have, the decision is a skip (nothing owed), so that the preview says why."""
    steps, reached, covered_steps = {}, {}, {}
    for invoice in customer.invoices:
        current = _current_index(ladder, invoice)
        days = (run_date - invoice.due_date).days
        since_issue = (run_date - invoice.issued).days if invoice.issued else None
        target = next_level_index(
            ladder.delays, current, days, ladder.start_at_matching_level, since_issue
        )
        if target is None and invoice.resumed and current is not None:
            target = current
        if target is not None:
            (covered_steps if invoice.covered else steps)[invoice.move_id] = target
        if target is not None or current is not None:
            reached[invoice.move_id] = current if target is None else target
    if not steps:
        if not covered_steps:
            return None
        listed = tuple(sorted(covered_steps))
        decision = _decide(customer, max(covered_steps.values()), {}, listed)
        decision.skip_reason = _held_by_customer(customer, run_date) or SKIP_NO_DEBT
        return decision
    # The message lists what the customer should pay now: the invoices taking a step
    # and the other open invoices already due; not-yet-due ones only when reminded.
    listed = tuple(
        invoice.move_id
        for invoice in sorted(customer.invoices, key=lambda inv: (inv.due_date, inv.move_id))
        if invoice.move_id in steps or invoice.due_date <= run_date
    )
    # The highest level reached by a listed invoice still owed sets the tone: a new
    # invoice's courtesy reminder never softens the message about an older, later-stage
    # one, and an invoice a credit covers does not harden it.
    owed = {invoice.move_id for invoice in customer.invoices if not invoice.covered}
    level_index = max(
        (reached[move_id] for move_id in listed if move_id in reached and move_id in owed),
        default=max(steps.values()),
    )
    decision = _decide(customer, level_index, steps, listed)
    decision.skip_reason = _guard(customer, ladder, run_date, decision)
    return decision


def _held_by_customer(customer, run_date):
    """The customer's own settings that hold the ladder back, first match wins."""
    if customer.excluded:
        return SKIP_EXCLUDED
    if customer.postponed_until and run_date < customer.postponed_until:
        return SKIP_POSTPONED
    if customer.manual:
        return SKIP_MANUAL
    return None


def _current_index(ladder, invoice):
    if invoice.level_delay is None:
        return None
    return index_of_delay(ladder.delays, invoice.level_delay)


def _guard(customer, ladder, run_date, decision):
    held = _held_by_customer(customer, run_date)
    if held:
        return held
    # Nothing owed: the whole receivable, or what the message would ask for.
    if customer.net_balance <= 0 or decision.amount <= 0:
        return SKIP_NO_DEBT
    if decision.amount < ladder.minimum_amount:
        return SKIP_MINIMUM
    # A broken promise is news: its step is not held back by the minimum delay.
    resumed = any(inv.resumed and inv.move_id in decision.steps for inv in customer.invoices)
    last_dates = [inv.last_date for inv in customer.invoices if inv.last_date]
    if (
        not resumed
        and last_dates
        and max(last_dates) + timedelta(ladder.min_days_between_steps) > run_date
    ) or (customer.messaged_today and ladder.min_days_between_steps):
        return SKIP_TOO_SOON
    if (
        ladder.skip_predue_for_good_payers
        and customer.good_payer
        and ladder.delays[decision.level_index] < 0
    ):
        return SKIP_GOOD_PAYER
    capped = email_cap_until(customer, ladder, decision.level_index) > run_date
    return SKIP_EMAIL_CAP if capped else None


def email_cap_until(customer, ladder, level_index):
    """The first day the email of level ``level_index`` may go to ``customer``
    (``date.min`` when the level sends none or no email was sent)."""
    sends_email = level_index < len(ladder.email_levels) and ladder.email_levels[level_index]
    if not (sends_email and ladder.email_min_days and customer.last_email_date):
        return date.min
    return customer.last_email_date + timedelta(ladder.email_min_days)


def plan_reminder(customer, ladder, run_date):
    """'Send reminder now': the next step when one is due, else a reminder of the
    invoices already due at the customer's current level (no invoice climbs).

    An invoice that took a step today does not climb again today (the day's run just
    reminded it); the person's reminder still goes out, at the current level.
    """
    stepped_today = {inv.move_id for inv in customer.invoices if inv.last_date == run_date}
    decision = plan_customer(customer, ladder, run_date)
    if decision is not None and stepped_today & set(decision.steps):
        decision = None if set(decision.steps) <= stepped_today else decision
        if decision is not None:
            for move_id in stepped_today:
                decision.steps.pop(move_id, None)
    if decision is not None and decision.steps:
        return decision
    due = sorted(
        (inv for inv in customer.invoices if inv.due_date <= run_date),
        key=lambda inv: (inv.due_date, inv.move_id),
    )
    if not due:
        return None
    current = {
        index_of_delay(ladder.delays, inv.level_delay) for inv in due if inv.level_delay is not None
    } - {None}
    overdue_levels = [index for index, delay in enumerate(ladder.delays) if delay > 0]
    if current:
        level_index = max(current)
    else:
        level_index = overdue_levels[0] if overdue_levels else len(ladder.delays) - 1
    decision = _decide(customer, level_index, {}, tuple(inv.move_id for inv in due))
    decision.skip_reason = _guard(customer, ladder, run_date, decision)
    return decision
