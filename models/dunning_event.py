from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import LazyTranslate, format_amount, format_date

_lt = LazyTranslate(__name__)

CHANNELS = [
    ("email", "Email"),
    ("call", "Call"),
    ("letter", "Letter"),
    ("plan", "Payment Plan"),
    ("handoff", "Hand-off"),
    ("note", "Note"),
]
EVENT_STATES = [("done", "Done"), ("skipped", "Skipped"), ("failed", "Failed")]
# What the log records cannot change after the fact; the outcome can be completed.
_MUTABLE_FIELDS = {"state", "reason", "message_id", "activity_id", "attachment_id"}

# Talking points of the call script, per tone of the level.
CALL_POINTS = {
    "friendly": _lt("Check that the invoices were received and that nothing blocks them."),
    "neutral": _lt("Check that the invoices were received and are scheduled for payment."),
    "polite": _lt(
        "Our records do not show the payment: ask whether something went wrong with the "
        "invoices, and when they will be paid."
    ),
    "firm": _lt(
        "Ask for a payment date and record it as a promise to pay. Offer a payment plan "
        "if paying at once is difficult."
    ),
    "formal": _lt(
        "Explain that a formal demand letter was sent, with its deadline. Ask for payment "
        "before it, or agree on a payment plan now."
    ),
    "final": _lt("Explain the next step and its date. Offer a last chance: payment or a plan."),
    "handoff": _lt("Tell the customer the file is being transferred, and to whom."),
}


class DunningEvent(models.Model):
    """One collections action on one customer: an immutable history row."""

    _name = "dunning.event"
    _description = "Dunning Event"
    _order = "date desc, id desc"
    _check_company_auto = True

    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="restrict"
    )
    contact_id = fields.Many2one("res.partner", ondelete="set null", help="Who was addressed.")
    move_ids = fields.Many2many(
        "account.move",
        "account_move_dunning_event_rel",
        "event_id",
        "move_id",
        string="Invoices",
    )
    level_id = fields.Many2one("dunning.level", index=True, ondelete="restrict")
    run_id = fields.Many2one("dunning.run", index="btree_not_null", ondelete="set null")
    run_line_id = fields.Many2one("dunning.run.line", index="btree_not_null", ondelete="set null")
    payment_plan_id = fields.Many2one(
        "dunning.payment.plan", index="btree_not_null", ondelete="restrict"
    )
    policy_id = fields.Many2one(related="level_id.policy_id", store=True)
    tone = fields.Selection(related="level_id.tone")
    channel = fields.Selection(CHANNELS, required=True)
    state = fields.Selection(EVENT_STATES, required=True, default="done", index=True)
    reason = fields.Text(help="Why the step was skipped or failed, or what was noted.")
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_residual = fields.Monetary(
        string="Amount Due",
        currency_field="currency_id",
        help="Open amount of the invoices concerned, in company currency, at the time.",
    )
    user_id = fields.Many2one(
        "res.users", string="Done By", default=lambda self: self.env.user, readonly=True
    )
    collector_id = fields.Many2one("res.users", index=True)
    message_id = fields.Many2one("mail.message", ondelete="set null")
    activity_id = fields.Many2one("mail.activity", ondelete="set null")
    attachment_id = fields.Many2one("ir.attachment", string="Letter", ondelete="set null")

    @api.depends("partner_id", "level_id", "channel", "date")
    def _compute_display_name(self):
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for event in self:
            event.display_name = " - ".join(
                part
                for part in (
                    event.partner_id.display_name,
                    event.level_id.name or channels.get(event.channel),
                    event.date and fields.Date.to_string(event.date),
                )
                if part
            )

    def write(self, vals):
        frozen = set(vals) - _MUTABLE_FIELDS
        if frozen:
            raise UserError(
                self.env._(
                    "Collections history is a log: %(fields)s of an event cannot be changed.",
                    fields=", ".join(sorted(frozen)),
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Collections history is a log: events cannot be deleted."))

    # Actions of the run, on a freshly created event

    def _post_email(self, attachments, rendered=None):
        """Queue the level's email to the event's contact and log it on the customer.

        Like mail.template.send_mail(), one mail.mail carries both the outgoing email
        (queued, sent by the mail cron) and the message in the customer's chatter; it
        goes to the contact only, from the policy's sender on behalf of the company
        (never the salesperson). ``rendered``: the template already rendered for this
        event (the run renders a batch at once).
        """
        self.ensure_one()
        if rendered is None:
            template = self.level_id.mail_template_id
            rendered = template._generate_template(self.ids, ("subject", "body_html", "lang"))
            rendered = rendered[self.id]
        policy = self.level_id.policy_id
        sender = policy._get_sender()
        # sudo: mail.mail is reserved to administrators; every value comes from the
        # template rendered with the user's rights on records the user can read.
        mail = (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "subject": rendered["subject"],
                    "body_html": rendered["body_html"],
                    "body": rendered["body_html"],
                    "email_from": sender,
                    "reply_to": policy.reply_to or sender,
                    "email_cc": policy.email_cc or False,
                    "recipient_ids": [Command.set(self.contact_id.ids)],
                    "model": "res.partner",
                    "res_id": self.partner_id.id,
                    "record_company_id": self.company_id.id,
                    "message_type": "comment",
                    "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment"),
                    "author_id": self.company_id.partner_id.id,
                    "attachment_ids": [Command.set(attachments.ids)],
                    "auto_delete": False,
                }
            )
        )
        return mail.mail_message_id

    def _render_letter(self):
        """The formal letter as a PDF attached to the event."""
        self.ensure_one()
        report = self.env.ref("account_dunning.action_report_dunning_letter")
        content, _report_type = self.env["ir.actions.report"]._render_qweb_pdf(report, self.ids)
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Letter %(customer)s %(date)s.pdf",
                    customer=self.partner_id.name,
                    date=self.date,
                ),
                "raw": content,
                "mimetype": "application/pdf",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        self.attachment_id = attachment
        return attachment

    def _call_script(self):
        """The note of a collections call: who, what, the talking points, what to record."""
        self.ensure_one()
        return self.env["ir.qweb"]._render(
            "account_dunning.dunning_call_script",
            {
                "event": self,
                "format_date": lambda value: format_date(self.env, value),
                "format_amount": lambda amount, currency: format_amount(self.env, amount, currency),
                "talking_points": self.level_id.call_script
                or CALL_POINTS.get(self.level_id.tone, CALL_POINTS["neutral"])._translate(
                    self.env.lang
                ),
            },
        )

    # Helpers of the email templates and the letter (rendered with the event as object).

    def _get_invoice_rows(self):
        """The invoices of the message, oldest due first, with residual and pay link."""
        self.ensure_one()
        return self.move_ids._dunning_invoice_rows(self.date)

    def _get_totals(self):
        """Open amount per currency of the invoices of the message."""
        self.ensure_one()
        totals = defaultdict(float)
        for move in self.move_ids:
            totals[move.currency_id] += move.amount_residual
        return [
            {"currency": currency, "amount": amount}
            for currency, amount in sorted(totals.items(), key=lambda item: item[0].name)
        ]

    def _get_deadline(self):
        self.ensure_one()
        return self.date + timedelta(days=self.level_id.letter_deadline_days or 14)

    def _get_company_address(self):
        self.ensure_one()
        return self.company_id._dunning_address_line()
