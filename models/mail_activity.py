from odoo import api, fields, models


class MailActivity(models.Model):
    """'Log call' on a collections call activity (issue #10)."""

    _inherit = "mail.activity"

    dunning_is_call = fields.Boolean(compute="_compute_dunning_is_call")

    @api.depends("activity_type_id")
    def _compute_dunning_is_call(self):
        call_type = self.env.ref(
            "account_dunning.mail_activity_type_dunning_call", raise_if_not_found=False
        )
        for activity in self:
            activity.dunning_is_call = bool(call_type) and activity.activity_type_id == call_type

    def action_dunning_log_call(self):
        """The call's outcome, from the activity (its customer is the record)."""
        self.ensure_one()
        partner = self.env["res.partner"]
        if self.res_model == "res.partner":
            partner = partner.browse(self.res_id).commercial_partner_id
        return self.env["dunning.call.wizard"]._dunning_open(partner, self)
