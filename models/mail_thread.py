from odoo import api, models
from odoo.tools.mail import unfold_references

from ..tools.mail_replies import is_automatic_reply


class MailThread(models.AbstractModel):
    """A customer's answer to a collections message, as Odoo's mail gateway routes it
    (message_process: fetchmail or the mail alias), tells the collections engine."""

    _inherit = "mail.thread"

    @api.model
    def _message_route_process(self, message, message_dict, routes):
        # EXTENDS 'mail': Odoo routes a reply by its references to the thread of the
        # message it answers and posts it there; then, when that message was one of
        # ours to a customer, the engine pauses the ladder (dunning.engine).
        references = unfold_references(message_dict.get("references") or "")
        references = [ref.strip() for ref in [*references, message_dict.get("in_reply_to") or ""]]
        references = [ref for ref in references if ref]
        thread_id = super()._message_route_process(message, message_dict, routes)
        if references and routes and not message_dict.get("is_bounce"):
            headers = {name.lower(): str(value) for name, value in message.items()}
            self.env["dunning.engine"]._dunning_customer_replied(
                references,
                message_dict,
                automatic=is_automatic_reply(headers, message_dict.get("subject") or ""),
            )
        return thread_id
