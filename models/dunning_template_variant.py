"""A/B variants of a level's email template (issue #14).

A level may hold a second template: each customer gets variant A (the level's
template) or B at random but stably (tools/ab_testing.py), the email event records
which, and the report (dunning_template_report.py) compares how soon each is paid.
"""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.ab_testing import assign_variant

TEMPLATE_VARIANTS = [("a", "A"), ("b", "B")]


class DunningLevel(models.Model):
    _inherit = "dunning.level"

    mail_template_variant_id = fields.Many2one(
        "mail.template",
        string="Email Template B",
        domain="[('model', '=', 'dunning.event')]",
        ondelete="restrict",
        help="A second template to compare with the first (A/B test): each customer gets "
        "one of the two at random, always the same one for this level. See Collections > "
        "Reporting > Template Effectiveness. Archive it to end the test.",
    )

    @api.constrains("mail_template_variant_id", "mail_template_id")
    def _check_mail_template_variant(self):
        for level in self.filtered("mail_template_variant_id"):
            variant = level.mail_template_variant_id
            if variant.model != "dunning.event":
                raise ValidationError(
                    self.env._(
                        "The template B of level %(level)s must be made for Dunning Event.",
                        level=level.name,
                    )
                )
            if variant == level.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s: template B must differ from the level's template, "
                        "or there is nothing to compare.",
                        level=level.name,
                    )
                )
            if not self.env.context.get("dunning_default_ladder"):
                level._check_template_renders(variant)


class DunningEvent(models.Model):
    _inherit = "dunning.event"

    template_variant = fields.Selection(
        TEMPLATE_VARIANTS,
        index="btree_not_null",
        readonly=True,
        help="Which of the level's two email templates the customer got (A/B test).",
    )

    def _dunning_mail_template(self):
        """The template of this email event: the level's, or its variant B."""
        self.ensure_one()
        level = self.level_id
        if self.template_variant == "b" and level.mail_template_variant_id:
            return level.mail_template_variant_id
        return level.mail_template_id


class DunningRunLine(models.Model):
    _inherit = "dunning.run.line"

    def _event_values(self, channel, state="done", reason=False):
        values = super()._event_values(channel, state, reason)
        # Archiving template B ends the test: everyone gets the level's template.
        if channel == "email" and self.level_id.mail_template_variant_id.active:
            values["template_variant"] = assign_variant(
                self.partner_id.commercial_partner_id.id, self.level_id.id
            )
        return values
