from odoo import api, models


class DunningEvent(models.Model):
    """The self-service channel of the history and the link in a reminder (issue #14)."""

    _inherit = "dunning.event"

    @api.model
    def _selection_channel(self):
        return [*super()._selection_channel(), ("portal", self.env._("Self-Service"))]

    def _get_self_service_url(self):
        """The self-service link of the reminder's recipient; '' when the policy has it
        off."""
        self.ensure_one()
        contact = self.contact_id or self.partner_id
        partner = contact.with_company(self.company_id)
        if not partner._dunning_self_service_enabled():
            return ""
        return contact._dunning_self_service_url(self.company_id)
