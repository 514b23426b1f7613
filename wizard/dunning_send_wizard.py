from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command

from ..tools.ab_testing import assign_variant
from ..tools.calendar import next_business_day
from ..tools.ladder import index_of_delay, next_level_index


class DunningSendWizard(models.TransientModel):
    """Send & Print: a person sends a customer its reminder now, with the channels they
    choose and the message as they read and edited it, through the daily run's engine
    (a one-customer run of today). With several customers ("Send reminders" on a
    selection), each gets what Send & Print proposes for it, by the channels chosen,
    in one run."""

    _name = "dunning.send.wizard"
    _description = "Collections: Send & Print"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", domain="[('parent_id', '=', False)]"
    )
    partner_ids = fields.Many2many(
        "res.partner",
        "dunning_send_wizard_partner_rel",
        "wizard_id",
        "partner_id",
        string="Customers",
        help="Several customers at once: each gets the level, invoices and message that "
        "Send & Print proposes for it, by the channels chosen here that reach it.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date = fields.Date(default=fields.Date.context_today, readonly=True)
    policy_id = fields.Many2one("dunning.policy", compute="_compute_policy_id")
    move_ids = fields.Many2many(
        "account.move", "dunning_send_wizard_move_rel", "wizard_id", "move_id",
        string="Invoices", compute="_compute_move_ids", store=True, readonly=False,
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial')), "
        "('commercial_partner_id', '=', partner_id), ('company_id', '=', company_id)]",
        help="The invoices the message lists. Proposed: the overdue invoices in stage "
        "Normal; disputed, promised, planned or excluded invoices cannot be sent.",
    )  # fmt: skip
    credit_line_ids = fields.Many2many(
        "account.move.line",
        string="Credits",
        compute="_compute_credit_line_ids",
        help="Open credit notes and unapplied payments, shown beside the invoices and "
        "deducted from the amount asked for.",
    )
    amount_by_currency = fields.Char(
        string="Asked For",
        compute="_compute_amount_by_currency",
        help="What the message asks for: the invoices (the part due) and the other debits "
        "due, net of the customer's credits in the same currency.",
    )
    balance_by_currency = fields.Char(
        string="Balance",
        compute="_compute_amount_by_currency",
        help="The customer's whole balance per currency, as its statement shows it.",
    )
    level_id = fields.Many2one(
        "dunning.level",
        compute="_compute_level_id",
        check_company=True,
        store=True,
        readonly=False,
        domain="[('policy_id', '=', policy_id)]",
        help="Sets the tone and the template. Proposed: the level the customer would get "
        "today, else its current highest level. Invoices below it are recorded at it.",
    )
    contact_id = fields.Many2one("res.partner", string="Recipient", compute="_compute_contact_id")
    email_to = fields.Char(related="contact_id.email", string="Email Address")
    channel_ids = fields.One2many(
        "dunning.send.wizard.channel",
        "wizard_id",
        string="Send with",
        compute="_compute_channel_ids",
        store=True,
        readonly=False,
        help="The channels that reach the customer (the channel registry); proposed: the "
        "level's, unless the contact opted out of it or cannot be reached by it.",
    )
    warning = fields.Text(compute="_compute_warning")
    # The message, rendered from the level's templates in the contact's language as
    # the run renders it, then the person's to edit: what is sent and recorded.
    mail_subject = fields.Char(
        string="Subject", compute="_compute_message", store=True, readonly=False
    )
    mail_body = fields.Html(
        string="Email",
        compute="_compute_message",
        store=True,
        readonly=False,
        sanitize_style=True,
        help="The email as the customer will read it (the company's letterhead is added "
        "around it). Changing the level, the contact or the invoices renders it again.",
    )
    sms_body = fields.Text(
        string="SMS",
        compute="_compute_message",
        store=True,
        readonly=False,
        help="The SMS as the customer will read it; the stop link is added when missing.",
    )
    message_lang = fields.Selection(
        selection="_selection_message_lang",
        string="Language",
        compute="_compute_message",
        store=True,
        help="The contact's language: the message is written in it.",
    )
    sms_length = fields.Char(string="SMS Length", compute="_compute_sms_length")
    summary = fields.Text(
        compute="_compute_summary", help="What each customer of the selection would get."
    )

    @api.model
    def _selection_message_lang(self):
        return self.env["res.lang"].get_installed()

    @api.depends("partner_id", "company_id")
    def _compute_policy_id(self):
        for wizard in self:
            customer = wizard.partner_id.commercial_partner_id.with_company(wizard.company_id)
            wizard.policy_id = customer._dunning_get_policy() if customer else False

    @api.depends("partner_id", "company_id")
    def _compute_move_ids(self):
        for wizard in self:
            if not wizard.partner_id:
                wizard.move_ids = False
                continue
            moves = wizard._dunning_open_moves()
            wizard.move_ids = moves.filtered(
                lambda move, day=wizard.date: (
                    move._dunning_is_chasable() and move.invoice_date_due <= day
                )
            )

    @api.depends("partner_id", "company_id")
    def _compute_credit_line_ids(self):
        for wizard in self:
            customer = wizard.partner_id.commercial_partner_id
            if not customer:
                wizard.credit_line_ids = False
                continue
            ledger = wizard._dunning_ledger()
            wizard.credit_line_ids = [Command.set([item.line_id for item in ledger.credits()])]

    @api.depends("move_ids", "date")
    def _compute_amount_by_currency(self):
        Partner = self.env["res.partner"]
        for wizard in self:
            if not wizard.partner_id:
                wizard.amount_by_currency = wizard.balance_by_currency = False
                continue
            ledger = wizard._dunning_ledger()
            wizard.amount_by_currency = Partner._dunning_amounts_text(
                wizard._dunning_message(ledger)["totals"]
            )
            wizard.balance_by_currency = Partner._dunning_balances_text(ledger)

    # Proposed once for the customer: changing the invoices keeps the person's choices.
    @api.depends("partner_id", "company_id", "policy_id")
    def _compute_level_id(self):
        for wizard in self:
            wizard.level_id = wizard._dunning_default_level()

    @api.depends("partner_id")
    def _compute_contact_id(self):
        for wizard in self:
            customer = wizard.partner_id.commercial_partner_id
            wizard.contact_id = customer._dunning_get_contact() if customer else False

    @api.depends("level_id", "contact_id", "partner_ids")
    def _compute_channel_ids(self):
        Step = self.env["dunning.level.step"]
        channels = Step._dunning_channels()
        for wizard in self:
            level = wizard.level_id
            kinds = set(level._dunning_step_kinds()) if level else set()
            if wizard.partner_ids:  # each customer's level proposes; email by default
                kinds = {"email"}
            customer = wizard.partner_id.commercial_partner_id
            lines = [Command.clear()]
            for sequence, kind in enumerate(Step._dunning_customer_kinds()):
                missing = level._dunning_step_missing(kind) if level else False
                block = customer and wizard.contact_id._dunning_channel_block(
                    channels[kind], customer
                )
                refusal = missing or (block and block[1])
                lines.append(
                    Command.create(
                        {
                            "sequence": sequence,
                            "kind": kind,
                            "selected": kind in kinds and not refusal,
                            "note": refusal or channels[kind].notice or False,
                        }
                    )
                )
            wizard.channel_ids = lines

    @api.depends("partner_id", "partner_ids", "contact_id", "move_ids", "company_id")
    def _compute_warning(self):
        for wizard in self:
            wizard.warning = "\n".join(wizard._dunning_warnings()) or False

    @api.depends("level_id", "contact_id", "move_ids")
    def _compute_message(self):
        for wizard in self:
            rendered = wizard._dunning_render_message()
            wizard.mail_subject = rendered.get("subject") or False
            wizard.mail_body = rendered.get("body_html") or False
            wizard.sms_body = rendered.get("sms") or False
            wizard.message_lang = rendered.get("lang") or False

    @api.depends("sms_body")
    def _compute_sms_length(self):
        for wizard in self:
            if not wizard.sms_body:
                wizard.sms_length = False
                continue
            wizard.sms_length = self.env["sms.template"]._dunning_length_text(wizard.sms_body)

    @api.depends("partner_ids", "channel_ids.selected")
    def _compute_summary(self):
        for wizard in self:
            lines = []
            for customer, child, kinds, refusal in wizard._dunning_batch_children():
                if refusal:
                    text = self.env._("not sent: %(reason)s", reason=refusal)
                else:
                    text = self.env._(
                        "%(level)s, %(amount)s, by %(channels)s",
                        level=child.level_id.name,
                        amount=child.amount_by_currency,
                        channels=", ".join(child._dunning_kind_label(kind) for kind in kinds),
                    )
                lines.append(f"{customer.display_name}: {text}")
            wizard.summary = "\n".join(lines) or False

    # ------------------------------------------------------------------ actions

    def action_send(self):
        """Send now through the run's engine: a one-customer run of today whose single
        line takes the chosen steps; the history, chatter, invoice notes and invoice
        levels are the run's."""
        self.ensure_one()
        self._dunning_check_rights()
        if self.partner_ids:
            return self.with_company(self.company_id)._dunning_send_batch()
        wizard = self.with_company(self.company_id)
        kinds = wizard._dunning_check()
        channels = self.env["dunning.level.step"]._dunning_channels()
        customer = self.partner_id.commercial_partner_id
        for kind in kinds:
            block = wizard.contact_id._dunning_channel_block(channels[kind], customer)
            if block:  # missing what the channel needs: nothing sent, the contact fixed
                return wizard._dunning_unreachable(block[1])
        run = self.env["dunning.run"].with_company(self.company_id)
        run = run._dunning_create_reminder_run(self.partner_id)
        # sudo: run lines are the engine's (tools/authority.py); this one is the send
        # the person chose and the checks above allowed.
        self.env["dunning.run.line"].sudo().create(wizard._dunning_line_values(run, kinds))
        run._dunning_flow_write({"state": "planned"})
        run.action_execute()
        return wizard._dunning_result(run)

    def _dunning_send_batch(self):
        """Send reminders to the customers of the selection: each one what Send & Print
        proposes for it (level, invoices, message), by the channels chosen here that
        reach it, all in one run (several customers at once: a collections manager's,
        as "Send reminder now"). Customers that cannot be sent to are said why."""
        accepted, refused = [], []
        for customer, child, kinds, refusal in self._dunning_batch_children():
            if refusal:
                refused.append((customer, refusal))
            else:
                accepted.append((child, kinds))
        if not accepted:
            return self._dunning_notify(
                "\n".join(
                    self.env._("%(customer)s: not sent: %(reason)s",
                               customer=customer.display_name, reason=reason)
                    for customer, reason in refused
                ) or self.env._("Nothing was sent."),
                "warning",
            )  # fmt: skip
        customers = self.env["res.partner"].union(*(child.partner_id for child, _k in accepted))
        run = self.env["dunning.run"].with_company(self.company_id)
        run = run._dunning_create_reminder_run(customers)
        # sudo: run lines are the engine's (tools/authority.py); these are the sends the
        # person chose and the checks of each customer's Send & Print allowed.
        self.env["dunning.run.line"].sudo().create(
            [child._dunning_line_values(run, kinds) for child, kinds in accepted]
        )
        run._dunning_flow_write({"state": "planned"})
        run.action_execute()
        return self._dunning_result(run, refused)

    def _dunning_batch_children(self):
        """One Send & Print per customer of the selection (new records, nothing stored),
        with the channels proposed for it that were chosen here: [(customer, wizard,
        kinds, None)] or [(customer, wizard, None, why it cannot be sent)]."""
        self.ensure_one()
        chosen = set(self._dunning_kinds())
        channels = self.env["dunning.level.step"]._dunning_channels()
        Wizard = self.with_context(dunning_send_batch=True)
        result = []
        for customer in self.partner_ids.commercial_partner_id:
            child = Wizard.new({"partner_id": customer.id, "company_id": self.company_id.id})
            for line in child.channel_ids:
                line.selected = line.selected and line.kind in chosen
            try:
                kinds = child._dunning_check()
            except UserError as error:
                result.append((customer, child, None, error.args[0]))
                continue
            blocks = [
                child.contact_id._dunning_channel_block(channels[kind], customer) for kind in kinds
            ]
            blocked = next((block[1] for block in blocks if block), None)
            result.append((customer, child, None if blocked else kinds, blocked))
        return result

    # --------------------------------------------------------------- business

    def _dunning_render_message(self):
        """The level's email and SMS for this send, rendered as the run renders them:
        on an event with the values this send's event will have (a new record, nothing
        stored), in the contact's language. {} when there is nothing to render yet, for
        the customers of a selection (their templates render when sent), or when a
        template cannot render (the send then renders it and says why)."""
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id
        level = self.level_id
        if self.env.context.get("dunning_send_batch") or not (customer and level):
            return {}
        if not self.move_ids:
            return {}
        values = {
            "date": self.date,
            "company_id": self.company_id.id,
            "partner_id": customer.id,
            "contact_id": self.contact_id.id,
            "move_ids": [Command.set(self.move_ids._origin.ids)],
            "credit_line_ids": [Command.set(self.credit_line_ids._origin.ids)],
            "level_id": level.id,
            "channel": "email",
        }
        if level.mail_template_variant_id.active:  # as the run line's event
            values["template_variant"] = assign_variant(customer.id, level.id)
        # A new record (ids: [NewId], passed as _ids): nothing stored, nothing logged.
        event = self.env["dunning.event"].new(values)
        result = {}
        try:
            template = event._dunning_mail_template()
            if template:
                rendered = template._generate_template(
                    list(event._ids), ("subject", "body_html", "lang")
                )[event.id]
                result = {key: rendered.get(key) for key in ("subject", "body_html", "lang")}
            if level.sms_template_id:
                result["sms"] = event._dunning_sms_body(level.sms_template_id)
                result.setdefault(
                    "lang", level.sms_template_id._render_lang(list(event._ids))[event.id]
                )
        except UserError:
            return {}
        return result

    def _dunning_message_edit(self):
        """The message as the person left it, for the run line (dunning.run.line
        .message_edit); None when nothing was rendered (the run renders the templates)."""
        self.ensure_one()
        if not (self.mail_body or self.sms_body):
            return None
        return {
            "subject": self.mail_subject or "",
            "body_html": str(self.mail_body or ""),
            "lang": self.message_lang or False,
            "sms": self.sms_body or False,
        }

    def _dunning_kind_label(self, kind):
        return self.env["dunning.level.step"]._dunning_kind_labels().get(kind, kind)

    def _dunning_ledger(self):
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id.with_company(self.company_id)
        return customer._dunning_ledger(self.date)[customer.id]

    def _dunning_message(self, ledger=None):
        """What the message on the chosen invoices shows (res.partner's ledger)."""
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id.with_company(self.company_id)
        return customer._dunning_message_data(self.move_ids._origin.ids, self.date, ledger)

    def _dunning_check_rights(self):
        if not self.env.user.has_group("account_dunning.group_dunning_user"):
            raise AccessError(self.env._("Only collections users can send reminders."))
        self.partner_id.check_access("read")

    def _dunning_open_moves(self):
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id.with_company(self.company_id)
        return self.env["account.move"].search(
            customer._dunning_open_invoices_domain(), order="invoice_date_due, id"
        )

    def _dunning_default_level(self):
        """The level the customer would get today (the highest an invoice climbs to, or
        has reached), else the first overdue level of the ladder."""
        self.ensure_one()
        policy = self.policy_id
        if not policy:
            return self.env["dunning.level"]
        levels = policy._dunning_ladder_levels()
        delays, _min_days, start_at_matching = policy._dunning_ladder_data()
        indexes = []
        for move in self.move_ids._origin.filtered("invoice_date_due"):
            level = move.dunning_level_id
            current = index_of_delay(delays, level.delay_days) if level else None
            days = (self.date - move.invoice_date_due).days
            since_issue = (self.date - move.invoice_date).days if move.invoice_date else None
            target = next_level_index(delays, current, days, start_at_matching, since_issue)
            reached = target if target is not None else current
            if reached is not None:
                indexes.append(reached)
        if indexes:
            return levels[max(indexes)]
        overdue = levels.filtered(lambda lvl: lvl.delay_days > 0)
        return overdue[:1] or levels[-1:]

    def _dunning_kinds(self):
        return [line.kind for line in self.channel_ids if line.selected]

    def _dunning_warnings(self):
        """What the person should know before sending (shown in the form)."""
        self.ensure_one()
        warnings = []
        several = len(self.partner_ids.commercial_partner_id) > 1
        if several and not self.env["dunning.run"]._dunning_is_manager():
            # The rule of dunning.run._dunning_create_reminder_run, said before sending.
            warnings.append(
                self.env._(
                    "Only a collections manager sends reminders to several customers at "
                    "once: send them one at a time with Send & Print, or let the daily "
                    "run remind them."
                )
            )
        customer = self.partner_id.commercial_partner_id.with_company(self.company_id)
        if not customer:
            return warnings
        if customer.dunning_excluded:
            warnings.append(self.env._("This customer is excluded from collections."))
        if customer.id in self.env["dunning.engine"]._messaged_on(
            customer, self.date, self.company_id
        ):
            warnings.append(
                self.env._(
                    "This customer already got a message from us today: sending now adds "
                    "another one (your decision overrides the one-message-a-day rule)."
                )
            )
        return warnings

    def _dunning_check(self):
        """Refuse what cannot be sent, with the reason. Returns the chosen kinds."""
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id
        kinds = self._dunning_kinds()
        if not kinds:
            raise UserError(self.env._("Choose at least one channel to send with."))
        if customer.dunning_excluded:
            raise UserError(
                self.env._(
                    "%(customer)s is excluded from collections: %(reason)s",
                    customer=customer.display_name,
                    reason=customer.dunning_exclusion_reason or "",
                )
            )
        if not self.move_ids:
            raise UserError(self.env._("Choose the invoices to send."))
        foreign = self.move_ids.filtered(
            lambda move: (
                move.commercial_partner_id != customer or move.company_id != self.company_id
            )
        )
        if foreign:
            raise UserError(
                self.env._(
                    "These invoices are not invoices of %(customer)s in %(company)s: %(invoices)s.",
                    customer=customer.display_name,
                    company=self.company_id.name,
                    invoices=", ".join(foreign.mapped("display_name")),
                )
            )
        refused = self.move_ids.filtered(lambda move: not move._dunning_is_chasable())
        if refused:
            raise UserError(
                self.env._(
                    "These invoices cannot be reminded (paid, excluded, or in a collections "
                    "flow: promise, dispute, plan, agency): %(invoices)s.",
                    invoices=", ".join(self._dunning_refusal(move) for move in refused),
                )
            )
        if not self.level_id or self.level_id.policy_id != self.policy_id:
            raise UserError(
                self.env._("Choose a level of the customer's policy %(policy)s.",
                           policy=self.policy_id.display_name or "")
            )  # fmt: skip
        for kind in kinds:
            missing = self.level_id._dunning_step_missing(kind)
            if missing:
                raise UserError(missing)
        channels = self.env["dunning.level.step"]._dunning_channels()
        for kind in kinds:
            block = self.contact_id._dunning_channel_block(channels[kind], customer)
            if block and not block[2]:  # opted out (a missing address gets its task)
                raise UserError(block[1])
        totals = self._dunning_message()["totals"]
        if (
            self.company_id.currency_id.compare_amounts(
                sum(total["net_company"] for total in totals), 0
            )
            <= 0
        ):
            raise UserError(
                self.env._("Nothing is owed on these invoices net of the customer's credits.")
            )
        return kinds

    def _dunning_refusal(self, move):
        """'INV/2026/0001 (Paid)': an invoice that cannot be reminded, and why."""
        if move.state != "posted" or move.payment_state not in ("not_paid", "partial"):
            states = dict(move._fields["payment_state"]._description_selection(self.env))
            why = states.get(move.payment_state) if move.state == "posted" else move.state
        elif move.dunning_excluded:
            why = self.env._("excluded from collections")
        else:
            stages = dict(move._fields["dunning_stage"]._description_selection(self.env))
            why = stages.get(move.dunning_stage, move.dunning_stage)
        return f"{move.display_name} ({why})"

    def _dunning_unreachable(self, why):
        """A chosen channel cannot reach the contact (no email address, no phone...):
        nothing is sent (the invoices stay where they are); the collector gets the 'Fix
        contact' task and the person a clear message."""
        customer = self.partner_id.commercial_partner_id
        engine = self.env["dunning.engine"]
        collector = engine._get_collector(
            customer,
            self.company_id,
            policy=self.policy_id,
            level=self.level_id,
            fallback=engine._default_fallback_collector(),
        )
        message = self.env._(
            "%(why)s Nothing was sent: complete the contact (or choose other channels).",
            why=why,
        )
        engine._schedule_fix_contact(customer, collector, next_business_day(self.date), message)
        return self._dunning_notify(message, "warning")

    def _dunning_line_values(self, run, kinds):
        """The run line of this send: the chosen invoices, level and steps. Invoices
        below the level are recorded at it, also when they took a lower step today: what
        a person sends is what the ladder records, so the run does not send it again."""
        customer = self.partner_id.commercial_partner_id
        level = self.level_id
        delays = self.policy_id._dunning_ladder_data()[0]
        target = index_of_delay(delays, level.delay_days)
        steps = {}
        for move in self.move_ids._origin:  # _origin: also a selection's new wizards
            current = move.dunning_level_id
            current_index = index_of_delay(delays, current.delay_days) if current else None
            if current_index is None or current_index < target:
                steps[str(move.id)] = level.id
        engine = self.env["dunning.engine"]
        collector = engine._get_collector(
            customer,
            self.company_id,
            policy=self.policy_id,
            level=level,
            fallback=engine._default_fallback_collector(),
        )
        totals = self._dunning_message()["totals"]
        return {
            "run_id": run.id,
            "partner_id": customer.id,
            "policy_id": self.policy_id.id,
            "level_id": level.id,
            "move_ids": [Command.set(self.move_ids._origin.ids)],
            "credit_line_ids": [Command.set(self.credit_line_ids._origin.ids)],
            "step_data": steps,
            "step_kinds": kinds,
            "amount": sum(total["net_company"] for total in totals),
            "state": "todo",
            "contact_id": self.contact_id._origin.id,
            "email_to": self.contact_id.email,
            "collector_id": collector.id,
            "message_edit": self._dunning_message_edit(),
        }

    def _dunning_result(self, run, refused=()):
        """What was done, for the person: per customer, what went to whom and by which
        channels, what did not and why (and the customers ``refused`` before sending:
        [(customer, why)]); the documents to print are downloaded."""
        parts = [self._dunning_line_result(line) for line in run.line_ids]
        parts += [
            self.env._("%(customer)s: not sent: %(reason)s",
                       customer=customer.display_name, reason=reason)
            for customer, reason in refused
        ]  # fmt: skip
        if not parts:
            return self._dunning_notify(self.env._("Nothing was sent."), "warning")
        lines = run.line_ids
        done = lines and all(line.state == "done" for line in lines) and not refused
        failed = lines.event_ids.filtered(lambda event: event.state != "done")
        events = lines.event_ids.filtered(lambda event: event.state == "done")
        # Emailed, the documents went with the email; else they are the customer's to
        # receive by post: downloaded now (and kept in the customer's chatter).
        to_print = self.env["ir.attachment"]
        if len(lines) == 1 and "email" not in events.mapped("channel"):
            to_print = events.filtered(
                lambda event: event.channel in ("letter", "statement")
            ).attachment_id
        next_action = None
        if to_print:
            next_action = {
                "type": "ir.actions.act_url",
                "url": f"/web/content/{to_print[0].id}?download=true",
                "target": "new",
            }
        kind = "success" if done and not failed else "warning"
        return self._dunning_notify("\n".join(parts), kind, next_action)

    def _dunning_line_result(self, line):
        """'ACME: Due today sent to Jane Doe (jane@acme.com) by Email, Letter. Not sent
        by SMS: no phone number.'"""
        labels = dict(self.env["dunning.event"]._fields["channel"]._description_selection(self.env))
        customer = line.partner_id.display_name
        events = line.event_ids.sorted("id")
        sent = events.filtered(lambda event: event.state == "done")
        if line.state not in ("done", "failed") or not events:
            return f"{customer}: {line._describe()}"
        contact = line.contact_id or line.partner_id
        addresses = {"email": contact.email, "sms": contact.phone or line.partner_id.phone}
        address = ", ".join(
            filter(None, (addresses.get(channel) for channel in sent.mapped("channel")))
        )
        texts = []
        if sent:
            texts.append(
                self.env._(
                    "%(level)s sent to %(contact)s by %(channels)s.",
                    level=line.level_id.name,
                    contact=f"{contact.name} ({address})" if address else contact.name,
                    channels=", ".join(labels.get(e.channel, e.channel) for e in sent),
                )
            )
        for event in events - sent:
            texts.append(
                self.env._(
                    "Not sent by %(channel)s: %(reason)s",
                    channel=labels.get(event.channel, event.channel),
                    reason=event.reason
                    or dict(event._fields["state"]._description_selection(self.env)).get(
                        event.state
                    ),
                )
            )
        return f"{customer}: {' '.join(texts)}"

    def _dunning_notify(self, message, kind, next_action=None):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Send & Print"),
                "message": message,
                "type": kind,
                "sticky": kind != "success",
                "next": next_action or {"type": "ir.actions.act_window_close"},
            },
        }
