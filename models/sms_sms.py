from odoo import api, fields, models


class SmsSms(models.Model):
    """sms.sms has no scheduled date in Odoo 19: an SMS created outside the contact
    hours waits in its own state, and the SMS queue releases it when its time comes."""

    _inherit = "sms.sms"

    state = fields.Selection(
        selection_add=[("dunning_scheduled", "Scheduled")],
        ondelete={"dunning_scheduled": "set default"},
    )
    dunning_scheduled_date = fields.Datetime(
        string="Scheduled Send Date", index="btree_not_null", readonly=True
    )

    @api.model
    def _process_queue(self):
        self._dunning_release_scheduled()
        return super()._process_queue()

    @api.model
    def _dunning_release_scheduled(self):
        due = self.search(
            [
                ("state", "=", "dunning_scheduled"),
                ("dunning_scheduled_date", "<=", fields.Datetime.now()),
            ]
        )
        due.write({"state": "outgoing"})
        return due
