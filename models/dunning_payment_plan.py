from collections import defaultdict
from datetime import timedelta

from werkzeug.urls import url_encode

from odoo import api, fields, models
from odoo.addons.payment import utils as payment_utils
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_amount, format_date

from ..tools.payment_schedule import is_broken
from ..tools.stages import EXTERNAL_STAGES, PLANNABLE_STAGES

PLAN_STATES = [
    ("draft", "Draft"),
    ("pending", "To Approve"),
    ("active", "Active"),
    ("completed", "Completed"),
    ("broken", "Broken"),
    ("cancelled", "Cancelled"),
]

# Draft, pending and cancelled plans were never or are no longer agreed: not shown to
# customers on the portal.
PORTAL_STATES = ("active", "completed", "broken")

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
    "rejected": "account_dunning.mail_template_dunning_plan_rejected",
}


class DunningPaymentPlan(models.Model):
    """An agreement to settle a customer's invoices in installments."""

    _name = "dunning.payment.plan"
    _description = "Payment Plan"
    _inherit = [
        "dunning.hold.mixin",
        "portal.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "dunning.authority.mixin",
    ]
    _order = "date_start desc, id desc"
    _check_company_auto = True
    _dunning_hold_stage = "plan"
    # A plan the customer asked for online, pending a collector's approval, holds its
    # invoices as an agreed one does: the ladder does not chase them meanwhile.
    _dunning_hold_open_states = ("active", "pending")
    _dunning_hold_channel = "plan"
    _dunning_hold_event_field = "payment_plan_id"
    _dunning_hold_action = "account_dunning.action_dunning_payment_plan"
    # A hand-off ends the plan (what it covered is not collected by us any more).
    _dunning_hold_yields_to = ("dunning.case",)
    # Only drafts: the others are a log.
    _dunning_hold_deletable_states = ("draft",)

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
    reconcile_mark = fields.Integer(
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="The last reconciliation of the books when the plan was agreed: payments "
        "matched after it are what the customer paid under the plan.",
    )
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

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id"))
                sequence = self.env["ir.sequence"].with_company(company or self.env.company)
                vals["name"] = sequence.next_by_code("dunning.payment.plan") or "/"
        return super().create(vals_list)

    def write(self, vals):
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

    def action_activate(self):
        for plan in self.filtered(lambda plan: plan.state != "draft"):
            # A request waiting for approval is agreed with Approve (which sends it).
            raise UserError(self.env._("%(plan)s is not a draft.", plan=plan.name))
        self._dunning_activate()
        return True

    def action_cancel(self):
        self._dunning_check_action("action_cancel")
        today = fields.Date.context_today(self)
        plans = self.filtered(lambda p: p.state in ("draft", "active"))
        active = plans.filtered(lambda p: p.state == "active")
        active._dunning_release_moves()
        plans._dunning_flow_write({"state": "cancelled", "date_end": today})
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

    def action_approve(self):
        """Agree to plans the customer asked for online outside the policy's limits, as
        asked: they become active and the agreement goes to the customer."""
        self._dunning_check_action("action_approve")
        self._check_pending()
        self._dunning_activate(send=True)
        self._dunning_request_done()
        return True

    def action_reject(self):
        """Decline plans asked for online: their invoices go back to the reminders at
        the level they had, the customer is told by email, the decision is logged."""
        self._dunning_check_action("action_reject")
        self._check_pending()
        today = fields.Date.context_today(self)
        self._dunning_hold_close("cancelled", day=today)
        self._dunning_request_done()
        self._dunning_notify(
            "rejected",
            today,
            {
                plan: self.env._(
                    "Payment plan %(plan)s asked for online declined by %(user)s; its "
                    "invoices are followed up normally again.",
                    plan=plan.name,
                    user=self.env.user.name,
                )
                for plan in self
            },
            override=True,
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

    def _check_pending(self):
        for plan in self:
            if plan.state != "pending":
                raise UserError(
                    self.env._(
                        "%(plan)s is not a request waiting for approval; it is %(state)s.",
                        plan=plan.name,
                        state=plan._get_state_label(),
                    )
                )

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
        # One open hold per invoice: a promise ends when the plan starts; another plan, a
        # dispute or a case refuses it (named).
        (plan or self)._dunning_hold_conflicts(moves)
        blocked = moves.filtered(lambda m: m.dunning_stage not in PLANNABLE_STAGES)
        if blocked:
            stages = dict(moves._fields["dunning_stage"]._description_selection(self.env))
            raise UserError(
                _("%(moves)s: the collections stage is %(stage)s; resolve that first "
                  "(only Normal or Promised invoices go in a plan).",
                  moves=names(blocked), stage=stages[blocked[0].dunning_stage])
            )  # fmt: skip

    def _dunning_request(self):
        """Draft plans the customer asked for online outside the policy's limits: they
        wait for a collector's approval (action_approve, action_reject) and hold their
        invoices meanwhile, as a promise does."""
        for plan in self:
            if plan.state != "draft":
                raise UserError(self.env._("%(plan)s is not a draft.", plan=plan.name))
            self._dunning_check_moves(plan.move_ids, plan)
        self._dunning_flow_write({"state": "pending"})
        # A promise on the invoices ends; another plan, a dispute or a case refuses it.
        self._dunning_hold_open()

    def _dunning_request_done(self):
        """The approval tasks of these requests are done (whoever decided)."""
        # sudo: the collector's task on the plan, closed by the decision taken on it
        # (the user deciding may not be the one it was assigned to).
        self.sudo().activity_ids.filtered(
            lambda activity: (
                activity.activity_type_id
                == self.env.ref("account_dunning.mail_activity_type_dunning_todo")
            )
        ).action_feedback(self.env._("Decided: %(user)s.", user=self.env.user.name))

    def _dunning_activate(self, send=False):
        """Put draft plans, or requests approved, in force: invoices leave the ladder;
        returns the events."""
        today = fields.Date.context_today(self)
        for plan in self:
            if plan.state not in ("draft", "pending"):
                raise UserError(self.env._("%(plan)s is not a draft.", plan=plan.name))
            self._dunning_check_moves(plan.move_ids, plan)
            balance = plan._dunning_open_balance()
            if not plan.installment_ids or plan.currency_id.compare_amounts(
                plan.amount_total, balance
            ):
                if plan.state == "pending":
                    # Paid or credited since the customer asked: not what they asked for.
                    raise UserError(
                        self.env._(
                            "%(plan)s was asked for %(asked)s; the invoices now owe "
                            "%(balance)s. Reject the request and agree on a new plan with "
                            "the customer.",
                            plan=plan.name,
                            asked=plan.currency_id.format(plan.amount_total),
                            balance=plan.currency_id.format(balance),
                        )
                    )
                raise UserError(
                    self.env._(
                        "The installments of %(plan)s must add up to the open balance of "
                        "its invoices, %(balance)s.",
                        plan=plan.name,
                        balance=plan.currency_id.format(balance),
                    )
                )
        self._dunning_flow_write({"state": "active", "date_start": today})
        # A promise on the invoices ends; another plan, a dispute or a case refuses it.
        self._dunning_hold_open()
        self.env["account.partial.reconcile"].flush_model()
        mark = self.env.execute_query(
            SQL("SELECT COALESCE(MAX(id), 0) FROM account_partial_reconcile")
        )
        # sudo: a technical mark of the books, not a value anyone chooses.
        self.sudo().reconcile_mark = mark[0][0]
        for plan in self:
            plan._portal_ensure_token()
        # A person agreed the plan: the agreement goes now (their send overrides the
        # one message a day rule).
        return self._dunning_notify(
            "agreement" if send else None,
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
            override=True,
        )

    def _dunning_process_plans(self, run_date=None):
        """Daily follow-up of active plans; idempotent for a given day. Returns the events.

        On an empty recordset, the active plans of the current company. Installments
        are matched with payments, paid plans completed, plans with an installment late
        beyond the tolerance broken, then due and late installments reminded (once each).
        """
        run_date = run_date or fields.Date.context_today(self)
        plans = self.filtered(lambda p: p.state == "active") if self else self.search(
            [("state", "=", "active"), ("company_id", "=", self.env.company.id)]
        )  # fmt: skip
        if not plans:
            return self.env["dunning.event"]
        plans._dunning_update_installments(run_date)
        # Invoices that left the plan's hands (written off, at an agency or a lawyer)
        # by whatever path: the plan ends, it is neither completed nor reminded.
        ended = plans._dunning_end_for_moves(plans.move_ids, run_date=run_date)
        plans = plans.filtered(lambda p: p.state == "active")
        received = plans._dunning_received()
        settled = plans.filtered(
            lambda p: all(m.currency_id.is_zero(m.amount_residual) for m in p.move_ids)
        )
        # Only money received completes a plan: invoices settled another way (a credit
        # note, a payment registered with a write-off of the difference) end it.
        done = plans.filtered(lambda p: p._dunning_is_paid(received[p], p in settled))
        ended |= (settled - done)._dunning_end_settled(run_date, received)
        plans -= settled - done
        broken = (plans - done).filtered(
            lambda p: is_broken(
                ((i.date_due, i.state) for i in p.installment_ids), run_date, p.tolerance_days
            )
        )
        # One message per customer and day: a customer the ladder wrote to today hears
        # that its plan is complete or broken tomorrow (the plan stays as it is till then).
        messaged = self.env["dunning.engine"]._messaged_on(plans.partner_id, run_date)
        waiting = (done | broken).filtered(
            lambda p: p.partner_id.commercial_partner_id.id in messaged
        )
        events = ended | (done - waiting)._dunning_complete(run_date)
        events |= (broken - waiting)._dunning_break(run_date)
        events |= (plans - done - broken)._dunning_send_reminders(run_date)
        return events

    @api.model
    def _dunning_end_for_moves(self, moves, run_date=None, case=None):
        """End the active plans of ``moves`` whose invoices were written off or handed
        off: the agreement no longer holds (what it covered is not collected by us any
        more, or not at all). The plan is cancelled, not completed: no "thank you"; its
        invoices still in the plan go back to the normal follow-up, and the collector
        gets a task to agree on what follows. On a recordset, only those plans.

        ``case``: the hand-off that caused it (named in the history). Returns the events.
        """
        run_date = run_date or fields.Date.context_today(self)
        plans = self.filtered(lambda p: p.state == "active") if self else self.search(
            [("state", "=", "active"), ("move_ids", "in", moves.ids)]
        )  # fmt: skip
        if not plans:
            return self.env["dunning.event"]
        moves &= plans.move_ids
        external = moves.filtered(lambda m: m.dunning_stage in EXTERNAL_STAGES)
        if case:
            external |= case.move_ids & moves
        entries = plans._dunning_writeoff_entries(moves)
        reasons = {}
        _ = self.env._
        for plan in plans:
            names = []
            # Written off during the plan (a write-off before it only lowered what the
            # plan covers).
            off = moves.filtered(lambda m: m.dunning_stage == "written_off")
            off |= entries.get(plan, self.env["account.move"]).dunning_writeoff_invoice_id
            off &= plan.move_ids
            if off:
                names.append(_("%(invoices)s written off", invoices=", ".join(off.mapped("name"))))
            away = external & plan.move_ids
            if away and case:
                names.append(
                    _("%(invoices)s handed off to %(agency)s (case %(case)s)",
                      invoices=", ".join(away.mapped("name")),
                      agency=case.agency_id.display_name, case=case.name)
                )  # fmt: skip
            elif away:
                names.append(
                    _("%(invoices)s at an agency or a lawyer",
                      invoices=", ".join(away.mapped("name")))
                )  # fmt: skip
            if names:
                reasons[plan] = _(
                    "Payment plan %(plan)s ended: %(what)s. The plan is not completed; its "
                    "other invoices are followed up normally again.",
                    plan=plan.name,
                    what="; ".join(names),
                )
        ending = self.browse([plan.id for plan in reasons])
        if not ending:
            return self.env["dunning.event"]
        # What the customer really paid stays on the installments (not the write-off).
        ending._dunning_update_installments(run_date)
        # sudo: writing "cancelled" is a manager's decision by hand (see write()); here
        # the hand-off or write-off the user was allowed to make ends the plan.
        ending.sudo().write({"state": "cancelled", "date_end": run_date})
        ending._dunning_release_moves()
        activities = {
            plan: self.env["dunning.engine"]._schedule(
                plan,
                _("Payment plan %(plan)s ended", plan=plan.name),
                _(
                    "%(reason)s Tell the customer, and agree on a new plan for what is "
                    "still open if need be.",
                    reason=reasons[plan],
                ),
                plan._get_collector(),
                run_date,
            )
            for plan in ending
        }
        return ending._dunning_log(run_date, reasons, activities=activities)

    def _dunning_writeoff_entries(self, moves=None):
        """Bad-debt write-offs (dunning.writeoff.wizard) of these plans' invoices booked
        since each plan was agreed: {plan: entries}. One written off before the plan
        only lowered what the plan covers."""
        moves = self.move_ids if moves is None else moves
        entries = self.env["account.move"].search(
            [("dunning_writeoff_invoice_id", "in", moves.ids), ("state", "=", "posted")]
        )
        result = {}
        for plan in self:
            found = entries.filtered(
                lambda e, p=plan: (
                    e.dunning_writeoff_invoice_id in p.move_ids and e.create_date >= p.create_date
                )
            )
            if found:
                result[plan] = found
        return result

    def _dunning_open_balance(self):
        """What the plan's invoices owe, net of the customer's credits (the ledger, as
        the plan sees them: see res.partner._dunning_owed_on)."""
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id.with_company(self.company_id)
        return self.currency_id.round(customer._dunning_owed_on(self.move_ids))

    def _dunning_received(self):
        """What the customer paid on each plan's invoices since it was agreed, in the
        plan's currency: {plan: amount}. Money only: a credit note, a write-off, or the
        difference a payment registered "as fully paid" writes off are not received."""
        received = dict.fromkeys(self, 0.0)
        plans = self.filtered("date_start")
        if not plans:
            return received
        self.env["account.partial.reconcile"].flush_model()
        self.env["account.move.line"].flush_model()
        plans.flush_recordset(["move_ids"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT rel.plan_id, apr.debit_amount_currency, payment.id
              FROM dunning_payment_plan_account_move_rel rel
              JOIN dunning_payment_plan plan ON plan.id = rel.plan_id
              JOIN account_move_line aml ON aml.move_id = rel.move_id
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
              JOIN account_move_line counterpart ON counterpart.id = apr.credit_move_id
              JOIN account_move payment ON payment.id = counterpart.move_id
             WHERE rel.plan_id = ANY(%(ids)s)
               AND acc.account_type = 'asset_receivable'
               AND apr.id > COALESCE(plan.reconcile_mark, 0)
               AND (payment.origin_payment_id IS NOT NULL
                    OR payment.statement_line_id IS NOT NULL)
                """,
                ids=plans.ids,
            )
        )
        Partial = self.env["account.partial.reconcile"]
        shares = {}
        for plan_id, amount, payment_id in rows:
            if payment_id not in shares:
                payment = self.env["account.move"].browse(payment_id)
                shares[payment_id] = Partial._dunning_cash_share(payment)
            plan = self.browse(plan_id)
            received[plan] += amount * shares[payment_id]
        return {plan: plan.currency_id.round(amount) for plan, amount in received.items()}

    def _dunning_is_paid(self, received, settled):
        """Paid: the money received reaches the plan, or, when the invoices are settled,
        the discounted amount offered for settling at once."""
        self.ensure_one()
        currency = self.currency_id
        if currency.compare_amounts(received, self.amount_total) >= 0:
            return True
        return bool(
            settled
            and self.settlement_discount
            and currency.compare_amounts(received, self.settlement_amount) >= 0
        )

    def _dunning_end_settled(self, run_date, received):
        """End the plans whose invoices were settled without the money the plan asked
        for (a credit note, a payment with a write-off of the difference): not
        completed, no thank-you; the collector gets a task."""
        if not self:
            return self.env["dunning.event"]
        reasons = {
            plan: self.env._(
                "Payment plan %(plan)s ended: its invoices were settled, but %(received)s "
                "of %(amount)s was received under the plan; the rest was credited or "
                "written off. The plan is not completed.",
                plan=plan.name,
                received=plan.currency_id.format(received[plan]),
                amount=plan.currency_id.format(plan.amount_total),
            )
            for plan in self
        }
        self._dunning_update_installments(run_date)
        # sudo: writing "cancelled" is a manager's decision by hand (see write()); here
        # the books ended the plan.
        self.sudo().write({"state": "cancelled", "date_end": run_date})
        self._dunning_release_moves()
        activities = {
            plan: self.env["dunning.engine"]._schedule(
                plan,
                self.env._("Payment plan %(plan)s ended", plan=plan.name),
                reasons[plan],
                plan._get_collector(),
                run_date,
            )
            for plan in self
        }
        return self._dunning_log(run_date, reasons, activities=activities)

    def _dunning_renegotiate(self, schedule, send=False, terms=None):
        """Replace the remaining installments of an active plan by ``schedule`` (rows
        with ``date_due``, ``amount``, ``is_down_payment``, as tools.payment_schedule
        computes them), which must add up to the open balance of its invoices. What was
        received stays: a partly paid installment is reduced to what it received.
        Logged with the old and the new schedule; the new agreement is emailed if
        ``send``. Returns the event."""
        self.ensure_one()
        self._check_renegotiable()
        today = fields.Date.context_today(self)
        self._dunning_update_installments(today)
        currency = self.currency_id
        # What the agreement still asks for: the plan less what was received under it.
        balance = currency.round(self.amount_total - self._dunning_received()[self])
        if not schedule or currency.compare_amounts(sum(r.amount for r in schedule), balance):
            raise UserError(
                self.env._(
                    "The new installments of %(plan)s must add up to the open balance of "
                    "its invoices, %(balance)s.",
                    plan=self.name,
                    balance=currency.format(balance),
                )
            )
        remaining = self.installment_ids.filtered(lambda i: i.state != "paid")
        old = self._dunning_schedule_text(remaining, residual=True)
        partial = remaining.filtered(lambda i: not currency.is_zero(i.amount_paid))
        last_sequence = max(self.installment_ids.mapped("sequence"), default=0)
        # sudo: installments of an agreed plan are refused to people (see the
        # installment's write); this is the explicit renegotiation, checked above
        # (write access on the plan, active, the new schedule matches the balance).
        for installment in partial.sudo():
            installment.write({"amount": installment.amount_paid, "state": "paid"})
        (remaining - partial).sudo().unlink()
        new = (
            self.env["dunning.payment.plan.installment"]
            .sudo()
            .create(
                [
                    {
                        "plan_id": self.id,
                        "sequence": last_sequence + index,
                        "date_due": row.date_due,
                        "amount": row.amount,
                        "is_down_payment": row.is_down_payment,
                    }
                    for index, row in enumerate(schedule, start=1)
                ]
            )
        )
        if terms:
            contact = self.env["res.partner"].browse(terms.get("contact_id"))
            contact._dunning_check_contact_of(self.partner_id)
            self._dunning_flow_write(terms)
        reason = self.env._(
            "Payment plan %(plan)s renegotiated by %(user)s: the remaining installments "
            "%(old)s are replaced by %(new)s (%(balance)s open).",
            plan=self.name,
            user=self.env.user.name,
            old=old or "-",
            new=self._dunning_schedule_text(new.with_env(self.env)),
            balance=currency.format(balance),
        )
        return self._dunning_notify("agreement" if send else None, today, {self: reason},
                                    override=True)  # fmt: skip

    def _dunning_schedule_text(self, installments, residual=False):
        self.ensure_one()
        return ", ".join(
            self.env._(
                "%(amount)s due on %(date)s",
                amount=self.currency_id.format(i.amount_residual if residual else i.amount),
                date=fields.Date.to_string(i.date_due),
            )
            for i in installments.sorted(lambda i: (i.date_due, i.sequence, i.id))
        )

    def _dunning_update_installments(self, today):
        """Allocate what was paid on the invoices to the installments, oldest first."""
        changes = defaultdict(list)
        received = self._dunning_received()
        for plan in self:
            paid = plan.currency_id.round(min(received[plan], plan.amount_total))
            for key, ids in plan.installment_ids._dunning_allocate(paid, today).items():
                changes[key].extend(ids)
        # sudo: what was paid on installments is refused to people; it follows the books.
        Installment = self.env["dunning.payment.plan.installment"].sudo()
        for (amount_paid, state), ids in changes.items():
            Installment.browse(ids).write({"amount_paid": amount_paid, "state": state})

    def _dunning_complete(self, run_date):
        if not self:
            return self.env["dunning.event"]
        self._dunning_flow_write({"state": "completed", "date_end": run_date})
        self._dunning_release_moves()
        reasons = {
            plan: self.env._("Payment plan %(plan)s completed: every invoice is paid.",
                             plan=plan.name)
            for plan in self
        }  # fmt: skip
        return self._dunning_notify("completed", run_date, reasons)

    def _dunning_break(self, run_date):
        """End plans with a missed installment: the ladder resumes one level higher."""
        if not self:
            return self.env["dunning.event"]
        self._dunning_flow_write({"state": "broken", "date_end": run_date})
        by_level, plan_level, policies = defaultdict(list), {}, {}
        for plan in self:
            open_moves = plan.move_ids.filtered(
                lambda m: m.dunning_stage == "plan" and not m.currency_id.is_zero(m.amount_residual)
            )
            for move in open_moves:
                policy = move.dunning_level_id.policy_id or move._dunning_get_policy()
                if policy not in policies:
                    policies[policy] = policy.level_ids.sorted(lambda lvl: (lvl.sequence, lvl.id))
                level = self._dunning_level_after(move.dunning_level_id, policies[policy])
                by_level[level].append(move.id)
                highest = plan_level.get(plan)
                if level and (not highest or level.delay_days > highest.delay_days):
                    plan_level[plan] = level
        Move = self.env["account.move"]
        for level, move_ids in by_level.items():
            Move.browse(move_ids)._dunning_set_level(level, run_date)
        self._dunning_release_moves()
        activities = {}
        for plan in self:
            activities[plan] = self.env["dunning.engine"]._schedule(
                plan,
                self.env._("Payment plan %(plan)s broken", plan=plan.name),
                self.env._(
                    "An installment of %(plan)s is more than %(days)s days late: the plan is "
                    "broken and its invoices are back on the collections ladder. Call the "
                    "customer to agree on the next step.",
                    plan=plan.name,
                    days=plan.tolerance_days,
                ),
                plan._get_collector(),
                run_date,
            )
        reasons = {
            plan: self.env._(
                "Payment plan %(plan)s broken: an installment is more than %(days)s days late. "
                "Its invoices resume the ladder one level higher.",
                plan=plan.name,
                days=plan.tolerance_days,
            )
            for plan in self
        }
        return self._dunning_notify("broken", run_date, reasons, activities, levels=plan_level)

    def _dunning_send_reminders(self, run_date):
        """One message per plan: a late notice, else a reminder of what falls due soon."""
        Installment = self.env["dunning.payment.plan.installment"]
        late, soon, kinds = Installment, Installment, {}
        # One message per customer and day: a customer the ladder wrote to today hears
        # of its plan tomorrow (the reminder stays due).
        messaged = self.env["dunning.engine"]._messaged_on(self.partner_id, run_date)
        for plan in self:
            if plan.partner_id.commercial_partner_id.id in messaged:
                continue
            found = plan.installment_ids._dunning_reminders_due(run_date)
            if found["late"] or found["before"]:
                kinds[plan] = "late" if found["late"] else "before"
                # A late notice also lists what falls due soon: no second message for it.
                late |= found["late"]
                soon |= found["before"]
        # sudo: the follow-up's own bookkeeping, refused to people (see the installment).
        late.sudo().write({"reminder_late_date": run_date})
        soon.sudo().write({"reminder_before_date": run_date})
        events = self.env["dunning.event"]
        for kind in ("late", "before"):
            plans = self.browse([plan.id for plan, k in kinds.items() if k == kind])
            if plans:
                reasons = {plan: plan._dunning_reminder_reason(kind, run_date) for plan in plans}
                events |= plans._dunning_notify(kind, run_date, reasons)
        return events

    def _dunning_reminder_reason(self, kind, run_date):
        self.ensure_one()
        if kind == "late":
            rows = self.installment_ids.filtered(lambda i: i.state == "late")
        else:
            rows = self._get_upcoming_installments(run_date)
        details = ", ".join(
            self.env._(
                "%(amount)s due on %(date)s",
                amount=self.currency_id.format(row.amount_residual),
                date=fields.Date.to_string(row.date_due),
            )
            for row in rows
        )
        if kind == "late":
            return self.env._(
                "Late installment notice for %(plan)s: %(rows)s.", plan=self.name, rows=details
            )
        return self.env._(
            "Installment reminder for %(plan)s: %(rows)s.", plan=self.name, rows=details
        )

    def _dunning_release_moves(self):
        """Invoices still in the plan stage go back to the normal follow-up."""
        self._dunning_hold_moves()._dunning_set_stage("normal")

    def _dunning_hold_yield(self, hold):
        """A hand-off takes the plan's invoices over: the plan ends (not completed); a
        request waiting for approval is closed unanswered."""
        pending = self.filtered(lambda plan: plan.state == "pending")
        if pending:
            pending._dunning_request_done()
            super(DunningPaymentPlan, pending)._dunning_hold_yield(hold)
        if not self - pending:
            return self.env["dunning.event"]
        return (self - pending)._dunning_end_for_moves(
            hold.move_ids, case=hold if hold._name == "dunning.case" else None
        )

    @api.model
    def _dunning_level_after(self, level, levels):
        """The rung above ``level`` in ``levels`` (sorted), the top one staying there.

        Without a level yet, the first rung after the due date: the message announcing
        the broken plan stands for it.
        """
        if level and level in levels:
            return levels.filtered(lambda lvl: lvl.delay_days > level.delay_days)[:1] or level
        return levels.filtered(lambda lvl: lvl.delay_days > 0)[:1] or levels[-1:]

    def _dunning_notify(self, kind, run_date, reasons, activities=None, levels=None, *,
                        override=False):  # fmt: skip
        """Log each plan's event ({plan: reason}) and, with a ``kind`` of message, email
        it to the plan's contact through the gateway (dunning.engine._deliver): no
        address, an opt-out or the day's message already sent show on the event.
        ``override``: a person's send. Returns the events."""
        events = self._dunning_log(run_date, reasons, activities=activities, levels=levels)
        if not kind:
            return events
        template = self.env.ref(_TEMPLATES[kind]).with_context(dunning_date=run_date)
        engine = self.env["dunning.engine"].with_context(dunning_date=run_date)
        engine._deliver(
            [
                {
                    "channel": "email",
                    "event": event,
                    "customer": plan.partner_id.commercial_partner_id,
                    "contact": plan.contact_id,
                    "template": template,
                    "record": plan.with_context(dunning_date=run_date),
                    "thread": plan,
                    "policy": plan._dunning_hold_policy(),
                    "company": plan.company_id,
                    "override": override,
                }
                for plan, event in zip(self, events, strict=True)
            ]
        )
        return events

    def _dunning_log(self, run_date, reasons, activities=None, levels=None):
        activities, levels = activities or {}, levels or {}
        return self._dunning_hold_log(
            reasons,
            day=run_date,
            partner_id={plan: plan.partner_id for plan in self},
            contact_id={plan: plan.contact_id for plan in self},
            activity_id={plan: activities.get(plan) for plan in self},
            collector_id={
                plan: activities[plan].user_id if activities.get(plan) else None for plan in self
            },
            level_id={plan: levels.get(plan) for plan in self},
        )

    def _get_today(self):
        return self.env.context.get("dunning_date") or fields.Date.context_today(self)

    def _dunning_agreement_file_name(self):
        """The agreement's file name, without extension, in the context's language (the
        customer's when it is sent)."""
        self.ensure_one()
        return self.env._("Payment plan agreement %(plan)s", plan=self.name).replace("/", "-")

    def _get_sender(self):
        self.ensure_one()
        policy = self._dunning_hold_policy()
        return policy._get_sender() if policy else self.company_id.email_formatted

    def _get_collector(self):
        self.ensure_one()
        return self.env["dunning.engine"]._get_collector(
            self.partner_id,
            self.company_id,
            policy=self._dunning_hold_policy(),
            fallback=self.user_id,
        )

    def _get_upcoming_installments(self, today=None):
        self.ensure_one()
        today = today or self._get_today()
        horizon = today + timedelta(days=self.reminder_days_before)
        return self.installment_ids.filtered(
            lambda i: i.state in ("due", "partial") and today <= i.date_due <= horizon
        )

    def _get_state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _get_break_date(self):
        """The last day to pay the oldest late installment before the plan breaks."""
        self.ensure_one()
        late = self.installment_ids.filtered(lambda i: i.state == "late").mapped("date_due")
        return min(late) + timedelta(days=self.tolerance_days) if late else False

    def _get_invoice_rows(self):
        """The plan's invoices, oldest due first, with residual and pay link: the link
        pays the invoice's share of the installment due, or shows the plan. The plan's
        schedule replaces the invoices' own payment terms: the whole residual is shown.
        A plan the customer cannot open (a request declined) links to each invoice."""
        self.ensure_one()
        rows = self._get_message()["rows"]
        links = {link["move"]: link for link in self._get_pay_now_links()}
        shown = self.state in PORTAL_STATES
        plan_url = self._get_portal_full_url() if shown else None
        if not shown:
            self.move_ids._dunning_ensure_access_tokens()
        for row in rows:
            row.update(amount_due=row["residual"], upcoming=[])
            move = row["move"]
            row["url"] = (
                links[move]["url"]
                if move in links
                else plan_url or move.get_base_url() + move.get_portal_url()
            )
        return rows

    def _get_message(self):
        """The plan's invoices as the customer's ledger shows them today (every open
        installment: the plan's schedule replaces the invoices' own terms)."""
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id.with_company(self.company_id)
        return customer._dunning_message_data(
            self.move_ids.ids, self._get_today(), with_entries=False, whole=True
        )

    def _get_credit_rows(self):
        """The shared invoice table of the messages: a plan lists no credits."""
        return []

    def _get_due_state(self, rows=None):
        self.ensure_one()
        rows = self._get_invoice_rows() if rows is None else rows
        late = any(row["days_overdue"] > 0 for row in rows)
        return "overdue" if late else "upcoming"

    def _get_installments_due_now(self):
        """What the customer is asked to pay now: the late installments, else the next
        open one."""
        self.ensure_one()
        open_rows = self.installment_ids.filtered(lambda i: i.state != "paid").sorted(
            lambda i: (i.date_due, i.sequence, i.id)
        )
        return open_rows.filtered(lambda i: i.state == "late") or open_rows[:1]

    def _get_pay_now_links(self):
        """Odoo's invoice payment links (account_payment's portal payment with a custom
        amount, as the payment link wizard makes them) for the installment due now,
        spread over the plan's open invoices oldest due first: [{move, amount, url}]."""
        self.ensure_one()
        if self.state != "active":
            return []
        currency = self.currency_id
        left = currency.round(sum(self._get_installments_due_now().mapped("amount_residual")))
        links = []
        moves = self.move_ids.filtered(lambda m: not m.currency_id.is_zero(m.amount_residual))
        for move in moves.sorted(lambda m: (m.invoice_date_due or m.date, m.id)):
            if currency.compare_amounts(left, 0.0) <= 0:
                break
            share = currency.round(min(left, move.amount_residual))
            left = currency.round(left - share)
            links.append({"move": move, "amount": share, "url": self._get_pay_url(move, share)})
        return links

    @api.model
    def _get_pay_url(self, move, amount):
        """The invoice's portal page opening its payment for ``amount``: the URL and the
        signed ``payment_token`` that account_payment's ``portal_my_invoice_detail``
        checks (a tampered amount is refused there)."""
        params = {
            "amount": amount,
            "payment_token": payment_utils.generate_access_token(move.id, amount, env=self.env),
            "payment": True,
        }
        query = "&" + url_encode(params)
        return move.get_base_url() + move.get_portal_url(query_string=query, anchor="portal_pay")

    def _get_installment_rows(self):
        """The schedule as the wizard numbers it: the down payment, then 1..n."""
        self.ensure_one()
        rows, number = [], 0
        for installment in self.installment_ids:
            if not installment.is_down_payment:
                number += 1
            rows.append({"installment": installment, "number": number})
        return rows

    def _get_totals(self, rows=None):
        """What the plan's invoices still ask for, per currency, and the customer's
        balance, from the ledger."""
        self.ensure_one()
        return self._get_message()["totals"]

    def _get_company_address(self):
        self.ensure_one()
        return self.company_id._dunning_address_line()

    def _get_portal_full_url(self):
        self.ensure_one()
        return self.get_base_url() + self.get_portal_url()

    def _get_portal_texts(self):
        """The plan page's sentences with figures in them, whole, in the reader's
        language (a QWeb text cut by a value is translated in pieces)."""
        self.ensure_one()
        _ = self.env._
        texts = {
            "title": _("Payment plan %(plan)s", plan=self.name),
            "terms": _(
                "Payments count towards the installments in order, the oldest first. If an "
                "installment is more than %(days)s days late, the plan ends and the "
                "remaining balance becomes due at once.",
                days=self.tolerance_days,
            ),
        }
        if self.amount_late and self.state == "active":
            texts["late"] = _(
                "Our records do not show your payment of %(amount)s due on the installments "
                "marked late. To keep the plan on track, please pay by %(date)s.",
                amount=format_amount(self.env, self.amount_late, self.currency_id),
                date=format_date(self.env, self._get_break_date()),
            )
        return texts

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Payment plan %(plan)s", plan=self.name)
