"""What a customer owes, as a pure function of its open receivable items (no ORM).

Every screen, message and report of the module reads a customer's balance from here:
the run and its preview, the reminders and letters, the statement, Send & Print, the
self-service page, the payment plans, the worklist and the case file. The items come
from one query (``res.partner._dunning_ledger``): every open line of the customer on a
receivable account, in its own currency, positive when owed (an invoice or one of its
installments, a debit entry), negative when to the customer's credit (an open credit
note, an unapplied payment, a credit entry).

Credits are applied to debits per currency, in this order:

1. a credit note to the invoice it reverses;
2. then to the debits that can be asked for (invoices in the Normal stage, other debit
   entries), the first to fall due first;
3. then to the held invoices (promised, disputed, in a plan, at an agency, excluded).

What the credits leave of a debit is its *uncovered* part: an invoice fully covered by
a credit is not chased, and the amount a message asks for is the uncovered part of the
items it lists. Money is counted in whole units of each currency's rounding, so that
totals add up exactly.
"""

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from datetime import date

from .aging import DEFAULT_ROUNDING, from_units, to_units

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
PAYMENT = "payment"
ENTRY = "entry"


@dataclass(frozen=True)
class Item:
    """One open receivable line of a customer."""

    line_id: int
    move_id: int
    currency: Hashable
    date: date
    date_due: date
    residual: float  # in its currency: > 0 owed, < 0 to the customer's credit
    residual_company: float  # the same in company currency
    kind: str = INVOICE
    # An invoice out of the ladder: promised, disputed, in a plan, at an agency or a
    # lawyer, or excluded. Its money is owed, but not asked for by a reminder.
    held: bool = False
    reverses: int | None = None  # the invoice a credit note reverses
    name: str = ""
    ref: str = ""

    @property
    def is_debit(self):
        return self.residual > 0

    @property
    def askable(self):
        """Owed, and something a reminder may ask for."""
        return self.is_debit and not self.held


@dataclass(frozen=True)
class CurrencyBalance:
    """A customer's balance in one currency on ``as_of``."""

    currency: Hashable
    items: tuple  # Item, the first to fall due first
    debit: float  # every debit item
    credit: float  # every credit item, positive
    net: float  # debit - credit: the customer's balance in this currency
    overdue: float  # uncovered part of the debits past due (held ones included)
    not_due: float  # uncovered part of the debits not past due (due today included)
    held: float  # uncovered part of the held debits
    askable_overdue: float  # uncovered part of the askable debits past due

    @property
    def credit_balance(self):
        """What remains to the customer's credit once every debit is covered."""
        return max(-self.net, 0.0)


