"""The statement of account as a step of the ladder (issue #10).

A level that takes it attaches the customer's statement (report
``account_dunning.action_report_dunning_statement``) to its reminder email; a level
that sends no email (or cannot: no address, opted out) leaves it in the customer's
chatter, to print and post. The kind of step comes before ``email``, so that the PDF
exists when the email is sent.
"""

import logging

from odoo import fields, models

_logger = logging.getLogger(__name__)


class DunningLevelStep(models.Model):
    _inherit = "dunning.level.step"

    # Placed before "email": the email of the same level attaches the statement.
    kind = fields.Selection(
        selection_add=[("statement", "Statement of account"), ("email",)],
        ondelete={"statement": "cascade"},
    )


class DunningLevel(models.Model):
    _inherit = "dunning.level"

    attach_statement = fields.Boolean(
        string="Attach Statement of Account",
        compute="_compute_step_flags",
        inverse="_inverse_step_flags",
        store=True,
        readonly=False,
        help="Attach the customer's statement of account (every open item, aging, "
        "payments received) to the reminder email; without an email, it is left in the "
        "customer's chatter to print and send.",
    )

    def _dunning_step_flags(self):
        return {**super()._dunning_step_flags(), "attach_statement": "statement"}


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _dunning_statement_attachments(self, company, errors=None):
        """The statement of account of each customer in ``company``, rendered now and
        stored on the customer: ``{commercial partner id: ir.attachment}``.

        One render per customer (wkhtmltopdf builds without patched Qt cannot split a
        multi-customer PDF), each in a savepoint: a statement that cannot be rendered
        is left out (and its error put in ``errors`` when given) and the others go on.
        """
        report = self.env.ref("account_dunning.action_report_dunning_statement")
        Report = self.env["ir.actions.report"].with_company(company)
        attachments = {}
        for customer in self.commercial_partner_id:
            try:
                with self.env.cr.savepoint():
                    content, report_type = Report._render_qweb_pdf(report, customer.ids)
                    is_pdf = report_type == "pdf"
                    # sudo: an attachment on a customer needs the right to edit it; the
                    # file is the customer's own statement, rendered with the user's
                    # read rights, and the history keeps it.
                    attachment = (
                        self.env["ir.attachment"]
                        .sudo()
                        .create(
                            {
                                "name": "{}.{}".format(
                                    self.env._(
                                        "Statement of account %(customer)s %(date)s",
                                        customer=customer.name,
                                        date=fields.Date.context_today(self),
                                    ),
                                    "pdf" if is_pdf else "html",
                                ),
                                "raw": content,
                                "mimetype": "application/pdf" if is_pdf else "text/html",
                                "res_model": "res.partner",
                                "res_id": customer.id,
                            }
                        )
                    )
                attachments[customer.id] = attachment.with_env(self.env)
            except Exception as error:
                _logger.warning(
                    "Cannot render the statement of account of %s", customer.id, exc_info=True
                )
                if errors is not None:
                    errors[customer.id] = str(error)
        return attachments


class DunningRunLine(models.Model):
    _inherit = "dunning.run.line"

    def _dunning_step_statement(self, batch):
        """The statement of account of each customer: attached to the email of the same
        level, or left in the customer's chatter to print when no email goes."""
        for company, lines in self.grouped("company_id").items():
            errors = {}
            customers = lines.partner_id.commercial_partner_id.with_company(company)
            statements = customers._dunning_statement_attachments(company, errors)
            for line in lines:
                customer = line.partner_id.commercial_partner_id
                statement = statements.get(customer.id)
                if not statement:
                    reason = self.env._(
                        "The statement of account could not be rendered: %(error)s",
                        error=errors.get(customer.id, ""),
                    )
                    batch.add(line, line._log_event("statement", state="failed", reason=reason))
                    continue
                event = line._log_event("statement")
                self.env["dunning.engine"]._record_outcome(event, {"attachment_id": statement.id})
                batch.add(line, event)
                if (
                    "email" in line._dunning_kinds()
                    and line.email_to
                    and not line._dunning_email_block_reason()
                ):
                    batch.attach(line, statement)
                else:
                    self.env["dunning.engine"]._post_note(
                        customer,
                        self.env._(
                            "Statement of account to print and send: %(level)s",
                            level=line.level_id.name,
                        ),
                        statement,
                    )
