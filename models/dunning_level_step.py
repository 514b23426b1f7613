from dataclasses import dataclass

from odoo import api, fields, models

# The kinds of steps a level can take, in the order the run carries them out. A new
# kind is a value here (selection_add from another module), its Channel in
# ``_dunning_channels`` and a ``_dunning_step_<kind>`` method on dunning.run.line that
# the engine finds by name; Send & Print, the guardrails and the thank-you rule read
# the registry, not a list of their own.
STEP_KINDS = [
    ("letter", "Letter"),  # first: the email of the same level attaches it
    ("post", "Letter by post"),
    ("statement", "Statement of account"),  # before the email, which attaches it
    ("email", "Email"),
    ("call", "Call"),
    ("handoff", "Hand-off"),
    ("sms", "SMS"),
]


@dataclass(frozen=True)
class Channel:
    """What a kind of step is, for everything that is not its own method."""

    kind: str
    # The customer receives it (a message, a letter): Send & Print offers it, the
    # gateway applies the one-message-a-day rule, a reminder by it earns a thank-you.
    customer_facing: bool = False
    # What the contact needs for it to reach them: "email", "phone" or "address".
    needs: str | None = None
    # The contact can stop it ("email": the reminder opt-out, "sms": the phone
    # blacklist); the gateway refuses to send it then.
    opt_out: str | None = None
    # Sent in the contact's time zone within the policy's contact hours.
    contact_hours: bool = False
    # Who carries it: ``<transport>._dunning_deliver_<delivery>(requests)``, called by
    # the gateway (dunning.engine._deliver) once the rules above let the message go.
    transport: str = "dunning.engine"
    delivery: str | None = None  # default: the kind
    # The document it carries: "letter" (the level's formal letter, as a PDF). A kind
    # with no ``_dunning_step_<kind>`` of its own is then carried out by
    # dunning.run.line._dunning_step_document.
    document: str | None = None
    # What a person should know before choosing it (a cost, a delay), shown where the
    # channel is chosen: Send & Print and the level's steps.
    notice: str | None = None


class DunningLevelStep(models.Model):
    """One thing a level of the ladder does: an email, a letter, a call..."""

    _name = "dunning.level.step"
    _inherit = ["dunning.authority.mixin"]
    _description = "Dunning Level Step"
    _order = "level_id, sequence, id"

    level_id = fields.Many2one("dunning.level", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="level_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(STEP_KINDS, required=True)
    notice = fields.Char(compute="_compute_notice", help="What to know before choosing it.")

    _kind_once_per_level = models.Constraint(
        "UNIQUE(level_id, kind)", "A level takes each kind of step at most once."
    )

    @api.depends("kind")
    def _compute_notice(self):
        channels = self._dunning_channels()
        for step in self:
            channel = channels.get(step.kind)
            step.notice = (channel.notice if channel else None) or False

    @api.model
    def _dunning_channels(self):
        """The channel registry: {kind: Channel} of every kind of step, in the run's
        order. A module adding a kind adds its Channel with super()."""
        registry = {
            # A document: attached to the email of its level, or left to print.
            "letter": Channel("letter", customer_facing=True, delivery="print"),
            # The level's letter, printed and posted by Odoo's Snailmail (IAP).
            "post": Channel(
                "post",
                customer_facing=True,
                needs="address",
                transport="snailmail.letter",
                document="letter",
                notice=self.env._(
                    "Posted by Odoo's Snailmail service: each letter costs IAP credits "
                    "and leaves when Snailmail's queue runs."
                ),
            ),
            "statement": Channel("statement", customer_facing=True, delivery="print"),
            "email": Channel(
                "email", customer_facing=True, needs="email", opt_out="email", contact_hours=True
            ),
            "call": Channel("call", needs="phone"),
            "handoff": Channel("handoff"),
            "sms": Channel(
                "sms", customer_facing=True, needs="phone", opt_out="sms", contact_hours=True
            ),
        }
        return {kind: registry.get(kind, Channel(kind)) for kind in self._dunning_kinds()}

    @api.model
    def _dunning_customer_kinds(self):
        """The kinds of steps that reach the customer, in the run's order."""
        return [
            kind for kind, channel in self._dunning_channels().items() if channel.customer_facing
        ]

    @api.model
    def _dunning_kinds(self):
        """Every kind of step, in the order the run carries them out."""
        return [kind for kind, _label in self._fields["kind"]._description_selection(self.env)]

    @api.model
    def _dunning_kind_labels(self):
        return dict(self._fields["kind"]._description_selection(self.env))
