from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import tagged

from .common import DunningRunCommon


@tagged("post_install", "-at_install")
class TestRunDates(DunningRunCommon):
    """A run acts on today only; previews do not pile up; big runs go to the cron; one
    company's failure does not stop the others; review before send by default."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.attach_invoice_pdf = False
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Mona Manager",
                "login": "mona.dates",
                "group_ids": [
                    Command.set(
                        [
                            cls.env.ref("account_dunning.group_dunning_manager").id,
                            cls.env.ref("account.group_account_invoice").id,
                        ]
                    )
                ],
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
            }
        )

    def _cron_run_of(self, company=None):
        return self.env["dunning.run"].search(
            [("company_id", "=", (company or self.company).id), ("trigger", "=", "cron")],
            order="id desc",
            limit=1,
        )

    # ----------------------------------------------------------------- dates

    def test_a_run_dated_in_the_future_cannot_be_carried_out(self):
        with freeze_time("2026-03-11"):
            self._dunning_invoice(100.0, "2026-03-01")
            # A person cannot date a run (tools/authority.py); were it dated by another
            # path, the engine still refuses it.
            with self.assertRaises(AccessError):
                self.env["dunning.run"].create({"date": "2026-03-20"})
            run = self.env["dunning.run"].sudo().create({"date": "2026-03-20"}).with_env(self.env)
            with self.assertRaisesRegex(UserError, "acts on today only"):
                run.action_execute()
            with self.assertRaisesRegex(UserError, "acts on today only"):
                run.action_preview()
        self.assertFalse(self._mails())
        self.assertEqual(run.state, "draft")

    def test_a_preview_of_an_earlier_day_is_planned_again_for_today(self):
        with freeze_time("2026-03-11"):
            paid = self._dunning_invoice(100.0, "2026-03-01")
            run = self.env["dunning.run"].create({})
            run.action_preview()
            self.assertEqual(run.line_ids.move_ids, paid)
        self._dunning_pay(paid, 100.0, pay_date=date(2026, 3, 12))
        with freeze_time("2026-03-13"):
            later = self._dunning_invoice(300.0, "2026-03-05")
            run.action_execute()
        self.assertEqual(run.date, date(2026, 3, 13))
        email = run.event_ids.filtered(lambda e: e.channel == "email")
        self.assertEqual(email.move_ids, later, "planned again on the day's data")
        self.assertEqual(email.date, date(2026, 3, 13))
        self.assertEqual(later.dunning_last_date, date(2026, 3, 13))
        self.assertFalse(paid.dunning_level_id)

    def test_the_scheduled_run_of_an_earlier_day_is_refused(self):
        with freeze_time("2026-03-11"):
            self._dunning_invoice(100.0, "2026-03-01")
            # As the scheduled action makes it (its trigger is the engine's to set).
            run = self.env["dunning.run"].sudo().create({"trigger": "cron"}).with_env(self.env)
            run.action_preview()
        with freeze_time("2026-03-12"), self.assertRaisesRegex(UserError, "Preview today"):
            run.action_execute()
        self.assertFalse(self._mails())

    def test_last_step_date_never_moves_backwards(self):
        with freeze_time("2026-03-11"):
            invoice = self._dunning_invoice(100.0, "2026-03-01")
            self._run()
        self.assertEqual(invoice.dunning_last_date, date(2026, 3, 11))
        invoice._dunning_set_level(self.levels[3], date(2026, 3, 2))
        self.assertEqual(invoice.dunning_last_date, date(2026, 3, 11))
        self.assertEqual(invoice.dunning_level_id, self.levels[3])

    def test_previews_of_today_are_reused_not_piled_up(self):
        with freeze_time("2026-03-11"):
            self._dunning_invoice(100.0, "2026-03-01")
            first = self.env["dunning.run"]._action_preview_today()
            second = self.env["dunning.run"]._action_preview_today()
            self.assertEqual(first["res_id"], second["res_id"])
            runs = self.env["dunning.run"].search([("date", "=", "2026-03-11")])
            self.assertEqual(len(runs), 1)
            self.assertEqual(runs.state, "planned")
        with freeze_time("2026-03-12"):
            third = self.env["dunning.run"]._action_preview_today()
        self.assertNotEqual(third["res_id"], first["res_id"], "a new day, a new preview")

    def test_a_large_manual_run_is_handed_to_the_scheduled_action(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "account_dunning.manual_execution_limit", "1"
        )
        other = self.env["res.partner"].create({"name": "Other", "email": "o@example.com"})
        cron = self.env.ref("account_dunning.ir_cron_dunning_run")
        with freeze_time("2026-03-11"):
            self._dunning_invoice(100.0, "2026-03-01")
            self._dunning_invoice(100.0, "2026-03-01", partner=other)
            triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
            run = self.env["dunning.run"].create({})
            run.action_execute()
            self.assertEqual(run.state, "running")
            self.assertFalse(self._mails() | self._mails(other), "nothing in the request")
            self.assertEqual(
                self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
                triggers + 1,
            )
            self._scheduled_run()
        self.assertEqual(run.state, "done")
        self.assertEqual(len(self._mails()), 1)
        self.assertEqual(len(self._mails(other)), 1)

    # ---------------------------------------------------- scheduled run safety

    def test_one_company_failing_does_not_stop_the_others(self):
        self.policy.execution_mode = "automatic"
        company_b = self.setup_other_company(name="Company B")["company"]
        company_b.dunning_default_policy_id.execution_mode = "automatic"
        customer_b = self.env["res.partner"].create({"name": "B", "email": "b@example.com"})
        Run = type(self.env["dunning.run"])
        original = Run._plan

        def failing(run):
            if run.company_id == self.company:
                raise ValueError("broken ladder")
            return original(run)

        with freeze_time("2026-03-11"):
            self._dunning_invoice(100.0, "2026-03-01")
            self._dunning_invoice(100.0, "2026-03-01", partner=customer_b, company_id=company_b.id)
            with patch.object(Run, "_plan", failing):
                self._scheduled_run()
        run_a, run_b = self._cron_run_of(), self._cron_run_of(company_b)
        self.assertIn("broken ladder", run_a.error_message)
        self.assertTrue(run_a.activity_ids, "the managers are told")
        self.assertEqual(run_b.state, "done")
        self.assertEqual(len(self._mails(customer_b)), 1)
        self.assertFalse(self._mails())

    def test_review_mode_by_default_sends_nothing_until_a_person_executes(self):
        self.assertEqual(self.policy.execution_mode, "review")
        new_company = self.setup_other_company(name="Company New")["company"]
        self.assertEqual(new_company.dunning_default_policy_id.execution_mode, "review")
        with freeze_time("2026-03-11"):
            self._dunning_invoice(100.0, "2026-03-01")
            self._scheduled_run()
            run = self._cron_run_of()
            self.assertEqual(run.state, "planned")
            self.assertFalse(self._mails())
            review = run.activity_ids.filtered(lambda a: "Review" in a.summary)
            self.assertIn(self.manager, review.user_id)
            self.assertIn("1 customers are due", str(review.note))
            self._scheduled_run()  # called again the same day: still waiting, nothing sent
            self.assertFalse(self._mails())
            run.with_user(self.manager).action_execute()
        self.assertEqual(run.state, "done")
        self.assertEqual(len(self._mails()), 1)

    def test_automatic_mode_sends_from_the_scheduled_run(self):
        self.policy.execution_mode = "automatic"
        with freeze_time("2026-03-11"):
            self._dunning_invoice(100.0, "2026-03-01")
            self._scheduled_run()
        self.assertEqual(self._cron_run_of().state, "done")
        self.assertEqual(len(self._mails()), 1)

    # ------------------------------------------------------------ small things

    def test_send_now_after_the_days_run_sends_a_manual_reminder(self):
        with freeze_time("2026-03-01"):
            invoice = self._dunning_invoice(100.0, "2026-01-20")  # 40 days late
        with freeze_time("2026-03-01"):
            self._run()
            self.assertEqual(invoice.dunning_level_id, self.levels[2])
            action = self.customer.with_user(self.collector).action_dunning_send_now()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        self.assertEqual(len(self._mails()), 2)
        manual = self.env["dunning.event"].search(
            [("partner_id", "=", self.customer.id), ("run_id.force", "=", True)]
        )
        self.assertEqual(manual.channel, "email")
        self.assertEqual(manual.user_id, self.collector)
        self.assertEqual(invoice.dunning_level_id, self.levels[2], "no second climb today")

    def test_bad_configuration_shows_on_the_preview(self):
        self.company.email = False
        self.policy.email_from = False
        self.levels[2].mail_template_id.active = False
        self.env["dunning.policy"].create({"name": "Empty", "company_id": self.company.id})
        with freeze_time("2026-03-11"):
            run = self.env["dunning.run"].create({})
            run.action_preview()
        warnings = run.config_warnings
        self.assertIn("Empty has no levels", warnings)
        self.assertIn("no sender", warnings)
        self.assertIn(f"Level {self.levels[2].name}", warnings)
        self.assertIn("bad-debt", warnings)
