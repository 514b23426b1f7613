from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import LazyTranslate, format_amount, format_date

_lt = LazyTranslate(__name__)

# Channels of events that are not steps of a level; the steps' kinds come first (see
# _selection_channel), so that a new kind of step is a new channel too.
OTHER_CHANNELS = [
    ("plan", _lt("Payment Plan")),
    ("note", _lt("Note")),
    ("promise", _lt("Promise to Pay")),
    ("dispute", _lt("Dispute")),
    ("thank_you", _lt("Thank You")),
]
# Outcomes of a logged collections call (dunning.call.wizard).
CALL_OUTCOMES = [
    ("reached", "Reached"),
    ("no_answer", "No answer"),
    ("left_message", "Left a message"),
    ("wrong_number", "Wrong number"),
    ("promised", "Promised to pay"),
    ("disputed", "Disputes"),
    ("plan_requested", "Asks for a payment plan"),
]
# Outcomes where the customer was spoken to: no new attempt for a while after them.
CONVERSATION_OUTCOMES = ("reached", "promised", "disputed", "plan_requested")
EVENT_STATES = [("done", "Done"), ("skipped", "Skipped"), ("failed", "Failed")]
# What the log records cannot change after the fact; the engine completes the outcome.
_OUTCOME_FIELDS = {"state", "reason", "message_id", "activity_id", "attachment_id"}

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
    credit_line_ids = fields.Many2many(
        "account.move.line",
        "account_move_line_dunning_event_rel",
        "event_id",
        "move_line_id",
        string="Credits",
        help="Open credit notes and unapplied payments shown beside the invoices, and "
        "deducted from the amount asked for.",
    )
    level_id = fields.Many2one("dunning.level", index=True, ondelete="restrict")
    run_id = fields.Many2one("dunning.run", index="btree_not_null", ondelete="set null")
    run_line_id = fields.Many2one("dunning.run.line", index="btree_not_null", ondelete="set null")
    payment_plan_id = fields.Many2one(
        "dunning.payment.plan", index="btree_not_null", ondelete="restrict"
    )
    promise_id = fields.Many2one("dunning.promise", index="btree_not_null", ondelete="restrict")
    dispute_id = fields.Many2one("dunning.dispute", index="btree_not_null", ondelete="restrict")
    call_outcome = fields.Selection(CALL_OUTCOMES, index="btree_not_null")
    policy_id = fields.Many2one(related="level_id.policy_id", store=True)
    tone = fields.Selection(related="level_id.tone")
    channel = fields.Selection(selection="_selection_channel", required=True, index=True)
    state = fields.Selection(EVENT_STATES, required=True, default="done", index=True)
    reason = fields.Text(help="Why the step was skipped or failed, or what was noted.")
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_residual = fields.Monetary(
        string="Amount Due",
        currency_field="currency_id",
        aggregator=False,  # amounts of different days and steps: a sum means nothing
        help="Open amount of the invoices concerned (the part due) net of the credits "
        "shown beside them, in company currency, at the time.",
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

    @api.model
    def _selection_channel(self):
        steps = self.env["dunning.level.step"]._fields["kind"]._description_selection(self.env)
        others = [(key, label._translate(self.env.lang)) for key, label in OTHER_CHANNELS]
        return steps + others

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(
                self.env._("Collections history is written by the collections flows only.")
            )
        return super().create(vals_list)

    def write(self, vals):
        frozen = set(vals) - _OUTCOME_FIELDS
        if frozen or not self.env.su:
            raise AccessError(
                self.env._(
                    "Collections history is a log: %(fields)s of an event cannot be changed.",
                    fields=", ".join(sorted(vals)),
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Collections history is a log: events cannot be deleted."))

    # Helpers of the call activity, the email templates and the letter (rendered with the
    # event as object).

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

    def _get_invoice_rows(self):
        """The invoices of the message, oldest due first, with the part due, the later
        installments and the pay link."""
        self.ensure_one()
        return self.move_ids._dunning_invoice_rows(self.date)

    def _get_credit_rows(self):
        """The open credit notes and unapplied payments shown beside the invoices."""
        self.ensure_one()
        return self.credit_line_ids._dunning_credit_rows()

    def _get_totals(self, rows=None):
        """Per currency: the invoices (part due), the credits, the net, and what the
        message asks for (``amount``: the net when positive, else 0 and
        ``credit_balance``: what remains to the customer's credit). ``rows``: the
        invoice rows when the caller has them already."""
        self.ensure_one()
        return self.move_ids._dunning_net_totals(self.credit_line_ids, self.date, rows=rows)

    def _get_due_state(self, rows=None):
        """'overdue' when a listed invoice is past its due date, 'today' when the
        latest is due today, 'upcoming' when none is due yet: the wording follows it."""
        self.ensure_one()
        rows = self._get_invoice_rows() if rows is None else rows
        latest = max((row["days_overdue"] for row in rows), default=-1)
        if latest > 0:
            return "overdue"
        return "today" if latest == 0 else "upcoming"

    def _get_deadline(self):
        self.ensure_one()
        return self.date + timedelta(days=self.level_id.letter_deadline_days or 14)

    def _get_company_address(self):
        self.ensure_one()
        return self.company_id._dunning_address_line()
