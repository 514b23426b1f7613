from odoo import api, models

# Failures that say the address or number is wrong: the collector fixes the contact.
CONTACT_FAILURES = (
    "mail_bounce",
    "mail_email_invalid",
    "mail_email_missing",
    "sms_number_missing",
    "sms_number_format",
    "sms_blacklist",
    "sn_fields",  # Snailmail: the postal address is incomplete
)


class MailNotification(models.Model):
    """The delivery status of a collections message is Odoo's own: the notification
    of its recipient, which Odoo's mail queue, SMS queue, post and bounce handling
    update. Its event follows (see dunning.engine._deliver)."""

    _inherit = "mail.notification"

    @api.model_create_multi
    def create(self, vals_list):
        notifications = super().create(vals_list)
        notifications._dunning_follow_delivery()
        return notifications

    def write(self, vals):
        res = super().write(vals)
        status = vals.get("notification_status")
        if status == "bounce":
            self._dunning_follow_delivery()
        elif status == "exception":
            # The mail queue marks an email's notifications failed while it sends it,
            # then writes the outcome: emails are followed once sent (mail.mail).
            self.filtered(lambda n: n.notification_type != "email")._dunning_follow_delivery()
        return res

    def _dunning_follow_delivery(self):
        failed = self.filtered(lambda n: n.notification_status in ("exception", "bounce"))
        if failed:
            self.env["dunning.engine"]._dunning_delivery_failed(failed)
