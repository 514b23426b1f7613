from odoo import fields
from odoo.tests import tagged
from odoo.tests.common import TransactionCase
from odoo.tools.safe_eval import safe_eval

from ..tools.ladder import DEFAULT_LADDER


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_every_company_has_the_default_ladder(self):
        companies = self.env["res.company"].search([])
        self.assertTrue(companies)
        for company in companies:
            policy = company.dunning_default_policy_id
            self.assertEqual(policy.company_id, company)
            levels = policy.level_ids.sorted("sequence")
            self.assertEqual(
                [(lvl.delay_days, lvl.tone) for lvl in levels],
                [(step.delay_days, step.tone) for step in DEFAULT_LADDER],
            )
            for level, step in zip(levels, DEFAULT_LADDER, strict=True):
                template = self.env.ref(step.template_xmlid)
                self.assertEqual(level.mail_template_id, template)
                self.assertEqual(
                    (level.send_email, level.create_call, level.send_letter, level.propose_handoff),
                    (step.send_email, step.create_call, step.send_letter, step.propose_handoff),
                )

    def test_demo_data_only_with_demo(self):
        module = self.env["ir.module.module"].search([("name", "=", "account_dunning")])
        demo_invoices = self.env["ir.model.data"].search(
            [("module", "=", "account_dunning"), ("model", "=", "account.move")]
        )
        if not module.demo:
            self.assertFalse(demo_invoices, "demo invoices loaded in a database without demo")
            return
        moves = self.env["account.move"].browse(demo_invoices.mapped("res_id"))
        self.assertEqual(set(moves.mapped("state")), {"posted"})
        # The demo dates its invoices from the server's day at load time (UTC here);
        # the ages count from the user's day (the demo admin's time zone), which may be
        # a day later near midnight, or the next day when the test runs after it.
        loaded = min(moves.mapped("create_date")).date()
        shift = (fields.Date.context_today(moves) - loaded).days
        ages = sorted(age - shift for age in moves.mapped("dunning_days_overdue"))
        # Customers at every rung of the default ladder: before due, due, and each step.
        self.assertLess(ages[0], 0)
        self.assertIn(0, ages)
        self.assertGreaterEqual(ages[-1], 60)
        self.assertGreaterEqual(len(moves.commercial_partner_id), 3)
        # Created before the default policy existed, they still know their next step.
        self.assertTrue(all(moves.mapped("dunning_next_date")))

    def test_demo_collectors_have_customers_to_call(self):
        module = self.env["ir.module.module"].search([("name", "=", "account_dunning")])
        if not module.demo:
            self.assertFalse(self.env.ref("account_dunning.demo_user_collector", False))
            return
        collector = self.env.ref("account_dunning.demo_user_collector")
        manager = self.env.ref("account_dunning.demo_user_collections_manager")
        self.assertTrue(collector.has_group("account_dunning.group_dunning_user"))
        self.assertFalse(collector.has_group("account_dunning.group_dunning_manager"))
        self.assertTrue(manager.has_group("account_dunning.group_dunning_manager"))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_worklist"
        )
        # My Collections as each of them sees it: the action's domain and its default
        # filter (the customers they follow).
        for user in (self.env.ref("base.user_admin"), collector):
            Partner = self.env["res.partner"].with_user(user)
            worklist = Partner.search(
                [*safe_eval(action["domain"]), ("dunning_collector_id", "=", user.id)]
            )
            self.assertTrue(worklist, f"My Collections of {user.name} is empty")
