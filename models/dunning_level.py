from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tools import LazyTranslate

from ..tools.ladder import is_strictly_increasing
from .dunning_event import CALL_POINTS

_lt = LazyTranslate(__name__)

# The default ladder's level names, translatable (tools/ladder.py holds plain data).
LEVEL_NAMES = {
    "Friendly heads-up": _lt("Friendly heads-up"),
    "Due today": _lt("Due today"),
    "May have slipped": _lt("May have slipped"),
    "Payment date request": _lt("Payment date request"),
    "Formal demand": _lt("Formal demand"),
    "Final notice": _lt("Final notice"),
    "Hand-off decision": _lt("Hand-off decision"),
}

TONES = [
    ("friendly", "Friendly"),
    ("neutral", "Neutral"),
    ("polite", "Polite"),
    ("firm", "Firm"),
    ("formal", "Formal"),
    ("final", "Final notice"),
    ("handoff", "Transfer notice"),
]


class _SampleRendered(Exception):
    """Rolls back the sample event used to test-render a template."""


# Tones on which no charge may be mentioned: a reminder before or on the due date is a
# courtesy, and nothing has accrued yet.
NO_CHARGE_TONES = ("friendly",)


class DunningLevel(models.Model):
    """One rung of a dunning policy: when it applies and what it does."""

    _name = "dunning.level"
    _inherit = ["dunning.authority.mixin"]
    _description = "Dunning Level"
    _order = "policy_id, sequence, delay_days, id"
    _check_company_auto = True

    policy_id = fields.Many2one("dunning.policy", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    delay_days = fields.Integer(
        string="Days After Due Date",
        required=True,
        help="Days after the invoice's due date when this level applies; "
        "negative for a reminder before the due date.",
    )
    tone = fields.Selection(TONES, required=True, default="neutral")
    step_ids = fields.One2many("dunning.level.step", "level_id", string="Steps", copy=True)
    # One flag per kind of step, kept for forms, data and integrations: each reads and
    # writes the level's steps (see _dunning_step_flags).
    send_email = fields.Boolean(
        compute="_compute_step_flags", inverse="_inverse_step_flags", store=True, readonly=False
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain="[('model', '=', 'dunning.event')]",
        ondelete="restrict",
    )
    create_call = fields.Boolean(
        string="Schedule Call",
        compute="_compute_step_flags",
        inverse="_inverse_step_flags",
        store=True,
        readonly=False,
    )
    call_activity_type_id = fields.Many2one(
        "mail.activity.type",
        default=lambda self: self.env.ref(
            "account_dunning.mail_activity_type_dunning_call", raise_if_not_found=False
        ),
    )
    call_assignee = fields.Selection(
        [("collector", "Customer's collector"), ("user", "Specific user")],
        string="Call Assigned To",
        default="collector",
        required=True,
    )
    call_user_id = fields.Many2one("res.users", domain="[('share', '=', False)]")
    call_script = fields.Html(
        translate=True,
        help="Talking points for the collector; the invoices and amounts are added by the run.",
    )
    send_letter = fields.Boolean(
        compute="_compute_step_flags", inverse="_inverse_step_flags", store=True, readonly=False
    )
    propose_handoff = fields.Boolean(
        string="Propose Hand-off",
        compute="_compute_step_flags",
        inverse="_inverse_step_flags",
        store=True,
        readonly=False,
        help="Ask the collector to decide whether to hand the invoices to a collection "
        "agency or to legal action (nothing is sent to the customer).",
    )
    letter_deadline_days = fields.Integer(
        string="Payment Deadline (days)",
        default=14,
        help="Deadline given in letters and formal emails, counted from the run date.",
    )

    # Accrued late charges in a level's email (issue #11).
    show_late_charges = fields.Boolean(
        string="Show Accrued Late Charges",
        help="The email lists, per overdue invoice, the interest and fixed compensation "
        "accrued up to the day of the run under the policy's late-charge rule and not "
        "invoiced yet, with their total. Nothing is shown when the policy charges none. "
        "Not for friendly levels nor before the due date.",
    )

    send_sms = fields.Boolean(
        string="Send SMS",
        compute="_compute_step_flags",
        inverse="_inverse_step_flags",
        store=True,
        readonly=False,
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain="[('model', '=', 'dunning.event')]",
        ondelete="restrict",
    )

    attach_statement = fields.Boolean(
        string="Attach Statement of Account",
        compute="_compute_step_flags",
        inverse="_inverse_step_flags",
        store=True,
        readonly=False,
        help="Attach the customer's statement of account (every open item, aging, "
        "payments received) to the reminder email; without an email, it is left in the "
        "customer's chatter to print and send.",
    )

    mail_template_variant_id = fields.Many2one(
        "mail.template",
        string="Email Template B",
        domain="[('model', '=', 'dunning.event')]",
        ondelete="restrict",
        help="A second template to compare with the first (A/B test): each customer gets "
        "one of the two at random, always the same one for this level. See Collections > "
        "Reporting > Template Effectiveness. Archive it to end the test.",
    )

    @api.depends("step_ids.kind")
    def _compute_step_flags(self):
        flags = self._dunning_step_flags()
        for level in self:
            kinds = set(level.step_ids.mapped("kind"))
            for flag, kind in flags.items():
                level[flag] = kind in kinds

    def _inverse_step_flags(self):
        flags = self._dunning_step_flags()
        for level in self:
            commands = []
            for flag, kind in flags.items():
                steps = level.step_ids.filtered(lambda step, k=kind: step.kind == k)
                if level[flag] and not steps:
                    commands.append(Command.create({"kind": kind}))
                elif not level[flag] and steps:
                    commands += [Command.unlink(step.id) for step in steps]
            if commands:
                level.step_ids = commands

    @api.constrains("sequence", "delay_days", "policy_id")
    def _check_delay_increases(self):
        for policy in self.policy_id:
            levels = policy.level_ids.sorted(lambda lvl: (lvl.sequence, lvl.id))
            if not is_strictly_increasing(levels.mapped("delay_days")):
                ladder = ", ".join(f"{lvl.name} ({lvl.delay_days:+d})" for lvl in levels)
                raise ValidationError(
                    self.env._(
                        "In policy %(policy)s the days after the due date must strictly "
                        "increase from one level to the next: %(ladder)s.",
                        policy=policy.display_name,
                        ladder=ladder,
                    )
                )

    @api.constrains("send_email", "mail_template_id")
    def _check_mail_template(self):
        for level in self.filtered("send_email"):
            if not level.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s sends an email: choose its email template.",
                        level=level.name,
                    )
                )
            if level.mail_template_id.model == "dunning.event":
                if not self.env.context.get("dunning_default_ladder"):
                    level._check_template_renders()
            else:
                raise ValidationError(
                    self.env._(
                        "The template %(template)s of level %(level)s is made for "
                        "%(model)s records; dunning emails need a template for "
                        "Dunning Event.",
                        template=level.mail_template_id.name,
                        level=level.name,
                        model=level.mail_template_id.model,
                    )
                )

    @api.constrains("create_call", "call_assignee", "call_user_id")
    def _check_call_user(self):
        for level in self:
            if level.create_call and level.call_assignee == "user" and not level.call_user_id:
                raise ValidationError(
                    self.env._("Level %(level)s: choose who gets the call.", level=level.name)
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

    @api.constrains("send_sms", "sms_template_id")
    def _check_sms_template(self):
        for level in self.filtered("send_sms"):
            if not level.sms_template_id:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s sends an SMS: choose its SMS template.", level=level.name
                    )
                )
            if level.sms_template_id.model != "dunning.event":
                raise ValidationError(
                    self.env._(
                        "The SMS template of level %(level)s must be made for Dunning Event.",
                        level=level.name,
                    )
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

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # A level created without saying what it does sends an email, as before
            # steps existed.
            if "step_ids" not in vals and "send_email" not in vals:
                vals["send_email"] = True
        levels = super().create(vals_list)
        levels.policy_id._dunning_recompute_next_dates()
        return levels

    def write(self, vals):
        res = super().write(vals)
        if {"delay_days", "sequence", "policy_id"} & set(vals):
            self.policy_id._dunning_recompute_next_dates()
        return res

    def unlink(self):
        policies = self.policy_id
        res = super().unlink()
        policies.exists()._dunning_recompute_next_dates()
        return res

    def _dunning_step_flags(self):
        """{level flag field: kind of step}; an extension adds its own with super()."""
        return {
            "send_email": "email",
            "create_call": "call",
            "send_letter": "letter",
            "propose_handoff": "handoff",
            "send_sms": "sms",
            "attach_statement": "statement",
        }

    def _dunning_step_missing(self, kind):
        """Why this level cannot take a step of ``kind`` as it is configured (its template
        is missing), or False."""
        self.ensure_one()
        if kind == "email" and not self.mail_template_id:
            return self.env._(
                "Level %(level)s has no email template: choose one on the level.",
                level=self.name,
            )
        if kind == "sms" and not self.sms_template_id:
            return self.env._(
                "Level %(level)s has no SMS template: choose one on the level.", level=self.name
            )
        return False

    def _dunning_talking_points(self):
        """What the collector says in a call at this level (empty: no level): its call
        script, else the default points of its tone, in the reader's language. The call
        activity's note and the Log Call wizard show it."""
        return self[:1].call_script or CALL_POINTS.get(
            self[:1].tone, CALL_POINTS["neutral"]
        )._translate(self.env.lang)

    def _dunning_step_kinds(self):
        """The kinds of steps this level takes, in the order the run carries them out."""
        self.ensure_one()
        kinds = set(self.step_ids.mapped("kind"))
        return [kind for kind in self.env["dunning.level.step"]._dunning_kinds() if kind in kinds]

    def _check_template_renders(self, template=None):
        """Render the template (default: the level's) on a throw-away event, so that a
        broken template is refused when the level is saved rather than failing in the
        night's run.

        Not for the default ladder made with a company: its templates are the module's
        own, and rolling back a savepoint inside company creation would reset caches
        that Odoo's own flows (and tests) rely on.
        """
        template = template or self.mail_template_id
        try:
            with self.env.cr.savepoint():
                # sudo: the history is written by the engine only; this sample event
                # is rolled back with the savepoint below.
                sample = (
                    self.env["dunning.event"]
                    .sudo()
                    .create(
                        {
                            "company_id": self.company_id.id,
                            "partner_id": self.company_id.partner_id.id,
                            "level_id": self.id,
                            "channel": "email",
                        }
                    )
                )
                for field_name in ("subject", "body_html"):
                    template._render_field(field_name, sample.ids)
                raise _SampleRendered
        except _SampleRendered:
            return
        except Exception as error:
            raise ValidationError(
                self.env._(
                    "The template %(template)s of level %(level)s cannot be rendered: %(error)s",
                    template=template.name,
                    level=self.name,
                    error=error,
                )
            ) from error

    def _dunning_translate_default_names(self):
        """Give the default ladder's levels their names in the installed languages."""
        langs = [code for code, _name in self.env["res.lang"].get_installed() if code != "en_US"]
        for level in self:
            name = LEVEL_NAMES.get(level.with_context(lang="en_US").name)
            if name and langs:
                # sudo: the policy was just created for the company, like its levels.
                level.sudo().update_field_translations(
                    "name", {lang: name._translate(lang) for lang in langs}
                )
