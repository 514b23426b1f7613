import logging
from datetime import timedelta

from odoo import api, fields, models, modules
from odoo.tools import config, split_every

from ..tools.ladder import index_of_delay, next_level_index

_logger = logging.getLogger(__name__)

# Invoices whose next reminder is due within this many days get their PDF rendered.
PDF_WARMUP_DAYS = 3
# Invoices rendered (and committed) per step of the warm-up.
PDF_WARMUP_BATCH = 20


class AccountMove(models.Model):
    """Invoice PDFs rendered ahead of the reminders that attach them.

    wkhtmltopdf takes about a second per invoice: rendering during the run would hold
    it for hours at scale. A scheduled step renders, in committed batches, the PDFs
    (stored as Odoo's own invoice PDF, as account.move.send stores it) that the
    reminders of the next days will attach; the run then only reads them.
    """

    _inherit = "account.move"

    def _dunning_attaching_soon(self, until):
        """The invoices whose next step, due by ``until``, sends an email with the
        invoice PDFs attached (policy 'Attach invoice PDFs')."""
        ladders = {}
        result = self.browse()
        for move in self:
            partner = move.commercial_partner_id.with_company(move.company_id)
            policy = partner._dunning_get_policy()
            due = move._dunning_first_open_due_date()
            if not policy or not policy.attach_invoice_pdf or not due:
                continue
            if policy not in ladders:
                levels = policy._dunning_ladder_levels()
                ladders[policy] = (levels, *policy._dunning_ladder_data())
            levels, delays, _min_days, start_at_matching = ladders[policy]
            level = move.dunning_level_id
            index = next_level_index(
                delays,
                index_of_delay(delays, level.delay_days) if level else None,
                (min(move.dunning_next_date, until) - due).days,
                start_at_matching,
            )
            if index is not None and "email" in levels[index]._dunning_step_kinds():
                result |= move
        return result

    @api.model
    def _dunning_pdfs_to_warm(self, days=PDF_WARMUP_DAYS):
        """Open invoices without a stored PDF whose next reminder attaches it within
        ``days`` days."""
        until = fields.Date.context_today(self) + timedelta(days=days)
        # sudo: the scheduler reads every company's invoices; nothing is returned
        # to a person.
        moves = self.sudo().search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("dunning_next_date", "!=", False),
                ("dunning_next_date", "<=", until),
            ],
            order="dunning_next_date, id",
        )
        stored = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "account.move"),
                    ("res_field", "=", "invoice_pdf_report_file"),
                    ("res_id", "in", moves.ids),
                ]
            )
        )
        missing = moves.browse(sorted(set(moves.ids) - set(stored.mapped("res_id"))))
        return missing._dunning_attaching_soon(until).with_env(self.env)

    def _dunning_render_pdfs(self):
        """Render and store the invoice PDFs missing among these invoices, as Odoo's
        invoice sending stores them (without marking the invoices sent). Several at
        once where wkhtmltopdf can split them (a build with patched Qt), else one by
        one. Returns {invoice: error} for those that could not be rendered."""
        missing = self.filtered(lambda move: not move.invoice_pdf_report_id)
        if not missing:
            return {}
        sender = self.env["account.move.send"]
        documents = {
            move: {"pdf_report": sender._get_default_pdf_report_id(move)} for move in missing
        }
        groups = (
            [documents]
            if self._dunning_can_render_together()
            else [{move: data} for move, data in documents.items()]
        )
        errors = {}
        for group in groups:
            try:
                with self.env.cr.savepoint():
                    companies = {move.company_id for move in group}
                    for company in companies:
                        part = {m: d for m, d in group.items() if m.company_id == company}
                        sender.with_company(company)._prepare_invoice_pdf_report(part)
                    self._dunning_store_pdfs(group)
            except Exception as error:
                if len(group) > 1:  # wkhtmltopdf could not split them: one by one
                    errors.update(self.browse([m.id for m in group])._dunning_render_one_by_one())
                    continue
                move = next(iter(group))
                _logger.warning("Cannot render the PDF of %s", move.name, exc_info=True)
                errors[move] = str(error)
        return errors

    def _dunning_render_one_by_one(self):
        errors = {}
        for move in self:
            errors.update(move._dunning_render_pdfs())
        return errors

    @api.model
    def _dunning_can_render_together(self):
        """wkhtmltopdf splits several invoices of one PDF only with patched Qt; tests
        render HTML, one by one as in production without it."""
        from odoo.addons.base.models.ir_actions_report import _wkhtml  # noqa: PLC0415

        if modules.module.current_test or config["test_enable"]:
            return False
        return _wkhtml().is_patched_qt

    @api.model
    def _dunning_store_pdfs(self, documents):
        """Store rendered PDFs as the invoices' own PDF (``invoice_pdf_report_file``),
        as account.move.send does, without marking the invoices sent: the reminder
        that attaches one sends it."""
        values = [data["pdf_attachment_values"] for data in documents.values()]
        # sudo: the invoice PDF is a protected binary field, written by Odoo's invoice
        # sending as superuser as well; the content is the invoice's own report.
        attachments = self.env["ir.attachment"].sudo().create(values)
        by_move = {attachment.res_id: attachment for attachment in attachments}
        for move in documents:
            if not move.message_main_attachment_id and move.id in by_move:
                move.sudo().message_main_attachment_id = by_move[move.id]
        self.browse([move.id for move in documents]).invalidate_recordset(
            ["invoice_pdf_report_id", "invoice_pdf_report_file"]
        )

    @api.model
    def _cron_dunning_warm_pdfs(self, days=PDF_WARMUP_DAYS, batch_size=PDF_WARMUP_BATCH):
        """Scheduled: render ahead, in committed batches, the invoice PDFs that the
        reminders of the next ``days`` days will attach."""
        moves = self._dunning_pdfs_to_warm(days)
        self.env["ir.cron"]._commit_progress(remaining=len(moves))
        for ids in split_every(batch_size, moves.ids):
            batch = self.browse(ids)
            batch._dunning_render_pdfs()
            if self.env["ir.cron"]._commit_progress(len(batch)) <= 0:
                return  # out of time: the cron is called again for the rest
