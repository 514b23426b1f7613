from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common_handoff import HandoffCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-04-01")
class TestWriteoff(HandoffCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receivable = cls.company_data["default_account_receivable"]

    def _lines(self, entry):
        bad_debt = entry.line_ids.filtered(lambda line: line.account_id == self.bad_debt_account)
        receivable = entry.line_ids - bad_debt
        return bad_debt, receivable

    def test_no_future_writeoff_and_no_archived_agency(self):
        with self.assertRaisesRegex(UserError, "not in the future"):
            self._writeoff(self.inv1, date=date(2099, 1, 1))
        self.assertEqual(self.inv1.payment_state, "not_paid")
        self.agency.action_archive()
        with self.assertRaisesRegex(UserError, "archived"):
            self._handoff(self.inv1)
        self.assertFalse(self.inv1.dunning_case_ids)

    def test_full_writeoff_closes_the_invoice_and_the_case(self):
        case = self._handoff(self.inv1)
        entry = self._writeoff(self.inv1)
        self.assertEqual(len(entry), 1)
        self.assertEqual(entry.state, "posted")
        self.assertEqual(entry.journal_id, self.company_data["default_journal_misc"])
        self.assertEqual(entry.date, date(2026, 4, 1))
        bad_debt, receivable = self._lines(entry)
        self.assertEqual((bad_debt.debit, bad_debt.credit), (1000.0, 0.0))
        self.assertEqual((receivable.debit, receivable.credit), (0.0, 1000.0))
        self.assertEqual(receivable.account_id, self.receivable)
        self.assertEqual(receivable.partner_id, self.customer)
        self.assertTrue(receivable.reconciled)
        self.assertEqual(sum(entry.line_ids.mapped("balance")), 0.0)
        self.assertEqual(self.inv1.payment_state, "paid")
        self.assertEqual(self.inv1.amount_residual, 0.0)
        self.assertEqual(self.inv1.dunning_stage, "written_off")
        self.assertEqual(entry.dunning_writeoff_case_id, case)
        self.assertEqual(case.amount_written_off, 1000.0)
        self.assertEqual(case.state, "closed")
        self.assertFalse(case.recovery_ids, "a write-off is not a recovery")
        self.assertFalse(case.commission_bill_ids)
        event = self.inv1.dunning_event_ids.sorted("id")[-1]
        self.assertEqual(event.channel, "note")
        self.assertEqual(event.amount_residual, 1000.0)
        self.assertIn("Customer insolvent", event.reason)
        self.assertIn(entry.name, event.reason)
        self.assertEqual(entry.dunning_writeoff_event_id, event)

    def test_partial_writeoff_leaves_the_rest_open(self):
        entry = self._writeoff(self.inv2, amount=200.0)
        bad_debt, receivable = self._lines(entry)
        self.assertEqual(bad_debt.debit, 200.0)
        self.assertEqual(receivable.credit, 200.0)
        self.assertEqual(self.inv2.amount_residual, 300.0)
        self.assertEqual(self.inv2.payment_state, "partial")
        self.assertEqual(self.inv2.dunning_stage, "normal")
        self.assertTrue(self.inv2._dunning_is_chasable())

    def test_foreign_currency_writeoff_in_invoice_currency_at_todays_rate(self):
        eur = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0), ("2026-03-01", 4.0)])
        invoice = self._dunning_invoice(400.0, "2026-02-05", currency=eur)
        self.assertEqual(invoice.amount_residual_signed, 200.0)  # booked at 2 EUR per unit
        entry = self._writeoff(invoice)
        self.assertEqual(entry.currency_id, eur)
        bad_debt, receivable = self._lines(entry)
        self.assertEqual((bad_debt.currency_id, bad_debt.amount_currency), (eur, 400.0))
        self.assertEqual((receivable.currency_id, receivable.amount_currency), (eur, -400.0))
        # 400 EUR is worth 100 in company currency on the write-off date (4 EUR per unit);
        # the 100 of rate difference since the invoice is an exchange difference.
        self.assertEqual(bad_debt.debit, 100.0)
        self.assertEqual(receivable.credit, 100.0)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(invoice.dunning_stage, "written_off")
        invoice_line = invoice.line_ids.filtered(lambda line: line.account_id == self.receivable)
        self.assertTrue(invoice_line.reconciled)
        self.assertEqual(invoice_line.amount_residual, 0.0)
        exchange = invoice_line.matched_credit_ids.exchange_move_id | (
            receivable.matched_debit_ids.exchange_move_id
        )
        exchange_receivable = exchange.line_ids.filtered(
            lambda line: line.account_id == self.receivable
        )
        self.assertEqual(sum(exchange_receivable.mapped("balance")), -100.0)

    def test_foreign_currency_partial_writeoff(self):
        eur = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0), ("2026-03-01", 4.0)])
        invoice = self._dunning_invoice(400.0, "2026-02-05", currency=eur)
        entry = self._writeoff(invoice, amount=100.0)
        bad_debt, _receivable = self._lines(entry)
        self.assertEqual((bad_debt.amount_currency, bad_debt.debit), (100.0, 25.0))
        self.assertEqual(invoice.amount_residual, 300.0)
        self.assertEqual(invoice.payment_state, "partial")

    def test_writeoff_of_several_invoices_and_configured_journal(self):
        journal = self.env["account.journal"].create(
            {"name": "Bad debts", "code": "BADD", "type": "general"}
        )
        self.company.dunning_writeoff_journal_id = journal
        entries = self._writeoff(self.inv1 | self.inv2)
        self.assertEqual(len(entries), 2)
        self.assertEqual(entries.journal_id, journal)
        self.assertEqual(entries.dunning_writeoff_invoice_id, self.inv1 | self.inv2)
        self.assertEqual(set((self.inv1 | self.inv2).mapped("payment_state")), {"paid"})

    def test_clear_errors(self):
        self.company.dunning_bad_debt_account_id = False
        with self.assertRaisesRegex(UserError, "No bad-debt expense account is set"):
            self._writeoff(self.inv1)
        self.company.dunning_bad_debt_account_id = self.bad_debt_account
        with self.assertRaisesRegex(UserError, "at most the open amount"):
            self._writeoff(self.inv2, amount=500.01)
        with self.assertRaisesRegex(UserError, "more than zero"):
            self._writeoff(self.inv2, amount=0.0)
        self._dunning_pay(self.not_handed, 80.0)
        with self.assertRaisesRegex(UserError, "Only open posted customer invoices"):
            self._writeoff(self.not_handed)
        self.assertFalse(
            self.env["account.move"].search([("dunning_writeoff_invoice_id", "!=", False)])
        )

    def test_only_managers_write_off(self):
        user = new_test_user(self.env, login="billing_wo", groups="account.group_account_invoice")
        self.assertTrue(user.has_group("account_dunning.group_dunning_user"))
        with self.assertRaises(AccessError):
            self._writeoff(self.inv1, env=self.env(user=user))
        # Past the access rights (sudo keeps the user), the action checks the group itself.
        wizard = self.env["dunning.writeoff.wizard"].create(
            {"move_ids": [Command.set(self.inv1.ids)], "reason": "x"}
        )
        with self.assertRaisesRegex(AccessError, "Only collections managers"):
            wizard.with_user(user).sudo().action_confirm()
        self.assertEqual(self.inv1.payment_state, "not_paid")

    def test_unreconciling_a_writeoff_reopens_the_invoice_and_case(self):
        case = self._handoff(self.inv1)
        entry = self._writeoff(self.inv1)
        self.assertEqual(case.state, "closed")
        entry.line_ids.remove_move_reconcile()
        entry.button_draft()
        self.assertEqual(self.inv1.payment_state, "not_paid")
        self.assertEqual(self.inv1.dunning_stage, "agency")
        self.assertEqual(case.state, "open")
        self.assertEqual(case.amount_written_off, 0.0)

    def test_settings_set_the_company_accounts(self):
        account = self.bad_debt_account.copy({"code": "658200"})
        settings = self.env["res.config.settings"].create(
            {"dunning_bad_debt_account_id": account.id}
        )
        settings.execute()
        self.assertEqual(self.company.dunning_bad_debt_account_id, account)
