import re
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import LazyTranslate, format_amount, format_date, html_sanitize

from ..tools.contact_hours import format_hours, local_time

_lt = LazyTranslate(__name__)

# Channels of events that are not steps of a level; the steps' kinds come first (see
# _selection_channel), so that a new kind of step is a new channel too.
OTHER_CHANNELS = [
    ("plan", _lt("Payment Plan")),
    ("note", _lt("Note")),
    ("promise", _lt("Promise to Pay")),
    ("dispute", _lt("Dispute")),
    ("portal", _lt("Self-Service")),
    ("thank_you", _lt("Thank You")),
]

# Outcomes of a logged collections call (dunning.call.wizard).
CALL_OUTCOMES = [
    ("reached", "Reached"),
    ("no_answer", "No answer"),
    ("left_message", "Left a message"),
    ("wrong_number", "Wrong number"),
    ("promised", "Promised to pay"),
    ("disputed", "Disputes"),
    ("plan_requested", "Asks for a payment plan"),
]

# Outcomes where the customer was spoken to: no new attempt for a while after them.
CONVERSATION_OUTCOMES = ("reached", "promised", "disputed", "plan_requested")

EVENT_STATES = [("done", "Done"), ("skipped", "Skipped"), ("failed", "Failed")]

# What the log records cannot change after the fact; the engine completes the outcome.
_OUTCOME_FIELDS = {
    "state",
    "reason",
    "message_id",
    "activity_id",
    "attachment_id",
    "is_customer_message",
}

# Talking points of the call script, per tone of the level.
CALL_POINTS = {
    "friendly": _lt("Check that the invoices were received and that nothing blocks them."),
    "neutral": _lt("Check that the invoices were received and are scheduled for payment."),
    "polite": _lt(
        "Our records do not show the payment: ask whether something went wrong with the "
        "invoices, and when they will be paid."
    ),
    "firm": _lt(
        "Ask for a payment date and record it as a promise to pay. Offer a payment plan "
        "if paying at once is difficult."
    ),
    "formal": _lt(
        "Explain that a formal demand letter was sent, with its deadline. Ask for payment "
        "before it, or agree on a payment plan now."
    ),
    "final": _lt("Explain the next step and its date. Offer a last chance: payment or a plan."),
    "handoff": _lt("Tell the customer the file is being transferred, and to whom."),
}

# The opt-out sentence closing every reminder SMS, in the module's languages. The SMS
# bodies are translated as whole texts (i18n/), so the sentence is added by code to a
# body that lacks it (an older translation, a template edited by hand): no reminder SMS
# goes out without its opt-out link, in the recipient's language.
SMS_OPT_OUT_TEXT = {
    "en": "Stop these SMS: {url}",
    "fr": "Ne plus recevoir ces SMS : {url}",
    "de": "Diese SMS abbestellen: {url}",
    "es": "Dejar de recibir estos SMS: {url}",
    "pt": "Parar de receber estes SMS: {url}",
}

TEMPLATE_VARIANTS = [("a", "A"), ("b", "B")]


