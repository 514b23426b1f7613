from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from .common import DunningRunCommon

STEPS = "odoo.addons.account_dunning.models.dunning_run_line"


@tagged("post_install", "-at_install")
class TestPdfWarmup(DunningRunCommon):
    """Invoice PDFs rendered ahead of the reminders that attach them."""

    def _count_renders(self):
        """Patch wrapping the real rendering: every PDF render goes through
        _pre_render_qweb_pdf (account.move.send and _render_qweb_pdf alike)."""
        calls = []
        report_model = type(self.env["ir.actions.report"])
        original = report_model._pre_render_qweb_pdf

        def render(this, report_ref, res_ids=None, data=None):
            calls.append((this._get_report(report_ref).report_name, tuple(res_ids or ())))
            return original(this, report_ref, res_ids=res_ids, data=data)

        return calls, patch.object(report_model, "_pre_render_qweb_pdf", render)

    def _warm(self):
        with patch.object(type(self.env["ir.cron"]), "_commit_progress", lambda *a, **k: 100.0):
            self.env["account.move"]._cron_dunning_warm_pdfs()

    @freeze_time("2026-03-11")
    def test_warmup_renders_each_missing_pdf_once(self):
        invoice = self._dunning_invoice(100.0, "2026-03-01")
        later = self._dunning_invoice(100.0, "2026-05-30")  # next step in months
        self.assertLessEqual(invoice.dunning_next_date.isoformat(), "2026-03-14")
        self.assertFalse(invoice.invoice_pdf_report_id)
        calls, counting = self._count_renders()
        with counting:
            self._warm()
        pdf = invoice.invoice_pdf_report_id
        self.assertTrue(pdf)
        self.assertEqual([ids for _name, ids in calls], [tuple(invoice.ids)])
        self.assertFalse(later.invoice_pdf_report_id, "not due for a reminder soon")
        self.assertFalse(invoice.is_move_sent, "rendering ahead sends nothing")
        calls.clear()
        with counting:
            self._warm()
        self.assertEqual(calls, [], "a stored PDF is never rendered again")
        self.assertEqual(invoice.invoice_pdf_report_id, pdf)

    @freeze_time("2026-03-11")
    def test_warmup_skips_policies_that_attach_no_pdf(self):
        self.policy.attach_invoice_pdf = False
        invoice = self._dunning_invoice(100.0, "2026-03-01")
        self._warm()
        self.assertFalse(invoice.invoice_pdf_report_id)

    @freeze_time("2026-03-11")
    def test_run_attaches_stored_pdfs_without_rendering(self):
        first = self._dunning_invoice(100.0, "2026-03-01")
        second = self._dunning_invoice(200.0, "2026-03-02")
        self._warm()
        pdfs = (first | second).invoice_pdf_report_id
        self.assertEqual(len(pdfs), 2)
        calls, counting = self._count_renders()
        with counting:
            self._run()
        invoice_renders = [call for call in calls if "invoice" in call[0]]
        self.assertEqual(invoice_renders, [], "the run rendered an invoice PDF")
        mail = self._mails()
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.attachment_ids & pdfs, pdfs)

    @freeze_time("2026-03-11")
    def test_pdfs_not_ready_attach_the_statement(self):
        stored = self._dunning_invoice(100.0, "2026-03-01")
        self._warm()
        missing = self._dunning_invoice(200.0, "2026-03-02")
        calls, counting = self._count_renders()
        with patch(f"{STEPS}.SYNC_PDF_LIMIT", 0), counting:
            run = self._run()
        mail = self._mails()
        self.assertEqual(len(mail), 1)
        self.assertIn(stored.invoice_pdf_report_id, mail.attachment_ids)
        self.assertFalse(missing.invoice_pdf_report_id, "rendered during the run")
        statement = mail.attachment_ids - stored.invoice_pdf_report_id
        self.assertEqual(len(statement), 1)
        self.assertTrue(statement.name.startswith("Statement"), statement.name)
        self.assertEqual(
            [name for name, _ids in calls],
            ["account_dunning.report_dunning_statement"],
        )
        event = run.event_ids.filtered(lambda e: e.channel == "email")
        self.assertEqual(event.state, "done")
        self.assertIn(missing.name, event.reason)
        self.assertIn("statement of account", event.reason)

    @freeze_time("2026-03-11")
    def test_few_missing_pdfs_are_rendered_during_the_run(self):
        invoice = self._dunning_invoice(100.0, "2026-03-01")
        calls, counting = self._count_renders()
        with counting:
            self._run()
        self.assertEqual(len(calls), 1)
        self.assertIn(invoice.invoice_pdf_report_id, self._mails().attachment_ids)
