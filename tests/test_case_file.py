import base64
import csv
import io

from freezegun import freeze_time

from odoo.tests import tagged

from .common_handoff import HandoffCommon


def _sections(text):
    """The CSV's sections by title: list of rows after the header."""
    sections = {}
    rows = list(csv.reader(io.StringIO(text, newline="")))
    index = 0
    while index < len(rows):
        title = rows[index][0]
        header = rows[index + 1]
        index += 2
        body = []
        while rows[index]:
            body.append(dict(zip(header, rows[index], strict=True)))
            index += 1
        sections[title] = body
        index += 1
    return sections


@tagged("post_install", "-at_install")
@freeze_time("2026-04-01")
class TestCaseFile(HandoffCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        eur = cls.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        cls.inv_eur = cls._dunning_invoice(400.0, "2026-02-05", currency=eur)
        cls.inv_eur.dunning_level_id = cls.final_level

    # What must never be in a case file of Acme Retail.
    FORBIDDEN = (
        "Globex",  # another customer
        "99 Secret Lane",
        "BE0987654321",
        "Globex disputes everything",
        "golf",  # the customer's internal note
        "his wife is ill",  # free text of a call: not needed by the agency
        "Not-handed invoice remark",  # a note about an invoice not in the case
        "Too soon since the last step",  # a skipped step is not a reminder sent
    )

    def _case(self):
        return self._handoff(self.inv1 | self.inv2 | self.inv_eur)

    def test_csv_holds_the_debtor_invoices_and_history_only(self):
        case = self._case()
        raw = base64.b64decode(case.case_file_csv_id.datas)
        self.assertTrue(raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM for spreadsheets")
        text = raw.decode("utf-8-sig")
        for forbidden in (*self.FORBIDDEN, self.not_handed.name, self.other_inv.name):
            self.assertNotIn(forbidden, text)
        sections = _sections(text)
        self.assertEqual(
            list(sections),
            ["Case", "Debtor", "Contact", "Invoices", "Total Due", "Reminders and Calls", "Notes"],
        )
        self.assertEqual(sections["Case"][0]["Reference"], "FC-2026-77")
        self.assertEqual(sections["Case"][0]["Note"], "Please call before writing.")
        debtor = sections["Debtor"][0]
        self.assertEqual(
            (debtor["Name"], debtor["Street"], debtor["ZIP"], debtor["City"], debtor["Tax ID"]),
            ("Acme Retail", "12 Harbour Road", "1000", "Brussels", "BE0123456749"),
        )
        self.assertEqual(debtor["Country"], "Belgium")
        self.assertEqual(
            sections["Contact"],
            [{"Name": "Ann Payables", "Email": "ap@acme.example.com", "Phone": "'+32 2 555 01 02"}],
        )
        invoices = {row["Number"]: row for row in sections["Invoices"]}
        self.assertEqual(set(invoices), {self.inv1.name, self.inv2.name, self.inv_eur.name})
        self.assertEqual(
            invoices[self.inv1.name],
            {
                "Number": self.inv1.name,
                "Invoice Date": "2026-01-15",
                "Due Date": "2026-01-15",
                "Amount": "1000.00",
                "Amount Due": "1000.00",
                "Currency": self.company.currency_id.name,
            },
        )
        # The residual in the invoice's own currency, not converted.
        self.assertEqual(invoices[self.inv_eur.name]["Amount Due"], "400.00")
        self.assertEqual(invoices[self.inv_eur.name]["Currency"], "EUR")
        # What the agency collects per currency, from the customer's ledger.
        ledger = self.customer._dunning_ledger()[self.customer.id]
        owed = ledger.as_askable(case.move_ids.ids).owed_on(case.move_ids.ids)
        totals = {row["Currency"]: row["Amount Due"] for row in sections["Total Due"]}
        self.assertEqual(
            totals,
            {
                currency.name: f"{owed[currency.id]:.2f}"
                for currency in self.env["res.currency"].browse(list(owed))
            },
        )
        history = sections["Reminders and Calls"]
        self.assertEqual(
            [(row["Date"], row["Action"]) for row in history],
            [("2026-01-22", "Email"), ("2026-01-30", "Call"), ("2026-02-14", "Letter")],
        )
        self.assertEqual(history[0]["Invoices"], f"{self.inv1.name}, {self.inv2.name}")
        self.assertEqual(history[1]["Step"], self.levels[3].name)
        self.assertEqual(
            sections["Notes"],
            [
                {
                    "Date": "2026-02-20",
                    "Invoices": self.inv2.name,
                    "Note": "Customer disputes the delivery date of order 42",
                }
            ],
        )

    def test_csv_neutralises_what_a_spreadsheet_would_execute(self):
        self.customer.write({"name": '=HYPERLINK("http://evil.example.com","Acme")'})
        self.ap_contact.phone = "@SUM(1+1)*cmd|' /C calc'!A0"
        case = self._case()
        case.note = "-2+3 as agreed"
        case.reference = "+1-800-EVIL"
        text = case._get_case_file_csv()
        sections = _sections(text)
        self.assertEqual(
            sections["Debtor"][0]["Name"], '\'=HYPERLINK("http://evil.example.com","Acme")'
        )
        self.assertEqual(sections["Contact"][0]["Phone"], "'@SUM(1+1)*cmd|' /C calc'!A0")
        self.assertEqual(sections["Case"][0]["Note"], "'-2+3 as agreed")
        self.assertEqual(sections["Case"][0]["Reference"], "'+1-800-EVIL")
        # Plain numbers stay numbers.
        self.assertEqual(
            {row["Amount Due"] for row in sections["Invoices"]}, {"1000.00", "500.00", "400.00"}
        )
        # The PDF shows the text as it is, escaped, without the quote.
        html, _report_type = self.env["ir.actions.report"]._render_qweb_pdf(
            "account_dunning.report_dunning_case", case.ids
        )
        html = html.decode() if isinstance(html, bytes) else str(html)
        self.assertIn("=HYPERLINK(&#34;http://evil.example.com&#34;,&#34;Acme&#34;)", html)
        self.assertNotIn("'=HYPERLINK", html)

    def test_pdf_holds_the_same_and_nothing_more(self):
        case = self._case()
        self.assertEqual(case.case_file_pdf_id.mimetype, "application/pdf")
        self.assertTrue(case.case_file_pdf_id.name.endswith(".pdf"))
        # Tests render the report as HTML instead of running wkhtmltopdf.
        html = base64.b64decode(case.case_file_pdf_id.datas).decode()
        expected = [
            *("Acme Retail", "12 Harbour Road", "BE0123456749", "Ann Payables"),
            *("ap@acme.example.com", self.inv1.name, self.inv_eur.name),
            *("Customer disputes the delivery date", "Please call before writing."),
        ]
        for value in expected:
            self.assertIn(value, html)
        for forbidden in (*self.FORBIDDEN, self.not_handed.name, self.other_inv.name):
            self.assertNotIn(forbidden, html)

    def test_writeoff_notes_stay_out_of_the_case_file(self):
        self._writeoff(self.inv1, amount=100.0)
        case = self._case()
        text = base64.b64decode(case.case_file_csv_id.datas).decode("utf-8-sig")
        self.assertNotIn("Written off", text)
        self.assertNotIn("Customer insolvent", text)
        self.assertIn("Customer disputes the delivery date", text)
        self.assertIn("900.00", text)  # the residual after the write-off

    def test_printing_later_shows_the_current_residuals(self):
        case = self._case()
        self._dunning_pay(self.inv1, 250.0)
        data = case._get_case_file_data()
        rows = {row["name"]: row for row in data["invoices"]}
        self.assertEqual(rows[self.inv1.name]["residual"], 750.0)
        html, _report_type = self.env["ir.actions.report"]._render_qweb_pdf(
            "account_dunning.report_dunning_case", case.ids
        )
        self.assertIn("Acme Retail", str(html))
        self.assertNotIn("Globex", str(html))
