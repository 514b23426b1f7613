from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import tagged

from .common import DunningRunCommon

T = "account_dunning.mail_template_dunning_"
OVERDUE_WORDS = ("overdue", "past due", "past their due date", "late")


def _text(html):
    return " ".join(str(html or "").split())


@tagged("post_install", "-at_install")
class TestDunningMoney(DunningRunCommon):
    """Never wrong about money: the net balance per currency, the part of an invoice
    that is due, and words that match the due dates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_2 = cls.env["res.partner"].create(
            {"name": "Beta Builders", "is_company": True, "email": "ap@beta.example.com"}
        )

    def _line(self, run, partner=None):
        return run.line_ids.filtered(lambda line: line.partner_id == (partner or self.customer))

    def _email_event(self, run, partner=None):
        return run.event_ids.filtered(
            lambda e: e.channel == "email" and e.partner_id == (partner or self.customer)
        )

    def _sent_body(self, partner=None):
        partner = partner or self.customer
        mails = self._mails(partner).filtered(
            lambda m: partner._dunning_get_contact() in m.recipient_ids
        )
        return _text(mails[-1:].body_html)

    @staticmethod
    def _receivable(move):
        return move.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    def _unapplied_payment(self, amount, day, partner=None):
        """A bank receipt booked on the customer's receivable, not matched to any
        invoice."""
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": day,
                "journal_id": self.company_data["default_journal_bank"].id,
                "line_ids": [
                    Command.create(
                        {
                            "name": "Customer transfer",
                            "account_id": self.company_data["default_account_receivable"].id,
                            "partner_id": (partner or self.customer).id,
                            "credit": amount,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Customer transfer",
                            "account_id": self.company_data[
                                "default_journal_bank"
                            ].default_account_id.id,
                            "debit": amount,
                        }
                    ),
                ],
            }
        )
        move.action_post()
        return move

    # ------------------------------------------------------------ net balance

    @freeze_time("2026-03-11")
    def test_money_net_of_an_open_credit_note_in_preview_email_and_history(self):
        invoice = self._dunning_invoice(1000.0, "2026-03-01")
        refund = self._dunning_invoice(900.0, "2026-02-20", move_type="out_refund")
        run = self.env["dunning.run"].create({})
        run.action_preview()
        line = self._line(run)
        self.assertAlmostEqual(line.amount, 100.0)  # not 1,000.00
        self.assertEqual(line.state, "todo")
        self.assertEqual(line.move_ids, invoice)
        self.assertEqual(line.credit_line_ids, self._receivable(refund))
        self.assertIn("100.00", line.amount_by_currency)
        run.action_execute()
        event = self._email_event(run)
        self.assertEqual(event.move_ids, invoice)
        self.assertEqual(event.credit_line_ids, self._receivable(refund))
        self.assertAlmostEqual(event.amount_residual, 100.0)
        [total] = event._get_totals()
        self.assertEqual(
            (total["invoices"], total["credits"], total["amount"]), (1000.0, 900.0, 100.0)
        )
        body = self._sent_body()
        self.assertIn(invoice.name, body)
        self.assertIn(refund.name, body)
        self.assertIn("Credit note", body)
        self.assertIn("Net balance due USD", body)
        self.assertIn("100.00", body)
        # The history keeps what was asked: the credits are frozen like the invoices.
        with self.assertRaises(AccessError):
            event.sudo().write({"credit_line_ids": [Command.clear()]})
        with self.assertRaises(AccessError):
            event.write({"credit_line_ids": [Command.clear()]})

    @freeze_time("2026-03-11")
    def test_money_unapplied_payment_is_deducted(self):
        invoice = self._dunning_invoice(1000.0, "2026-03-01")
        payment = self._unapplied_payment(400.0, date(2026, 3, 5))
        run = self._run()
        self.assertAlmostEqual(self._line(run).amount, 600.0)
        event = self._email_event(run)
        self.assertEqual(event.move_ids, invoice)
        self.assertEqual(event.credit_line_ids, self._receivable(payment))
        body = self._sent_body()
        self.assertIn(payment.name, body)
        self.assertIn("Payment received", body)
        self.assertIn("600.00", body)

    @freeze_time("2026-03-11")
    def test_money_minimum_is_compared_with_the_net(self):
        self.policy.minimum_amount = 200.0
        self._dunning_invoice(300.0, "2026-03-01")
        self._dunning_invoice(200.0, "2026-02-25", move_type="out_refund")
        self._dunning_invoice(300.0, "2026-03-01", partner=self.customer_2)
        run = self._run()
        line = self._line(run)
        self.assertEqual((line.state, line.skip_reason), ("skipped", "minimum"))
        self.assertAlmostEqual(line.amount, 100.0)
        self.assertFalse(self._mails())
        self.assertEqual(self._line(run, self.customer_2).state, "done")

    @freeze_time("2026-03-11")
    def test_money_net_per_currency_a_credit_is_not_set_against_another_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        self._dunning_invoice(1000.0, "2026-03-01", currency=eur)  # 500.00 USD
        usd_invoice = self._dunning_invoice(100.0, "2026-03-01")
        refund = self._dunning_invoice(300.0, "2026-02-20", move_type="out_refund")
        run = self._run()
        line = self._line(run)
        # Company currency: the EUR debt (500.00); the USD credit covers the USD invoice and
        # the rest of it is in the customer's favour, not set against the EUR debt.
        self.assertAlmostEqual(line.amount, 500.0)
        self.assertEqual(line.state, "done")
        event = self._email_event(run)
        totals = {total["currency"].name: total for total in event._get_totals()}
        self.assertEqual((totals["EUR"]["amount"], totals["EUR"]["credits"]), (1000.0, 0.0))
        self.assertEqual((totals["USD"]["amount"], totals["USD"]["credit_balance"]), (0.0, 200.0))
        body = self._sent_body()
        self.assertIn("Total EUR", body)
        self.assertIn("Balance in your favour USD", body)
        self.assertNotIn("Net balance due USD", body)
        self.assertIn(refund.name, body)
        self.assertIn(usd_invoice.name, body)
        self.assertIn("1,000.00", line.amount_by_currency)
        self.assertIn("USD: credit of", line.amount_by_currency)

    @freeze_time("2026-03-11")
    def test_money_no_debt_when_credits_cover_the_invoices_asked_for(self):
        # The receivable is positive (a disputed invoice) but the invoices asked for
        # are covered by the credits: nothing to ask.
        self._dunning_invoice(5000.0, "2026-03-01")._dunning_set_stage("dispute")
        self._dunning_invoice(300.0, "2026-03-01")
        self._dunning_invoice(500.0, "2026-02-20", move_type="out_refund")
        run = self._run()
        line = self._line(run)
        self.assertEqual((line.state, line.skip_reason), ("skipped", "no_debt"))
        self.assertFalse(self._mails())

    @freeze_time("2026-03-11")
    def test_money_credit_applied_between_preview_and_execution(self):
        invoice = self._dunning_invoice(1000.0, "2026-03-01")
        refund = self._dunning_invoice(900.0, "2026-02-20", move_type="out_refund")
        run = self.env["dunning.run"].create({})
        run.action_preview()
        self.assertAlmostEqual(self._line(run).amount, 100.0)
        (self._receivable(invoice) | self._receivable(refund)).reconcile()
        run.action_execute()
        event = self._email_event(run)
        self.assertFalse(event.credit_line_ids)
        self.assertAlmostEqual(event.amount_residual, 100.0)
        body = self._sent_body()
        self.assertNotIn(refund.name, body)
        self.assertIn("Total USD", body)

    @freeze_time("2026-04-01")
    def test_money_letter_lists_the_credits_and_asks_the_net(self):
        invoice = self._dunning_invoice(700.0, "2026-03-01")
        invoice.dunning_level_id = self.levels[3]
        invoice.dunning_last_date = date(2026, 3, 16)
        refund = self._dunning_invoice(200.0, "2026-03-20", move_type="out_refund")
        run = self._run()
        letter = run.event_ids.filtered(lambda e: e.channel == "letter")
        content = _text(letter.attachment_id.raw.decode())
        self.assertIn(invoice.name, content)
        self.assertIn(refund.name, content)
        self.assertIn("Credit notes and payments not yet applied", content)
        self.assertIn("500.00", content)
        self.assertEqual(letter.credit_line_ids, self._receivable(refund))
        # The collector's call script shows the credits too.
        call = run.event_ids.filtered(lambda e: e.channel == "call")
        script = _text(call._call_script())
        self.assertIn(refund.name, script)
        self.assertIn("500.00", script)

    # --------------------------------------------------------------- wording

    def _render(self, template, event):
        rendered = template._generate_template(event.ids, ("subject", "body_html"))[event.id]
        return _text(rendered["subject"] + " " + rendered["body_html"]).lower()

    def _assert_not_overdue(self, text, what):
        for word in OVERDUE_WORDS:
            self.assertNotRegex(text, rf"\b{word}\b", f"{what} says {word!r}")

    def test_money_wording_friendly_and_due_today_never_say_overdue(self):
        # Issued a month before: courtesy reminders go from the day after the issue.
        self._dunning_invoice(1000.0, "2026-03-10", invoice_date=date(2026, 2, 8))
        friendly = self.env.ref(T + "friendly")
        due = self.env.ref(T + "due")
        with freeze_time("2026-03-07"):
            event = self._email_event(self._run())
        self.assertEqual(event.level_id.mail_template_id, friendly)
        self._assert_not_overdue(self._sent_body().lower(), "the friendly email sent")
        for template in friendly | due:
            self._assert_not_overdue(self._render(template, event), template.name)
        self.assertEqual(event._get_due_state(), "upcoming")
        # On the due date, a message that lists only today's invoice.
        with freeze_time("2026-03-10"):
            event = self._email_event(self._run())
        self.assertEqual(event.level_id.mail_template_id, due)
        self._assert_not_overdue(self._sent_body().lower(), "the due-today email sent")
        for template in friendly | due:
            self._assert_not_overdue(self._render(template, event), template.name)
        self.assertEqual(event._get_due_state(), "today")
        # A week later, the polite reminder says the payment is missing.
        with freeze_time("2026-03-17"):
            event = self._email_event(self._run())
        polite = self.env.ref(T + "polite")
        self.assertEqual(event.level_id.mail_template_id, polite)
        self.assertEqual(event._get_due_state(), "overdue")
        text = self._render(polite, event)
        self.assertIn("our records do not show your payment", text)
        self.assertIn("days overdue", text)

    # ------------------------------------------------------------- installments

    def _installment_invoice(self, amount, invoice_date, first_days=0):
        term = self.env["account.payment.term"].create(
            {
                "name": "Half now, half in 30 days",
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 50.0, "nb_days": first_days}
                    ),
                    Command.create(
                        {"value": "percent", "value_amount": 50.0, "nb_days": first_days + 30}
                    ),
                ],
            }
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": invoice_date,
                "invoice_payment_term_id": term.id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Services", "quantity": 1, "price_unit": amount, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.action_post()
        self.assertEqual(len(self._receivable(invoice)), 2)
        return invoice

    def test_money_installments_only_the_part_due_is_asked(self):
        invoice = self._installment_invoice(1000.0, date(2026, 3, 11))
        self.assertEqual(invoice.invoice_date_due, date(2026, 4, 10))  # Odoo: the last one
        with freeze_time("2026-03-18"):
            self.assertEqual(invoice.dunning_days_overdue, 7)
            run = self._run()
        # Days overdue from the first open installment: the polite level (+7).
        self.assertEqual(invoice.dunning_level_id, self.levels[2])
        line = self._line(run)
        self.assertAlmostEqual(line.amount, 500.0)
        event = self._email_event(run)
        self.assertAlmostEqual(event.amount_residual, 500.0)
        [row] = event._get_invoice_rows()
        self.assertEqual((row["date_due"], row["days_overdue"]), (date(2026, 3, 11), 7))
        self.assertEqual((row["amount_due"], row["residual"]), (500.0, 1000.0))
        self.assertEqual(row["upcoming"], [{"date": date(2026, 4, 10), "amount": 500.0}])
        [total] = event._get_totals()
        self.assertEqual(total["amount"], 500.0)
        body = self._sent_body()
        self.assertIn("then $ 500.00 due on 04/10/2026", body.replace("\xa0", " "))
        self.assertIn("Total USD", body)
        # The whole invoice is the customer's balance, shown apart, not asked for.
        self.assertRegex(
            body.replace("\xa0", " "),
            r"Total USD </td> <td[^>]*>\$ 500\.00</td>.*Balance of your account USD.*\$ 1,000\.00",
        )
        # The first installment paid: nothing is overdue until the second falls due.
        self._dunning_pay(invoice, 500.0, pay_date=date(2026, 3, 20))
        with freeze_time("2026-03-25"):
            self.assertEqual(invoice.dunning_days_overdue, -16)
            run = self._run()
        self.assertFalse(self._line(run))

    def test_money_installment_reminder_before_due_asks_the_first_part(self):
        # Issued on 28 February, half due on 10 March (no courtesy reminder before the
        # invoice's own date), half on 9 April.
        invoice = self._installment_invoice(1000.0, date(2026, 2, 28), first_days=10)
        with freeze_time("2026-03-07"):
            run = self._run()
        self.assertEqual(invoice.dunning_level_id, self.levels[0])
        self.assertAlmostEqual(self._line(run).amount, 500.0)
        [row] = self._email_event(run)._get_invoice_rows()
        self.assertEqual((row["amount_due"], row["days_overdue"]), (500.0, -3))
        self.assertEqual(row["upcoming"], [{"date": date(2026, 4, 9), "amount": 500.0}])
