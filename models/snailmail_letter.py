from odoo import api, models


class SnailmailLetter(models.Model):
    _inherit = "snailmail.letter"

    @api.model
    def _dunning_deliver_post(self, requests):
        """The transport of the "post" channel (dunning.level.step._dunning_channels):
        each request's letter PDF queued to Odoo's Snailmail (IAP), which prints and
        posts it when its scheduled action runs. The event keeps the letter's status
        message, so a letter Snailmail cannot deliver fails its event (a 'snail'
        mail.notification in error, see mail.notification.write)."""
        engine = self.env["dunning.engine"]
        vals_list = []
        for request in requests:
            customer = request["customer"].commercial_partner_id
            recipient = request["contact"]._dunning_postal_recipient(customer)
            vals_list.append(
                {
                    "partner_id": recipient.id,
                    "model": "res.partner",
                    "res_id": customer.id,
                    "company_id": request["company"].id,
                    "attachment_id": request["attachments"][:1].id,
                    "user_id": self.env.user.id,
                }
            )
        # sudo: a letter posts its status on the customer's chatter, which a
        # collections user may follow without the right to edit it; recipient, PDF
        # and company come from the gateway's checked request.
        letters = self.sudo().create(vals_list)
        for request, letter in zip(requests, letters, strict=True):
            engine._record_outcome(request["event"], {"message_id": letter.message_id.id})
        letters._snailmail_print(immediate=False)
        return letters.with_env(self.env)
