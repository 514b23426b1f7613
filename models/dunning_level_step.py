from odoo import api, fields, models

# The kinds of steps a level can take, in the order the run carries them out. A new
# kind is a selection_add here plus a ``_dunning_step_<kind>`` method on
# dunning.run.line (see _dunning_step_sms); the engine finds it by name.
STEP_KINDS = [
    ("letter", "Letter"),  # first: the email of the same level attaches it
    ("statement", "Statement of account"),  # before the email, which attaches it
    ("email", "Email"),
    ("call", "Call"),
    ("handoff", "Hand-off"),
    ("sms", "SMS"),
]


class DunningLevelStep(models.Model):
    """One thing a level of the ladder does: an email, a letter, a call..."""

    _name = "dunning.level.step"
    _description = "Dunning Level Step"
    _order = "level_id, sequence, id"

    level_id = fields.Many2one("dunning.level", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="level_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(STEP_KINDS, required=True)

    _kind_once_per_level = models.Constraint(
        "UNIQUE(level_id, kind)", "A level takes each kind of step at most once."
    )

    @api.model
    def _dunning_kinds(self):
        """Every kind of step, in the order the run carries them out."""
        return [kind for kind, _label in self._fields["kind"]._description_selection(self.env)]

    @api.model
    def _dunning_kind_labels(self):
        return dict(self._fields["kind"]._description_selection(self.env))
