from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common_handoff import HandoffCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-04-01")
class TestHandoffSecurity(HandoffCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.inv_b = cls._dunning_invoice(300.0, "2026-01-01", company_id=cls.company_b.id)
        cls.collector_a = new_test_user(
            cls.env,
            login="collector_sec_a",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _env_b(self):
        return self.env(context=dict(self.env.context, allowed_company_ids=self.company_b.ids))

    def test_cases_are_per_company(self):
        case_a = self._handoff(self.inv1)
        case_b = self._handoff(self.inv_b, env=self._env_b())
        self.assertEqual(case_b.company_id, self.company_b)
        self.assertEqual(self.inv_b.dunning_stage, "agency")
        # Credit hold in company B only.
        customer = self.customer.with_company(self.company_b)
        self.assertTrue(customer.dunning_credit_hold)
        self._dunning_pay(self.inv_b, 300.0)
        self.assertEqual(case_b.recovery_ids.company_id, self.company_b)
        self.assertEqual(case_b.commission_bill_ids.company_id, self.company_b)
        env = self.env(user=self.collector_a)
        self.assertEqual(env["dunning.case"].search([]), case_a)
        with self.assertRaises(AccessError):
            env["dunning.case"].browse(case_b.id).read(["name"])
        with self.assertRaises(AccessError):
            env["dunning.case.recovery"].browse(case_b.recovery_ids.id).read(["amount"])
        self.assertFalse(env["dunning.case.recovery"].search([]))

    def test_one_company_per_handoff(self):
        with self.assertRaisesRegex(UserError, "one company at a time"):
            self._handoff(self.inv1 | self.inv_b)

    def test_bad_debt_account_is_per_company(self):
        with self.assertRaisesRegex(UserError, "No bad-debt expense account is set for Company B"):
            self._writeoff(self.inv_b, env=self._env_b())

    def test_user_rights_on_cases(self):
        env = self.env(user=self.collector_a)
        case = self._handoff(self.inv1, env=env)
        case.reference = "NEW-REF"
        self.assertEqual(case.reference, "NEW-REF")
        with self.assertRaises(AccessError):
            case.unlink()
        with self.assertRaises(AccessError):
            env["dunning.case.recovery"].create(
                {
                    "case_id": case.id,
                    "move_id": self.inv1.id,
                    "partial_id": 1,
                    "payment_move_id": self.inv1.id,
                    "date": "2026-04-01",
                    "currency_id": self.company.currency_id.id,
                }
            )

    def test_recovery_recorded_when_a_billing_user_registers_the_payment(self):
        case = self._handoff(self.inv1)
        env = self.env(user=self.collector_a)
        (
            env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=self.inv1.ids)
            .create({"amount": 1000.0})
            ._create_payments()
        )
        self.assertEqual(self.inv1.dunning_stage, "recovered")
        self.assertEqual(case.amount_commission, 150.0)
        self.assertEqual(case.commission_bill_ids.amount_total, 150.0)
