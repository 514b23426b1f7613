from odoo import models


class MailMail(models.Model):
    """A collections email that Odoo's queue could not deliver fails its event (see
    mail.notification), once the queue has written the outcome."""

    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, success_emails, failure_reason=False,
                                  failure_type=None):  # fmt: skip
        messages = self.mail_message_id
        res = super()._postprocess_sent_message(
            success_pids, success_emails, failure_reason=failure_reason, failure_type=failure_type
        )
        if failure_type and messages:
            # sudo: the queue's own outcome on the notifications of these mails.
            self.env["mail.notification"].sudo().search(
                [
                    ("mail_message_id", "in", messages.ids),
                    ("notification_type", "=", "email"),
                    ("notification_status", "=", "exception"),
                ]
            )._dunning_follow_delivery()
        return res
