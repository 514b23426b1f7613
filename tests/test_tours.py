"""The collections screens in a real browser (headless Chromium, Odoo's tour runner).

Each test prepares its own customer and invoice, runs one tour from
static/tests/tours/ as a collections manager, then checks in the database what the
clicks did. The browser runs at real time, so the invoices are due relative to the
real today (no freeze_time here). A failing tour names its failing step in the log.
"""

from datetime import timedelta

from odoo import fields
from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestCollectionsTours(DunningCommon, HttpCase):
    # Desktop layout: every header button visible (no overflow menu), the size of
    # the screenshots in static/description.
    browser_size = "1440x900"
    # The first tour also builds the web and test asset bundles: on a busy 2-core
    # machine that alone can take most of Odoo's default 60 s.
    tour_timeout = 180
    # Browser requests share the test's cursor one at a time. While one does real work
    # (executing a run, confirming a plan), the web client's other requests wait for
    # it; on a loaded machine that wait passed Odoo's default 20 s and failed a tour
    # that had succeeded.
    test_cursor_lock_timeout = 90

    @classmethod
    def default_env_context(cls):
        # Real mail behaviour (chatter messages, queued emails), as DunningRunCommon.
        return {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.manager = new_test_user(
            cls.env,
            login="tour_collections_manager",
            name="Morgan Manager",
            email="morgan@company-a.example.com",
            # Accounting administrator: implies Collections / Manager (configures
            # policies, previews and executes runs).
            groups="base.group_user,account.group_account_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
            # The server's today is UTC; the browser computes dates in the user's tz.
            tz="UTC",
        )
        cls.levels = cls.policy.level_ids.sorted("sequence")
        # The reminders attach no invoice PDF here: test mode renders reports as HTML,
        # which the browser's PDF viewer of the invoice form would report as corrupted.
        cls.policy.attach_invoice_pdf = False

    def _tour(self, name):
        self.start_tour("/odoo", name, login=self.manager.login, timeout=self.tour_timeout)

    def _customer(self, name, email):
        return self.env["res.partner"].create({"name": name, "is_company": True, "email": email})

    def _overdue_invoice(self, partner, amount, days_overdue):
        return self._dunning_invoice(
            amount, self.today - timedelta(days=days_overdue), partner=partner
        )

    def test_policy_tour(self):
        """Configuration > Dunning Policies: a level's delay and the minimum amount."""
        self.assertTrue(self.manager.has_group("account_dunning.group_dunning_manager"))
        delays_before = self.levels.mapped("delay_days")
        self.assertEqual(delays_before, [-3, 0, 7, 15, 30, 45, 60])
        self.assertFalse(self.policy.minimum_amount)

        self._tour("account_dunning_policy_tour")

        self.assertEqual(self.policy.level_ids.sorted("sequence").mapped("delay_days"),
                         [-3, 0, 10, 15, 30, 45, 60])  # fmt: skip
        self.assertEqual(self.policy.minimum_amount, 50.0)

    def test_send_print_tour(self):
        """Send & Print on a customer: the message read, its subject edited, sent."""
        customer = self._customer("Tour Send Customer", "ap@tour-send.example.com")
        self.env["res.partner"].create(
            {"name": "Paula Payables", "parent_id": customer.id, "type": "invoice",
             "email": "paula@tour-send.example.com"}
        )  # fmt: skip
        self._overdue_invoice(customer, 640.0, 9)
        self.start_tour(
            f"/odoo/res.partner/{customer.id}",
            "account_dunning_send_print_tour",
            login=self.manager.login,
            timeout=self.tour_timeout,
        )
        mail = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", customer.id),
             ("message_type", "=", "comment")]
        )  # fmt: skip
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.subject, "About your open invoices - tour")
        self.assertEqual(mail.recipient_ids.email, "paula@tour-send.example.com")

    def test_invoice_tour(self):
        """An overdue invoice, reminded today: level, history and next date on screen."""
        customer = self._customer("Tour Invoice Customer", "ap@tour-invoice.example.com")
        invoice = self._overdue_invoice(customer, 1000.0, 10)
        run = self.env["dunning.run"].create({"company_id": self.company.id})
        run.action_execute()
        # What the tour expects on screen: the +7 level, one email event, the +15 level
        # due in 5 days (the tour computes the same date in the browser).
        self.assertEqual(invoice.dunning_level_id.name, "May have slipped")
        self.assertEqual(invoice.dunning_event_ids.mapped("channel"), ["email"])
        self.assertEqual(invoice.dunning_next_date, self.today + timedelta(days=5))

        self._tour("account_dunning_invoice_tour")

        # Looking changes nothing.
        self.assertEqual(invoice.dunning_level_id.name, "May have slipped")
        self.assertEqual(len(invoice.dunning_event_ids), 1)

    def test_run_tour(self):
        """Collections > Preview Today's Run, then Execute: the reminder is queued."""
        customer = self._customer("Tour Run Customer", "billing@tour-run.example.com")
        invoice = self._overdue_invoice(customer, 750.0, 10)
        Run = self.env["dunning.run"]
        self.assertFalse(Run.search([("date", "=", self.today)]))

        self._tour("account_dunning_run_tour")

        run = Run.search([("company_id", "=", self.company.id), ("date", "=", self.today)])
        self.assertEqual(len(run), 1, "the menu created exactly one run for today")
        self.assertEqual(run.state, "done")
        line = run.line_ids.filtered(lambda line: line.partner_id == customer)
        self.assertEqual(line.state, "done")
        self.assertEqual(invoice.dunning_level_id.name, "May have slipped")
        event = invoice.dunning_event_ids
        self.assertEqual(event.mapped("channel"), ["email"])
        self.assertEqual(event.state, "done")
        mail = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", customer.id),
             ("message_type", "=", "comment")]
        )  # fmt: skip
        self.assertEqual(len(mail), 1, "one queued reminder for the customer")
        self.assertEqual(mail.recipient_ids, customer)
        self.assertIn(invoice.name, mail.body_html)

    def test_plan_approval_tour(self):
        """A plan asked for online beyond the limits, approved by a collector."""
        customer = self._customer("Tour Request Customer", "ap@tour-request.example.com")
        invoice = self._overdue_invoice(customer, 1200.0, 20)
        plan = customer.with_company(self.company)._dunning_self_service_plan(
            12, self.today + timedelta(days=10)
        )
        self.assertEqual(plan.state, "pending")
        collector = new_test_user(
            self.env,
            login="tour_plan_collector",
            groups="base.group_user,account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
            tz="UTC",
        )
        self.assertFalse(collector.has_group("account_dunning.group_dunning_manager"))

        self.start_tour(
            f"/odoo/action-account_dunning.action_dunning_payment_plan/{plan.id}",
            "account_dunning_plan_approval_tour",
            login=collector.login,
            timeout=self.tour_timeout,
        )

        self.assertEqual(plan.state, "active")
        self.assertEqual(invoice.dunning_stage, "plan")
        agreement = self.env["mail.mail"].search(
            [
                ("model", "=", plan._name),
                ("res_id", "=", plan.id),
                ("recipient_ids", "in", customer.ids),
            ]
        )
        self.assertEqual(len(agreement), 1)

    def test_payment_plan_tour(self):
        """Payment Plan from an invoice's header: four installments, confirmed."""
        customer = self._customer("Tour Plan Customer", "ap@tour-plan.example.com")
        invoice = self._overdue_invoice(customer, 1200.0, 20)

        self._tour("account_dunning_payment_plan_tour")

        plan = self.env["dunning.payment.plan"].search([("partner_id", "=", customer.id)])
        self.assertEqual(len(plan), 1)
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.move_ids, invoice)
        # The wizard's default is three: four proves the tour's edit reached the server.
        self.assertEqual(plan.installment_ids.mapped("amount"), [300.0] * 4)
        self.assertEqual(invoice.dunning_stage, "plan")

    def test_handoff_tour(self):
        """Hand Off from an invoice's header to a collection agency: a case opens."""
        customer = self._customer("Tour Handoff Customer", "ap@tour-handoff.example.com")
        invoice = self._overdue_invoice(customer, 900.0, 70)
        agency = self.env["res.partner"].create(
            {
                "name": "Tour Collect Agency",
                "is_company": True,
                "email": "cases@tour-collect.example.com",
                "dunning_is_agency": True,
                "dunning_agency_commission": 12.0,
            }
        )

        self._tour("account_dunning_handoff_tour")

        case = self.env["dunning.case"].search([("partner_id", "=", customer.id)])
        self.assertEqual(len(case), 1)
        self.assertEqual(case.handoff_type, "agency")
        self.assertEqual(case.agency_id, agency)
        self.assertEqual(case.state, "open")
        self.assertEqual(case.move_ids, invoice)
        self.assertEqual(case.commission_rate, 12.0)
        self.assertIn("stopped answering", case.note)
        self.assertEqual(invoice.dunning_stage, "agency")
