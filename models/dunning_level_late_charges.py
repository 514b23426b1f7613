from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Tones on which no charge may be mentioned: a reminder before or on the due date is a
# courtesy, and nothing has accrued yet.
NO_CHARGE_TONES = ("friendly",)


class DunningLevel(models.Model):
    """Accrued late charges in a level's email (issue #11)."""

    _inherit = "dunning.level"

    show_late_charges = fields.Boolean(
        string="Show Accrued Late Charges",
        help="The email lists, per overdue invoice, the interest and fixed compensation "
        "accrued up to the day of the run under the policy's late-charge rule and not "
        "invoiced yet, with their total. Nothing is shown when the policy charges none. "
        "Not for friendly levels nor before the due date.",
    )

    @api.constrains("show_late_charges", "tone", "delay_days")
    def _check_show_late_charges(self):
        for level in self.filtered("show_late_charges"):
            if level.tone in NO_CHARGE_TONES or level.delay_days < 0:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s is a friendly reminder (before the due date or "
                        "with a friendly tone): it cannot show late charges. Show them on "
                        "a level after the due date with a firmer tone.",
                        level=level.name,
                    )
                )
