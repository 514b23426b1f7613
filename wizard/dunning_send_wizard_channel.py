from odoo import api, fields, models


class DunningSendWizardChannel(models.TransientModel):
    """One channel Send & Print can send by, from the channel registry (the kinds of
    steps that reach the customer: dunning.level.step._dunning_channels)."""

    _name = "dunning.send.wizard.channel"
    _description = "Collections: Send & Print Channel"
    _order = "sequence, id"

    wizard_id = fields.Many2one("dunning.send.wizard", required=True, ondelete="cascade")
    sequence = fields.Integer()
    kind = fields.Selection(selection="_selection_kind", required=True, readonly=True)
    selected = fields.Boolean(string="Send")
    note = fields.Char(readonly=True, help="Why the channel cannot be used now, or what it costs.")

    @api.model
    def _selection_kind(self):
        Step = self.env["dunning.level.step"]
        labels = Step._dunning_kind_labels()
        return [(kind, labels[kind]) for kind in Step._dunning_customer_kinds()]
