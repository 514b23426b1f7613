from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common_handoff import HandoffCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-04-01")
class TestHandoffGuidance(HandoffCommon):
    """The hand-off says what stops it and whether the customer was ever reached; a
    write-off lands on a page its manager can read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = new_test_user(
            cls.env, login="collector_guidance", groups="account.group_account_invoice"
        )
        cls.late_customer = cls.env["res.partner"].create(
            {"name": "Quiet Customer", "is_company": True, "email": "ap@quiet.example.com"}
        )
        with freeze_time("2026-02-01"):
            cls.late_inv = cls._dunning_invoice(900.0, "2026-02-01", partner=cls.late_customer)

    def _wizard(self, env, customer):
        return (
            env["dunning.handoff.wizard"]
            .with_context(active_model="res.partner", active_id=customer.id)
            .create({"agency_id": self.agency.id})
        )

    def test_a_collector_is_told_the_rule_that_stops_them(self):
        # No invoice of this customer reached the last step: the wizard lists them and
        # names the rule, before and on confirming.
        wizard = self._wizard(self.env(user=self.collector), self.late_customer)
        self.assertEqual(wizard.move_ids, self.late_inv)
        self.assertIn("Only a collections manager may hand off", wizard.refusal)
        with self.assertRaisesRegex(UserError, "Only a collections manager may hand off"):
            wizard.action_confirm()
        self.assertEqual(self.late_inv.dunning_stage, "normal")
        # A manager may: nothing to refuse.
        self.assertFalse(self._wizard(self.env, self.late_customer).refusal)

    def test_a_customer_with_nothing_to_hand_off_is_named(self):
        self._dunning_pay(self.late_inv, 900.0)
        wizard = self._wizard(self.env, self.late_customer)
        self.assertFalse(wizard.move_ids)
        with self.assertRaisesRegex(UserError, "Quiet Customer has no invoice to hand off"):
            wizard.action_confirm()

    def _history(self, **values):
        return self.env["dunning.engine"]._log(
            {
                "partner_id": self.late_customer.id,
                "move_ids": [Command.set(self.late_inv.ids)],
                **values,
            }
        )

    def test_warns_when_nothing_reached_the_customer(self):
        reminder = {"channel": "email", "level_id": self.levels[2].id, "is_customer_message": True}
        failed = self._history(state="failed", reason="Bounced", **reminder)
        self.assertEqual(failed.state, "failed")
        wizard = self._wizard(self.env, self.late_customer)
        self.assertIn("Nothing has reached Quiet Customer", wizard.no_contact_warning)
        # A delivered reminder: no warning.
        self._history(state="done", **reminder)
        wizard.invalidate_recordset(["no_contact_warning"])
        self.assertFalse(wizard.no_contact_warning)

    def test_an_answered_call_reached_the_customer(self):
        self._history(channel="call", state="done", call_outcome="no_answer")
        self.assertTrue(self._wizard(self.env, self.late_customer).no_contact_warning)
        self._history(channel="call", state="done", call_outcome="reached")
        self.assertFalse(self._wizard(self.env, self.late_customer).no_contact_warning)

    def test_writeoff_lands_on_the_case_or_the_invoice(self):
        case = self._handoff(self.inv1)
        wizard = (
            self.env["dunning.writeoff.wizard"]
            .with_context(active_model="account.move", active_ids=self.inv1.ids)
            .create({"reason": "Customer insolvent"})
        )
        action = wizard.action_confirm()
        self.assertEqual((action["res_model"], action["res_id"]), ("dunning.case", case.id))
        # No case: the invoice itself (its form shows the write-off; the entry's lines
        # are hidden in Invoicing-only mode).
        wizard = (
            self.env["dunning.writeoff.wizard"]
            .with_context(active_model="account.move", active_ids=self.late_inv.ids)
            .create({"reason": "Customer insolvent"})
        )
        action = wizard.action_confirm()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("account.move", self.late_inv.id)
        )
        self.assertEqual(self.late_inv.payment_state, "paid")
