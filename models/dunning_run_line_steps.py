from markupsafe import Markup

from odoo import models
from odoo.tools import format_amount

from ..tools.calendar import next_business_day

# Missing invoice PDFs a batch of the run may render (about a second each); beyond,
# reminders attach the stored ones and the statement of account.
SYNC_PDF_LIMIT = 5


class DunningRunLine(models.Model):
    """The built-in steps of the ladder: letter, email, call and hand-off proposal.

    Each kind of dunning.level.step is carried out by ``_dunning_step_<kind>`` on the
    lines whose level takes it, for a whole batch at once; the engine
    (dunning_run_line.py) does the rest: line states, invoice levels, notes.
    """

    _inherit = "dunning.run.line"

    def _dunning_step_letter(self, batch):
        """The formal letter as a PDF on its event; attached to the email when the level
        sends one, else left in the customer's chatter to print and post."""
        report = self.env.ref("account_dunning.action_report_dunning_letter")
        for line in self:
            event = line._log_event("letter")
            content, _report_type = self.env["ir.actions.report"]._render_qweb_pdf(
                report, event.ids
            )
            # sudo: an attachment on a record needs the right to write it, and the
            # history is written by the engine only; the PDF is the event's own letter.
            letter = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": self.env._(
                            "Letter %(customer)s %(date)s.pdf",
                            customer=event.partner_id.name,
                            date=event.date,
                        ),
                        "raw": content,
                        "mimetype": "application/pdf",
                        "res_model": event._name,
                        "res_id": event.id,
                    }
                )
                .with_env(self.env)
            )
            self.env["dunning.engine"]._record_outcome(event, {"attachment_id": letter.id})
            batch.add(line, event)
            if "email" in line._dunning_kinds() and not line._dunning_email_block_reason():
                batch.attach(line, letter)
            else:
                self.env["dunning.engine"]._post_note(
                    line.partner_id.commercial_partner_id,
                    self.env._(
                        "Dunning letter to print and send: %(level)s", level=line.level_id.name
                    ),
                    letter,
                )

    def _dunning_step_email(self, batch):
        """One message per customer to its contact, through the engine's mail queue."""
        engine = self.env["dunning.engine"]
        messages, sent = [], []
        budget = SYNC_PDF_LIMIT
        for line in self:
            blocked = line._dunning_email_block_reason()
            if blocked:  # opted out, or a consumer's work address: no email, no task
                batch.mark_unreachable(line, line._log_event("email", "skipped", blocked))
                continue
            if not line.email_to:
                event = line._log_event(
                    "email",
                    state="failed",
                    reason=self.env._(
                        "No email address for %(contact)s.", contact=line.contact_id.display_name
                    ),
                )
                line._schedule_fix_contact()
                batch.add(line, event)
                batch.mark_unreachable(line)
                if batch.attachments_of(line):
                    self.env["dunning.engine"]._post_note(
                        line.partner_id.commercial_partner_id,
                        self.env._(
                            "Dunning letter to print and send (no email address): %(level)s",
                            level=line.level_id.name,
                        ),
                        batch.attachments_of(line),
                    )
                continue
            event, rendered = batch.prepared.get(line.id) or (line._log_event("email"), None)
            attachments = batch.attachments_of(line)
            if line.policy_id.attach_invoice_pdf:
                pdfs, reason, budget = line._dunning_email_pdfs(budget)
                attachments |= pdfs
                if reason:
                    engine._record_outcome(event, {"reason": reason})
            messages.append(
                {
                    "template": event._dunning_mail_template(),
                    "record": event,
                    "rendered": rendered,
                    "thread": line.partner_id.commercial_partner_id,
                    "recipients": line.contact_id,
                    "attachments": attachments,
                    "policy": line.policy_id,
                    "company": line.company_id,
                    "contact": line.contact_id,
                }
            )
            sent.append((line, event))
        for (line, event), message in zip(sent, engine._send(messages), strict=True):
            engine._record_outcome(event, {"message_id": message.id})
            batch.add(line, event)

    def _dunning_email_pdfs(self, budget):
        """The PDFs a reminder attaches: the stored invoice PDFs (rendered ahead by the
        warm-up, see account_move_pdf_warmup.py). Missing ones are rendered now while
        the batch's ``budget`` of renders lasts (a customer's first invoice, a small
        run: a few seconds of wkhtmltopdf); beyond it, the reminder attaches what is
        stored plus the statement of account, which lists every open invoice, instead
        of holding the run. Returns (attachments, reason for the history, budget
        left)."""
        self.ensure_one()
        moves = self.move_ids
        missing = moves.filtered(lambda move: not move.invoice_pdf_report_id)
        if len(missing) <= budget:
            pdfs, errors = moves._dunning_invoice_pdfs()
            reason = errors and self.env._(
                "Sent without the PDF of %(invoices)s: %(error)s",
                invoices=", ".join(move.name for move in errors),
                error=next(iter(errors.values())),
            )
            return pdfs, reason, budget - len(missing)
        statement = self._dunning_statement_pdf()
        return (
            (moves - missing).invoice_pdf_report_id | statement,
            self.env._(
                "The PDF of %(invoices)s was not ready: the statement of account is "
                "attached instead.",
                invoices=", ".join(missing.mapped("name")),
            ),
            budget,
        )

    def _dunning_statement_pdf(self):
        """The customer's statement of account, stored on the customer (empty when it
        cannot be rendered: the reminder then goes with what is stored)."""
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id.with_company(self.company_id)
        statements = customer._dunning_statement_attachments(self.company_id)
        return statements.get(customer.id, self.env["ir.attachment"])

    def _dunning_step_call(self, batch):
        """A call on the collector's agenda with the script; an open collections call of
        the customer is brought up to date rather than doubled."""
        call_type = self.env.ref("account_dunning.mail_activity_type_dunning_call")
        open_calls = {
            activity.res_id: activity
            for activity in self.env["mail.activity"].search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", self.partner_id.commercial_partner_id.ids),
                    ("activity_type_id", "=", call_type.id),
                ],
                order="id",
            )
        }
        for line in self:
            level = line.level_id
            customer = line.partner_id.commercial_partner_id
            event = line._log_event("call")
            values = {
                "summary": self.env._("Collections call: %(level)s", level=level.name),
                # In the collector's language, not the scheduler's.
                "note": event.with_context(
                    lang=line.collector_id.lang or self.env.lang
                )._call_script(),
                "user_id": line.collector_id.id,
                "date_deadline": next_business_day(line.date),
            }
            activity = open_calls.get(customer.id)
            customer.check_access("read")
            # sudo: as in dunning.engine._schedule, a collections user may follow a
            # customer they cannot edit; the call's type, user, script and date come
            # from the ladder.
            if activity:
                activity.sudo().write(values)
            else:
                activity = (
                    self.env["mail.activity"]
                    .sudo()
                    .create(
                        {
                            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                            "res_id": customer.id,
                            "activity_type_id": (level.call_activity_type_id or call_type).id,
                            **values,
                        }
                    )
                    .with_env(self.env)
                )
            self.env["dunning.engine"]._record_outcome(event, {"activity_id": activity.id})
            batch.add(line, event)

    def _dunning_step_handoff(self, batch):
        """Ask the collector to decide the hand-off: the customer hears nothing yet."""
        for line in self:
            event = line._log_event("handoff")
            activity = line._schedule_task(
                self.env._("Decide hand-off to an agency or legal action"),
                Markup("<p>%s</p>")
                % self.env._(
                    "The invoices of %(customer)s reached the last step of the ladder "
                    "(%(amount)s due). Hand them off to a collection agency or to legal "
                    "action, offer a payment plan, or exclude them from collections.",
                    customer=line.partner_id.display_name,
                    amount=format_amount(self.env, line.amount, line.currency_id),
                ),
            )
            self.env["dunning.engine"]._record_outcome(event, {"activity_id": activity.id})
            batch.add(line, event)
