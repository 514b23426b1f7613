from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import float_compare

from ..models.dunning_case import HANDOFF_TYPES
from ..models.dunning_event import CONVERSATION_OUTCOMES
from ..tools.stages import HANDOFF_FROM_STAGES


class DunningHandoffWizard(models.TransientModel):
    """Hand a customer's overdue invoices to a collection agency or a lawyer."""

    _name = "dunning.handoff.wizard"
    _description = "Hand Off to Agency or Legal"

    move_ids = fields.Many2many("account.move", string="Invoices", required=True)
    partner_id = fields.Many2one("res.partner", string="Customer", compute="_compute_totals")
    company_id = fields.Many2one("res.company", compute="_compute_totals")
    currency_id = fields.Many2one("res.currency", compute="_compute_totals")
    amount_total = fields.Monetary(string="Amount Handed Off", compute="_compute_totals")
    policy_id = fields.Many2one("dunning.policy", compute="_compute_totals")
    handoff_type = fields.Selection(
        HANDOFF_TYPES, string="Hand Off To", required=True, default="agency"
    )
    agency_id = fields.Many2one(
        "res.partner",
        string="Agency / Lawyer",
        domain="[('dunning_is_agency', '=', True)] if handoff_type == 'agency' else []",
    )
    # The agency's terms, given here when it was just created: written to the agency
    # on confirm (a collections manager's decision, as on the agency's form).
    agency_commission = fields.Float(
        string="Commission (%)",
        digits=(5, 2),
        compute="_compute_agency_terms",
        store=True,
        readonly=False,
        help="The agency's commission on what it recovers; saved on the agency.",
    )
    agency_email = fields.Char(
        string="Case Files Email",
        compute="_compute_agency_terms",
        store=True,
        readonly=False,
        help="Where the case file goes; saved on the agency. Empty: the agency's email.",
    )
    no_commission = fields.Boolean(help="This agency takes no commission on what it recovers.")
    can_set_agency_terms = fields.Boolean(compute="_compute_can_set_agency_terms")
    reference = fields.Char(string="Case Reference")
    note = fields.Text(
        string="Note for the Agency / Lawyer",
        help="Part of the case file: what they should know. Personal remarks do not belong here.",
    )
    credit_hold = fields.Boolean(
        string="Put Customer on Credit Hold",
        compute="_compute_policy_options",
        store=True,
        readonly=False,
    )
    notify_customer = fields.Boolean(
        string="Send Transfer Notice to Customer",
        compute="_compute_policy_options",
        store=True,
        readonly=False,
    )
    source_case_id = fields.Many2one(
        "dunning.case",
        string="Returned Case",
        readonly=True,
        help="The agency case these invoices come back from, on the way to legal action.",
    )
    # Said before confirming: what stops this user, and a customer never reached.
    refusal = fields.Text(compute="_compute_warnings")
    no_contact_warning = fields.Text(compute="_compute_warnings")

    @api.depends("move_ids")
    def _compute_totals(self):
        for wizard in self:
            moves = wizard.move_ids
            partner = moves.commercial_partner_id[:1]
            company = moves.company_id[:1] or self.env.company
            wizard.partner_id = partner
            wizard.company_id = company
            wizard.currency_id = company.currency_id
            wizard.amount_total = moves._origin._dunning_owed()
            wizard.policy_id = (
                partner.with_company(company)._dunning_get_policy() if partner else False
            )

    @api.depends("move_ids", "source_case_id")
    @api.depends_context("uid")
    def _compute_warnings(self):
        for wizard in self:
            moves = wizard.move_ids._origin
            customer = wizard.partner_id
            wizard.refusal = wizard._ladder_refusal(moves) if moves else False
            wizard.no_contact_warning = False
            if customer and not wizard._dunning_customer_reached(customer):
                wizard.no_contact_warning = self.env._(
                    "Nothing has reached %(customer)s yet: no reminder, letter or SMS was "
                    "delivered (none was sent, or they failed) and no call was answered. "
                    "The case file will say so; check the customer's contact details, or "
                    "remind or call first.",
                    customer=customer.display_name,
                )

    @api.depends("agency_id")
    def _compute_agency_terms(self):
        for wizard in self:
            wizard.agency_commission = wizard.agency_id.dunning_agency_commission
            wizard.agency_email = wizard.agency_id.dunning_agency_email

    @api.depends_context("uid")
    def _compute_can_set_agency_terms(self):
        self.can_set_agency_terms = self.env.user.has_group("account_dunning.group_dunning_manager")

    @api.depends("policy_id")
    def _compute_policy_options(self):
        for wizard in self:
            wizard.credit_hold = wizard.policy_id.handoff_credit_hold
            wizard.notify_customer = wizard.policy_id.handoff_notify_customer

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if "move_ids" in fields_list and not values.get("move_ids"):
            if context.get("active_model") == "account.move" and context.get("active_ids"):
                values["move_ids"] = [Command.set(context["active_ids"])]
            elif context.get("active_model") == "res.partner" and context.get("active_id"):
                partner = self.env["res.partner"].browse(context["active_id"])
                values["move_ids"] = [Command.set(self._default_moves_of(partner).ids)]
        return values

    @api.model
    def _default_moves_of(self, partner):
        """A customer's invoices that can go: overdue, open, still with us, and for a
        user (not a manager) past the ladder's last internal step."""
        moves = self.env["account.move"].search(
            [
                *partner._dunning_open_invoices_domain(),
                ("dunning_stage", "in", HANDOFF_FROM_STAGES),
                ("dunning_excluded", "=", False),
                ("invoice_date_due", "<", fields.Date.context_today(self)),
            ],
            order="invoice_date_due, id",
        )
        if self.env.user.has_group("account_dunning.group_dunning_manager"):
            return moves
        policy = partner.commercial_partner_id._dunning_get_policy()
        last = policy._get_last_internal_level() if policy else False
        reached = moves.filtered(
            lambda m: (
                last and m.dunning_level_id and m.dunning_level_id.delay_days >= last.delay_days
            )
        )
        # None has reached it: all of them, so that the wizard names the rule that
        # stops this user (rather than an empty list).
        return reached or moves

    def action_confirm(self):
        self.ensure_one()
        self._apply_agency_terms()
        self._check_handoff()
        case = self.env["dunning.case"]._dunning_hand_off(
            self.move_ids,
            self.handoff_type,
            self.agency_id,
            reference=self.reference,
            note=self.note,
            credit_hold=self.credit_hold,
            notify_customer=self.notify_customer,
            source_case=self.source_case_id,
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "dunning.case",
            "res_id": case.id,
            "views": [(False, "form")],
        }

    def _apply_agency_terms(self):
        """Save the commission and case email given here on the agency (the ORM lets
        only collections managers change them), and ask for the rate of an agency
        that has none, unless "No commission" says it takes none."""
        self.ensure_one()
        agency = self.agency_id
        if self.handoff_type != "agency" or not agency.dunning_is_agency:
            return  # _check_agency says what is wrong
        terms = {}
        if float_compare(
            self.agency_commission, agency.dunning_agency_commission, precision_digits=2
        ):
            terms["dunning_agency_commission"] = self.agency_commission
        if (self.agency_email or False) != (agency.dunning_agency_email or False):
            terms["dunning_agency_email"] = self.agency_email
        if terms:
            agency.write(terms)
        if not agency.dunning_agency_commission and not self.no_commission:
            raise UserError(
                self.env._(
                    "%(agency)s has no commission rate: give its commission (%%), or tick "
                    '"No Commission" if it takes none.',
                    agency=agency.display_name,
                )
                if self.can_set_agency_terms
                else self.env._(
                    "%(agency)s has no commission rate: ask a collections manager to set "
                    'it, or tick "No Commission" if it takes none.',
                    agency=agency.display_name,
                )
            )

    def _check_handoff(self):
        """Clear errors for everything that cannot be handed off."""
        moves = self.move_ids
        _ = self.env._
        if not moves:
            context = self.env.context
            if context.get("active_model") == "res.partner" and context.get("active_id"):
                customer = self.env["res.partner"].browse(context["active_id"])
                raise UserError(
                    _(
                        "%(customer)s has no invoice to hand off: only overdue invoices "
                        "still with us can go (not paid, not excluded, not disputed, not "
                        "already handed off).",
                        customer=customer.commercial_partner_id.display_name,
                    )
                )
            raise UserError(_("Select the overdue invoices to hand off."))
        not_invoices = moves.filtered(lambda m: m.move_type != "out_invoice" or m.state != "posted")
        if not_invoices:
            raise UserError(
                _(
                    "Only posted customer invoices can be handed off: %(moves)s.",
                    moves=", ".join(not_invoices.mapped("display_name")),
                )
            )
        if len(moves.company_id) > 1:
            raise UserError(_("Hand off the invoices of one company at a time."))
        if len(moves.commercial_partner_id) > 1:
            raise UserError(
                _(
                    "Hand off the invoices of one customer at a time, not of %(customers)s.",
                    customers=", ".join(moves.commercial_partner_id.mapped("display_name")),
                )
            )
        settled = moves.filtered(lambda m: m.payment_state not in ("not_paid", "partial"))
        if settled:
            raise UserError(
                _(
                    "Nothing is left to collect on %(moves)s.",
                    moves=", ".join(settled.mapped("name")),
                )
            )
        today = fields.Date.context_today(self)
        not_due = moves.filtered(lambda m: not m.invoice_date_due or m.invoice_date_due >= today)
        if not_due:
            raise UserError(
                _(
                    "%(moves)s is not overdue yet: only overdue invoices can be handed off.",
                    moves=", ".join(not_due.mapped("name")),
                )
            )
        self._check_source_case(moves)
        self._check_stages(moves)
        self._check_ladder_reached(moves)
        self._check_agency()

    def _check_stages(self, moves):
        _ = self.env._
        excluded = moves.filtered(
            lambda m: (
                m.dunning_excluded
                or m.commercial_partner_id.with_company(m.company_id).dunning_excluded
            )
        )
        if excluded:
            raise UserError(
                _(
                    "%(moves)s is excluded from collections: include it again first.",
                    moves=", ".join(excluded.mapped("name")),
                )
            )
        # One open hold per invoice: a promise or a plan ends with the hand-off; a dispute
        # (or another case than the one being returned) refuses it, named.
        self.env["dunning.case"].browse(self.source_case_id.ids)._dunning_hold_conflicts(moves)
        source = self.source_case_id
        returning = (
            moves.filtered(
                lambda m: m in source.move_ids and m.dunning_stage == source.handoff_type
            )
            if source
            else moves.browse()
        )
        elsewhere = moves.filtered(lambda m: m.dunning_stage not in HANDOFF_FROM_STAGES) - returning
        if elsewhere:
            stages = dict(
                self.env["account.move"]._fields["dunning_stage"]._description_selection(self.env)
            )
            raise UserError(
                _(
                    "%(moves)s cannot be handed off from the stage %(stage)s.",
                    moves=", ".join(elsewhere.mapped("name")),
                    stage=stages[elsewhere[0].dunning_stage],
                )
            )

    def _check_source_case(self, moves):
        """A returned agency case lets its own invoices go to a lawyer whatever their
        level: only an open agency case of these very invoices (one cannot borrow
        another case to skip the ladder, nor close it by the way)."""
        source = self.source_case_id
        if not source:
            return
        if (
            source.state != "open"
            or source.handoff_type != "agency"
            or self.handoff_type != "legal"
            or source.company_id != moves.company_id
            or source.partner_id != moves.commercial_partner_id
            or moves - source.move_ids
        ):
            raise UserError(
                self.env._(
                    "Case %(case)s is not an open agency case of these invoices: hand them "
                    "off on their own.",
                    case=source.display_name,
                )
            )

    def _check_ladder_reached(self, moves):
        refusal = self._ladder_refusal(moves)
        if refusal:
            raise UserError(refusal)

    def _ladder_refusal(self, moves):
        """Why this user may not hand ``moves`` off now, or False: users hand off once
        the ladder's last internal step was taken; managers at any time."""
        if self.source_case_id or self.env.user.has_group("account_dunning.group_dunning_manager"):
            return False
        policy = self.policy_id
        last = policy._get_last_internal_level() if policy else self.env["dunning.level"]
        early = moves.filtered(
            lambda m: (
                not last
                or not m.dunning_level_id
                or m.dunning_level_id.delay_days < last.delay_days
            )
        )
        if not early:
            return False
        return self.env._(
            "Only a collections manager may hand off %(moves)s now: an invoice goes to an "
            "agency or a lawyer once it has reached the last step of the ladder "
            "(%(level)s).",
            moves=", ".join(early.mapped("name")),
            level=last.name or self.env._("none"),
        )

    def _dunning_customer_reached(self, customer):
        """Whether the history shows the customer reached: a collections message
        delivered to it (through the gateway), or a call in which someone answered."""
        return bool(
            self.env["dunning.event"].search_count(
                [
                    ("partner_id", "=", customer.id),
                    ("company_id", "=", self.company_id.id),
                    ("state", "=", "done"),
                    "|",
                    ("is_customer_message", "=", True),
                    ("call_outcome", "in", CONVERSATION_OUTCOMES),
                ],
                limit=1,
            )
        )

    def _check_agency(self):
        _ = self.env._
        if not self.agency_id:
            raise UserError(
                _("Choose the collection agency.")
                if self.handoff_type == "agency"
                else _("Choose the lawyer or law firm.")
            )
        if not self.agency_id.active:
            raise UserError(
                _(
                    "%(partner)s is archived: choose an active one.",
                    partner=self.agency_id.display_name,
                )
            )
        if self.handoff_type == "agency":
            if not self.agency_id.dunning_is_agency:
                raise UserError(
                    _(
                        "%(partner)s is not flagged as a collection agency.",
                        partner=self.agency_id.display_name,
                    )
                )
            if not self.agency_id._dunning_get_agency_email():
                raise UserError(
                    _(
                        "%(agency)s has no email address to receive the case file.",
                        agency=self.agency_id.display_name,
                    )
                )
        if self.agency_id.commercial_partner_id == self.partner_id:
            raise UserError(_("A customer cannot collect its own debts."))
