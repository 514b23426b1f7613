from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dunning_bad_debt_account_id = fields.Many2one(
        related="company_id.dunning_bad_debt_account_id", readonly=False
    )
    dunning_writeoff_journal_id = fields.Many2one(
        related="company_id.dunning_writeoff_journal_id", readonly=False
    )
    dunning_late_charge_account_id = fields.Many2one(
        related="company_id.dunning_late_charge_account_id", readonly=False
    )
