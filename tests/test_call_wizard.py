from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import DunningRunCommon


@tagged("post_install", "-at_install")
class TestCallWizard(DunningRunCommon):
    """'Log call' on a collections call: outcome logged, activity done, next step."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._dunning_invoice(1000.0, "2026-02-01")
        cls.call_type = cls.env.ref("account_dunning.mail_activity_type_dunning_call")

    def _call_activity(self, day):
        return self.env["dunning.engine"]._schedule(
            self.customer, "Collections call", "", self.collector, day, activity_type=self.call_type
        )

    def _log(self, activity, outcome, env=None, **values):
        env = env or self.env
        action = activity.with_env(env).action_dunning_log_call()
        wizard = (
            env["dunning.call.wizard"]
            .with_context(**action["context"])
            .create({"outcome": outcome, "note": "Spoke to Paula", **values})
        )
        return wizard, wizard.action_confirm()

    def _call_events(self):
        return self.env["dunning.event"].search(
            [("partner_id", "=", self.customer.id), ("call_outcome", "!=", False)], order="id"
        )

    @freeze_time("2026-03-02")
    def test_reached_logs_the_call_and_marks_the_activity_done(self):
        activity = self._call_activity(date(2026, 3, 2))
        self.assertTrue(activity.dunning_is_call)
        self._log(activity, "reached")
        self.assertFalse(activity.exists() and activity.active)
        event = self._call_events()
        self.assertEqual(event.channel, "call")
        self.assertEqual(event.call_outcome, "reached")
        self.assertIn("Spoke to Paula", event.reason)
        self.assertEqual(event.move_ids, self.invoice)
        self.assertFalse(self._calls())  # a conversation: no new attempt

    def test_no_answer_caps_hold_over_a_simulated_week(self):
        self.policy.call_max_attempts_7d = 3
        day = date(2026, 3, 2)  # a Monday
        attempts = []
        self._call_activity(day)
        for index in range(6):
            with freeze_time(day):
                activity = self._calls()
                self.assertEqual(len(activity), 1)
                self.assertEqual(activity.date_deadline, day)
                self._log(activity, "no_answer" if index % 2 else "left_message")
                attempts.append(day)
                day = self._calls().date_deadline
        # Monday to Wednesday, then the next Monday once the first call leaves the window.
        self.assertEqual(
            attempts,
            [date(2026, 3, d) for d in (2, 3, 4, 9, 10, 11)],
        )
        for start in (date(2026, 3, 1) + timedelta(days=n) for n in range(14)):
            days = self._call_events().mapped("date")
            window = [d for d in days if start <= d < start + timedelta(days=7)]
            self.assertLessEqual(len(window), 3)

    def test_no_attempt_within_quiet_days_after_a_conversation(self):
        with freeze_time("2026-03-02"):
            self._log(self._call_activity(date(2026, 3, 2)), "reached")
        with freeze_time("2026-03-03"):
            self._log(self._call_activity(date(2026, 3, 3)), "no_answer")
            self.assertEqual(self._calls().date_deadline, date(2026, 3, 10))

    @freeze_time("2026-03-02")
    def test_wrong_number_opens_fix_contact(self):
        _wizard, action = self._log(self._call_activity(date(2026, 3, 2)), "wrong_number")
        self.assertEqual(action["res_model"], "res.partner")
        tasks = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertTrue(any("Fix contact" in (t.summary or "") for t in tasks))
        # Once only.
        self._log(self._call_activity(date(2026, 3, 2)), "wrong_number")
        tasks = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id),
             ("summary", "ilike", "Fix contact")]
        )  # fmt: skip
        self.assertEqual(len(tasks), 1)

    @freeze_time("2026-03-02")
    def test_promised_creates_a_promise(self):
        _wizard, action = self._log(
            self._call_activity(date(2026, 3, 2)),
            "promised",
            promise_date=date(2026, 3, 10),
            promise_amount=600.0,
        )
        promise = self.env["dunning.promise"].browse(action["res_id"])
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.amount, 600.0)
        self.assertEqual(promise.call_event_id, self._call_events())
        self.assertEqual(self.invoice.dunning_stage, "promised")

    @freeze_time("2026-03-02")
    def test_disputed_opens_the_dispute_form_and_plan_the_plan_wizard(self):
        _wizard, action = self._log(self._call_activity(date(2026, 3, 2)), "disputed")
        self.assertEqual(action["res_model"], "dunning.dispute")
        self.assertEqual(action["context"]["default_move_ids"], self.invoice.ids)
        self.assertEqual(action["context"]["default_note"], "Spoke to Paula")
        _wizard, action = self._log(self._call_activity(date(2026, 3, 2)), "plan_requested")
        self.assertEqual(action["res_model"], "dunning.payment.plan.wizard")
        self.assertEqual(action["context"]["active_ids"], self.invoice.ids)

    @freeze_time("2026-03-02")
    def test_from_the_customer_and_the_activity_action(self):
        action = self.customer.action_dunning_log_call()
        self.assertEqual(action["res_model"], "dunning.call.wizard")
        activity = self._call_activity(date(2026, 3, 2))
        wizard = (
            self.env["dunning.call.wizard"]
            .with_context(active_model="mail.activity", active_id=activity.id)
            .create({"outcome": "reached"})
        )
        self.assertEqual(wizard.partner_id, self.customer)
        self.assertEqual(wizard.activity_id, activity)
        # Over RPC, the activity alone (the public contract) gives the customer.
        wizard = self.env["dunning.call.wizard"].create(
            {"activity_id": activity.id, "outcome": "reached"}
        )
        self.assertEqual(wizard.partner_id, self.customer)


@tagged("post_install", "-at_install")
class TestCollectorFlowsAsUser(DunningRunCommon):
    """A plain collections user does each flow, and cannot set a stage by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._dunning_invoice(1000.0, "2026-02-01")
        cls.user = new_test_user(
            cls.env,
            login="plain_collector",
            groups="account_dunning.group_dunning_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    @freeze_time("2026-03-02")
    def test_each_flow_as_a_collections_user(self):
        env = self.env(user=self.user)
        invoice = self.invoice.with_env(env)
        with self.assertRaises(AccessError):
            invoice.write({"dunning_stage": "dispute"})
        # Call -> promise.
        action = self.customer.with_env(env).action_dunning_log_call()
        wizard = (
            env["dunning.call.wizard"]
            .with_context(**action["context"])
            .create(
                {"outcome": "promised", "promise_date": date(2026, 3, 9), "promise_amount": 500.0}
            )
        )
        promise = env["dunning.promise"].browse(wizard.action_confirm()["res_id"])
        self.assertEqual(invoice.dunning_stage, "promised")
        promise.action_cancel()
        self.assertEqual(invoice.dunning_stage, "normal")
        # Dispute, then rejected.
        dispute = env["dunning.dispute"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "reason_id": self.env.ref("account_dunning.dispute_reason_quality").id,
            }
        )
        self.assertEqual(invoice.dunning_stage, "dispute")
        dispute.action_reject()
        self.assertEqual(invoice.dunning_stage, "normal")
        # Manual control and postponement of the customer.
        self.customer.with_env(env).write(
            {
                "dunning_reminder_mode": "manual",
                "dunning_postpone_until": date(2026, 3, 20),
                "dunning_postpone_reason": "Customer on holiday",
            }
        )
        # A collections user cannot configure dispute reasons.
        with self.assertRaises(AccessError):
            env["dunning.dispute.reason"].create({"name": "Weather"})
