from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools.misc import format_date

from ..models.dunning_payment_plan import INTERVALS
from ..tools.flows import LAST_DATE, is_sane_date
from ..tools.payment_schedule import MAX_INSTALLMENTS, ScheduleError, compute_schedule
from ..tools.stages import PLANNABLE_STAGES


class DunningPaymentPlanWizard(models.TransientModel):
    """Propose a payment plan for a customer's open invoices, with a live preview."""

    _name = "dunning.payment.plan.wizard"
    _description = "Payment Plan Wizard"

    move_ids = fields.Many2many(
        "account.move",
        "dunning_payment_plan_wizard_move_rel",
        "wizard_id",
        "move_id",
        string="Invoices",
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial')), ('company_id', '=', company_id)]",
    )
    plan_id = fields.Many2one(
        "dunning.payment.plan",
        string="Renegotiated Plan",
        readonly=True,
        help="Set when renegotiating: the new schedule replaces the plan's remaining installments.",
    )
    company_id = fields.Many2one("res.company", compute="_compute_from_moves")
    partner_id = fields.Many2one("res.partner", string="Customer", compute="_compute_from_moves")
    currency_id = fields.Many2one("res.currency", compute="_compute_from_moves")
    amount_total = fields.Monetary(string="Open Balance", compute="_compute_from_moves")
    contact_id = fields.Many2one(
        "res.partner",
        string="Send To",
        compute="_compute_contact_id",
        store=True,
        readonly=False,
        domain="[('commercial_partner_id', '=', partner_id)]",
    )
    split_mode = fields.Selection(
        [("count", "Number of installments"), ("amount", "Minimum installment")],
        string="Split By",
        default="count",
        required=True,
    )
    installment_count = fields.Integer(string="Installments", default=3)
    minimum_amount = fields.Monetary(
        string="Minimum Installment",
        help="As many equal installments as possible, none below this amount.",
    )
    interval = fields.Selection(INTERVALS, default="monthly", required=True)
    first_date = fields.Date(
        string="First Due Date",
        required=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=7),
    )
    down_payment = fields.Monetary(help="Paid first, on its own date; not split.")
    down_payment_date = fields.Date(default=fields.Date.context_today)
    tolerance_days = fields.Integer(
        default=7, help="An installment later than this many days breaks the plan."
    )
    reminder_days_before = fields.Integer(string="Remind Days Before", default=3)
    settlement_discount = fields.Float(
        string="Discount for Settling at Once (%)",
        digits=(5, 2),
        help="Offered in the agreement: settle the whole balance by the first due date "
        "and pay this much less.",
    )
    send_agreement = fields.Boolean(
        string="Email the Agreement",
        compute="_compute_send_agreement",
        store=True,
        readonly=False,
        help="Send the customer the agreement (PDF attached) with a link to follow the "
        "plan online.",
    )
    error = fields.Char(compute="_compute_preview")
    warning = fields.Char(compute="_compute_preview")
    preview_html = fields.Html(string="Schedule", compute="_compute_preview", sanitize=False)

    @api.depends("move_ids")
    def _compute_from_moves(self):
        for wizard in self:
            moves = wizard.move_ids
            wizard.company_id = moves.company_id[:1] or self.env.company
            wizard.partner_id = moves.commercial_partner_id[:1]
            wizard.currency_id = moves.currency_id[:1] or wizard.company_id.currency_id
            # What the invoices owe net of the customer's credits (its ledger).
            customer = wizard.partner_id.with_company(wizard.company_id)
            wizard.amount_total = (
                customer._dunning_owed_on(moves._origin) if customer and moves else 0.0
            )

    @api.depends("partner_id")
    def _compute_contact_id(self):
        for wizard in self:
            partner = wizard.partner_id.with_company(wizard.company_id)
            wizard.contact_id = partner._dunning_get_contact() if partner else False

    @api.depends("contact_id")
    def _compute_send_agreement(self):
        for wizard in self:
            wizard.send_agreement = bool(wizard.contact_id.email)

    @api.depends(
        "move_ids",
        "split_mode",
        "installment_count",
        "minimum_amount",
        "interval",
        "first_date",
        "down_payment",
        "down_payment_date",
    )
    def _compute_preview(self):
        for wizard in self:
            wizard.error = wizard.warning = False
            try:
                schedule = wizard._get_schedule()
            except UserError as error:
                wizard.error = error.args[0]
                wizard.preview_html = False
                continue
            wizard.warning = wizard._get_warning(schedule)
            wizard.preview_html = self.env["ir.qweb"]._render(
                "account_dunning.dunning_payment_plan_wizard_preview",
                {"rows": schedule, "currency": wizard.currency_id, "wizard": wizard},
            )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if "move_ids" in fields_list and not values.get("move_ids"):
            moves = self.env["account.move"]
            if context.get("active_model") == "account.move":
                moves = moves.browse(context.get("active_ids") or context.get("active_id"))
            elif context.get("active_model") == "res.partner" and context.get("active_id"):
                partner = self.env["res.partner"].browse(context["active_id"])
                moves = self._get_partner_moves(partner)
            values["move_ids"] = [Command.set(moves.ids)]
        return values

    def action_confirm(self):
        self.ensure_one()
        schedule = self._get_schedule()
        if self.plan_id:
            if self.move_ids - self.plan_id.move_ids:
                raise UserError(self.env._("A renegotiation covers the invoices of the plan."))
            self.plan_id._dunning_renegotiate(
                schedule,
                send=self.send_agreement,
                terms={
                    "interval": self.interval,
                    "tolerance_days": self.tolerance_days,
                    "reminder_days_before": self.reminder_days_before,
                    "settlement_discount": self.settlement_discount,
                    "contact_id": self.contact_id.id,
                },
            )
            return self.plan_id._dunning_open_action()
        plan = self.env["dunning.payment.plan"].create(self._get_plan_values(schedule))
        plan._dunning_activate(send=self.send_agreement)
        return plan._dunning_open_action()

    def _get_partner_moves(self, partner):
        """The customer's open invoices that can go in a plan, in one currency."""
        moves = self.env["account.move"].search(
            [
                *partner._dunning_open_invoices_domain(),
                ("dunning_stage", "in", PLANNABLE_STAGES),
            ],
            order="invoice_date_due, id",
        )
        Plan = self.env["dunning.payment.plan"]
        busy = Plan.search(
            [("state", "in", list(Plan._dunning_hold_open_states)), ("move_ids", "in", moves.ids)]
        )
        moves -= busy.move_ids
        # Several currencies: the one of the oldest invoice; the others make another plan.
        return moves.filtered(lambda m: m.currency_id == moves[:1].currency_id)

    def _get_schedule(self):
        """The installments as computed by tools.payment_schedule; UserError if impossible."""
        self.ensure_one()
        self.env["dunning.payment.plan"]._dunning_check_moves(self.move_ids, self.plan_id or None)
        today = fields.Date.context_today(self)
        if not self.first_date or self.first_date < today:
            raise UserError(self.env._("The first due date cannot be in the past."))
        if self.down_payment and (not self.down_payment_date or self.down_payment_date < today):
            raise UserError(self.env._("The down payment cannot be due in the past."))
        if not (is_sane_date(self.first_date) and is_sane_date(self.down_payment_date or None)):
            raise UserError(
                self.env._(
                    "A payment plan ends by %(last)s at the latest.",
                    last=format_date(self.env, LAST_DATE),
                )
            )
        self.contact_id._dunning_check_contact_of(self.move_ids.commercial_partner_id[:1])
        by_count = self.split_mode == "count"
        try:
            return compute_schedule(
                self.amount_total,
                self.first_date,
                self.interval,
                rounding=self.currency_id.rounding,
                count=self.installment_count if by_count else None,
                minimum_amount=0.0 if by_count else self.minimum_amount,
                down_payment=self.down_payment,
                down_payment_date=self.down_payment_date,
            )
        except ScheduleError as error:
            raise UserError(self._get_schedule_error_message(error)) from error

    def _get_schedule_error_message(self, error):
        _ = self.env._
        currency = self.currency_id
        messages = {
            "balance": _("Nothing is left to pay on these invoices."),
            "count": _("Choose between 1 and %(maximum)s installments.", maximum=MAX_INSTALLMENTS),
            "minimum": _(
                "The balance to split, %(balance)s, is below the minimum installment "
                "%(minimum)s: ask for a single payment or lower the minimum.",
                balance=currency.format(self.amount_total - self.down_payment),
                minimum=currency.format(self.minimum_amount),
            ),
            "too_many": _(
                "With this minimum the plan would need %(count)s installments; at most "
                "%(maximum)s: raise the minimum installment.",
                count=error.params.get("count"),
                maximum=MAX_INSTALLMENTS,
            ),
            "down_payment": _(
                "The down payment must be positive and less than the open balance %(balance)s.",
                balance=currency.format(self.amount_total),
            ),
            "down_payment_date": _("The down payment must be due before the first installment."),
        }
        return messages.get(error.code, _("This schedule is not possible (%(code)s).",
                                          code=error.code))  # fmt: skip

    def _get_warning(self, schedule):
        """What the accountant should know before confirming, or False."""
        notes = []
        asked = self.installment_count if self.split_mode == "count" else 0
        count = len([row for row in schedule if not row.is_down_payment])
        if asked and count < asked:
            notes.append(
                self.env._(
                    "The balance is too small for %(asked)s installments: %(count)s proposed.",
                    asked=asked,
                    count=count,
                )
            )
        gross = sum(self.move_ids.mapped("amount_residual"))
        if self.currency_id.compare_amounts(gross, self.amount_total) > 0:
            notes.append(
                self.env._(
                    "The customer's open credits (credit notes, payments not yet applied) "
                    "leave %(balance)s to pay on these invoices of %(gross)s: the plan is "
                    "for that balance. Reconcile them with the invoices when you can.",
                    balance=self.currency_id.format(self.amount_total),
                    gross=self.currency_id.format(gross),
                )
            )
        return " ".join(notes) or False

    def _get_plan_values(self, schedule):
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "contact_id": self.contact_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "move_ids": [Command.set(self.move_ids.ids)],
            "interval": self.interval,
            "tolerance_days": self.tolerance_days,
            "reminder_days_before": self.reminder_days_before,
            "settlement_discount": self.settlement_discount,
            "installment_ids": [
                Command.create(
                    {
                        "sequence": sequence,
                        "date_due": row.date_due,
                        "amount": row.amount,
                        "is_down_payment": row.is_down_payment,
                    }
                )
                for sequence, row in enumerate(schedule, start=1)
            ],
        }
