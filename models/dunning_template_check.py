import logging

from odoo import api, models

from ..tools.template_check import DEFAULT_PHRASES, find_threatening_phrases, parse_phrases

_logger = logging.getLogger(__name__)


PHRASES_PARAM = "account_dunning.threatening_phrases"


class DunningTemplateCheck(models.AbstractModel):
    """Shared by mail and SMS templates: warn about threatening phrases."""

    _name = "dunning.template.check"
    _description = "Collections Template Check"

    _dunning_checked_fields = ()

    @api.model_create_multi
    def create(self, vals_list):
        templates = super().create(vals_list)
        templates._dunning_log_threats()
        return templates

    def write(self, vals):
        res = super().write(vals)
        if set(self._dunning_checked_fields) & set(vals):
            self._dunning_log_threats()
        return res

    @api.model
    def _dunning_threatening_phrases(self):
        # sudo: a configuration parameter everyone editing a template may know.
        value = self.env["ir.config_parameter"].sudo().get_param(PHRASES_PARAM, DEFAULT_PHRASES)
        return parse_phrases(value)

    def _dunning_find_threats(self):
        """The threatening phrases in this template's texts (dunning.event templates)."""
        self.ensure_one()
        if self.model != "dunning.event":
            return []
        return find_threatening_phrases(
            [self[name] for name in self._dunning_checked_fields],
            self._dunning_threatening_phrases(),
        )

    def _dunning_threat_warning(self):
        phrases = self._dunning_find_threats()
        if not phrases:
            return None
        return {
            "title": self.env._("Threatening wording?"),
            "message": self.env._(
                "This collections template contains: %(phrases)s. Only name actions you "
                "really intend to take, and never threaten (Regulation F 1006.18, Brazil's "
                "consumer code art. 71). The list is the system parameter %(param)s.",
                phrases=", ".join(f'"{phrase}"' for phrase in phrases),
                param=PHRASES_PARAM,
            ),
        }

    def _dunning_log_threats(self):
        """Saving warns (the form showed it already); it does not block."""
        for template in self:
            phrases = template._dunning_find_threats()
            if phrases:
                _logger.warning(
                    "Collections template %s (%s) contains threatening phrases: %s",
                    template.display_name,
                    template._name,
                    ", ".join(phrases),
                )
