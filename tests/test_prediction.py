from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import tagged

from ..tools.prediction import Summary, estimate_prior, predict
from .common import DunningCommon

TODAY = date(2026, 6, 1)


@tagged("post_install", "-at_install")
class TestPrediction(DunningCommon):
    """Predicted payment date of open invoices, from the company's paid history."""

    @classmethod
    def _paid(cls, partner, due, pay_date, amount=100.0):
        with freeze_time(due - timedelta(days=30)):
            invoice = cls._dunning_invoice(
                amount, due, partner=partner, invoice_date=due - timedelta(days=30)
            )
        with freeze_time(pay_date):
            cls._dunning_pay(invoice, amount, pay_date=pay_date)
        return invoice

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.slow = cls.env["res.partner"].create({"name": "Slow Co", "is_company": True})
        cls.prompt = cls.customer
        # Slow Co: 20, 30 and 40 days late. Acme: 0 and 4 days late, 2 days early.
        for month, late in ((1, 20), (2, 30), (3, 40)):
            due = date(2026, month, 10)
            cls._paid(cls.slow, due, due + timedelta(days=late))
        for month, late in ((1, 0), (2, 4), (3, -2)):
            due = date(2026, month, 15)
            cls._paid(cls.prompt, due, due + timedelta(days=late))
        # Paid in two parts: paid on the date of the last one (10 days late).
        with freeze_time("2026-03-01"):
            cls.split = cls._dunning_invoice(300.0, "2026-03-31", partner=cls.prompt)
        with freeze_time("2026-04-02"):
            cls._dunning_pay(cls.split, 100.0, pay_date=date(2026, 4, 2))
        with freeze_time("2026-04-10"):
            cls._dunning_pay(cls.split, 200.0, pay_date=date(2026, 4, 10))
        # Cancelled by a credit note: not a payment.
        with freeze_time("2026-02-01"):
            reversed_invoice = cls._dunning_invoice(50.0, "2026-02-01", partner=cls.prompt)
        with freeze_time("2026-05-20"):
            reversal = reversed_invoice._reverse_moves(cancel=True)
            assert reversed_invoice.payment_state == "reversed", reversal
        with freeze_time("2026-05-01"):
            cls.slow_open = cls._dunning_invoice(500.0, "2026-05-31", partner=cls.slow)
            cls.prompt_open = cls._dunning_invoice(500.0, "2026-05-31", partner=cls.prompt)
            cls.new_customer = cls.env["res.partner"].create({"name": "New Co"})
            cls.new_open = cls._dunning_invoice(500.0, "2026-06-20", partner=cls.new_customer)

    @freeze_time(TODAY)
    def test_history_reads_payment_dates(self):
        history = self.env["account.move"]._dunning_paid_history(self.company, TODAY)
        slow = history[self.slow.id]
        self.assertEqual((slow["count"], slow["mean"], slow["var"]), (3, 30.0, 100.0))
        prompt = history[self.prompt.id]
        # 0, 4, -2 and 10 (the split payment's last part); the reversal is left out.
        self.assertEqual(prompt["count"], 4)
        self.assertAlmostEqual(prompt["mean"], 3.0)
        self.assertEqual(prompt["on_time"], 2)
        self.assertNotIn(self.new_customer.id, history)

    @freeze_time(TODAY)
    def test_predicted_dates_shrink_toward_the_company(self):
        prior = estimate_prior([Summary.of([20, 30, 40]), Summary.of([0, 4, -2, 10])])
        self.assertAlmostEqual(prior.mean, (90 + 12) / 7)
        # Not yet due: the customer's estimate, between its mean and the company's.
        new = predict(Summary(0), prior, days_past_due=-19)
        self.assertEqual(
            self.new_open.dunning_predicted_date,
            date(2026, 6, 20) + timedelta(days=round(new.days)),
        )
        slow = predict(Summary.of([20, 30, 40]), prior, days_past_due=1)
        self.assertEqual(
            self.slow_open.dunning_predicted_date,
            date(2026, 5, 31) + timedelta(days=round(slow.days)),
        )
        self.assertLess(
            self.prompt_open.dunning_predicted_date, self.slow_open.dunning_predicted_date
        )
        for move in self.slow_open | self.prompt_open | self.new_open:
            # An open invoice is not predicted to be paid before today.
            self.assertGreaterEqual(move.dunning_predicted_date_low, TODAY)
            self.assertLessEqual(move.dunning_predicted_date_low, move.dunning_predicted_date)
            self.assertLessEqual(move.dunning_predicted_date, move.dunning_predicted_date_high)
        self.assertFalse(self.split.dunning_predicted_date)  # paid: nothing to predict

    @freeze_time(TODAY)
    def test_no_date_while_a_decision_is_pending(self):
        self.assertTrue(self.slow_open.dunning_predicted_date)
        self.env["dunning.dispute"].create(
            {
                "partner_id": self.slow.id,
                "move_ids": [Command.set(self.slow_open.ids)],
                "reason_id": self.env["dunning.dispute.reason"].search([], limit=1).id,
            }
        )
        self.prompt_open._dunning_set_stage("agency")
        for move in self.slow_open | self.prompt_open:
            self.assertFalse(move.dunning_predicted_date, move.dunning_stage)
            self.assertFalse(move.dunning_predicted_date_low)
        self.assertEqual(self.slow_open.dunning_prediction_note, "No date: Disputed")
        self.assertEqual(self.prompt_open.dunning_prediction_note, "No date: At Agency")
        self.assertTrue(self.new_open.dunning_predicted_date, "the others keep theirs")

    @freeze_time(TODAY)
    def test_only_collections_users_read_the_prediction(self):
        outsider = self.env["res.users"].create(
            {
                "name": "Sam Sales",
                "login": "sam_sales_prediction",
                "group_ids": [Command.set(self.env.ref("account.group_account_readonly").ids)],
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
            }
        )
        # The readonly accountant reads the invoice, not the collections estimate.
        self.assertEqual(self.slow_open.with_user(outsider).amount_residual, 500.0)
        with self.assertRaises(AccessError):
            _ = self.slow_open.with_user(outsider).dunning_predicted_date

    def test_no_history_says_so_instead_of_a_date(self):
        company = self.setup_other_company(name="Fresh Start Ltd")["company"]
        collector = self._dunning_user(
            "prediction_collector", "account.group_account_invoice", company=company
        )
        customer = self.env["res.partner"].create({"name": "First Customer", "is_company": True})

        def invoice(due, invoice_date):
            with freeze_time(invoice_date):
                return self._dunning_invoice(
                    100.0, due, partner=customer, invoice_date=invoice_date,
                    company_id=company.id, journal_id=self.env["account.journal"].search(
                        [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
                    ).id,
                )  # fmt: skip

        def seen(move):
            move = move.with_user(collector).with_company(company)
            move.invalidate_recordset()
            return move.dunning_predicted_date, move.dunning_prediction_note

        open_invoice = invoice(date(2026, 5, 1), date(2026, 4, 1))
        with freeze_time(TODAY):  # a month overdue, nothing paid ever in the company
            self.assertEqual(seen(open_invoice), (False, "Not enough payment history"))
        for month in (1, 2):
            paid = invoice(date(2026, month, 10), date(2026, month, 1))
            with freeze_time(date(2026, month, 15)):
                self._dunning_pay(paid, 100.0, pay_date=date(2026, month, 15))
        with freeze_time(TODAY):
            self.assertEqual(seen(open_invoice)[1], "Not enough payment history")
        paid = invoice(date(2026, 3, 10), date(2026, 3, 1))
        with freeze_time(date(2026, 3, 15)):
            self._dunning_pay(paid, 100.0, pay_date=date(2026, 3, 15))
        with freeze_time(TODAY):
            predicted, note = seen(open_invoice)
            self.assertFalse(note)
            self.assertGreaterEqual(predicted, TODAY)
