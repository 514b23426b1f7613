from odoo import api, models


class SmsTemplate(models.Model):
    _name = "sms.template"
    _inherit = ["sms.template", "dunning.template.check"]

    _dunning_checked_fields = ("body",)

    @api.onchange("body", "model_id")
    def _onchange_dunning_threats(self):
        warning = self._dunning_threat_warning()
        if warning:
            return {"warning": warning}
        return None
