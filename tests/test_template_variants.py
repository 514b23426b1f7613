from collections import Counter
from datetime import date

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import AccessError, ValidationError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from ..tools.ab_testing import assign_variant
from .common import DunningRunCommon


@tagged("post_install", "-at_install")
class TestTemplateVariants(DunningRunCommon):
    """A/B variants of a level's email (issue #14): stable assignment, the run sends the
    customer's variant, and the report compares how soon each is paid."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level = cls.levels[2]  # +7, "payment may have slipped"
        cls.template_a = cls.level.mail_template_id
        cls.template_b = cls.template_a.copy(
            {"name": "Slipped, variant B", "subject": "Variant B: {{ object.company_id.name }}"}
        )
        cls.level.mail_template_variant_id = cls.template_b

    def _customers(self, count):
        return self.env["res.partner"].create(
            [
                {"name": f"Customer {index}", "is_company": True, "email": f"c{index}@example.com"}
                for index in range(count)
            ]
        )

    def _email_event(self, run, customer):
        return run.event_ids.filtered(
            lambda event: event.partner_id == customer and event.channel == "email"
        )

    def test_variant_constraints(self):
        with self.assertRaisesRegex(ValidationError, "must differ"):
            self.level.mail_template_variant_id = self.template_a
        other_model = self.env["mail.template"].create(
            {"name": "Partner", "model_id": self.env["ir.model"]._get_id("res.partner")}
        )
        with self.assertRaisesRegex(ValidationError, "must be made for Dunning Event"):
            self.level.mail_template_variant_id = other_model
        broken = self.template_a.copy({"body_html": "<p t-out='object.no_such_field'/>"})
        with self.assertRaisesRegex(ValidationError, "cannot be rendered"):
            self.level.mail_template_variant_id = broken

    def test_archived_template_b_ends_the_test(self):
        self.template_b.active = False
        # Enough customers for one at least to draw B (a hash of the ids decides).
        customers = self._customers(6)
        while "b" not in {assign_variant(c.id, self.level.id) for c in customers}:
            customers |= self._customers(1)
        with freeze_time("2026-01-01"):
            for customer in customers:
                self._dunning_invoice(100.0, "2026-01-01", partner=customer)
        with freeze_time("2026-01-09 10:00:00"):
            run = self._run()
        for customer in customers:
            self.assertFalse(self._email_event(run, customer).template_variant)
            self.assertEqual(
                self._mails(customer).subject, f"{self.company.name}: open invoices on your account"
            )

    def test_assignment_stable_balanced_and_the_run_uses_it(self):
        customers = self._customers(40)
        with freeze_time("2026-01-01"):
            for customer in customers:
                self._dunning_invoice(100.0, "2026-01-01", partner=customer)
        with freeze_time("2026-01-09 10:00:00"):
            run = self._run()
        variants = Counter()
        for customer in customers:
            event = self._email_event(run, customer)
            expected = assign_variant(customer.id, self.level.id)
            self.assertEqual(event.template_variant, expected, "recorded, stable")
            self.assertEqual(event._dunning_mail_template(), (
                self.template_b if expected == "b" else self.template_a))  # fmt: skip
            mail = self._mails(customer)
            self.assertEqual(len(mail), 1)
            if expected == "b":
                self.assertEqual(mail.subject, f"Variant B: {self.company.name}")
            else:
                self.assertEqual(
                    mail.subject, f"{self.company.name}: open invoices on your account"
                )
            variants[expected] += 1
        # Binomial(40, 0.5): 20 +- 3 sigma (9.5).
        self.assertTrue(10 <= variants["b"] <= 30, variants)
        # Without a template B, nothing is recorded.
        plain = self.levels[3]
        self.assertFalse(plain.mail_template_variant_id)
        line = self.env["dunning.run.line"].new(
            {"level_id": plain.id, "partner_id": self.customer.id}
        )
        self.assertNotIn("template_variant", line._event_values("email"))

    def _history(self):
        """Two customers on each variant, reminded on 9 January 2026 (invoices due on
        1 January): A paid after 3 days and never; B after 11 and 27 days."""
        customers = self._customers(12)
        by_variant = {"a": [], "b": []}
        for customer in customers:
            by_variant[assign_variant(customer.id, self.level.id)].append(customer)
        chosen = by_variant["a"][:2] + by_variant["b"][:2]
        self.assertEqual(len(chosen), 4, "12 customers give two of each")
        with freeze_time("2026-01-01"):
            invoices = [self._dunning_invoice(100.0, "2026-01-01", partner=c) for c in chosen]
        with freeze_time("2026-01-09 10:00:00"):
            run = self._run()
        self.assertEqual(len(run.event_ids.filtered(lambda e: e.channel == "email")), 4)
        for invoice, day in zip(
            invoices, (date(2026, 1, 12), None, date(2026, 1, 20), date(2026, 2, 5)), strict=True
        ):
            if day:
                with freeze_time(day):
                    self._dunning_pay(invoice, 100.0, pay_date=day)
        self.env.flush_all()

    def test_report_numbers(self):
        self._history()
        report = self.env["dunning.template.report"].search([("level_id", "=", self.level.id)])
        self.assertRecordValues(
            report,
            [
                {
                    "template_variant": "a",
                    "step_count": 2,
                    "paid_7_count": 1,
                    "paid_14_count": 1,
                    "paid_30_count": 1,
                    "eligible_30_count": 2,
                    "paid_7_share": 50.0,
                    "paid_14_share": 50.0,
                    "paid_30_share": 50.0,
                    "median_days_to_pay": 3.0,
                    "verdict": False,
                },
                {
                    "template_variant": "b",
                    "step_count": 2,
                    "paid_7_count": 0,
                    "paid_14_count": 1,
                    "paid_30_count": 2,
                    "eligible_30_count": 2,
                    "paid_7_share": 0.0,
                    "paid_14_share": 50.0,
                    "paid_30_share": 100.0,
                    "median_days_to_pay": 19.0,  # (11 + 27) / 2
                    "verdict": False,  # 2 steps each: far too few to say
                },
            ],
        )
        # Grouped by variant in the pivot: the counts add up.
        groups = self.env["dunning.template.report"]._read_group(
            [("level_id", "=", self.level.id)], ["template_variant"], ["step_count:sum"]
        )
        self.assertEqual(dict(groups), {"a": 2, "b": 2})

    def _log_steps(self, variant, paid, unpaid, paid_invoice, open_invoice):
        self.env["dunning.engine"]._log(
            [
                {
                    "date": date(2026, 1, 9),
                    "company_id": self.company.id,
                    "partner_id": self.customer.id,
                    "level_id": self.level.id,
                    "channel": "email",
                    "template_variant": variant,
                    "move_ids": [Command.set((paid_invoice if i < paid else open_invoice).ids)],
                }
                for i in range(paid + unpaid)
            ]
        )

    def test_verdict_only_when_significant(self):
        with freeze_time("2026-01-01"):
            paid_invoice = self._dunning_invoice(100.0, "2026-01-01")
            open_invoice = self._dunning_invoice(100.0, "2026-01-01")
        with freeze_time("2026-01-12"):
            self._dunning_pay(paid_invoice, 100.0, pay_date=date(2026, 1, 12))
        # 22 of 40 against 20 of 40: no verdict.
        self._log_steps("a", 20, 20, paid_invoice, open_invoice)
        self._log_steps("b", 22, 18, paid_invoice, open_invoice)
        self.env.flush_all()
        Report = self.env["dunning.template.report"]
        report = Report.search([("level_id", "=", self.level.id)])
        self.assertEqual(report.mapped("eligible_30_count"), [40, 40])
        self.assertEqual(report.mapped("verdict"), [False, False])
        # 30 more steps on B, 28 paid: 50 of 70 (71 %) against 20 of 40 (50 %):
        # z = 2.25, p = 0.025.
        self._log_steps("b", 28, 2, paid_invoice, open_invoice)
        self.env.flush_all()
        self.env.invalidate_all()
        report = Report.search([("level_id", "=", self.level.id)])
        self.assertEqual(report.mapped("paid_30_count"), [20, 50])
        verdict = report[0].verdict
        self.assertTrue(verdict)
        self.assertEqual(report[1].verdict, verdict)
        self.assertIn("Template B gets paid within 30 days more often than template A", verdict)
        self.assertIn("71% of 70 steps against 50% of 40", verdict)
        self.assertIn("p = 0.025", verdict)

    @freeze_time("2026-02-20")
    def test_no_median_when_nothing_was_paid(self):
        with freeze_time("2026-01-01"):
            paid_invoice = self._dunning_invoice(100.0, "2026-01-01")
            open_invoice = self._dunning_invoice(100.0, "2026-01-01")
        with freeze_time("2026-01-12"):
            self._dunning_pay(paid_invoice, 100.0, pay_date=date(2026, 1, 12))
        self._log_steps("a", 0, 3, paid_invoice, open_invoice)  # nothing paid
        self._log_steps("b", 1, 1, paid_invoice, open_invoice)
        self.env.flush_all()
        report = self.env["dunning.template.report"].search([("level_id", "=", self.level.id)])
        self.assertEqual(report.mapped("paid_count"), [0, 1])
        self.assertEqual(report[1].median_days_to_pay, 3.0)
        # The database has no median for A (not a 0): the list shows none.
        self.env.cr.execute(
            SQL(
                "SELECT median_days_to_pay FROM (%s) report WHERE id = %s",
                report[0]._table_query,
                report[0].id,
            )
        )
        self.assertIsNone(self.env.cr.fetchone()[0])
        arch = self.env["dunning.template.report"].get_view(
            self.env.ref("account_dunning.dunning_template_report_view_list").id
        )["arch"]
        median = etree.fromstring(arch).xpath("//field[@name='median_days_to_pay']")[0]
        self.assertEqual(median.get("invisible"), "not paid_count")

    def test_report_for_managers_only(self):
        user = new_test_user(
            self.env,
            login="ab_collector",
            groups="account_dunning.group_dunning_user",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        with self.assertRaises(AccessError):
            self.env["dunning.template.report"].with_user(user).search([])
        manager = new_test_user(
            self.env,
            login="ab_manager",
            groups="account_dunning.group_dunning_manager",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        self.assertEqual(self.env["dunning.template.report"].with_user(manager).search([]).ids, [])
        menu = self.env.ref("account_dunning.menu_dunning_template_report")
        self.assertEqual(menu.parent_id, self.env.ref("account_dunning.menu_dunning_reporting"))
