import base64
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tools import float_compare

from ..tools.case_file import case_file_sections, sections_to_csv

HANDOFF_TYPES = [("agency", "Collection Agency"), ("legal", "Legal Action")]

CASE_STATES = [("open", "Open"), ("returned", "Returned"), ("closed", "Closed")]

# An invoice is settled once nothing is left to collect on it.
SETTLED = ("paid", "in_payment", "reversed")


class DunningCase(models.Model):
    """Invoices of one customer handed off to a collection agency or a lawyer."""

    _name = "dunning.case"
    _description = "Collection Case"
    _inherit = [
        "dunning.hold.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "dunning.authority.mixin",
    ]
    _order = "date desc, id desc"
    _check_company_auto = True
    _dunning_hold_channel = "handoff"
    _dunning_hold_action = "account_dunning.action_dunning_case"
    _dunning_hold_end_field = "date_returned"

    name = fields.Char(
        string="Case", required=True, readonly=True, copy=False, default="/", index="trigram"
    )
    reference = fields.Char(
        string="Case Reference", tracking=True, help="The agency's or the court's file number."
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
    )
    handoff_type = fields.Selection(HANDOFF_TYPES, string="Type", required=True, tracking=True)
    agency_id = fields.Many2one(
        "res.partner",
        string="Agency / Lawyer",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
    )
    commission_rate = fields.Float(
        string="Commission (%)",
        digits=(5, 2),
        tracking=True,
        help="The agency's commission on what it recovers, taken from the agency at hand-off.",
    )
    date = fields.Date(
        string="Hand-off Date", required=True, default=fields.Date.context_today, index=True
    )
    date_returned = fields.Date(string="Returned On", readonly=True, copy=False)
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        domain="[('share', '=', False)]",
        default=lambda self: self.env.user,
        tracking=True,
    )
    note = fields.Text(
        string="Note for the Agency / Lawyer", help="Part of the case file sent to them."
    )
    state = fields.Selection(CASE_STATES, required=True, default="open", index=True, tracking=True)
    move_ids = fields.Many2many(
        "account.move",
        "dunning_case_account_move_rel",
        "case_id",
        "move_id",
        string="Invoices",
        check_company=True,
        readonly=True,
    )
    move_count = fields.Integer(compute="_compute_move_count")
    recovery_ids = fields.One2many("dunning.case.recovery", "case_id", string="Recoveries")
    writeoff_move_ids = fields.One2many(
        "account.move", "dunning_writeoff_case_id", string="Write-offs", readonly=True
    )
    commission_bill_ids = fields.One2many(
        "account.move", "dunning_commission_case_id", string="Commission Bills", readonly=True
    )
    amount_handed_off = fields.Monetary(
        string="Handed Off",
        readonly=True,
        help="What was open on the invoices at hand-off (company currency).",
    )
    amount_open = fields.Monetary(
        string="Still Open",
        compute="_compute_amount_open",
        store=True,
        help="What is left to collect on the invoices (company currency).",
    )
    amount_recovered = fields.Monetary(
        string="Recovered",
        compute="_compute_recovery_amounts",
        store=True,
        help="Payments received on the invoices while at the agency or lawyer "
        "(company currency, at the payments' rates).",
    )
    amount_commission = fields.Monetary(
        string="Commission", compute="_compute_recovery_amounts", store=True
    )
    amount_written_off = fields.Monetary(
        string="Written Off", compute="_compute_amount_written_off", store=True
    )
    age_days = fields.Integer(string="Age (days)", compute="_compute_age_days")
    case_file_pdf_id = fields.Many2one("ir.attachment", string="Case File (PDF)", readonly=True)
    case_file_csv_id = fields.Many2one("ir.attachment", string="Case File (CSV)", readonly=True)

    _name_company_uniq = models.Constraint(
        "UNIQUE(name, company_id)", "A case number must be unique per company."
    )
    _commission_rate_range = models.Constraint(
        "CHECK(commission_rate >= 0 AND commission_rate <= 100)",
        "A commission is a percentage between 0 and 100.",
    )

    @api.depends("move_ids")
    def _compute_move_count(self):
        for case in self:
            case.move_count = len(case.move_ids)

    @api.depends("move_ids.amount_residual_signed")
    def _compute_amount_open(self):
        for case in self:
            case.amount_open = sum(case.move_ids.mapped("amount_residual_signed"))

    @api.depends("recovery_ids.amount", "recovery_ids.commission_amount")
    def _compute_recovery_amounts(self):
        for case in self:
            case.amount_recovered = sum(case.recovery_ids.mapped("amount"))
            case.amount_commission = sum(case.recovery_ids.mapped("commission_amount"))

    @api.depends("writeoff_move_ids.state", "writeoff_move_ids.line_ids.balance")
    def _compute_amount_written_off(self):
        for case in self:
            lines = case.writeoff_move_ids.filtered(lambda m: m.state == "posted").line_ids
            case.amount_written_off = -sum(
                line.balance for line in lines if line.account_id.account_type == "asset_receivable"
            )

    @api.depends_context("tz")
    @api.depends("date")
    def _compute_age_days(self):
        today = fields.Date.context_today(self)
        for case in self:
            case.age_days = (today - case.date).days if case.date else 0

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id"))
                vals["name"] = (
                    self.env["ir.sequence"]
                    .with_company(company or self.env.company)
                    .next_by_code("dunning.case")
                    or "/"
                )
        cases = super().create(vals_list)
        # On the records, not the values: defaults from the context count too.
        if not self._dunning_is_manager():
            cases._dunning_check_user_cases()
        return cases

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action.update(domain=[("id", "in", self.move_ids.ids)], context={"create": False})
        return action

    def action_return_to_normal(self):
        """The agency or lawyer gives the case back: collections resume internally."""
        for case in self:
            case._check_open()
            at_case = case._get_open_moves().filtered(
                lambda m, c=case: m.dunning_stage == c.handoff_type
            )
            at_case._dunning_set_stage("normal")
            case._dunning_flow_write(
                {"state": "returned", "date_returned": fields.Date.context_today(case)}
            )
            case._log_event(
                at_case,
                self.env._(
                    "Case %(case)s returned by %(agency)s: collections resume internally.",
                    case=case.name,
                    agency=case.agency_id.display_name,
                ),
            )
        return True

    def action_return_to_legal(self):
        """The agency gives the case back: hand its open invoices to a lawyer."""
        self.ensure_one()
        self._check_open()
        if self.handoff_type != "agency":
            raise UserError(self.env._("This case is already a legal action."))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_handoff_wizard"
        )
        action["context"] = {
            "default_move_ids": [Command.set(self._get_open_moves().ids)],
            "default_handoff_type": "legal",
            "default_source_case_id": self.id,
            "default_reference": self.reference,
        }
        return action

    def action_writeoff(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_writeoff_wizard"
        )
        action["context"] = {"default_move_ids": [Command.set(self._get_open_moves().ids)]}
        return action

    def action_print_case_file(self):
        return self.env.ref("account_dunning.action_report_dunning_case").report_action(self)

    def _dunning_is_manager(self):
        return self.env.su or self.env.user.has_group("account_dunning.group_dunning_manager")

    def _dunning_check_user_cases(self):
        """A user's case comes from a hand-off: open, at the agency's own commission
        (none for a lawyer). Its invoices are checked by the hand-off wizard."""
        for case in self:
            agency_rate = case.agency_id.dunning_agency_commission
            rate = agency_rate if case.handoff_type == "agency" else 0.0
            if (
                case.state != "open"
                or case.date_returned
                or float_compare(case.commission_rate, rate, precision_digits=2)
            ):
                raise AccessError(
                    self.env._(
                        "Only a collections manager can open a case with another commission "
                        "or state than the hand-off's."
                    )
                )

    @api.model
    def _dunning_hand_off(
        self,
        moves,
        handoff_type,
        agency,
        *,
        reference=False,
        note=False,
        credit_hold=False,
        notify_customer=False,
        source_case=None,
    ):
        """Hand ``moves`` (one customer's, checked by the caller) to ``agency``: the case,
        the stage and level, credit hold, case file, emails, history and follow-up."""
        partner = moves.commercial_partner_id
        company = moves.company_id
        policy = partner.with_company(company)._dunning_get_policy()
        today = fields.Date.context_today(self)
        if source_case:
            source_case._dunning_flow_write({"state": "returned", "date_returned": today})
            source_case._log_event(
                moves,
                self.env._(
                    "Case %(case)s returned by %(agency)s: handed to %(lawyer)s for legal action.",
                    case=source_case.name,
                    agency=source_case.agency_id.display_name,
                    lawyer=agency.display_name,
                ),
            )
        engine = self.env["dunning.engine"]
        collector = engine._get_collector(
            partner, company, policy=policy, fallback=engine._default_fallback_collector()
        )
        case = self.with_company(company).create(
            {
                "company_id": company.id,
                "partner_id": partner.id,
                "handoff_type": handoff_type,
                "agency_id": agency.id,
                "commission_rate": agency.dunning_agency_commission
                if handoff_type == "agency"
                else 0.0,
                "reference": reference,
                "note": note,
                "user_id": collector.id,
                "move_ids": [Command.set(moves.ids)],
                "amount_handed_off": moves._dunning_owed(),
            }
        )
        level = policy._get_handoff_level() if policy else self.env["dunning.level"]
        # A promise or a plan on these invoices ends (no installment reminders for an
        # invoice at an agency or a lawyer); a dispute refuses the hand-off.
        case._dunning_hold_open()
        if level:
            moves._dunning_set_level(level, today)
        if credit_hold:
            # sudo: collectors may not edit contacts; the hold is this one collections
            # flag, on the customer of the invoices they were allowed to hand off.
            partner.sudo().with_company(company).dunning_credit_hold = True
        attachments = case._build_case_file()
        contact = partner.with_company(company)._dunning_get_contact()
        event = case._log_event(
            moves,
            case._handoff_reason(),
            level_id=level.id,
            contact_id=contact.id if notify_customer else False,
            attachment_id=case.case_file_pdf_id.id,
        )
        if handoff_type == "agency":
            case._send_case_file(policy, attachments)
        else:
            engine._post_note(
                case,
                self.env._(
                    "Case file for %(lawyer)s attached: send it with your instructions.",
                    lawyer=agency.display_name,
                ),
                attachments,
            )
        if notify_customer:
            case._send_transfer_notice(event, policy, contact)
        engine._record_outcome(event, {"activity_id": case._schedule_followup(policy).id})
        return case

    def _dunning_hold_stage_of(self):
        self.ensure_one()
        return self.handoff_type

    def _handoff_reason(self):
        self.ensure_one()
        if self.handoff_type == "agency":
            return self.env._(
                "Handed off to the collection agency %(agency)s (case %(case)s).",
                agency=self.agency_id.display_name,
                case=self.name,
            )
        return self.env._(
            "Handed off for legal action to %(lawyer)s (case %(case)s).",
            lawyer=self.agency_id.display_name,
            case=self.name,
        )

    # Business methods

    def _check_open(self):
        for case in self.filtered(lambda c: c.state != "open"):
            raise UserError(self.env._("Case %(case)s is not open.", case=case.name))

    def _get_open_moves(self):
        self.ensure_one()
        return self.move_ids.filtered(lambda m: m.payment_state in ("not_paid", "partial"))

    def _update_state(self):
        """Close open cases whose invoices are all settled; reopen closed ones that are not."""
        for case in self.filtered(lambda c: c.state in ("open", "closed")):
            settled = all(move.payment_state in SETTLED for move in case.move_ids)
            state = "closed" if settled else "open"
            if case.state != state:
                # sudo: the state follows the books (a payment, a write-off or their
                # undoing), whoever records them; no user value is written.
                case.sudo().state = state

    def _log_event(self, moves, reason, **values):
        """One hand-off event on the case's customer, about ``moves`` (the hold's event
        layout, see dunning.hold.mixin)."""
        self.ensure_one()
        return self._dunning_hold_log(
            {self: reason},
            move_ids=[Command.set(moves.ids)],
            amount_residual=moves._dunning_owed(),
            collector_id=self.user_id,
            **values,
        )

    def _send_case_file(self, policy, attachments):
        """Email the case file to the agency's case address, through the gateway (an
        agency, not the customer: no opt-out nor one-message-a-day); logged as an email
        event of the customer's history and on the case."""
        self.ensure_one()
        agency = self.agency_id
        event = self._log_event(
            self.move_ids,
            self.env._(
                "Case file %(case)s sent to %(agency)s.",
                case=self.name,
                agency=agency.display_name,
            ),
            channel="email",
            attachment_id=self.case_file_pdf_id.id,
        )
        self.env["dunning.engine"]._deliver(
            [
                {
                    "channel": "email",
                    "event": event,
                    "customer": None,
                    "template": self.env.ref("account_dunning.mail_template_dunning_case_agency"),
                    "record": self,
                    "thread": self,
                    # The case email, which may differ from the agency's own address.
                    "email_to": agency._dunning_get_agency_email(),
                    "attachments": attachments,
                    "policy": policy,
                    "company": self.company_id,
                }
            ]
        )
        return event

    def _send_transfer_notice(self, event, policy, contact):
        """The customer's neutral notice of transfer: its own email event (rendered on
        it, listing the case's invoices), through the gateway."""
        self.ensure_one()
        template = (policy and policy.handoff_notice_template_id) or self.env.ref(
            "account_dunning.mail_template_dunning_handoff"
        )
        notice = self._log_event(
            event.move_ids,
            self.env._("Notice of transfer (case %(case)s).", case=self.name),
            channel="email",
            contact_id=contact.id,
            level_id=event.level_id.id,
        )
        self.env["dunning.engine"]._deliver(
            [
                {
                    "channel": "email",
                    "event": notice,
                    "customer": self.partner_id,
                    "contact": contact,
                    "template": template,
                    "thread": self.partner_id,
                    "policy": policy,
                    "company": self.company_id,
                    # The collector handing off decided the customer is told now.
                    "override": True,
                }
            ]
        )
        return notice

    def _schedule_followup(self, policy):
        """The collector's reminder to ask the agency or lawyer how the case goes."""
        self.ensure_one()
        days = policy.handoff_followup_days if policy else 30
        return self.env["dunning.engine"]._schedule(
            self,
            self.env._(
                "Ask %(agency)s for the status of case %(case)s",
                agency=self.agency_id.display_name,
                case=self.name,
            ),
            False,
            self.user_id,
            self.date + timedelta(days=days),
        )

    # The case file: only what the case needs (GDPR minimisation, no other customer).

    def _get_case_file_data(self):
        """Everything the case file holds, as plain values, for the PDF and the CSV."""
        self.ensure_one()
        debtor = self.partner_id
        contact = debtor.with_company(self.company_id)._dunning_get_contact()
        invoices = self.move_ids.sorted(lambda m: (m.invoice_date_due or m.date, m.id))
        events = self.env["dunning.event"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("partner_id", "=", debtor.id),
                ("move_ids", "in", invoices.ids),
                ("state", "=", "done"),
                ("channel", "in", ("email", "letter", "call", "note")),
            ],
            order="date, id",
        )
        # Write-offs are our bookkeeping, not the debtor's history.
        events -= (
            self.env["account.move"]
            .search([("dunning_writeoff_invoice_id", "in", invoices.ids)])
            .dunning_writeoff_event_id
        )
        channels = dict(
            self.env["dunning.event"]._fields["channel"]._description_selection(self.env)
        )
        # What the case asks for: the invoices' open amounts less the customer's credits
        # the ledger applies to them (the customer's other items are not the agency's).
        customer = debtor.with_company(self.company_id)
        ledger = customer._dunning_ledger()[debtor.id].as_askable(invoices.ids)
        owed = {move.id: ledger.owed_on(move.ids) for move in invoices}
        totals = ledger.owed_on(invoices.ids)
        currencies = self.env["res.currency"].browse(sorted(totals))

        def invoice_names(event):
            # In the order of the invoices table (oldest due first); only this case's.
            return ", ".join(invoices.filtered(lambda m: m in event.move_ids).mapped("name"))

        return {
            "case": {
                "name": self.name,
                "reference": self.reference or "",
                "type": dict(HANDOFF_TYPES)[self.handoff_type],
                "date": self.date,
                "creditor": self.company_id.name,
                "note": self.note or "",
            },
            "debtor": {
                "name": debtor.name or "",
                "street": debtor.street or "",
                "street2": debtor.street2 or "",
                "zip": debtor.zip or "",
                "city": debtor.city or "",
                "state": debtor.state_id.name or "",
                "country": debtor.country_id.name or "",
                "vat": debtor.vat or "",
            },
            "contact": {
                "name": contact.name or debtor.name or "",
                "email": contact.email or "",
                "phone": contact.phone or "",
            },
            "invoices": [
                {
                    "name": move.name,
                    "invoice_date": move.invoice_date,
                    "date_due": move.invoice_date_due,
                    "amount": move.amount_total,
                    "residual": sum(owed[move.id].values()),
                    "currency": move.currency_id,
                    "currency_name": move.currency_id.name,
                    "digits": move.currency_id.decimal_places,
                }
                for move in invoices
            ],
            "totals": [
                {
                    "amount": totals[currency.id],
                    "currency": currency,
                    "currency_name": currency.name,
                    "digits": currency.decimal_places,
                }
                for currency in currencies.sorted("name")
            ],
            "history": [
                {
                    "date": event.date,
                    "channel": channels.get(event.channel, event.channel),
                    "level": event.level_id.name or "",
                    "invoices": invoice_names(event),
                }
                for event in events
                if event.channel != "note"
            ],
            "notes": [
                {"date": event.date, "invoices": invoice_names(event), "note": event.reason}
                for event in events
                if event.channel == "note" and event.reason
            ],
        }

    def _get_case_file_csv(self):
        self.ensure_one()
        return sections_to_csv(case_file_sections(self._get_case_file_data(), self.env._))

    def _dunning_case_file_name(self):
        """The case file's name, without extension, in the context's language."""
        self.ensure_one()
        return self.env._("Case file %(case)s", case=self.name).replace("/", "-")

    def _build_case_file(self):
        """Render the case file (PDF and CSV) and attach both to the case."""
        self.ensure_one()
        report = self.env.ref("account_dunning.action_report_dunning_case")
        pdf, _report_type = (
            self.env["ir.actions.report"]
            .with_context(report_pdf_no_attachment=True)
            ._render_qweb_pdf(report.report_name, self.ids)
        )
        if isinstance(pdf, str):  # the HTML rendering that replaces the PDF in tests
            pdf = pdf.encode()
        basename = self._dunning_case_file_name()
        Attachment = self.env["ir.attachment"]
        common = {"res_model": self._name, "res_id": self.id, "type": "binary"}
        pdf_attachment = Attachment.create(
            {
                **common,
                "name": f"{basename}.pdf",
                "datas": base64.b64encode(pdf),
                "mimetype": "application/pdf",
            }
        )
        csv_attachment = Attachment.create(
            {
                **common,
                "name": f"{basename}.csv",
                # Excel opens UTF-8 with a byte order mark without mangling accents.
                "datas": base64.b64encode(self._get_case_file_csv().encode("utf-8-sig")),
                "mimetype": "text/csv",
            }
        )
        self._dunning_flow_write(
            {"case_file_pdf_id": pdf_attachment.id, "case_file_csv_id": csv_attachment.id}
        )
        return pdf_attachment | csv_attachment
