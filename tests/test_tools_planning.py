"""Plain pytest + hypothesis: a customer's decision from plain facts."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ..tools.ladder import next_step_date
from ..tools.planning import (
    SKIP_EXCLUDED,
    SKIP_GOOD_PAYER,
    SKIP_MANUAL,
    SKIP_MINIMUM,
    SKIP_NO_DEBT,
    SKIP_POSTPONED,
    SKIP_TOO_SOON,
    CustomerFacts,
    DebitFacts,
    InvoiceFacts,
    Ladder,
    plan_customer,
    plan_reminder,
)
from . import hypothesis_settings  # noqa: F401 - loads the profile
from .pure import odoo_test_case

DELAYS = (-3, 0, 7, 15, 30, 45, 60)
LADDER = Ladder(DELAYS, min_days_between_steps=3, minimum_amount=50.0,
                skip_predue_for_good_payers=True)  # fmt: skip
TODAY = date(2026, 3, 20)


def invoice(move_id, days_overdue, amount=100.0, level=None, last=None):
    return InvoiceFacts(move_id, TODAY - timedelta(days=days_overdue), amount, level, last)


def customer(*invoices, balance=None, **kw):
    balance = sum(i.residual_company for i in invoices) if balance is None else balance
    return CustomerFacts(1, tuple(invoices), balance, **kw)


def test_one_decision_lists_steps_and_due_invoices_not_future_ones():
    decision = plan_customer(
        customer(invoice(1, 7), invoice(2, 3, level=0), invoice(3, -10)), LADDER, TODAY
    )
    assert decision.steps == {1: 2}
    assert decision.listed == (1, 2)
    assert decision.amount == 200.0
    assert decision.skip_reason is None


def test_what_is_owed_per_currency_is_asked_and_compared_with_the_minimum():
    # Residuals are what the customer's credits leave owed (tools/ledger.py).
    eur = InvoiceFacts(1, TODAY - timedelta(days=7), 500.0, currency_id="EUR", residual=1000.0)
    usd = InvoiceFacts(2, TODAY - timedelta(days=7), 100.0, currency_id="USD", residual=100.0)
    entry = DebitFacts(9, 25.0, currency_id="USD", residual=25.0)
    decision = plan_customer(customer(eur, usd, other_debits=(entry,)), LADDER, TODAY)
    assert decision.amount == 625.0  # company currency, over all currencies
    assert decision.asked == {"EUR": 1000.0, "USD": 125.0}  # the debit entry is asked too
    assert decision.listed == (1, 2)  # the entry is no invoice: it is listed by the message
    assert decision.skip_reason is None
    small = InvoiceFacts(2, TODAY - timedelta(days=7), 20.0, currency_id="USD", residual=20.0)
    assert plan_customer(customer(small), LADDER, TODAY).skip_reason == SKIP_MINIMUM
    nothing_owed = customer(usd, balance=0)
    assert plan_customer(nothing_owed, LADDER, TODAY).skip_reason == SKIP_NO_DEBT


def test_the_oldest_level_sets_the_tone_of_a_courtesy_step():
    decision = plan_customer(customer(invoice(1, -3), invoice(2, 20, level=15)), LADDER, TODAY)
    assert decision.steps == {1: 0}
    assert decision.level_index == 3


def test_guards_in_order():
    late = invoice(1, 10)
    assert plan_customer(customer(late, excluded=True), LADDER, TODAY).skip_reason == SKIP_EXCLUDED
    assert plan_customer(customer(late, balance=0), LADDER, TODAY).skip_reason == SKIP_NO_DEBT
    small = invoice(1, 10, amount=20.0)
    assert plan_customer(customer(small), LADDER, TODAY).skip_reason == SKIP_MINIMUM
    recent = invoice(2, 40, level=30, last=TODAY - timedelta(days=2))
    assert plan_customer(customer(late, recent), LADDER, TODAY).skip_reason == SKIP_TOO_SOON
    soon = invoice(1, -3)
    decision = plan_customer(customer(soon, good_payer=True), LADDER, TODAY)
    assert decision.skip_reason == SKIP_GOOD_PAYER


def test_reminder_now_repeats_the_current_level_without_climbing():
    facts = customer(invoice(1, 10, level=7, last=TODAY - timedelta(days=1)), invoice(2, -5))
    assert plan_customer(facts, LADDER, TODAY) is None  # nothing climbs today
    forced = Ladder(DELAYS)
    decision = plan_reminder(facts, forced, TODAY)
    assert (decision.steps, decision.listed, decision.level_index) == ({}, (1,), 2)
    assert plan_reminder(customer(invoice(1, -5)), forced, TODAY) is None


facts_strategy = st.lists(
    st.tuples(
        st.integers(-20, 200),
        st.floats(0.01, 10_000, allow_nan=False),
        st.none() | st.sampled_from(DELAYS),
        st.none() | st.integers(0, 30),
    ),
    min_size=1,
    max_size=12,
)


@given(facts_strategy, st.floats(-1000, 100_000, allow_nan=False))
def test_decision_properties(rows, balance):
    invoices = [
        invoice(i, days, amount, level, None if last is None else TODAY - timedelta(days=last))
        for i, (days, amount, level, last) in enumerate(rows)
    ]
    decision = plan_customer(customer(*invoices, balance=balance), LADDER, TODAY)
    if decision is None:
        return
    by_id = {inv.move_id: inv for inv in invoices}
    # Every step is listed, nothing not yet due is listed unless it steps.
    assert set(decision.steps) <= set(decision.listed)
    for move_id in decision.listed:
        assert move_id in decision.steps or by_id[move_id].due_date <= TODAY
    assert abs(decision.amount - sum(by_id[m].residual_company for m in decision.listed)) < 1e-6
    assert decision.level_index >= max(decision.steps.values())
    if balance <= 0:
        assert decision.skip_reason == SKIP_NO_DEBT


@given(
    st.lists(st.integers(-10, 120), min_size=1, max_size=7, unique=True).map(
        lambda values: tuple(sorted(values))
    ),
    st.integers(-20, 150),
    st.none() | st.integers(0, 6),
    st.none() | st.integers(0, 20),
    st.integers(1, 7),
    st.booleans(),
)
def test_next_step_date_is_the_first_day_the_run_acts(  # noqa: PLR0917
    delays, days_overdue, level, days_since_last, min_days, matching
):
    """The date an invoice shows is exactly the first day on which planning, run
    every day from today, takes a step for it (a one-invoice customer)."""
    if level is not None:
        level = min(level, len(delays) - 1)
    ladder = Ladder(delays, min_days_between_steps=min_days, start_at_matching_level=matching)
    due = TODAY - timedelta(days=days_overdue)
    last = None if days_since_last is None or level is None else TODAY - timedelta(days_since_last)
    facts = InvoiceFacts(1, due, 100.0, delays[level] if level is not None else None, last)
    shown = next_step_date(
        delays,
        due,
        TODAY,
        current_index=level,
        last_date=last,
        min_days=min_days,
        start_at_matching_level=matching,
    )
    horizon = due + timedelta(days=max(delays) + 30)
    day, first = TODAY, None
    while day <= max(horizon, TODAY + timedelta(days=min_days + 1)):
        decision = plan_customer(customer(facts), ladder, day)
        if decision is not None and decision.skip_reason is None:
            first = day
            break
        day += timedelta(days=1)
    assert shown == first


def test_manual_customer_is_planned_but_skipped():
    decision = plan_customer(customer(invoice(1, 8), manual=True), LADDER, TODAY)
    assert decision.steps == {1: 2}  # planned: the preview shows the step
    assert decision.skip_reason == SKIP_MANUAL


def test_postponed_customer_skipped_until_the_date_then_acted_on():
    facts = customer(invoice(1, 8), postponed_until=TODAY + timedelta(days=1))
    assert plan_customer(facts, LADDER, TODAY).skip_reason == SKIP_POSTPONED
    later = TODAY + timedelta(days=1)
    assert plan_customer(facts, LADDER, later).skip_reason is None


def test_postponed_wins_over_manual_and_excluded_wins_over_both():
    facts = customer(invoice(1, 8), manual=True, postponed_until=TODAY + timedelta(days=5))
    assert plan_customer(facts, LADDER, TODAY).skip_reason == SKIP_POSTPONED
    facts = customer(
        invoice(1, 8), excluded=True, manual=True, postponed_until=TODAY + timedelta(days=5)
    )
    assert plan_customer(facts, LADDER, TODAY).skip_reason == SKIP_EXCLUDED


def test_resumed_invoice_takes_its_rung_today_despite_age_and_last_step():
    # 10 days overdue, put on the +15 rung by a broken promise; last step 2 days ago.
    resumed = InvoiceFacts(1, TODAY - timedelta(days=10), 100.0, 15, TODAY - timedelta(2), True)
    decision = plan_customer(customer(resumed), LADDER, TODAY)
    assert decision.steps == {1: 3}
    assert decision.level_index == 3
    assert decision.skip_reason is None
    # Not resumed: nothing to do at that age.
    plain = InvoiceFacts(1, TODAY - timedelta(days=10), 100.0, 15, TODAY - timedelta(2))
    assert plan_customer(customer(plain), LADDER, TODAY) is None


def test_resumed_invoice_old_enough_climbs_past_its_rung():
    resumed = InvoiceFacts(1, TODAY - timedelta(days=31), 100.0, 15, None, True)
    assert plan_customer(customer(resumed), LADDER, TODAY).steps == {1: 4}


# The same tests under Odoo's own runner (see tests/pure.py).
def test_no_courtesy_reminder_on_the_day_the_invoice_is_issued():
    # Issued today, due today: no "due today" beside the invoice just received.
    issued_today = InvoiceFacts(1, TODAY, 100.0, issued=TODAY)
    assert plan_customer(customer(issued_today), LADDER, TODAY) is None
    # Issued today, due in 3 days: no heads-up today, the next day it goes.
    ahead = InvoiceFacts(1, TODAY + timedelta(days=3), 100.0, issued=TODAY)
    assert plan_customer(customer(ahead), LADDER, TODAY) is None
    assert plan_customer(customer(ahead), LADDER, TODAY + timedelta(days=1)).steps == {1: 0}
    # Issued yesterday: the due-today reminder goes as before.
    yesterday = InvoiceFacts(1, TODAY, 100.0, issued=TODAY - timedelta(days=1))
    assert plan_customer(customer(yesterday), LADDER, TODAY).steps == {1: 1}
    # An overdue rung is no courtesy: an invoice dated today but already due long ago
    # (a late entry) is chased as its age says.
    late_entry = InvoiceFacts(1, TODAY - timedelta(days=7), 100.0, issued=TODAY)
    assert plan_customer(customer(late_entry), LADDER, TODAY).steps == {1: 2}


def test_the_next_step_date_skips_the_day_of_issue():
    # Due on its day of issue: the courtesy rungs never come, the next step is +7.
    assert next_step_date(DELAYS, TODAY, TODAY, issue_date=TODAY) == TODAY + timedelta(days=7)
    # Due in 3 days, issued today: the heads-up comes the next day.
    due = TODAY + timedelta(days=3)
    assert next_step_date(DELAYS, due, TODAY, issue_date=TODAY) == TODAY + timedelta(days=1)
    assert next_step_date(DELAYS, due, TODAY) == TODAY  # without the rule: today


@given(
    st.integers(-10, 70),
    st.integers(0, 40),
    st.sampled_from([None, 0, 1, 2, 3, 4, 5, 6]),
)
def test_the_next_step_date_is_the_first_day_the_planner_acts(days_overdue, age, level):
    """next_step_date (shown on the invoice) and plan_customer (the run) agree, with the
    day of issue taken into account."""
    due = TODAY - timedelta(days=days_overdue)
    issued = min(due, TODAY) - timedelta(days=age) if age else TODAY
    facts = InvoiceFacts(1, due, 100.0, DELAYS[level] if level is not None else None,
                         issued=issued)  # fmt: skip
    ladder = Ladder(DELAYS)
    day = next_step_date(DELAYS, due, TODAY,
                         current_index=level, min_days=0, issue_date=issued)  # fmt: skip
    for offset in range(0, 80):
        current = TODAY + timedelta(days=offset)
        decision = plan_customer(customer(facts), ladder, current)
        acts = decision is not None and bool(decision.steps)
        if day is None or current < day:
            assert not acts, (current, day)
        else:
            assert current == day and acts, (current, day)
            break


OdooRunner = odoo_test_case(globals())
