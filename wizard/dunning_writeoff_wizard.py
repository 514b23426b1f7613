from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tools import float_compare

from ..tools.case_file import allocate_in_order


class DunningWriteoffWizard(models.TransientModel):
    """Write off the uncollectable residual of customer invoices as a bad debt.

    One journal entry per invoice, in the invoice's currency: debit the company's bad-
    debt expense account, credit the invoice's receivable, converted at the write-off
    date's rate (Odoo books the exchange difference against the invoice's own rate when
    it reconciles), then reconciled with the invoice. Managers only.
    """

    _name = "dunning.writeoff.wizard"
    _description = "Write Off Bad Debt"

    move_ids = fields.Many2many("account.move", string="Invoices", required=True)
    company_id = fields.Many2one("res.company", compute="_compute_company_id")
    single = fields.Boolean(compute="_compute_residual")
    currency_id = fields.Many2one("res.currency", compute="_compute_residual")
    amount_residual = fields.Monetary(string="Open Amount", compute="_compute_residual")
    amount = fields.Monetary(
        string="Amount to Write Off",
        compute="_compute_amount",
        store=True,
        readonly=False,
        help="In the invoice's currency. Less than the open amount: the rest stays open.",
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    journal_id = fields.Many2one(
        "account.journal",
        compute="_compute_accounting",
        store=True,
        readonly=False,
        domain="[('type', '=', 'general'), ('company_id', '=', company_id)]",
    )
    account_id = fields.Many2one(
        "account.account",
        string="Bad Debt Account",
        compute="_compute_accounting",
        store=True,
        readonly=False,
        domain="[('account_type', 'in', ('expense', 'expense_other'))]",
    )
    reason = fields.Char(required=True, help="Why the debt cannot be collected.")

    @api.depends("move_ids")
    def _compute_company_id(self):
        for wizard in self:
            wizard.company_id = wizard.move_ids.company_id[:1] or self.env.company

    @api.depends("company_id")
    def _compute_accounting(self):
        for wizard in self:
            wizard.journal_id = wizard.company_id._dunning_get_writeoff_journal()
            wizard.account_id = wizard.company_id.dunning_bad_debt_account_id

    @api.depends("move_ids")
    def _compute_residual(self):
        for wizard in self:
            wizard.single = len(wizard.move_ids) == 1
            wizard.currency_id = wizard.move_ids.currency_id[:1] if wizard.single else False
            wizard.amount_residual = wizard.move_ids.amount_residual if wizard.single else 0.0

    @api.depends("amount_residual")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = wizard.amount_residual

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if (
            "move_ids" in fields_list
            and not values.get("move_ids")
            and context.get("active_model") == "account.move"
        ):
            values["move_ids"] = [Command.set(context.get("active_ids", []))]
        return values

    def action_confirm(self):
        self.ensure_one()
        if not self.env.user.has_group("account_dunning.group_dunning_manager"):
            raise AccessError(self.env._("Only collections managers may write off bad debts."))
        self._check_writeoff()
        entries = self.env["account.move"]
        events = defaultdict(lambda: self.env["account.move"])
        for invoice in self.move_ids:
            amount = self.amount if self.single else invoice.amount_residual
            entries |= self._write_off(invoice, amount)
            events[invoice.commercial_partner_id] |= invoice
        for partner, invoices in events.items():
            event = self._log_event(partner, invoices, entries)
            entries.filtered(
                lambda e, inv=invoices: e.dunning_writeoff_invoice_id in inv
            )._dunning_flow_write({"dunning_writeoff_event_id": event.id})
        entries.dunning_writeoff_case_id._update_state()
        # A plan covering written-off invoices ends (cancelled, not completed).
        self.env["dunning.payment.plan"]._dunning_end_for_moves(self.move_ids, self.date)
        return self._dunning_landing(entries)

    def _dunning_landing(self, entries):
        """Where the manager lands: the case the write-off closed, else the invoices
        written off (readable in Invoicing-only mode, unlike the journal entry, whose
        lines it hides; the entry is linked from the invoice's payments and the case)."""
        cases = entries.dunning_writeoff_case_id
        if len(cases) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "dunning.case",
                "res_id": cases.id,
                "views": [(False, "form")],
            }
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action.update(domain=[("id", "in", self.move_ids.ids)], context={"create": False})
        if len(self.move_ids) == 1:
            action.update(views=[(False, "form")], res_id=self.move_ids.id)
        return action

    def _check_writeoff(self):
        moves = self.move_ids
        _ = self.env._
        if not moves:
            raise UserError(_("Select the invoices to write off."))
        if self.date > fields.Date.context_today(self):
            raise UserError(_("A write-off is dated today or earlier, not in the future."))
        if len(moves.company_id) > 1:
            raise UserError(_("Write off the invoices of one company at a time."))
        wrong = moves.filtered(
            lambda m: (
                m.move_type != "out_invoice"
                or m.state != "posted"
                or m.payment_state not in ("not_paid", "partial")
            )
        )
        if wrong:
            raise UserError(
                _(
                    "Only open posted customer invoices can be written off: %(moves)s.",
                    moves=", ".join(wrong.mapped("display_name")),
                )
            )
        if not self.account_id:
            raise UserError(
                _(
                    "No bad-debt expense account is set for %(company)s: choose one in "
                    "Accounting > Configuration > Settings, Collections.",
                    company=self.company_id.name,
                )
            )
        if not self.journal_id:
            raise UserError(
                _(
                    "%(company)s has no miscellaneous journal for the write-off.",
                    company=self.company_id.name,
                )
            )
        if self.single:
            currency = self.currency_id
            if (
                float_compare(self.amount, 0.0, precision_rounding=currency.rounding) <= 0
                or float_compare(
                    self.amount, self.amount_residual, precision_rounding=currency.rounding
                )
                > 0
            ):
                raise UserError(
                    _(
                        "The amount to write off must be more than zero and at most the open "
                        "amount, %(residual)s.",
                        residual=currency.format(self.amount_residual),
                    )
                )

    def _write_off(self, invoice, amount):
        """Post the write-off entry of ``amount`` (invoice currency) and reconcile it."""
        company = invoice.company_id
        currency = invoice.currency_id
        lines = invoice._dunning_receivable_lines()
        shares = allocate_in_order(
            amount, [abs(line.amount_residual_currency) for line in lines], currency.decimal_places
        )
        credits = defaultdict(float)
        for line, share in zip(lines, shares, strict=True):
            credits[line.account_id] += share
        label = self.env._(
            "Bad debt write-off of %(invoice)s: %(reason)s",
            invoice=invoice.name,
            reason=self.reason,
        )
        line_values, total_balance = [], 0.0
        for account, share in credits.items():
            if currency.is_zero(share):
                continue
            balance = currency._convert(share, company.currency_id, company, self.date)
            total_balance += balance
            line_values.append(
                Command.create(
                    {
                        "name": label,
                        "account_id": account.id,
                        "partner_id": invoice.commercial_partner_id.id,
                        "currency_id": currency.id,
                        "amount_currency": -share,
                        "balance": -balance,
                    }
                )
            )
        line_values.append(
            Command.create(
                {
                    "name": label,
                    "account_id": self.account_id.id,
                    "partner_id": invoice.commercial_partner_id.id,
                    "currency_id": currency.id,
                    "amount_currency": currency.round(sum(credits.values())),
                    "balance": company.currency_id.round(total_balance),
                }
            )
        )
        entry = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "company_id": company.id,
                    "journal_id": self.journal_id.id,
                    "date": self.date,
                    "ref": label,
                    "currency_id": currency.id,
                    "dunning_writeoff_invoice_id": invoice.id,
                    "dunning_writeoff_case_id": invoice._dunning_current_case().id,
                    "line_ids": line_values,
                }
            )
        )
        entry.action_post()
        for account in credits:
            to_match = (entry.line_ids | lines).filtered(
                lambda line, a=account: line.account_id == a and not line.reconciled
            )
            to_match.reconcile()
        if invoice.payment_state not in ("not_paid", "partial"):
            invoice._dunning_set_stage("written_off")
        return entry

    def _log_event(self, partner, invoices, entries):
        company = invoices.company_id
        written = entries.filtered(lambda e: e.dunning_writeoff_invoice_id in invoices)
        amount = sum(
            -line.balance
            for line in written.line_ids
            if line.account_id.account_type == "asset_receivable"
        )
        case = invoices.dunning_case_ids.filtered(lambda c: c.state == "open")[:1]
        return self.env["dunning.engine"]._log(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "move_ids": [Command.set(invoices.ids)],
                "channel": "note",
                "amount_residual": amount,
                "collector_id": case.user_id.id
                or partner.with_company(company).dunning_collector_id.id,
                "reason": self.env._(
                    "Written off as bad debt: %(amount)s on %(invoices)s (%(entries)s). "
                    "Reason: %(reason)s",
                    amount=company.currency_id.format(amount),
                    invoices=", ".join(invoices.mapped("name")),
                    entries=", ".join(written.mapped("name")),
                    reason=self.reason,
                ),
            }
        )
