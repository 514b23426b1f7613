from odoo import models
from odoo.exceptions import AccessError


class ResPartner(models.Model):
    _inherit = "res.partner"

    def action_dunning_send_print(self):
        """Send & Print: the wizard to send this customer its reminder now, with the
        channels the person chooses."""
        self.ensure_one()
        if not self.env.user.has_group("account_dunning.group_dunning_user"):
            raise AccessError(self.env._("Only collections users can send reminders."))
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send & Print"),
            "res_model": "dunning.send.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_partner_id": self.commercial_partner_id.id,
                "default_company_id": self.env.company.id,
            },
        }