@dataclass
class Ledger:
    """A customer's open receivable items on ``as_of``, credits applied."""

    partner_id: int
    as_of: date
    items: tuple = ()
    roundings: dict = field(default_factory=dict)
    # line id -> uncovered part (debit items) or what is left of a credit (credit items,
    # negative): filled by __post_init__.
    left: dict = field(default_factory=dict, init=False)
    currencies: dict = field(default_factory=dict, init=False)

    def __post_init__(self):
        self.items = tuple(sorted(self.items, key=lambda item: (item.date_due, item.line_id)))
        by_currency = defaultdict(list)
        for item in self.items:
            by_currency[item.currency].append(item)
        for currency, items in by_currency.items():
            rounding = self.roundings.get(currency, DEFAULT_ROUNDING)
            left = _apply_credits(items, rounding)
            self.left.update({line: from_units(units, rounding) for line, units in left.items()})
            self.currencies[currency] = self._balance(currency, items, left, rounding)

    def _balance(self, currency, items, left, rounding):
        def total(selected):
            return from_units(sum(selected), rounding)

        debits = [item for item in items if item.is_debit]
        return CurrencyBalance(
            currency=currency,
            items=tuple(items),
            debit=total(to_units(item.residual, rounding) for item in debits),
            credit=total(-to_units(item.residual, rounding) for item in items if not item.is_debit),
            net=total(to_units(item.residual, rounding) for item in items),
            overdue=total(left[item.line_id] for item in debits if item.date_due < self.as_of),
            not_due=total(left[item.line_id] for item in debits if item.date_due >= self.as_of),
            held=total(left[item.line_id] for item in debits if item.held),
            askable_overdue=total(
                left[item.line_id]
                for item in debits
                if not item.held and item.date_due < self.as_of
            ),
        )

    def as_askable(self, move_ids):
        """This ledger with the debits of ``move_ids`` counted as askable: what they
        owe when they leave their hold (a plan being agreed on promised invoices)."""
        moves = set(move_ids)
        items = tuple(
            replace(item, held=False) if item.move_id in moves else item for item in self.items
        )
        return Ledger(self.partner_id, self.as_of, items, self.roundings)

    def owed_on(self, move_ids):
        """{currency: what the credits leave owed on the invoices ``move_ids``}."""
        moves = set(move_ids)
        owed = defaultdict(float)
        for item in self.items:
            if item.is_debit and item.move_id in moves:
                owed[item.currency] += self.uncovered(item.line_id)
        return {
            currency: from_units(
                to_units(amount, self.roundings.get(currency, DEFAULT_ROUNDING)),
                self.roundings.get(currency, DEFAULT_ROUNDING),
            )
            for currency, amount in owed.items()
        }

    # ------------------------------------------------------------------ reading

    def uncovered(self, line_id):
        return self.left.get(line_id, 0.0)

    def uncovered_company(self, item):
        """The uncovered part of ``item`` in company currency (at the item's own rate)."""
        if not item.residual:
            return 0.0
        return item.residual_company * self.uncovered(item.line_id) / item.residual

    def debits_of(self, move_id):
        return [item for item in self.items if item.move_id == move_id and item.is_debit]

    def credits(self):
        return [item for item in self.items if not item.is_debit]

    def net_company(self):
        """The whole balance in company currency (every currency at its items' rates)."""
        return sum(item.residual_company for item in self.items)

    def overdue_company(self, askable_only=False):
        """The uncovered part of the debits past due, in company currency."""
        return sum(
            self.uncovered_company(item)
            for item in self.items
            if item.is_debit and item.date_due < self.as_of and not (askable_only and item.held)
        )

    def oldest_overdue_days(self, kinds=(INVOICE,)):
        """Days past due of the oldest debit of ``kinds`` that credits leave owed (0:
        none). Other open items (a debit entry, an opening balance) count in the
        amounts, not in the age."""
        return max(
            (
                (self.as_of - item.date_due).days
                for item in self.items
                if item.is_debit and item.kind in kinds and self.uncovered(item.line_id) > 0
            ),
            default=0,
        )

    def asked_lines(self, move_ids, on_date, with_entries=True):
        """The debit lines a message about invoices ``move_ids`` on ``on_date`` asks
        for: of each invoice, the installments due by ``on_date`` (or its first one
        when none is due yet: a reminder before the due date); with ``with_entries``,
        the customer's other askable debits already due (a debit entry, a receipt)."""
        wanted = set(move_ids)
        lines = []
        first_due = {}
        for item in self.items:
            if item.is_debit and item.move_id in wanted:
                first_due.setdefault(item.move_id, item.date_due)
        for item in self.items:
            if not item.is_debit:
                continue
            if item.move_id in wanted:
                if item.date_due <= max(on_date, first_due[item.move_id]):
                    lines.append(item)
            elif (
                with_entries and item.kind != INVOICE and not item.held and item.date_due <= on_date
            ):
                lines.append(item)
        return lines

    def totals(self, lines):
        """Per currency (sorted by currency key), what a message listing the debit
        ``lines`` shows: ``listed`` (their open amount), ``applied`` (the credits set
        against them), ``amount`` (what is asked for: their uncovered part), ``net``
        and ``credit_balance`` (the customer's whole balance in that currency), and
        ``amount_company`` (what is asked for, in company currency)."""
        result = {}
        listed = defaultdict(list)
        for item in lines:
            listed[item.currency].append(item)
        for currency in sorted(set(listed) | set(self.currencies), key=str):
            balance = self.currencies.get(currency)
            items = listed.get(currency, [])
            rounding = self.roundings.get(currency, DEFAULT_ROUNDING)
            gross = sum(to_units(item.residual, rounding) for item in items)
            left = sum(to_units(self.uncovered(item.line_id), rounding) for item in items)
            result[currency] = {
                "currency": currency,
                "listed": from_units(gross, rounding),
                "applied": from_units(gross - left, rounding),
                "amount": from_units(left, rounding),
                "amount_company": sum(self.uncovered_company(item) for item in items),
                "net": balance.net if balance else 0.0,
                "credit_balance": balance.credit_balance if balance else 0.0,
                "overdue": balance.overdue if balance else 0.0,
                "not_due": balance.not_due if balance else 0.0,
                "held": balance.held if balance else 0.0,
            }
        return list(result.values())

    def due_state(self, lines):
        """How a message about ``lines`` speaks: 'overdue' when something it asks for
        is past due, 'today' when the oldest thing it asks for is due today, else
        'upcoming'. A debit covered by a credit asks for nothing."""
        owed = [item for item in lines if self.uncovered(item.line_id) > 0]
        if any(item.date_due < self.as_of for item in owed):
            return "overdue"
        if any(item.date_due == self.as_of for item in owed):
            return "today"
        return "upcoming"


def _apply_credits(items, rounding):
    """{line id: units left} for the items of one currency: credits set against debits
    in the module's order (see the module docstring). Credit items keep what is left of
    them, negative."""
    left = {item.line_id: to_units(item.residual, rounding) for item in items}
    credits = [item for item in items if not item.is_debit]
    debits = [item for item in items if item.is_debit]

    def consume(credit, targets):
        for debit in targets:
            if left[credit.line_id] >= 0:
                return
            take = min(left[debit.line_id], -left[credit.line_id])
            if take > 0:
                left[debit.line_id] -= take
                left[credit.line_id] += take

    # 1. a credit note to the invoice it reverses
    for credit in credits:
        if credit.reverses is not None:
            consume(credit, [debit for debit in debits if debit.move_id == credit.reverses])
    # 2. and 3. the askable debits first, the first to fall due first, then the held ones
    order = sorted(debits, key=lambda debit: (debit.held, debit.date_due, debit.line_id))
    for credit in credits:
        consume(credit, order)
    return left
