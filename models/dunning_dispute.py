from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

from ..tools.flows import created_past_opening
from ..tools.stages import DISPUTABLE_STAGES, HOLD_STAGES

DISPUTE_STATES = [("open", "Open"), ("accepted", "Accepted"), ("rejected", "Rejected")]


class DunningDispute(models.Model):
    """A customer disputes invoices: they leave the ladder until the dispute is settled.

    The customer's other invoices are still reminded (the run selects only chasable
    stages, so a disputed invoice is neither chased nor listed). Accepting opens Odoo's
    credit note wizard for the invoices: a full credit note, or a draft one edited down
    to the accepted part (partial acceptance), the rest being chased again at its level.
    Rejecting puts the invoices back on the ladder at the same level.
    """

    _name = "dunning.dispute"
    _description = "Dispute"
    _inherit = [
        "dunning.hold.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "dunning.authority.mixin",
    ]
    _order = "state, date_expected, id desc"
    _check_company_auto = True
    _dunning_hold_stage = "dispute"
    _dunning_hold_channel = "dispute"
    _dunning_hold_event_field = "dispute_id"
    _dunning_hold_action = "account_dunning.action_dunning_dispute"
    _dunning_hold_confirm_template = "account_dunning.mail_template_dunning_dispute_confirmation"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="restrict",
        domain="[('parent_id', '=', False)]", tracking=True,
    )  # fmt: skip
    contact_id = fields.Many2one(
        "res.partner", ondelete="set null",
        domain="[('commercial_partner_id', '=', partner_id)]",
        help="Who raised the dispute; the confirmation goes to them (the customer's accounts "
        "payable contact when empty).",
    )  # fmt: skip
    move_ids = fields.Many2many(
        "account.move", "dunning_dispute_account_move_rel", "dispute_id", "move_id",
        string="Invoices", check_company=True, required=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('commercial_partner_id', '=', partner_id)]",
    )  # fmt: skip
    reason_id = fields.Many2one(
        "dunning.dispute.reason", required=True, ondelete="restrict", tracking=True
    )
    user_id = fields.Many2one(
        "res.users", string="Owner", default=lambda self: self.env.user, tracking=True,
        domain="[('share', '=', False)]",
        help="Who settles the dispute; gets an activity when it is still open past its "
        "expected resolution date.",
    )  # fmt: skip
    note = fields.Text()
    date_start = fields.Date(
        string="Opened On", required=True, readonly=True, default=fields.Date.context_today
    )
    date_expected = fields.Date(string="Expected Resolution", tracking=True)
    date_end = fields.Date(string="Closed On", readonly=True, copy=False)
    state = fields.Selection(
        DISPUTE_STATES, default="open", required=True, readonly=True, index=True, tracking=True
    )
    overdue_notified_date = fields.Date(
        readonly=True, copy=False, help="The expected date for which the owner was reminded."
    )
    call_event_id = fields.Many2one("dunning.event", string="Call", readonly=True,
                                    ondelete="set null")  # fmt: skip
    event_ids = fields.One2many("dunning.event", "dispute_id", string="History")
    amount_residual = fields.Monetary(
        string="Disputed Amount", compute="_compute_amount_residual", currency_field="currency_id"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")

    @api.depends("move_ids.amount_residual_signed")
    def _compute_amount_residual(self):
        for dispute in self:
            dispute.amount_residual = sum(dispute.move_ids.mapped("amount_residual_signed"))

    @api.depends("partner_id", "reason_id")
    def _compute_display_name(self):
        for dispute in self:
            dispute.display_name = " - ".join(
                filter(None, (dispute.partner_id.display_name, dispute.reason_id.name))
            )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            today = fields.Date.context_today(self)
            for vals in vals_list:
                if created_past_opening(vals, today, ("date_end", "overdue_notified_date")):
                    raise AccessError(
                        self.env._("A dispute is recorded open, on the day it is raised.")
                    )
        disputes = super().create(vals_list)
        disputes.filtered(lambda d: d.state == "open")._dunning_open()
        return disputes

    def action_accept(self):
        """Accept: open Odoo's credit note wizard for the invoices (edit the draft credit
        note to the accepted part for a partial acceptance). The dispute is accepted,
        and the invoices go back to the ladder for what is left, when the credit note is
        posted (account.move._post): a draft credit note keeps them out of the ladder."""
        self.ensure_one()
        if self.state != "open":
            raise UserError(self.env._("Only an open dispute can be settled."))
        moves = self.move_ids.filtered(lambda m: m.state == "posted")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_view_account_move_reversal"
        )
        action["context"] = {
            "active_model": "account.move",
            "active_ids": moves.ids,
            "default_reason": self.env._("Dispute: %(reason)s", reason=self.reason_id[:1].name),
        }
        return action

    def action_reject(self):
        """Reject: the invoices go back on the ladder at the same level."""
        self._dunning_close(
            "rejected", self.env._("Dispute rejected: the invoices are chased again.")
        )
        return True

    def _dunning_open(self):
        for dispute in self:
            moves = dispute.move_ids
            if not moves:
                raise UserError(self.env._("A dispute is about at least one invoice."))
            if moves.commercial_partner_id != dispute.partner_id.commercial_partner_id:
                raise UserError(self.env._("The invoices of a dispute are the customer's."))
            wrong = moves.filtered(lambda m: m.dunning_stage not in DISPUTABLE_STAGES + HOLD_STAGES)
            if wrong:
                raise UserError(
                    self.env._(
                        "These invoices cannot be disputed (closed by a recovery or a "
                        "write-off): %(invoices)s",
                        invoices=", ".join(wrong.mapped("name")),
                    )
                )
            # A promise on them ends; a plan, a case or another dispute refuses it.
            dispute._dunning_hold_open()
            dispute._dunning_log(
                self.env._(
                    "Dispute opened: %(reason)s.%(note)s",
                    reason=dispute.reason_id.name,
                    note=f" {dispute.note}" if dispute.note else "",
                )
            )
        self._dunning_hold_confirm()

    def _dunning_close(self, state, reason):
        for dispute in self:
            if dispute.state != "open":
                raise UserError(self.env._("Only an open dispute can be settled."))
        # Back to the ladder at the level they had: the stage only changes.
        return self._dunning_hold_close(state, reason=reason)

    def _dunning_log(self, reason, activity=None):
        self.ensure_one()
        return self._dunning_hold_log(
            {self: reason},
            activity_id=activity or None,
            collector_id=activity.user_id if activity else None,
        )

    @api.model
    def _dunning_accept_credited(self, credit_notes):
        """Posted credit notes that reverse disputed invoices settle their open disputes
        as accepted: the invoices go back to the ladder for what is left, at their level."""
        reversed_moves = credit_notes.filtered(
            lambda m: m.move_type == "out_refund" and m.state == "posted"
        ).reversed_entry_id
        if not reversed_moves:
            return self
        # sudo: a credit note posted by an accountant settles the dispute it answers,
        # whoever may write disputes; only the dispute's flow fields change.
        disputes = self.sudo().search(
            [("state", "=", "open"), ("move_ids", "in", reversed_moves.ids)]
        )
        for dispute in disputes:
            notes = credit_notes.filtered(lambda m, d=dispute: m.reversed_entry_id in d.move_ids)
            dispute._dunning_close(
                "accepted",
                self.env._(
                    "Dispute accepted: credit note %(notes)s posted.",
                    notes=", ".join(notes.mapped("name")),
                ),
            )
        return disputes

    def _dunning_process_disputes(self, run_date):
        """The day's follow-up: an open dispute past its expected resolution date gives
        its owner an activity, once per expected date. Returns the disputes reminded."""
        disputes = self.search(
            [
                ("state", "=", "open"),
                ("company_id", "=", self.env.company.id),
                ("date_expected", "<", run_date),
            ]
        ).filtered(lambda d: d.overdue_notified_date != d.date_expected)
        engine = self.env["dunning.engine"]
        for dispute in disputes:
            owner = dispute.user_id
            if not owner or not engine._can_collect(owner):
                owner = engine._get_collector(dispute.partner_id, dispute.company_id)
            activity = engine._schedule(
                dispute,
                self.env._("Dispute past its expected resolution"),
                self.env._(
                    "The dispute of %(customer)s (%(reason)s) was expected to be settled by "
                    "%(date)s: accept it (credit note) or reject it, or set a new date.",
                    customer=dispute.partner_id.display_name,
                    reason=dispute.reason_id.name,
                    date=format_date(self.env, dispute.date_expected),
                ),
                owner,
                run_date,
            )
            # sudo: a flow field (see write); the reminder of this follow-up sets it.
            dispute.sudo().overdue_notified_date = dispute.date_expected
            dispute._dunning_log(
                self.env._(
                    "Dispute still open past %(date)s: %(owner)s reminded.",
                    date=format_date(self.env, dispute.date_expected),
                    owner=owner.name,
                ),
                activity,
            )
        return disputes
