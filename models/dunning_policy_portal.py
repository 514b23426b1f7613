from odoo import fields, models


class DunningPolicy(models.Model):
    """Limits of the customer self-service page (issue #14): what a customer may do
    alone from the link in a reminder, and from when a collector decides."""

    _inherit = "dunning.policy"

    portal_self_service = fields.Boolean(
        string="Customer Self-Service",
        default=True,
        help="Reminders carry a link to a page of the customer's account: open items, "
        "statement, pay now, promise a date, ask for a payment plan, dispute an "
        "invoice, stop reminder emails or propose a new accounts-payable contact.",
    )
    portal_promise_max_days = fields.Integer(
        string="Promise: Latest Date (Days)",
        default=30,
        help="A customer may promise to pay at most this many days from today.",
    )
    portal_promise_min_share = fields.Float(
        string="Promise: Minimum Share (%)",
        default=50.0,
        digits=(5, 2),
        help="A promise covers at least this share of the balance of the invoices it is for.",
    )
    portal_plan_max_months = fields.Integer(
        string="Plan: Maximum Months",
        default=6,
        help="A payment plan asked for online is approved at once when its monthly "
        "installments end within this many months; longer, a collector decides.",
    )
    portal_plan_min_installment = fields.Monetary(
        string="Plan: Minimum Installment",
        currency_field="currency_id",
        default=50.0,
        help="Approved at once only when every installment is at least this amount (in "
        "the invoices' currency); smaller, a collector decides.",
    )
    portal_plan_max_balance = fields.Monetary(
        string="Plan: Maximum Balance",
        currency_field="currency_id",
        default=10000.0,
        help="Approved at once only for a balance up to this amount (in the invoices' "
        "currency); more, a collector decides. 0: a collector always decides.",
    )
    portal_plan_first_date_max_days = fields.Integer(
        string="Plan: First Installment Within (Days)",
        default=30,
        help="Approved at once only when the first installment is due within this many "
        "days; later, a collector decides.",
    )
    portal_max_actions_per_hour = fields.Integer(
        string="Self-Service Actions per Hour",
        default=10,
        help="A customer can take at most this many actions per hour on the self-service "
        "page (promises, plan requests, disputes, opt-outs, contact changes).",
    )

    _portal_limits_positive = models.Constraint(
        "CHECK(portal_promise_max_days >= 0 AND portal_plan_max_months >= 0 "
        "AND portal_plan_first_date_max_days >= 0 AND portal_max_actions_per_hour >= 1 "
        "AND portal_plan_min_installment >= 0 AND portal_plan_max_balance >= 0 "
        "AND portal_promise_min_share >= 0 AND portal_promise_min_share <= 100)",
        "The self-service limits cannot be negative, the minimum share of a promise is "
        "at most 100 percent and a customer may take at least one action per hour.",
    )
