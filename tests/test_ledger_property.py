"""One fact, one place: over random books, what a customer owes per currency is the same
number in the reminder, the statement, the self-service page, the run line, Send & Print
and the case file, and it is the customer's balance in Odoo's own ledger."""

import re
from datetime import date, timedelta

from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.fields import Command
from odoo.tests import tagged

from .common_handoff import HandoffCommon

TODAY = date(2026, 6, 1)

amounts = st.integers(min_value=1, max_value=5000)
currencies = st.sampled_from(["USD", "EUR"])
offsets = st.integers(min_value=-40, max_value=90)  # days past due (negative: not due)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("invoice"), amounts, currencies, offsets, st.booleans()),
        st.tuples(st.just("refund"), amounts, currencies, offsets, st.booleans()),
        st.tuples(st.just("payment"), amounts, currencies, offsets, st.just(False)),
        st.tuples(
            st.just("entry"),
            st.integers(-3000, 3000).filter(bool),
            st.just("USD"),
            offsets,
            st.just(False),
        ),
    ),
    min_size=1,
    max_size=5,
)
partials = st.lists(st.tuples(st.integers(0, 4), st.integers(1, 99)), max_size=2)


def _amounts(text):
    """'$ 1,250.00; 400.00 €' -> [1250.0, 400.0] (en_US formatting)."""
    return [
        float(number.replace(",", ""))
        for number in re.findall(
            r"-?[\d,]+\.\d\d", re.sub("[\u2011\u2212]", "-", (text or "").replace("\ufeff", ""))
        )
    ]


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestLedgerProperty(HandoffCommon):
    @classmethod
    def default_env_context(cls):
        return {}  # real mail: the reminders are queued

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        cls.currency_of = {"USD": cls.company.currency_id, "EUR": cls.eur}
        cls.two_parts = cls.env["account.payment.term"].create(
            {
                "name": "Half now, half in 30 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 30}),
                ],
            }
        )
        cls.collector = cls._dunning_user(
            "ledger_collector", "account.group_account_invoice,account_dunning.group_dunning_user"
        )
        cls.books = 0

    # ------------------------------------------------------------------ the book

    def _customer(self):
        type(self).books += 1
        customer = self.env["res.partner"].create(
            {"name": f"Ledger Book {self.books}", "is_company": True}
        )
        self.env["res.partner"].create(
            {
                "name": "Accounts Payable",
                "parent_id": customer.id,
                "type": "invoice",
                "email": f"ap{self.books}@book.example.com",
            }
        )
        return customer

    def _post_invoice(self, customer, amount, currency, days, split, *, move_type="out_invoice"):
        due = TODAY - timedelta(days=days)
        invoice_date = min(due, TODAY)
        values = {"move_type": move_type, "partner_id": customer.id, "currency_id": currency.id}
        if split and move_type == "out_invoice":
            move = self.env["account.move"].create(
                {
                    **values,
                    "invoice_date": invoice_date,
                    "invoice_payment_term_id": self.two_parts.id,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Work", "quantity": 1, "price_unit": amount, "tax_ids": []}
                        )
                    ],
                }
            )
            move.action_post()
            return move
        # Issued before today: no courtesy reminder goes on an invoice's own date.
        issued = min(due, TODAY - timedelta(days=1))
        with freeze_time(issued):
            return self._dunning_invoice(
                amount, due, partner=customer, currency=currency, move_type=move_type,
                invoice_date=issued,
            )  # fmt: skip

    def _post_entry(self, customer, account, amount, days, journal):
        """A line on the customer's receivable (debit > 0), balanced on ``account``."""
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": min(TODAY, TODAY - timedelta(days=days)),
                "journal_id": journal.id,
                "line_ids": [
                    Command.create(
                        {
                            "name": "Receivable",
                            "account_id": self.company_data["default_account_receivable"].id,
                            "partner_id": customer.id,
                            "debit": max(amount, 0),
                            "credit": max(-amount, 0),
                            "date_maturity": TODAY - timedelta(days=days),
                        }
                    ),
                    Command.create(
                        {
                            "name": "Counterpart",
                            "account_id": account.id,
                            "debit": max(-amount, 0),
                            "credit": max(amount, 0),
                        }
                    ),
                ],
            }
        )
        move.action_post()
        return move

    def _book(self, customer, ops, pays):
        invoices = []
        for kind, amount, currency_code, days, split in ops:
            currency = self.currency_of[currency_code]
            if kind == "invoice":
                invoices.append(self._post_invoice(customer, amount, currency, days, split))
            elif kind == "refund":
                self._post_invoice(customer, amount, currency, days, False, move_type="out_refund")
            elif kind == "payment":
                payment = self.env["account.payment"].create(
                    {
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": customer.id,
                        "amount": amount,
                        "currency_id": currency.id,
                        "date": TODAY - timedelta(days=max(days, 0)),
                    }
                )
                payment.action_post()
            else:
                self._post_entry(
                    customer,
                    self.company_data["default_account_revenue"],
                    amount,
                    days,
                    self.company_data["default_journal_misc"],
                )
        for index, percent in pays:
            if index < len(invoices):
                invoice = invoices[index]
                amount = invoice.currency_id.round(invoice.amount_residual * percent / 100)
                if amount > 0:
                    self._dunning_pay(invoice, amount, pay_date=TODAY)
        return invoices

    def _odoo_balance(self, customer):
        """The customer's balance per currency in Odoo's own books: every posted line on a
        receivable account, in its own currency (no residual, no reconciliation)."""
        groups = self.env["account.move.line"]._read_group(
            [
                ("partner_id", "child_of", customer.id),
                ("parent_state", "=", "posted"),
                ("account_id.account_type", "=", "asset_receivable"),
                ("company_id", "=", self.company.id),
            ],
            ["currency_id"],
            ["amount_currency:sum"],
        )
        return {
            currency.id: currency.round(total)
            for currency, total in groups
            if not currency.is_zero(total)
        }

    # -------------------------------------------------------------- the property

    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(ops=operations, pays=partials)
    def test_net_per_currency_is_the_same_everywhere(self, ops, pays):
        customer = self._customer()
        invoices = self._book(customer, ops, pays)
        odoo = self._odoo_balance(customer)
        ledger = customer._dunning_ledger()[customer.id]
        net = {
            currency: balance.net for currency, balance in ledger.currencies.items() if balance.net
        }
        self.assertEqual(net, odoo, "the ledger is Odoo's receivable per currency")

        # The statement, and the self-service page that shows it.
        statement = customer._dunning_statement()
        shown = {
            section["currency"].id: section["balance"]
            for section in statement["currencies"]
            if section["balance"]
        }
        self.assertEqual(shown, net, "statement")
        contact = customer._dunning_get_contact().with_company(self.company)
        page = contact.sudo()._dunning_self_service_values()["statement"]
        self.assertEqual(
            {s["currency"].id: s["balance"] for s in page["currencies"] if s["balance"]},
            net,
            "self-service page",
        )

        # The run line (preview) and the reminder it sends.
        run = self.env["dunning.run"].create({"partner_ids": [Command.set(customer.ids)]})
        run.action_preview()
        for line in run.line_ids:
            self.assertEqual(
                sorted(_amounts(line.balance_by_currency)), sorted(net.values()), "run line"
            )
            asked = {t["currency"].id: t["amount"] for t in self._totals(customer, line)}
            for currency, amount in asked.items():
                self.assertLessEqual(amount, max(net.get(currency, 0.0), 0.0) + 1e-6)
        run.action_execute()
        for event in run.event_ids.filtered(lambda e: e.channel == "email" and e.state == "done"):
            balances = {t["currency"].id: t["balance"] for t in event._get_totals() if t["balance"]}
            self.assertEqual(balances, net, "reminder")

        # Send & Print.
        wizard = (
            self.env["dunning.send.wizard"]
            .with_user(self.collector)
            .create({"partner_id": customer.id, "company_id": self.company.id})
        )
        self.assertEqual(
            sorted(_amounts(wizard.balance_by_currency)), sorted(net.values()), "Send & Print"
        )

        # The case file, when every debit of the customer is an overdue invoice handed off.
        overdue = [
            move
            for move in invoices
            if move.dunning_stage == "normal"
            and move.payment_state in ("not_paid", "partial")
            and move.invoice_date_due < TODAY
        ]
        debits = {item.move_id for item in ledger.items if item.is_debit}
        if overdue and debits == {move.id for move in overdue}:
            moves = self.env["account.move"].browse([move.id for move in overdue])
            case = self._handoff(moves)
            totals = case._get_case_file_data()["totals"]
            expected = {currency: max(amount, 0.0) for currency, amount in net.items()}
            self.assertEqual(
                {t["currency"].id: t["amount"] for t in totals if t["amount"]},
                {currency: amount for currency, amount in expected.items() if amount},
                "case file",
            )

    def _totals(self, customer, line):
        message = customer._dunning_message_data(line.move_ids.ids, line.date)
        return message["totals"]

    def test_acme_reminder_and_statement_agree(self):
        """The demo's Acme on one day: a credit entry, a debit entry 20 days overdue, an
        overdue invoice covered by its credit note, two invoices due today."""
        customer = self._customer()
        journal = self.company_data["default_journal_misc"]
        revenue = self.company_data["default_account_revenue"]
        overdue = self._post_invoice(customer, 2500, self.company.currency_id, 20, False)
        self._post_invoice(customer, 20000, self.company.currency_id, 0, False)
        self._post_invoice(customer, 21250, self.company.currency_id, 0, False)
        refund = overdue._reverse_moves()
        refund.invoice_date_due = TODAY - timedelta(days=5)
        refund.action_post()  # reconciled with the invoice it reverses
        self._post_entry(customer, revenue, -2500, 30, journal)  # MISC/0001
        self._post_entry(customer, revenue, 2500, 20, journal)  # MISC/0002
        run = self.env["dunning.run"].create({"partner_ids": [Command.set(customer.ids)]})
        run.action_execute()
        event = run.event_ids.filtered(lambda e: e.channel == "email")
        statement = customer._dunning_statement()["currencies"][0]["balance"]
        (total,) = event._get_totals()
        self.assertEqual(total["balance"], statement)
        self.assertEqual(statement, 41250.0)
        self.assertEqual(event._get_due_state(), "today", "nothing is past due net of credits")
        mail = self.env["mail.mail"].search([("mail_message_id", "=", event.message_id.id)])
        self.assertTrue(mail)
        self.assertNotIn("past their due date", str(mail.body_html))
