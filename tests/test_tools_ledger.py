"""Plain pytest + hypothesis: what a customer owes, credits applied, without the ORM."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ..tools.ledger import CREDIT_NOTE, ENTRY, INVOICE, PAYMENT, Item, Ledger
from . import hypothesis_settings  # noqa: F401 - loads the profile
from .pure import odoo_test_case

AS_OF = date(2026, 3, 31)


def item(line_id, move_id, residual, days_overdue=0, currency="USD", **kw):
    return Item(
        line_id=line_id,
        move_id=move_id,
        currency=currency,
        date=AS_OF - timedelta(days=days_overdue + 30),
        date_due=AS_OF - timedelta(days=days_overdue),
        residual=residual,
        residual_company=residual * (2 if currency == "EUR" else 1),
        **kw,
    )


def test_acme_net_is_the_receivable_and_a_covered_invoice_is_not_owed():
    """The demo's Acme: an overdue invoice covered by a credit note of the same amount,
    two invoices due today, a credit entry and a debit entry on the receivable."""
    ledger = Ledger(
        1,
        AS_OF,
        (
            item(1, 10, 2500.0, days_overdue=20),  # overdue invoice
            item(2, 11, 20000.0),  # due today
            item(3, 12, 21250.0),  # due today
            item(4, 13, -2500.0, days_overdue=5, kind=CREDIT_NOTE, reverses=10),
            item(5, 14, -2500.0, days_overdue=30, kind=ENTRY),  # MISC/0001, credit
            item(6, 15, 2500.0, days_overdue=20, kind=ENTRY),  # MISC/0002, debit
        ),
    )
    usd = ledger.currencies["USD"]
    assert usd.net == 41250.0 == ledger.net_company()
    assert ledger.uncovered(1) == 0.0, "the credit note pays the invoice it reverses"
    # The credit entry goes to the oldest askable debit still owed: MISC/0002.
    assert ledger.uncovered(6) == 0.0
    assert usd.overdue == 0.0, "nothing is past due once credits are applied"
    assert usd.not_due == 41250.0
    lines = ledger.asked_lines([10, 11, 12], AS_OF)
    assert {line.line_id for line in lines} == {1, 2, 3, 6}
    assert ledger.due_state(lines) == "today", "no 'past due' wording"
    (total,) = ledger.totals(lines)
    assert total["listed"] == 46250.0
    assert total["applied"] == 5000.0
    assert total["amount"] == 41250.0 == total["net"]


def test_credits_go_to_askable_debits_before_held_ones():
    ledger = Ledger(
        1,
        AS_OF,
        (
            item(1, 10, 1000.0, days_overdue=60, held=True),  # disputed, oldest
            item(2, 11, 500.0, days_overdue=10),
            item(3, 12, -500.0, kind=PAYMENT),
        ),
    )
    assert ledger.uncovered(2) == 0.0
    assert ledger.uncovered(1) == 1000.0
    balance = ledger.currencies["USD"]
    assert balance.askable_overdue == 0.0
    assert balance.held == 1000.0 == balance.net


def test_installments_due_later_are_not_asked_for_before_their_date():
    ledger = Ledger(
        1,
        AS_OF,
        (
            item(1, 10, 300.0, days_overdue=5),
            item(2, 10, 300.0, days_overdue=-25),
            item(3, 11, 100.0, days_overdue=-3),  # a pre-due reminder of its own
        ),
    )
    assert [line.line_id for line in ledger.asked_lines([10], AS_OF)] == [1]
    # Not yet due at all: the first installment is what a heads-up asks for.
    assert [line.line_id for line in ledger.asked_lines([11], AS_OF)] == [3]


def test_currencies_are_never_mixed():
    ledger = Ledger(
        1,
        AS_OF,
        (
            item(1, 10, 100.0, days_overdue=3),
            item(2, 11, -500.0, currency="EUR", kind=CREDIT_NOTE),
        ),
    )
    assert ledger.uncovered(1) == 100.0
    assert ledger.currencies["EUR"].credit_balance == 500.0
    totals = {total["currency"]: total for total in ledger.totals(ledger.asked_lines([10], AS_OF))}
    assert totals["USD"]["amount"] == 100.0
    assert totals["EUR"]["amount"] == 0.0
    assert totals["EUR"]["credit_balance"] == 500.0


amounts = st.integers(min_value=-500_000, max_value=500_000).filter(bool).map(lambda c: c / 100)
items = st.lists(
    st.tuples(
        amounts,
        st.integers(min_value=-60, max_value=200),  # days overdue
        st.sampled_from(["USD", "EUR"]),
        st.booleans(),  # held
        st.integers(min_value=0, max_value=5),  # move
        st.booleans(),  # a credit note reverses an invoice
    ),
    max_size=25,
)


def build(rows):
    result = []
    for line_id, (residual, days, currency, held, move, reverses) in enumerate(rows, start=1):
        debit = residual > 0
        result.append(
            item(
                line_id,
                move if debit else 100 + line_id,
                residual,
                days_overdue=days,
                currency=currency,
                kind=INVOICE if debit else CREDIT_NOTE,
                held=held and debit,
                reverses=move if reverses and not debit else None,
            )
        )
    return result


@given(items)
def test_credits_applied_keep_every_balance(rows):
    ledger = Ledger(1, AS_OF, tuple(build(rows)))
    for currency, balance in ledger.currencies.items():
        mine = [i for i in ledger.items if i.currency == currency]
        cents = round(sum(i.residual for i in mine) * 100)
        assert round(balance.net * 100) == cents
        left = [ledger.uncovered(i.line_id) for i in mine]
        assert round(sum(left) * 100) == cents, "applying credits moves no money"
        for i in mine:
            lo, hi = sorted((0.0, i.residual))
            assert lo - 1e-9 <= ledger.uncovered(i.line_id) <= hi + 1e-9
        debts_left = any(ledger.uncovered(i.line_id) > 0 for i in mine if i.is_debit)
        credit_left = any(ledger.uncovered(i.line_id) < 0 for i in mine if not i.is_debit)
        assert not (debts_left and credit_left), "a credit left while a debit is owed"
        assert round((balance.overdue + balance.not_due) * 100) == max(cents, 0)


@given(items, st.sets(st.integers(min_value=0, max_value=5)))
def test_never_asks_more_than_is_owed(rows, move_ids):
    ledger = Ledger(1, AS_OF, tuple(build(rows)))
    for total in ledger.totals(ledger.asked_lines(sorted(move_ids), AS_OF)):
        assert total["amount"] >= 0
        assert total["amount"] <= max(total["net"], 0.0) + 1e-9
        assert round((total["listed"] - total["applied"]) * 100) == round(total["amount"] * 100)


@given(items)
def test_held_debits_take_credits_last(rows):
    built = [i for i in build(rows) if i.reverses is None]
    ledger = Ledger(1, AS_OF, tuple(built))
    for currency in ledger.currencies:
        mine = [i for i in ledger.items if i.currency == currency and i.is_debit]
        held_covered = any(i.held and ledger.uncovered(i.line_id) < i.residual for i in mine)
        askable_owed = any(not i.held and ledger.uncovered(i.line_id) > 0 for i in mine)
        assert not (held_covered and askable_owed)


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
