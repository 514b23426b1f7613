"""Limits that must hold when people act at the same moment, with real commits.

Each thread has its own transaction and goes through Odoo's own retry on a
serialisation failure (odoo.service.model.retrying, what the HTTP layer and the RPC
dispatcher do), so what is tested is what a real server does with parallel requests.
"""

from odoo.exceptions import UserError
from odoo.service.model import retrying
from odoo.tests import tagged

from ..models.res_partner import DunningSelfServiceRateLimited
from .common import DunningCommittedCommon


@tagged("post_install", "-at_install")
class TestConcurrentLimits(DunningCommittedCommon):
    def _set_policy(self, **values):
        """Write the main company's policy for this test, and put it back after."""
        with self.registry.cursor() as cr:
            policy = self._env(cr).ref("base.main_company").dunning_default_policy_id
            before = {name: policy[name] for name in values}
            policy.write(values)

        def restore():
            with self.registry.cursor() as cr:
                self._env(cr)["dunning.policy"].browse(policy.id).write(before)

        self.addCleanup(restore)

    def test_two_late_charges_confirmed_at_once_charge_the_period_once(self):
        self._set_policy(late_charge_rule="fixed_rate", late_charge_rate=10.0)
        with self.registry.cursor() as cr:
            customer = self._committed_customer(self._env(cr), "Charged Twice Customer")
            invoice = self._committed_invoice(self._env(cr), customer, days_late=30, amount=1000.0)
            customer_id, invoice_id = customer.id, invoice.id

        def confirm(_index):
            with self.registry.cursor() as cr:
                env = self._env(cr)

                def charge():
                    wizard = env["dunning.late.charge.wizard"].create({"partner_id": customer_id})
                    wizard.action_confirm()

                retrying(charge, env)

        errors = self._in_parallel(confirm, range(2))
        with self.registry.cursor() as cr:
            env = self._env(cr)
            charges = env["dunning.late.charge"].search([("move_id", "=", invoice_id)])
            self.assertEqual(len(charges), 1, "one charge for the period, not two")
            self.assertEqual(len(charges.charge_move_id), 1)
        self.assertEqual(len(errors), 1, errors)
        self.assertIn(UserError.__name__, errors[0])
        self.assertIn("Nothing to charge", errors[0])

    def test_parallel_self_service_actions_stay_within_the_hourly_limit(self):
        limit, attempts = 4, 12
        self._set_policy(portal_self_service=True, portal_max_actions_per_hour=limit)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            customer = self._committed_customer(env, "Busy Portal Customer", is_company=True)
            company = env["res.company"].browse(self.company_id)
            customer_id = customer.id

        def act(index):
            with self.registry.cursor() as cr:
                env = self._env(cr)
                contact = env["res.partner"].browse(customer_id).with_company(company.id)

                def action():
                    # The controller's order: the limit first, then the action's event.
                    contact._dunning_self_service_check_rate()
                    contact._dunning_self_service_log(f"Parallel action {index}")

                retrying(action, env)

        errors = self._in_parallel(act, range(attempts))
        with self.registry.cursor() as cr:
            recorded = self._env(cr)["dunning.event"].search_count(
                [("partner_id", "=", customer_id), ("channel", "=", "portal")]
            )
        # Each got an answer: done, or refused (over the limit, or while another
        # request of the customer was in progress); never an error, never more.
        self.assertTrue(all(DunningSelfServiceRateLimited.__name__ in e for e in errors), errors)
        self.assertLessEqual(recorded, limit)
        self.assertGreaterEqual(recorded, 1)
        self.assertEqual(recorded + len(errors), attempts)
