from datetime import date

from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-03-01")
class TestPartnerFigures(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_currency = cls.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        cls.contact = cls.env["res.partner"].create(
            {"name": "Ann Payables", "parent_id": cls.customer.id, "type": "invoice"}
        )
        cls.late = cls._dunning_invoice(1000.0, "2026-01-31")  # 29 days overdue
        cls._dunning_pay(cls.late, 300.0, pay_date=date(2026, 2, 10))
        cls.not_due = cls._dunning_invoice(500.0, "2026-03-10", invoice_date=date(2026, 2, 8))
        cls.foreign = cls._dunning_invoice(400.0, "2026-02-20", currency=cls.other_currency)
        # A standalone credit note, not reconciled with any invoice yet.
        cls.refund = cls._dunning_invoice(200.0, "2026-02-15", move_type="out_refund")

    def test_amounts_net_of_partial_payment_credit_note_and_currency(self):
        self.assertEqual(self.late.amount_residual, 700.0)
        self.assertEqual(self.foreign.amount_residual_signed, 200.0)  # 400 EUR at 2.0
        partner = self.customer
        self.assertEqual(partner.dunning_currency_id, self.company.currency_id)
        # Overdue: 700 left on the late invoice + 200 (foreign, in company currency)
        # - 200 credit note, which is immediately due; the not-due invoice is excluded.
        self.assertAlmostEqual(partner.dunning_overdue_amount, 700.0)
        self.assertAlmostEqual(partner.dunning_balance, 700.0 + 500.0 + 200.0 - 200.0)
        self.assertEqual(partner.dunning_oldest_overdue_days, 29)
        # A contact of the customer shows the customer's figures.
        self.assertAlmostEqual(self.contact.dunning_overdue_amount, 700.0)

    def test_days_overdue_ignores_a_net_zero_pair_of_misc_entries(self):
        """Only unpaid invoices give the age: a receivable debit offset by a credit
        posted without reconciliation (a correction in two entries) is not 20 days
        overdue, even though each line keeps its residual."""
        customer = self.env["res.partner"].create({"name": "Cedar Foods", "is_company": True})
        invoice = self._dunning_invoice(250.0, "2026-02-14", partner=customer)  # 15 days
        receivable = self.company_data["default_account_receivable"]
        misc = self.company_data["default_journal_misc"]
        for day, debit, credit in (("2026-02-09", 100.0, 0.0), ("2026-02-11", 0.0, 100.0)):
            entry = self.env["account.move"].create(
                {
                    "move_type": "entry",
                    "journal_id": misc.id,
                    "date": day,
                    "line_ids": [
                        Command.create(
                            {
                                "account_id": receivable.id,
                                "partner_id": customer.id,
                                "debit": debit,
                                "credit": credit,
                            }
                        ),
                        Command.create(
                            {
                                "account_id": self.company_data["default_account_revenue"].id,
                                "debit": credit,
                                "credit": debit,
                            }
                        ),
                    ],
                }
            )
            entry.action_post()
        self.assertEqual(invoice.amount_residual, 250.0)
        self.assertAlmostEqual(customer.dunning_overdue_amount, 250.0)
        self.assertAlmostEqual(customer.dunning_balance, 250.0)
        self.assertEqual(customer.dunning_oldest_overdue_days, 15)

    def test_paid_invoice_leaves_the_figures(self):
        self._dunning_pay(self.late, 700.0, pay_date=date(2026, 2, 27))
        self.customer.invalidate_recordset()
        # The USD credit note now goes to the USD invoice not yet due; the 400 EUR past
        # due (200.00 in company currency) stay overdue: a credit in one currency does
        # not pay a debt in another.
        self.assertAlmostEqual(self.customer.dunning_overdue_amount, 200.0)
        self.assertEqual(self.customer.dunning_oldest_overdue_days, 9)  # the foreign one

    def test_level_and_next_date(self):
        levels = self.policy.level_ids.sorted("sequence")
        self.late.write({"dunning_level_id": levels[3].id, "dunning_last_date": "2026-02-28"})
        # Next step of the late invoice: +30 after 31 Jan, but 3 days after the last step.
        self.assertEqual(self.late.dunning_next_date, date(2026, 3, 3))
        self.assertEqual(self.not_due.dunning_next_date, date(2026, 3, 7))  # -3 days
        # 9 days late and never reminded: no late courtesy reminder; the first overdue
        # level is due today, and that is the day the run acts.
        self.assertEqual(self.foreign.dunning_next_date, date(2026, 3, 1))
        self.assertFalse(self.refund.dunning_next_date)
        self.assertEqual(self.customer.dunning_max_level_id, levels[3])
        self.assertEqual(self.customer.dunning_next_date, date(2026, 3, 1))
        self.late._dunning_set_stage("dispute")
        self.assertFalse(self.late.dunning_next_date, "only normal invoices climb the ladder")

    def test_search_customers_to_follow_up(self):
        found = self.env["res.partner"].search(
            [("dunning_overdue_amount", ">", 0), ("id", "in", (self.customer | self.partner_a).ids)]
        )
        self.assertEqual(found, self.customer)
        self._dunning_pay(self.late, 700.0)
        self._dunning_pay(self.foreign, 400.0)
        found = self.env["res.partner"].search(
            [("dunning_overdue_amount", ">", 0), ("id", "=", self.customer.id)]
        )
        self.assertFalse(found)
