from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

# Users by what they hold, beyond an internal user's groups.
USERS = {
    "internal": "base.group_user",
    "collector": "account_dunning.group_dunning_user",
    "billing": "account.group_account_invoice",
    "auditor": "account_dunning.group_dunning_user,account.group_account_readonly",
    "manager": "account_dunning.group_dunning_manager",
}


@tagged("post_install", "-at_install")
class TestCollectionsApp(TransactionCase):
    """The Collections application: its own home menu entry, shown to whom may use it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = cls.env.ref("account_dunning.menu_collections_root")
        cls.users = {
            name: new_test_user(cls.env, login=f"app_{name}", groups=f"base.group_user,{groups}")
            for name, groups in USERS.items()
        }

    def _visible(self, user):
        return self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()

    def test_an_application_with_its_icon(self):
        module = self.env["ir.module.module"].search([("name", "=", "account_dunning")])
        self.assertTrue(module.application)
        self.assertFalse(self.root.parent_id)
        self.assertEqual(self.root.web_icon, "account_dunning,static/description/icon.png")
        menus = self.env["ir.ui.menu"].search([("id", "child_of", self.root.id)])
        actions = {menu.action.get_external_id()[menu.action.id] for menu in menus if menu.action}
        self.assertLessEqual(
            {
                "account_dunning.action_dunning_worklist",
                "account_dunning.action_dunning_partners",
                "account_dunning.action_dunning_overdue_invoices",
                "account_dunning.action_dunning_promise",
                "account_dunning.action_dunning_dispute",
                "account_dunning.action_dunning_payment_plan",
                "account_dunning.action_dunning_case",
                "account_dunning.action_dunning_run",
                "account_dunning.action_dunning_run_preview_today",
                "account_dunning.action_dunning_event",
                "account_dunning.action_dunning_kpi_report",
                "account_dunning.action_dunning_policy",
            },
            actions,
        )
        # The accountants' shortcuts under Invoicing stay.
        worklist = self.env.ref("account_dunning.menu_dunning_worklist")
        self.assertEqual(
            worklist.parent_id.parent_id, self.env.ref("account.menu_finance_receivables")
        )

    def test_shown_to_collections_users_not_to_other_employees(self):
        self.assertIn(self.root.id, self._visible(self.users["collector"]))
        self.assertIn(self.root.id, self._visible(self.users["billing"]))
        self.assertNotIn(self.root.id, self._visible(self.users["internal"]))
        config = self.env.ref("account_dunning.menu_collections_config")
        preview = self.env.ref("account_dunning.menu_collections_preview")
        self.assertIn(config.id, self._visible(self.users["manager"]))
        self.assertIn(preview.id, self._visible(self.users["manager"]))
        self.assertNotIn(config.id, self._visible(self.users["collector"]))
        self.assertNotIn(preview.id, self._visible(self.users["billing"]))
        # The invoices are Billing's: a collections user without it does not get a menu
        # that would open on an access error.
        invoices = self.env.ref("account_dunning.menu_collections_invoices")
        self.assertNotIn(invoices.id, self._visible(self.users["collector"]))
        self.assertIn(invoices.id, self._visible(self.users["auditor"]))

    def test_menu_groups_match_the_access_rights(self):
        """Whoever a menu's groups (and its parents') let in may read its action's
        model: no menu promised to a group and then hidden for lack of rights."""
        menus = self.env["ir.ui.menu"].search([("id", "child_of", self.root.id)])
        for menu in menus.filtered("action"):
            chain = []
            node = menu
            while node:
                chain.append(node.group_ids)
                node = node.parent_id
            for name, user in self.users.items():
                held = user.all_group_ids
                if all(not groups or groups & held for groups in chain):
                    with self.subTest(menu=menu.complete_name, user=name):
                        self.assertIn(menu.id, self._visible(user))

    def test_a_collector_reads_runs_a_manager_runs_them(self):
        def buttons(user):
            arch = self.env["dunning.run"].with_user(user).get_view(view_type="form")["arch"]
            return {
                name for name in ("action_preview", "action_execute") if f'name="{name}"' in arch
            }

        self.assertEqual(buttons(self.users["manager"]), {"action_preview", "action_execute"})
        self.assertEqual(buttons(self.users["collector"]), set())
        self.assertTrue(
            self.env["dunning.run"].with_user(self.users["collector"]).has_access("read")
        )
