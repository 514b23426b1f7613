from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.sms import sms_length


class SmsTemplate(models.Model):
    _name = "sms.template"
    _inherit = ["sms.template", "dunning.template.check"]

    _dunning_checked_fields = ("body",)

    dunning_rendered_length = fields.Char(
        string="As Sent",
        compute="_compute_dunning_rendered_length",
        help="The length of this reminder SMS rendered on the latest collections message "
        "(amounts, links and the stop link filled in), and how many SMS it takes: a "
        "text beyond one SMS (160 GSM-7 characters, or 70 when a character is outside "
        "the GSM alphabet) is sent and billed as several.",
    )

    @api.depends("body", "model")
    def _compute_dunning_rendered_length(self):
        sample = self.env["dunning.event"]
        if "dunning.event" in self.mapped("model"):
            sample = sample.search([("move_ids", "!=", False)], order="id desc", limit=1)
        for template in self:
            if template.model != "dunning.event" or not sample or not template.body:
                template.dunning_rendered_length = False
                continue
            try:
                body = template._render_field("body", sample.ids, compute_lang=True)[sample.id]
            except UserError as error:  # a broken body: said here, refused at save
                template.dunning_rendered_length = str(error)
                continue
            template.dunning_rendered_length = self._dunning_length_text(body, sample)

    @api.model
    def _dunning_length_text(self, body, sample=None):
        """'1 SMS: 143 of 160 characters (GSM-7)', and on which event it was rendered."""
        length = sms_length(body)
        values = {
            "count": length.segments,
            "units": length.units,
            "limit": length.limit,
            "encoding": length.encoding,
        }
        if sample:
            return self.env._(
                "%(count)s SMS: %(units)s of %(limit)s characters (%(encoding)s), on %(event)s",
                event=sample.display_name,
                **values,
            )
        return self.env._(
            "%(count)s SMS: %(units)s of %(limit)s characters (%(encoding)s)", **values
        )

    @api.onchange("body", "model_id")
    def _onchange_dunning_threats(self):
        warning = self._dunning_threat_warning()
        if warning:
            return {"warning": warning}
        return None
