"""Payment plans asked for online (res.partner._dunning_self_service_plan): one at a time
per customer, the policy's limits in the company's currency, and a request outside them
held for a collector's approval (dunning.payment.plan.action_approve / action_reject)."""

from datetime import date

import psycopg2.errors
from freezegun import freeze_time

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..models.res_partner import DunningSelfServiceRefused
from ..tools.stages import CHASABLE_STAGES
from .common import DunningCommittedCommon
from .common_payment_plan import PaymentPlanCommon

FIRST = date(2026, 3, 10)


@tagged("post_install", "-at_install")
@freeze_time("2026-03-01")
class TestPaymentPlanRequest(PaymentPlanCommon):
    def _ask(self, count, first=FIRST, contact=None):
        contact = (contact or self.ap_contact).with_company(self.company)
        return contact._dunning_self_service_plan(count, first)

    def _plans(self):
        return self.env["dunning.payment.plan"].search([("partner_id", "=", self.customer.id)])

    def _agreements(self, plan):
        """The plan's emails to the customer (not the collector's task notification)."""
        return self.env["mail.mail"].search(
            [
                ("model", "=", plan._name),
                ("res_id", "=", plan.id),
                ("recipient_ids", "in", self.ap_contact.ids),
            ]
        )

    def _pending(self):
        """12 monthly installments: beyond the policy's 6 months, for a collector."""
        plan = self._ask(12)
        self.assertEqual(plan.state, "pending")
        return plan

    # ------------------------------------------------------------ the request

    def test_request_outside_the_limits_holds_the_invoices(self):
        plan = self._pending()
        self.assertEqual(plan.move_ids, self.invoices)
        self.assertEqual(len(plan.installment_ids), 12)
        self.assertFalse(plan.date_start)
        self.assertEqual(plan.contact_id, self.ap_contact)
        # A hold like a promise: the invoices leave the ladder while it is pending.
        self.assertEqual(set(self.invoices.mapped("dunning_stage")), {"plan"})
        self.assertFalse(self.customer._dunning_open_moves(CHASABLE_STAGES))
        # The collector has the approval task on the plan itself (its buttons).
        activity = plan.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.collector)
        self.assertIn("approve", activity.summary)
        self.assertIn("the last installment is due after 6 months", activity.note)
        event = plan.event_ids.filtered(lambda e: e.channel == "portal")
        self.assertEqual(len(event), 1)
        self.assertIn("for the collector to approve", event.reason)
        # Nothing went to the customer yet: no agreement before the approval.
        self.assertFalse(self._agreements(plan))

    def test_collector_approves_the_plan_as_asked(self):
        plan = self._pending()
        schedule = plan.installment_ids.mapped(lambda i: (i.date_due, i.amount))
        plan.with_user(self.collector).action_approve()
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.date_start, date(2026, 3, 1))
        self.assertEqual(plan.installment_ids.mapped(lambda i: (i.date_due, i.amount)), schedule)
        self.assertEqual(set(self.invoices.mapped("dunning_stage")), {"plan"})
        # The agreement goes to the customer through the gateway (queued, logged).
        agreement = self._agreements(plan)
        self.assertEqual(len(agreement), 1)
        self.assertIn(plan.name, agreement.subject)
        self.assertIn(self.ap_contact, agreement.recipient_ids)
        sent = plan.event_ids.filtered(lambda e: e.message_id == agreement.mail_message_id)
        self.assertEqual(len(sent), 1)
        self.assertIn("agreed", sent.reason)
        # The task is done.
        self.assertFalse(plan.activity_ids)
        with self.assertRaises(UserError):
            plan.action_approve()

    def test_a_request_paid_meanwhile_is_not_approved_as_it_was(self):
        plan = self._pending()
        self._dunning_pay(self.inv_new, 200.0, pay_date=date(2026, 3, 1))
        with self.assertRaisesRegex(UserError, "Reject the request"):
            plan.with_user(self.collector).action_approve()
        self.assertEqual(plan.state, "pending")
        plan.with_user(self.collector).action_reject()
        self.assertEqual(plan.state, "cancelled")

    def test_collector_rejects_the_request(self):
        plan = self._pending()
        level = self.inv_old.dunning_level_id
        plan.with_user(self.collector).action_reject()
        self.assertEqual(plan.state, "cancelled")
        # Back on the ladder where they were.
        self.assertEqual(set(self.invoices.mapped("dunning_stage")), {"normal"})
        self.assertEqual(self.inv_old.dunning_level_id, level)
        # The customer is told, through the gateway; the decision is in the history.
        told = self._agreements(plan)
        self.assertEqual(len(told), 1)
        self.assertIn("your request for a payment plan", told.subject)
        self.assertIn(self.ap_contact, told.recipient_ids)
        self.assertIn(self.inv_old.name, told.body_html)
        declined = plan.event_ids.filtered(lambda e: "declined" in (e.reason or ""))
        self.assertEqual(len(declined), 1)
        self.assertEqual(declined.message_id, told.mail_message_id)
        self.assertFalse(plan.activity_ids)
        # The customer may ask again.
        self.assertEqual(self._ask(3).state, "active")

    def test_who_may_decide(self):
        plan = self._pending()
        readonly = self._dunning_user("plan_auditor", "account.group_account_readonly")
        outsider = self._dunning_user("plan_outsider", "base.group_user")
        for user in (readonly, outsider):
            for action in ("action_approve", "action_reject"):
                with self.subTest(user=user.login, action=action), self.assertRaises(AccessError):
                    getattr(plan.with_user(user), action)()
        self.assertEqual(plan.state, "pending")
        # Nor over RPC by writing the state.
        with self.assertRaises(AccessError):
            plan.with_user(self.collector).write({"state": "active"})
        manager = self._dunning_user(
            "plan_manager", "account.group_account_invoice,account_dunning.group_dunning_manager"
        )
        plan.with_user(manager).action_approve()
        self.assertEqual(plan.state, "active")
        # Ending an agreed plan stays a manager's decision (the same table).
        with self.assertRaisesRegex(AccessError, "collections manager"):
            plan.with_user(self.collector).action_cancel()
        plan.with_user(manager).action_cancel()
        self.assertEqual(plan.state, "cancelled")

    def test_a_hand_off_closes_a_pending_request(self):
        plan = self._pending()
        agency = self.env["res.partner"].create(
            {
                "name": "Agency",
                "dunning_is_agency": True,
                "dunning_agency_commission": 15.0,
                "email": "agency@example.com",
            }
        )
        wizard = (
            self.env["dunning.handoff.wizard"]
            .with_context(active_model="account.move", active_ids=self.invoices.ids)
            .create({"handoff_type": "agency", "agency_id": agency.id})
        )
        wizard.action_confirm()
        self.assertEqual(plan.state, "cancelled")
        self.assertFalse(plan.activity_ids)
        self.assertEqual(set(self.invoices.mapped("dunning_stage")), {"agency"})

    # ------------------------------------------------------- one at a time

    def test_one_plan_at_a_time_even_in_two_currencies(self):
        eur = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        eur_invoice = self._dunning_invoice(800.0, "2026-02-20", currency=eur)
        plan = self._ask(3)
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.currency_id, self.company.currency_id)
        # The EUR invoice could make a plan of its own: not online, not while one is on.
        with self.assertRaisesRegex(DunningSelfServiceRefused, "already have a payment plan"):
            self._ask(2)
        self.assertEqual(self._plans(), plan)
        self.assertEqual(eur_invoice.dunning_stage, "normal")

    def test_no_second_request_while_one_is_pending(self):
        self._pending()
        with self.assertRaisesRegex(DunningSelfServiceRefused, "already have a payment plan"):
            self._ask(3)
        self.assertEqual(len(self._plans()), 1)

    # ----------------------------------------------- limits in the company's currency

    def _contact_owing(self, name, amount, currency):
        """The payables contact of a new customer owing ``amount`` in ``currency``."""
        customer = self.env["res.partner"].create({"name": name, "is_company": True})
        contact = self.env["res.partner"].create(
            {"name": f"{name} Payables", "parent_id": customer.id, "email": "ap@example.com"}
        )
        self._dunning_invoice(amount, "2026-02-15", partner=customer, currency=currency)
        return contact

    def test_limits_compared_in_the_company_currency(self):
        self.assertEqual(self.company.currency_id.name, "USD")
        self.assertEqual(self.policy.portal_plan_max_balance, 10000.0)
        # 1 USD = 0.3 KWD: 9,999 KWD are 33,330 USD, above the 10,000 limit.
        kwd = self.setup_other_currency("KWD", rates=[("2025-01-01", 0.3)], rounding=0.001)
        plan = self._ask(3, contact=self._contact_owing("Kuwait Trading", 9999.0, kwd))
        self.assertEqual(plan.state, "pending")
        self.assertIn("is above", plan.activity_ids.note)
        self.assertIn("33,330.00", plan.activity_ids.note)
        # 1 USD = 2 EUR: 15,000 EUR are 7,500 USD, within it.
        eur = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        plan = self._ask(3, contact=self._contact_owing("Euro Shop", 15000.0, eur))
        self.assertEqual(plan.state, "active")

    def test_minimum_installment_in_the_company_currency(self):
        self.assertEqual(self.policy.portal_plan_min_installment, 50.0)
        eur = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        # 3 x 90 EUR: 45 USD each, below the 50 USD minimum (90 > 50 in figures).
        plan = self._ask(3, contact=self._contact_owing("Small Shop", 270.0, eur))
        self.assertEqual(plan.state, "pending")
        self.assertIn("is below", plan.activity_ids.note)


