from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date

from ..tools.flows import LAST_DATE, MAX_AMOUNT, is_sane_amount, is_sane_date
from ..tools.payment_schedule import allocate_paid, installment_state, reminder_kind

INSTALLMENT_STATES = [
    ("due", "Due"),
    ("partial", "Partially Paid"),
    ("paid", "Paid"),
    ("late", "Late"),
]

# What the customer agreed to cannot change once the plan is active (a renegotiation
# replaces the remaining installments, logged).
_AGREED_FIELDS = {"plan_id", "date_due", "amount", "is_down_payment", "sequence"}


class DunningPaymentPlanInstallment(models.Model):
    """One payment the customer agreed to make, and how much of it is paid."""

    _name = "dunning.payment.plan.installment"
    _inherit = ["dunning.authority.mixin"]
    _description = "Payment Plan Installment"
    _order = "plan_id, date_due, sequence, id"
    _check_company_auto = True

    plan_id = fields.Many2one(
        "dunning.payment.plan", string="Payment Plan", required=True, index=True,
        ondelete="cascade",
    )  # fmt: skip
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="plan_id.currency_id", store=True)
    partner_id = fields.Many2one(related="plan_id.partner_id", store=True, index=True)
    plan_state = fields.Selection(related="plan_id.state", string="Plan Status")
    date_due = fields.Date(string="Due Date", required=True)
    amount = fields.Monetary(required=True, currency_field="currency_id")
    is_down_payment = fields.Boolean(string="Down Payment")
    amount_paid = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        copy=False,
        help="Payments on the plan's invoices, allocated to installments oldest first; "
        "updated every day and on Refresh.",
    )
    amount_residual = fields.Monetary(
        string="Left to Pay",
        currency_field="currency_id",
        compute="_compute_amount_residual",
        store=True,
    )
    state = fields.Selection(
        INSTALLMENT_STATES, default="due", required=True, readonly=True, copy=False, index=True
    )
    reminder_before_date = fields.Date(
        string="Reminder Sent", readonly=True, copy=False, help="When the reminder was sent."
    )
    reminder_late_date = fields.Date(
        string="Late Notice Sent", readonly=True, copy=False, help="When the late notice was sent."
    )

    _amount_positive = models.Constraint(
        "CHECK(amount > 0)", "An installment must be for a positive amount."
    )

    @api.depends("amount", "amount_paid")
    def _compute_amount_residual(self):
        for installment in self:
            installment.amount_residual = installment.amount - installment.amount_paid

    @api.depends("plan_id", "date_due", "amount")
    def _compute_display_name(self):
        for installment in self:
            installment.display_name = " - ".join(
                part
                for part in (
                    installment.plan_id.name,
                    installment.date_due and fields.Date.to_string(installment.date_due),
                )
                if part
            )

    # The flows that may change installments (the daily follow-up, a renegotiation) do
    # it with sudo after their own checks; people only edit a draft's schedule.

    @api.constrains("amount", "date_due")
    def _check_sane_terms(self):
        for installment in self:
            if (
                installment.amount < 0
                or not is_sane_amount(installment.amount or 1)
                or not (is_sane_date(installment.date_due))
            ):
                raise ValidationError(
                    self.env._(
                        "An installment is an amount below %(max)s due by %(last)s at the latest.",
                        max=f"{MAX_AMOUNT:,.0f}",
                        last=format_date(self.env, LAST_DATE),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            plans = self.env["dunning.payment.plan"].browse(
                {vals["plan_id"] for vals in vals_list if vals.get("plan_id")}
            )
            plans._check_installments_editable()
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and _AGREED_FIELDS & set(vals):
            self.plan_id._check_installments_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_in_draft(self):
        if not self.env.su:
            self.plan_id._check_installments_editable()

    def _get_state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _dunning_allocate(self, paid, today):
        """Spread ``paid`` over these installments (of one plan), oldest first.

        Returns the changes as {(amount_paid, state): installment ids}.
        """
        if not self:
            return {}
        rounding = self.plan_id.currency_id.rounding
        installments = self.sorted(lambda i: (i.date_due, i.sequence, i.id))
        allocated = allocate_paid(installments.mapped("amount"), paid, rounding)
        changes = defaultdict(list)
        for installment, amount_paid in zip(installments, allocated, strict=True):
            state = installment_state(
                installment.amount, amount_paid, installment.date_due, today, rounding
            )
            if state != installment.state or installment.currency_id.compare_amounts(
                amount_paid, installment.amount_paid
            ):
                changes[amount_paid, state].append(installment.id)
        return changes

    def _dunning_reminders_due(self, run_date):
        """The installments to remind today, as {"late": ..., "before": ...}."""
        found = {"late": self.browse(), "before": self.browse()}
        for installment in self:
            plan = installment.plan_id
            kind = reminder_kind(
                installment.date_due,
                installment.state,
                run_date,
                days_before=plan.reminder_days_before,
                agreed_on=plan.date_start,
                before_sent=bool(installment.reminder_before_date),
                late_sent=bool(installment.reminder_late_date),
            )
            if kind:
                found[kind] |= installment
        return found
