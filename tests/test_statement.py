from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..tools.aging import to_units
from .common import DunningRunCommon
from .xlsx_reader import read_cells, rows_of

LOGGER = "odoo.addons.account_dunning.models.res_partner"


@tagged("post_install", "-at_install")
@freeze_time("2026-03-31")
class TestStatement(DunningRunCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        # 75 days overdue, 300 paid on 10 Feb: 700 open.
        cls.late = cls._dunning_invoice(1000.0, "2026-01-15", invoice_date=date(2026, 1, 1))
        cls._dunning_pay(cls.late, 300.0, pay_date=date(2026, 2, 10))
        cls.not_due = cls._dunning_invoice(500.0, "2026-04-15", invoice_date=date(2026, 3, 16))
        # A standalone credit note, 30 days after its date.
        cls.refund = cls._dunning_invoice(200.0, "2026-03-01", move_type="out_refund")
        # A payment received on 20 Mar and not applied to any invoice.
        cls.unapplied = cls.init_payment(150.0, post=True, date=date(2026, 3, 20),
                                         partner=cls.customer)  # fmt: skip
        # 400 EUR (200 in company currency), 120 days overdue.
        cls.foreign = cls._dunning_invoice(400.0, "2025-12-01", currency=cls.eur)
        # Paid in full 111 days ago: neither an open item nor a recent payment.
        cls.paid = cls._dunning_invoice(90.0, "2025-12-01")
        cls._dunning_pay(cls.paid, 90.0, pay_date=date(2025, 12, 10))
        cls.report = cls.env.ref("account_dunning.action_report_dunning_statement")

    def _statement(self, partner=None, **kw):
        return (partner or self.customer)._dunning_statement(**kw)

    def _section(self, statement, currency):
        return next(s for s in statement["currencies"] if s["currency"] == currency)

    def test_every_open_item_with_its_residual_per_currency(self):
        self.assertEqual(self.unapplied.state, "in_process")
        statement = self._statement()
        self.assertEqual(statement["partner"], self.customer)
        self.assertEqual(statement["contact"], self.ap_contact)
        usd, eur = self.company.currency_id, self.eur
        self.assertEqual([s["currency"] for s in statement["currencies"]], [usd, eur])
        rows = [
            (row["name"], row["kind"], row["date_due"], row["days_overdue"], row["residual"])
            for row in self._section(statement, usd)["items"]
        ]
        self.assertEqual(
            rows,
            [  # oldest due first
                (self.late.name, "invoice", date(2026, 1, 15), 75, 700.0),
                (self.refund.name, "credit_note", date(2026, 3, 1), 30, -200.0),
                (self.unapplied.move_id.name, "payment", date(2026, 3, 20), 11, -150.0),
                (self.not_due.name, "invoice", date(2026, 4, 15), -15, 500.0),
            ],
        )
        # The foreign invoice in its own currency, not the 200 it is worth in USD.
        (eur_row,) = self._section(statement, eur)["items"]
        self.assertEqual((eur_row["name"], eur_row["residual"]), (self.foreign.name, 400.0))
        self.assertEqual(eur_row["date"], self.foreign.invoice_date)

    def test_buckets_sum_to_the_balance_per_currency(self):
        statement = self._statement()
        usd = self._section(statement, self.company.currency_id)
        self.assertEqual(
            dict(usd["aging"]),
            {"not_due": 500.0, "1_30": -350.0, "31_60": 0.0, "61_90": 700.0, "over_90": 0.0},
        )
        self.assertEqual(usd["balance"], 850.0)
        eur = self._section(statement, self.eur)
        self.assertEqual(dict(eur["aging"])["over_90"], 400.0)
        self.assertEqual(eur["balance"], 400.0)
        for section in statement["currencies"]:
            rounding = section["currency"].rounding
            self.assertEqual(
                sum(to_units(amount, rounding) for _name, amount in section["aging"]),
                to_units(section["balance"], rounding),
            )
            self.assertEqual(
                to_units(section["balance"], rounding),
                sum(to_units(row["residual"], rounding) for row in section["items"]),
            )
        # The same net balance as the customer's figures, in company currency (EUR at 2.0).
        self.assertAlmostEqual(self.customer.dunning_balance, 850.0 + 200.0)

    def test_payments_of_the_last_90_days(self):
        statement = self._statement()
        payments = [(p["date"], p["amount"], p["currency"]) for p in statement["payments"]]
        usd = self.company.currency_id
        self.assertEqual(
            payments, [(date(2026, 3, 20), 150.0, usd), (date(2026, 2, 10), 300.0, usd)]
        )
        # Ninety days later, only the unapplied one is still recent.
        statement = self._statement(date=date(2026, 5, 15))
        self.assertEqual([p["amount"] for p in statement["payments"]], [150.0])

    def test_pay_link_is_the_oldest_open_invoice_portal_page(self):
        statement = self._statement()
        usd = self._section(statement, self.company.currency_id)
        self.assertTrue(self.late.access_token)
        self.assertEqual(usd["pay_url"], self.late.get_base_url() + self.late.get_portal_url())
        self.assertIn(f"/my/invoices/{self.late.id}?access_token=", usd["pay_url"])
        self.assertIn(
            f"/my/invoices/{self.foreign.id}?", self._section(statement, self.eur)["pay_url"]
        )

    def test_other_company_is_not_in_the_statement(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        self.env.user.company_ids |= company_b
        invoice_b = self._dunning_invoice(333.0, "2026-03-01", company_id=company_b.id)
        customer_b = self.env["res.partner"].create(
            {"name": "Only in B", "company_id": company_b.id}
        )
        self._dunning_invoice(77.0, "2026-03-01", partner=customer_b, company_id=company_b.id)
        statements = (self.customer | customer_b)._dunning_statement_data()
        moves = [
            row["move_id"] for s in statements[self.customer.id]["currencies"] for row in s["items"]
        ]
        self.assertNotIn(invoice_b.id, moves)
        self.assertEqual(len(moves), 5)
        self.assertFalse(statements[customer_b.id]["currencies"])
        # In company B, its own invoices only.
        statement_b = self.customer.with_company(company_b)._dunning_statement()
        self.assertEqual(statement_b["company"], company_b)
        self.assertEqual([row["move_id"] for s in statement_b["currencies"] for row in s["items"]],
                         invoice_b.ids)  # fmt: skip
        self.assertFalse(statement_b["payments"])

    def test_query_count_does_not_grow_with_the_items(self):
        other = self.env["res.partner"].create({"name": "Other", "email": "o@example.com"})
        self._dunning_invoice(10.0, "2026-03-01", partner=other)

        def queries(partners):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            partners._dunning_statement_data()
            return self.env.cr.sql_log_count - before

        queries(self.customer | other)  # warm the caches (access rules, tokens...)
        few = queries(self.customer | other)
        for day in range(1, 9):
            self._dunning_invoice(10.0 * day, f"2026-02-{day:02d}", partner=other)
            self._dunning_invoice(5.0 * day, f"2026-02-{day:02d}", currency=self.eur)
        self._dunning_pay(self.not_due, 100.0, pay_date=date(2026, 3, 25))
        queries(self.customer | other)
        self.assertEqual(queries(self.customer | other), few)

    def test_render_html_and_pdf(self):
        Report = self.env["ir.actions.report"]
        html, _type = Report._render_qweb_html(self.report, self.customer.ids)
        html = html.decode()
        for expected in (self.late.name, self.refund.name, self.foreign.name, "700.00",
                         "850.00", "400.00", "Statement of account", "Over 90",
                         "BE0477472701", "Payments received in the last 90 days",
                         f"/my/invoices/{self.late.id}?access_token="):  # fmt: skip
            self.assertIn(expected, html)
        self.assertNotIn(self.paid.name, html)
        pdf, report_type = Report.with_context(force_report_rendering=True)._render_qweb_pdf(
            self.report, (self.customer | self.ap_contact).ids
        )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_print_and_send_buttons(self):
        # Odoo asks an admin to configure the document layout before the first print.
        self.company.external_report_layout_id = self.env.ref("web.external_layout_standard")
        action = self.ap_contact.action_dunning_print_statement()
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(action["report_name"], "account_dunning.report_dunning_statement")
        self.assertEqual(action["context"]["active_ids"], self.customer.ids)
        # Sent now through the gateway, by a person: an event, the mail, a confirmation.
        action = self.customer.action_dunning_send_statement()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(self.ap_contact.display_name, action["params"]["message"])
        event = self.env["dunning.event"].search(
            [("partner_id", "=", self.customer.id), ("channel", "=", "statement")]
        )
        self.assertEqual((event.state, event.contact_id), ("done", self.ap_contact))
        self.assertTrue(event.is_customer_message)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", event.message_id.id)])
        self.assertEqual(mail.recipient_ids, self.ap_contact)
        self.assertIn("statement of account", mail.subject)
        self.assertIn("850.00", mail.body_html)
        self.assertEqual(
            mail.attachment_ids.mapped("name"), ["Statement of account Acme Retail 2026-03-31.html"]
        )

    def test_statement_as_xlsx_from_the_same_statement(self):
        self.late.ref = '=HYPERLINK("http://evil.example","click")'
        action = self.ap_contact.with_user(self.collector).action_dunning_statement_xlsx()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(action["url"], f"/dunning/statement/{self.customer.id}/xlsx")
        name, content = self.customer.with_user(self.collector)._dunning_statement_xlsx()
        self.assertEqual(name, "Statement of account Acme Retail 2026-03-31.xlsx")
        cells = read_cells(content)
        self.assertFalse([ref for ref, (kind, _v) in cells.items() if kind == "formula"])
        rows = rows_of(cells)
        by_number = {row.get("A"): row for row in rows.values()}
        # The PDF's rows, in the same order and amounts, per currency.
        statement = self._statement()
        for section in statement["currencies"]:
            for item in section["items"]:
                row = by_number[item["name"]]
                self.assertEqual(row["G"], item["residual"], item["name"])
                self.assertEqual(row.get("B", ""), item["ref"] or "")
        self.assertEqual(by_number[self.late.name]["B"], self.late.ref, "text, not a formula")
        self.assertEqual(by_number[self.late.name]["F"], 75)
        balances = [
            row["G"] for row in rows.values() if str(row.get("F", "")).startswith("Balance")
        ]
        self.assertEqual(balances, [s["balance"] for s in statement["currencies"]])
        # Who may not read what a customer owes gets no spreadsheet either.
        clerk = self._dunning_user("statement_clerk", "base.group_user")
        with self.assertRaises(AccessError):
            self.customer.with_user(clerk)._dunning_statement_xlsx()
        with self.assertRaises(AccessError):
            self.customer.with_user(clerk).action_dunning_statement_xlsx()

    def _cron(self):
        with patch.object(type(self.env["ir.cron"]), "_commit_progress", return_value=1.0):
            # As the scheduled action runs: superuser (every company).
            self.env["res.partner"].with_user(self.env.ref("base.user_root")).with_context(
                force_report_rendering=True
            )._cron_send_monthly_statements()

    def _statement_mails(self, partners):
        return self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "in", partners.ids),
             ("subject", "ilike", "statement of account")]
        )  # fmt: skip

    def test_monthly_cron_once_per_month_per_opted_in_customer(self):
        opted = self.env["res.partner"].create(
            {"name": "Opted In", "is_company": True, "email": "ap@opted.example.com",
             "dunning_statement_monthly": True}
        )  # fmt: skip
        self._dunning_invoice(120.0, "2026-03-10", partner=opted)
        no_items = self.env["res.partner"].create(
            {"name": "Nothing Open", "email": "x@example.com", "dunning_statement_monthly": True}
        )
        not_opted = self.env["res.partner"].create({"name": "Not Opted", "email": "n@example.com"})
        self._dunning_invoice(50.0, "2026-03-10", partner=not_opted)
        no_email = self.env["res.partner"].create(
            {"name": "No Email", "is_company": True, "dunning_statement_monthly": True}
        )
        self._dunning_invoice(60.0, "2026-03-10", partner=no_email)
        self.customer.dunning_statement_monthly = True
        everyone = self.customer | opted | no_items | not_opted | no_email

        with freeze_time("2026-04-01 07:00"):
            self._cron()
        # No address: a failed statement event and the collector's Fix contact task.
        failed = self.env["dunning.event"].search(
            [("partner_id", "=", no_email.id), ("channel", "=", "statement")]
        )
        self.assertEqual(failed.state, "failed")
        self.assertIn("No email address", failed.reason)
        self.assertIn("Fix contact", no_email.activity_ids.summary)
        self.assertFalse(no_email.dunning_statement_last_date, "tried again tomorrow")
        mails = self._statement_mails(everyone)
        self.assertEqual(len(mails), 2)
        self.assertEqual(sorted(mails.mapped("res_id")), sorted((self.customer | opted).ids))
        by_customer = {mail.res_id: mail for mail in mails}
        self.assertEqual(by_customer[self.customer.id].recipient_ids, self.ap_contact)
        self.assertEqual(by_customer[opted.id].recipient_ids, opted)
        for mail in mails:
            (attachment,) = mail.attachment_ids
            self.assertTrue(attachment.name.endswith(".pdf"))
            self.assertTrue(attachment.raw.startswith(b"%PDF"))
            self.assertIn("BE0477472701", mail.body_html)  # the company's legal identity
        self.assertEqual(self.customer.dunning_statement_last_date, date(2026, 4, 1))

        with freeze_time("2026-04-20"):
            self._cron()
        self.assertEqual(self._statement_mails(everyone), mails, "once a month")

        with freeze_time("2026-05-01 07:00"):
            self._cron()
        self.assertEqual(len(self._statement_mails(everyone)), 4)

    def test_monthly_flag_is_per_company(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        self.customer.dunning_statement_monthly = True
        self.assertFalse(self.customer.with_company(company_b).dunning_statement_monthly)
