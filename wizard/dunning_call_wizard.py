from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tools import SQL, format_date

from ..models.dunning_event import CALL_OUTCOMES, CONVERSATION_OUTCOMES
from ..tools.call_caps import WINDOW_DAYS, next_call_date
from ..tools.stages import DISPUTABLE_STAGES, PLANNABLE_STAGES, PROMISABLE_STAGES

# The invoices each outcome may apply to.
OUTCOME_STAGES = {
    "promised": PROMISABLE_STAGES,
    "disputed": DISPUTABLE_STAGES,
    "plan_requested": PLANNABLE_STAGES,
}

# How many of the customer's last collections events the wizard shows.
LAST_CONTACTS = 5


class DunningCallWizard(models.TransientModel):
    """The outcome of a collections call: logged, and the next step started."""

    _name = "dunning.call.wizard"
    _description = "Log a Collections Call"

    activity_id = fields.Many2one("mail.activity", string="Call Activity", ondelete="cascade")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        domain="[('parent_id', '=', False)]",
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    outcome = fields.Selection(CALL_OUTCOMES, required=True, default="reached")
    note = fields.Text()
    move_ids = fields.Many2many(
        "account.move", "dunning_call_wizard_move_rel", "wizard_id", "move_id",
        string="Invoices", compute="_compute_move_ids", store=True, readonly=False,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial')), "
        "('commercial_partner_id', '=', partner_id)]",
    )  # fmt: skip
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    promise_date = fields.Date(string="Promised Payment Date")
    promise_amount = fields.Monetary(string="Promised Amount", currency_field="currency_id")
    # What the collector needs on the phone (read only).
    phone = fields.Char(
        compute="_compute_call_sheet",
        help="Whom to dial: the contact's number, else the customer's.",
    )
    contact_id = fields.Many2one("res.partner", string="Ask for", compute="_compute_call_sheet")
    overdue_text = fields.Char(string="Overdue", compute="_compute_call_sheet")
    net_text = fields.Char(
        string="Net Owed",
        compute="_compute_call_sheet",
        help="The customer's whole balance per currency, credits applied.",
    )
    level_id = fields.Many2one("dunning.level", compute="_compute_call_sheet")
    call_script = fields.Html(compute="_compute_call_sheet")
    last_event_ids = fields.Many2many(
        "dunning.event", string="Last Contacts", compute="_compute_call_sheet"
    )

    @api.depends("partner_id", "activity_id", "outcome")
    def _compute_move_ids(self):
        """The invoices the call is about (those of the call activity, else the open
        ones in one currency); an outcome keeps the collector's choice, less what it
        cannot apply to (a disputed invoice cannot be promised), never every invoice."""
        for wizard in self:
            if not wizard.partner_id:
                wizard.move_ids = False
                continue
            stages = OUTCOME_STAGES.get(wizard.outcome, (*PROMISABLE_STAGES, "plan"))
            customer = wizard.partner_id.commercial_partner_id
            chosen = wizard.move_ids.filtered(
                lambda m, c=customer, s=stages: (
                    m.commercial_partner_id == c and m.dunning_stage in s
                )
            )
            if chosen:
                wizard.move_ids = chosen
                continue
            moves = customer.with_company(wizard.company_id)._dunning_open_moves(stages)
            called = moves & wizard._dunning_called_moves()
            moves = called or moves
            currency = moves[:1].currency_id
            wizard.move_ids = moves.filtered(lambda m, c=currency: m.currency_id == c)

    @api.depends("partner_id", "company_id")
    def _compute_call_sheet(self):
        Partner = self.env["res.partner"]
        for wizard in self:
            customer = wizard.partner_id.commercial_partner_id.with_company(wizard.company_id)
            if not customer:
                wizard.phone = wizard.overdue_text = wizard.net_text = False
                wizard.call_script = False
                wizard.contact_id = wizard.level_id = wizard.last_event_ids = False
                continue
            contact = customer._dunning_get_contact()
            # The one ledger read: what the customer owes, credits applied.
            ledger = customer._dunning_ledger()[customer.id]
            level = customer.dunning_max_level_id
            wizard.contact_id = contact
            wizard.phone = contact._dunning_phone_holder(customer).phone
            wizard.overdue_text = Partner._dunning_balances_text(ledger, "overdue")
            wizard.net_text = Partner._dunning_balances_text(ledger)
            wizard.level_id = level
            wizard.call_script = level._dunning_talking_points()
            wizard.last_event_ids = self.env["dunning.event"].search(
                [
                    ("partner_id", "=", customer.id),
                    ("company_id", "=", wizard.company_id.id),
                    ("state", "!=", "skipped"),
                    # A call the run scheduled is no contact until someone logs it.
                    "|",
                    ("channel", "!=", "call"),
                    ("call_outcome", "!=", False),
                ],
                order="date desc, id desc",
                limit=LAST_CONTACTS,
            )

    @api.depends("move_ids")
    def _compute_currency_id(self):
        for wizard in self:
            wizard.currency_id = wizard.move_ids[:1].currency_id or wizard.company_id.currency_id

    @api.depends("activity_id")
    def _compute_partner_id(self):
        # The public contract: a wizard made from a call activity knows its customer.
        for wizard in self:
            activity = wizard.activity_id
            if activity.res_model == "res.partner" and activity.res_id:
                partner = self.env["res.partner"].browse(activity.res_id)
                wizard.partner_id = partner.commercial_partner_id
            else:
                wizard.partner_id = wizard.partner_id

    @api.onchange("outcome", "move_ids")
    def _onchange_promise_amount(self):
        if self.outcome == "promised" and not self.promise_amount:
            customer = self.move_ids.commercial_partner_id[:1].with_company(self.company_id)
            self.promise_amount = (
                customer._dunning_owed_on(self.move_ids._origin) if customer else 0.0
            )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "mail.activity" and context.get("active_id"):
            activity = self.env["mail.activity"].browse(context["active_id"])
            values.setdefault("activity_id", activity.id)
        elif context.get("active_model") == "res.partner" and context.get("active_id"):
            partner = self.env["res.partner"].browse(context["active_id"])
            values.setdefault("partner_id", partner.commercial_partner_id.id)
        return values

    @api.model
    def _dunning_open(self, partner, activity=None):
        """The wizard's action for a customer and (optionally) its call activity."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Call"),
            "res_model": self._name,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_partner_id": partner.id,
                "default_activity_id": activity.id if activity else False,
            },
        }

    # ---------------------------------------------------------------- confirm

    def action_confirm(self):
        self.ensure_one()
        self._check_context_values()
        self._check_values()
        today = fields.Date.context_today(self)
        customer = self.partner_id.commercial_partner_id.with_company(self.company_id)
        outcomes = dict(self._fields["outcome"]._description_selection(self.env))
        reason = outcomes[self.outcome] + (f": {self.note}" if self.note else "")
        event = self.env["dunning.engine"]._log(
            {
                "date": today,
                "company_id": self.company_id.id,
                "partner_id": customer.id,
                "contact_id": customer._dunning_get_contact().id,
                "move_ids": [Command.set(self.move_ids.ids)],
                "channel": "call",
                "state": "done",
                "call_outcome": self.outcome,
                "reason": reason,
                "amount_residual": self.move_ids._dunning_owed(),
                "collector_id": self.env.user.id,
            }
        )
        if self.activity_id.exists():
            self.activity_id.action_feedback(feedback=reason)
        return getattr(self, f"_after_{self.outcome}")(event, customer, today)

    def _check_context_values(self):
        """The company, activity and invoices the form fills in (read-only or hidden):
        JSON-RPC can send any, so they are checked here."""
        if self.company_id not in self.env.companies:
            raise AccessError(self.env._("Log calls in your own companies only."))
        customer = self.partner_id.commercial_partner_id
        foreign = self.move_ids.filtered(
            lambda m: m.commercial_partner_id != customer or m.company_id != self.company_id
        )
        if foreign:
            raise UserError(
                self.env._(
                    "These invoices are not %(customer)s's in this company: %(invoices)s",
                    customer=customer.display_name,
                    invoices=", ".join(foreign.mapped("display_name")),
                )
            )
        activity = self.activity_id
        if not activity:
            return
        about = activity.res_model in ("res.partner", "account.move") and self.env[
            activity.res_model
        ].browse(activity.res_id)
        if not about or about.commercial_partner_id != customer:
            raise UserError(self.env._("This activity is not a call to this customer."))
        # An activity has no company: it is that of the events that scheduled it, else
        # of its assignee. sudo: only their companies are read, to refuse the call of
        # another company (a customer may be shared between companies).
        companies = (
            self.env["dunning.event"].sudo().search([("activity_id", "=", activity.id)]).company_id
        )
        if activity.res_model == "account.move":
            companies |= about.company_id
        if not companies:
            companies = activity.user_id.sudo().company_ids
        if companies and self.company_id not in companies:
            raise AccessError(self.env._("This call belongs to another company."))

    def _check_values(self):
        if self.outcome == "promised":
            if not self.promise_date or self.promise_amount <= 0:
                raise UserError(self.env._("A promise to pay needs a date and an amount."))
            if self.promise_date < fields.Date.context_today(self):
                raise UserError(self.env._("The promised payment date cannot be in the past."))
        if self.outcome in ("promised", "disputed", "plan_requested") and not self.move_ids:
            raise UserError(self.env._("Select the invoices concerned."))

    def _after_reached(self, event, customer, today):
        return {"type": "ir.actions.act_window_close"}

    def _after_no_answer(self, event, customer, today):
        """The next attempt on the next working day the policy's call caps allow."""
        policy = customer._dunning_get_policy()
        attempts, conversations = self._call_history(customer, today)
        day = next_call_date(
            today,
            attempts,
            conversations,
            policy.call_max_attempts_7d if policy else 7,
            policy.call_quiet_days_after_conversation if policy else 7,
        )
        if day is None:
            return {"type": "ir.actions.act_window_close"}
        engine = self.env["dunning.engine"]
        collector = engine._get_collector(
            customer, self.company_id, fallback=engine._default_fallback_collector()
        )
        activity = engine._schedule(
            customer,
            self.env._("Collections call: next attempt"),
            Markup("<p>%s</p>")
            % self.env._(
                "Last attempt on %(date)s: %(outcome)s. Try again.",
                date=format_date(self.env, today),
                outcome=event.reason,
            ),
            collector,
            day,
            activity_type=self.env.ref("account_dunning.mail_activity_type_dunning_call"),
        )
        self.env["dunning.engine"]._record_outcome(event, {"activity_id": activity.id})
        return {"type": "ir.actions.act_window_close"}

    _after_left_message = _after_no_answer

    def _after_wrong_number(self, event, customer, today):
        engine = self.env["dunning.engine"]
        engine._schedule_fix_contact(
            customer,
            engine._get_collector(
                customer, self.company_id, fallback=engine._default_fallback_collector()
            ),
            today,
            self.env._(
                "Wrong phone number for %(customer)s: find the right contact for its "
                "payables and correct it on the customer.",
                customer=customer.display_name,
            ),
            need="phone",
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": customer.id,
            "views": [(False, "form")],
            "view_mode": "form",
            "target": "current",
        }

    def _after_promised(self, event, customer, today):
        promise = self.env["dunning.promise"].create(
            {
                "company_id": self.company_id.id,
                "partner_id": customer.id,
                "move_ids": [Command.set(self.move_ids.ids)],
                "amount": self.promise_amount,
                "date_promised": self.promise_date,
                "note": self.note,
                "call_event_id": event.id,
                "contact_id": event.contact_id.id,
            }
        )
        return promise._dunning_open_action()

    def _after_disputed(self, event, customer, today):
        action = self.move_ids.action_dunning_dispute()
        action["context"].update(
            default_note=self.note,
            default_call_event_id=event.id,
            default_contact_id=event.contact_id.id,
        )
        return action

    def _after_plan_requested(self, event, customer, today):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_payment_plan_wizard"
        )
        action["context"] = {"active_model": "account.move", "active_ids": self.move_ids.ids}
        return action

    def _call_history(self, customer, today):
        """Days of the customer's logged calls in the window before ``today`` (attempts)
        and of its latest conversation."""
        self.env["dunning.event"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
            SELECT date, call_outcome IN %(conversation)s
              FROM dunning_event
             WHERE partner_id = %(partner)s AND company_id = %(company)s
               AND channel = 'call' AND call_outcome IS NOT NULL
               AND date > %(since)s
            """,
                conversation=CONVERSATION_OUTCOMES,
                partner=customer.id,
                company=self.company_id.id,
                since=today - timedelta(days=WINDOW_DAYS + 60),
            )
        )
        attempts = [day for day, _talk in rows]
        conversations = [day for day, talk in rows if talk]
        return attempts, conversations

    def _dunning_called_moves(self):
        """The invoices the run's call activity is about (its event's)."""
        self.ensure_one()
        if not self.activity_id:
            return self.env["account.move"]
        return (
            self.env["dunning.event"]
            .search([("activity_id", "=", self.activity_id.id)], order="id desc", limit=1)
            .move_ids
        )
