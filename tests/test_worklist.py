from datetime import date
from unittest.mock import patch

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from ..tools.priority import dunning_priority
from .common import DunningRunCommon


@tagged("post_install", "-at_install")
class TestWorklist(DunningRunCommon):
    """My collections: whom to call first, by the documented score of tools/priority.py."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_collector = new_test_user(
            cls.env,
            login="other_collector",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _customer(self, name, collector=None):
        partner = self.env["res.partner"].create(
            {"name": name, "is_company": True, "email": f"{name.lower()}@example.com"}
        )
        partner.with_company(self.company).dunning_collector_id = collector or self.collector
        return partner

    def _invoice(self, amount, due, partner, invoice_date=None):
        """An invoice created on its own date (its invoice date, default its due date)."""
        with freeze_time(invoice_date or due):
            return self._dunning_invoice(amount, due, partner=partner, invoice_date=invoice_date)

    def _cron_run(self):
        """The scheduled action as it runs (OdooBot, superuser), without its commits."""
        with patch.object(type(self.env["ir.cron"]), "_commit_progress", lambda *a, **k: 100.0):
            self.env["dunning.run"].with_user(self.env.ref("base.user_root")).sudo()._cron_run()

    def _worklist(self, user=None, company=None):
        """The customers of "My collections" as the user sees them: the action's domain,
        its default filter and the list view's order."""
        user = user or self.collector
        company = company or self.company
        env = self.env(user=user, context={"allowed_company_ids": company.ids})
        action = env["ir.actions.act_window"]._for_xml_id("account_dunning.action_dunning_worklist")
        context = safe_eval(action["context"], {"uid": user.id})
        self.assertTrue(context.get("search_default_my_collections"))
        search_view = self.env.ref("account_dunning.view_partner_search_dunning_worklist").sudo()
        my_filter = etree.fromstring(search_view.arch).xpath("//filter[@name='my_collections']")
        domain = safe_eval(action["domain"]) + safe_eval(
            my_filter[0].get("domain"), {"uid": user.id}
        )
        list_view = self.env.ref("account_dunning.view_partner_list_dunning_worklist").sudo()
        order = etree.fromstring(list_view.arch).get("default_order")
        self.assertEqual(order, "dunning_priority desc, id")
        return env["res.partner"].search(domain, order=order)

    def test_worklist_order_is_the_documented_score(self):
        oldest = self._customer("Birch")
        promised = self._customer("Cedar")
        recent = self._customer("Aspen")
        biggest = self._customer("Dogwood")
        not_mine = self._customer("Elm", collector=self.other_collector)
        not_due = self._customer("Fir")
        self._invoice(300.0, "2026-01-01", oldest)
        self._invoice(500.0, "2026-02-10", promised)
        with freeze_time("2026-02-11"):
            promise = self.env["dunning.promise"].create(
                {
                    "partner_id": promised.id,
                    "move_ids": [Command.set(promised.invoice_ids.ids)],
                    "amount": 500.0,
                    "date_promised": date(2026, 2, 12),
                }
            )
        self._invoice(5000.0, "2026-02-15", not_mine)
        with freeze_time("2026-02-20"):
            self._run()  # the promise's date and grace days have passed: broken
        self.assertEqual(promise.state, "broken")
        invoice = self._invoice(1200.0, "2026-02-20", recent)
        self._dunning_pay(invoice, 200.0, pay_date=date(2026, 2, 25))
        self._invoice(2000.0, "2026-02-28", biggest)
        self._invoice(800.0, "2026-03-20", not_due, invoice_date=date(2026, 2, 25))

        with freeze_time("2026-03-01"):
            self._run()
            # amount overdue (net of the payment), days overdue, broken promises
            facts = {
                oldest: (300.0, 59, 0),
                promised: (500.0, 19, 1),
                recent: (1000.0, 9, 0),
                biggest: (2000.0, 1, 0),
            }
            for partner, (amount, days, broken) in facts.items():
                self.assertAlmostEqual(partner.dunning_overdue_amount, amount)
                self.assertEqual(partner.dunning_oldest_overdue_days, days)
                self.assertEqual(partner.dunning_promise_broken_count, broken)
                self.assertAlmostEqual(
                    partner.dunning_priority, dunning_priority(amount, days, broken)
                )
            expected = sorted(facts, key=lambda p: dunning_priority(*facts[p]), reverse=True)
            # Dogwood (2000, 1 day) 2066.67 > Aspen 1300 > Cedar (broken promise) 1225
            # > Birch (oldest, smallest) 890: neither the amount nor the age alone.
            self.assertEqual(expected, [biggest, recent, promised, oldest])
            worklist = self._worklist()
            self.assertEqual(worklist.ids, [p.id for p in expected])
            self.assertNotIn(not_mine, worklist)
            self.assertNotIn(not_due, worklist)
            self.assertEqual(self._worklist(self.other_collector), not_mine)

    def test_worklist_columns(self):
        customer = self._customer("Hazel")
        invoice = self._invoice(900.0, "2026-03-01", customer)
        with freeze_time("2026-03-09"):
            self._run()  # the +7 reminder: a contact
            promise = self.env["dunning.promise"].create(
                {
                    "partner_id": customer.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "amount": 400.0,
                    "date_promised": date(2026, 3, 20),
                }
            )
        partner = self.env["res.partner"].with_user(self.collector).browse(customer.id)
        self.assertEqual(partner.dunning_last_contact_date, date(2026, 3, 9))
        self.assertEqual(partner.dunning_promise_amount, promise.amount)
        self.assertEqual(partner.dunning_promise_date, date(2026, 3, 20))
        self.assertEqual(partner.dunning_promise_currency_id, invoice.currency_id)
        self.assertEqual(partner.dunning_dispute_open_count, 0)

    def test_daily_run_updates_the_priority(self):
        customer = self._customer("Juniper")
        invoice = self._invoice(1000.0, "2026-03-01", customer)
        # Review mode (the default): the scheduled run sends nothing on its own, and
        # still ranks the customers for the collectors.
        self.assertEqual(self.policy.execution_mode, "review")
        with freeze_time("2026-03-05"):
            self._cron_run()
            self.assertAlmostEqual(customer.dunning_priority, dunning_priority(1000.0, 4, 0))
            self._dunning_pay(invoice, 400.0, pay_date=date(2026, 3, 5))
        with freeze_time("2026-03-10"):
            self._cron_run()
            self.assertAlmostEqual(customer.dunning_priority, dunning_priority(600.0, 9, 0))
            self.assertEqual(self._worklist(), customer)
            self._dunning_pay(invoice, 600.0, pay_date=date(2026, 3, 10))
        with freeze_time("2026-03-11"):
            self._cron_run()
            self.assertEqual(customer.dunning_priority, 0.0)
            self.assertFalse(self._worklist())

    def _commit_hooks(self):
        """What a commit runs before it commits (the pre-commit hooks), without it."""
        self.env.cr.flush()

    def test_a_payment_reconciled_refreshes_the_priority_at_once(self):
        customer = self._customer("Hawthorn")
        other = self._customer("Rowan")
        first = self._invoice(1000.0, "2026-03-01", customer)
        second = self._invoice(500.0, "2026-03-03", customer)
        self._invoice(800.0, "2026-03-01", other)
        with freeze_time("2026-03-10"):
            self._cron_run()
            self.assertAlmostEqual(customer.dunning_priority, dunning_priority(1500.0, 9, 0))
            self.assertEqual(self._worklist()[:1], customer)
            # Paid in part, between two runs: the worklist follows with the payment's
            # transaction, not tomorrow.
            self._dunning_pay(first, 1000.0, pay_date=date(2026, 3, 10))
            self._commit_hooks()
            self.assertAlmostEqual(customer.dunning_priority, dunning_priority(500.0, 7, 0))
            self.assertEqual(self._worklist()[:1], other)
            self.assertAlmostEqual(other.dunning_priority, dunning_priority(800.0, 9, 0))
            # Paid in full: off the list.
            payment = self._dunning_pay(second, 500.0, pay_date=date(2026, 3, 10))
            self._commit_hooks()
            self.assertEqual(customer.dunning_priority, 0.0)
            self.assertEqual(self._worklist(), other)
            # Unmatched, then unposted (in one transaction): back on the list.
            payment.move_id.line_ids.remove_move_reconcile()
            payment.move_id.button_draft()
            self._commit_hooks()
            self.assertAlmostEqual(customer.dunning_priority, dunning_priority(500.0, 7, 0))

    def test_the_priority_refresh_reads_once_for_many_invoices(self):
        customer = self._customer("Linden")
        other = self._customer("Sorbus")
        invoices = self.env["account.move"]
        for day in range(1, 11):
            invoices |= self._invoice(100.0, f"2026-03-{day:02d}", customer)
        invoices |= self._invoice(100.0, "2026-03-01", other)
        with freeze_time("2026-03-20"):
            self._cron_run()
            self._commit_hooks()
            lines = invoices.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            )
            Partner = type(self.env["res.partner"])
            with patch.object(
                Partner,
                "_dunning_update_priorities",
                autospec=True,
                side_effect=Partner._dunning_update_priorities,
            ) as update:
                for partner in (customer, other):  # two payments, one transaction
                    self._dunning_pay_lines(
                        lines.filtered(lambda line, p=partner: line.partner_id == p)
                    )
                self.assertFalse(update.called, "nothing before the commit")
                self._commit_hooks()
            self.assertEqual(update.call_count, 1, "one recompute for eleven invoices")
            self.assertEqual(update.call_args.args[1], sorted((customer | other).ids))
            self.assertEqual(customer.dunning_priority, 0.0)
            self.assertEqual(other.dunning_priority, 0.0)

    def _dunning_pay_lines(self, lines):
        """One payment for all these invoices (one reconciliation)."""
        self.env["account.payment.register"].with_context(
            active_model="account.move.line", active_ids=lines.ids
        ).create({"group_payment": True, "payment_date": date(2026, 3, 20)})._create_payments()

    def test_manager_action_recomputes(self):
        customer = self._customer("Larch")
        self._invoice(700.0, "2026-03-01", customer)
        manager = new_test_user(
            self.env,
            login="collections_manager",
            groups="account.group_account_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        with freeze_time("2026-03-16"):
            self.assertEqual(customer.dunning_priority, 0.0)  # no run yet
            with self.assertRaises(AccessError):
                customer.with_user(self.collector).action_dunning_update_priorities()
            customer.with_user(manager).action_dunning_update_priorities()
            self.assertAlmostEqual(customer.dunning_priority, dunning_priority(700.0, 15, 0))

    def test_priority_per_company(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        customer = self._customer("Maple")
        self._invoice(1000.0, "2026-03-01", customer)
        with freeze_time("2026-02-01"):
            self._dunning_invoice(300.0, "2026-02-01", partner=customer, company_id=company_b.id)
        with freeze_time("2026-03-11"):
            self._run()
            run_b = (
                self.env["dunning.run"].with_company(company_b).create({"company_id": company_b.id})
            )
            run_b.action_execute()
            score_a = dunning_priority(1000.0, 10, 0)
            score_b = dunning_priority(300.0, 38, 0)
            self.assertNotEqual(score_a, score_b)
            self.assertAlmostEqual(customer.with_company(self.company).dunning_priority, score_a)
            self.assertAlmostEqual(customer.with_company(company_b).dunning_priority, score_b)
            # The order of a company's worklist reads that company's figure.
            Partner = self.env["res.partner"]
            for company, score in ((self.company, score_a), (company_b, score_b)):
                found = Partner.with_company(company).search(
                    [("id", "=", customer.id), ("dunning_priority", "=", score)],
                    order="dunning_priority desc",
                )
                self.assertEqual(found, customer)

    def test_priority_is_the_engines_figure(self):
        customer = self._customer("Oak")
        self._invoice(100.0, "2026-03-01", customer)
        with freeze_time("2026-03-11"):
            self._run()
        score = customer.dunning_priority
        self.assertTrue(score)
        manager = new_test_user(
            self.env,
            login="collections_manager_write",
            groups="account.group_account_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        for user in (self.collector, manager):
            with self.assertRaises(AccessError):
                customer.with_user(user).write({"dunning_priority": 1e9})
            with self.assertRaises(AccessError):
                customer.with_user(user).with_company(self.company).dunning_priority = 1e9
        # The collector reads it, as the partner's other money figures.
        self.assertEqual(customer.with_user(self.collector).dunning_priority, score)
        employee = new_test_user(
            self.env,
            login="plain_employee",
            groups="base.group_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assertFalse(employee.has_group("account_dunning.group_dunning_user"))
        with self.assertRaises(AccessError):
            customer.with_user(employee).read(["dunning_priority"])
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(employee).search([("dunning_priority", ">", 0)])
        customer.invalidate_recordset()
        self.assertEqual(customer.dunning_priority, score)

    def test_recompute_queries_do_not_grow_with_customers(self):
        def customers_with_overdue(count, tag):
            for index in range(count):
                self._invoice(100.0 + index, "2026-03-01", self._customer(f"{tag}{index}"))

        def queries():
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            ranked = self.env["res.partner"]._dunning_update_priorities()
            self.env.flush_all()
            return self.env.cr.sql_log_count - before, ranked

        with freeze_time("2026-03-11"):
            self.env["res.partner"]._dunning_update_priorities()  # warm-up
        customers_with_overdue(5, "Few")
        with freeze_time("2026-03-11"):
            few, ranked_few = queries()
        customers_with_overdue(45, "Many")
        with freeze_time("2026-03-11"):
            many, ranked_many = queries()
        self.assertEqual(ranked_many - ranked_few, 45)
        self.assertLessEqual(many, few, f"{few} queries for 5 new customers, {many} for 45")
        self.assertLessEqual(few, 3, "one read and one write (and no more)")
