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


@tagged("post_install", "-at_install")
class TestPartnerFieldSecurity(DunningCommon):
    """Customers' collections figures are accounting data; collections decisions on a
    customer or an agency are a manager's. Checked over the ORM, as JSON-RPC calls it."""

    MONEY_FIELDS = ("dunning_overdue_amount", "dunning_balance", "dunning_oldest_overdue_days")
    MANAGER_FIELDS = {
        "dunning_credit_hold": True,
        "dunning_excluded": True,
        "dunning_exclusion_reason": "Friend of the CEO",
        "dunning_agency_commission": 40.0,
        "dunning_agency_email": "me@example.com",
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._dunning_invoice(300.0, "2026-01-01")
        # Billing users who may edit contacts: what a collections user usually is.
        cls.collector = new_test_user(
            cls.env,
            login="partner_collector",
            groups="account.group_account_invoice,base.group_partner_manager",
        )
        cls.manager = new_test_user(
            cls.env,
            login="partner_manager",
            groups="account.group_account_invoice,base.group_partner_manager,"
            "account_dunning.group_dunning_manager",
        )
        cls.employee = new_test_user(
            cls.env, login="partner_employee", groups="base.group_user,base.group_partner_manager"
        )

    def test_money_fields_carry_the_groups_of_credit(self):
        fields = self.env["res.partner"]._fields
        credit_groups = set(fields["credit"].groups.split(","))
        for name in self.MONEY_FIELDS:
            self.assertTrue(
                credit_groups <= set((fields[name].groups or "").split(",")), f"{name} groups"
            )

    def test_money_fields_hidden_from_and_not_searchable_by_other_employees(self):
        partner = self.customer.with_user(self.employee)
        self.assertEqual(partner.read(["name"])[0]["name"], "Acme Retail")
        for name in self.MONEY_FIELDS:
            with self.assertRaises(AccessError, msg=name):
                partner.read([name])
        Partner = self.env["res.partner"].with_user(self.employee)
        with self.assertRaises(AccessError):
            Partner.search([("dunning_overdue_amount", ">", 0)])
        with self.assertRaises(AccessError):
            Partner.search_count([("dunning_overdue_amount", ">", 100.0)])

    def test_collections_users_read_and_search_the_money_fields(self):
        partner = self.customer.with_user(self.collector)
        values = partner.read(list(self.MONEY_FIELDS))[0]
        self.assertEqual(values["dunning_overdue_amount"], 300.0)
        found = (
            self.env["res.partner"]
            .with_user(self.collector)
            .search([("dunning_overdue_amount", ">", 0)])
        )
        self.assertIn(self.customer, found)

    def test_collections_decisions_on_a_customer_are_for_managers(self):
        partner = self.customer.with_user(self.collector)
        # Reading stays possible: the credit-hold banner and the Collections tab.
        partner.read(list(self.MANAGER_FIELDS))
        described = partner.fields_get(list(self.MANAGER_FIELDS), ["readonly"])
        for name, value in self.MANAGER_FIELDS.items():
            self.assertTrue(described[name]["readonly"], f"{name} read-only for a user")
            with self.assertRaises(AccessError, msg=name):
                partner.write({name: value})
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.collector).create(
                {"name": "Fake Agency", "dunning_is_agency": True, "dunning_agency_commission": 90}
            )
        # The rest of the customer stays the user's to edit.
        partner.write({"phone": "+32 2 555 99 99"})
        self.customer.with_user(self.manager).write(self.MANAGER_FIELDS)
        self.assertTrue(self.customer.dunning_credit_hold)
        self.assertEqual(self.customer.dunning_agency_commission, 40.0)
