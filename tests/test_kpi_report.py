from datetime import date

from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestKpiReport(DunningCommon):
    """The collections KPIs on a small 2025 history, every figure worked out by hand.

    Acme (collector Colin), invoices without tax, 30 days to pay:
      A 1000 on 10 Jan, due 9 Feb, paid 20 Mar;
      B  500 on 15 Feb, due 17 Mar, promise kept 25 Mar, promise broken 28 Mar,
             handed to an agency 20 Apr, 200 recovered 25 Apr;
      C  300 on  5 Mar, due  4 Apr, written off 28 Apr.
    Globex (no collector): G 200 on 1 Feb, due 3 Mar, never paid.
    """

    @classmethod
    def _invoice(cls, amount, invoice_date, due, partner=None):
        with freeze_time(invoice_date):
            return cls._dunning_invoice(amount, due, partner=partner, invoice_date=invoice_date)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.colin = cls.env["res.users"].create(
            {
                "name": "Colin Collector",
                "login": "colin_kpi",
                "group_ids": [Command.set(cls.env.ref("account.group_account_invoice").ids)],
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
            }
        )
        cls.customer.with_company(cls.company).dunning_collector_id = cls.colin
        cls.globex = cls.env["res.partner"].create({"name": "Globex", "is_company": True})
        cls.company.dunning_bad_debt_account_id = cls.env["account.account"].create(
            {"name": "Bad debts", "code": "658100", "account_type": "expense"}
        )
        cls.agency = cls.env["res.partner"].create(
            {"name": "Fair Collect", "is_company": True, "email": "cases@fair.example.com",
             "dunning_is_agency": True, "dunning_agency_commission": 10.0}
        )  # fmt: skip
        inv_a = cls._invoice(1000.0, date(2025, 1, 10), date(2025, 2, 9))
        cls._invoice(200.0, date(2025, 2, 1), date(2025, 3, 3), partner=cls.globex)
        inv_b = cls._invoice(500.0, date(2025, 2, 15), date(2025, 3, 17))
        inv_c = cls._invoice(300.0, date(2025, 3, 5), date(2025, 4, 4))
        with freeze_time("2025-03-20"):
            cls._dunning_pay(inv_a, 1000.0, pay_date=date(2025, 3, 20))
        for day, state in ((date(2025, 3, 25), "kept"), (date(2025, 3, 28), "broken")):
            with freeze_time(day):
                promise = cls.env["dunning.promise"].create(
                    {"partner_id": cls.customer.id, "move_ids": [Command.set(inv_b.ids)],
                     "amount": 500.0, "date_promised": date(2025, 4, 10)}
                )  # fmt: skip
                promise._dunning_close(state, day)
        with freeze_time("2025-04-20"):
            cls.env["dunning.handoff.wizard"].with_context(
                active_model="account.move", active_ids=inv_b.ids
            ).create({"handoff_type": "agency", "agency_id": cls.agency.id}).action_confirm()
        with freeze_time("2025-04-25"):
            cls._dunning_pay(inv_b, 200.0, pay_date=date(2025, 4, 25))
        with freeze_time("2025-04-28"):
            cls.env["dunning.writeoff.wizard"].with_context(
                active_model="account.move", active_ids=inv_c.ids
            ).create({"reason": "Customer insolvent"}).action_confirm()
        cls.env.flush_all()

    def _row(self, month, user):
        rows = self.env["dunning.kpi.report"].search(
            [("company_id", "=", self.company.id), ("date", "=", month), ("user_id", "=", user.id)]
        )
        self.assertEqual(len(rows), 1)
        return rows

    def test_aging_and_amounts_per_month(self):
        feb = self._row(date(2025, 2, 1), self.colin)
        # 28 Feb: A 19 days overdue, B not due.
        self.assertEqual((feb.amount_open, feb.amount_not_due), (1500.0, 500.0))
        self.assertEqual((feb.amount_overdue_1_30, feb.amount_overdue), (1000.0, 1000.0))
        self.assertEqual(feb.amount_sales, 500.0)
        mar = self._row(date(2025, 3, 1), self.colin)
        # 31 Mar: A paid, B 14 days overdue, C not due.
        self.assertEqual((mar.amount_open, mar.amount_not_due, mar.amount_overdue_1_30),
                         (800.0, 300.0, 500.0))  # fmt: skip
        self.assertEqual(mar.amount_open_begin, 1500.0)
        apr = self._row(date(2025, 4, 1), self.colin)
        # 30 Apr: B 300 left, 44 days overdue; C written off.
        self.assertEqual((apr.amount_open, apr.amount_overdue_31_60), (300.0, 300.0))
        self.assertEqual((apr.amount_recovered, apr.amount_written_off), (200.0, 300.0))
        self.assertEqual(apr.amount_sales, 0.0)
        # Globex has no collector: its own rows, not Colin's.
        nobody = self._row(date(2025, 4, 1), self.env["res.users"])
        self.assertEqual(nobody.amount_overdue_31_60, 200.0)  # 58 days

    def test_dso_add_cei_and_promises(self):
        feb = self._row(date(2025, 2, 1), self.colin)
        # Countback of 1500: February's 500 sales (28 days), then 1000 of January's
        # 1000 (31 days): 28 + 31 = 59. Best possible: 500 not due of 500 Feb: 28.
        self.assertAlmostEqual(feb.dso, 59.0)
        self.assertAlmostEqual(feb.best_dso, 28.0)
        self.assertAlmostEqual(feb.add_days, 31.0)
        # CEI: (1000 + 500 - 1500) / (1000 + 500 - 500) = 0 %.
        self.assertAlmostEqual(feb.cei, 0.0)
        mar = self._row(date(2025, 3, 1), self.colin)
        # 800: March's 300 (31 days) then 500 of February's 500 (28): 59. Best: 300 of
        # March's 300: 31. CEI: (1500 + 300 - 800) / (1500 + 300 - 300) = 66.7 %.
        self.assertAlmostEqual(mar.dso, 59.0)
        self.assertAlmostEqual(mar.add_days, 28.0)
        self.assertAlmostEqual(mar.cei, 100.0 * 1000 / 1500, places=2)
        self.assertEqual((mar.promises_kept, mar.promises_broken), (1, 1))
        self.assertAlmostEqual(mar.promise_kept_rate, 50.0)
        apr = self._row(date(2025, 4, 1), self.colin)
        # 300: no April sales (30 days passed over), then 300 of March's 300 (31): 61.
        self.assertAlmostEqual(apr.dso, 61.0)
        self.assertAlmostEqual(apr.best_dso, 0.0)
        # (800 + 0 - 300) / (800 + 0 - 0) = 62.5 %.
        self.assertAlmostEqual(apr.cei, 62.5)

    def test_ratios_of_a_group_come_from_its_sums(self):
        Report = self.env["dunning.kpi.report"]
        # Both collectors in March: begin 1500 + 200, sales 300, end 800 + 200, current
        # 300: CEI (1700 + 300 - 1000) / (1700 + 300 - 300) = 58.8 % (not the mean of
        # Colin's 66.7 and Globex's figure).
        [(cei, amount_open)] = Report._read_group(
            [("company_id", "=", self.company.id), ("date", "=", date(2025, 3, 1))],
            [],
            ["cei:avg", "amount_open:sum"],
        )
        self.assertEqual(amount_open, 1000.0)
        self.assertAlmostEqual(cei, 100.0 * 1000 / 1700, places=2)
        # Colin over February and March: (1000 + 1500 + 500 + 300 - 1500 - 800) /
        # (1000 + 1500 + 500 + 300 - 500 - 300) = 1000 / 2500 = 40 %, not (0 + 66.7) / 2.
        [(cei,)] = Report._read_group(
            [("company_id", "=", self.company.id), ("user_id", "=", self.colin.id),
             ("date", "in", [date(2025, 2, 1), date(2025, 3, 1)])],
            [],
            ["cei:sum"],
        )  # fmt: skip
        self.assertAlmostEqual(cei, 40.0, places=2)

    def test_balances_are_not_summed_over_months(self):
        """A group of months shows its closing balance (opening: its first month), the
        flows their sum: the pivot's Total row of a year is its last month-end."""
        Report = self.env["dunning.kpi.report"]
        domain = [
            ("company_id", "=", self.company.id),
            ("user_id", "=", self.colin.id),
            ("date", "in", [date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)]),
        ]
        [(opened, closing, overdue, sales, written_off)] = Report._read_group(
            domain,
            [],
            ["amount_open_begin:sum", "amount_open:sum", "amount_overdue:sum",
             "amount_sales:sum", "amount_written_off:sum"],
        )  # fmt: skip
        self.assertEqual(closing, 300.0, "30 Apr, not 1500 + 800 + 300")
        self.assertEqual(overdue, 300.0)
        self.assertEqual(opened, 1000.0, "the opening balance of February (31 Jan)")
        self.assertEqual(sales, 500.0 + 300.0, "flows are summed")
        self.assertEqual(written_off, 300.0)
        # Grouped by month, each month keeps its own balance.
        by_month = dict(Report._read_group(domain, ["date:month"], ["amount_open:sum"]))
        self.assertEqual(sorted(by_month.values()), [300.0, 800.0, 1500.0])
        # Every measure a pivot offers on rates of different dates: none is summed.
        self.assertFalse(self.env["dunning.reference.rate"]._fields["rate"].aggregator)

    def test_this_month_is_the_ledger(self):
        """The current month's receivables are what the customers' ledgers hold."""
        Report = self.env["dunning.kpi.report"]
        today = date.today()
        [(amount_open,)] = Report._read_group(
            [("company_id", "=", self.company.id), ("date", "=", today.replace(day=1))],
            [],
            ["amount_open:sum"],
        )
        customers = self.customer | self.globex
        ledgers = customers._dunning_ledger()
        self.assertAlmostEqual(
            amount_open, sum(ledger.net_company() for ledger in ledgers.values()), places=2
        )

    def test_collectors_read_their_company_only(self):
        rows = (
            self.env["dunning.kpi.report"]
            .with_user(self.colin)
            .search([("date", "=", date(2025, 3, 1))])
        )
        self.assertTrue(rows)
        self.assertEqual(rows.company_id, self.company)
        other = self.setup_other_company(name="Company B")["company"]
        outsider = self.env["res.users"].create(
            {
                "name": "Olga Other",
                "login": "olga_kpi",
                "group_ids": [Command.set(self.env.ref("account.group_account_invoice").ids)],
                "company_id": other.id,
                "company_ids": [Command.set(other.ids)],
            }
        )
        self.assertFalse(
            self.env["dunning.kpi.report"]
            .with_user(outsider)
            .search([("company_id", "=", self.company.id)])
        )
