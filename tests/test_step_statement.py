import io
import re
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools.pdf import PdfFileReader

from .common import DunningRunCommon

LOGGER = "odoo.addons.account_dunning.models.res_partner"


@tagged("post_install", "-at_install")
class TestStepStatement(DunningRunCommon):
    """A level that asks for the statement of account attaches it to its email, or
    leaves it in the chatter to print when it sends none."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.attach_invoice_pdf = False  # only the statement is attached
        cls.level = cls.levels[2]  # +7 days, email only
        cls.level.attach_statement = True
        with freeze_time("2026-01-01"):
            cls.invoice = cls._dunning_invoice(1250.0, "2026-01-01")
        cls.report = cls.env.ref("account_dunning.action_report_dunning_statement")

    def _statement_event(self, run):
        return run.event_ids.filtered(lambda event: event.channel == "statement")

    def test_statement_step_comes_before_the_email(self):
        kinds = self.env["dunning.level.step"]._dunning_kinds()
        self.assertEqual(kinds.index("statement") + 1, kinds.index("email"))
        self.assertLess(kinds.index("letter"), kinds.index("statement"))
        self.assertEqual(self.level._dunning_step_kinds(), ["statement", "email"])
        self.assertIn("statement", dict(self.env["dunning.event"]._selection_channel()))
        # The flag reads and writes the level's steps.
        self.level.attach_statement = False
        self.assertNotIn("statement", self.level.step_ids.mapped("kind"))
        self.level.step_ids = [(0, 0, {"kind": "statement"})]
        self.assertTrue(self.level.attach_statement)

    def test_statement_pdf_attached_to_the_reminder_email(self):
        with freeze_time("2026-01-09 10:00:00"):
            run = (
                self.env["dunning.run"]
                .with_context(force_report_rendering=True)
                .create({"company_id": self.company.id})
            )
            run.action_execute()
        event = self._statement_event(run)
        self.assertEqual(event.state, "done")
        statement = event.attachment_id
        self.assertEqual(statement.mimetype, "application/pdf")
        self.assertTrue(statement.name.endswith(".pdf"))
        self.assertIn("Acme Retail", statement.name)
        self.assertTrue(statement.raw.startswith(b"%PDF"))
        self.assertEqual((statement.res_model, statement.res_id), ("res.partner", self.customer.id))
        mail = self._mails()
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.attachment_ids, statement)
        self.assertEqual(mail.recipient_ids, self.ap_contact)
        # What the PDF says: the customer's statement with its open invoice.
        reader = PdfFileReader(io.BytesIO(statement.raw))
        text = " ".join(
            re.sub(r"\s+", " ", reader.getPage(index).extractText())
            for index in range(reader.getNumPages())
        )
        self.assertIn(self.invoice.name, text)
        self.assertIn("Statement of account", text)
        self.assertIn("1,250.00", text)
        html = self.env["ir.actions.report"]._render_qweb_html(self.report, self.customer.ids)[0]
        self.assertIn(self.invoice.name, html.decode())
        self.assertEqual(self.invoice.dunning_level_id, self.level)
        self.assertEqual(run.line_ids.state, "done")
        self.assertIn("Statement of account", run.line_ids.channels)

    def test_attached_statement_mentions_the_invoice(self):
        # Under test, Odoo renders reports as HTML: the attachment is the statement's text.
        with freeze_time("2026-01-09 10:00:00"):
            run = self._run()
        statement = self._statement_event(run).attachment_id
        self.assertEqual(self._mails().attachment_ids, statement)
        text = statement.raw.decode()
        self.assertIn(self.invoice.name, text)
        self.assertIn("1,250.00", text)
        self.assertIn("Acme Retail", text)

    def test_level_without_email_posts_the_statement_to_print(self):
        self.level.write({"send_email": False, "create_call": True})
        self.assertEqual(self.level._dunning_step_kinds(), ["statement", "call"])
        with freeze_time("2026-01-09 10:00:00"):
            run = self._run()
        self.assertFalse(self._mails())
        event = self._statement_event(run)
        self.assertEqual(event.state, "done")
        note = self.customer.message_ids.filtered(
            lambda message: event.attachment_id in message.attachment_ids
        )
        self.assertEqual(len(note), 1)
        self.assertIn("Statement of account to print", note.body)
        self.assertEqual(self.invoice.dunning_level_id, self.level)

    def test_opted_out_contact_gets_the_statement_printed(self):
        self.ap_contact.dunning_email_opt_out = True
        with freeze_time("2026-01-09 10:00:00"):
            run = self._run()
        self.assertFalse(self._mails())
        event = self._statement_event(run)
        self.assertTrue(
            self.customer.message_ids.filtered(
                lambda message: event.attachment_id in message.attachment_ids
            )
        )
        email = run.event_ids.filtered(lambda e: e.channel == "email")
        self.assertEqual(email.state, "skipped")

    def test_statement_that_cannot_be_rendered_does_not_stop_the_email(self):
        report_model = type(self.env["ir.actions.report"])
        with (
            freeze_time("2026-01-09 10:00:00"),
            patch.object(report_model, "_render_qweb_pdf", side_effect=OSError("wkhtmltopdf")),
            self.assertLogs(LOGGER, "WARNING"),
        ):
            run = self._run()
        event = self._statement_event(run)
        self.assertEqual(event.state, "failed")
        self.assertIn("wkhtmltopdf", event.reason)
        mail = self._mails()
        self.assertEqual(len(mail), 1)
        self.assertFalse(mail.attachment_ids)
        self.assertEqual(run.line_ids.state, "done")
        self.assertEqual(self.invoice.dunning_level_id, self.level)

    def test_batch_helper_one_attachment_per_customer(self):
        other = self.env["res.partner"].create({"name": "Birch Ltd", "is_company": True})
        with freeze_time("2026-01-01"):
            other_invoice = self._dunning_invoice(80.0, "2026-01-01", partner=other)
        with freeze_time("2026-01-09"):
            attachments = (self.ap_contact | other)._dunning_statement_attachments(self.company)
        self.assertEqual(set(attachments), {self.customer.id, other.id})
        self.assertIn(self.invoice.name, attachments[self.customer.id].raw.decode())
        self.assertNotIn(other_invoice.name, attachments[self.customer.id].raw.decode())
        self.assertIn(other_invoice.name, attachments[other.id].raw.decode())
