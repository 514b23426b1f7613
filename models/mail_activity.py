from odoo import api, fields, models
from odoo.addons.mail.tools.discuss import Store


class MailActivity(models.Model):
    """'Log call' on a collections call activity (issue #10): in its form, its list row,
    the chatter and the activity popover (static/src/activity)."""

    _inherit = "mail.activity"

    dunning_is_call = fields.Boolean(compute="_compute_dunning_is_call")

    @api.depends("activity_type_id")
    def _compute_dunning_is_call(self):
        call_type = self.env.ref(
            "account_dunning.mail_activity_type_dunning_call", raise_if_not_found=False
        )
        for activity in self:
            activity.dunning_is_call = bool(call_type) and activity.activity_type_id == call_type

    # EXTENDS 'mail': the web client's activities say when "Log Call" applies.
    def _to_store_defaults(self, target):
        return [
            *super()._to_store_defaults(target),
            Store.Attr("dunning_can_log_call", lambda activity: activity._dunning_can_log_call()),
        ]

    def action_dunning_log_call(self):
        """The call's outcome, from the activity (its customer is the record)."""
        self.ensure_one()
        partner = self.env["res.partner"]
        if self.res_model == "res.partner":
            partner = partner.browse(self.res_id).commercial_partner_id
        return self.env["dunning.call.wizard"]._dunning_open(partner, self)

    def _dunning_can_log_call(self):
        """A collections user's open call activity: the one-click "Log Call"."""
        self.ensure_one()
        return (
            self.active
            and self.dunning_is_call
            and self.env.user.has_group("account_dunning.group_dunning_user")
        )
