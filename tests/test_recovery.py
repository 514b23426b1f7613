from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common_handoff import HandoffCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-04-01")
class TestRecovery(HandoffCommon):
    def test_full_payment_at_agency_is_recovered_with_a_draft_commission_bill(self):
        case = self._handoff(self.inv1 | self.inv2)
        self._dunning_pay(self.inv1, 1000.0, pay_date=date(2026, 3, 25))
        self.assertEqual(self.inv1.dunning_stage, "recovered")
        self.assertEqual(self.inv2.dunning_stage, "agency")
        recovery = case.recovery_ids
        self.assertEqual(len(recovery), 1)
        self.assertEqual(recovery.move_id, self.inv1)
        self.assertEqual(recovery.date, date(2026, 3, 25))
        self.assertEqual((recovery.amount, recovery.commission_amount), (1000.0, 150.0))
        self.assertEqual((case.amount_recovered, case.amount_commission), (1000.0, 150.0))
        self.assertEqual(case.amount_open, 500.0)
        self.assertEqual(case.state, "open")
        bill = case.commission_bill_ids
        self.assertEqual(len(bill), 1)
        self.assertEqual(
            (bill.move_type, bill.state, bill.partner_id), ("in_invoice", "draft", self.agency)
        )
        self.assertEqual(bill.amount_total, 150.0)
        payable = bill.line_ids.filtered(lambda line: line.display_type == "payment_term")
        self.assertEqual(payable.balance, -150.0)
        self.assertEqual(recovery.bill_line_id.move_id, bill)
        self.assertIn(self.inv1.name, bill.invoice_line_ids.name)
        event = self.inv1.dunning_event_ids.sorted("id")[-1]
        self.assertEqual(event.channel, "handoff")
        self.assertIn("recovered", event.reason)

        # The last invoice paid: the case closes; the same draft bill gets the line.
        self._dunning_pay(self.inv2, 500.0, pay_date=date(2026, 3, 28))
        self.assertEqual(case.state, "closed")
        self.assertEqual(case.commission_bill_ids, bill)
        self.assertEqual(bill.amount_total, 225.0)
        self.assertEqual(len(bill.invoice_line_ids), 2)

    def test_partial_payments_stay_at_agency_until_paid(self):
        case = self._handoff(self.inv1)
        self._dunning_pay(self.inv1, 300.0)
        self.assertEqual(self.inv1.dunning_stage, "agency")
        self.assertFalse(self.inv1._dunning_is_chasable())
        self.assertEqual((case.amount_recovered, case.amount_commission), (300.0, 45.0))
        self._dunning_pay(self.inv1, 700.0)
        self.assertEqual(self.inv1.dunning_stage, "recovered")
        self.assertEqual((case.amount_recovered, case.amount_commission), (1000.0, 150.0))
        self.assertEqual(case.state, "closed")

    def test_commission_only_on_what_was_recovered_at_the_agency(self):
        self._dunning_pay(self.inv1, 200.0, pay_date=date(2026, 2, 1))  # before the hand-off
        case = self._handoff(self.inv1)
        self.assertEqual(case.amount_handed_off, 800.0)
        self._dunning_pay(self.inv1, 800.0)
        self.assertEqual(case.amount_recovered, 800.0)
        self.assertEqual(case.amount_commission, 120.0)  # 15 % of 800, not of 1000
        self.assertEqual(case.commission_bill_ids.amount_total, 120.0)

    def test_payment_with_a_writeoff_counts_only_the_money_received(self):
        case = self._handoff(self.inv1)
        self._register_payment(
            self.inv1,
            amount=900.0,
            payment_date=date(2026, 3, 30),
            payment_difference_handling="reconcile",
            writeoff_account_id=self.company_data["default_account_expense"].id,
            writeoff_label="Settlement discount",
        )
        self.assertIn(self.inv1.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.inv1.dunning_stage, "recovered")
        self.assertEqual(case.recovery_ids.amount_currency, 900.0)
        self.assertEqual((case.amount_recovered, case.amount_commission), (900.0, 135.0))

    def test_commission_rate_is_the_one_agreed_at_handoff(self):
        case = self._handoff(self.inv1)
        self.agency.dunning_agency_commission = 30.0
        self._dunning_pay(self.inv1, 1000.0)
        self.assertEqual(case.amount_commission, 150.0)

    def test_legal_recovery_has_no_commission(self):
        case = self._handoff(self.inv1, handoff_type="legal")
        self._dunning_pay(self.inv1, 1000.0)
        self.assertEqual(self.inv1.dunning_stage, "recovered")
        self.assertEqual(case.amount_recovered, 1000.0)
        self.assertEqual(case.amount_commission, 0.0)
        self.assertFalse(case.commission_bill_ids)

    def test_credit_note_is_not_a_recovery(self):
        case = self._handoff(self.inv1)
        refund = self._dunning_invoice(100.0, "2026-03-30", move_type="out_refund")
        lines = (self.inv1 | refund).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        lines.reconcile()
        self.assertEqual(self.inv1.amount_residual, 900.0)
        self.assertFalse(case.recovery_ids)
        self.assertEqual(case.amount_open, 900.0)

    def test_payment_outside_any_case_changes_nothing(self):
        self._dunning_pay(self.inv1, 1000.0)
        self.assertEqual(self.inv1.dunning_stage, "normal")
        self.assertFalse(self.env["dunning.case.recovery"].search([("move_id", "=", self.inv1.id)]))
        case = self._handoff(self.inv2)
        case.action_return_to_normal()
        self._dunning_pay(self.inv2, 500.0)
        self.assertEqual(self.inv2.dunning_stage, "normal")
        self.assertFalse(case.recovery_ids)

    def test_unreconciled_payment_is_withdrawn(self):
        case = self._handoff(self.inv1)
        payment = self._dunning_pay(self.inv1, 1000.0)
        self.assertEqual(case.state, "closed")
        payment.move_id.line_ids.remove_move_reconcile()
        self.assertFalse(case.recovery_ids)
        self.assertFalse(case.commission_bill_ids, "the draft bill with only this line is gone")
        self.assertEqual(self.inv1.dunning_stage, "agency")
        self.assertEqual(case.state, "open")
        self.assertEqual(case.amount_recovered, 0.0)

    def test_unreconciled_payment_on_a_posted_bill_is_flagged(self):
        case = self._handoff(self.inv1)
        payment = self._dunning_pay(self.inv1, 1000.0)
        bill = case.commission_bill_ids
        bill.invoice_date = date(2026, 3, 31)
        bill.action_post()
        payment.move_id.line_ids.remove_move_reconcile()
        self.assertEqual(bill.state, "posted")
        self.assertTrue(any("credit note" in str(msg.body) for msg in case.message_ids))
        self.assertFalse(case.recovery_ids)

    def test_foreign_currency_recovery_at_the_payment_rate(self):
        eur = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0), ("2026-03-01", 4.0)])
        invoice = self._dunning_invoice(400.0, "2026-02-05", currency=eur)
        self.assertEqual(invoice.amount_residual_signed, 200.0)
        case = self._handoff(invoice)
        self.assertEqual(case.amount_handed_off, 200.0)
        self._dunning_pay(invoice, 400.0, pay_date=date(2026, 3, 20), currency=eur)
        self.assertEqual(invoice.dunning_stage, "recovered")
        recovery = case.recovery_ids
        self.assertEqual((recovery.amount_currency, recovery.currency_id), (400.0, eur))
        # 400 EUR received when 1 unit of company currency buys 4 EUR.
        self.assertEqual(recovery.amount, 100.0)
        self.assertEqual(recovery.commission_amount, 15.0)
        self.assertEqual(case.commission_bill_ids.currency_id, self.company.currency_id)
