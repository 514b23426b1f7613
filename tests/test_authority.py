"""Manager-only decisions, enforced in the models: every call below is what a JSON-RPC
client can send (call a public method, write a field), as a collections user."""

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import DunningCommon, DunningRunCommon
from .common_handoff import HandoffCommon
from .common_payment_plan import PaymentPlanCommon


def _collections_user(env, login, company):
    return new_test_user(
        env,
        login=login,
        groups="account.group_account_invoice,base.group_partner_manager",
        company_id=company.id,
        company_ids=[Command.set(company.ids)],
    )


@tagged("post_install", "-at_install")
@freeze_time("2026-04-01")
class TestHandoffAuthority(HandoffCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = _collections_user(cls.env, "authority_handoff_user", cls.company)
        cls.uenv = cls.env(user=cls.user)
        # Not at the last internal step yet: only a manager hands it off now.
        cls.not_handed.dunning_level_id = cls.levels[4]

    def _user_wizard(self, moves, **values):
        return (
            self.uenv["dunning.handoff.wizard"]
            .with_context(active_model="account.move", active_ids=moves.ids)
            .create({"handoff_type": "legal", "agency_id": self.lawyer.id, **values})
        )

    def test_early_handoff_cannot_borrow_a_foreign_source_case(self):
        other_case = self._handoff(self.other_inv)  # another customer's agency case
        own_case = self._handoff(self.inv1)  # this customer's, without not_handed
        returned_case = self._handoff(self.inv2)
        returned_case.action_return_to_normal()
        for source in (other_case, own_case, returned_case):
            wizard = self._user_wizard(self.not_handed, source_case_id=source.id)
            with self.assertRaises(UserError, msg=source.name):
                wizard.action_confirm()
        self.assertEqual(other_case.state, "open")
        self.assertEqual(own_case.state, "open")
        self.assertEqual(self.not_handed.dunning_stage, "normal")
        # Without a source case, the ladder rule applies.
        with self.assertRaisesRegex(UserError, "last step of the ladder"):
            self._user_wizard(self.not_handed).action_confirm()

    def test_a_user_still_takes_a_returned_agency_case_to_legal(self):
        agency_case = self._handoff(self.inv1 | self.inv2)
        action = agency_case.with_user(self.user).action_return_to_legal()
        wizard = (
            self.uenv["dunning.handoff.wizard"]
            .with_context(**action["context"])
            .create({"agency_id": self.lawyer.id})
        )
        legal_case = self.uenv["dunning.case"].browse(wizard.action_confirm()["res_id"])
        self.assertEqual(agency_case.state, "returned")
        self.assertEqual(legal_case.handoff_type, "legal")
        self.assertEqual(self.inv1.dunning_stage, "legal")

    def test_case_decisions_are_for_managers(self):
        case = self._handoff(self.inv1, env=self.uenv)  # a user's hand-off creates a case
        self.assertEqual(case.commission_rate, 15.0)
        case.write({"reference": "NEW-REF", "note": "Call first"})  # still the user's
        forbidden = {
            "commission_rate": 50.0,
            "state": "closed",
            "move_ids": [Command.link(self.not_handed.id)],
            "agency_id": self.lawyer.id,
            "partner_id": self.other_customer.id,
        }
        for name, value in forbidden.items():
            with self.assertRaises(AccessError, msg=name):
                case.write({name: value})
        self.assertEqual(case.move_ids, self.inv1)
        self.assertEqual(case.commission_rate, 15.0)
        # Nor a case made up by hand with a rate of its own.
        with self.assertRaises(AccessError):
            self.uenv["dunning.case"].create(
                {
                    "partner_id": self.customer.id,
                    "handoff_type": "agency",
                    "agency_id": self.agency.id,
                    "commission_rate": 90.0,
                    "move_ids": [Command.set(self.inv2.ids)],
                }
            )
        with self.assertRaises(AccessError):
            self.uenv["dunning.case"].with_context(default_commission_rate=90.0).create(
                {
                    "partner_id": self.customer.id,
                    "handoff_type": "agency",
                    "agency_id": self.agency.id,
                }
            )
        # Returning the case is a user's flow.
        case.with_user(self.user).action_return_to_normal()
        self.assertEqual(case.state, "returned")
        with self.assertRaises(AccessError):
            case.with_user(self.user).write({"state": "open"})
        # A manager decides the terms; the state follows the case's buttons, for all.
        case.with_user(self.env.user).write({"commission_rate": 10.0})
        self.assertEqual(case.commission_rate, 10.0)
        with self.assertRaises(AccessError):
            case.with_user(self.env.user).write({"state": "open"})


@tagged("post_install", "-at_install")
@freeze_time("2026-03-01")
class TestPaymentPlanAuthority(PaymentPlanCommon):
    def test_only_managers_cancel_a_plan(self):
        plan = self._plan()
        self.assertEqual(plan.state, "active")
        as_user = plan.with_user(self.collector)
        with self.assertRaises(AccessError):
            as_user.action_cancel()
        with self.assertRaises(AccessError):
            as_user.write({"state": "cancelled"})
        self.assertEqual(plan.state, "active")
        plan.action_cancel()  # the test user is a manager
        self.assertEqual(plan.state, "cancelled")


@tagged("post_install", "-at_install")
@freeze_time("2026-03-11")
class TestRunAuthority(DunningRunCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._dunning_invoice(100.0, "2026-03-01")
        cls.cedar = cls.env["res.partner"].create(
            {"name": "Cedar Foods", "is_company": True, "email": "ap@cedar.example.com"}
        )
        cls._dunning_invoice(200.0, "2026-03-01", partner=cls.cedar)

    def test_company_wide_runs_and_force_are_for_managers(self):
        Run = self.env["dunning.run"].with_user(self.collector)
        with self.assertRaises(AccessError):
            Run.create({"company_id": self.company.id})
        with self.assertRaises(AccessError):
            Run.create({"partner_ids": [Command.set(self.customer.ids)], "force": True})
        with self.assertRaises(AccessError):
            Run.with_context(default_force=True).create(
                {"partner_ids": [Command.set(self.customer.ids)]}
            )
        company_run = self.env["dunning.run"].create({"company_id": self.company.id})
        with self.assertRaises(AccessError):
            company_run.with_user(self.collector).action_execute()
        own = Run.create({"partner_ids": [Command.set(self.customer.ids)]})
        for values in ({"force": True}, {"partner_ids": [Command.clear()]}):
            with self.assertRaises(AccessError, msg=str(values)):
                own.write(values)
        self.assertFalse(self._mails(self.customer) | self._mails(self.cedar))
        # A manager runs the company.
        company_run.action_execute()
        self.assertEqual(company_run.state, "done")

    def test_users_send_a_reminder_to_one_customer(self):
        action = self.customer.with_user(self.collector).action_dunning_send_now()
        self.assertEqual(action["params"]["type"], "success")
        run = self.env["dunning.run"].search([("create_uid", "=", self.collector.id)])
        self.assertEqual(len(run), 1)
        self.assertTrue(run.force)
        self.assertEqual(run.partner_ids, self.customer)
        self.assertEqual(run.state, "done")
        self.assertEqual(len(self._mails(self.customer)), 1)
        self.assertFalse(self._mails(self.cedar), "one customer, not the company")
        # Several customers at once is a company run by another name.
        with self.assertRaises(AccessError):
            (self.customer | self.cedar).with_user(self.collector).action_dunning_send_now()
        self.assertFalse(self._mails(self.cedar))


@tagged("post_install", "-at_install")
class TestConfigurationAuthority(DunningCommon):
    def test_policies_and_levels_are_configured_by_managers(self):
        user = _collections_user(self.env, "authority_config_user", self.company)
        policy = self.policy.with_user(user)
        level = policy.level_ids[:1]
        self.assertTrue(level.read(["delay_days"]))
        with self.assertRaises(AccessError):
            level.write({"delay_days": 99})
        with self.assertRaises(AccessError):
            self.env["dunning.level"].with_user(user).create(
                {"policy_id": self.policy.id, "name": "Mine", "delay_days": 1}
            )
        with self.assertRaises(AccessError):
            level.unlink()
        with self.assertRaises(AccessError):
            policy.unlink()
        with self.assertRaises(AccessError):
            policy.write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.env["dunning.policy"].with_user(user).create({"name": "Mine"})
