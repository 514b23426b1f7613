from odoo import api, fields, models

# The reference rate series of each late-charge rule (tools/late_charges.py SPECS).
RATE_SERIES = [
    ("ecb_mro", "ECB main refinancing operations"),
    ("boe_base", "Bank of England base rate"),
    ("de_base", "German base rate (Basiszinssatz)"),
    ("fr_legal", "French legal interest rate (professional creditors)"),
]


class DunningReferenceRate(models.Model):
    """A published reference rate, in force from ``date_from`` until the next one.

    Keyed by rate series rather than by late-charge rule: one series may serve several
    rules (the ECB rate is also the German base rate's source). The ECB and Bank of
    England series hold every change; the German and French series hold one record per
    half-year (1 January / 1 July), as published, even when unchanged.
    """

    _name = "dunning.reference.rate"
    _inherit = ["dunning.authority.mixin"]
    _description = "Late Charge Reference Rate"
    _order = "rule, date_from desc"
    _rec_name = "rule"

    rule = fields.Selection(RATE_SERIES, string="Rate Series", required=True, index=True)
    date_from = fields.Date(string="In Force From", required=True)
    rate = fields.Float(
        string="Rate (%)",
        digits=(16, 4),
        required=True,
        aggregator=False,  # rates of different dates: a sum or an average means nothing
        help="Annual rate, in percent.",
    )
    note = fields.Char(help="Where the figure was published.")

    _rule_date_uniq = models.Constraint(
        "UNIQUE(rule, date_from)", "A rate series has one rate per date."
    )

    @api.model
    def _get_series(self, series):
        """[(date_from, rate)] of one series, for tools.late_charges."""
        # sudo: published public figures; computing a charge must not depend on who
        # asks (an accountant without collections rights, a scheduled action).
        records = self.sudo().search_fetch([("rule", "=", series)], ["date_from", "rate"])
        return [(record.date_from, record.rate) for record in records]
