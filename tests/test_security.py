from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestSecurity(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.policy_b = cls.company_b.dunning_default_policy_id
        invoice_b = cls._dunning_invoice(300.0, "2026-01-01", company_id=cls.company_b.id)
        cls.event_b = (
            cls.env["dunning.engine"]
            .with_company(cls.company_b)
            ._log(
                {
                    "partner_id": cls.customer.id,
                    "company_id": cls.company_b.id,
                    "move_ids": [Command.set(invoice_b.ids)],
                    "channel": "email",
                }
            )
        )
        cls.collector_a = new_test_user(
            cls.env,
            login="collector_a",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def test_user_of_company_a_cannot_read_company_b(self):
        env = self.env(user=self.collector_a)
        policies = env["dunning.policy"].search([])
        self.assertIn(self.policy, policies)
        self.assertNotIn(self.policy_b, policies)
        self.assertFalse(env["dunning.event"].search([("id", "=", self.event_b.id)]))
        with self.assertRaises(AccessError):
            env["dunning.policy"].browse(self.policy_b.id).read(["name"])
        with self.assertRaises(AccessError):
            env["dunning.event"].browse(self.event_b.id).read(["partner_id"])
        with self.assertRaises(AccessError):
            env["dunning.level"].browse(self.policy_b.level_ids[0].id).read(["name"])
        # The customer's collections data is the company's: B's invoice is not counted.
        partner = env["res.partner"].browse(self.customer.id)
        self.assertEqual(partner.dunning_overdue_amount, 0.0)
        self.assertEqual(partner.dunning_event_count, 0)

    def test_user_reads_but_does_not_configure(self):
        env = self.env(user=self.collector_a)
        policy = env["dunning.policy"].browse(self.policy.id)
        self.assertTrue(policy.level_ids)
        with self.assertRaises(AccessError):
            policy.write({"minimum_amount": 10})
        with self.assertRaises(AccessError):
            env["dunning.policy"].create({"name": "Mine"})

    def test_billing_and_accounting_groups_imply_collections_groups(self):
        self.assertTrue(self.simple_accountman.has_group("account_dunning.group_dunning_user"))
        manager = new_test_user(self.env, login="acc_admin", groups="account.group_account_manager")
        self.assertTrue(manager.has_group("account_dunning.group_dunning_manager"))
