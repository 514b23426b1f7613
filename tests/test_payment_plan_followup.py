from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common_payment_plan import PaymentPlanCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-03-01")
class TestPaymentPlanFollowup(PaymentPlanCommon):
    def _states(self, plan):
        rows = plan.installment_ids.sorted("date_due")
        return [(row.state, row.amount_paid) for row in rows]

    def test_partial_payment_then_late_then_broken(self):
        plan = self._plan()
        # 300 paid on the old invoice before the first installment: partial.
        self._dunning_pay(self.inv_old, 300.0, pay_date=date(2026, 3, 5))
        with freeze_time("2026-03-09"):
            self._process("2026-03-09")
        self.assertEqual(self._states(plan), [("partial", 300.0), ("due", 0.0), ("due", 0.0)])
        self.assertEqual(plan.amount_paid, 300.0)
        self.assertEqual(plan.amount_residual, 1200.0)
        # The day after the due date: late, and one late notice.
        with freeze_time("2026-03-11"):
            events = self._process("2026-03-11")
            self.assertEqual(self._states(plan)[0], ("late", 300.0))
            self.assertEqual(plan.amount_late, 200.0)
            self.assertEqual(len(events), 1)
            self.assertIn("Late installment notice", events.reason)
            self.assertEqual(len(self._mails_to(self.ap_contact, "installment of your")), 1)
            # Running again the same day does nothing new.
            self.assertFalse(self._process("2026-03-11"))
        # Still within the 7 days of tolerance: the plan holds, no second notice.
        with freeze_time("2026-03-17"):
            self.assertFalse(self._process("2026-03-17"))
        self.assertEqual(plan.state, "active")
        self.assertEqual(self.invoices.mapped("dunning_stage"), ["plan", "plan"])
        # Eight days late: broken.
        with freeze_time("2026-03-18"):
            events = self._process("2026-03-18")
            self.assertEqual(plan.state, "broken")
            self.assertEqual(plan.date_end, date(2026, 3, 18))
            self.assertEqual(self.invoices.mapped("dunning_stage"), ["normal", "normal"])
            # One level higher than where they were: +15 -> +30; never dunned -> +7.
            self.assertEqual(self.inv_old.dunning_level_id, self.level_by_delay[30])
            self.assertEqual(self.inv_new.dunning_level_id, self.level_by_delay[7])
            self.assertEqual(self.invoices.mapped("dunning_last_date"), [date(2026, 3, 18)] * 2)
            # Back on the ladder: the next step is due again.
            self.assertTrue(all(self.invoices.mapped("dunning_next_date")))
            self.assertEqual(len(events), 1)
            self.assertEqual(events.level_id, self.level_by_delay[30])
            self.assertEqual(events.collector_id, self.collector)
            activity = events.activity_id
            self.assertEqual(activity.user_id, self.collector)
            self.assertEqual(activity.res_id, plan.id)
            mail = self._mails_to(self.ap_contact, "has ended")
            self.assertEqual(len(mail), 1)
            self.assertEqual(events.message_id, mail.mail_message_id)
            self.assertIn("Our records do not show your payment", mail.body_html)
            # Idempotent: nothing more the same day, nor later.
            self.assertFalse(self._process("2026-03-18"))
        self.assertFalse(self._process("2026-04-30"))

    def test_top_level_stays_at_the_top(self):
        self.inv_old.dunning_level_id = self.levels[-1]
        plan = self._plan(self.inv_old, installment_count=1)
        with freeze_time("2026-03-20"):
            self._process("2026-03-20")
        self.assertEqual(plan.state, "broken")
        self.assertEqual(self.inv_old.dunning_level_id, self.levels[-1])

    def test_installments_paid_complete_the_plan(self):
        plan = self._plan()
        self._dunning_pay(self.inv_old, 500.0, pay_date=date(2026, 3, 10))
        with freeze_time("2026-03-10"):
            self.assertFalse(self._process("2026-03-10"))
        self.assertEqual(self._states(plan), [("paid", 500.0), ("due", 0.0), ("due", 0.0)])
        # Paying the second invoice counts for the next installment, oldest first.
        self._dunning_pay(self.inv_new, 500.0, pay_date=date(2026, 4, 8))
        with freeze_time("2026-04-12"):
            self._process("2026-04-12")
        self.assertEqual(self._states(plan), [("paid", 500.0), ("paid", 500.0), ("due", 0.0)])
        self._dunning_pay(self.inv_old, 500.0, pay_date=date(2026, 5, 9))
        with freeze_time("2026-05-09"):
            events = self._process("2026-05-09")
        self.assertEqual(plan.state, "completed")
        self.assertEqual(self._states(plan), [("paid", 500.0)] * 3)
        self.assertEqual(self.invoices.mapped("dunning_stage"), ["normal", "normal"])
        self.assertEqual(len(events), 1)
        self.assertIn("completed", events.reason)
        mail = self._mails_to(self.ap_contact, "thank you")
        self.assertEqual(len(mail), 1)
        self.assertIn("Thank you for keeping to our agreement", mail.body_html)

    def test_full_payment_outside_the_plan_completes_it(self):
        plan = self._plan()
        self._dunning_pay(self.inv_old, 1000.0, pay_date=date(2026, 3, 2))
        self._dunning_pay(self.inv_new, 500.0, pay_date=date(2026, 3, 2))
        with freeze_time("2026-03-03"):
            plan.action_process()
        events = plan.event_ids.filtered(lambda e: e.date == date(2026, 3, 3))
        self.assertEqual(plan.state, "completed")
        self.assertEqual(plan.amount_residual, 0.0)
        self.assertEqual(len(events), 1)
        self.assertEqual(self.invoices.mapped("dunning_stage"), ["normal", "normal"])

    def test_reminders_are_sent_once(self):
        plan = self._plan()
        # Four days before the first installment: nothing yet.
        self.assertFalse(self._process("2026-03-06"))
        with freeze_time("2026-03-07"):
            events = self._process("2026-03-07")
            self.assertEqual(len(events), 1)
            self.assertIn("Installment reminder", events.reason)
            self.assertIn("2026-03-10", events.reason)
            self.assertEqual(events.payment_plan_id, plan)
            mail = self._mails_to(self.ap_contact, "due soon")
            self.assertEqual(len(mail), 1)
            self.assertIn("500.00", mail.body_html)
            self.assertFalse(self._process("2026-03-07"))
        self.assertFalse(self._process("2026-03-08"))
        self.assertFalse(self._process("2026-03-10"))
        # Late once, then nothing until the break.
        self.assertEqual(len(self._process("2026-03-11")), 1)
        self.assertFalse(self._process("2026-03-12"))
        self.assertEqual(len(self._mails_to(self.ap_contact, "installment of your")), 1)
        first = plan.installment_ids.sorted("date_due")[0]
        self.assertEqual(first.reminder_before_date, date(2026, 3, 7))
        self.assertEqual(first.reminder_late_date, date(2026, 3, 11))

    def test_contact_without_email_is_a_failed_event(self):
        (self.ap_contact | self.customer).email = False
        self._plan()
        events = self._process("2026-03-07")
        self.assertEqual(events.state, "failed")
        self.assertIn("No email address", events.reason)
        self.assertFalse(self._process("2026-03-07"))

    def test_only_a_manager_cancels(self):
        plan = self._plan()
        user_plan = plan.with_user(self.collector)
        self.assertFalse(self.collector.has_group("account_dunning.group_dunning_manager"))
        with self.assertRaises(AccessError):
            user_plan.action_cancel()
        plan.action_cancel()
        self.assertEqual(plan.state, "cancelled")
        self.assertEqual(self.invoices.mapped("dunning_stage"), ["normal", "normal"])
        # Cancelling does not climb the ladder.
        self.assertEqual(self.inv_old.dunning_level_id, self.level_by_delay[15])
        self.assertIn("cancelled", plan.event_ids.sorted("id")[-1].reason)
        self.assertFalse(self._process("2026-03-20"))

    def test_daily_run_takes_the_current_company_only(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        self.env.user.company_ids |= company_b
        invoice_b = self._dunning_invoice(200.0, "2026-01-01", company_id=company_b.id)
        plan_b = self._plan(invoice_b.with_company(company_b), installment_count=1)
        plan_a = self._plan()
        self.assertEqual(plan_b.company_id, company_b)
        with freeze_time("2026-03-30"):
            self.env["dunning.payment.plan"].with_company(self.company)._dunning_process_plans(
                date(2026, 3, 30)
            )
        self.assertEqual(plan_a.state, "broken")
        self.assertEqual(plan_b.state, "active")

    def test_collections_user_follows_plans_without_invoice_rights(self):
        plan = self._plan()
        collector = new_test_user(
            self.env,
            login="pure_collector",
            groups="account_dunning.group_dunning_user,account.group_account_readonly",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        with freeze_time("2026-03-20"):
            plan.with_user(collector).action_process()
        self.assertEqual(plan.state, "broken")
        self.assertEqual(self.inv_old.dunning_stage, "normal")

    def test_quiet_days_cost_the_same_whatever_the_number_of_plans(self):
        customers = self.env["res.partner"].create(
            [{"name": f"Customer {i}", "email": f"c{i}@example.com"} for i in range(4)]
        )
        plans = self.env["dunning.payment.plan"]
        for customer in customers:
            moves = self._dunning_invoice(300.0, "2026-02-01", partner=customer)
            moves |= self._dunning_invoice(200.0, "2026-02-10", partner=customer)
            plans |= self._plan(moves, installment_count=2)
        self._dunning_pay(plans[0].move_ids[0], 100.0)
        plans._dunning_process_plans(date(2026, 3, 2))
        self.assertEqual(plans[0].amount_paid, 100.0)

        def queries(some):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            self.assertFalse(some._dunning_process_plans(date(2026, 3, 3)))
            self.env.flush_all()
            return self.cr.sql_log_count - before

        queries(plans)  # warm the caches (access rules...)
        # One plan or four, with two invoices each: the same number of queries.
        self.assertEqual(queries(plans[:1]), queries(plans))

    def test_cron_follows_every_company(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        self.env.user.company_ids |= company_b
        invoice_b = self._dunning_invoice(200.0, "2026-01-01", company_id=company_b.id)
        plan_b = self._plan(invoice_b, installment_count=1)
        plan_a = self._plan()
        Cron = self.env["ir.cron"]
        # The daily collections run follows the plans of every company, after its ladder.
        # Outside a cron job, progress commits: not in a test.
        with (
            patch.object(type(Cron), "_commit_progress", return_value=1.0),
            freeze_time("2026-03-30"),
        ):
            self.env["dunning.run"].with_user(self.env.ref("base.user_root")).sudo()._cron_run()
        self.assertEqual((plan_a.state, plan_b.state), ("broken", "broken"))
