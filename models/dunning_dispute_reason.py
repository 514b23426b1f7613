from odoo import fields, models


class DunningDisputeReason(models.Model):
    """Why a customer disputes invoices (price, quantity, quality...): configurable."""

    _name = "dunning.dispute.reason"
    _inherit = ["dunning.authority.mixin"]
    _description = "Dispute Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)

    _name_uniq = models.Constraint("UNIQUE(name)", "A dispute reason's name must be unique.")
