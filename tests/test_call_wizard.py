from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import Form, new_test_user, tagged

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


@tagged("post_install", "-at_install")
class TestCallSheet(DunningRunCommon):
    """What the collector sees on the phone, and one click from the call activity."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.old = cls._dunning_invoice(1000.0, "2026-02-01")
        cls.recent = cls._dunning_invoice(400.0, "2026-02-20")
        cls.not_due = cls._dunning_invoice(500.0, "2026-03-20", invoice_date=date(2026, 2, 18))
        cls.call_type = cls.env.ref("account_dunning.mail_activity_type_dunning_call")
        cls.customer.phone = "+32 2 555 00 00"

    def _wizard(self, env, **values):
        action = self.customer.with_env(env).action_dunning_log_call()
        return env["dunning.call.wizard"].with_context(**action["context"]).create(values)

    @freeze_time("2026-03-02")
    def test_phone_amounts_script_and_last_contacts(self):
        # Called before, without an answer.
        env = self.env(user=self.collector)
        earlier = self._wizard(env, outcome="no_answer", note="Nobody at the desk")
        earlier.action_confirm()
        wizard = self._wizard(env, outcome="reached")
        # The AP contact has no phone: the customer's number, as an SMS would dial.
        self.assertEqual(wizard.contact_id, self.ap_contact)
        self.assertEqual(wizard.phone, "+32 2 555 00 00")
        # From the ledger: overdue 1,400 (the invoice due on the 20th is not), net 1,900.
        self.assertIn("1,400.00", wizard.overdue_text)
        self.assertIn("1,900.00", wizard.net_text)
        self.assertEqual(wizard.level_id, self.customer.with_env(env).dunning_max_level_id)
        self.assertTrue(wizard.call_script)
        self.assertEqual(wizard.last_event_ids.mapped("call_outcome"), ["no_answer"])
        self.assertIn("Nobody at the desk", wizard.last_event_ids.reason)
        # A call the run only scheduled is no contact yet: not listed as one.
        scheduled = self.env["dunning.engine"]._log(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "channel": "call",
                "state": "done",
            }
        )
        wizard = self._wizard(env, outcome="reached")
        self.assertNotIn(scheduled, wizard.last_event_ids)
        self.assertEqual(wizard.last_event_ids.mapped("call_outcome"), ["no_answer"])

    @freeze_time("2026-03-02")
    def test_the_level_call_script_is_shown(self):
        self._run()  # the invoices climb: the customer is at a level
        env = self.env(user=self.collector)
        wizard = self._wizard(env, outcome="reached")
        level = wizard.level_id.with_env(self.env)  # a manager writes the script
        self.assertTrue(level)
        level.call_script = "<p>Ask for a payment date.</p>"
        wizard.invalidate_recordset(["call_script"])
        self.assertIn("Ask for a payment date.", wizard.call_script)
        level.call_script = False
        wizard.invalidate_recordset(["call_script"])
        # No script on the level: the default points of its tone.
        self.assertTrue(wizard.call_script)
        self.assertNotIn("Ask for a payment date.", wizard.call_script)

    @freeze_time("2026-03-02")
    def test_outcomes_keep_the_invoices_the_collector_chose(self):
        env = self.env(user=self.collector)
        action = self.customer.with_env(env).action_dunning_log_call()
        form = Form(env["dunning.call.wizard"].with_context(**action["context"]))
        form.outcome = "disputed"
        form.move_ids.clear()
        form.move_ids.add(self.recent)
        form.outcome = "promised"
        form.outcome = "disputed"
        self.assertEqual(form.move_ids[:], self.recent.with_env(env))
        form.note = "Wrong quantity on the second invoice"
        wizard = form.save()
        action = wizard.action_confirm()
        self.assertEqual(action["res_model"], "dunning.dispute")
        self.assertEqual(action["context"]["default_move_ids"], self.recent.ids)

    @freeze_time("2026-03-02")
    def test_a_run_call_prefills_its_own_invoices(self):
        activity = self.env["dunning.engine"]._schedule(
            self.customer, "Collections call", "", self.collector, date(2026, 3, 2),
            activity_type=self.call_type,
        )  # fmt: skip
        self.env["dunning.engine"]._log(
            {
                "company_id": self.company.id,
                "partner_id": self.customer.id,
                "move_ids": [Command.set(self.old.ids)],
                "channel": "call",
                "activity_id": activity.id,
            }
        )
        env = self.env(user=self.collector)
        action = activity.with_env(env).action_dunning_log_call()
        wizard = (
            env["dunning.call.wizard"]
            .with_context(**action["context"])
            .create({"outcome": "disputed"})
        )
        self.assertEqual(wizard.move_ids, self.old)

    def test_log_call_from_the_activity_list_and_popover(self):
        activity = self.env["dunning.engine"]._schedule(
            self.customer, "Collections call", "", self.collector, date(2026, 3, 2),
            activity_type=self.call_type,
        )  # fmt: skip
        todo = self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.customer.id,
                "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                "user_id": self.collector.id,
            }
        )

        def store(activity, user):
            data = activity.with_user(user).activity_format()["mail.activity"]
            return next(row for row in data if row["id"] == activity.id)

        self.assertTrue(store(activity, self.collector)["dunning_can_log_call"])
        self.assertFalse(store(todo, self.collector)["dunning_can_log_call"])
        employee = self._dunning_user("call_sheet_employee", "base.group_user")
        self.assertFalse(store(activity, employee)["dunning_can_log_call"])
        # The list row's button, for collections users only.
        arch = (
            self.env["mail.activity"]
            .with_user(self.collector)
            .get_view(self.env.ref("mail.mail_activity_view_tree").id)["arch"]
        )
        self.assertIn('name="action_dunning_log_call"', arch)
        action = activity.with_user(self.collector).action_dunning_log_call()
        self.assertEqual(action["res_model"], "dunning.call.wizard")
        self.assertEqual(action["context"]["default_activity_id"], activity.id)
