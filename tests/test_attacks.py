"""Issue #22's findings played through as the attacker did, over what JSON-RPC offers
(create, write with relational commands, public methods) as a plain collections user
or a manager: each must be refused and leave nothing sent and nothing changed."""

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import DunningRunCommon
from .common_handoff import HandoffCommon
from .common_payment_plan import PaymentPlanCommon


@tagged("post_install", "-at_install")
class TestRunAttacks(DunningRunCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.uenv = cls.env(user=cls.collector)
        cls.outsider = cls.env["res.partner"].create(
            {"name": "Mallory", "email": "mallory@outside.example.com"}
        )
        cls.final = cls.levels[-1]

    def test_forged_run_line_for_another_customer_sends_nothing(self):
        with freeze_time("2026-03-01"):
            own = self._dunning_invoice(100.0, "2026-03-01")
            other = self._dunning_invoice(900.0, "2026-03-01", partner=self.partner_a)
        with freeze_time("2026-03-11 10:00:00"):
            run = self.uenv["dunning.run"].create({"partner_ids": [Command.set(self.customer.ids)]})
            forged = {
                "run_id": run.id,
                "partner_id": self.partner_a.id,
                "level_id": self.final.id,
                "contact_id": self.outsider.id,
                "move_ids": [Command.set(other.ids)],
                "state": "planned",
            }
            with self.assertRaises(AccessError):
                self.uenv["dunning.run.line"].create(forged)
            with self.assertRaises(AccessError):
                run.write({"line_ids": [Command.create(dict(forged, run_id=False))]})
            with self.assertRaises(AccessError):
                run.write({"state": "planned"})
            run.action_execute()
        self.assertFalse(
            self.env["mail.mail"].search([("recipient_ids", "in", self.outsider.ids)]),
            "nothing to the outside address",
        )
        self.assertFalse(self._mails(self.partner_a), "nothing on the other customer")
        self.assertFalse(other.dunning_level_id)
        self.assertEqual(len(self._mails()), 1, "the chosen customer's own reminder only")
        self.assertEqual(run.line_ids.partner_id, self.customer)
        self.assertTrue(own.dunning_level_id)

    def test_the_daily_run_cannot_be_switched_off(self):
        self.policy.execution_mode = "automatic"
        with freeze_time("2026-03-01"):
            self._dunning_invoice(100.0, "2026-03-01")
        with freeze_time("2026-03-11 06:00:00"):
            for values in (
                {"trigger": "cron", "state": "done"},
                {"trigger": "cron"},
                {"state": "done"},
                {"date": date(2026, 3, 11), "trigger": "cron"},
            ):
                with self.assertRaises(AccessError, msg=values):
                    self.uenv["dunning.run"].create({"company_id": self.company.id, **values})
            # A manager neither: the day's scheduled run is the engine's alone.
            manager = new_test_user(
                self.env,
                login="attack_manager",
                groups="account.group_account_manager",
                company_id=self.company.id,
            )
            with self.assertRaises(AccessError):
                self.env(user=manager)["dunning.run"].create({"trigger": "cron", "state": "done"})
            self._scheduled_run()
        self.assertEqual(len(self._mails()), 1, "the scheduled run chased the customer")


@tagged("post_install", "-at_install")
@freeze_time("2026-04-01")
class TestCaseAttacks(HandoffCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env,
            login="attack_case_user",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
        )
        cls.manager = new_test_user(
            cls.env,
            login="attack_case_manager",
            groups="account.group_account_manager",
            company_id=cls.company.id,
        )

    def test_invoices_and_write_offs_of_a_case_are_the_flows(self):
        case = self._handoff(self.inv1)
        handed_off = case.amount_handed_off
        fake = self._dunning_invoice(800.0, "2026-01-31", partner=self.other_customer)
        for env in (self.env(user=self.user), self.env(user=self.manager)):
            with self.assertRaises(AccessError):
                env["account.move"].browse(self.other_inv.id).write(
                    {"dunning_case_ids": [Command.link(case.id)]}
                )
            with self.assertRaises(AccessError):
                env["dunning.case"].browse(case.id).write(
                    {"writeoff_move_ids": [Command.link(fake.id)]}
                )
            with self.assertRaises(AccessError):
                env["dunning.case"].browse(case.id).write(
                    {"writeoff_move_ids": [Command.set(fake.ids)]}
                )
            with self.assertRaises(AccessError):
                env["account.move"].browse(fake.id).write(
                    {"dunning_writeoff_invoice_id": self.inv1.id}
                )
        self.assertEqual(case.move_ids, self.inv1)
        self.assertFalse(case.writeoff_move_ids)
        self.assertFalse(self.other_inv.dunning_case_ids)
        self.assertFalse(fake.dunning_writeoff_invoice_id)
        self.assertEqual(case.amount_handed_off, handed_off)
        self.assertFalse(case.amount_written_off)


@tagged("post_install", "-at_install")
class TestCompanyAttacks(DunningRunCommon):
    def test_a_manager_of_one_company_cannot_touch_the_others_steps(self):
        other = self.setup_other_company(name="Company B")["company"]
        steps_b = other.dunning_default_policy_id.level_ids.step_ids
        self.assertTrue(steps_b, "company B has a ladder with steps")
        manager_a = new_test_user(
            self.env,
            login="attack_step_manager",
            groups="account.group_account_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        Step = self.env(user=manager_a)["dunning.level.step"]
        self.assertFalse(Step.search([("id", "in", steps_b.ids)]))
        step = Step.browse(steps_b[0].id)
        kind = steps_b[0].kind
        with self.assertRaises(AccessError):
            step.read(["kind"])
        with self.assertRaises(AccessError):
            step.write({"kind": "note" if kind != "note" else "email"})
        with self.assertRaises(AccessError):
            step.unlink()
        self.assertEqual(steps_b[0].exists().kind, kind)


@tagged("post_install", "-at_install")
@freeze_time("2026-03-01")
class TestPlanAttacks(PaymentPlanCommon):
    def test_plan_to_another_customers_contact_is_refused(self):
        with self.assertRaisesRegex(UserError, "is not a contact of"):
            self._plan(contact_id=self.partner_a.id)
        self.assertFalse(
            self.env["dunning.payment.plan"].search([("contact_id", "=", self.partner_a.id)])
        )
        self.assertFalse(self._mails_to(self.partner_a))

    def test_plan_dated_beyond_2100_is_a_clear_refusal(self):
        with self.assertRaisesRegex(UserError, "ends by"):
            self._plan(first_date=date(9999, 12, 31))
        self.assertFalse(self.invoices.dunning_payment_plan_ids)
