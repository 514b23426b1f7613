from datetime import timedelta

from odoo import api, fields, models

DUNNING_STAGES = [
    ("normal", "Normal"),
    ("promised", "Promised"),
    ("plan", "Payment Plan"),
    ("dispute", "Disputed"),
    ("agency", "At Agency"),
    ("legal", "Legal Action"),
    ("recovered", "Recovered"),
    ("written_off", "Written Off"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    dunning_level_id = fields.Many2one(
        "dunning.level",
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="The last step of the ladder taken for this invoice.",
    )
    dunning_last_date = fields.Date(string="Last Dunning", copy=False)
    dunning_next_date = fields.Date(
        string="Next Dunning",
        compute="_compute_dunning_next_date",
        store=True,
        copy=False,
        help="When the next step of the ladder becomes due for this invoice.",
    )
    dunning_excluded = fields.Boolean(string="Excluded from Collections", copy=False, tracking=True)
    dunning_exclusion_reason = fields.Char(string="Exclusion Reason", copy=False)
    dunning_stage = fields.Selection(
        DUNNING_STAGES,
        string="Collections Stage",
        default="normal",
        required=True,
        copy=False,
        tracking=True,
        help="Only invoices in the Normal stage climb the dunning ladder.",
    )
    dunning_event_ids = fields.Many2many(
        "dunning.event",
        "account_move_dunning_event_rel",
        "move_id",
        "event_id",
        string="Collections History",
        copy=False,
        readonly=True,
    )
    dunning_event_count = fields.Integer(compute="_compute_dunning_event_count")
    dunning_days_overdue = fields.Integer(
        string="Days Overdue", compute="_compute_dunning_days_overdue"
    )

    @api.depends(
        "move_type",
        "state",
        "payment_state",
        "invoice_date_due",
        "dunning_level_id",
        "dunning_last_date",
        "dunning_stage",
        "dunning_excluded",
        "commercial_partner_id",
    )
    def _compute_dunning_next_date(self):
        to_chase = self.filtered(lambda m: m._dunning_is_chasable())
        (self - to_chase).dunning_next_date = False
        for move in to_chase:
            policy = move.dunning_level_id.policy_id or move._dunning_get_policy()
            levels = policy.level_ids.sorted(lambda lvl: (lvl.sequence, lvl.id))
            current = move.dunning_level_id
            upcoming = levels.filtered(lambda lvl, cur=current: lvl.delay_days > cur.delay_days)
            if current and current not in levels:
                upcoming = levels.browse()
            elif not current:
                upcoming = levels
            if not upcoming:
                move.dunning_next_date = False
                continue
            next_date = move.invoice_date_due + timedelta(days=upcoming[0].delay_days)
            if move.dunning_last_date:
                earliest = move.dunning_last_date + timedelta(days=policy.min_days_between_steps)
                next_date = max(next_date, earliest)
            move.dunning_next_date = next_date

    def _compute_dunning_event_count(self):
        for move in self:
            move.dunning_event_count = len(move.dunning_event_ids)

    @api.depends_context("tz")
    @api.depends("invoice_date_due")
    def _compute_dunning_days_overdue(self):
        today = fields.Date.context_today(self)
        for move in self:
            due = move.invoice_date_due
            move.dunning_days_overdue = (today - due).days if due else 0

    def action_view_dunning_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_event"
        )
        action["domain"] = [("move_ids", "in", self.ids)]
        return action

    def _dunning_is_chasable(self):
        """True for an open posted customer invoice in the Normal stage, not excluded."""
        self.ensure_one()
        return (
            self.move_type == "out_invoice"
            and self.state == "posted"
            and self.payment_state in ("not_paid", "partial")
            and self.dunning_stage == "normal"
            and not self.dunning_excluded
            and bool(self.invoice_date_due)
        )

    def _dunning_get_policy(self):
        self.ensure_one()
        return self.commercial_partner_id.with_company(self.company_id)._dunning_get_policy()

    # Payment plans (issue #4)

    dunning_payment_plan_ids = fields.Many2many(
        "dunning.payment.plan",
        "dunning_payment_plan_account_move_rel",
        "move_id",
        "plan_id",
        string="Payment Plans",
        copy=False,
        readonly=True,
    )
    dunning_payment_plan_count = fields.Integer(compute="_compute_dunning_payment_plan_count")

    def _compute_dunning_payment_plan_count(self):
        for move in self:
            move.dunning_payment_plan_count = len(move.dunning_payment_plan_ids)

    def action_view_dunning_payment_plans(self):
        self.ensure_one()
        return self.dunning_payment_plan_ids._dunning_open_action()
