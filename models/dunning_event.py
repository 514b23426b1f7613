from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

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

    # Helpers of the email templates and the letter (rendered with the event as object).

    def _get_invoice_rows(self):
        """The invoices of the message, oldest due first, with residual and pay link."""
        self.ensure_one()
        moves = self.move_ids.sorted(lambda m: (m.invoice_date_due or m.date, m.id))
        return [
            {
                "move": move,
                "name": move.name,
                "invoice_date": move.invoice_date,
                "date_due": move.invoice_date_due,
                "days_overdue": (self.date - move.invoice_date_due).days
                if move.invoice_date_due
                else 0,
                "residual": move.amount_residual,
                "currency": move.currency_id,
                "url": move.get_base_url() + move.get_portal_url(),
            }
            for move in moves
        ]

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
        """The company's postal address on one line, for the legal identity."""
        self.ensure_one()
        partner = self.company_id.partner_id
        parts = (partner.street, partner.street2, partner.zip, partner.city,
                 partner.state_id.name, partner.country_id.name)  # fmt: skip
        return ", ".join(part for part in parts if part)

    # Payment plans (issue #4)

    payment_plan_id = fields.Many2one(
        "dunning.payment.plan", index="btree_not_null", ondelete="restrict"
    )
