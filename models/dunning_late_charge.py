from odoo import api, fields, models


class DunningLateCharge(models.Model):
    """What a late-charge invoice charged for one overdue invoice, and up to when.

    The next charge of the invoice starts the day after the latest ``date_to`` of its
    live charges, and its compensation is charged once: a charge invoice that is
    cancelled (or deleted while draft) frees its period and compensation again.
    """

    _name = "dunning.late.charge"
    _inherit = ["dunning.authority.mixin"]
    _description = "Late Charge"
    _order = "date_to desc, id desc"
    _check_company_auto = True

    move_id = fields.Many2one(
        "account.move",
        string="Overdue Invoice",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    charge_move_id = fields.Many2one(
        "account.move",
        string="Charge Invoice",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        related="move_id.commercial_partner_id", string="Customer", store=True
    )
    currency_id = fields.Many2one(related="move_id.currency_id")
    date_from = fields.Date(required=True, help="First day of interest charged.")
    date_to = fields.Date(required=True, help="Last day of interest charged.")
    interest = fields.Monetary()
    compensation = fields.Monetary()
    rule = fields.Char(help="The policy's late-charge rule at the time of the charge.")
    state = fields.Selection(related="charge_move_id.state", string="Charge Status")

    _dates_ordered = models.Constraint(
        "CHECK(date_from <= date_to)", "A late charge cannot end before it starts."
    )

    @api.model
    def _charged_until(self, moves):
        """{invoice: (last day charged or None, compensation charged)}, from the charges
        whose invoice is not cancelled."""
        charges = self.search(
            [("move_id", "in", moves.ids), ("charge_move_id.state", "!=", "cancel")]
        )
        result = dict.fromkeys(moves, (None, False))
        for charge in charges:
            last, compensated = result[charge.move_id]
            if last is None or charge.date_to > last:
                last = charge.date_to
            result[charge.move_id] = (last, compensated or charge.compensation > 0)
        return result
