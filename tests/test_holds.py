from contextlib import contextmanager
from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged

from .test_payment_plan_integrity import PlanIntegrityCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-03-01")
class TestHolds(PlanIntegrityCommon):
    """Promise, dispute, plan and case share one life (dunning.hold.mixin): an invoice is
    held by one open hold at a time; a new hold ends the one it supersedes with an event,
    or is refused with a message that names it."""

    def _promise(self, moves=None, amount=300.0):
        moves = moves or self.inv_old
        return self.env["dunning.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(moves.ids)],
                "amount": amount,
                "date_promised": date(2026, 3, 15),
            }
        )

    def _dispute(self, moves=None):
        moves = moves or self.inv_old
        return self.env["dunning.dispute"].create(
            {
                "partner_id": moves.commercial_partner_id.id,
                "move_ids": [Command.set(moves.ids)],
                "reason_id": self.env.ref("account_dunning.dispute_reason_price").id,
            }
        )

    @contextmanager
    def _refused(self, pattern):
        """assertRaisesRegex in a savepoint (Odoo's assertRaises), as a refused RPC call
        leaves nothing behind."""
        with self.assertRaises(UserError) as caught:
            yield
        self.assertRegex(str(caught.exception), pattern)

    def _holds(self, move):
        return [
            hold
            for holds in self.env["dunning.hold.mixin"]._dunning_open_holds(move)
            for hold in holds
        ]

    def test_hold_models_are_the_four(self):
        self.assertEqual(
            set(self.env["dunning.hold.mixin"]._dunning_hold_models()),
            {"dunning.promise", "dunning.dispute", "dunning.payment.plan", "dunning.case"},
        )

    def test_promise_then_handoff_ends_the_promise(self):
        promise = self._promise()
        self.assertEqual(self.inv_old.dunning_stage, "promised")
        case = self._handoff(self.inv_old)
        self.assertEqual(promise.state, "cancelled")
        self.assertEqual(promise.date_end, date(2026, 3, 1))
        self.assertEqual(self.inv_old.dunning_stage, "agency")
        ended = promise.event_ids.sorted("id")[-1]
        self.assertEqual(ended.channel, "promise")
        self.assertIn(case.name, ended.reason)
        self.assertEqual(self._holds(self.inv_old), [case])

    def test_plan_on_a_promised_invoice_ends_the_promise(self):
        promise = self._promise(self.invoices, amount=1500.0)
        plan = self._plan()
        self.assertEqual(promise.state, "cancelled")
        self.assertIn(plan.name, promise.event_ids.sorted("id")[-1].reason)
        self.assertEqual(set(self.invoices.mapped("dunning_stage")), {"plan"})
        self.assertEqual(self._holds(self.inv_old), [plan])

    def test_a_hold_that_cannot_supersede_is_refused_with_the_hold_named(self):
        plan = self._plan()
        with self._refused(f"already held by Payment Plan {plan.name}"):
            self._dispute()
        self.assertEqual(self.inv_old.dunning_stage, "plan")
        self.assertEqual(plan.state, "active")
        other = self.env["res.partner"].create({"name": "Birch", "is_company": True})
        invoice = self._dunning_invoice(400.0, "2026-02-01", partner=other)
        dispute = self.env["dunning.dispute"].create(
            {
                "partner_id": other.id,
                "move_ids": [Command.set(invoice.ids)],
                "reason_id": self.env.ref("account_dunning.dispute_reason_price").id,
            }
        )
        with self._refused("already held by Dispute"):
            self._handoff(invoice)
        with self._refused("already held by Dispute"):
            self._plan(invoice)
        with self._refused("already held by Dispute"):
            self._dispute(invoice)
        self.assertEqual(self._holds(invoice), [dispute])

    def test_one_delete_guard(self):
        promise = self._promise(self.inv_new)
        dispute = self._dispute(self.inv_old)
        for hold in (promise, dispute):
            with self._refused("end it through its flow"):
                hold.unlink()
        promise.action_cancel()
        with self._refused("end it through its flow"):
            promise.unlink()  # cancelled, it is history
        draft = self.env["dunning.payment.plan"].create(
            self._wizard(self.inv_new)._get_plan_values(self._wizard(self.inv_new)._get_schedule())
        )
        draft.unlink()  # a draft plan never held anything
        self.assertFalse(draft.exists())

    def test_register_payment_with_a_writeoff_does_not_complete_the_plan(self):
        """Odoo's own 'Register payment' that writes off the difference settles the
        invoices, but only the money received counts toward the plan."""
        plan = self._plan()
        self.assertEqual(plan.amount_total, 1500.0)
        with freeze_time("2026-03-10"):
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=self.invoices.ids
            ).create(
                {
                    "amount": 1400.0,
                    "group_payment": True,
                    "payment_date": date(2026, 3, 10),
                    "payment_difference_handling": "reconcile",
                    "writeoff_account_id": self.bad_debt_account.id,
                    "writeoff_label": "Goodwill",
                }
            )._create_payments()
            self.assertLessEqual(set(self.invoices.mapped("payment_state")), {"paid", "in_payment"})
            self._process("2026-03-10")
        self.assertEqual(plan.state, "cancelled", "settled otherwise: not completed")
        self.assertFalse(self._mails_to(self.ap_contact, "complete"))
        self.assertEqual(plan.amount_paid, 1400.0)
        reason = plan.event_ids.sorted("id")[-1].reason
        self.assertIn("1,400.00", reason)
        self.assertIn("1,500.00", reason)
        self.assertEqual(set(self.invoices.mapped("dunning_stage")), {"normal"})

    def test_settling_at_once_with_the_offered_discount_completes_the_plan(self):
        plan = self._plan(settlement_discount=5.0)
        self.assertEqual(plan.settlement_amount, 1425.0)
        with freeze_time("2026-03-05"):
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=self.invoices.ids
            ).create(
                {
                    "amount": 1425.0,
                    "group_payment": True,
                    "payment_date": date(2026, 3, 5),
                    "payment_difference_handling": "reconcile",
                    "writeoff_account_id": self.bad_debt_account.id,
                    "writeoff_label": "Discount for settling at once",
                }
            )._create_payments()
            self._process("2026-03-05")
        self.assertEqual(plan.state, "completed")
        self.assertEqual(len(self._mails_to(self.ap_contact, "complete")), 1)

    def test_a_credit_note_does_not_pay_an_installment(self):
        plan = self._plan()
        with freeze_time("2026-03-12"):
            reversal = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=self.inv_new.ids)
                .create({"journal_id": self.inv_new.journal_id.id, "reason": "goodwill"})
            )
            reversal.refund_moves()
            credit_note = reversal.new_move_ids
            credit_note.action_post()  # reconciled with the invoice it reverses
            self.assertEqual(self.inv_new.payment_state, "reversed")
            self._process("2026-03-12")
        first = plan.installment_ids.sorted("date_due")[0]
        self.assertEqual(first.amount_paid, 0.0, "a credit note is no money received")
        self.assertEqual(first.state, "late")