@tagged("post_install", "-at_install")
class TestPaymentPlanRequestConcurrency(DunningCommittedCommon):
    """Two plan requests of one customer at the same moment, in real transactions."""

    def _ask(self, args):
        """As Odoo's HTTP layer runs a request: retried on a serialisation failure."""
        contact_id, count, first = args
        for _attempt in range(5):
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    company = env["res.company"].browse(self.company_id)
                    contact = env["res.partner"].browse(contact_id).with_company(company)
                    contact._dunning_self_service_plan(count, first)
                return
            except psycopg2.errors.SerializationFailure:
                continue

    def test_two_requests_at_once_give_one_plan(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            customer = self._committed_customer(env, "Parallel Plans", is_company=True)
            self._committed_invoice(env, customer, days_late=20, amount=600.0)
            self._committed_invoice(env, customer, days_late=10, amount=300.0)
            first_date = fields.Date.context_today(customer)
        errors = self._in_parallel(self._ask, [(customer.id, 3, first_date)] * 2)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            plans = env["dunning.payment.plan"].search([("partner_id", "=", customer.id)])
            ids = tuple(plans.ids) or (0,)
            try:
                self.assertEqual(plans.mapped("state"), ["active"], errors)
                # The other request was refused, not lost: it waited for the first and
                # found its plan, or found it in progress (the customer's row locked).
                self.assertEqual(len(errors), 1, errors)
                self.assertRegex(errors[0], "already have a payment plan|another request of yours")
            finally:
                # The history is append-only for the ORM; this test's own rows go.
                cr.execute("DELETE FROM dunning_event WHERE partner_id = %s", [customer.id])
                cr.execute(
                    "DELETE FROM mail_activity WHERE res_model = 'dunning.payment.plan' "
                    "AND res_id IN %s",
                    [ids],
                )
                cr.execute(
                    "DELETE FROM mail_mail WHERE mail_message_id IN (SELECT id FROM mail_message "
                    "WHERE model = 'dunning.payment.plan' AND res_id IN %s)",
                    [ids],
                )
                cr.execute(
                    "DELETE FROM mail_message WHERE model = 'dunning.payment.plan' "
                    "AND res_id IN %s",
                    [ids],
                )
                cr.execute("DELETE FROM dunning_payment_plan WHERE id IN %s", [ids])
