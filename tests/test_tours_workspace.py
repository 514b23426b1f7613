"""The collector's workspace in a real browser (headless Chromium, Odoo's tour runner):
a call logged from the worklist with a promise to pay, and a customer's statement.

As tests/test_tours.py: each test prepares its own customer, runs one tour from
static/tests/tours/ as a collections manager who follows that customer, then checks in
the database what the clicks did. Invoices are due relative to the real today.
"""

from datetime import timedelta

from odoo import fields
from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestWorkspaceTours(DunningCommon, HttpCase):
    # The settings of tests/test_tours.py, for the same reasons (desktop layout, asset
    # build and a shared cursor on a busy machine).
    browser_size = "1440x900"
    tour_timeout = 180
    test_cursor_lock_timeout = 90

    @classmethod
    def default_env_context(cls):
        return {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.manager = new_test_user(
            cls.env,
            login="tour_workspace_manager",
            name="Wendy Workspace",
            email="wendy@company-a.example.com",
            groups="base.group_user,account.group_account_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
            tz="UTC",
        )
        cls.policy.attach_invoice_pdf = False

    def _tour(self, name):
        self.start_tour("/odoo", name, login=self.manager.login, timeout=self.tour_timeout)

    def _my_customer(self, name, email):
        """A customer followed by the tour's user: on its "My Collections" worklist."""
        customer = self.env["res.partner"].create(
            {"name": name, "is_company": True, "email": email}
        )
        customer.with_company(self.company).dunning_collector_id = self.manager
        return customer

    def _invoice(self, partner, amount, days_overdue, invoice_date=None):
        due = self.today - timedelta(days=days_overdue)
        return self._dunning_invoice(amount, due, partner=partner, invoice_date=invoice_date)

    def test_call_promise_tour(self):
        """Worklist > Log call > promised 600 in 10 days: a promise, the invoice promised."""
        customer = self._my_customer("Tour Promise Customer", "ap@tour-promise.example.com")
        invoice = self._invoice(customer, 1000.0, 20)
        self.env["res.partner"].with_company(self.company)._dunning_update_priorities()
        self.assertEqual(invoice.dunning_stage, "normal")

        self._tour("account_dunning_call_promise_tour")

        promise = self.env["dunning.promise"].search([("partner_id", "=", customer.id)])
        self.assertEqual(len(promise), 1)
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.amount, 600.0)  # the default is the open 1000
        self.assertEqual(promise.date_promised, self.today + timedelta(days=10))
        self.assertEqual(promise.move_ids, invoice)
        self.assertEqual(invoice.dunning_stage, "promised")
        call = self.env["dunning.event"].search(
            [("partner_id", "=", customer.id), ("channel", "=", "call")]
        )
        self.assertEqual(len(call), 1)
        self.assertEqual(call.call_outcome, "promised")
        self.assertEqual(call.collector_id, self.manager)
        self.assertIn("client has paid", call.reason)
        self.assertEqual(promise.call_event_id, call)

    def test_activity_call_tour(self):
        """As a collector (Billing, not a manager): Collections app > My Collections >
        customer > Log Call on its call activity."""
        collector = new_test_user(
            self.env,
            login="tour_collector",
            name="Casey Collector",
            groups="base.group_user,account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
            tz="UTC",
        )
        customer = self._my_customer("Tour Activity Customer", "ap@tour-activity.example.com")
        customer.with_company(self.company).dunning_collector_id = collector
        customer.phone = "+32 2 555 01 99"
        self._invoice(customer, 1000.0, 20)
        activity = self.env["dunning.engine"]._schedule(
            customer, "Collections call", "", collector, self.today,
            activity_type=self.env.ref("account_dunning.mail_activity_type_dunning_call"),
        )  # fmt: skip

        self.start_tour(
            "/odoo", "account_dunning_activity_call_tour", login=collector.login,
            timeout=self.tour_timeout,
        )  # fmt: skip

        call = self.env["dunning.event"].search(
            [("partner_id", "=", customer.id), ("channel", "=", "call")]
        )
        self.assertEqual(call.call_outcome, "reached")
        self.assertEqual(call.collector_id, collector)
        self.assertIn("Will pay on Friday.", call.reason)
        self.assertFalse(activity.exists() and activity.active)

    def test_statement_tour(self):
        """Worklist > customer > Print statement: the report runs; its aging is right."""
        customer = self._my_customer("Tour Statement Customer", "ap@tour-statement.example.com")
        self._invoice(customer, 100.0, -5, invoice_date=self.today)  # not due
        self._invoice(customer, 400.0, 10)  # 1-30
        self._invoice(customer, 250.0, 45)  # 31-60
        # What the tour expects in the HTML report, from the statement's own data.
        statement = customer.with_company(self.company)._dunning_statement_data()[customer.id]
        (section,) = statement["currencies"]
        self.assertEqual([amount for _bucket, amount in section["aging"]],
                         [100.0, 400.0, 250.0, 0.0, 0.0])  # fmt: skip
        self.assertEqual(section["balance"], 750.0)

        self._tour("account_dunning_statement_tour")

        # Printing changes nothing (no event, no message).
        self.assertFalse(self.env["dunning.event"].search([("partner_id", "=", customer.id)]))
