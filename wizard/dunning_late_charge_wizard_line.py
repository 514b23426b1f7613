from odoo import fields, models


class DunningLateChargeWizardLine(models.TransientModel):
    _name = "dunning.late.charge.wizard.line"
    _description = "Charge Late Fees: Invoice"

    wizard_id = fields.Many2one("dunning.late.charge.wizard", required=True, ondelete="cascade")
    move_id = fields.Many2one("account.move", string="Invoice", required=True)
    invoice_date_due = fields.Date(related="move_id.invoice_date_due")
    amount_residual = fields.Monetary(related="move_id.amount_residual")
    currency_id = fields.Many2one(related="move_id.currency_id")
    date_from = fields.Date(string="From")
    date_to = fields.Date(string="To")
    interest = fields.Monetary()
    compensation = fields.Monetary()
    error = fields.Char()

    def _has_charge(self):
        self.ensure_one()
        currency = self.currency_id
        return not (currency.is_zero(self.interest) and currency.is_zero(self.compensation))
