from odoo import api, fields, models


class ResPartner(models.Model):
    """Late charges (issue #11): consumer or business, and the "Charge late fees" button."""

    _inherit = "res.partner"

    dunning_is_consumer = fields.Boolean(
        string="Consumer (Collections)",
        compute="_compute_dunning_is_consumer",
        store=True,
        readonly=False,
        help="Consumers get no fixed compensation and, under EU, UK and French rules, "
        "no statutory interest. Defaults to individuals (not a company); can be changed, "
        "e.g. for a sole trader who buys for his business.",
    )

    @api.depends("is_company")
    def _compute_dunning_is_consumer(self):
        for partner in self:
            partner.dunning_is_consumer = not partner.is_company

    def action_dunning_late_charges(self):
        """Open the late-charge wizard on this customer's open overdue invoices."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_late_charge_wizard"
        )
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action
