from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged

from .common import DunningRunCommon


@tagged("post_install", "-at_install")
class TestDispute(DunningRunCommon):
    """A disputed invoice leaves the ladder; the customer's others are still reminded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.by_delay = {level.delay_days: level for level in cls.levels}
        cls.inv_disputed = cls._dunning_invoice(1000.0, "2026-03-01")
        cls.inv_other = cls._dunning_invoice(500.0, "2026-03-01")
        cls.reason = cls.env.ref("account_dunning.dispute_reason_price")

    def _dispute(self, **values):
        return self.env["dunning.dispute"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(self.inv_disputed.ids)],
                "reason_id": self.reason.id,
                "date_expected": date(2026, 3, 20),
                **values,
            }
        )

    def test_default_reasons(self):
        names = self.env["dunning.dispute.reason"].search([]).mapped("name")
        for name in ("Price", "Quantity", "Quality", "Not received", "Already paid", "Other"):
            self.assertIn(name, names)

    def test_dispute_pauses_its_invoice_only_then_reject_resumes_at_same_level(self):
        # Opened the day before: its confirmation is that day's message to the customer.
        with freeze_time("2026-03-08"):
            dispute = self._dispute()
        with freeze_time("2026-03-09"):
            self.assertEqual(self.inv_disputed.dunning_stage, "dispute")
            run = self._run()
            email = run.event_ids.filtered(lambda e: e.channel == "email")
            # The other invoice is reminded; the message does not list the disputed one.
            self.assertEqual(email.move_ids, self.inv_other)
            self.assertNotIn(self.inv_disputed.name, self._mails().body_html)
            self.assertFalse(self.inv_disputed.dunning_level_id)
        with freeze_time("2026-03-21"):
            self._run()
            activities = dispute.activity_ids
            self.assertEqual(len(activities), 1)
            self.assertEqual(activities.user_id, dispute.user_id)
        with freeze_time("2026-03-22"):
            self._run()
            self.assertEqual(len(dispute.activity_ids), 1)  # idempotent
            dispute.action_reject()
            self.assertEqual(dispute.state, "rejected")
            self.assertEqual(self.inv_disputed.dunning_stage, "normal")
            self.assertFalse(self.inv_disputed.dunning_level_id)  # same level as before
        # Once the minimum delay since the other invoice's +15 (21 March) has passed.
        with freeze_time("2026-03-24"):
            run = self._run()
            self.assertIn(self.inv_disputed, run.event_ids.move_ids)

    def test_accept_opens_the_credit_note_wizard(self):
        with freeze_time("2026-03-09"):
            dispute = self._dispute()
            action = dispute.action_accept()
            self.assertEqual(action["res_model"], "account.move.reversal")
            # Nothing is settled until the credit note is posted.
            self.assertEqual(dispute.state, "open")
            self.assertEqual(self.inv_disputed.dunning_stage, "dispute")
            reversal = (
                self.env["account.move.reversal"]
                .with_context(**action["context"])
                .create({"journal_id": self.inv_disputed.journal_id.id})
            )
            self.assertEqual(reversal.move_ids, self.inv_disputed)
            reversal.refund_moves()
            # Partial acceptance: the draft credit note is edited down before posting.
            credit_note = reversal.new_move_ids
            credit_note.invoice_line_ids.price_unit = 200.0
            self.assertEqual(credit_note.state, "draft")
            self.assertEqual(dispute.state, "open", "a draft credit note settles nothing")
            self.assertEqual(self.inv_disputed.dunning_stage, "dispute")
            run = self._run()
            self.assertNotIn(self.inv_disputed, run.line_ids.move_ids, "still out of the ladder")
        with freeze_time("2026-03-10"):
            credit_note.action_post()
            self.assertEqual(dispute.state, "accepted")
            self.assertEqual(dispute.date_end, date(2026, 3, 10))
            self.assertEqual(self.inv_disputed.dunning_stage, "normal")
            self.assertIn(credit_note.name, dispute.event_ids[-1:].reason)
            (credit_note | self.inv_disputed).line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            ).reconcile()
            self.assertEqual(self.inv_disputed.amount_residual, 800.0)
        # The rest is chased again at its level, for what is left.
        with freeze_time("2026-03-16"):
            run = self._run()
            email = run.event_ids.filtered(lambda e: e.channel == "email")
            self.assertIn(self.inv_disputed, email.move_ids)
            row = next(r for r in email._get_invoice_rows() if r["move"] == self.inv_disputed)
            self.assertEqual(row["amount_due"], 800.0)

    def test_cannot_dispute_twice(self):
        self._dispute()
        with self.assertRaises(UserError):
            self._dispute()
