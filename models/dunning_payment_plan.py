from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools.stages import PLANNABLE_STAGES

PLAN_STATES = [
    ("draft", "Draft"),
    ("active", "Active"),
    ("completed", "Completed"),
    ("broken", "Broken"),
    ("cancelled", "Cancelled"),
]
INTERVALS = [
    ("weekly", "Weekly"),
    ("biweekly", "Every Two Weeks"),
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
]
_TEMPLATES = {
    "agreement": "account_dunning.mail_template_dunning_plan_agreement",
    "before": "account_dunning.mail_template_dunning_plan_reminder",
    "late": "account_dunning.mail_template_dunning_plan_late",
    "broken": "account_dunning.mail_template_dunning_plan_broken",
    "completed": "account_dunning.mail_template_dunning_plan_completed",
}


class DunningPaymentPlan(models.Model):
    """An agreement to settle a customer's invoices in installments."""

    _name = "dunning.payment.plan"
    _description = "Payment Plan"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, tracking=True,
        ondelete="restrict", domain="[('parent_id', '=', False)]",
    )  # fmt: skip
    contact_id = fields.Many2one(
        "res.partner", string="Send To", compute="_compute_contact_id", store=True,
        readonly=False, domain="[('commercial_partner_id', '=', partner_id)]",
        help="Who receives the agreement and the reminders: the customer's accounts "
        "payable contact by default.",
    )  # fmt: skip
    currency_id = fields.Many2one("res.currency", required=True)
    user_id = fields.Many2one(
        "res.users", string="Responsible", default=lambda self: self.env.user,
        domain="[('share', '=', False)]", tracking=True,
    )  # fmt: skip
    move_ids = fields.Many2many(
        "account.move", "dunning_payment_plan_account_move_rel", "plan_id", "move_id",
        string="Invoices", check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('commercial_partner_id', '=', partner_id)]",
    )  # fmt: skip
    installment_ids = fields.One2many(
        "dunning.payment.plan.installment", "plan_id", string="Installments", copy=True
    )
    event_ids = fields.One2many("dunning.event", "payment_plan_id", string="History")
    state = fields.Selection(
        PLAN_STATES, default="draft", required=True, copy=False, index=True, tracking=True
    )
    interval = fields.Selection(INTERVALS, default="monthly", required=True)
    date_start = fields.Date(string="Agreed On", readonly=True, copy=False)
    date_end = fields.Date(string="Ended On", readonly=True, copy=False)
    tolerance_days = fields.Integer(
        default=7, tracking=True,
        help="An installment later than this many days breaks the plan.",
    )  # fmt: skip
    reminder_days_before = fields.Integer(
        string="Remind Days Before", default=3,
        help="The customer is reminded this many days before each installment.",
    )  # fmt: skip
    settlement_discount = fields.Float(
        string="Discount for Settling at Once (%)",
        digits=(5, 2),
        help="Offered in the agreement: the customer may settle the whole balance at "
        "once, less this discount, by the first due date. Book it by registering the "
        "payment with a write-off of the difference.",
    )
    settlement_amount = fields.Monetary(compute="_compute_settlement")
    settlement_date = fields.Date(compute="_compute_settlement")
    amount_total = fields.Monetary(string="Plan Amount", compute="_compute_amounts", store=True)
    amount_paid = fields.Monetary(string="Paid", compute="_compute_amounts", store=True)
    amount_residual = fields.Monetary(string="Left to Pay", compute="_compute_amounts", store=True)
    amount_late = fields.Monetary(string="Late", compute="_compute_amounts", store=True)
    next_date_due = fields.Date(string="Next Due Date", compute="_compute_amounts", store=True)
    installment_count = fields.Integer(compute="_compute_counts")
    invoice_count = fields.Integer(compute="_compute_counts")
    event_count = fields.Integer(compute="_compute_counts")

    _tolerance_positive = models.Constraint(
        "CHECK(tolerance_days >= 0)", "The tolerance cannot be negative."
    )
    _reminder_positive = models.Constraint(
        "CHECK(reminder_days_before >= 0)", "The reminder delay cannot be negative."
    )
    _discount_range = models.Constraint(
        "CHECK(settlement_discount >= 0 AND settlement_discount < 100)",
        "The discount for settling at once is a percentage between 0 and 100.",
    )

    @api.depends("partner_id")
    def _compute_contact_id(self):
        self.contact_id = False
        for company, plans in self.filtered("partner_id").grouped("company_id").items():
            contacts = plans.partner_id.with_company(company)._dunning_get_contacts()
            for plan in plans:
                plan.contact_id = contacts[plan.partner_id.id]

    @api.depends("settlement_discount", "amount_total", "installment_ids.date_due")
    def _compute_settlement(self):
        for plan in self:
            discount = plan.settlement_discount
            plan.settlement_amount = (
                plan.currency_id.round(plan.amount_total * (100 - discount) / 100)
                if discount
                else 0.0
            )
            dates = plan.installment_ids.mapped("date_due")
            plan.settlement_date = min(dates) if discount and dates else False

    @api.depends(
        "installment_ids.amount", "installment_ids.amount_paid", "installment_ids.state",
        "installment_ids.date_due",
    )  # fmt: skip
    def _compute_amounts(self):
        for plan in self:
            installments = plan.installment_ids
            plan.amount_total = sum(installments.mapped("amount"))
            plan.amount_paid = sum(installments.mapped("amount_paid"))
            plan.amount_residual = plan.amount_total - plan.amount_paid
            late = installments.filtered(lambda i: i.state == "late")
            plan.amount_late = sum(late.mapped("amount_residual"))
            open_dates = installments.filtered(lambda i: i.state != "paid").mapped("date_due")
            plan.next_date_due = min(open_dates) if open_dates else False

    def _compute_counts(self):
        events = dict(
            self.env["dunning.event"]._read_group(
                [("payment_plan_id", "in", self.ids)], ["payment_plan_id"], ["__count"]
            )
        )
        for plan in self:
            plan.installment_count = len(plan.installment_ids)
            plan.invoice_count = len(plan.move_ids)
            plan.event_count = events.get(plan, 0)

    def _compute_access_url(self):
        for plan in self:
            plan.access_url = f"/my/payment_plans/{plan.id}"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id"))
                sequence = self.env["ir.sequence"].with_company(company or self.env.company)
                vals["name"] = sequence.next_by_code("dunning.payment.plan") or "/"
        return super().create(vals_list)

    def write(self, vals):
        # Cancelling is a manager's decision (action_cancel): not by writing the state.
        if (
            vals.get("state") == "cancelled"
            and not self.env.su
            and not self.env.user.has_group("account_dunning.group_dunning_manager")
        ):
            raise AccessError(self.env._("Only a collections manager can cancel a payment plan."))
        if "move_ids" in vals and any(plan.state != "draft" for plan in self):
            # What the customer agreed to: an invoice leaves an agreed plan only through
            # a flow that ends the plan (payment, hand-off, write-off, cancellation).
            raise UserError(
                self.env._(
                    "The invoices of an agreed payment plan cannot be changed: cancel the "
                    "plan and agree on a new one, or renegotiate its installments."
                )
            )
        return super().write(vals)

    @api.constrains("partner_id", "company_id", "currency_id", "move_ids")
    def _check_move_ids(self):
        for plan in self:
            foreign = plan.move_ids.filtered(
                lambda m, p=plan: (
                    m.commercial_partner_id != p.partner_id
                    or m.company_id != p.company_id
                    or m.move_type != "out_invoice"
                )
            )
            if foreign:
                raise ValidationError(
                    self.env._(
                        "%(moves)s cannot go in %(plan)s: a payment plan holds customer "
                        "invoices of its own customer and company only.",
                        moves=", ".join(foreign.mapped("display_name")),
                        plan=plan.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        if any(plan.state != "draft" for plan in self):
            raise UserError(
                self.env._("Only draft payment plans can be deleted: the others are a log.")
            )

    def action_activate(self):
        self._dunning_activate()
        return True

    def action_cancel(self):
        if not self.env.user.has_group("account_dunning.group_dunning_manager"):
            raise AccessError(self.env._("Only a collections manager can cancel a payment plan."))
        today = fields.Date.context_today(self)
        plans = self.filtered(lambda p: p.state in ("draft", "active"))
        active = plans.filtered(lambda p: p.state == "active")
        active._dunning_release_moves()
        plans.write({"state": "cancelled", "date_end": today})
        active._dunning_log(
            today,
            {
                plan: self.env._(
                    "Payment plan %(plan)s cancelled by %(user)s; its invoices are followed "
                    "up normally again.",
                    plan=plan.name,
                    user=self.env.user.name,
                )
                for plan in active
            },
        )
        return True

    def action_renegotiate(self):
        """Replace the remaining installments of an active plan (opens the wizard)."""
        self.ensure_one()
        self._check_renegotiable()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_payment_plan_wizard"
        )
        open_moves = self.move_ids.filtered(lambda m: not m.currency_id.is_zero(m.amount_residual))
        action["name"] = self.env._("Renegotiate %(plan)s", plan=self.name)
        action["context"] = {
            "default_plan_id": self.id,
            "default_move_ids": open_moves.ids,
            "default_interval": self.interval,
            "default_tolerance_days": self.tolerance_days,
            "default_reminder_days_before": self.reminder_days_before,
            "default_settlement_discount": self.settlement_discount,
        }
        return action

    def _check_renegotiable(self):
        self.check_access("write")
        for plan in self:
            if plan.state != "active":
                raise UserError(
                    self.env._(
                        "Only an active payment plan can be renegotiated; %(plan)s is %(state)s.",
                        plan=plan.name,
                        state=plan._get_state_label(),
                    )
                )

    def action_process(self):
        """Refresh installments and take today's steps now (what the daily run does)."""
        self.filtered(lambda p: p.state == "active")._dunning_process_plans(
            fields.Date.context_today(self)
        )
        return True

    def action_send_agreement(self):
        self.ensure_one()
        template = self.env.ref(_TEMPLATES["agreement"])
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "force_email": True,
            },
        }

    def action_preview(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "target": "self", "url": self.get_portal_url()}

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_overdue_invoices"
        )
        action.update(
            name=self.env._("Invoices of %(plan)s", plan=self.name),
            domain=[("id", "in", self.move_ids.ids)],
            context={"create": False},
        )
        return action

    def action_view_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_event"
        )
        action["domain"] = [("payment_plan_id", "=", self.id)]
        return action

    def _dunning_open_action(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_payment_plan"
        )
        if len(self) == 1:
            action.update(views=[(False, "form")], view_mode="form", res_id=self.id)
        else:
            action["domain"] = [("id", "in", self.ids)]
        return action

    # Business methods

    def _check_installments_editable(self):
        if any(plan.state != "draft" for plan in self):
            raise UserError(
                self.env._(
                    "The installments of an agreed payment plan cannot be changed: "
                    "renegotiate the plan (a new schedule, logged and sent to the "
                    "customer), or cancel it and agree on a new one."
                )
            )

    @api.model
    def _dunning_check_moves(self, moves, plan=None):
        """Raise a clear UserError unless ``moves`` can go in one payment plan."""
        _ = self.env._
        if not moves:
            raise UserError(_("Select the customer invoices to put in the payment plan."))

        def names(records):
            return ", ".join(records.mapped("display_name"))

        not_invoices = moves.filtered(lambda m: m.move_type != "out_invoice" or m.state != "posted")
        if not_invoices:
            raise UserError(
                _("Only posted customer invoices can go in a payment plan, not %(moves)s.",
                  moves=names(not_invoices))
            )  # fmt: skip
        paid = moves.filtered(
            lambda m: (
                m.payment_state not in ("not_paid", "partial")
                or m.currency_id.is_zero(m.amount_residual)
            )
        )
        if paid:
            raise UserError(
                _("Nothing is left to pay on %(moves)s: leave them out of the plan.",
                  moves=names(paid))
            )  # fmt: skip
        if len(moves.commercial_partner_id) > 1:
            raise UserError(
                _("A payment plan is for one customer; these invoices belong to %(partners)s.",
                  partners=names(moves.commercial_partner_id))
            )  # fmt: skip
        if len(moves.currency_id) > 1:
            raise UserError(
                _("A payment plan is in one currency; these invoices are in %(currencies)s: "
                  "make one plan per currency.", currencies=names(moves.currency_id))
            )  # fmt: skip
        if len(moves.company_id) > 1:
            raise UserError(_("A payment plan belongs to one company: select its invoices only."))
        if plan and (
            moves.commercial_partner_id != plan.partner_id
            or moves.currency_id != plan.currency_id
            or moves.company_id != plan.company_id
        ):
            raise UserError(
                _("The invoices of %(plan)s must be the customer's, in the plan's currency "
                  "and company.", plan=plan.name)
            )  # fmt: skip
        busy = self.search(
            [
                ("state", "=", "active"),
                ("move_ids", "in", moves.ids),
                ("id", "!=", plan.id if plan else False),
            ]
        )
        if busy:
            taken = moves & busy.move_ids
            raise UserError(
                _("%(moves)s already in the active payment plan %(plans)s; an invoice can be "
                  "in one active plan at a time.", moves=names(taken), plans=names(busy))
            )  # fmt: skip
        blocked = moves.filtered(lambda m: m.dunning_stage not in PLANNABLE_STAGES)
        if blocked:
            stages = dict(moves._fields["dunning_stage"]._description_selection(self.env))
            raise UserError(
                _("%(moves)s: the collections stage is %(stage)s; resolve that first "
                  "(only Normal or Promised invoices go in a plan).",
                  moves=names(blocked), stage=stages[blocked[0].dunning_stage])
            )  # fmt: skip

    def _dunning_activate(self, send=False):
        """Put draft plans in force: invoices leave the ladder; returns the events."""
        today = fields.Date.context_today(self)
        for plan in self:
            if plan.state != "draft":
                raise UserError(self.env._("%(plan)s is not a draft.", plan=plan.name))
            self._dunning_check_moves(plan.move_ids, plan)
            balance = sum(plan.move_ids.mapped("amount_residual"))
            if not plan.installment_ids or plan.currency_id.compare_amounts(
                plan.amount_total, balance
            ):
                raise UserError(
                    self.env._(
                        "The installments of %(plan)s must add up to the open balance of "
                        "its invoices, %(balance)s.",
                        plan=plan.name,
                        balance=plan.currency_id.format(balance),
                    )
                )
        self.write({"state": "active", "date_start": today})
        self.move_ids._dunning_set_stage("plan")
        for plan in self:
            plan._portal_ensure_token()
        messages = self._dunning_post("agreement", today) if send else {}
        return self._dunning_log(
            today,
            {
                plan: self.env._(
                    "Payment plan %(plan)s agreed: %(count)s installments, %(amount)s in "
                    "total, the first due on %(date)s.",
                    plan=plan.name,
                    count=plan.installment_count,
                    amount=plan.currency_id.format(plan.amount_total),
                    date=min(plan.installment_ids.mapped("date_due")),
                )
                for plan in self
            },
            messages,
        )