class DunningEvent(models.Model):
    """One collections action on one customer: an immutable history row."""

    _name = "dunning.event"
    _inherit = ["dunning.authority.mixin"]
    _description = "Dunning Event"
    _order = "date desc, id desc"
    _check_company_auto = True

    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="restrict"
    )
    contact_id = fields.Many2one("res.partner", ondelete="set null", help="Who was addressed.")
    move_ids = fields.Many2many(
        "account.move",
        "account_move_dunning_event_rel",
        "event_id",
        "move_id",
        string="Invoices",
    )
    credit_line_ids = fields.Many2many(
        "account.move.line",
        "account_move_line_dunning_event_rel",
        "event_id",
        "move_line_id",
        string="Credits",
        help="Open credit notes and unapplied payments shown beside the invoices, and "
        "deducted from the amount asked for.",
    )
    level_id = fields.Many2one("dunning.level", index=True, ondelete="restrict")
    run_id = fields.Many2one("dunning.run", index="btree_not_null", ondelete="set null")
    run_line_id = fields.Many2one("dunning.run.line", index="btree_not_null", ondelete="set null")
    payment_plan_id = fields.Many2one(
        "dunning.payment.plan", index="btree_not_null", ondelete="restrict"
    )
    promise_id = fields.Many2one("dunning.promise", index="btree_not_null", ondelete="restrict")
    dispute_id = fields.Many2one("dunning.dispute", index="btree_not_null", ondelete="restrict")
    call_outcome = fields.Selection(CALL_OUTCOMES, index="btree_not_null")
    policy_id = fields.Many2one(related="level_id.policy_id", store=True)
    tone = fields.Selection(related="level_id.tone")
    channel = fields.Selection(selection="_selection_channel", required=True, index=True)
    is_customer_message = fields.Boolean(
        string="Message to the Customer",
        readonly=True,
        index=True,
        help="A message the customer received through the collections gateway (the one "
        "message per customer and day counts these).",
    )
    state = fields.Selection(EVENT_STATES, required=True, default="done", index=True)
    reason = fields.Text(help="Why the step was skipped or failed, or what was noted.")
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_residual = fields.Monetary(
        string="Amount Due",
        currency_field="currency_id",
        aggregator=False,  # amounts of different days and steps: a sum means nothing
        help="Open amount of the invoices concerned (the part due) net of the credits "
        "shown beside them, in company currency, at the time.",
    )
    user_id = fields.Many2one(
        "res.users", string="Done By", default=lambda self: self.env.user, readonly=True
    )
    collector_id = fields.Many2one("res.users", index=True)
    message_id = fields.Many2one("mail.message", ondelete="set null")
    activity_id = fields.Many2one("mail.activity", ondelete="set null")
    attachment_id = fields.Many2one("ir.attachment", string="Letter", ondelete="set null")

    message_body = fields.Html(
        string="Message Sent",
        compute="_compute_message_body",
        sanitize=False,  # sanitized in the compute
        help="The message as the customer received it (the chatter keeps a short note).",
    )
    # What the event's message shows, read from the customer's ledger when rendered.
    message_data = fields.Json(
        compute="_compute_message_data",
        help="The invoices, credits and totals of the event's message "
        "(res.partner._dunning_message_values).",
    )
    # The accrued late charges shown in a level's email (issue #11).
    late_charge_data = fields.Json(
        compute="_compute_late_charge_data",
        help="Late charges accrued on the event's invoices up to its date and not yet "
        "invoiced, when its level shows them: {invoice id: [interest, compensation]}.",
    )

    template_variant = fields.Selection(
        TEMPLATE_VARIANTS,
        index="btree_not_null",
        readonly=True,
        help="Which of the level's two email templates the customer got (A/B test).",
    )

    @api.depends("partner_id", "level_id", "channel", "date")
    def _compute_display_name(self):
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for event in self:
            event.display_name = " - ".join(
                part
                for part in (
                    event.partner_id.display_name,
                    event.level_id.name or channels.get(event.channel),
                    event.date and fields.Date.to_string(event.date),
                )
                if part
            )

    @api.depends("message_id")
    def _compute_message_body(self):
        # sudo: mail.mail is reserved to administrators; only the body of the email of
        # an event the user may read is shown, sanitized.
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search_fetch([("mail_message_id", "in", self.message_id.ids)], ["body_html"])
        )
        body_of = {mail.mail_message_id.id: mail.body_html for mail in mails}
        for event in self:
            body = body_of.get(event.message_id.id)
            event.message_body = html_sanitize(body, strip_classes=True) if body else False

    def _compute_message_data(self):
        """For all the events being rendered at once: one read of the ledger per
        company and day, not one per event (see _compute_late_charge_data)."""
        for (company, day), events in self.grouped(lambda e: (e.company_id, e.date)).items():
            customers = events.partner_id.commercial_partner_id.with_company(company)
            ledgers = customers._dunning_ledger(day)
            for event in events:
                customer = event.partner_id.commercial_partner_id.with_company(company)
                event.message_data = customer._dunning_message_values(
                    event.move_ids.ids, day, ledgers[customer.id]
                )

    @api.model
    def _selection_channel(self):
        steps = self.env["dunning.level.step"]._fields["kind"]._description_selection(self.env)
        others = [(key, label._translate(self.env.lang)) for key, label in OTHER_CHANNELS]
        return steps + others

    def _compute_late_charge_data(self):
        """Computed for every event being rendered at once: the templates render a whole
        batch of events, and the ORM computes a non-stored field for all the records
        prefetched with the one asked for, so the charges of a batch cost one pass
        (one read of the rates, of what was charged already) and not one per invoice."""
        showing = self.filtered(
            lambda event: (
                event.level_id.show_late_charges
                and event.level_id.policy_id.late_charge_rule != "none"
                and event.move_ids
            )
        )
        (self - showing).late_charge_data = False
        for day, events in showing.grouped("date").items():
            charges = events.move_ids._dunning_late_charges_batch(day)
            for event in events:
                event.late_charge_data = {
                    str(move_id): [charges[move_id]["interest"], charges[move_id]["compensation"]]
                    for move_id in event.move_ids.ids
                    if move_id in charges
                }

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(
                self.env._("Collections history is written by the collections flows only.")
            )
        return super().create(vals_list)

    def write(self, vals):
        frozen = set(vals) - _OUTCOME_FIELDS
        if frozen or not self.env.su:
            raise AccessError(
                self.env._(
                    "Collections history is a log: %(fields)s of an event cannot be changed.",
                    fields=", ".join(sorted(vals)),
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Collections history is a log: events cannot be deleted."))

    # Helpers of the call activity, the email templates and the letter (rendered with the
    # event as object).

    def _call_script(self):
        """The note of a collections call: who, what, the talking points, what to record."""
        self.ensure_one()
        return self.env["ir.qweb"]._render(
            "account_dunning.dunning_call_script",
            {
                "event": self,
                "format_date": lambda value: format_date(self.env, value),
                "format_amount": lambda amount, currency: format_amount(self.env, amount, currency),
                "talking_points": self.level_id._dunning_talking_points(),
            },
        )

    def _dunning_chatter_note(self, contact):
        """The chatter's copy of this event's message, short enough for the chatter's
        width: the kind of message and its step, the recipient, the invoices and what is
        asked per currency, and a link to the event (the full message is there)."""
        self.ensure_one()
        Partner = self.env["res.partner"]
        lang = self.env["dunning.engine"]._staff_lang(self.company_id)
        event = self.with_context(lang=lang)
        labels = dict(event._fields["channel"]._description_selection(event.env))
        totals = (
            Partner._dunning_hydrate_message(self.message_data)["totals"] if self.move_ids else []
        )
        asked = Partner.with_context(lang=lang)._dunning_amounts_text(totals)
        what = " - ".join(
            filter(None, (labels.get(self.channel), self.level_id.with_context(lang=lang).name))
        )
        parts = [
            Markup("<strong>%s</strong>") % what,
            event.env._(
                "to %(recipient)s",
                recipient=(contact or self.contact_id).display_name or self.reason or "",
            ),
        ]
        if self.move_ids:
            parts.append(", ".join(self.move_ids.mapped("name")))
        if asked:
            parts.append(event.env._("asked: %(amount)s", amount=asked))
        link = Markup('<a href="/odoo/dunning.event/%s">%s</a>') % (
            self.id,
            event.env._("the message"),
        )
        return Markup("<p>%s</p>") % Markup(" · ").join([*parts, link])

    def _get_message(self):
        """What the message of this event shows (rows, credits, totals, due state), from
        the customer's ledger on the event's date (res.partner._dunning_message_values)."""
        self.ensure_one()
        return self.env["res.partner"]._dunning_hydrate_message(self.message_data)

    def _get_invoice_rows(self):
        """The invoices of the message, oldest due first, with the part due, the later
        installments and the pay link, and the other open debits asked for."""
        return self._get_message()["rows"]

    def _get_credit_rows(self):
        """The open credit notes and unapplied payments shown beside the invoices."""
        return self._get_message()["credits"]

    def _get_totals(self, rows=None):
        """Per currency: the invoices listed, the credits applied to them, what the
        message asks for (``amount``), the customer's balance (``balance``) and what is
        in its favour (``credit_balance``). ``rows`` is accepted for the templates that
        pass it and not needed."""
        return self._get_message()["totals"]

    def _get_due_state(self, rows=None):
        """'overdue' when something asked for is past due, 'today' when the oldest is
        due today, 'upcoming' when none is due yet: the wording follows it. A debit
        covered by a credit asks for nothing."""
        return self._get_message()["due_state"]

    def _get_deadline(self):
        self.ensure_one()
        return self.date + timedelta(days=self.level_id.letter_deadline_days or 14)

    def _dunning_letter_file_name(self):
        """The letter's file name, without extension, in the context's language (the
        customer's when it is sent)."""
        self.ensure_one()
        return self.env._(
            "Letter %(customer)s %(date)s", customer=self.partner_id.name, date=self.date
        ).replace("/", "-")

    def _get_company_address(self):
        self.ensure_one()
        return self.company_id._dunning_address_line()

    def _get_late_charges(self):
        """The accrued charges block of the email: ``rows`` per invoice with a charge
        ({name, currency, interest, compensation, total}, oldest due first) and
        ``totals`` per currency ({currency, interest, compensation, total}); empty
        when the level does not show them or nothing has accrued."""
        self.ensure_one()
        data = self.late_charge_data or {}
        rows, totals = [], {}
        moves = self.move_ids.sorted(lambda move: (move.invoice_date_due or move.date, move.id))
        for move in moves:
            interest, compensation = data.get(str(move.id), (0.0, 0.0))
            currency = move.currency_id
            if currency.is_zero(interest) and currency.is_zero(compensation):
                continue
            row = {
                "name": move.name,
                "currency": currency,
                "interest": interest,
                "compensation": compensation,
                "total": currency.round(interest + compensation),
            }
            rows.append(row)
            total = totals.setdefault(
                currency, {"currency": currency, "interest": 0.0, "compensation": 0.0}
            )
            total["interest"] = currency.round(total["interest"] + interest)
            total["compensation"] = currency.round(total["compensation"] + compensation)
        for total in totals.values():
            total["total"] = total["currency"].round(total["interest"] + total["compensation"])
        if not rows:
            return {}
        return {
            "rows": rows,
            "totals": sorted(totals.values(), key=lambda total: total["currency"].name),
        }

    def _get_self_service_url(self):
        """The self-service link of the reminder's recipient; '' when the policy has it
        off."""
        self.ensure_one()
        contact = self.contact_id or self.partner_id
        partner = contact.with_company(self.company_id)
        if not partner._dunning_self_service_enabled():
            return ""
        return contact._dunning_self_service_url(self.company_id)

    def _dunning_contact_window_info(self):
        """The customer's local time now and the contact window, for the call script."""
        self.ensure_one()
        contact = self.contact_id or self.partner_id
        tz_name = contact._dunning_contact_tz(self.company_id)
        policy = self.policy_id or self.company_id.dunning_default_policy_id
        start, end = policy._dunning_contact_window()
        return {
            "time": local_time(fields.Datetime.now(), tz_name).strftime("%H:%M"),
            "start": format_hours(start),
            "end": format_hours(end),
            "tz": tz_name,
        }

    def _dunning_contact_window_line(self):
        """'Local time of the customer: 10:00 (window 08:00-20:00, America/New_York)'."""
        return self.env._(
            "Local time of the customer: %(time)s (window %(start)s-%(end)s, %(tz)s)",
            **self._dunning_contact_window_info(),
        )

    def _get_opt_out_url(self):
        """The one-click opt-out link of a consumer's reminder; '' for a business."""
        self.ensure_one()
        contact = self.contact_id or self.partner_id
        if not self.partner_id.commercial_partner_id.dunning_is_consumer:
            return ""
        return contact._dunning_opt_out_url(self.company_id)

    def _get_sms_amount(self):
        """'USD 1,250.00' (and 'EUR 80.00' ...): what the message asks for, with plain
        spaces: a no-break space (between symbol and amount, or thousands in French)
        is outside the GSM alphabet and would make the SMS a 70-character one."""
        self.ensure_one()
        text = ", ".join(
            format_amount(self.env, total["amount"], total["currency"])
            for total in self._get_totals()
            if total["amount"] > 0  # net of credits; a currency in credit is not asked for
        )
        return re.sub(r"[\u00a0\u202f\u2009]", " ", text)

    def _get_sms_due_date(self):
        """The first open installment's due date (a term may have several)."""
        self.ensure_one()
        dates = [row["date_due"] for row in self._get_invoice_rows() if row["date_due"]]
        return format_date(self.env, min(dates)) if dates else ""

    def _get_sms_pay_url(self):
        """The portal page of the oldest invoice: one short link, where it can be paid."""
        self.ensure_one()
        rows = self._get_invoice_rows()
        return rows[0]["url"] if rows else ""

    def _get_sms_phone_holder(self):
        """Who the SMS goes to: the contact addressed if it has a phone, else the
        customer."""
        self.ensure_one()
        contact = self.contact_id or self.partner_id
        return contact if contact.phone else self.partner_id.commercial_partner_id

    def _get_sms_opt_out_url(self):
        """The short link that stops the SMS reminders to the number this SMS goes to."""
        self.ensure_one()
        return self._get_sms_phone_holder()._dunning_sms_opt_out_url(self.company_id)

    def _get_sms_opt_out(self):
        """The closing sentence of every reminder SMS, in the language being rendered:
        'Stop these SMS: <link>'; '' without a number."""
        self.ensure_one()
        url = self._get_sms_opt_out_url()
        if not url:
            return ""
        lang = self.env.lang or "en_US"
        text = SMS_OPT_OUT_TEXT.get(lang[:2], SMS_OPT_OUT_TEXT["en"])
        return text.format(url=url)

    def _dunning_sms_body(self, template, text=None):
        """The SMS of this event: ``text`` (a person's edit) or ``template`` rendered in
        the contact's language, always ending with the stop link (added when missing)."""
        self.ensure_one()
        ids = list(self._ids)  # also a new record's (Send & Print renders on one)
        body = text or template._render_field("body", ids, compute_lang=True)[self.id]
        if self._get_sms_opt_out_url() not in body:
            lang = template._render_lang(ids)[self.id] or self.env.lang
            body = f"{body} {self.with_context(lang=lang)._get_sms_opt_out()}"
        return body

    def _dunning_mail_template(self):
        """The template of this email event: the level's, or its variant B."""
        self.ensure_one()
        level = self.level_id
        if self.template_variant == "b" and level.mail_template_variant_id:
            return level.mail_template_variant_id
        return level.mail_template_id
