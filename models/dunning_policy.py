from odoo import api, fields, models


class DunningPolicy(models.Model):
    """A collections ladder: the ordered steps taken when an invoice stays unpaid."""

    _name = "dunning.policy"
    _description = "Dunning Policy"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    level_ids = fields.One2many("dunning.level", "policy_id", string="Levels", copy=True)
    level_count = fields.Integer(compute="_compute_level_count")
    minimum_amount = fields.Monetary(
        currency_field="currency_id",
        help="Customers whose overdue balance (company currency) is below this "
        "amount are not chased.",
    )
    min_days_between_steps = fields.Integer(
        string="Minimum Days Between Steps",
        default=3,
        help="A customer gets at most one step of the ladder in this many days, "
        "whatever the number of invoices.",
    )
    skip_predue_for_good_payers = fields.Boolean(
        string="No Pre-due Reminder for Good Payers",
        default=True,
        help="Customers who paid every invoice of the last 12 months on time get no "
        "reminder before the due date.",
    )
    start_at_matching_level = fields.Boolean(
        string="Start Old Debts at Matching Level",
        help="When an invoice has never been dunned, start at the level matching its "
        "age. Off: start at the first overdue level and climb one step per run.",
    )
    email_from = fields.Char(
        string="Sender",
        help="The finance team's address, e.g. \"Accounts Receivable "
        "<ar@example.com>\". Empty: the company's email. Never the salesperson.",
    )
    reply_to = fields.Char()
    email_cc = fields.Char(
        string="Copy To", help="Addresses copied on every dunning email (comma-separated)."
    )
    attach_invoice_pdf = fields.Boolean(
        string="Attach Invoice PDFs",
        default=True,
        help="Attach the PDF Odoo stored for each invoice listed in the email.",
    )
    default_collector_id = fields.Many2one(
        "res.users",
        domain="[('share', '=', False)]",
        help="Receives the call activities of customers without a collector.",
    )

    _name_company_uniq = models.Constraint(
        "UNIQUE(name, company_id)", "A policy name must be unique per company."
    )
    _min_days_positive = models.Constraint(
        "CHECK(min_days_between_steps >= 0)",
        "The minimum days between steps cannot be negative.",
    )
    _minimum_amount_positive = models.Constraint(
        "CHECK(minimum_amount >= 0)", "The minimum amount cannot be negative."
    )

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    def _get_sender(self):
        """The From of dunning emails: the policy's sender, else the company's."""
        self.ensure_one()
        return self.email_from or self.company_id.email_formatted
